package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"shuyu"
	"shuyu/output"
	"shuyu/sqlstore"
	"shuyu/vault"
	"shuyu/workspace"
)

// OutputRules is the rule set the demo operator proposes and the authority
// approves (R23.1): k = 10 over the usual quasi-identifiers.
var OutputRules = json.RawMessage(`{"K":10,"QuasiColumns":{"*":["gender","birth_date","age_band","county","township","ethnicity"]}}`)

// outputStage is one demo product and how far it goes.
type outputStage struct {
	name, scenario, query, counts, stop string
}

// Output gives merchant-a one product at each stage of the output check
// (issue 7): a draft, one awaiting review, one approved awaiting filing, one
// filed, and one released and delivered once. Call it after Workspace; it
// does nothing when merchant-a has products already. The steps are taken by
// the demo accounts of each party, so the trail and the lineage read as in
// real use.
func Output(ctx context.Context, db *sqlstore.DB, v *vault.Domain, dataDir string, now func() time.Time) error {
	if v == nil {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	act := map[string]*shuyu.Actor{}
	for _, u := range []string{"merchant-a", "operator-admin", "operator-reviewer", "authority"} {
		a, err := demoActor(ctx, db, u)
		if err != nil {
			return fmt.Errorf("demo: output: %w", err)
		}
		act[u] = a
	}
	if ps, err := db.Products(ctx, act["merchant-a"], ""); err != nil || len(ps) > 0 {
		return err
	}
	if _, err := db.ActiveOutputRules(ctx); err != nil {
		if _, err := db.ProposeOutputRules(ctx, act["operator-admin"], OutputRules, "演示规则第1版"); err != nil {
			return fmt.Errorf("demo: output: %w", err)
		}
		list, err := db.OutputRuleSets(ctx, act["authority"])
		if err != nil || len(list) == 0 {
			return fmt.Errorf("demo: output: rules: %v", err)
		}
		if _, err := db.ApproveOutputRules(ctx, act["authority"], list[0].Version, "同意"); err != nil {
			return fmt.Errorf("demo: output: %w", err)
		}
	}
	all, err := db.Workspaces(ctx, act["merchant-a"])
	if err != nil || len(all) == 0 {
		return fmt.Errorf("demo: output: merchant-a has no workspace (%v)", err)
	}
	ws := all[0]
	tables := map[string]string{}
	for _, g := range ws.Grants {
		tables[g.EntryCode] = g.Table
	}
	med, pop := tables["ZW-YB-0001"], tables["ZW-GA-0001"]
	if med == "" || pop == "" {
		return fmt.Errorf("demo: output: workspace lacks the demo entries")
	}
	wsSvc := workspace.New(db, v, dataDir, now)
	defer wsSvc.Close()
	svc := output.New(db, v, wsSvc)
	stages := []outputStage{
		{"医疗机构就诊统计（演示）", "医疗资源规划", "SELECT hospital, count(*) AS visits, round(avg(total_amount), 2) AS avg_total, round(avg(fund_paid), 2) AS avg_fund FROM " + med + " GROUP BY hospital", "visits", shuyu.ProductReleased},
		{"医疗机构个人自付水平（演示）", "医保基金监管", "SELECT hospital, count(*) AS visits, round(avg(self_paid), 2) AS avg_self FROM " + med + " GROUP BY hospital", "visits", shuyu.ProductFiled},
		{"各县区户籍人口（演示）", "公共服务布局", "SELECT county, count(*) AS people FROM " + pop + " GROUP BY county", "people", shuyu.ProductApproved},
		{"城乡户籍结构（演示）", "城乡规划", "SELECT county, household_type, count(*) AS people FROM " + pop + " GROUP BY county, household_type", "people", shuyu.ProductChecked},
		{"性别结构（演示草稿）", "人口研究", "SELECT gender, count(*) AS people FROM " + pop + " GROUP BY gender", "people", shuyu.ProductDraft},
	}
	for _, st := range stages {
		if err := outputDemoProduct(ctx, db, svc, wsSvc, act, ws.ID, st); err != nil {
			return fmt.Errorf("demo: output %s: %w", st.name, err)
		}
	}
	return nil
}

func outputDemoProduct(ctx context.Context, db *sqlstore.DB, svc *output.Service, wsSvc *workspace.Service,
	act map[string]*shuyu.Actor, wsID int64, st outputStage) error {
	m := act["merchant-a"]
	res, err := wsSvc.Query(ctx, m, wsID, st.query, shuyu.DataReal)
	if err != nil {
		return err
	}
	if res.Status != "released" {
		return fmt.Errorf("query %s: %v", res.Status, res.Reasons)
	}
	p, err := db.CreateProduct(ctx, m, shuyu.ProductInput{WorkspaceID: wsID, Name: st.name, Scenario: st.scenario, Type: "dataset",
		Description: "基于授权数据在数据域内统计生成的汇总结果（演示）", Recipients: []string{"中卫市卫生健康委员会", "某商业保险公司"},
		Terms: "仅限约定场景使用，不得转售", Feedback: true})
	if err != nil {
		return err
	}
	if _, err := svc.AddFromQuery(ctx, m, p.ID, output.TableSpec{QueryID: res.ID, Name: "t1", Aggregate: true, Counts: []string{st.counts}}); err != nil {
		return err
	}
	steps := []struct {
		until string
		do    func() error
	}{
		{shuyu.ProductChecked, func() error {
			p, _, err := svc.Request(ctx, m, p.ID)
			if err == nil && p.StoredStatus != shuyu.ProductChecked {
				err = fmt.Errorf("automatic check: %s", p.StoredStatus)
			}
			return err
		}},
		{shuyu.ProductApproved, func() error {
			_, err := db.ReviewProduct(ctx, act["operator-reviewer"], p.ID, "approve", "统计粒度符合规则，未见个人信息（演示）")
			return err
		}},
		{shuyu.ProductFiled, func() error {
			_, err := db.FileProduct(ctx, act["authority"], p.ID, "", "准予备案（演示）")
			return err
		}},
		{shuyu.ProductReleased, func() error {
			if _, err := db.ReleaseProduct(ctx, m, p.ID); err != nil {
				return err
			}
			_, err := svc.Deliver(ctx, m, p.ID, "", "某商业保险公司", "download")
			return err
		}},
	}
	order := []string{shuyu.ProductDraft, shuyu.ProductChecked, shuyu.ProductApproved, shuyu.ProductFiled, shuyu.ProductReleased}
	reach := 0
	for i, s := range order {
		if s == st.stop {
			reach = i
		}
	}
	for i, s := range steps {
		if i >= reach {
			break
		}
		if err := s.do(); err != nil {
			return fmt.Errorf("%s: %w", s.until, err)
		}
	}
	return nil
}

// demoActor builds the actor of a demo account.
func demoActor(ctx context.Context, db *sqlstore.DB, username string) (*shuyu.Actor, error) {
	var orgName string
	for _, a := range Accounts {
		if a.Username == username {
			orgName = a.Org
		}
	}
	org, err := db.OrgByName(ctx, orgName)
	if err != nil {
		return nil, err
	}
	users, err := db.Users(ctx, shuyu.System, org.ID)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.Username == username {
			return &shuyu.Actor{UserID: u.ID, Username: u.Username, Roles: u.Roles, OrgID: org.ID, OrgKind: org.Kind, Region: org.Region}, nil
		}
	}
	return nil, fmt.Errorf("no demo account %s", username)
}
