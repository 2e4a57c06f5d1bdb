package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
)

func TestDomainSupply_R10_1_R10_2_R11_1_FinishMountsAndRaisesIssues(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, clock, as := env.DB, env.Clock, env.Actors
		dept := as["dept-gongan"]
		id := domainInsertEntry(t, db, "ZW-GA-0001", dept, true, "monthly", domainPeopleFields)

		e, job, err := db.StartSupply(ctx, dept, shuyu.ActDomainSupply, id, sqlstore.SupplyInput{Source: "upload", FileName: "人口.csv", Size: 100})
		if err != nil {
			t.Fatal(err)
		}
		if e.VaultName != "zw_ga_0001" || len(e.Fields) != 4 || !e.Fields[0].PI || !e.Fields[0].SensitivePI {
			t.Fatalf("entry = %+v", e)
		}
		if job.Status != sqlstore.JobLoading || job.Format != "csv" || job.FileName != "人口.csv" {
			t.Fatalf("job = %+v", job)
		}
		m, err := db.Mount(ctx, dept, id)
		if err != nil || m.Mounted || !m.Overdue {
			t.Fatalf("before the first version: %+v %v (want unmounted and overdue)", m, err)
		}
		done, err := db.FinishSupply(ctx, dept, job.ID, sqlstore.SupplyResult{Version: 1, Rows: 4, Bytes: 120, Quality: 87.5,
			Report: map[string]any{"rows": 4}, Failed: []sqlstore.QualityFailure{
				{Field: "id_no", Rule: "citizen_id", Message: "身份证号码格式或校验码错误", Failed: 1},
				{Field: "county", Rule: "enum", Message: "值不在枚举范围内", Failed: 0},
			}})
		if err != nil || done.Status != sqlstore.JobDone || done.Version != 1 || done.Rows != 4 || string(done.Report) != `{"rows":4}` {
			t.Fatalf("finish: %+v %v", done, err)
		}
		m, err = db.Mount(ctx, dept, id)
		if err != nil || !m.Mounted || m.Version != 1 || m.Rows != 4 || m.Overdue || m.OpenIssues != 1 {
			t.Fatalf("mount after finish: %+v %v", m, err)
		}
		// R10.2: monthly data is overdue a month after its last update.
		clock.Advance(32 * 24 * time.Hour)
		if m, _ = db.Mount(ctx, dept, id); !m.Overdue {
			t.Fatalf("monthly entry not overdue after 32 days: %+v", m)
		}
		// R11.1: the failed rule became an issue routed to the department,
		// due in 5 working days on the official calendar.
		issues, err := db.Issues(ctx, dept, sqlstore.IssueFilter{EntryID: id})
		if err != nil || len(issues) != 1 {
			t.Fatalf("issues: %v %v", issues, err)
		}
		is := issues[0]
		cal, _ := workday.New()
		want, _ := cal.Due(sqltest.Start, 5)
		if is.Origin != sqlstore.IssueAuto || is.OrgID != dept.OrgID || is.Field != "id_no" || is.FailedCount != 1 ||
			!is.DueAt.Equal(want.Truncate(time.Microsecond)) || is.Workdays != 5 {
			t.Fatalf("auto issue = %+v (due want %v)", is, want)
		}
		jobs, err := db.SupplyJobs(ctx, as["operator-admin"], id, 0)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("operator jobs: %v %v", jobs, err)
		}
	})
}

func TestDomainSupply_R10_1_R27_3_BadTargetsChangeNothing(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, as := env.DB, env.Actors
		dept := as["dept-gongan"]
		draft := domainInsertEntry(t, db, "ZW-GA-0002", dept, false, "monthly", domainPeopleFields)
		pub := domainInsertEntry(t, db, "ZW-GA-0003", dept, true, "monthly", domainPeopleFields)
		if _, err := db.Suspend(ctx, as["authority"], sqlstore.SuspendInput{Scope: "entry", EntryID: pub, Reason: "安全风险排查"}); err != nil {
			t.Fatal(err)
		}
		events, jobs := domainCount(t, db, "audit_events"), domainCount(t, db, "domain_jobs")
		in := sqlstore.SupplyInput{Source: "upload", FileName: "a.csv"}
		cases := []struct {
			name  string
			actor *shuyu.Actor
			entry int64
			in    sqlstore.SupplyInput
			code  string
		}{
			{"unpublished", dept, draft, in, shuyu.ECONFLICT},
			{"suspended", dept, pub, in, shuyu.ECONFLICT},
			{"no such entry", dept, 99999, in, shuyu.ENOTFOUND},
			{"other department", as["dept-haiyuan-weijian"], draft, in, shuyu.ENOTFOUND},
			{"merchant", as["merchant-a"], pub, in, shuyu.ENOTFOUND},
			{"bad extension", dept, draft, sqlstore.SupplyInput{Source: "upload", FileName: "a.exe"}, shuyu.EINVALID},
			{"no name", dept, draft, sqlstore.SupplyInput{Source: "upload"}, shuyu.EINVALID},
		}
		for _, c := range cases {
			_, _, err := db.StartSupply(ctx, c.actor, shuyu.ActDomainSupply, c.entry, c.in)
			if shuyu.ErrorCode(err) != c.code || shuyu.ErrorMessage(err) == "" {
				t.Errorf("%s: err = %v, want %s", c.name, err, c.code)
			}
		}
		// Only the operator and the authority load from the drop directory.
		if _, _, err := db.StartSupply(ctx, dept, shuyu.ActDomainSupplyDrop, draft, in); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Errorf("dept drop supply: %v", err)
		}
		if e2, j2 := domainCount(t, db, "audit_events"), domainCount(t, db, "domain_jobs"); e2 != events || j2 != jobs {
			t.Fatalf("refused supplies changed state: events %d→%d, jobs %d→%d", events, e2, jobs, j2)
		}
	})
}

func TestDomainSupply_R10_1_FailureKeepsMountAndCrashRecovery(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, as := env.DB, env.Actors
		op := as["operator-admin"]
		id := domainInsertEntry(t, db, "ZW-GA-0001", as["dept-gongan"], true, "daily", domainPeopleFields)
		_, j1, err := db.StartSupply(ctx, op, shuyu.ActDomainSupplyDrop, id, sqlstore.SupplyInput{Source: "drop", FileName: "v1.csv"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.FinishSupply(ctx, op, j1.ID, sqlstore.SupplyResult{Version: 1, Rows: 10, Quality: 100}); err != nil {
			t.Fatal(err)
		}
		_, j2, _ := db.StartSupply(ctx, op, shuyu.ActDomainSupplyDrop, id, sqlstore.SupplyInput{Source: "drop", FileName: "v2.csv"})
		cause := shuyu.Errorf(shuyu.EUNPROCESSABLE, "文件有1行格式或类型错误").WithDetails([]shuyu.RowError{{Row: 3, Column: "age", Message: "值不能解析为整数"}})
		f, err := db.FailSupply(ctx, op, j2.ID, cause)
		if err != nil || f.Status != sqlstore.JobFailed || f.ErrorCode != shuyu.EUNPROCESSABLE || len(f.Errors) != 1 || f.Errors[0].Row != 3 {
			t.Fatalf("failed job = %+v %v", f, err)
		}
		if _, err := db.FinishSupply(ctx, op, j2.ID, sqlstore.SupplyResult{Version: 2}); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("finishing a failed job: %v", err)
		}
		m, _ := db.Mount(ctx, op, id)
		if m.Version != 1 || m.Rows != 10 {
			t.Fatalf("a failed supply moved the mount: %+v", m)
		}
		// A job left loading by a crash is marked failed on restart.
		_, j3, _ := db.StartSupply(ctx, op, shuyu.ActDomainSupplyDrop, id, sqlstore.SupplyInput{Source: "drop", FileName: "v3.csv"})
		n, err := db.RecoverSupplyJobs(ctx)
		if err != nil || n != 1 {
			t.Fatalf("recover: %d %v", n, err)
		}
		got, _ := db.SupplyJob(ctx, op, j3.ID)
		if got.Status != sqlstore.JobFailed || got.ErrorMessage == "" {
			t.Fatalf("crashed job = %+v", got)
		}
		if m, _ := db.Mount(ctx, op, id); m.Version != 1 {
			t.Fatalf("recovery moved the mount: %+v", m)
		}
		if n, err := db.RecoverSupplyJobs(ctx); n != 0 || err != nil {
			t.Fatalf("second recovery: %d %v", n, err)
		}
	})
}

func TestDomainRules_R11_1_ExplicitFormatsValidated(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, as := env.DB, env.Actors
		dept := as["dept-gongan"]
		id := domainInsertEntry(t, db, "ZW-GA-0001", dept, true, "daily", domainPeopleFields)
		lo, hi := 0.0, 150.0
		good := []sqlstore.FieldRule{{Field: "id_no", Format: "citizen_id", Required: true, Unique: true},
			{Field: "age", Min: &lo, Max: &hi}, {Field: "county", Enum: []string{"640502", "640521", "640522"}}}
		if err := db.SetFieldRules(ctx, dept, id, good, "按数据规范"); err != nil {
			t.Fatal(err)
		}
		e, _ := db.DomainEntry(ctx, dept, id)
		if e.Fields[0].Format != "citizen_id" || !e.Fields[0].Unique || *e.Fields[2].Max != 150 || len(e.Fields[3].Enum) != 3 {
			t.Fatalf("rules not applied: %+v", e.Fields)
		}
		events := domainCount(t, db, "audit_events")
		for name, bad := range map[string][]sqlstore.FieldRule{
			"unknown field":    {{Field: "nope"}},
			"format on number": {{Field: "age", Format: "mobile"}},
			"unknown format":   {{Field: "name", Format: "email"}},
			"range on text":    {{Field: "name", Min: &lo}},
			"min above max":    {{Field: "age", Min: &hi, Max: &lo}},
		} {
			if err := db.SetFieldRules(ctx, dept, id, bad, ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Errorf("%s: %v", name, err)
			}
		}
		if err := db.SetFieldRules(ctx, as["merchant-a"], id, good, ""); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("merchant set rules: %v", err)
		}
		if domainCount(t, db, "audit_events") != events {
			t.Fatal("refused rules were recorded")
		}
		if e, _ := db.DomainEntry(ctx, dept, id); e.Fields[0].Format != "citizen_id" {
			t.Fatal("refused rules changed the rules")
		}
	})
}

func TestVaultName_R10_2_SafeIdentifiers(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"ZW-GA-0001": "zw_ga_0001", "0001": "e_0001", "_vault_x": "e__vault_x", "人口": "e___"} {
		if got := sqlstore.VaultName(in); got != want {
			t.Errorf("VaultName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDomainEntry_R4_2_OtherTenantNotFound(t *testing.T) {
	t.Parallel()
	db, _ := sqltest.Open(t, "sqlite")
	as := sqltest.Seed(t, db)
	id := domainInsertEntry(t, db, "ZW-GA-0001", as["dept-gongan"], true, "daily", domainPeopleFields)
	ctx := context.Background()
	for user, code := range map[string]string{"dept-haiyuan-weijian": shuyu.ENOTFOUND, "merchant-a": shuyu.ENOTFOUND,
		"operator-admin": "", "authority": "", "regulator": "", "county-haiyuan": shuyu.ENOTFOUND} {
		_, err := db.DomainEntry(ctx, as[user], id)
		if shuyu.ErrorCode(err) != code {
			t.Errorf("%s: %v, want %q", user, err, code)
		}
	}
	for user, code := range map[string]string{"dept-gongan": "", "operator-admin": shuyu.EFORBIDDEN, "authority": shuyu.EFORBIDDEN,
		"merchant-a": shuyu.ENOTFOUND} {
		err := db.AuditPreview(ctx, as[user], id, 0, 10)
		if shuyu.ErrorCode(err) != code {
			t.Errorf("preview by %s: %v, want %q", user, err, code)
		}
	}
	var n int
	db.SQL().QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'domain.preview'`).Scan(&n)
	if n != 1 {
		t.Fatalf("preview audit events = %d, want 1", n)
	}
}

func TestDomainSupply_R10_2_CatalogMountedFlagFollows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := sqltest.Open(t, "sqlite")
	as := sqltest.Seed(t, db)
	op := as["operator-admin"]
	id := domainInsertEntry(t, db, "ZW-GA-0001", as["dept-gongan"], true, "daily", domainPeopleFields)
	_, j, err := db.StartSupply(ctx, op, shuyu.ActDomainSupplyDrop, id, sqlstore.SupplyInput{Source: "drop", FileName: "v1.csv"})
	if err != nil {
		t.Fatal(err)
	}
	var mounted bool
	db.SQL().QueryRow(`SELECT mounted FROM catalog_entries WHERE id = ?`, id).Scan(&mounted)
	if mounted {
		t.Fatal("mounted before any version")
	}
	if _, err := db.FinishSupply(ctx, op, j.ID, sqlstore.SupplyResult{Version: 1, Rows: 1, Quality: 100}); err != nil {
		t.Fatal(err)
	}
	db.SQL().QueryRow(`SELECT mounted FROM catalog_entries WHERE id = ?`, id).Scan(&mounted)
	if !mounted {
		t.Fatal("the catalog entry is not marked mounted after its first version")
	}
}

// An automatic issue follows the versions: a later failing version updates
// it instead of raising a duplicate, a passing version marks it fixed
// (R11.1).
func TestDomainIssues_R11_1_AutoIssueFollowsVersions(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, clock, as := env.DB, env.Clock, env.Actors
		dept := as["dept-gongan"]
		id := domainInsertEntry(t, db, "ZW-GA-0001", dept, true, "daily", domainPeopleFields)
		supply := func(v int, failed int64) {
			t.Helper()
			_, j, err := db.StartSupply(ctx, dept, shuyu.ActDomainSupply, id, sqlstore.SupplyInput{Source: "upload", FileName: "p.csv"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.FinishSupply(ctx, dept, j.ID, sqlstore.SupplyResult{Version: v, Rows: 10, Quality: 90,
				Failed: []sqlstore.QualityFailure{{Field: "id_no", Rule: "citizen_id", Message: "身份证号码错误", Failed: failed}}}); err != nil {
				t.Fatal(err)
			}
		}
		supply(1, 1)
		clock.Advance(24 * time.Hour)
		supply(2, 3)
		l, _ := db.Issues(ctx, dept, sqlstore.IssueFilter{EntryID: id})
		if len(l) != 1 || l[0].FailedCount != 3 || l[0].Status != sqlstore.IssueOpen {
			t.Fatalf("after a second failing version: %+v", l)
		}
		clock.Advance(24 * time.Hour)
		supply(3, 0)
		l, _ = db.Issues(ctx, dept, sqlstore.IssueFilter{EntryID: id})
		if len(l) != 1 || l[0].Status != sqlstore.IssueFixed || l[0].OnTime == nil || !*l[0].OnTime {
			t.Fatalf("after a passing version: %+v", l[0])
		}
	})
}
