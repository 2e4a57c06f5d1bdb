package workspace_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
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

type env struct {
	*wstest.Fixture
	svc *workspace.Service
	ws  *shuyu.Workspace
	m   *shuyu.Actor
}

func newEnv(t *testing.T, backend string) *env {
	f := wstest.New(t, backend, 1500)
	svc := workspace.New(f.DB, f.Vault, f.Dir, f.Clock.Now)
	t.Cleanup(func() { svc.Close() })
	return &env{Fixture: f, svc: svc, ws: f.Open(t), m: f.Actors["merchant-a"]}
}

func (e *env) query(t *testing.T, sql, data string) *workspace.Result {
	t.Helper()
	res, err := e.svc.Query(context.Background(), e.m, e.ws.ID, sql, data)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return res
}

func policies(ws *shuyu.Workspace) map[string]string {
	out := map[string]string{}
	for _, g := range ws.Grants {
		for _, f := range g.Fields {
			out[g.Table+"."+f.Name] = f.Policy
		}
	}
	return out
}

func TestOpenWorkspace_R14_1_R2_1_GrantsPoliciesAndK(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		e := newEnv(t, b)
		p := policies(e.ws)
		want := map[string]string{
			"zw_ga_0001.id_number": "identifier", "zw_ga_0001.name": "identifier", "zw_ga_0001.phone": "identifier",
			"zw_ga_0001.address": "identifier", "zw_ga_0001.gender": "quasi", "zw_ga_0001.birth_date": "quasi",
			"zw_ga_0001.county": "open", "zw_yb_0001.settlement_id": "identifier",
			"zw_yb_0001.diagnosis_category": "sensitive", "zw_yb_0001.total_amount": "sensitive", "zw_yb_0001.hospital": "open",
		}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("%s: policy %q, want %q", k, p[k], v)
			}
		}
		if e.ws.K != 15 || e.ws.Status != shuyu.WorkspaceActive { // important data: K = 15 (R28.3)
			t.Errorf("K %d status %s", e.ws.K, e.ws.Status)
		}
		ctx := context.Background()
		// Only granted fields: a grant of two population fields gives a table of two.
		ws2, err := e.DB.OpenWorkspace(ctx, e.Actors["operator-admin"], shuyu.WorkspaceGrant{OrgID: e.Actors["merchant-b"].OrgID,
			Name: "人口结构", StartsAt: wstest.Now, EndsAt: wstest.Now.AddDate(0, 6, 0),
			Entries: []shuyu.GrantEntry{{EntryCode: wstest.PopulationCode, Fields: []string{"county", "gender"}}}, K: 30})
		if err != nil {
			t.Fatal(err)
		}
		if len(ws2.Grants) != 1 || len(ws2.Grants[0].Fields) != 2 || ws2.K != 30 {
			t.Errorf("narrow grant: %+v", ws2)
		}
		// Bad input changes nothing: unknown field, K under 5, a merchant opening, a non-merchant org.
		for name, g := range map[string]shuyu.WorkspaceGrant{
			"unknown field": {OrgID: e.m.OrgID, Name: "测试", StartsAt: wstest.Now, EndsAt: wstest.Now.AddDate(1, 0, 0),
				Entries: []shuyu.GrantEntry{{EntryCode: wstest.PopulationCode, Fields: []string{"salary"}}}},
			"k below 5": {OrgID: e.m.OrgID, Name: "测试", StartsAt: wstest.Now, EndsAt: wstest.Now.AddDate(1, 0, 0), K: 3,
				Entries: []shuyu.GrantEntry{{EntryCode: wstest.PopulationCode}}},
			"not a merchant": {OrgID: e.Actors["dept-gongan"].OrgID, Name: "测试", StartsAt: wstest.Now, EndsAt: wstest.Now.AddDate(1, 0, 0),
				Entries: []shuyu.GrantEntry{{EntryCode: wstest.PopulationCode}}},
			"term reversed": {OrgID: e.m.OrgID, Name: "测试", StartsAt: wstest.Now, EndsAt: wstest.Now.AddDate(-1, 0, 0),
				Entries: []shuyu.GrantEntry{{EntryCode: wstest.PopulationCode}}},
		} {
			if _, err := e.DB.OpenWorkspace(ctx, e.Actors["operator-admin"], g); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := e.DB.OpenWorkspace(ctx, e.m, shuyu.WorkspaceGrant{}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Errorf("merchant opening: %v", err)
		}
		list, err := e.DB.Workspaces(ctx, e.m)
		if err != nil || len(list) != 1 || list[0].ID != e.ws.ID {
			t.Errorf("merchant-a sees %d workspaces (%v)", len(list), err)
		}
		// Another tenant's workspace is absent (invariant 3).
		if _, err := e.DB.Workspace(ctx, e.Actors["merchant-b"], e.ws.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("merchant-b reading merchant-a's workspace: %v", err)
		}
	})
}

func TestQuery_R4_2_R28_3_ReleasedWithheldRejected(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		e := newEnv(t, b)
		res := e.query(t, "SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county ORDER BY county", "real")
		if res.Status != "released" || len(res.Rows) != 3 {
			t.Fatalf("released: %+v", res)
		}
		want := map[string]int64{}
		raw := e.Raw[wstest.PopulationTable]
		ci := indexOf(raw[0], "county")
		for _, r := range raw[1:] {
			want[r[ci]]++
		}
		// Counts carry small sticky noise (docs/disclosure.md): a count
		// of persons is within a few of the truth.
		for _, r := range res.Rows {
			got, _ := strconv.ParseFloat(fmt.Sprint(r[1]), 64)
			if w := float64(want[r[0].(string)]); math.Abs(got-w) > 5 {
				t.Errorf("county %v: %v, want %v ± 5", r[0], r[1], w)
			}
		}
		// Row level: kept in the domain as a workspace table, no rows shown.
		wh := e.query(t, "SELECT p.gender, m.total_amount FROM zw_ga_0001 p JOIN zw_yb_0001 m ON p.id_number = m.id_number", "real")
		if wh.Status != "withheld" || len(wh.Rows) != 0 || wh.Table == "" || len(wh.Reasons) == 0 {
			t.Fatalf("withheld: %+v", wh)
		}
		// …and usable by a later aggregate.
		agg := e.query(t, fmt.Sprintf("SELECT gender, count(*) AS n, avg(total_amount) AS a FROM %s GROUP BY gender", wh.Table), "real")
		if agg.Status != "released" || len(agg.Rows) == 0 {
			t.Fatalf("aggregate over withheld: %+v", agg)
		}
		// Rejected, with reasons in Chinese, not run.
		for _, q := range []string{"SELECT * FROM zw_ga_0001", "SELECT name, count(*) FROM zw_ga_0001 GROUP BY name",
			"DELETE FROM zw_ga_0001", "SELECT count(*) FROM read_csv('/etc/passwd')", "SELECT count(*) FROM zw_sb_0001"} {
			r := e.query(t, q, "real")
			if r.Status != "rejected" || len(r.Reasons) == 0 || r.Reasons[0].Message == "" || len(r.Rows) != 0 {
				t.Errorf("%s: %+v", q, r)
			}
		}
		// R14.2 metering and history; R27.1 the audit has text, decision, rules and shape.
		ctx := context.Background()
		qs, err := e.DB.WorkspaceQueries(ctx, e.m, e.ws.ID, 100)
		if err != nil || len(qs) != 8 {
			t.Fatalf("history: %d %v", len(qs), err)
		}
		first := qs[len(qs)-1]
		if first.Status != "released" || first.RowsScanned < 1500 || first.RowsReturned != 3 || first.Shape.Rows != 3 ||
			len(first.Shape.Columns) != 2 || first.Username != "merchant-a" {
			t.Errorf("metering/shape: %+v", first)
		}
		u, err := e.DB.WorkspaceUsage(ctx, e.m, e.ws.ID)
		if err != nil || u.Queries != 8 || u.RowsScanned < 3000 {
			t.Errorf("usage %+v %v", u, err)
		}
		evs, err := e.DB.Events(ctx, e.Actors["auditadmin"], sqlstore.EventFilter{Action: "workspace.query", Limit: 50}, false)
		if err != nil || len(evs) != 8 {
			t.Fatalf("audit events %d %v", len(evs), err)
		}
		names := e.RawValues(wstest.PopulationTable, "name", "id_number", "phone")
		for _, ev := range evs {
			var d map[string]any
			if err := json.Unmarshal([]byte(ev.Detail), &d); err != nil || d["sql"] == "" || d["status"] == "" || d["shape"] == nil {
				t.Errorf("event detail %s", ev.Detail)
			}
			for v := range names {
				if strings.Contains(ev.Detail, v) {
					t.Fatalf("audit detail carries a raw value: %s", ev.Detail)
				}
			}
		}
	})
}

func indexOf(h []string, c string) int {
	for i, x := range h {
		if x == c {
			return i
		}
	}
	return -1
}

func TestSimulated_R6_1_NoRealRecordNoRealIdentifier(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		e := newEnv(t, b)
		ctx := context.Background()
		for _, tbl := range []string{wstest.PopulationTable, wstest.MedicalTable} {
			var buf bytes.Buffer
			if err := e.svc.WriteCSV(ctx, e.m, e.ws.ID, tbl, &buf); err != nil {
				t.Fatal(err)
			}
			twin, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
			if err != nil || len(twin) != 2001 {
				t.Fatalf("%s twin: %d rows %v", tbl, len(twin), err)
			}
			raw := e.Raw[tbl]
			if strings.Join(twin[0], ",") != strings.Join(raw[0], ",") {
				t.Errorf("twin header %v, real %v", twin[0], raw[0])
			}
			real := map[string]bool{}
			for _, r := range raw[1:] {
				real[strings.Join(r, "\x00")] = true
			}
			idents := e.RawValues(tbl, "id_number", "name", "phone", "address", "settlement_id")
			hits := 0
			for _, r := range twin[1:] {
				if real[strings.Join(r, "\x00")] {
					t.Fatalf("%s: twin reproduces a real record", tbl)
				}
				for i, v := range r {
					if idents[v] && v != "" {
						t.Errorf("%s: twin column %s carries the real value %q", tbl, twin[0][i], v)
						hits++
					}
				}
				if hits > 3 {
					t.FailNow()
				}
			}
		}
		// The twin is usable: simulated queries are free (row level too) and recorded.
		res := e.query(t, "SELECT id_number, name, county FROM zw_ga_0001 LIMIT 5", "simulated")
		if res.Status != "released" || len(res.Rows) != 5 || res.Data != "simulated" {
			t.Fatalf("simulated query: %+v", res)
		}
		// …but hold nothing else: no real table, no file, no write.
		for _, q := range []string{"SELECT * FROM v_zw_ga_0001_1", "SELECT * FROM read_csv('/etc/passwd')",
			"DROP TABLE zw_ga_0001", "SELECT 1; SELECT 2", "ATTACH '/tmp/x.db'"} {
			r := e.query(t, q, "simulated")
			if r.Status != "rejected" || len(r.Rows) != 0 {
				t.Errorf("%s: %+v", q, r)
			}
		}
		cols, rows, err := e.svc.Sample(ctx, e.m, e.ws.ID, wstest.MedicalTable, 10)
		if err != nil || len(rows) != 10 || len(cols) != 9 {
			t.Errorf("sample: %v %d %v", cols, len(rows), err)
		}
		if _, _, err := e.svc.Sample(ctx, e.Actors["merchant-b"], e.ws.ID, wstest.MedicalTable, 10); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("merchant-b sample: %v", err)
		}
	})
}

func TestQuery_R27_3_R34_1_FrozenExpiredClosedSuspended(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		e := newEnv(t, b)
		ctx := context.Background()
		q := "SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county"
		op := e.Actors["operator-admin"]
		if _, err := e.DB.SetWorkspaceStatus(ctx, op, e.ws.ID, "freeze", "x"); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("freeze without reason: %v", err)
		}
		if _, err := e.DB.SetWorkspaceStatus(ctx, e.m, e.ws.ID, "freeze", "自行冻结试试"); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Errorf("merchant freezing: %v", err)
		}
		if _, err := e.DB.SetWorkspaceStatus(ctx, e.Actors["authority"], e.ws.ID, "freeze", "安全风险排查中"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Query(ctx, e.m, e.ws.ID, q, "real"); shuyu.ErrorCode(err) != shuyu.ECONFLICT ||
			!strings.Contains(shuyu.ErrorMessage(err), "冻结") {
			t.Errorf("frozen: %v", err)
		}
		if _, err := e.DB.SetWorkspaceStatus(ctx, op, e.ws.ID, "unfreeze", ""); err != nil {
			t.Fatal(err)
		}
		if r := e.query(t, q, "real"); r.Status != "released" {
			t.Errorf("after unfreeze: %+v", r)
		}
		// R27.3: a suspended entry cannot be read; the other still can.
		if _, err := e.DB.Suspend(ctx, e.Actors["authority"], sqlstore.SuspendInput{Scope: sqlstore.SuspendEntry,
			EntryID: e.Entries[wstest.PopulationCode], Reason: "数据安全风险排查"}); err != nil {
			t.Fatal(err)
		}
		r := e.query(t, q, "real")
		if r.Status != "rejected" || !strings.Contains(fmt.Sprint(r.Reasons), "暂停") {
			t.Errorf("suspended entry: %+v", r)
		}
		if r := e.query(t, "SELECT hospital, count(*) AS n FROM zw_yb_0001 GROUP BY hospital", "real"); r.Status != "released" {
			t.Errorf("other entry: %+v", r)
		}
		// R34.1: past the term, no queries.
		e.Clock.Set(wstest.Now.AddDate(1, 0, 1))
		if _, err := e.svc.Query(ctx, e.m, e.ws.ID, q, "simulated"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("expired: %v", err)
		}
		ws, _ := e.DB.Workspace(ctx, e.m, e.ws.ID)
		if ws.Status != shuyu.WorkspaceExpired {
			t.Errorf("status %s", ws.Status)
		}
		e.Clock.Set(wstest.Now.Add(time.Hour))
		if _, err := e.DB.SetWorkspaceStatus(ctx, op, e.ws.ID, "close", "协议解除"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Query(ctx, e.m, e.ws.ID, q, "real"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("closed: %v", err)
		}
		if _, err := e.DB.SetWorkspaceStatus(ctx, op, e.ws.ID, "unfreeze", ""); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("reopen closed: %v", err)
		}
	})
}

// Differencing split across a restart gains nothing: a new service over the
// same data directory answers "everyone but the oldest" exactly as the
// first answered "everyone" (low-effect detection and sticky noise, R28.3).
func TestDifferencingAcrossRestart_R28_3(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		e := newEnv(t, b)
		first := e.query(t, "SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county", "real")
		if first.Status != "released" || len(first.Rows) != 3 {
			t.Fatalf("first: %+v", first)
		}
		raw := e.Raw[wstest.PopulationTable]
		bi, ti := indexOf(raw[0], "birth_date"), indexOf(raw[0], "township")
		// The fewest persons of one township born in one year (a birth
		// date splits by whole years only, disclosure rule 3b).
		n := map[[2]string]int{}
		for _, r := range raw[1:] {
			n[[2]string{r[bi][:4], r[ti]}]++
		}
		var few [2]string
		for k, c := range n {
			if few[0] == "" || c < n[few] || c == n[few] && k[0]+k[1] < few[0]+few[1] {
				few = k
			}
		}
		if n[few] >= 5 {
			t.Fatalf("no small township-year cell: %v has %d", few, n[few])
		}
		svc2 := workspace.New(e.DB, e.Vault, e.Dir, e.Clock.Now)
		defer svc2.Close()
		// Everyone but those few: differs from the first release by fewer than K.
		second, err := svc2.Query(context.Background(), e.m, e.ws.ID,
			fmt.Sprintf("SELECT county, count(*) AS n FROM zw_ga_0001 WHERE NOT (year(birth_date) = %s AND township = '%s') GROUP BY county", few[0], few[1]), "real")
		if err != nil {
			t.Fatal(err)
		}
		if second.Status != "released" || !reflect.DeepEqual(second.Rows, first.Rows) {
			t.Errorf("all but the oldest differs from all across a restart: %v vs %v", first.Rows, second.Rows)
		}
	})
}

// Range creep split across a restart gains nothing: two ranges that each
// select many people but differ by one person are answered alike, the
// second like the first, because the release memory is kept with the
// release record in the store (sandbox/memory.go, R28.3).
func TestRangeCreepAcrossRestart_R28_3(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		e := newEnv(t, b)
		raw := e.Raw[wstest.PopulationTable]
		bi, ci, ti := indexOf(raw[0], "birth_date"), indexOf(raw[0], "county"), indexOf(raw[0], "township")
		// Victims: the only person of their township born in their year.
		seen := map[string]int{}
		for _, r := range raw[1:] {
			seen[r[ti]+"|"+r[bi][:4]]++
		}
		var victims [][3]string // county, township, year
		for _, r := range raw[1:] {
			y := r[bi][:4]
			if seen[r[ti]+"|"+y] == 1 && y > "1960" && len(victims) < 3 {
				victims = append(victims, [3]string{r[ci], r[ti], y})
			}
		}
		if len(victims) < 3 {
			t.Fatalf("only %d people unique by township and birth year", len(victims))
		}
		q := "SELECT count(*) AS n FROM zw_ga_0001 WHERE county = '%s' AND year(birth_date) BETWEEN %d AND %s"
		for _, v := range victims {
			y, _ := strconv.Atoi(v[2])
			with := e.query(t, fmt.Sprintf(q, v[0], y-20, v[2]), "real")
			svc2 := workspace.New(e.DB, e.Vault, e.Dir, e.Clock.Now)
			without, err := svc2.Query(context.Background(), e.m, e.ws.ID,
				fmt.Sprintf(q+" AND NOT (year(birth_date) = %s AND township = '%s')", v[0], y-20, v[2], v[2], v[1]), "real")
			svc2.Close()
			if err != nil {
				t.Fatal(err)
			}
			if with.Status != "released" || without.Status != "released" {
				t.Fatalf("not released: %s / %s", with.Status, without.Status)
			}
			if !reflect.DeepEqual(with.Rows, without.Rows) {
				t.Errorf("LEAK the range with the person of %s born in %s and the range without differ: %v vs %v", v[1], v[2], with.Rows, without.Rows)
			}
		}
	})
}

// Asking the same question again gets the same answer whether it is
// remembered or computed again (sticky noise and the release memory make
// the answer a function of the question and the data), every asking is
// recorded, and anything that changes the workspace's view of the data
// computes it afresh (workspace/answercache.go, issue 10 item 8).
func TestAnswerCache_R28_3_R27_1_RepeatedQuestionsSameAnswerRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	ctx := context.Background()
	qs := []string{
		"SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county",
		"SELECT gender, avg(total_amount) AS a, median(total_amount) AS m FROM zw_yb_0001 s JOIN zw_ga_0001 p ON s.id_number = p.id_number WHERE s.total_amount > 100 GROUP BY gender",
	}
	hist0, err := e.DB.WorkspaceQueries(ctx, e.m, e.ws.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		first := e.query(t, q, "real")
		hits := e.svc.AnswersRepeated()
		again := e.query(t, q, "real")
		if e.svc.AnswersRepeated() != hits+1 {
			t.Fatalf("%s: the second asking was computed again", q)
		}
		fresh := workspace.New(e.DB, e.Vault, e.Dir, e.Clock.Now) // an empty cache: computed again
		recomputed, err := fresh.Query(ctx, e.m, e.ws.ID, q, "real")
		fresh.Close()
		if err != nil {
			t.Fatal(err)
		}
		if first.Status != "released" || !reflect.DeepEqual(first.Rows, again.Rows) || !reflect.DeepEqual(first.Rows, recomputed.Rows) {
			t.Errorf("%s: first %v, remembered %v, recomputed %v", q, first.Rows, again.Rows, recomputed.Rows)
		}
		if again.ID == first.ID || again.ID == 0 {
			t.Errorf("the remembered answer was not recorded as an asking of its own: ids %d, %d", first.ID, again.ID)
		}
	}
	hist, err := e.DB.WorkspaceQueries(ctx, e.m, e.ws.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(hist) - len(hist0); got != 3*len(qs) {
		t.Errorf("history grew by %d askings, want %d", got, 3*len(qs))
	}
	// A withheld result changes the workspace's tables: the next asking is
	// computed again.
	if r := e.query(t, "SELECT id_number, county FROM zw_ga_0001", "real"); r.Status != "withheld" {
		t.Fatalf("row-level query: %s", r.Status)
	}
	hits := e.svc.AnswersRepeated()
	e.query(t, qs[0], "real")
	if e.svc.AnswersRepeated() != hits {
		t.Error("a question was answered from before the workspace's tables changed")
	}
	// So does the next day (ages and age bands move with the reference date).
	e.query(t, qs[0], "real")
	hits = e.svc.AnswersRepeated()
	e.Clock.Set(e.Clock.Now().Add(24 * time.Hour))
	e.query(t, qs[0], "real")
	if e.svc.AnswersRepeated() != hits {
		t.Error("a question was answered from the day before")
	}
}
