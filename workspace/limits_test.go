package workspace_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workspace"
	"shuyu/workspace/wstest"
)

// Cost limits of governed queries (docs/limits.md), over the real store,
// domain and engine.

// heavySQL is a deliberately slow governed aggregate: a three-way cross
// join of the 1500-person table (3.4 billion rows) grouped by county.
const heavySQL = "SELECT a.county, count(*) AS n FROM zw_ga_0001 a JOIN zw_ga_0001 b ON a.county = b.county JOIN zw_ga_0001 c ON b.county = c.county GROUP BY a.county"

const cheapSQL = "SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county"

type outcome struct {
	res  *workspace.Result
	err  error
	done time.Time
}

// start runs a query in the background.
func (e *env) start(actor *shuyu.Actor, id int64, sql string) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		res, err := e.svc.Query(context.Background(), actor, id, sql, shuyu.DataReal)
		ch <- outcome{res, err, time.Now()}
	}()
	return ch
}

// waitRunning waits until the overseer sees n real-data queries of
// workspace id running, and returns them.
func (e *env) waitRunning(t *testing.T, id int64, n int) []workspace.RunningQuery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		qs, err := e.svc.RunningQueries(context.Background(), e.Actors["operator-admin"])
		if err != nil {
			t.Fatal(err)
		}
		var mine []workspace.RunningQuery
		for _, q := range qs {
			if q.WorkspaceID == id && q.State == workspace.StateRunning {
				mine = append(mine, q)
			}
		}
		if len(mine) == n {
			return mine
		}
		if time.Now().After(deadline) {
			t.Fatalf("workspace %d: %d queries running, want %d", id, len(mine), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openB opens a workspace for merchant-b over the population entry.
func (e *env) openB(t *testing.T) int64 {
	t.Helper()
	ws, err := e.DB.OpenWorkspace(context.Background(), e.Actors["operator-admin"], shuyu.WorkspaceGrant{
		OrgID: e.Actors["merchant-b"].OrgID, Name: "人口结构", StartsAt: wstest.Now, EndsAt: wstest.Now.AddDate(1, 0, 0),
		Entries: []shuyu.GrantEntry{{EntryCode: wstest.PopulationCode}, {EntryCode: wstest.MedicalCode}}})
	if err != nil {
		t.Fatal(err)
	}
	return ws.ID
}

func reasonCodes(r *workspace.Result) string {
	var cs []string
	for _, x := range r.Reasons {
		cs = append(cs, x.Code)
	}
	return strings.Join(cs, ",")
}

// R4.2, R14.2: a merchant's heavy query runs under its time budget and
// neither blocks the same merchant's cheap count nor another merchant's:
// both answer long before the heavy query ends at its budget.
func TestScheduler_R4_2_HeavyQueryBlocksNeitherOwnNorOthersCheapQueries(t *testing.T) {
	// Not t.Parallel, and the backends in turn: its heavy query loads every
	// core for seconds, and this test and others time themselves.
	sqltest.EachBackendInTurn(t, func(t *testing.T, b string) {
		e := newEnv(t, b)
		budget := 4 * time.Second
		e.svc.Timeout = budget
		idB := e.openB(t)
		began := time.Now()
		heavy := e.start(e.m, e.ws.ID, heavySQL)
		e.waitRunning(t, e.ws.ID, 1)

		t0 := time.Now()
		own := e.query(t, cheapSQL, shuyu.DataReal)
		ownTook := time.Since(t0)
		t0 = time.Now()
		other, err := e.svc.Query(context.Background(), e.Actors["merchant-b"], idB, cheapSQL, shuyu.DataReal)
		otherTook := time.Since(t0)
		if err != nil {
			t.Fatal(err)
		}
		h := <-heavy
		if h.err != nil {
			t.Fatalf("heavy query: %v", h.err)
		}
		heavyTook := h.done.Sub(began)
		t.Logf("heavy %s (%s %s), own cheap %s, other merchant's cheap %s", heavyTook, h.res.Status, reasonCodes(h.res), ownTook, otherTook)
		if own.Status != "released" || other.Status != "released" {
			t.Errorf("cheap queries: %s (%s), %s (%s)", own.Status, reasonCodes(own), other.Status, reasonCodes(other))
		}
		// The heavy query was really heavy: it ran into its budget, and
		// ended with the engine's one uniform failure outcome (a timeout
		// is not told apart from other failures, docs/disclosure.md).
		if h.res.Status != "rejected" || reasonCodes(h.res) != "execution" {
			t.Fatalf("heavy query: %s %+v", h.res.Status, h.res.Reasons)
		}
		if heavyTook < budget || heavyTook > budget+10*time.Second {
			t.Errorf("heavy query took %s with a budget of %s", heavyTook, budget)
		}
		if bound := budget / 2; ownTook > bound || otherTook > bound {
			t.Errorf("cheap queries waited behind the heavy one: own %s, other %s (bound %s)", ownTook, otherTook, bound)
		}
		// The budget's end is recorded in the history like any rejection.
		hist, err := e.DB.WorkspaceQueries(context.Background(), e.m, e.ws.ID, 5)
		if err != nil || len(hist) != 2 || hist[0].Status != "rejected" || hist[0].Rules[0] != "execution" {
			t.Errorf("history %+v (%v)", hist, err)
		}
		if qs, _ := e.svc.RunningQueries(context.Background(), e.Actors["operator-admin"]); len(qs) != 0 {
			t.Errorf("still registered: %+v", qs)
		}
	})
}

// R27.1, R4.2: the operator sees a running query (workspace, merchant, user,
// SQL) and cancels it with a reason; the cancellation is audited before the
// query stops, and the merchant gets the uniform outcome, in its history
// too. Merchants may neither list nor cancel.
func TestRunning_R27_1_OperatorCancelsRunningQuery(t *testing.T) {
	// Not t.Parallel, and the backends in turn: its heavy query loads every
	// core for seconds, and this test and others time themselves.
	sqltest.EachBackendInTurn(t, func(t *testing.T, b string) {
		e := newEnv(t, b)
		e.svc.Timeout = 60 * time.Second
		ctx := context.Background()
		op, m := e.Actors["operator-admin"], e.m
		heavy := e.start(m, e.ws.ID, heavySQL)
		qs := e.waitRunning(t, e.ws.ID, 1)
		q := qs[0]
		if q.SQL != heavySQL || q.Username != "merchant-a" || q.OrgID != m.OrgID || q.WorkspaceName != e.ws.Name ||
			len(q.SQLHash) != 64 || q.StartedAt == nil || len(q.Token) != 24 {
			t.Errorf("running query %+v", q)
		}
		for _, who := range []string{"merchant-a", "merchant-b", "dept-gongan", "auditadmin"} {
			if _, err := e.svc.RunningQueries(ctx, e.Actors[who]); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
				t.Errorf("%s lists running queries: %v", who, err)
			}
			if _, err := e.svc.CancelQuery(ctx, e.Actors[who], q.Token, "我要取消这个查询"); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
				t.Errorf("%s cancels: %v", who, err)
			}
		}
		if _, err := e.svc.CancelQuery(ctx, op, q.Token, " "); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("cancel without a reason: %v", err)
		}
		if _, err := e.svc.CancelQuery(ctx, op, "0123456789abcdef01234567", "占用资源过多"); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("cancel of an unknown query: %v", err)
		}
		t0 := time.Now()
		got, err := e.svc.CancelQuery(ctx, op, q.Token, "占用资源过多，影响其他商户")
		if err != nil || got.State != workspace.StateCancelling {
			t.Fatalf("cancel: %+v %v", got, err)
		}
		h := <-heavy
		if h.err != nil {
			t.Fatalf("cancelled query answered an error: %v", h.err)
		}
		if time.Since(t0) > 10*time.Second {
			t.Errorf("the query stopped %s after the cancel", time.Since(t0))
		}
		if h.res.Status != "rejected" || len(h.res.Reasons) != 1 || h.res.Reasons[0].Code != "cancelled" ||
			h.res.Reasons[0].Message != "查询已被运营机构取消 (query cancelled by the operator)" || len(h.res.Rows) != 0 {
			t.Errorf("merchant's outcome %+v", h.res)
		}
		hist, err := e.DB.WorkspaceQueries(ctx, m, e.ws.ID, 5)
		if err != nil || len(hist) != 1 || hist[0].ID != h.res.ID || hist[0].Reasons[0].Code != "cancelled" {
			t.Errorf("history %+v (%v)", hist, err)
		}
		if _, err := e.svc.CancelQuery(ctx, op, q.Token, "再取消一次试试"); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("cancel of an ended query: %v", err)
		}
		evs, err := e.DB.Events(ctx, e.Actors["auditadmin"], sqlstore.EventFilter{Action: "workspace.query_cancel"}, false)
		if err != nil || len(evs) != 1 {
			t.Fatalf("cancel events %d (%v)", len(evs), err)
		}
		ev := evs[0]
		if ev.ActorName != "operator-admin" || ev.Reason != "占用资源过多，影响其他商户" || !strings.Contains(ev.Detail, q.Token) ||
			!strings.Contains(ev.Detail, q.SQLHash) || ev.ObjectType != "workspace" {
			t.Errorf("cancel event %+v", ev)
		}
	})
}

// R4.2: a query cancelled while it waits for a slot gets the same outcome,
// recorded, and never runs.
func TestRunning_R27_1_CancelWhileQueued(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.svc.Timeout = 60 * time.Second
	e.svc.Limits = workspace.Limits{PerWorkspace: 1, Total: 2}
	ctx := context.Background()
	op := e.Actors["operator-admin"]
	heavy := e.start(e.m, e.ws.ID, heavySQL)
	running := e.waitRunning(t, e.ws.ID, 1)
	queued := e.start(e.m, e.ws.ID, cheapSQL)
	var token string
	for deadline := time.Now().Add(10 * time.Second); token == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		qs, _ := e.svc.RunningQueries(ctx, op)
		for _, q := range qs {
			if q.State == workspace.StateQueued {
				token = q.Token
			}
		}
	}
	if token == "" {
		t.Fatal("the second query never queued")
	}
	if _, err := e.svc.CancelQuery(ctx, op, token, "排队过久，先行取消"); err != nil {
		t.Fatal(err)
	}
	q := <-queued
	if q.err != nil || q.res.Status != "rejected" || reasonCodes(q.res) != "cancelled" {
		t.Errorf("queued query: %+v %v", q.res, q.err)
	}
	if _, err := e.svc.CancelQuery(ctx, op, running[0].Token, "测试结束，取消"); err != nil {
		t.Fatal(err)
	}
	if h := <-heavy; h.err != nil || reasonCodes(h.res) != "cancelled" {
		t.Errorf("heavy query: %+v %v", h.res, h.err)
	}
	hist, _ := e.DB.WorkspaceQueries(ctx, e.m, e.ws.ID, 5)
	if len(hist) != 2 || hist[0].Rules[0] != "cancelled" || hist[1].Rules[0] != "cancelled" {
		t.Errorf("history %+v", hist)
	}
}

// withheldInDomain lists the workspace's withheld tables in the domain.
func (e *env) withheldInDomain(t *testing.T) []string {
	t.Helper()
	conn, err := e.Vault.Locked(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(context.Background(), `SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY table_name`,
		"ws_w"+itoa(e.ws.ID))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func withheldTables(t *testing.T, e *env) []workspace.Table {
	t.Helper()
	d, err := e.svc.Describe(context.Background(), e.m, e.ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []workspace.Table
	for _, tb := range d.Tables {
		if tb.Kind == "withheld" {
			out = append(out, tb)
		}
	}
	return out
}

const rowLevelSQL = "SELECT gender, birth_date FROM zw_ga_0001"

// R4.2: a workspace keeps at most its quota of withheld results. A
// row-level query over the quota is refused before it runs, with a static
// reason that depends only on how many results the workspace keeps;
// aggregates still run. Each kept result shows when it expires.
func TestQuota_R4_2_WithheldQuotaRefusesRowLevelQueriesBeforeRunning(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		e := newEnv(t, b)
		e.svc.Limits.WithheldQuota = 2
		for i := 0; i < 2; i++ {
			if r := e.query(t, rowLevelSQL, shuyu.DataReal); r.Status != "withheld" {
				t.Fatalf("row-level query %d: %s %+v", i, r.Status, r.Reasons)
			}
		}
		r := e.query(t, rowLevelSQL, shuyu.DataReal)
		if r.Status != "rejected" || reasonCodes(r) != "withheld_quota" || r.Table != "" ||
			!strings.Contains(r.Reasons[0].Message, "明细结果表已达上限") || !strings.Contains(r.Reasons[0].Message, "2 个") {
			t.Errorf("over the quota: %s %+v", r.Status, r.Reasons)
		}
		// Same refusal whatever the query would have selected: only the count matters.
		r2 := e.query(t, "SELECT county FROM zw_ga_0001 WHERE gender = '女'", shuyu.DataReal)
		if r2.Status != "rejected" || r2.Reasons[0].Message != r.Reasons[0].Message {
			t.Errorf("second refusal differs: %+v vs %+v", r2.Reasons, r.Reasons)
		}
		if got := e.withheldInDomain(t); len(got) != 2 {
			t.Errorf("domain holds %v, want two results", got)
		}
		if a := e.query(t, cheapSQL, shuyu.DataReal); a.Status != "released" {
			t.Errorf("aggregate over the quota: %s %+v", a.Status, a.Reasons)
		}
		ws := withheldTables(t, e)
		if len(ws) != 2 {
			t.Fatalf("withheld tables %+v", ws)
		}
		for _, tb := range ws {
			if tb.ExpiresAt == nil || !tb.ExpiresAt.Equal(wstest.Now.Add(7*24*time.Hour)) {
				t.Errorf("%s expires %v, want %v", tb.Name, tb.ExpiresAt, wstest.Now.Add(7*24*time.Hour))
			}
		}
	})
}

// R4.2, R27.1: withheld results expire after their retention, counted on
// the injected clock: the sweep drops them from the domain and marks them
// expired in the store (audited as the system), once; their names are not
// given again, and the quota frees up.
func TestExpiry_R4_2_SweepDropsExpiredWithheldResults(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		e := newEnv(t, b)
		ctx := context.Background()
		e.svc.Limits.WithheldQuota = 1
		first := e.query(t, rowLevelSQL, shuyu.DataReal)
		if first.Status != "withheld" {
			t.Fatalf("row-level query: %+v", first)
		}
		e.Clock.Advance(6 * 24 * time.Hour)
		if rep, err := e.svc.ExpireWithheld(ctx); err != nil || rep.Dropped != 0 {
			t.Fatalf("sweep before the expiry: %+v %v", rep, err)
		}
		if r := e.query(t, rowLevelSQL, shuyu.DataReal); reasonCodes(r) != "withheld_quota" {
			t.Errorf("quota before the expiry: %s %+v", r.Status, r.Reasons)
		}
		e.Clock.Advance(24*time.Hour + time.Minute)
		rep, err := e.svc.ExpireWithheld(ctx)
		if err != nil || rep.Dropped != 1 {
			t.Fatalf("sweep after the expiry: %+v %v", rep, err)
		}
		if got := e.withheldInDomain(t); len(got) != 0 {
			t.Errorf("domain still holds %v", got)
		}
		if got := withheldTables(t, e); len(got) != 0 {
			t.Errorf("workspace still lists %+v", got)
		}
		if rep, err := e.svc.ExpireWithheld(ctx); err != nil || rep.Dropped != 0 {
			t.Errorf("second sweep: %+v %v", rep, err)
		}
		evs, err := e.DB.Events(ctx, e.Actors["auditadmin"], sqlstore.EventFilter{Action: "workspace.table_expire"}, false)
		if err != nil || len(evs) != 1 || evs[0].ActorName != "system" || !strings.Contains(evs[0].Detail, first.Table) {
			t.Errorf("expiry events %+v (%v)", evs, err)
		}
		// The expired result's name stays taken; the quota has room again.
		again := e.query(t, rowLevelSQL, shuyu.DataReal)
		if again.Status != "withheld" || again.Table == first.Table {
			t.Errorf("after the expiry: %s table %q (first was %q)", again.Status, again.Table, first.Table)
		}
		// The history still names the expired result's query.
		hist, _ := e.DB.WorkspaceQueries(ctx, e.m, e.ws.ID, 10)
		if len(hist) != 3 || hist[2].Status != "withheld" {
			t.Errorf("history %+v", hist)
		}
	})
}

// R28.3: concurrent queries of one workspace each record exactly the
// release entries they appended, never another query's, and the
// differential-privacy budget is charged exactly: with ε for ten releases,
// twelve concurrent queries release ten and refuse two.
func TestScheduler_R28_3_ConcurrentQueriesKeepTheirOwnReleases(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx := context.Background()
	e.svc.Limits = workspace.Limits{PerWorkspace: 4, Total: 5, QueueLen: 20}
	ws, err := e.DB.OpenWorkspace(ctx, e.Actors["operator-admin"], shuyu.WorkspaceGrant{
		OrgID: e.m.OrgID, Name: "差分隐私分析", StartsAt: wstest.Now, EndsAt: wstest.Now.AddDate(1, 0, 0), Epsilon: 5,
		Entries: []shuyu.GrantEntry{{EntryCode: wstest.PopulationCode}}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	chs := make([]<-chan outcome, n)
	for i := range chs {
		chs[i] = e.start(e.m, ws.ID, cheapSQL)
	}
	released := 0
	for _, ch := range chs {
		o := <-ch
		switch {
		case o.err != nil:
			t.Fatal(o.err)
		case o.res.Status == "released":
			released++
		case reasonCodes(o.res) != "dp_budget":
			t.Errorf("refused for %s: %+v", reasonCodes(o.res), o.res.Reasons)
		}
	}
	rels, err := e.DB.WorkspaceReleases(ctx, ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	spent := 0.0
	for _, r := range rels {
		spent += r.Epsilon
	}
	if released != 10 || len(rels) != 10 || spent > 5+1e-9 {
		t.Errorf("%d released, %d release entries, ε spent %g of 5", released, len(rels), spent)
	}
	evs, err := e.DB.Events(ctx, e.Actors["auditadmin"], sqlstore.EventFilter{Action: "workspace.query"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		rel := strings.Contains(ev.Detail, `"status":"released"`)
		if rel != strings.Contains(ev.Detail, `"releases":1`) || !rel && !strings.Contains(ev.Detail, `"releases":0`) {
			t.Errorf("query event records %s", ev.Detail)
		}
	}
}
