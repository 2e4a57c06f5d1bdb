package demo

import (
	"context"
	"fmt"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
	"shuyu/workspace"
)

// Providers seeds service providers acting for merchants (R6.3) at every
// stage: merchant-a's delegation to the compliance firm in force (simulated
// data, applications and queries) with one simulated query the provider ran
// for it, a delegation asking for real data under merchant-a's agreement
// awaiting the operator's confirmation, and merchant-b's revoked one. Call
// it after Workspace; it does nothing when a delegation exists already.
func Providers(ctx context.Context, db *sqlstore.DB, v *vault.Domain, dataDir string, now func() time.Time) error {
	act := map[string]*shuyu.Actor{}
	for _, u := range []string{"merchant-a", "merchant-b", "provider"} {
		a, err := demoActor(ctx, db, u)
		if err != nil {
			return fmt.Errorf("demo: providers: %w", err)
		}
		act[u] = a
	}
	if l, err := db.Delegations(ctx, act["merchant-a"]); err != nil || len(l) > 0 {
		return err
	}
	cst := time.FixedZone("CST", 8*3600)
	today := db.Now().In(cst)
	day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
	prov := act["provider"].OrgID
	g, err := db.CreateDelegation(ctx, act["merchant-a"], shuyu.DelegationInput{ProviderOrgID: prov,
		Tasks: []shuyu.DelegationTask{shuyu.TaskApplication, shuyu.TaskSimQuery}, From: day(-3), To: day(90),
		Note: "委托明律合规协助准备医疗资源配置分析的使用申请，并在仿真数据上调试查询"})
	if err != nil {
		return fmt.Errorf("demo: providers: %w", err)
	}
	agrs, err := db.Agreements(ctx, act["merchant-a"])
	if err != nil {
		return err
	}
	for _, ag := range agrs {
		if ag.Status == shuyu.AgrEffective {
			if _, err := db.CreateDelegation(ctx, act["merchant-a"], shuyu.DelegationInput{ProviderOrgID: prov,
				Tasks: []shuyu.DelegationTask{shuyu.TaskProduct}, From: day(0), To: day(60), AgreementID: ag.ID,
				Note: "委托准备数据产品，协议约定可委托第三方专业服务机构在平台内加工"}); err != nil {
				return fmt.Errorf("demo: providers: real data: %w", err)
			}
			break
		}
	}
	gb, err := db.CreateDelegation(ctx, act["merchant-b"], shuyu.DelegationInput{ProviderOrgID: prov,
		Tasks: []shuyu.DelegationTask{shuyu.TaskApplication}, From: day(-20), To: day(40), Note: "委托准备就业补贴分析的使用申请"})
	if err != nil {
		return fmt.Errorf("demo: providers: %w", err)
	}
	if _, err := db.RevokeDelegation(ctx, act["merchant-b"], gb.ID, "申请已由本单位自行提交，委托提前结束"); err != nil {
		return err
	}
	if v == nil {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	acting, err := db.ActFor(ctx, act["provider"], g.ID, sqlstore.ActingRequest{Method: "GET", Path: "/workspaces"})
	if err != nil {
		return err
	}
	all, err := db.Workspaces(ctx, acting)
	if err != nil || len(all) == 0 {
		return err
	}
	pop := ""
	for _, gr := range all[0].Grants {
		if gr.EntryCode == "ZW-GA-0001" {
			pop = gr.Table
		}
	}
	if pop == "" {
		return nil
	}
	wsSvc := workspace.New(db, v, dataDir, now)
	defer wsSvc.Close()
	if _, err := wsSvc.Query(ctx, acting, all[0].ID, "SELECT county, count(*) AS people FROM "+pop+" GROUP BY county", shuyu.DataSimulated); err != nil {
		return fmt.Errorf("demo: providers: simulated query: %w", err)
	}
	// R6.3: what the provider looked at around it, as the pages record it
	// (each ActFor records one request before it returns the actor).
	for _, req := range []sqlstore.ActingRequest{{Method: "GET", Path: fmt.Sprintf("/workspaces/%d", all[0].ID)},
		{Method: "GET", Path: fmt.Sprintf("/api/v1/workspaces/%d/queries", all[0].ID)},
		{Method: "POST", Path: fmt.Sprintf("/api/v1/workspaces/%d/queries", all[0].ID)}, {Method: "GET", Path: "/applications"}} {
		if _, err := db.ActFor(ctx, act["provider"], g.ID, req); err != nil {
			return fmt.Errorf("demo: providers: %w", err)
		}
	}
	return nil
}
