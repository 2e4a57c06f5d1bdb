package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// The records a notice test creates, written straight into the tables of
// the catalog, domain and review capabilities, with what each one is
// expected to count as computed here from the record itself (never from
// the store's code).
var cst = time.FixedZone("CST", 8*3600)

func day(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, cst) }

type supEntry struct {
	dept      string
	published bool
	mounted   bool
	freq      string
	loaded    *time.Time
}

type supIssue struct {
	dept                    string
	created, due            time.Time
	status                  string // open, answered, fixed, closed
	answered, fixed, closed *time.Time
}

type supReview struct {
	dept        string
	opened, due time.Time
	status      string
	decided     *time.Time
}

func tp(t time.Time) *time.Time { return &t }

func micro(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// supWorld inserts entries, issues and reviews for the seeded departments.
func supWorld(t *testing.T, env *sqltest.Env, entries []supEntry, issues []supIssue, reviews []supReview) {
	t.Helper()
	db := env.DB
	ctx := context.Background()
	q := func(s string) string { return db.Rebind(s) }
	entryOf := map[string]int64{}
	for i, e := range entries {
		org := env.Actors[e.dept]
		id := domainInsertEntry(t, db, fmt.Sprintf("SUP-%s-%02d", e.dept, i), org, e.published, e.freq, nil)
		entryOf[e.dept] = id
		if e.mounted {
			if _, err := db.SQL().ExecContext(ctx, q(`UPDATE catalog_entries SET mounted = ? WHERE id = ?`), true, id); err != nil {
				t.Fatal(err)
			}
		}
		if e.loaded != nil {
			if _, err := db.SQL().ExecContext(ctx, q(`INSERT INTO domain_mounts (entry_id, vault_name, version, rows_count, loaded_at)
				VALUES (?, ?, 1, 10, ?)`), id, fmt.Sprintf("sup_%d", id), e.loaded.UnixMicro()); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, is := range issues {
		org := env.Actors[is.dept]
		if _, err := db.SQL().ExecContext(ctx, q(`INSERT INTO domain_issues (entry_id, org_id, origin, raised_by, raised_org, description,
			status, due_at, workdays, created_at, answered_at, fixed_at, closed_at) VALUES (?, ?, 'operator', 0, 0, '测试问题', ?, ?, 5, ?, ?, ?, ?)`),
			entryOf[is.dept], org.OrgID, is.status, is.due.UnixMicro(), is.created.UnixMicro(), micro(is.answered), micro(is.fixed),
			micro(is.closed)); err != nil {
			t.Fatal(err)
		}
	}
	merchant := env.Actors["merchant-a"]
	for _, r := range reviews {
		var app int64
		if err := db.SQL().QueryRowContext(ctx, q(`INSERT INTO applications (merchant_org_id, round, status, created_by, created_at, updated_at)
			VALUES (?, 1, 'reviewing', ?, ?, ?) RETURNING id`), merchant.OrgID, merchant.UserID, r.opened.UnixMicro(), r.opened.UnixMicro()).Scan(&app); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx, q(`INSERT INTO reviews (application_id, round, kind, org_id, status, opened_at, due_at, decided_at)
			VALUES (?, 1, 'source_dept', ?, ?, ?, ?, ?)`), app, env.Actors[r.dept].OrgID, r.status, r.opened.UnixMicro(), r.due.UnixMicro(),
			micro(r.decided)); err != nil {
			t.Fatal(err)
		}
	}
}

// supExpect computes what a notice for [from, to) must say about dept,
// as at now, from the record lists alone.
func supExpect(dept string, from, to, now time.Time, entries []supEntry, issues []supIssue, reviews []supReview) shuyu.DeptFigures {
	var f shuyu.DeptFigures
	period := map[string]time.Duration{"daily": 24 * time.Hour, "weekly": 7 * 24 * time.Hour}
	for _, e := range entries {
		if e.dept != dept {
			continue
		}
		f.Entries++
		if !e.published {
			continue
		}
		f.Published++
		if e.mounted {
			f.Mounted++
		}
		switch {
		case e.freq == "irregular":
		case e.loaded == nil:
			f.OverdueSupply++
		case e.freq == "monthly" && now.After(e.loaded.AddDate(0, 1, 0)):
			f.OverdueSupply++
		case e.freq == "yearly" && now.After(e.loaded.AddDate(1, 0, 0)):
			f.OverdueSupply++
		case period[e.freq] > 0 && now.Sub(*e.loaded) > period[e.freq]:
			f.OverdueSupply++
		}
	}
	for _, is := range issues {
		if is.dept != dept || is.created.Before(from) || !is.created.Before(to) {
			continue
		}
		f.IssuesOpened++
		done := is.fixed
		if done == nil && is.status == "closed" {
			done = is.answered
		}
		switch {
		case done != nil && !done.After(is.due):
			f.IssuesOnTime++
		case done != nil:
			f.IssuesLate++
		case now.After(is.due):
			f.IssuesOverdue++
		}
	}
	for _, r := range reviews {
		if r.dept != dept || r.opened.Before(from) || !r.opened.Before(to) {
			continue
		}
		f.Reviews++
		switch r.status {
		case "deemed_approved":
			f.ReviewsDeemed++
		case "approved", "rejected":
			if r.decided.After(r.due) {
				f.ReviewsLate++
			} else {
				f.ReviewsOnTime++
			}
		case "open":
			if now.After(r.due) {
				f.ReviewsOpenOverdue++
			}
		}
	}
	return f
}

func supFixture() ([]supEntry, []supIssue, []supReview) {
	now := sqltest.Start // 2026-11-25 09:00
	entries := []supEntry{
		{"dept-gongan", true, true, "daily", tp(now.Add(-2 * time.Hour))},
		{"dept-gongan", true, true, "monthly", tp(now.AddDate(0, 0, -40))},
		{"dept-gongan", true, false, "weekly", nil},
		{"dept-gongan", true, false, "irregular", nil},
		{"dept-gongan", false, false, "daily", nil},
		{"dept-gongan", true, true, "weekly", tp(now.AddDate(0, 0, -3))},
		{"dept-haiyuan-weijian", true, true, "yearly", tp(now.AddDate(0, 0, -10))},
		{"dept-haiyuan-weijian", true, false, "daily", tp(now.AddDate(0, 0, -2))},
	}
	end := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 23, 59, 59, 0, cst) }
	issues := []supIssue{
		{"dept-gongan", day(11, 3, 10), end(11, 10), "fixed", nil, tp(day(11, 7, 9)), nil},
		{"dept-gongan", day(11, 5, 10), end(11, 12), "fixed", nil, tp(day(11, 14, 9)), nil},
		{"dept-gongan", day(11, 10, 10), end(11, 17), "open", nil, nil, nil},
		{"dept-gongan", day(11, 20, 10), end(11, 27), "answered", tp(day(11, 21, 9)), nil, nil},
		{"dept-gongan", day(10, 20, 10), end(10, 27), "open", nil, nil, nil},
		{"dept-gongan", day(11, 6, 10), end(11, 13), "closed", tp(day(11, 12, 9)), nil, tp(day(11, 12, 10))},
		{"dept-haiyuan-weijian", day(11, 2, 10), end(11, 9), "fixed", nil, tp(day(11, 9, 12)), nil},
		{"dept-haiyuan-weijian", day(11, 3, 10), end(11, 10), "closed", tp(day(11, 18, 9)), nil, tp(day(11, 18, 9))},
	}
	reviews := []supReview{
		{"dept-gongan", day(11, 2, 10), end(11, 16), "approved", tp(day(11, 10, 9))},
		{"dept-gongan", day(11, 3, 10), end(11, 17), "deemed_approved", tp(end(11, 17).Add(time.Minute))},
		{"dept-gongan", day(11, 4, 10), end(11, 18), "rejected", tp(day(11, 19, 9))},
		{"dept-gongan", day(11, 5, 10), end(11, 19), "open", nil},
		{"dept-gongan", day(11, 20, 10), end(12, 4), "open", nil},
		{"dept-gongan", day(10, 28, 10), end(11, 11), "approved", tp(day(11, 2, 9))},
		{"dept-haiyuan-weijian", day(11, 10, 10), end(11, 24), "deemed_approved", tp(end(11, 24).Add(time.Minute))},
		{"dept-haiyuan-weijian", day(11, 11, 10), end(11, 25), "closed", tp(day(11, 12, 9))},
	}
	return entries, issues, reviews
}

// A notice's figures equal what the records say, department by department,
// and match the mounting page's own overdue flags.
func TestNotice_R31_1_FiguresEqualRecords(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		entries, issues, reviews := supFixture()
		supWorld(t, env, entries, issues, reviews)
		auth := env.Actors["authority"]
		n, err := env.DB.DraftNotice(ctx, auth, shuyu.NoticeInput{Title: "2026年11月数源部门工作情况通报", From: "2026-11-01", To: "2026-11-30",
			Body: "现将11月各数源部门目录编制、数据挂接、质量问题处理和审核时效情况通报如下。", Visibility: shuyu.NoticePublic})
		if err != nil {
			t.Fatal(err)
		}
		from, to := day(11, 1, 0), day(12, 1, 0)
		if !n.From.Equal(from) || !n.To.Equal(to) {
			t.Fatalf("period %v – %v, want %v – %v", n.From, n.To, from, to)
		}
		byOrg := map[int64]shuyu.DeptFigures{}
		for _, f := range n.Figures {
			byOrg[f.OrgID] = f
		}
		for _, dept := range []string{"dept-gongan", "dept-haiyuan-weijian"} {
			a := env.Actors[dept]
			want := supExpect(dept, from, to, sqltest.Start, entries, issues, reviews)
			got, ok := byOrg[a.OrgID]
			if !ok {
				t.Fatalf("%s missing from the notice", dept)
			}
			want.OrgID, want.OrgName = got.OrgID, got.OrgName
			if got != want {
				t.Errorf("%s:\n got %+v\nwant %+v", dept, got, want)
			}
			// The mounting page (what the department itself works from)
			// flags the same entries overdue.
			ms, err := env.DB.Mounts(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			overdue := 0
			for _, m := range ms {
				if m.OrgID == a.OrgID && m.Overdue {
					overdue++
				}
			}
			if overdue != got.OverdueSupply {
				t.Errorf("%s: notice says %d overdue, mounting page %d", dept, got.OverdueSupply, overdue)
			}
			// The department's own live view says the same before publication.
			v, err := env.DB.DeptFigures(ctx, a, a.OrgID, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if v.Live != got {
				t.Errorf("%s live view %+v, notice %+v", dept, v.Live, got)
			}
		}
		if len(n.Figures) != 2 {
			t.Errorf("%d departments in the notice, want the 2 source departments", len(n.Figures))
		}
		if c, _, _ := auditCount(t, env.DB, "dept_notice.draft", "dept_notice", fmtInt(n.ID)); c != 1 {
			t.Errorf("draft audited %d times", c)
		}
	})
}

// Drafts are the authority's alone; a published public notice is anonymous,
// an internal one needs a login; publication freezes the figures; a
// department sees its own figures, never another's.
func TestNotice_R31_1_WhoSeesWhat(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db := env.DB
		entries, issues, reviews := supFixture()
		supWorld(t, env, entries, issues, reviews)
		auth, gongan, haiyuan, merchant := env.Actors["authority"], env.Actors["dept-gongan"], env.Actors["dept-haiyuan-weijian"], env.Actors["merchant-a"]
		in := shuyu.NoticeInput{Title: "十一月通报", From: "2026-11-01", To: "2026-11-30", Visibility: shuyu.NoticeInternal}
		for _, who := range []*shuyu.Actor{gongan, merchant, env.Actors["operator-admin"], env.Actors["regulator"]} {
			if _, err := db.DraftNotice(ctx, who, in); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
				t.Errorf("%s drafted a notice: %v", who.Username, err)
			}
		}
		n, err := db.DraftNotice(ctx, auth, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, who := range []*shuyu.Actor{nil, gongan, merchant, env.Actors["regulator"]} {
			if _, err := db.DeptNotice(ctx, who, n.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
				t.Errorf("%v read a draft: %v", who, err)
			}
			if l, _ := db.DeptNotices(ctx, who); len(l) != 0 {
				t.Errorf("%v lists %d drafts", who, len(l))
			}
		}
		// No wording yet: publishing is refused and changes nothing.
		if _, err := db.PublishNotice(ctx, auth, n.ID); shuyu.ErrorCode(err) != shuyu.EUNPROCESSABLE {
			t.Fatalf("published without wording: %v", err)
		}
		in.Body = "各部门应对照通报问题，于十二月十日前完成整改。"
		if _, err := db.UpdateNotice(ctx, auth, n.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := db.PublishNotice(ctx, auth, n.ID); err != nil {
			t.Fatal(err)
		}
		// Internal: logged-in government bodies, not the public nor merchants.
		if _, err := db.DeptNotice(ctx, nil, n.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("anonymous read an internal notice: %v", err)
		}
		if _, err := db.DeptNotice(ctx, merchant, n.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("merchant read an internal notice: %v", err)
		}
		got, err := db.DeptNotice(ctx, haiyuan, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		before := got.Figures
		// Published figures are frozen: a new issue and a recompute change nothing.
		supWorld(t, env, []supEntry{{"dept-haiyuan-weijian", false, false, "daily", nil}}, []supIssue{{"dept-haiyuan-weijian", day(11, 12, 10), day(11, 19, 23), "open", nil, nil, nil}}, nil)
		if _, err := db.RecomputeNotice(ctx, auth, n.ID); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("recomputed a published notice: %v", err)
		}
		if _, err := db.UpdateNotice(ctx, auth, n.ID, in); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("reworded a published notice: %v", err)
		}
		after, _ := db.DeptNotice(ctx, haiyuan, n.ID)
		if fmt.Sprint(after.Figures) != fmt.Sprint(before) {
			t.Errorf("published figures moved:\n%v\n%v", before, after.Figures)
		}
		// The live view moved, and the trend shows the published point.
		v, err := db.DeptFigures(ctx, haiyuan, haiyuan.OrgID, day(11, 1, 0), day(12, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Trend) != 1 || v.Trend[0].NoticeID != n.ID || v.Live.IssuesOpened != v.Trend[0].Figures.IssuesOpened+1 {
			t.Errorf("trend %+v live %+v", v.Trend, v.Live)
		}
		// A department asking for another's figures finds nothing.
		if _, err := db.DeptFigures(ctx, gongan, haiyuan.OrgID, day(11, 1, 0), day(12, 1, 0)); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("gongan read haiyuan's figures: %v", err)
		}
		if _, err := db.DeptFigures(ctx, merchant, merchant.OrgID, day(11, 1, 0), day(12, 1, 0)); err == nil {
			t.Error("a merchant has department figures")
		}
		// The county authority sees its county's department, not the city's.
		county := env.Actors["county-haiyuan"]
		if _, err := db.DeptFigures(ctx, county, haiyuan.OrgID, day(11, 1, 0), day(12, 1, 0)); err != nil {
			t.Errorf("county authority: %v", err)
		}
		if _, err := db.DeptFigures(ctx, county, gongan.OrgID, day(11, 1, 0), day(12, 1, 0)); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("county authority read a city department: %v", err)
		}

		// A public notice is anonymous once published, and gone when withdrawn.
		pub, err := db.DraftNotice(ctx, auth, shuyu.NoticeInput{Title: "十一月公开通报", From: "2026-11-01", To: "2026-11-30",
			Body: "现将十一月情况予以通报。", Visibility: shuyu.NoticePublic})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PublishNotice(ctx, auth, pub.ID); err != nil {
			t.Fatal(err)
		}
		l, err := db.DeptNotices(ctx, nil)
		if err != nil || len(l) != 1 || l[0].ID != pub.ID {
			t.Fatalf("anonymous list %v %v", l, err)
		}
		if err := db.WithdrawNotice(ctx, auth, pub.ID, ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("withdrawn without a reason: %v", err)
		}
		if err := db.WithdrawNotice(ctx, auth, pub.ID, "数据口径有误，更正后重发"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeptNotice(ctx, nil, pub.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("withdrawn notice still public: %v", err)
		}
		for _, a := range []string{"dept_notice.update", "dept_notice.publish", "dept_notice.withdraw"} {
			id := n.ID
			if a == "dept_notice.withdraw" {
				id = pub.ID
			}
			if c, actor, _ := auditCount(t, db, a, "dept_notice", fmtInt(id)); c != 1 || actor != "authority" {
				t.Errorf("%s audited %d times by %q", a, c, actor)
			}
		}
	})
}

// Bad input is refused with a clear code and writes nothing.
func TestNotice_R31_1_BadInputChangesNothing(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		auth := env.Actors["authority"]
		events := domainCount(t, env.DB, "audit_events")
		for _, in := range []shuyu.NoticeInput{
			{Title: "十一月通报", From: "2026-11-31", To: "2026-11-30", Visibility: shuyu.NoticePublic},
			{Title: "十一月通报", From: "2026-11-30", To: "2026-11-01", Visibility: shuyu.NoticePublic},
			{Title: "十一月通报", From: "2025-01-01", To: "2026-11-30", Visibility: shuyu.NoticePublic},
			{Title: "通报", From: "2026-11-01", To: "2026-11-30", Visibility: shuyu.NoticePublic},
			{Title: "十一月通报", From: "2026-11-01", To: "2026-11-30", Visibility: "everyone"},
			{Title: "十二月通报", From: "2026-12-01", To: "2026-12-31", Visibility: shuyu.NoticePublic},
		} {
			if _, err := env.DB.DraftNotice(ctx, auth, in); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Errorf("%+v: %v", in, err)
			}
		}
		if _, err := env.DB.PublishNotice(ctx, auth, 999); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("publish missing: %v", err)
		}
		if n := domainCount(t, env.DB, "dept_notices"); n != 0 {
			t.Errorf("%d notices written", n)
		}
		if n := domainCount(t, env.DB, "audit_events"); n != events {
			t.Errorf("%d events written", n-events)
		}
	})
}
