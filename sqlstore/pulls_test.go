package sqlstore_test

import (
	"context"
	"fmt"

	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

var pullCST = time.FixedZone("CST", 8*3600)

// Next runs follow the entry's update frequency inside the window, in
// China Standard Time (R10.2).
func TestNextPull_R10_2_FrequencyAndWindow(t *testing.T) {
	w, err := sqlstore.ParseWindow("01:00", "05:00")
	if err != nil {
		t.Fatal(err)
	}
	at := func(d, hm string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", d+" "+hm, pullCST)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	ptr := func(x time.Time) *time.Time { return &x }
	for _, c := range []struct {
		freq      string
		last      *time.Time
		now, want time.Time
		none      bool
	}{
		{freq: "daily", now: at("2026-03-02", "10:00"), want: at("2026-03-03", "01:00")},
		{freq: "daily", now: at("2026-03-02", "00:30"), want: at("2026-03-02", "01:00")},
		{freq: "daily", last: ptr(at("2026-03-02", "01:03")), now: at("2026-03-02", "01:04"), want: at("2026-03-03", "01:00")},
		{freq: "weekly", last: ptr(at("2026-03-02", "01:03")), now: at("2026-03-02", "01:04"), want: at("2026-03-09", "01:00")},
		{freq: "monthly", last: ptr(at("2026-01-31", "02:00")), now: at("2026-01-31", "02:01"), want: at("2026-03-03", "01:00")},
		// The server was down past the due day: the next window from now.
		{freq: "daily", last: ptr(at("2026-03-01", "01:00")), now: at("2026-03-05", "12:00"), want: at("2026-03-06", "01:00")},
		{freq: "realtime", last: ptr(at("2026-03-02", "10:00")), now: at("2026-03-02", "10:05"), want: at("2026-03-02", "11:00")},
		{freq: "irregular", now: at("2026-03-02", "10:00"), none: true},
	} {
		got, ok := sqlstore.NextPull(c.freq, w, c.last, c.now)
		if ok == c.none || (ok && !got.Equal(c.want)) {
			t.Errorf("%s last=%v now=%v: got %v %v, want %v", c.freq, c.last, c.now, got, ok, c.want)
		}
	}
	if _, err := sqlstore.ParseWindow("05:00", "01:00"); err == nil {
		t.Error("window ending before it starts accepted")
	}
}

func pullInput(name string) sqlstore.PullSourceInput {
	return sqlstore.PullSourceInput{Name: name, Kind: sqlstore.PullPostgres, Secret: "pw-" + name,
		Config: sqlstore.PullConfig{Host: "10.1.2.3", Port: 5432, Database: "qzk", User: "reader", Table: "public.people",
			Mode: sqlstore.PullSnapshot}}
}

// Registering a source is the department's for its own entries, checked
// against the entry, and audited; bad settings are a 400 that stores
// nothing; the secret is sealed, never shown back (issue 18, R10.1).
func TestPullSource_R10_1_RegisterCheckedSealedAuthorized(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		dept := env.Actors["dept-gongan"]
		id := domainInsertEntry(t, env.DB, "ZW-GA-0101", dept, true, "daily", domainPeopleFields)
		draft := domainInsertEntry(t, env.DB, "ZW-GA-0102", dept, false, "daily", domainPeopleFields)
		for name, mut := range map[string]func(*sqlstore.PullSourceInput){
			"no host":       func(in *sqlstore.PullSourceInput) { in.Config.Host = "" },
			"table & query": func(in *sqlstore.PullSourceInput) { in.Config.Query = "SELECT 1" },
			"two statements": func(in *sqlstore.PullSourceInput) {
				in.Config.Table, in.Config.Query = "", "SELECT * FROM a; DROP TABLE a"
			},
			"bad table":     func(in *sqlstore.PullSourceInput) { in.Config.Table = "a; drop" },
			"unknown field": func(in *sqlstore.PullSourceInput) { in.Config.Mapping = map[string]string{"salary": "pay"} },
			"incremental without key": func(in *sqlstore.PullSourceInput) {
				in.Config.Mode, in.Config.Watermark = sqlstore.PullIncremental, "updated_at"
			},
			"no secret":  func(in *sqlstore.PullSourceInput) { in.Secret = "" },
			"bad window": func(in *sqlstore.PullSourceInput) { in.WindowStart, in.WindowEnd = "06:00", "02:00" },
			"bad kind":   func(in *sqlstore.PullSourceInput) { in.Kind = "oracle" },
		} {
			in := pullInput("前置库")
			mut(&in)
			if _, err := env.DB.RegisterPullSource(ctx, dept, id, in); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Errorf("%s: %v", name, err)
			}
		}
		if n := domainCount(t, env.DB, "pull_sources"); n != 0 {
			t.Fatalf("refused input stored %d sources", n)
		}
		if _, err := env.DB.RegisterPullSource(ctx, dept, draft, pullInput("前置库")); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("draft entry: %v", err)
		}
		if _, err := env.DB.RegisterPullSource(ctx, env.Actors["dept-haiyuan-weijian"], id, pullInput("前置库")); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("another department: %v", err)
		}
		if _, err := env.DB.RegisterPullSource(ctx, env.Actors["merchant-a"], id, pullInput("前置库")); err == nil {
			t.Fatal("a merchant registered a source")
		}
		p, err := env.DB.RegisterPullSource(ctx, dept, id, pullInput("前置库"))
		if err != nil {
			t.Fatal(err)
		}
		if !p.HasSecret || p.Status != sqlstore.PullStatusNew || p.NextRunAt == nil || p.WindowStart != "01:00" {
			t.Fatalf("source = %+v", p)
		}
		// At rest the secret is sealed: the column holds no clear text.
		var stored string
		if err := env.DB.SQL().QueryRow(env.DB.Rebind(`SELECT secret FROM pull_sources WHERE id = ?`), p.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored, "sm4:") || strings.Contains(stored, "pw-前置库") {
			t.Fatalf("secret stored as %q", stored)
		}
		if s, err := env.DB.PullSecret(ctx, dept, p.ID); err != nil || s != "pw-前置库" {
			t.Fatalf("open secret: %q %v", s, err)
		}
		// Sealed to its row: copied to another source it does not open.
		q, err := env.DB.RegisterPullSource(ctx, dept, id, pullInput("备用库"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.SQL().Exec(env.DB.Rebind(`UPDATE pull_sources SET secret = ? WHERE id = ?`), stored, q.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.PullSecret(ctx, dept, q.ID); err == nil {
			t.Fatal("a secret copied to another row opened")
		}
		if _, err := env.DB.PullSecret(ctx, env.Actors["regulator"], p.ID); err == nil {
			t.Fatal("the regulator (read only) opened the secret")
		}
	})
}

// A failed scheduled pull is retried with backoff inside its window, then
// the source is overdue: audited, the department notified; a pull that
// never ran in its window is marked overdue by the sweep, exactly once
// (issue 18, R10.2).
func TestPullSchedule_R10_2_RetriesThenOverdueAndSweep(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		dept := env.Actors["dept-gongan"]
		env.Clock.Set(time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)) // 10:00 CST
		id := domainInsertEntry(t, env.DB, "ZW-GA-0201", dept, true, "daily", domainPeopleFields)
		p, err := env.DB.RegisterPullSource(ctx, dept, id, pullInput("前置库"))
		if err != nil {
			t.Fatal(err)
		}
		if due, _ := env.DB.DuePulls(ctx); len(due) != 0 {
			t.Fatalf("due before its window: %d", len(due))
		}
		env.Clock.Set(*p.NextRunAt) // 01:00 CST the next day
		due, err := env.DB.DuePulls(ctx)
		if err != nil || len(due) != 1 {
			t.Fatalf("due in the window: %d %v", len(due), err)
		}
		cause := &shuyu.Error{Code: shuyu.ECONFLICT, Message: "无法连接来源数据库 (cannot reach)"}
		trigger := sqlstore.PullBySchedule
		for i := 1; i <= sqlstore.PullRetries+1; i++ {
			ps, err := env.DB.StartPull(ctx, shuyu.System, p.ID, trigger)
			if err != nil {
				t.Fatalf("start %d: %v", i, err)
			}
			if _, err := env.DB.StartPull(ctx, shuyu.System, p.ID, trigger); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
				t.Fatalf("second pull while one runs: %v", err)
			}
			if _, err := env.DB.FailPull(ctx, shuyu.System, ps.Run.ID, cause, sqlstore.PullErrConnection, sqlstore.PullReconciliation{}); err != nil {
				t.Fatal(err)
			}
			got, _ := env.DB.PullSource(ctx, dept, p.ID)
			if i <= sqlstore.PullRetries {
				if got.Status != sqlstore.PullStatusFailing || got.NextRunAt == nil || !got.NextRunAt.After(env.Clock.Now()) ||
					got.LastError != cause.Message || got.LastErrorKind != sqlstore.PullErrConnection {
					t.Fatalf("after failure %d: %+v", i, got)
				}
				env.Clock.Set(*got.NextRunAt)
				trigger = sqlstore.PullByRetry
				continue
			}
			if got.Status != sqlstore.PullStatusOverdue || got.Failures != sqlstore.PullRetries+1 {
				t.Fatalf("after the last retry: %+v", got)
			}
		}
		inbox, _, err := env.DB.Inbox(ctx, dept, 20, false)
		if err != nil {
			t.Fatal(err)
		}
		if !pullInboxHas(inbox, "pull.overdue") {
			t.Fatalf("department not notified: %+v", inbox)
		}
		// The notice is plain Chinese like the other supply notices (the
		// inbox shows titles as they are).
		for _, n := range inbox {
			if n.Kind == "pull.overdue" && (strings.Contains(n.Title, "(") || strings.Contains(n.Title, "pull")) {
				t.Fatalf("notice title carries an English gloss: %q", n.Title)
			}
		}
		// The mount stays unmounted: nothing was supplied.
		m, _ := env.DB.Mount(ctx, dept, id)
		if m.Mounted {
			t.Fatal("a failed pull mounted data")
		}

		// A second source whose window passes without a run: the sweep.
		q, err := env.DB.RegisterPullSource(ctx, dept, id, pullInput("备用库"))
		if err != nil {
			t.Fatal(err)
		}
		env.Clock.Set(q.NextRunAt.Add(5 * time.Hour)) // past 05:00
		// Both sources missed that window (the first was due again then).
		rep, err := env.DB.Sweep(ctx)
		if err != nil || rep.PullsOverdue != 2 {
			t.Fatalf("sweep: %+v %v", rep, err)
		}
		if rep, _ := env.DB.Sweep(ctx); rep.PullsOverdue != 0 {
			t.Fatalf("second sweep marked again: %+v", rep)
		}
		got, _ := env.DB.PullSource(ctx, dept, q.ID)
		if got.Status != sqlstore.PullStatusOverdue || got.NextRunAt == nil || !got.NextRunAt.After(env.Clock.Now()) {
			t.Fatalf("swept source: %+v", got)
		}
	})
}

func pullInboxHas(ns []sqlstore.Notice, kind string) bool {
	for _, n := range ns {
		if n.Kind == kind {
			return true
		}
	}
	return false
}

// An entry whose last version is still fresh by its update frequency is
// overdue as soon as its scheduled pull fails for good or misses its
// window, and stops being overdue when a pull succeeds (issue 18: the
// sweeper marks an entry overdue when a scheduled pull failed or did not
// run; R10.2).
func TestPullSchedule_R10_2_OverdueSourceMakesEntryOverdue(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		dept := env.Actors["dept-gongan"]
		env.Clock.Set(time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)) // 10:00 CST
		id := domainInsertEntry(t, env.DB, "ZW-GA-0202", dept, true, "daily", domainPeopleFields)
		p, err := env.DB.RegisterPullSource(ctx, dept, id, pullInput("前置库"))
		if err != nil {
			t.Fatal(err)
		}
		// The first pull succeeds late in its window (04:30 CST): by the
		// frequency alone the entry is due again at 04:30 the next day.
		env.Clock.Set(*p.NextRunAt)
		ps, err := env.DB.StartPull(ctx, shuyu.System, p.ID, sqlstore.PullBySchedule)
		if err != nil {
			t.Fatal(err)
		}
		env.Clock.Set(p.NextRunAt.Add(210 * time.Minute))
		if _, err := env.DB.FinishPull(ctx, shuyu.System, ps.Run.ID, sqlstore.SupplyResult{Version: 1, Rows: 3, Quality: 100},
			sqlstore.PullReconciliation{SourceRows: 3, PulledRows: 3, LoadedRows: 3, VersionRows: 3}); err != nil {
			t.Fatal(err)
		}
		if m, _ := env.DB.Mount(ctx, dept, id); !m.Mounted || m.Overdue {
			t.Fatalf("after the first pull: %+v", m)
		}
		// The next day's scheduled pull and its retries fail (01:00-01:42).
		got, _ := env.DB.PullSource(ctx, dept, p.ID)
		env.Clock.Set(*got.NextRunAt)
		cause := &shuyu.Error{Code: shuyu.ECONFLICT, Message: "无法连接来源数据库 (cannot reach)"}
		trigger := sqlstore.PullBySchedule
		for got.Status != sqlstore.PullStatusOverdue {
			ps, err := env.DB.StartPull(ctx, shuyu.System, p.ID, trigger)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := env.DB.FailPull(ctx, shuyu.System, ps.Run.ID, cause, sqlstore.PullErrConnection, sqlstore.PullReconciliation{}); err != nil {
				t.Fatal(err)
			}
			got, _ = env.DB.PullSource(ctx, dept, p.ID)
			if got.Status == sqlstore.PullStatusFailing {
				if m, _ := env.DB.Mount(ctx, dept, id); m.Overdue {
					t.Fatalf("overdue while retries remain: %+v", m)
				}
				env.Clock.Set(*got.NextRunAt)
				trigger = sqlstore.PullByRetry
			}
		}
		m, _ := env.DB.Mount(ctx, dept, id)
		if !m.Overdue || m.NextDue == nil || !m.NextDue.After(env.Clock.Now()) {
			t.Fatalf("entry not overdue after the scheduled pull failed for good (frequency due %v, now %v): %+v",
				m.NextDue, env.Clock.Now(), m)
		}
		if ms, _ := env.DB.Mounts(ctx, dept); len(ms) == 0 || !mountOverdue(ms, id) {
			t.Fatalf("mount list: entry not overdue")
		}
		// "Run now" succeeds: the entry is current again.
		ps, err = env.DB.StartPull(ctx, dept, p.ID, sqlstore.PullByHand)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.FinishPull(ctx, dept, ps.Run.ID, sqlstore.SupplyResult{Version: 2, Rows: 3, Quality: 100},
			sqlstore.PullReconciliation{SourceRows: 3, PulledRows: 3, LoadedRows: 3, VersionRows: 3}); err != nil {
			t.Fatal(err)
		}
		if m, _ := env.DB.Mount(ctx, dept, id); m.Overdue {
			t.Fatalf("still overdue after a good pull: %+v", m)
		}

	})
}

func mountOverdue(ms []*sqlstore.MountStatus, id int64) bool {
	for _, m := range ms {
		if m.EntryID == id {
			return m.Overdue
		}
	}
	return false
}

// "Run now" from the command line is a request to the domain owner: it
// makes the source due at once, outside its window (enabled or not),
// refused to a reader or while a pull runs, audited, cleared when a pull
// starts, and lapsed after an hour (issue 18; R10.2).
func TestPullRequest_R10_2_RunNowFromCommandLine(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		dept := env.Actors["dept-gongan"]
		env.Clock.Set(time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)) // 10:00 CST, outside 01:00-05:00
		id := domainInsertEntry(t, env.DB, "ZW-GA-0203", dept, true, "daily", domainPeopleFields)
		in := pullInput("前置库")
		off := false
		in.Enabled = &off
		p, err := env.DB.RegisterPullSource(ctx, dept, id, in)
		if err != nil {
			t.Fatal(err)
		}
		due := func() int {
			t.Helper()
			d, err := env.DB.DuePulls(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return len(d)
		}
		audits := func() int {
			var n int
			env.DB.SQL().QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'pull.request'`).Scan(&n)
			return n
		}
		if due() != 0 {
			t.Fatal("a disabled source is due")
		}
		if _, err := env.DB.RequestPull(ctx, env.Actors["regulator"], p.ID); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("regulator (read only) requested a pull: %v", err)
		}
		if _, err := env.DB.RequestPull(ctx, env.Actors["merchant-a"], p.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("merchant requested a pull: %v", err)
		}
		if audits() != 0 || due() != 0 {
			t.Fatal("a refused request changed something")
		}
		got, err := env.DB.RequestPull(ctx, shuyu.System, p.ID)
		if err != nil || got.RequestedAt == nil || audits() != 1 {
			t.Fatalf("request: %+v %v (audits %d)", got, err, audits())
		}
		if due() != 1 {
			t.Fatal("a requested source is not due outside its window")
		}
		ps, err := env.DB.StartPull(ctx, shuyu.System, p.ID, sqlstore.PullByHand)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := env.DB.PullSource(ctx, dept, p.ID); got.RequestedAt != nil || due() != 0 {
			t.Fatalf("the request outlived its pull's start: %+v", got)
		}
		if _, err := env.DB.RequestPull(ctx, shuyu.System, p.ID); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("request while a pull runs: %v", err)
		}
		if _, err := env.DB.FailPull(ctx, shuyu.System, ps.Run.ID, &shuyu.Error{Code: shuyu.ECONFLICT, Message: "x (x)"},
			sqlstore.PullErrConnection, sqlstore.PullReconciliation{}); err != nil {
			t.Fatal(err)
		}
		// A request nobody starts within the hour lapses.
		if _, err := env.DB.RequestPull(ctx, dept, p.ID); err != nil {
			t.Fatal(err)
		}
		env.Clock.Set(env.Clock.Now().Add(sqlstore.PullRequestLapse + time.Minute))
		if due() != 0 {
			t.Fatal("a lapsed request is still due")
		}
		if all, err := env.DB.AllPullSources(ctx, env.Actors["merchant-a"]); err != nil || len(all) != 0 {
			t.Fatalf("merchant lists sources: %d %v", len(all), err)
		}
		if all, err := env.DB.AllPullSources(ctx, shuyu.System); err != nil || len(all) != 1 {
			t.Fatalf("system lists sources: %d %v", len(all), err)
		}
	})
}

// A password belongs in the sealed secret only: a connection string or a
// URL carrying one in another setting is refused, naming the field and not
// echoing the value, and nothing is stored (issue 18: credentials never
// shown back; R10.1).
func TestPullSource_R10_1_CredentialsOnlyInTheSecretField(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		dept := env.Actors["dept-gongan"]
		id := domainInsertEntry(t, env.DB, "ZW-GA-0204", dept, true, "daily", domainPeopleFields)
		const pw = "S3cret-口令-91"
		for _, c := range []struct {
			field string
			edit  func(*sqlstore.PullSourceInput)
		}{
			{"config.database", func(in *sqlstore.PullSourceInput) {
				in.Config.Database = "postgres://reader:" + pw + "@10.1.2.3:5432/qzk"
			}},
			{"config.database", func(in *sqlstore.PullSourceInput) { in.Config.Database = "qzk password=" + pw }},
			{"config.user", func(in *sqlstore.PullSourceInput) { in.Config.User = "reader;Password=" + pw }},
			{"config.url", func(in *sqlstore.PullSourceInput) {
				*in = sqlstore.PullSourceInput{Name: "接口", Kind: sqlstore.PullHTTP, Secret: "s",
					Config: sqlstore.PullConfig{URL: "https://gw:" + pw + "@10.1.2.3/api", AppKey: "k", Mode: sqlstore.PullSnapshot}}
			}},
			{"config.url", func(in *sqlstore.PullSourceInput) {
				*in = sqlstore.PullSourceInput{Name: "接口", Kind: sqlstore.PullHTTP, Secret: "s",
					Config: sqlstore.PullConfig{URL: "https://10.1.2.3/api?app=1&secret=" + pw, AppKey: "k", Mode: sqlstore.PullSnapshot}}
			}},
		} {
			in := pullInput("前置库")
			c.edit(&in)
			_, err := env.DB.RegisterPullSource(ctx, dept, id, in)
			fe, _ := shuyu.ErrorDetails(err).([]shuyu.FieldError)
			found := false
			for _, f := range fe {
				found = found || f.Field == c.field && strings.Contains(f.Message, "password field")
			}
			if shuyu.ErrorCode(err) != shuyu.EINVALID || !found || strings.Contains(fmt.Sprint(err, fe), pw) {
				t.Fatalf("%s: %v %+v", c.field, err, fe)
			}
		}
		if srcs, _ := env.DB.PullSources(ctx, dept, id); len(srcs) != 0 {
			t.Fatalf("refused sources stored: %d", len(srcs))
		}
		// OceanBase's user@tenant stays a user name.
		in := pullInput("前置库")
		in.Config.User = "reader@sys#obcluster"
		if _, err := env.DB.RegisterPullSource(ctx, dept, id, in); err != nil {
			t.Fatalf("user@tenant refused: %v", err)
		}
	})
}
