package demo

import (
	"context"
	"fmt"
	"time"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore"
)

// Records fills the records of issue 15 that need the domain's data in
// place: registrations (their evidence names the loaded data version).
// It skips what an earlier start made.
func Records(ctx context.Context, db *sqlstore.DB) error {
	return seedRegistry(ctx, db)
}

// seedRegistry shows registration (NREG.1–8) at every stage: a resource
// registered in 2025 with its code (recorded as received), one registered
// three years ago that is now inside its renewal window, and a new
// application on public notice.
func seedRegistry(ctx context.Context, db *sqlstore.DB) error {
	if list, err := db.PublicRegistry(ctx); err != nil || len(list) > 0 {
		return err
	}
	authority, err := demoActor(ctx, db, "authority")
	if err != nil {
		return err
	}
	today := db.Now().In(cst)
	materials := func(subject, desc string) shuyu.RegistryMaterials {
		return shuyu.RegistryMaterials{Subject: subject + "（统一社会信用代码见登记编号）",
			LawfulSource: "依法履行职责过程中采集和产生，依据相关法律法规和部门规章", Description: desc,
			ProductInfo: "通过授权运营平台以统计分析、核验等方式提供，原始数据不出域", ScenarioInfo: "公共服务规划、普惠金融、营商环境评估",
			RiskAssessment: "已完成数据安全风险评估：含个人信息的字段仅以脱敏或聚合方式使用，评估结论为风险可控"}
	}
	imports := []struct {
		code, name, summary string
		from                time.Time
	}{
		// Registered last year: valid, with a code.
		{"ZW-SC-0001", "企业登记信息", "全市市场主体的登记状态、行业、注册资本和成立日期。", time.Date(today.Year()-1, 4, 15, 0, 0, 0, 0, cst)},
		// Registered three years ago: validity ends within 60 days.
		{"ZW-RS-0001", "社会保险缴费", "职工养老、医疗、失业保险的参保和缴费信息，按月更新。", today.AddDate(-3, 0, 40)},
	}
	for i, im := range imports {
		e, err := db.DomainEntryByCode(ctx, im.code)
		if err != nil {
			return fmt.Errorf("demo: registry %s: %w", im.code, err)
		}
		org, err := db.Org(ctx, shuyu.System, e.OrgID)
		if err != nil {
			return err
		}
		code, err := ident.RegistryCode(ident.RegistryResource, org.Code, (org.Region + "0000")[:4], int64(i+1))
		if err != nil {
			return fmt.Errorf("demo: registry code for %s: %w", org.Name, err)
		}
		in := sqlstore.RegistryImport{RegistryInput: shuyu.RegistryInput{Kind: shuyu.RgyResource, EntryID: e.ID, Name: im.name,
			Summary: im.summary, Materials: materials(org.Name, im.summary)}, SubjectOrgID: org.ID, Code: code,
			ValidFrom: im.from.Format(time.DateOnly), ValidUntil: im.from.AddDate(shuyu.RgyValidityYears, 0, -1).Format(time.DateOnly)}
		if _, err := db.ImportRegistry(ctx, authority, in); err != nil {
			return fmt.Errorf("demo: registry %s: %w", im.code, err)
		}
	}
	// A new first registration by the public security bureau, accepted,
	// reviewed and on public notice.
	dept, err := demoActor(ctx, db, "dept-gongan")
	if err != nil {
		return err
	}
	e, err := db.DomainEntryByCode(ctx, "ZW-GA-0001")
	if err != nil {
		return err
	}
	g, err := db.SubmitRegistry(ctx, dept, shuyu.RegistryInput{Kind: shuyu.RgyResource, Type: shuyu.RgyFirst, EntryID: e.ID,
		Name: "人口基础信息", Summary: "全市户籍人口的身份、性别、民族、出生日期和户口性质等基础信息。",
		Materials: materials("中卫市公安局", "全市户籍人口基础信息，约120万条，每日更新")})
	if err != nil {
		return fmt.Errorf("demo: registry application: %w", err)
	}
	for _, step := range []string{"accept", "pass"} {
		if _, err := db.DecideRegistry(ctx, authority, g.ID, step, ""); err != nil {
			return fmt.Errorf("demo: registry %s: %w", step, err)
		}
	}
	return nil
}
