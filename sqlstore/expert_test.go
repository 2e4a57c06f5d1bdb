package sqlstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
)

// TestExpert_R7_1_ReferOpineGate: the operator refers an application to one
// expert with a blocking question; bad referrals change nothing; the
// operator's check is refused until the signed opinion is attached; a
// second expert not named sees nothing; the deciding department reads the
// opinion but not the case facts; tampering with a stored opinion breaks
// its signature; a withdrawn referral releases the decision.
func TestExpert_R7_1_ReferOpineGate(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		env.Clock.Set(time.Date(2026, 11, 25, 10, 0, 0, 0, workday.Zone))
		f := newReviewFixture(t, db, a)
		op, rev, exp := a["operator-admin"], a["operator-reviewer"], a["expert"]
		u, err := db.CreateUser(ctx, a["secadmin"], sqlstore.NewUser{OrgID: exp.OrgID, Username: "expert-2", DisplayName: "第二位专家",
			Roles: []shuyu.Role{shuyu.RoleExpert}, Password: sqltest.Password})
		if err != nil {
			t.Fatal(err)
		}
		exp2 := &shuyu.Actor{UserID: u.ID, Username: u.Username, Roles: u.Roles, OrgID: exp.OrgID, OrgKind: exp.OrgKind}

		app, err := db.SubmitApplication(ctx, a["merchant-a"], f.input())
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.SubmitApplication(ctx, a["merchant-a"], f.input())
		if err != nil {
			t.Fatal(err)
		}
		in := shuyu.ReferralInput{CaseKind: shuyu.CaseApplication, CaseID: app.ID, Title: "住址字段的使用必要性",
			Questions: "申请使用流动人口登记信息中的住址字段，是否符合最小必要原则？请给出意见。", Blocking: true, Experts: []int64{exp.UserID}}

		// Bad referrals are refused and leave nothing.
		for name, tc := range map[string]struct {
			who  *shuyu.Actor
			in   func(shuyu.ReferralInput) shuyu.ReferralInput
			code string
		}{
			"merchant":   {a["merchant-a"], func(i shuyu.ReferralInput) shuyu.ReferralInput { return i }, shuyu.EFORBIDDEN},
			"expert":     {exp, func(i shuyu.ReferralInput) shuyu.ReferralInput { return i }, shuyu.EFORBIDDEN},
			"no experts": {op, func(i shuyu.ReferralInput) shuyu.ReferralInput { i.Experts = nil; return i }, shuyu.EINVALID},
			"not expert": {op, func(i shuyu.ReferralInput) shuyu.ReferralInput { i.Experts = []int64{a["merchant-a"].UserID}; return i }, shuyu.EINVALID},
			"no case":    {op, func(i shuyu.ReferralInput) shuyu.ReferralInput { i.CaseID = 99999; return i }, shuyu.ENOTFOUND},
			"bad kind":   {op, func(i shuyu.ReferralInput) shuyu.ReferralInput { i.CaseKind = "weather"; return i }, shuyu.EINVALID},
			"short":      {op, func(i shuyu.ReferralInput) shuyu.ReferralInput { i.Questions = "可以吗"; return i }, shuyu.EINVALID},
		} {
			_, err := db.ReferCase(ctx, tc.who, tc.in(in))
			if shuyu.ErrorCode(err) != tc.code {
				t.Fatalf("%s: %v, want %s", name, err, tc.code)
			}
		}
		if rs, _ := db.ExpertReferrals(ctx, a["regulator"], "", 0); len(rs) != 0 {
			t.Fatalf("refused referrals stored: %d", len(rs))
		}

		ref, err := db.ReferCase(ctx, rev, in)
		if err != nil {
			t.Fatal(err)
		}
		if !inboxHas(t, db, exp, "expert.referred", "住址字段") || inboxHas(t, db, exp2, "expert.referred", "住址字段") {
			t.Fatal("the named expert, and only they, are told")
		}
		// The deciding step waits for the opinion and changes nothing.
		_, err = db.CheckApplication(ctx, rev, app.ID, shuyu.CheckResult{Pass: true})
		wantCode(t, err, shuyu.ECONFLICT)
		if !strings.Contains(shuyu.ErrorMessage(err), "专家") {
			t.Fatalf("gate message: %v", err)
		}
		if got, _ := db.Application(ctx, op, app.ID); got.Status != shuyu.AppChecking {
			t.Fatalf("refused check moved the application to %s", got.Status)
		}

		// The named expert sees the case through the referral, and nothing else.
		seen, err := db.ExpertReferral(ctx, exp, ref.ID)
		if err != nil {
			t.Fatal(err)
		}
		if seen.CaseTitle != "县域医疗资源配置分析" || len(seen.Case) == 0 || !strings.Contains(fmt.Sprint(seen.Case), "流动人口登记信息") {
			t.Fatalf("expert's view of the case: %+v", seen.Case)
		}
		for _, id := range []int64{app.ID, other.ID} {
			if _, err := db.Application(ctx, exp, id); err == nil {
				t.Fatalf("the expert reads application %d directly", id)
			}
		}
		_, err = db.ExpertReferral(ctx, exp2, ref.ID)
		wantCode(t, err, shuyu.ENOTFOUND)
		if rs, err := db.ExpertReferrals(ctx, exp2, "", 0); err != nil || len(rs) != 0 {
			t.Fatalf("unnamed expert lists %d referrals (%v)", len(rs), err)
		}
		_, err = db.GiveOpinion(ctx, exp2, ref.ID, shuyu.OpinionInput{Conclusion: "support", Opinion: "同意使用住址字段，符合最小必要原则。", Password: sqltest.Password})
		wantCode(t, err, shuyu.ENOTFOUND)
		// A referral on another case, naming the other expert, stays hidden from the first.
		ref2, err := db.ReferCase(ctx, op, shuyu.ReferralInput{CaseKind: shuyu.CaseApplication, CaseID: other.ID, Title: "第二个申请的评估",
			Questions: "请评估第二个申请的数据安全风险并提出意见。", Experts: []int64{exp2.UserID}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.ExpertReferral(ctx, exp, ref2.ID)
		wantCode(t, err, shuyu.ENOTFOUND)

		// The opinion: bad input and a wrong password change nothing.
		good := shuyu.OpinionInput{Conclusion: shuyu.OpinionConditional, Opinion: "住址仅可使用到乡镇一级，须在沙箱内聚合后使用，不得导出明细。", Password: sqltest.Password}
		bad := good
		bad.Password = "wrong-password-9"
		_, err = db.GiveOpinion(ctx, exp, ref.ID, bad)
		wantCode(t, err, shuyu.EINVALID)
		bad = good
		bad.Conclusion = "maybe"
		_, err = db.GiveOpinion(ctx, exp, ref.ID, bad)
		wantCode(t, err, shuyu.EINVALID)
		done, err := db.GiveOpinion(ctx, exp, ref.ID, good)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != shuyu.ReferralAnswered || len(done.Opinions) != 1 || !done.Opinions[0].SignatureOK || done.Opinions[0].DigestSM3 == "" {
			t.Fatalf("after the opinion: %s %+v", done.Status, done.Opinions)
		}
		_, err = db.GiveOpinion(ctx, exp, ref.ID, good)
		wantCode(t, err, shuyu.ECONFLICT)
		if n, actor, _ := auditCount(t, db, "expert_referral.opinion", "expert_referral", fmt.Sprint(ref.ID)); n != 1 || actor != "expert" {
			t.Fatalf("opinion events %d by %q", n, actor)
		}
		if !inboxHas(t, db, a["dept-gongan"], "expert.opinion", "住址字段") {
			t.Fatal("the deciding department is not told of the opinion")
		}

		// The deciders see the opinion on the case; the department without the case facts.
		rs, err := db.ExpertReferrals(ctx, a["dept-gongan"], shuyu.CaseApplication, app.ID)
		if err != nil || len(rs) != 1 || len(rs[0].Opinions) != 1 {
			t.Fatalf("department's view: %d %v", len(rs), err)
		}
		if d, err := db.ExpertReferral(ctx, a["dept-gongan"], ref.ID); err != nil || d.Case != nil || d.Opinions[0].Opinion != good.Opinion {
			t.Fatalf("department's referral: %+v %v", d, err)
		}
		_, err = db.ExpertReferrals(ctx, a["merchant-a"], "", 0)
		wantCode(t, err, shuyu.EFORBIDDEN)
		_, err = db.ExpertReferrals(ctx, op, shuyu.CaseApplication, 0)
		wantCode(t, err, shuyu.EINVALID)

		// The decision proceeds once the opinion is attached.
		if _, err := db.CheckApplication(ctx, rev, app.ID, shuyu.CheckResult{Pass: true}); err != nil {
			t.Fatal(err)
		}

		// An insider who rewrites a stored opinion breaks its signature.
		if _, err := db.SQL().Exec(db.Rebind(`UPDATE expert_opinions SET conclusion = 'support' WHERE referral_id = ?`), ref.ID); err != nil {
			t.Fatal(err)
		}
		if d, _ := db.ExpertReferral(ctx, op, ref.ID); d.Opinions[0].SignatureOK {
			t.Fatal("a rewritten opinion still verifies")
		}

		// A blocking referral on the reviews; withdrawing it releases them.
		ref3, err := db.ReferCase(ctx, a["authority"], shuyu.ReferralInput{CaseKind: shuyu.CaseApplication, CaseID: app.ID, Title: "复核住址字段",
			Questions: "请复核住址字段的脱敏方式是否足以防止重新识别。", Blocking: true, Experts: []int64{exp.UserID, exp2.UserID}})
		if err != nil {
			t.Fatal(err)
		}
		err = approveAll(t, db, a, app.ID)
		wantCode(t, err, shuyu.ECONFLICT)
		_, err = db.WithdrawReferral(ctx, rev, ref3.ID, "运营机构审核员无权撤回")
		wantCode(t, err, shuyu.EFORBIDDEN)
		_, err = db.WithdrawReferral(ctx, op, ref3.ID, "")
		wantCode(t, err, shuyu.EINVALID)
		w, err := db.WithdrawReferral(ctx, op, ref3.ID, "申请人已删除住址字段，无需再咨询")
		if err != nil || w.Status != shuyu.ReferralWithdrawn {
			t.Fatalf("withdraw: %+v %v", w, err)
		}
		if err := approveAll(t, db, a, app.ID); err != nil {
			t.Fatal(err)
		}
	})
}
