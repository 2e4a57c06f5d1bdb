package supply

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/vault"
)

// pullWorld is a store, a domain and a published daily entry
// (ZW-SC-0001, 市场主体登记) of the market regulator, supplied by pulls.
type pullWorld struct {
	db    *sqlstore.DB
	clock *sqltest.Clock
	v     *vault.Domain
	svc   *Service
	dept  *shuyu.Actor
	other *shuyu.Actor // another department
	entry int64
}

// pullFields are the entry's fields: an id, a name, an amount, a flag and
// a time.
var pullFields = []shuyu.CatalogField{
	{Name: "id", Label: "编号", DataType: "integer", Grade: shuyu.GradeGeneral},
	{Name: "name", Label: "名称", DataType: "string", Grade: shuyu.GradeGeneral},
	{Name: "capital", Label: "注册资本", DataType: "decimal", Grade: shuyu.GradeGeneral},
	{Name: "active", Label: "存续", DataType: "boolean", Grade: shuyu.GradeGeneral},
	{Name: "updated_at", Label: "更新时间", DataType: "timestamp", Grade: shuyu.GradeGeneral},
}

// syncBuffer is a log sink the background jobs write to while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

var pullNow = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC) // 10:00 in Zhongwei

func newPullWorld(t testing.TB, env *sqltest.Env) (*pullWorld, *syncBuffer) {
	return newPullWorldAt(t, env, t.TempDir()+"/domain")
}

// newPullWorldAt is newPullWorld with the domain in dir.
func newPullWorldAt(t testing.TB, env *sqltest.Env, dir string) (*pullWorld, *syncBuffer) {
	t.Helper()
	ctx := context.Background()
	env.Clock.Set(pullNow)
	v, err := vault.Open(dir, vault.Options{Now: env.Clock.Now, MemoryLimit: "256MB"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	logs := &syncBuffer{}
	w := &pullWorld{db: env.DB, clock: env.Clock, v: v, dept: env.Actors["dept-gongan"], other: env.Actors["dept-haiyuan-weijian"]}
	w.svc = New(env.DB, v, "", slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	rev := shuyu.CatalogRevision{Name: "市场主体登记", Summary: "市场主体登记信息", Grade: shuyu.GradeGeneral,
		OpenAttr: shuyu.OpenConditional, AuthMode: shuyu.AuthScenario, UpdateFreq: shuyu.FreqDaily, Fields: pullFields}
	e, err := env.DB.CreateCatalogEntry(ctx, w.dept, sqlstore.NewCatalogEntry{Code: "ZW-SC-0001", Revision: rev})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		who  string
		step shuyu.CatalogStep
	}{{"dept-gongan", shuyu.StepSubmit}, {"authority", shuyu.StepApproveCity}, {"operator-admin", shuyu.StepPublish}} {
		if _, err := env.DB.CatalogStep(ctx, env.Actors[s.who], e.ID, s.step, ""); err != nil {
			t.Fatalf("%s: %v", s.step, err)
		}
	}
	w.entry = e.ID
	return w, logs
}

// pull runs source id now and waits for it.
func (w *pullWorld) pull(t *testing.T, id int64) *sqlstore.PullRun {
	t.Helper()
	ps, p, err := w.svc.RunPull(context.Background(), w.dept, id, sqlstore.PullByHand)
	if err != nil {
		t.Fatalf("run pull: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	runs, err := w.db.PullRuns(context.Background(), w.dept, id, 1)
	if err != nil || len(runs) == 0 || runs[0].ID != ps.Run.ID {
		t.Fatalf("runs: %v %v", runs, err)
	}
	return runs[0]
}

// rows reads the current version back, ordered by id, as text.
func (w *pullWorld) rows(t *testing.T) []string {
	t.Helper()
	_, rows, _, err := w.v.Preview(context.Background(), "zw_sc_0001", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r...))
	}
	sort.Strings(out)
	return out
}

func (w *pullWorld) current(t *testing.T) *vault.Version {
	t.Helper()
	v, err := w.v.Current(context.Background(), "zw_sc_0001")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// platform is a stand-in for the sharing platform's interface (the remote
// party, not our code): it checks the HMAC-SM3 signature and serves pages.
type platform struct {
	mu      sync.Mutex
	key     string
	secret  string
	records []map[string]any
	pages   int
	nonces  map[string]bool
}

func (p *platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ts, nonce := r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce")
	q := r.URL.Query()
	want := Sign(p.secret, SigningString(r.Method, r.URL.EscapedPath(), q, ts, nonce))
	if r.Header.Get("X-App-Key") != p.key || r.Header.Get("X-Signature") != want || p.nonces[nonce] {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"code": 401, "message": "signature"})
		return
	}
	p.nonces[nonce] = true
	p.pages++
	page, _ := strconv.Atoi(q.Get("page"))
	size, _ := strconv.Atoi(q.Get("page_size"))
	since := q.Get("since")
	var sel []map[string]any
	for _, r := range p.records {
		if since == "" || r["updated_at"].(string) > since {
			sel = append(sel, r)
		}
	}
	from, to := (page-1)*size, page*size
	if from > len(sel) {
		from = len(sel)
	}
	if to > len(sel) {
		to = len(sel)
	}
	json.NewEncoder(w).Encode(map[string]any{"code": 0, "data": map[string]any{"total": len(sel), "records": sel[from:to]}})
}

func company(i int, updated string) map[string]any {
	return map[string]any{"id": i, "name": fmt.Sprintf("中卫市第%d商贸有限公司", i), "capital": fmt.Sprintf("%d.50", 100+i),
		"active": i%3 != 0, "updated_at": updated}
}

// An HTTP source: the signed interface is read page by page into a new
// version; a snapshot detects deletes; a rule the pulled data fails raises
// a quality issue to the department, which a later pull of corrected data
// marks fixed (R11.1); a wrong secret is an authentication failure that
// keeps the version; the secret is in no answer and no log line (issue 18,
// R10.1).
func TestPull_R10_1_R11_1_HTTPPagingSignatureAndSecret(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w, logs := newPullWorld(t, env)
		ctx := context.Background()
		const secret = "s3cret-不可外泄-7f1e"
		pf := &platform{key: "zw-scjg", secret: secret, nonces: map[string]bool{}}
		for i := 1; i <= 25; i++ {
			pf.records = append(pf.records, company(i, fmt.Sprintf("2026-03-01 0%d:00:00", i%10)))
		}
		srv := httptest.NewServer(pf)
		defer srv.Close()
		in := sqlstore.PullSourceInput{Name: "共享交换平台", Kind: sqlstore.PullHTTP, Secret: secret,
			Config: sqlstore.PullConfig{URL: srv.URL + "/api/scjg/companies", AppKey: "zw-scjg", PageSize: 10,
				Mode: sqlstore.PullSnapshot, Key: []string{"id"}}}
		src, err := w.svc.RegisterPullSource(ctx, w.dept, w.entry, in)
		if err != nil {
			t.Fatalf("register: %v", err)
		}
		if _, err := w.svc.RegisterPullSource(ctx, w.other, w.entry, in); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("another department registers: %v", err)
		}
		run := w.pull(t, src.ID)
		if run.Status != sqlstore.PullRunDone || run.SourceRows != 25 || run.PulledRows != 25 || run.VersionRows != 25 || !run.Reconciled {
			t.Fatalf("run = %+v", run)
		}
		if pf.pages < 3 {
			t.Fatalf("pages = %d", pf.pages)
		}
		if got := w.current(t); got.N != 1 || got.Rows != 25 {
			t.Fatalf("version %+v", got)
		}
		// The platform drops two companies: the snapshot notices. A range
		// rule some companies fail raises a quality issue routed to the
		// department (R11.1), as for an upload: ids 10 to 25 hold 110.50 and more.
		max := 110.0
		if err := w.db.SetFieldRules(ctx, w.dept, w.entry, []sqlstore.FieldRule{{Field: "capital", Max: &max}}, "注册资本上限"); err != nil {
			t.Fatal(err)
		}
		pf.records = pf.records[2:]
		run = w.pull(t, src.ID)
		if run.Status != sqlstore.PullRunDone || run.DeletedRows != 2 || run.VersionRows != 23 {
			t.Fatalf("snapshot with deletes: %+v", run)
		}
		issues, err := w.db.Issues(ctx, w.dept, sqlstore.IssueFilter{EntryID: w.entry})
		if err != nil || len(issues) != 1 || issues[0].Field != "capital" || issues[0].FailedCount != 16 {
			t.Fatalf("quality issue of the pulled version: %+v %v", issues, err)
		}
		inbox, _, err := w.db.Inbox(ctx, w.dept, 20, false)
		notified := false
		for _, n := range inbox {
			notified = notified || n.Kind == "domain.issue"
		}
		if err != nil || !notified {
			t.Fatalf("the department was not told of the quality issue: %+v %v", inbox, err)
		}
		// The loop closes through the source (R11.1): the department
		// corrects the data at the source, the next pull's version passes
		// the rule, and the automatic issue is marked fixed by it.
		for _, r := range pf.records {
			r["capital"] = "100.00"
		}
		run = w.pull(t, src.ID)
		if run.Status != sqlstore.PullRunDone || run.Version != 3 {
			t.Fatalf("corrected pull: %+v", run)
		}
		issues, err = w.db.Issues(ctx, w.dept, sqlstore.IssueFilter{EntryID: w.entry})
		if err != nil || len(issues) != 1 || issues[0].Status != sqlstore.IssueFixed {
			t.Fatalf("quality issue after the corrected pull: %+v %v", issues, err)
		}
		// A wrong secret: authentication, version 2 stays current.
		bad := in
		bad.Secret = "wrong"
		if _, err := w.db.UpdatePullSource(ctx, w.dept, src.ID, bad); err != nil {
			t.Fatal(err)
		}
		run = w.pull(t, src.ID)
		if run.Status != sqlstore.PullRunFailed || run.ErrorKind != sqlstore.PullErrAuth {
			t.Fatalf("bad signature: %+v", run)
		}
		if got := w.current(t); got.N != 3 {
			t.Fatalf("failed pull changed the version: %+v", got)
		}
		// The secret shows nowhere: not in the source, its runs, the jobs, the log.
		srcs, _ := w.db.PullSources(ctx, w.dept, w.entry)
		runs, _ := w.db.PullRuns(ctx, w.dept, src.ID, 10)
		jobs, _ := w.db.SupplyJobs(ctx, w.dept, w.entry, 10)
		events, _ := json.Marshal([]any{srcs, runs, jobs})
		for _, s := range []string{string(events), logs.String()} {
			if strings.Contains(s, secret) || strings.Contains(s, "wrong") {
				t.Fatalf("secret leaked: %s", s)
			}
		}
		if !srcs[0].HasSecret || srcs[0].Status != sqlstore.PullStatusFailing {
			t.Fatalf("source = %+v", srcs[0])
		}
	})
}

// pgSourceDB makes a PostgreSQL database standing in for a department's
// front-end database; the test skips without SHUYU_TEST_POSTGRES.
func pgSourceDB(t *testing.T) (string, sqlstore.PullConfig) {
	t.Helper()
	if os.Getenv("SHUYU_TEST_POSTGRES") == "" {
		if os.Getenv("SHUYU_REQUIRE_POSTGRES") != "" {
			t.Fatal("SHUYU_REQUIRE_POSTGRES is set but SHUYU_TEST_POSTGRES is empty")
		}
		t.Skip("SHUYU_TEST_POSTGRES not set: no PostgreSQL source to pull from")
	}
	return pgSourceDBFrom(t, sqltest.FreshPostgres(t))
}

// pgSourceDBFrom is the pull config of the database at URL u.
func pgSourceDBFrom(t testing.TB, u string) (string, sqlstore.PullConfig) {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(pu.Port())
	return u, sqlstore.PullConfig{Host: pu.Hostname(), Port: port, Database: strings.TrimPrefix(pu.Path, "/"), User: pu.User.Username()}
}

// An HTTP source pulled incrementally: the platform is asked only for
// records past the watermark (the since parameter), which are merged by
// key onto the current version (issue 18; R10.1).
func TestPull_R10_1_HTTPIncrementalSince(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w, _ := newPullWorld(t, env)
		pf := &platform{key: "k", secret: "s", nonces: map[string]bool{}}
		for i := 1; i <= 12; i++ {
			pf.records = append(pf.records, company(i, fmt.Sprintf("2026-03-01 08:%02d:00", i)))
		}
		srv := httptest.NewServer(pf)
		defer srv.Close()
		src, err := w.svc.RegisterPullSource(context.Background(), w.dept, w.entry, sqlstore.PullSourceInput{Name: "增量接口",
			Kind: sqlstore.PullHTTP, Secret: "s", Config: sqlstore.PullConfig{URL: srv.URL + "/inc", AppKey: "k", PageSize: 5,
				Mode: sqlstore.PullIncremental, Watermark: "updated_at", Key: []string{"id"}}})
		if err != nil {
			t.Fatal(err)
		}
		run := w.pull(t, src.ID)
		if run.Status != sqlstore.PullRunDone || run.PulledRows != 12 || run.WatermarkTo != "2026-03-01 08:12:00" {
			t.Fatalf("first pull: %+v", run)
		}
		changed := company(3, "2026-03-02 09:00:00")
		changed["name"] = "中卫市第3商贸有限公司（更名）"
		pf.mu.Lock()
		pf.records[2] = changed
		pf.records = append(pf.records, company(13, "2026-03-02 09:00:00"))
		pf.mu.Unlock()
		run = w.pull(t, src.ID)
		if run.Status != sqlstore.PullRunDone || run.PulledRows != 2 || run.VersionRows != 13 || !run.Reconciled ||
			run.WatermarkFrom != "2026-03-01 08:12:00" || run.WatermarkTo != "2026-03-02 09:00:00" {
			t.Fatalf("incremental pull: %+v", run)
		}
		renamed := 0
		for _, r := range w.rows(t) {
			if strings.Contains(r, "（更名）") {
				renamed++
			}
		}
		if renamed != 1 {
			t.Fatalf("renamed rows: %d", renamed)
		}
	})
}

// A pull requested from the command line (sqlstore.RequestPull) is started
// by the domain owner's minute loop outside the source's window, as a
// manual pull, once (issue 18: "run now"; R10.2).
func TestPull_R10_2_RequestedPullStartedByTheLoop(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w, _ := newPullWorld(t, env) // 10:00 CST, outside 01:00-05:00
		ctx := context.Background()
		pf := &platform{key: "zw-scjg", secret: "s3cret", nonces: map[string]bool{}}
		for i := 1; i <= 5; i++ {
			pf.records = append(pf.records, company(i, "2026-03-01 01:00:00"))
		}
		srv := httptest.NewServer(pf)
		defer srv.Close()
		src, err := w.svc.RegisterPullSource(ctx, w.dept, w.entry, sqlstore.PullSourceInput{Name: "共享交换平台", Kind: sqlstore.PullHTTP,
			Secret: "s3cret", Config: sqlstore.PullConfig{URL: srv.URL + "/api/scjg/companies", AppKey: "zw-scjg",
				Mode: sqlstore.PullSnapshot, Key: []string{"id"}}})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := w.svc.RunDuePulls(ctx); n != 0 || err != nil {
			t.Fatalf("started outside the window: %d %v", n, err)
		}
		if _, err := w.db.RequestPull(ctx, shuyu.System, src.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := w.svc.RunDuePulls(ctx); n != 1 || err != nil {
			t.Fatalf("requested pull not started: %d %v", n, err)
		}
		var runs []*sqlstore.PullRun
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if runs, err = w.db.PullRuns(ctx, w.dept, src.ID, 10); err != nil {
				t.Fatal(err)
			}
			if len(runs) == 1 && runs[0].Status != sqlstore.PullRunRunning {
				break
			}
		}
		if len(runs) != 1 || runs[0].Status != sqlstore.PullRunDone || runs[0].Trigger != sqlstore.PullByHand || runs[0].VersionRows != 5 {
			t.Fatalf("runs: %+v", runs)
		}
		if n, _ := w.svc.RunDuePulls(ctx); n != 0 {
			t.Fatal("the request started a second pull")
		}
	})
}
