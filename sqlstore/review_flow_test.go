package sqlstore_test

import (
	"fmt"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
)

// TestReview_R21_3_WalkThrough walks one application with an injected
// clock through the compliance check (R20.2), parallel reviews (R21.1), an
// extension, a deemed approval one second after a deadline (R21.3) and the
// signing of its agreement (R19.1), checking the trail and the inboxes at
// each step.
func TestReview_R21_3_WalkThrough(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, clock, a := env.DB, env.Clock, env.Actors
		f := newReviewFixture(t, db, a)
		m := a["merchant-a"]

		// Submission is acceptance: the check is due at the end of the 5th
		// working day after Wednesday 2026-11-25, i.e. Wednesday 2026-12-02;
		// the countdown counts the days after today, as Due does: five.
		app, err := db.SubmitApplication(ctx, m, f.input())
		if err != nil {
			t.Fatal(err)
		}
		wantDue(t, app.Check.Deadline, "2026-12-02")
		if app.Check.Deadline.WorkdaysLeft != 5 || app.Status != shuyu.AppChecking || app.FeeMode != shuyu.FeeFree {
			t.Fatalf("after submit: %+v", app)
		}
		if !inboxHas(t, db, a["operator-reviewer"], "application.submitted", "县域医疗资源配置分析") {
			t.Fatal("operator not told of the new application")
		}
		if n, _, _ := auditCount(t, db, "application.submit", "application", fmt.Sprint(app.ID)); n != 1 {
			t.Fatalf("submit events = %d", n)
		}

		// The check passes on Monday: four reviews open, due 10 working days later.
		clock.Set(time.Date(2026, 11, 30, 10, 0, 0, 0, workday.Zone))
		app, err = db.CheckApplication(ctx, a["operator-reviewer"], app.ID, shuyu.CheckResult{Pass: true})
		if err != nil {
			t.Fatal(err)
		}
		if app.Status != shuyu.AppReviewing || len(app.Reviews) != 4 {
			t.Fatalf("after check: status %s, %d reviews", app.Status, len(app.Reviews))
		}
		kinds := map[string]shuyu.Review{}
		for _, r := range app.Reviews {
			kinds[r.OrgName] = r
			wantDue(t, r.Deadline, "2026-12-14")
		}
		for _, who := range []string{"dept-gongan", "dept-haiyuan-weijian", "county-haiyuan", "operator-reviewer"} {
			if !inboxHas(t, db, a[who], "review.opened", "县域医疗资源配置分析") {
				t.Fatalf("%s not asked to review", who)
			}
		}
		// R20.2: the result reaches the source departments and the authority.
		if !inboxHas(t, db, a["authority"], "application.checked", "合规核查通过") || !inboxHas(t, db, a["dept-gongan"], "application.checked", "合规核查通过") {
			t.Fatal("check result not sent to the authority and the departments")
		}

		// R22.1: the police department sees only its own item; merchant-b nothing.
		seen, err := db.Application(ctx, a["dept-gongan"], app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(seen.Items) != 1 || seen.Items[0].EntryID != f.police || !seen.Partial {
			t.Fatalf("department sees items %+v", seen.Items)
		}
		_, err = db.Application(ctx, a["merchant-b"], app.ID)
		wantCode(t, err, shuyu.ENOTFOUND)

		police, health := kinds["中卫市公安局"], kinds["海原县卫生健康局"]
		county, operator := kinds["海原县数据局"], kinds["中卫市数据运营有限公司"]
		clock.Advance(3 * time.Hour)
		if _, err := db.DecideReview(ctx, a["dept-gongan"], police.ID, shuyu.Decision{Approve: true}); err != nil {
			t.Fatal(err)
		}
		if !inboxHas(t, db, m, "review.approved", "中卫市公安局") {
			t.Fatal("merchant not told of the police decision")
		}
		ext, err := db.ExtendReview(ctx, a["county-haiyuan"], county.ID, shuyu.Extension{Days: 3, Reason: "需征求乡镇卫生院意见"})
		if err != nil {
			t.Fatal(err)
		}
		wantDue(t, ext.Deadline, "2026-12-17")
		if _, err := db.DecideReview(ctx, a["operator-reviewer"], operator.ID, shuyu.Decision{Approve: true}); err != nil {
			t.Fatal(err)
		}

		// At the deadline itself nothing is deemed; one second after, the
		// silent department is deemed to approve; the extended county is not.
		dl := health.Deadline.Due
		clock.Set(dl)
		if rep, err := db.Sweep(ctx); err != nil || rep.Deemed != 0 {
			t.Fatalf("sweep at the deadline: %+v %v", rep, err)
		}
		clock.Set(dl.Add(time.Second))
		rep, err := db.Sweep(ctx)
		if err != nil || rep.Deemed != 1 || rep.Approved != 0 {
			t.Fatalf("sweep after the deadline: %+v %v", rep, err)
		}
		n, actor, reason := auditCount(t, db, "review.deem", "review", fmt.Sprint(health.ID))
		if n != 1 || actor != "system" || reason != shuyu.RuleDeemed {
			t.Fatalf("deem events %d by %q citing %q", n, actor, reason)
		}
		if !inboxHas(t, db, a["dept-haiyuan-weijian"], "review.deemed_approved", "视为同意") {
			t.Fatal("department not told it was deemed to approve")
		}
		if rep, _ := db.Sweep(ctx); rep.Deemed != 0 {
			t.Fatalf("second sweep deemed %d", rep.Deemed)
		}
		app, _ = db.Application(ctx, a["operator-admin"], app.ID)
		for _, r := range app.Reviews {
			if r.ID == health.ID && (r.Status != shuyu.ReviewDeemed || r.Rule != shuyu.RuleDeemed || r.DecidedBy != 0) {
				t.Fatalf("deemed review row %+v", r)
			}
		}
		if app.Status != shuyu.AppReviewing {
			t.Fatalf("approved before the county decided: %s", app.Status)
		}

		// The county approves within its extension: all approved, agreement generated.
		if _, err := db.DecideReview(ctx, a["county-haiyuan"], county.ID, shuyu.Decision{Approve: true, Reason: "同意"}); err != nil {
			t.Fatal(err)
		}
		app, _ = db.Application(ctx, m, app.ID)
		if app.Status != shuyu.AppApproved || app.AgreementID == 0 {
			t.Fatalf("after the last review: %s agreement %d", app.Status, app.AgreementID)
		}
		if !inboxHas(t, db, m, "application.approved", "已通过") || !inboxHas(t, db, m, "agreement.generated", "请签署") {
			t.Fatal("merchant not told of approval and agreement")
		}
		reviewSign(t, db, a, app.AgreementID)

		// R34.1: the agreement ends with its term.
		clock.Set(time.Date(2028, 1, 1, 0, 0, 1, 0, workday.Zone))
		if rep, err := db.Sweep(ctx); err != nil || rep.Expired != 1 {
			t.Fatalf("expiry sweep %+v %v", rep, err)
		}
		agr, _ := db.Agreement(ctx, m, app.AgreementID)
		if agr.Status != shuyu.AgrExpired || !inboxHas(t, db, m, "agreement.expired", "已到期") {
			t.Fatalf("agreement after its term: %s", agr.Status)
		}
	})
}

// reviewSign has both parties sign and checks verification (R19.1).
func reviewSign(t *testing.T, db *sqlstore.DB, a map[string]*shuyu.Actor, id int64) {
	t.Helper()
	m, op := a["merchant-a"], a["operator-admin"]
	_, err := db.SignAgreement(ctx, op, id, sqltest.Password)
	wantCode(t, err, shuyu.ECONFLICT) // the merchant signs first
	_, err = db.SignAgreement(ctx, m, id, "wrong-password-1")
	wantCode(t, err, shuyu.EINVALID)
	_, err = db.SignAgreement(ctx, a["merchant-b"], id, sqltest.Password)
	wantCode(t, err, shuyu.ENOTFOUND) // another merchant's agreement does not exist for it
	if _, err := db.SignAgreement(ctx, m, id, sqltest.Password); err != nil {
		t.Fatal(err)
	}
	_, err = db.SignAgreement(ctx, m, id, sqltest.Password)
	wantCode(t, err, shuyu.ECONFLICT)
	agr, err := db.SignAgreement(ctx, op, id, sqltest.Password)
	if err != nil {
		t.Fatal(err)
	}
	if agr.Status != shuyu.AgrEffective || len(agr.Signatures) != 2 {
		t.Fatalf("after signing: %s, %d signatures", agr.Status, len(agr.Signatures))
	}
	for _, who := range []string{"merchant-a", "dept-gongan", "regulator"} {
		v, err := db.VerifyAgreement(ctx, a[who], id)
		if err != nil || !v.Valid || !v.DigestOK {
			t.Fatalf("%s verifies: %+v %v", who, v, err)
		}
	}
	if n, actor, _ := auditCount(t, db, "agreement.sign_operator", "agreement", fmt.Sprint(id)); n != 1 || actor != "operator-admin" {
		t.Fatalf("operator signature events %d by %s", n, actor)
	}
	// A changed text no longer verifies.
	if _, err := db.SQL().Exec(db.Rebind(`UPDATE agreements SET text = text || '。' WHERE id = ?`), id); err != nil {
		t.Fatal(err)
	}
	v, err := db.VerifyAgreement(ctx, a["regulator"], id)
	if err != nil || v.Valid || v.DigestOK {
		t.Fatalf("tampered text verifies: %+v %v", v, err)
	}
	if _, err := db.SQL().Exec(db.Rebind(`UPDATE agreements SET text = substr(text, 1, length(text) - 1) WHERE id = ?`), id); err != nil {
		t.Fatal(err)
	}
}

func wantDue(t *testing.T, dl shuyu.Deadline, date string) {
	t.Helper()
	if got := dl.Due.In(workday.Zone).Format(time.DateOnly); got != date || dl.Due.In(workday.Zone).Hour() != 23 {
		t.Fatalf("deadline %s, want end of %s", dl.Due.In(workday.Zone), date)
	}
}
