package demo

import (
	"context"
	"fmt"
	"time"

	"shuyu"
	"shuyu/dataservice"
	"shuyu/sqlstore"
	"shuyu/synth"
	"shuyu/vault"
	"shuyu/workspace"
)

// ServiceEntries are the entries of merchant-a's service workspace: the
// population register, the enterprise register and social insurance.
var ServiceEntries = []string{"ZW-GA-0001", "ZW-SC-0001", "ZW-RS-0001"}

// Demo service names.
const (
	EnterpriseServiceName = "企业信息核验（演示）"
	InsuranceServiceName  = "社保缴费月数分档（演示，需本人授权）"
)

// ConsentPeople is how many synthetic people grant merchant-b the personal
// service in the demo.
const ConsentPeople = 3

// Services gives the demo its API services (issue 17): merchant-a offers an
// enterprise verification (credit code + name → match and status band) and a
// consent-gated personal service (ID + name → name match and a band of
// social-insurance contribution months), both checked and filed; merchant-b
// takes a key for each, and a few synthetic people grant merchant-b the
// personal service, confirmed with their codes. The keys are announced in
// the demo outbox (/demo/outbox), never logged or stored in clear; each
// start issues fresh ones. Call after SeedDomain.
func Services(ctx context.Context, db *sqlstore.DB, v *vault.Domain, dataDir string, now func() time.Time, ver *dataservice.DemoVerifier) error {
	if v == nil || ver == nil {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	act := map[string]*shuyu.Actor{}
	for _, u := range []string{"merchant-a", "merchant-b", "authority"} {
		a, err := demoActor(ctx, db, u)
		if err != nil {
			return fmt.Errorf("demo: services: %w", err)
		}
		act[u] = a
	}
	wsSvc := workspace.New(db, v, dataDir, now)
	defer wsSvc.Close()
	svc := dataservice.New(db, v, wsSvc, ver, now)
	have := map[string]*shuyu.APIService{}
	list, err := db.Services(ctx, act["merchant-a"])
	if err != nil {
		return fmt.Errorf("demo: services: %w", err)
	}
	for _, s := range list {
		have[s.Name] = s
	}
	if have[EnterpriseServiceName] == nil || have[InsuranceServiceName] == nil {
		ws, err := serviceWorkspace(ctx, db, act["merchant-a"], now)
		if err != nil {
			return err
		}
		tables := map[string]string{}
		for _, g := range ws.Grants {
			tables[g.EntryCode] = g.Table
		}
		for _, in := range []shuyu.APIServiceInput{
			enterpriseDemo(ws.ID, tables["ZW-SC-0001"]),
			insuranceDemo(ws.ID, tables["ZW-GA-0001"], tables["ZW-RS-0001"]),
		} {
			if have[in.Name] != nil {
				continue
			}
			s, err := svc.Define(ctx, act["merchant-a"], in)
			if err != nil {
				return fmt.Errorf("demo: service %s: %w", in.Name, err)
			}
			if s, err = svc.Request(ctx, act["merchant-a"], s.ID); err != nil {
				return fmt.Errorf("demo: service %s: %w", in.Name, err)
			}
			if s, err = db.FileService(ctx, act["authority"], s.ID, ""); err != nil {
				return fmt.Errorf("demo: service %s: %w", in.Name, err)
			}
			have[in.Name] = s
		}
	}
	for _, name := range []string{EnterpriseServiceName, InsuranceServiceName} {
		k, err := db.IssueServiceKey(ctx, act["merchant-b"], have[name].ID, "演示调用密钥")
		if err != nil {
			return fmt.Errorf("demo: key: %w", err)
		}
		ver.Announce(fmt.Sprintf("%s（服务编号 %d）", name, have[name].ID), k.Secret)
	}
	mine, err := db.Consents(ctx, act["merchant-b"])
	if err != nil || len(mine) > 0 {
		return err
	}
	ins := have[InsuranceServiceName]
	for i := range ConsentPeople {
		p := synth.PersonAt(DomainSeed, i, now())
		mobile := p.Phone
		if mobile == "" {
			mobile = fmt.Sprintf("1399551%04d", i)
		}
		c, err := svc.RequestConsent(ctx, act["merchant-b"], dataservice.ConsentAsk{
			Subject:   dataservice.Subject{Kind: shuyu.SubjectPerson, ID: p.IDNumber, Name: p.Name, Mobile: mobile},
			ServiceID: ins.ID, Purpose: "个人经营贷款贷前核验（演示）", Fields: []string{"姓名", "社保缴费月数分档"}, Days: 180})
		if err != nil {
			return fmt.Errorf("demo: consent: %w", err)
		}
		if _, err := db.ConfirmConsent(ctx, c.ID, ver.Last("confirm")); err != nil {
			return fmt.Errorf("demo: consent: %w", err)
		}
	}
	return nil
}

// serviceWorkspace opens merchant-a's service workspace (or finds it).
func serviceWorkspace(ctx context.Context, db *sqlstore.DB, m *shuyu.Actor, now func() time.Time) (*shuyu.Workspace, error) {
	const name = "数据接口服务（演示）"
	all, err := db.Workspaces(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("demo: services: %w", err)
	}
	for _, w := range all {
		if w.Name == name && w.Status == shuyu.WorkspaceActive {
			return w, nil
		}
	}
	g := shuyu.WorkspaceGrant{OrgID: m.OrgID, Name: name, StartsAt: now().UTC(), EndsAt: now().UTC().AddDate(1, 0, 0)}
	for _, code := range ServiceEntries {
		g.Entries = append(g.Entries, shuyu.GrantEntry{EntryCode: code})
	}
	ws, err := db.OpenWorkspace(ctx, shuyu.System, g)
	if err != nil {
		return nil, fmt.Errorf("demo: services: %w", err)
	}
	return ws, nil
}

func enterpriseDemo(wsID int64, table string) shuyu.APIServiceInput {
	return shuyu.APIServiceInput{WorkspaceID: wsID, Name: EnterpriseServiceName,
		Description: "输入统一社会信用代码和企业名称，返回名称是否一致和登记状态分类（正常/异常），不返回任何登记信息原文。",
		Scenario:    "供应链准入和招投标资格核验", QuotaDay: 10000, RateMinute: 600, SubjectDay: 5,
		Template: shuyu.ServiceTemplate{
			Params: []shuyu.ServiceParam{{Name: "uscc", Kind: shuyu.ParamUSCC, Label: "统一社会信用代码"},
				{Name: "name", Kind: shuyu.ParamOrgName, Label: "企业名称"}},
			Subject: "uscc",
			Outputs: []shuyu.ServiceOutput{
				{Name: "name_match", Label: "名称是否一致", Kind: shuyu.OutputMatch, Table: table, Column: "name", Param: "name"},
				{Name: "status_band", Label: "登记状态", Kind: shuyu.OutputCategory, Table: table, Column: "status",
					Groups: []shuyu.CategoryGroup{{Label: "正常", Values: []string{"存续"}}, {Label: "异常", Values: []string{"注销", "吊销"}}}},
			}}}
}

func insuranceDemo(wsID int64, pop, ins string) shuyu.APIServiceInput {
	return shuyu.APIServiceInput{WorkspaceID: wsID, Name: InsuranceServiceName,
		Description: "经本人授权，输入公民身份号码和姓名，返回姓名是否一致和社会保险缴费月数所在档次，不返回缴费明细。",
		Scenario:    "普惠金融贷前核验", Consent: true, QuotaDay: 10000, RateMinute: 600, SubjectDay: 5,
		Template: shuyu.ServiceTemplate{
			Params: []shuyu.ServiceParam{{Name: "id_number", Kind: shuyu.ParamCitizenID, Label: "公民身份号码"},
				{Name: "name", Kind: shuyu.ParamPersonName, Label: "姓名"}},
			Subject: "id_number",
			Outputs: []shuyu.ServiceOutput{
				{Name: "name_match", Label: "姓名是否一致", Kind: shuyu.OutputMatch, Table: pop, Column: "name", Param: "name"},
				{Name: "months_band", Label: "缴费月数", Kind: shuyu.OutputBand, Table: ins, Column: "month", Measure: shuyu.MeasureCountDistinct,
					Bounds: []float64{1, 12, 36, 60}, Labels: []string{"0个月", "1至11个月", "12至35个月", "36至59个月", "60个月及以上"}},
			}}}
}
