package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// `shuyu pulls list | history | run`: the operator sees every source with
// its status and schedule, a source's pulls with their reconciliation, and
// asks the running platform to pull now — a request recorded and audited
// for the domain owner's loop; bad arguments change nothing (issue 18;
// R10.1, R10.2).
func TestCLI_R10_2_PullsListHistoryRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	db.PasswordIterations = 1000
	actors := sqltest.Seed(t, db)
	dept := actors["dept-gongan"]
	rev := shuyu.CatalogRevision{Name: "人口基础信息", Summary: "人口", Grade: shuyu.GradeGeneral, OpenAttr: shuyu.OpenConditional,
		AuthMode: shuyu.AuthScenario, UpdateFreq: shuyu.FreqDaily, Fields: []shuyu.CatalogField{
			{Name: "id", Label: "编号", DataType: "integer", Grade: shuyu.GradeGeneral},
			{Name: "name", Label: "姓名", DataType: "string", Grade: shuyu.GradeGeneral}}}
	e, err := db.CreateCatalogEntry(ctx, dept, sqlstore.NewCatalogEntry{Code: "ZW-GA-0301", Revision: rev})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		who  string
		step shuyu.CatalogStep
	}{{"dept-gongan", shuyu.StepSubmit}, {"authority", shuyu.StepApproveCity}, {"operator-admin", shuyu.StepPublish}} {
		if _, err := db.CatalogStep(ctx, actors[s.who], e.ID, s.step, ""); err != nil {
			t.Fatal(err)
		}
	}
	const secret = "前置库口令-cli-3e9a"
	src, err := db.RegisterPullSource(ctx, dept, e.ID, sqlstore.PullSourceInput{Name: "公安前置库", Kind: sqlstore.PullPostgres,
		Secret: secret, Config: sqlstore.PullConfig{Host: "10.1.2.3", Port: 5432, Database: "qzk", User: "reader",
			Table: "public.people", Mode: sqlstore.PullSnapshot, Key: []string{"id"}}})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := db.StartPull(ctx, dept, src.ID, sqlstore.PullByHand)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FinishPull(ctx, dept, ps.Run.ID, sqlstore.SupplyResult{Version: 1, Rows: 7, Quality: 100},
		sqlstore.PullReconciliation{SourceRows: 7, PulledRows: 7, LoadedRows: 7, VersionRows: 7, SourceChecksum: []byte{1}, DomainChecksum: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	id := strconv.FormatInt(src.ID, 10)

	code, out, errs := run(t, "pulls", "list", "--data", dir)
	if code != 0 || !strings.Contains(out, "ZW-GA-0301") || !strings.Contains(out, "公安前置库") || !strings.Contains(out, "正常 ok") ||
		!strings.Contains(out, "01:00-05:00") || strings.Contains(out, secret) {
		t.Fatalf("list: exit %d out %q err %q", code, out, errs)
	}
	if code, out, _ := run(t, "pulls", "list", "--data", dir, "--entry", "ZW-XX-0000"); code != 0 || !strings.Contains(out, "no pull sources") {
		t.Fatalf("list of another entry: exit %d %q", code, out)
	}
	code, out, errs = run(t, "pulls", "history", id, "--data", dir)
	if code != 0 || !strings.Contains(out, "手动 manual") || !strings.Contains(out, "一致 yes") || !strings.Contains(out, "v1") {
		t.Fatalf("history: exit %d out %q err %q", code, out, errs)
	}
	for _, bad := range [][]string{{"pulls", "run", "--data", dir}, {"pulls", "run", "x1", "--data", dir},
		{"pulls", "history", "--data", dir, id, "extra"}, {"pulls", "frobnicate"}} {
		if code, _, _ := run(t, bad...); code != 2 {
			t.Fatalf("%v: exit %d", bad, code)
		}
	}
	if code, _, errs := run(t, "pulls", "run", "999", "--data", dir); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("unknown source: exit %d %q", code, errs)
	}
	code, out, errs = run(t, "pulls", "run", id, "--data", dir)
	if code != 0 || !strings.Contains(out, "requested") {
		t.Fatalf("run: exit %d out %q err %q", code, out, errs)
	}
	// Without a running platform nobody starts it: --wait says so.
	if code, _, errs := run(t, "pulls", "run", id, "--wait", "1s", "--data", dir); code != 1 || !strings.Contains(errs, "is the platform running") {
		t.Fatalf("run --wait without a platform: exit %d %q", code, errs)
	}
	if code, out, _ := run(t, "pulls", "list", "--data", dir); code != 0 || !strings.Contains(out, "已请求 requested") {
		t.Fatalf("list after the request: %q", out)
	}

	db, err = sqlstore.Open(ctx, sqlstore.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := db.PullSource(ctx, shuyu.System, src.ID)
	if err != nil || p.RequestedAt == nil {
		t.Fatalf("request not recorded: %+v %v", p, err)
	}
	if due, err := db.DuePulls(ctx); err != nil || len(due) != 1 || due[0].ID != src.ID {
		t.Fatalf("the requested source is not due for the domain owner: %v %v", due, err)
	}
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM audit_events WHERE action = ? AND actor_name = 'system'`,
		string(shuyu.AuditPullRequest)).Scan(&n); err != nil || n != 2 {
		t.Fatalf("audit events of the request: %d %v", n, err)
	}
}
