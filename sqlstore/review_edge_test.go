package sqlstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
)

// TestReview_R18_2_InvalidCreditCode: a wrong check character, a bad
// character, a short code: each refused, nothing stored.
func TestReview_R18_2_InvalidCreditCode(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		rules, _ := reviewDocs(t, db, a)
		good := reviewRegistration("丁数据服务有限公司", "ding-data", rules.ID)
		last := good.USCC[17]
		wrong := byte('0')
		if last == '0' {
			wrong = '1'
		}
		for _, bad := range []string{good.USCC[:17] + string(wrong), "91640502MA76XXXXIO", "91640502", ""} {
			in := good
			in.USCC = bad
			_, _, err := db.SubmitRegistration(ctx, in)
			wantCode(t, err, shuyu.EINVALID)
		}
		in := good
		in.RulesDocID = rules.ID + 99
		_, _, err := db.SubmitRegistration(ctx, in)
		wantCode(t, err, shuyu.ECONFLICT) // must accept the rules in force (R18.1)
		regs, err := db.Registrations(ctx, a["operator-admin"], "")
		if err != nil || len(regs) != 0 {
			t.Fatalf("registrations after bad input: %d %v", len(regs), err)
		}
		// The good one passes; the operator may ask for material, the clock
		// restarts on supplement, and a refusal needs reasons.
		g, token, err := db.SubmitRegistration(ctx, good)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = db.SubmitRegistration(ctx, good)
		wantCode(t, err, shuyu.ECONFLICT)
		if _, err := db.AddRegistrationFile(ctx, g.ID, token, "licence.pdf", []byte("%PDF-1.4\n%…\n")); err != nil {
			t.Fatal(err)
		}
		_, err = db.AddRegistrationFile(ctx, g.ID, token, "x.exe", []byte("MZ\x90\x00binary"))
		wantCode(t, err, shuyu.EINVALID)
		_, err = db.AddRegistrationFile(ctx, g.ID, token, "big.pdf", append([]byte("%PDF-"), make([]byte, shuyu.MaxFileSize)...))
		wantCode(t, err, shuyu.ETOOLARGE)
		_, err = db.AddRegistrationFile(ctx, g.ID, "not-the-token", "licence.pdf", []byte("%PDF-1.4\n"))
		wantCode(t, err, shuyu.ENOTFOUND)
		op := a["operator-reviewer"]
		g, err = db.AcceptRegistration(ctx, op, g.ID)
		if err != nil || g.Deadline == nil || g.Deadline.Due.In(workday.Zone).Format(time.DateOnly) != "2026-12-02" {
			t.Fatalf("accepted: %+v %v", g, err)
		}
		if _, err := db.RequestMaterial(ctx, op, g.ID, "请补充营业执照副本"); err != nil {
			t.Fatal(err)
		}
		if g, err = db.SupplementRegistration(ctx, g.ID, token, "已补充"); err != nil || g.Status != shuyu.RegAccepted {
			t.Fatalf("supplement: %+v %v", g, err)
		}
		_, err = db.DecideRegistration(ctx, op, g.ID, false, "")
		wantCode(t, err, shuyu.EINVALID) // R18.2: reasons
		_, err = db.DecideRegistration(ctx, a["merchant-a"], g.ID, true, "")
		wantCode(t, err, shuyu.EFORBIDDEN)
		if g, err = db.DecideRegistration(ctx, op, g.ID, true, "材料齐全"); err != nil || g.OrgID == 0 {
			t.Fatalf("register: %+v %v", g, err)
		}
		_, err = db.DecideRegistration(ctx, op, g.ID, false, "重复决定的理由")
		wantCode(t, err, shuyu.ECONFLICT)
		// The new account logs in with the password chosen at registration.
		if _, err := db.Login(ctx, sqlstore.LoginRequest{Username: "ding-data", Password: good.Password}); err != nil {
			t.Fatalf("new merchant login: %v", err)
		}
		if _, err := db.SetMerchantStatus(ctx, a["operator-admin"], g.ID, "suspend", "未按期报送安全报告"); err != nil {
			t.Fatal(err)
		}
		rep, err := db.MerchantReportFor(ctx, a["operator-admin"], sqltest.Start.Add(-time.Hour), sqltest.Start.Add(time.Hour))
		if err != nil || rep.Suspended != 1 || len(rep.Rows) != 2 {
			t.Fatalf("report %+v %v", rep, err)
		}
		if _, err := sqlstore.MerchantReportXLSX(rep); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReview_R34_1_BadApplications: a term beyond the authorization or
// beyond three years, a prohibited, unpublished or suspended entry, an
// unknown field, an unregistered merchant: refused, nothing stored.
func TestReview_R34_1_BadApplications(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		f := newReviewFixture(t, db, a)
		m := a["merchant-a"]
		if err := db.SetAuthorizationEnd(ctx, a["authority"], "2027-06-30", "授权运营协议"); err != nil {
			t.Fatal(err)
		}
		cases := map[string]func(in *shuyu.ApplicationInput){
			"beyond authorization": func(in *shuyu.ApplicationInput) { in.TermEnd = "2027-07-01" },
			"beyond three years":   func(in *shuyu.ApplicationInput) { in.TermEnd = "2030-01-05" },
			"starts in the past":   func(in *shuyu.ApplicationInput) { in.TermStart = "2026-11-01" },
			"prohibited entry": func(in *shuyu.ApplicationInput) {
				in.Items[0].EntryID = f.prohibited
				in.Items[0].Fields = []string{"case_no"}
			},
			"unpublished entry": func(in *shuyu.ApplicationInput) { in.Items[0].EntryID = f.draftOne; in.Items[0].Fields = []string{"x"} },
			"missing entry":     func(in *shuyu.ApplicationInput) { in.Items[0].EntryID = 9999 },
			"unknown field":     func(in *shuyu.ApplicationInput) { in.Items[0].Fields = []string{"password"} },
			"no fields":         func(in *shuyu.ApplicationInput) { in.Items[0].Fields = nil },
			"bad purpose":       func(in *shuyu.ApplicationInput) { in.Purpose = "fun" },
			"bad tag":           func(in *shuyu.ApplicationInput) { in.Tags = []string{"vip"} },
		}
		for name, mut := range cases {
			in := f.input()
			in.TermEnd = "2027-06-30"
			mut(&in)
			_, err := db.SubmitApplication(ctx, m, in)
			if shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		in := f.input()
		in.TermEnd = "2027-06-30"
		_, err := db.SubmitApplication(ctx, a["merchant-b"], in)
		wantCode(t, err, shuyu.EFORBIDDEN) // not registered (R18.2)
		_, err = db.SubmitApplication(ctx, a["dept-gongan"], in)
		wantCode(t, err, shuyu.EFORBIDDEN)
		apps, err := db.Applications(ctx, a["operator-admin"], "")
		if err != nil || len(apps) != 0 {
			t.Fatalf("applications after bad input: %d %v", len(apps), err)
		}
		if _, err := db.SubmitApplication(ctx, m, in); err != nil {
			t.Fatalf("valid application: %v", err)
		}
	})
}

// reviewing submits and passes the check of an application; it returns
// the application with its open reviews.
func reviewing(t *testing.T, db *sqlstore.DB, f *reviewFixture) *shuyu.Application {
	t.Helper()
	app, err := db.SubmitApplication(ctx, f.a["merchant-a"], f.input())
	if err != nil {
		t.Fatal(err)
	}
	app, err = db.CheckApplication(ctx, f.a["operator-reviewer"], app.ID, shuyu.CheckResult{Pass: true})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// TestReview_R21_2_Decisions: a second decision on the same review, a
// decision or an extension after the deadline, a rejection without
// reasons, a decision by another reviewer: refused. A rejection rejects
// the application; the merchant resubmits as a new round.
func TestReview_R21_2_Decisions(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, clock, a := env.DB, env.Clock, env.Actors
		f := newReviewFixture(t, db, a)
		app := reviewing(t, db, f)
		var police, health shuyu.Review
		for _, r := range app.Reviews {
			switch r.OrgID {
			case a["dept-gongan"].OrgID:
				police = r
			case a["dept-haiyuan-weijian"].OrgID:
				health = r
			}
		}
		_, err := db.DecideReview(ctx, a["dept-haiyuan-weijian"], police.ID, shuyu.Decision{Approve: true})
		wantCode(t, err, shuyu.ENOTFOUND) // another reviewer's review
		_, err = db.DecideReview(ctx, a["dept-gongan"], police.ID, shuyu.Decision{Approve: false})
		wantCode(t, err, shuyu.EINVALID) // R21.2
		if _, err := db.DecideReview(ctx, a["dept-gongan"], police.ID, shuyu.Decision{Approve: true}); err != nil {
			t.Fatal(err)
		}
		_, err = db.DecideReview(ctx, a["dept-gongan"], police.ID, shuyu.Decision{Approve: false, Reason: "改变主意了"})
		wantCode(t, err, shuyu.ECONFLICT)
		_, err = db.ExtendReview(ctx, a["dept-haiyuan-weijian"], health.ID, shuyu.Extension{Days: 11, Reason: "需要更多时间"})
		wantCode(t, err, shuyu.EINVALID)

		clock.Set(health.Deadline.Due.Add(time.Second))
		_, err = db.ExtendReview(ctx, a["dept-haiyuan-weijian"], health.ID, shuyu.Extension{Days: 2, Reason: "需要更多时间"})
		wantCode(t, err, shuyu.ECONFLICT)
		_, err = db.DecideReview(ctx, a["dept-haiyuan-weijian"], health.ID, shuyu.Decision{Approve: false, Reason: "数据敏感不宜提供"})
		wantCode(t, err, shuyu.ECONFLICT)
		if n, _, _ := auditCount(t, db, "review.reject", "review", fmt.Sprint(health.ID)); n != 0 {
			t.Fatal("a refused decision left an event")
		}

		// A fresh application: the county rejects with reasons.
		clock.Set(health.Deadline.Due.Add(-48 * time.Hour))
		app2 := reviewing(t, db, f)
		for _, r := range app2.Reviews {
			if r.Kind == shuyu.ReviewCounty {
				if _, err := db.DecideReview(ctx, a["county-haiyuan"], r.ID, shuyu.Decision{Approve: false, Reason: "涉及个人健康信息，范围过宽"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, _ := db.Application(ctx, a["merchant-a"], app2.ID)
		if got.Status != shuyu.AppRejected {
			t.Fatalf("after a rejection: %s", got.Status)
		}
		for _, r := range got.Reviews {
			if r.Kind != shuyu.ReviewCounty && r.Status != shuyu.ReviewClosed {
				t.Fatalf("review %d left %s", r.ID, r.Status)
			}
		}
		if !inboxHas(t, db, a["merchant-a"], "application.rejected", "未通过") {
			t.Fatal("merchant not told of the rejection")
		}
		in := f.input()
		in.Items = in.Items[:1]
		got, err = db.ResubmitApplication(ctx, a["merchant-a"], app2.ID, in)
		if err != nil || got.Round != 2 || got.Status != shuyu.AppChecking {
			t.Fatalf("resubmit: %+v %v", got, err)
		}
		rounds, err := db.Rounds(ctx, a["merchant-a"], app2.ID)
		if err != nil || len(rounds) != 2 || rounds[0].Status != shuyu.AppRejected || len(rounds[0].Items) != 2 {
			t.Fatalf("history: %d rounds %v", len(rounds), err)
		}
		_, err = db.ResubmitApplication(ctx, a["merchant-b"], app2.ID, in)
		wantCode(t, err, shuyu.ENOTFOUND)
	})
}

// TestReview_R21_3_TwoSweepersOnce runs sweepers concurrently on separate
// connections over overdue reviews: each review is deemed exactly once.
func TestReview_R21_3_TwoSweepersOnce(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, clock, a := env.DB, env.Clock, env.Actors
		f := newReviewFixture(t, db, a)
		var ids []int64
		for range 3 {
			app := reviewing(t, db, f)
			for _, r := range app.Reviews {
				ids = append(ids, r.ID)
			}
		}
		clock.Advance(30 * 24 * time.Hour)
		var wg sync.WaitGroup
		reps := make([]sqlstore.SweepReport, 4)
		errs := make([]error, 4)
		for i := range reps {
			wg.Add(1)
			go func() { defer wg.Done(); reps[i], errs[i] = db.Sweep(ctx) }()
		}
		wg.Wait()
		deemed, approved := 0, 0
		for i := range reps {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			deemed, approved = deemed+reps[i].Deemed, approved+reps[i].Approved
		}
		if deemed != len(ids) || approved != 3 {
			t.Fatalf("deemed %d of %d, approved %d of 3", deemed, len(ids), approved)
		}
		for _, id := range ids {
			if n, actor, _ := auditCount(t, db, "review.deem", "review", fmt.Sprint(id)); n != 1 || actor != "system" {
				t.Fatalf("review %d deemed %d times", id, n)
			}
		}
	})
}

// TestReview_R18_2_Calendar: the authority extends the calendar with next
// year's schedule (audited); deadlines then reach into it; bad days and
// other roles are refused.
func TestReview_R18_2_Calendar(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		cal, _ := db.Calendar(ctx)
		if _, err := cal.Due(time.Date(2027, 12, 30, 10, 0, 0, 0, workday.Zone), 5); shuyu.ErrorCode(err) != shuyu.EUNPROCESSABLE {
			t.Fatalf("2028 unknown: %v", err)
		}
		days := []workday.Day{{Date: "2028-01-01", Kind: workday.Holiday, Name: "元旦"}, {Date: "2028-01-03", Kind: workday.Holiday, Name: "元旦"}}
		wantCode(t, db.AddCalendarDays(ctx, a["operator-admin"], days, "国办发明电〔2027〕1号"), shuyu.EFORBIDDEN)
		bad := []workday.Day{{Date: "2028-01-05", Kind: workday.Workday, Name: "调休"}} // a Wednesday
		wantCode(t, db.AddCalendarDays(ctx, a["authority"], bad, "通知"), shuyu.EINVALID)
		conflict := []workday.Day{{Date: "2027-10-01", Kind: workday.Workday, Name: "国庆"}}
		wantCode(t, db.AddCalendarDays(ctx, a["authority"], conflict, "通知"), shuyu.EINVALID)
		if err := db.AddCalendarDays(ctx, a["authority"], days, "国办发明电〔2027〕1号"); err != nil {
			t.Fatal(err)
		}
		cal, _ = db.Calendar(ctx)
		due, err := cal.Due(time.Date(2027, 12, 30, 10, 0, 0, 0, workday.Zone), 5)
		// 12-31 (Fri) 1; 01-01 Sat, 01-03 Mon holiday; 01-04..01-07 2..5.
		if err != nil || due.Format(time.DateOnly) != "2028-01-07" {
			t.Fatalf("due into 2028: %v %v", due, err)
		}
		if n, actor, _ := auditCount(t, db, "calendar.add", "calendar", "2028"); n != 1 || actor != "authority" {
			t.Fatalf("calendar.add events %d by %s", n, actor)
		}
		wantCode(t, db.RemoveCalendarDay(ctx, a["authority"], "2028-02-02", "更正"), shuyu.ENOTFOUND)
		if err := db.RemoveCalendarDay(ctx, a["authority"], "2028-01-03", "更正"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReview_R20_2_Inbox: messages address an organization or a user;
// reads are per user and only one's own messages can be marked.
func TestReview_R20_2_Inbox(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		newReviewFixture(t, db, a)
		op, op2 := a["operator-admin"], a["operator-reviewer"]
		ns, unread, err := db.Inbox(ctx, op, 0, false)
		if err != nil || len(ns) == 0 || unread != len(ns) {
			t.Fatalf("operator inbox %d unread %d %v", len(ns), unread, err)
		}
		if n, err := db.MarkRead(ctx, op, []int64{ns[0].ID}); err != nil || n != 1 {
			t.Fatalf("mark one: %d %v", n, err)
		}
		if _, u, _ := db.Inbox(ctx, op, 0, false); u != unread-1 {
			t.Fatalf("unread after one read: %d", u)
		}
		if _, u, _ := db.Inbox(ctx, op2, 0, false); u != unread {
			t.Fatalf("a colleague's unread changed: %d", u)
		}
		if n, _ := db.MarkRead(ctx, a["merchant-b"], []int64{ns[1].ID}); n != 0 {
			t.Fatal("marked another organization's message")
		}
		if n, _ := db.MarkRead(ctx, op, nil); n != unread-1 {
			t.Fatalf("mark all: %d", n)
		}
	})
}
