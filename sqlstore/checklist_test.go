package sqlstore_test

import (
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// approveChecklist has the operator propose kind's default items and the
// authority approve them.
func approveChecklist(t testing.TB, db *sqlstore.DB, a map[string]*shuyu.Actor, kind shuyu.ChecklistKind, fourEyes string) *shuyu.ChecklistRuleset {
	t.Helper()
	rs, err := db.ProposeChecklist(ctx, a["operator-admin"], sqlstore.ChecklistProposal{Kind: kind, Items: shuyu.DefaultChecklist(kind), Note: "首版"})
	if err != nil {
		t.Fatal(err)
	}
	if rs, err = db.ApproveChecklist(ctx, a["authority"], rs.ID, fourEyes, "同意"); err != nil {
		t.Fatal(err)
	}
	return rs
}

// answersFrom fills a form: the platform's pre-filled answers stay, every
// other item gets answer (with reason when it is a failure or n/a).
func answersFrom(f *sqlstore.ChecklistForm, answer, reason string) []shuyu.ChecklistAnswer {
	out := []shuyu.ChecklistAnswer{}
	for _, a := range f.Answers {
		if a.Answer == "" {
			a.Answer, a.Reason = answer, reason
		}
		out = append(out, a)
	}
	return out
}

func setAnswer(as []shuyu.ChecklistAnswer, key, answer, reason string) []shuyu.ChecklistAnswer {
	out := append([]shuyu.ChecklistAnswer(nil), as...)
	for i := range out {
		if out[i].Key == key {
			out[i].Answer, out[i].Reason = answer, reason
		}
	}
	return out
}

func checklistRows(t testing.TB, db *sqlstore.DB, table string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// R17.1, R20.3, R23.1: a checklist is a rule set the operator proposes and
// the authority approves; bad proposals change nothing; only the approved
// version is in force and shown to merchants; the authority can widen the
// four-eyes rule but not narrow it.
func TestChecklist_R17_1_R20_3_ProposedByOperatorApprovedByAuthority(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		good := sqlstore.ChecklistProposal{Kind: shuyu.ChecklistApplication, Items: shuyu.DefaultChecklist(shuyu.ChecklistApplication)}
		if _, err := db.ProposeChecklist(ctx, a["merchant-a"], good); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant proposes: %v", err)
		}
		if _, err := db.ProposeChecklist(ctx, a["authority"], good); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("authority proposes (it approves): %v", err)
		}
		noTradeSecret := []shuyu.ChecklistItem{}
		for _, it := range good.Items {
			if it.Area != shuyu.AreaTradeSecret {
				noTradeSecret = append(noTradeSecret, it)
			}
		}
		bad := []sqlstore.ChecklistProposal{
			{Kind: "export", Items: good.Items},
			{Kind: shuyu.ChecklistApplication},
			{Kind: shuyu.ChecklistApplication, Items: noTradeSecret},
			{Kind: shuyu.ChecklistApplication, Items: append(append([]shuyu.ChecklistItem{}, good.Items...), good.Items[0])},
			{Kind: shuyu.ChecklistApplication, Items: append(append([]shuyu.ChecklistItem{}, good.Items...),
				shuyu.ChecklistItem{Key: "x_fact", Area: shuyu.AreaDataSecurity, Text: "平台不知道的事实", Fact: "derived_pi"})},
			{Kind: shuyu.ChecklistApplication, Items: good.Items, FourEyes: shuyu.FourEyesAll},
			{Kind: shuyu.ChecklistOutput, Items: shuyu.DefaultChecklist(shuyu.ChecklistOutput), FourEyes: "nobody"},
		}
		for i, p := range bad {
			if _, err := db.ProposeChecklist(ctx, a["operator-admin"], p); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Fatalf("bad proposal %d: %v", i, err)
			}
		}
		if n := checklistRows(t, db, "checklist_rulesets"); n != 0 {
			t.Fatalf("bad proposals left %d rule sets", n)
		}
		v1, err := db.ProposeChecklist(ctx, a["operator-admin"], good)
		if err != nil || v1.Version != 1 || v1.Status != shuyu.ChecklistProposed {
			t.Fatalf("propose: %v %+v", err, v1)
		}
		if _, err := db.ApproveChecklist(ctx, a["operator-admin"], v1.ID, "", ""); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("operator approves its own rules: %v", err)
		}
		if l, err := db.Checklists(ctx, a["merchant-a"], ""); err != nil || len(l) != 0 {
			t.Fatalf("merchant sees a proposal: %v %d", err, len(l))
		}
		if _, err := db.ApproveChecklist(ctx, a["authority"], v1.ID, shuyu.FourEyesAll, ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("four eyes on an application checklist: %v", err)
		}
		if _, err := db.ApproveChecklist(ctx, a["authority"], v1.ID, "", "同意"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ApproveChecklist(ctx, a["authority"], v1.ID, "", "again"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("second approval: %v", err)
		}
		v2, err := db.ProposeChecklist(ctx, a["operator-admin"], good)
		if err != nil || v2.Version != 2 {
			t.Fatalf("v2: %v %+v", err, v2)
		}
		l, err := db.Checklists(ctx, a["merchant-a"], shuyu.ChecklistApplication)
		if err != nil || len(l) != 1 || l[0].Version != 1 {
			t.Fatalf("merchant sees the version in force only: %v %+v", err, l)
		}
		if _, err := db.ApproveChecklist(ctx, a["authority"], v2.ID, "", "同意第二版"); err != nil {
			t.Fatal(err)
		}
		l, err = db.Checklists(ctx, a["operator-admin"], shuyu.ChecklistApplication)
		if err != nil || len(l) != 2 || l[0].Status != shuyu.ChecklistApproved || l[1].Status != shuyu.ChecklistRetired {
			t.Fatalf("v2 in force, v1 retired: %v %+v", err, l)
		}

		// Output: the authority widens four eyes to every product, and a
		// later version proposed as "all" cannot be narrowed on approval.
		out := sqlstore.ChecklistProposal{Kind: shuyu.ChecklistOutput, Items: shuyu.DefaultChecklist(shuyu.ChecklistOutput)}
		o1, err := db.ProposeChecklist(ctx, a["operator-admin"], out)
		if err != nil || o1.FourEyes != shuyu.FourEyesPI {
			t.Fatalf("output default four eyes: %v %+v", err, o1)
		}
		if o1, err = db.ApproveChecklist(ctx, a["authority"], o1.ID, shuyu.FourEyesAll, "所有产品双人审核"); err != nil || o1.FourEyes != shuyu.FourEyesAll {
			t.Fatalf("widen: %v %+v", err, o1)
		}
		out.FourEyes = shuyu.FourEyesAll
		o2, err := db.ProposeChecklist(ctx, a["operator-admin"], out)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ApproveChecklist(ctx, a["authority"], o2.ID, shuyu.FourEyesPI, "缩小"); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("narrowed on approval: %v", err)
		}
		for _, id := range []int64{v1.ID, v2.ID, o1.ID} {
			if n, who, _ := auditCount(t, db, string(shuyu.AuditChecklistApprove), "checklist", itoa(id)); n != 1 || who != "authority" {
				t.Fatalf("approval of %d audited %d times by %q", id, n, who)
			}
		}
	})
}

// R17.1, R20.2, R20.3: once the authority approved a 核查规范, the
// application check is its checklist: nothing else is accepted, the
// platform's facts pre-fill and bind the items (personal information
// requested makes the item applicable, no sensitive personal information
// makes it not applicable), a failed item needs a reason, the conclusion
// follows the checklist, and a refused check changes nothing.
func TestChecklist_R17_1_R20_3_ApplicationCheckIsTheChecklist(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		f := newReviewFixture(t, db, a)
		// The police entry's address is personal information.
		if _, err := db.SQL().Exec(db.Rebind(`UPDATE catalog_fields SET pi = ? WHERE name = 'address'`), true); err != nil {
			t.Fatal(err)
		}
		// Before any approval the check is the free-text result of before.
		old, err := db.SubmitApplication(ctx, a["merchant-a"], f.input())
		if err != nil {
			t.Fatal(err)
		}
		if old, err = db.CheckApplication(ctx, a["operator-reviewer"], old.ID, shuyu.CheckResult{Pass: false, Reason: "场景说明不充分"}); err != nil {
			t.Fatal(err)
		}
		rs := approveChecklist(t, db, a, shuyu.ChecklistApplication, "")
		if got, err := db.Application(ctx, a["merchant-a"], old.ID); err != nil || got.Check.Reason != "场景说明不充分" {
			t.Fatalf("old free-text result unreadable: %v %+v", err, got.Check)
		}

		in := f.input()
		in.Title = "流动人口与门诊需求分析"
		app, err := db.SubmitApplication(ctx, a["merchant-a"], in)
		if err != nil {
			t.Fatal(err)
		}
		rev := a["operator-reviewer"]
		form, err := db.ChecklistFormFor(ctx, rev, shuyu.ChecklistApplication, app.ID)
		if err != nil || form.Ruleset == nil || form.Ruleset.Version != rs.Version || len(form.Answers) != len(rs.Items) {
			t.Fatalf("form: %v %+v", err, form)
		}
		pre := map[string]shuyu.ChecklistAnswer{}
		for _, x := range form.Answers {
			pre[x.Key] = x
		}
		if pre["sensitive_pi"].Answer != shuyu.AnswerNA || !pre["sensitive_pi"].Auto {
			t.Fatalf("no sensitive PI requested, so the item is not applicable: %+v", pre["sensitive_pi"])
		}
		if pre["pi_minimum"].Answer != "" {
			t.Fatalf("PI requested: the reviewer must answer, got %+v", pre["pi_minimum"])
		}
		if pre["core_data"].Answer != shuyu.AnswerNA {
			t.Fatalf("no core data requested: %+v", pre["core_data"])
		}
		if _, err := db.ChecklistFormFor(ctx, a["merchant-b"], shuyu.ChecklistApplication, app.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("another merchant reads the form: %v", err)
		}

		all := answersFrom(form, shuyu.AnswerPass, "")
		refused := []struct {
			name string
			res  shuyu.CheckResult
		}{
			{"free text once a checklist is in force", shuyu.CheckResult{Pass: true}},
			{"an item missing", shuyu.CheckResult{Pass: true, Checklist: all[1:]}},
			{"an unknown item", shuyu.CheckResult{Pass: true, Checklist: append(append([]shuyu.ChecklistAnswer{}, all...), shuyu.ChecklistAnswer{Key: "nope", Answer: "pass"})}},
			{"PI item waved through as n/a", shuyu.CheckResult{Pass: true, Checklist: setAnswer(all, "pi_minimum", shuyu.AnswerNA, "不涉及")}},
			{"sensitive PI passed though not requested", shuyu.CheckResult{Pass: true, Checklist: setAnswer(all, "sensitive_pi", shuyu.AnswerPass, "")}},
			{"failed item without a reason", shuyu.CheckResult{Pass: false, Checklist: setAnswer(all, "network", shuyu.AnswerFail, "")}},
			{"pass though an item failed", shuyu.CheckResult{Pass: true, Checklist: setAnswer(all, "network", shuyu.AnswerFail, "申请直接导出原始数据")}},
			{"fail though every item passed", shuyu.CheckResult{Pass: false, Reason: "就是不通过", Checklist: all}},
		}
		before := checklistRows(t, db, "checklist_results")
		for _, c := range refused {
			if _, err := db.CheckApplication(ctx, rev, app.ID, c.res); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		if got, _ := db.Application(ctx, rev, app.ID); got.Status != shuyu.AppChecking || checklistRows(t, db, "checklist_results") != before {
			t.Fatalf("a refused check changed something: %s", got.Status)
		}

		failing := setAnswer(all, "pi_minimum", shuyu.AnswerFail, "住址信息超出场景所需，应改为到乡镇的汇总")
		got, err := db.CheckApplication(ctx, rev, app.ID, shuyu.CheckResult{Pass: false, Checklist: failing})
		if err != nil || got.Status != shuyu.AppReturned || !strings.Contains(got.Check.Reason, "住址信息超出场景所需") {
			t.Fatalf("failed checklist: %v %+v", err, got)
		}
		results, err := db.ChecklistResults(ctx, a["merchant-a"], shuyu.ChecklistApplication, app.ID)
		if err != nil || len(results) != 1 || results[0].Passed || results[0].Version != rs.Version || results[0].Round != 1 {
			t.Fatalf("results: %v %+v", err, results)
		}
		for _, x := range results[0].Answers {
			if x.Key == "sensitive_pi" && !x.Auto {
				t.Fatalf("the platform's answer is not marked as such: %+v", x)
			}
		}
		if _, err := db.ChecklistResults(ctx, a["merchant-b"], shuyu.ChecklistApplication, app.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("another merchant reads the result: %v", err)
		}
		if n, _, _ := auditCount(t, db, string(shuyu.AuditApplicationCheck), "application", itoa(app.ID)); n != 1 {
			t.Fatalf("check audited %d times", n)
		}

		// Resubmitted, the next round passes item by item and opens the reviews.
		if _, err := db.ResubmitApplication(ctx, a["merchant-a"], app.ID, in); err != nil {
			t.Fatal(err)
		}
		got, err = db.CheckApplication(ctx, rev, app.ID, shuyu.CheckResult{Pass: true, Checklist: all})
		if err != nil || got.Status != shuyu.AppReviewing {
			t.Fatalf("passing checklist: %v %+v", err, got)
		}
		if results, _ = db.ChecklistResults(ctx, rev, shuyu.ChecklistApplication, app.ID); len(results) != 2 || !results[1].Passed || results[1].Round != 2 {
			t.Fatalf("second round: %+v", results)
		}
	})
}

// R17.1, R18.1: the onboarding decision follows the 进驻核查规范 in force:
// registering needs every item to pass, refusing a failed item whose
// reason is the refusal's.
func TestChecklist_R17_1_R18_1_OnboardingDecisionIsTheChecklist(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		rules, _ := reviewDocs(t, db, a)
		approveChecklist(t, db, a, shuyu.ChecklistOnboarding, "")
		rev := a["operator-reviewer"]
		g, _, err := db.SubmitRegistration(ctx, reviewRegistration("丁数据服务有限公司", "merchant-d", rules.ID))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AcceptRegistration(ctx, rev, g.ID); err != nil {
			t.Fatal(err)
		}
		form, err := db.ChecklistFormFor(ctx, rev, shuyu.ChecklistOnboarding, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		pre := map[string]shuyu.ChecklistAnswer{}
		for _, x := range form.Answers {
			pre[x.Key] = x
		}
		if pre["uscc"].Answer != shuyu.AnswerPass || !pre["uscc"].Auto {
			t.Fatalf("valid credit code not pre-filled: %+v", pre["uscc"])
		}
		if _, err := db.DecideRegistration(ctx, rev, g.ID, true, "材料齐全"); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("free-text decision under a checklist: %v", err)
		}
		all := answersFrom(form, shuyu.AnswerPass, "")
		if _, err := db.DecideRegistrationChecked(ctx, rev, g.ID, true, "", setAnswer(all, "uscc", shuyu.AnswerFail, "代码有误")); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("a verdict of the records overridden: %v", err)
		}
		failing := setAnswer(all, "network_protection", shuyu.AnswerFail, "未提供等级保护测评报告")
		if _, err := db.DecideRegistrationChecked(ctx, rev, g.ID, true, "", failing); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("registered despite a failed item: %v", err)
		}
		got, err := db.DecideRegistrationChecked(ctx, rev, g.ID, false, "", failing)
		if err != nil || got.Status != shuyu.RegNotRegistered || !strings.Contains(got.Reason, "未提供等级保护测评报告") {
			t.Fatalf("refusal: %v %+v", err, got)
		}
		if rs, err := db.ChecklistResults(ctx, rev, shuyu.ChecklistOnboarding, g.ID); err != nil || len(rs) != 1 || rs[0].Passed {
			t.Fatalf("results: %v %+v", err, rs)
		}
	})
}
