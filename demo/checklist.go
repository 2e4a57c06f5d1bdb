package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"shuyu"
	"shuyu/ident"
	"shuyu/output"
	"shuyu/sqlstore"
	"shuyu/vault"
	"shuyu/workspace"
)

// Checklists seeds the compliance checklists (R17.1) at every stage: the
// onboarding checklist in its second version (the first retired), the
// application checklist in force with a second version awaiting the
// authority, the output checklist in force (two reviewers for products
// derived from personal information); filled checklists — a registration
// registered item by item, one accepted and waiting for its checklist, an
// application returned for a failed item, and a product from personal data
// approved by one reviewer and waiting for the second. Call it last: the
// steps before it record their checks as free text, as a platform does
// before its authority approves a 核查规范. It does nothing when a version
// exists already.
func Checklists(ctx context.Context, db *sqlstore.DB, v *vault.Domain, dataDir string, now func() time.Time) error {
	act := map[string]*shuyu.Actor{}
	for _, u := range []string{"operator-admin", "operator-reviewer", "operator-reviewer2", "authority", "merchant-a", "merchant-b"} {
		a, err := demoActor(ctx, db, u)
		if err != nil {
			return fmt.Errorf("demo: checklists: %w", err)
		}
		act[u] = a
	}
	op, auth, rev := act["operator-admin"], act["authority"], act["operator-reviewer"]
	if l, err := db.Checklists(ctx, op, ""); err != nil || len(l) > 0 {
		return err
	}
	versions := []struct {
		kind    shuyu.ChecklistKind
		note    string
		approve string // the authority's note; "" leaves the version proposed
	}{
		{shuyu.ChecklistOnboarding, "进驻核查规范（试行）", "同意试行"},
		{shuyu.ChecklistOnboarding, "增加等级保护测评报告要求", "同意，自即日起施行"},
		{shuyu.ChecklistApplication, "使用申请核查规范（试行）", "同意试行"},
		{shuyu.ChecklistApplication, "拟增加对公共数据回馈的核查", ""},
		{shuyu.ChecklistOutput, "出域审核规范（试行）：来源含个人信息的产品须两人审核", "同意"},
	}
	for _, vs := range versions {
		rs, err := db.ProposeChecklist(ctx, op, sqlstore.ChecklistProposal{Kind: vs.kind, Items: shuyu.DefaultChecklist(vs.kind), Note: vs.note})
		if err != nil {
			return fmt.Errorf("demo: checklist %s: %w", vs.note, err)
		}
		if vs.approve != "" {
			if _, err := db.ApproveChecklist(ctx, auth, rs.ID, "", vs.approve); err != nil {
				return fmt.Errorf("demo: approve %s: %w", vs.note, err)
			}
		}
	}

	// Onboarding: one company registered item by item, one waiting.
	rules, err := db.CurrentDocument(ctx, shuyu.DocOnboardingRules)
	if err != nil {
		return fmt.Errorf("demo: checklists: onboarding rules: %w", err)
	}
	for i, c := range []struct{ company, user string }{{"宁夏数智云科技有限公司", "shuzhiyun"}, {"中卫沙坡头文旅数据服务有限公司", "wenlv-data"}} {
		in := sqlstore.RegistrationInput{Registration: shuyu.Registration{Company: c.company, USCC: demoUSCC(i), LegalRep: "马强",
			ContactName: "李娜", ContactPhone: "13895500002", BusinessScope: "数据处理和存储支持服务；信息技术咨询服务",
			SecurityStatement: "已建立数据安全管理制度和个人信息保护制度，设数据安全负责人，自有系统通过网络安全等级保护二级测评。",
			Username:          c.user, RulesDocID: rules.ID}, Password: DefaultPassword}
		g, _, err := db.SubmitRegistration(ctx, in)
		if err != nil {
			return fmt.Errorf("demo: checklists: register %s: %w", c.company, err)
		}
		if _, err := db.AcceptRegistration(ctx, rev, g.ID); err != nil {
			return err
		}
		if i > 0 {
			continue // waits for the reviewer's checklist
		}
		form, err := db.ChecklistFormFor(ctx, rev, shuyu.ChecklistOnboarding, g.ID)
		if err != nil {
			return err
		}
		if _, err := db.DecideRegistrationChecked(ctx, rev, g.ID, true, "", demoAnswers(form, nil)); err != nil {
			return fmt.Errorf("demo: checklists: decide %s: %w", c.company, err)
		}
	}

	// An application returned for a failed item.
	apps, err := db.Applications(ctx, act["merchant-b"], "")
	if err != nil {
		return err
	}
	for _, app := range apps {
		if app.Status != shuyu.AppChecking {
			continue
		}
		form, err := db.ChecklistFormFor(ctx, rev, shuyu.ChecklistApplication, app.ID)
		if err != nil {
			return err
		}
		answers := demoAnswers(form, map[string]string{"materials": "使用期限与场景不匹配：补贴发放按年度核定，申请期限未覆盖完整发放年度，请调整期限并补充各县区统计口径说明"})
		if _, err := db.CheckApplication(ctx, rev, app.ID, shuyu.CheckResult{Pass: false, Checklist: answers}); err != nil {
			return fmt.Errorf("demo: checklists: check %s: %w", app.Title, err)
		}
		break
	}

	// A product from personal data: one reviewer approved, the second awaited.
	if v == nil {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	all, err := db.Workspaces(ctx, act["merchant-a"])
	if err != nil || len(all) == 0 {
		return err
	}
	ws := all[0]
	pop := ""
	for _, g := range ws.Grants {
		if g.EntryCode == "ZW-GA-0001" {
			pop = g.Table
		}
	}
	if pop == "" {
		return nil
	}
	wsSvc := workspace.New(db, v, dataDir, now)
	defer wsSvc.Close()
	svc := output.New(db, v, wsSvc)
	st := outputStage{"各县区户籍类型分布（演示·双人审核）", "人口服务规划", "SELECT household_type, count(*) AS people FROM " + pop + " GROUP BY household_type",
		"people", shuyu.ProductChecked}
	if err := outputDemoProduct(ctx, db, svc, wsSvc, act, ws.ID, st); err != nil {
		return fmt.Errorf("demo: checklists: product: %w", err)
	}
	ps, err := db.Products(ctx, act["merchant-a"], shuyu.ProductChecked)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.Name != st.name {
			continue
		}
		form, err := db.ChecklistFormFor(ctx, rev, shuyu.ChecklistOutput, p.ID)
		if err != nil {
			return err
		}
		if _, err := db.ReviewProductChecked(ctx, rev, p.ID, "approve", "", demoAnswers(form, nil)); err != nil {
			return fmt.Errorf("demo: checklists: review: %w", err)
		}
	}
	return nil
}

// demoAnswers fills a form as a reviewer would: the platform's answers
// stay, the items named in fail fail with that reason, every other item
// passes.
func demoAnswers(form *sqlstore.ChecklistForm, fail map[string]string) []shuyu.ChecklistAnswer {
	out := []shuyu.ChecklistAnswer{}
	for _, a := range form.Answers {
		if a.Answer == "" {
			a.Answer = shuyu.AnswerPass
			if why, ok := fail[a.Key]; ok {
				a.Answer, a.Reason = shuyu.AnswerFail, why
			}
		}
		out = append(out, a)
	}
	return out
}

// demoUSCC is the i-th demo applicant's credit code (fixed, valid).
func demoUSCC(i int) string {
	codes := []string{"640502", "640521"}
	return ident.GenUSCC(rand.New(rand.NewPCG(640500, uint64(170+i))), codes[i%len(codes)])
}
