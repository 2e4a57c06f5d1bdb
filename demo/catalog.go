package demo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/synth"
)

// DatasetEntryCodes maps each synthetic dataset (synth.Datasets) to the
// catalog entry whose published fields match its columns exactly (names,
// types, PI flags): the data domain loads the dataset under that entry.
var DatasetEntryCodes = map[string]string{
	"population":         "ZW-GA-0001",
	"enterprise":         "ZW-SC-0001",
	"social_insurance":   "ZW-RS-0001",
	"medical_settlement": "ZW-YB-0001",
	"bus_rides":          "ZW-JT-0001",
}

// catalogPublicSource are demo entries of data already legally public
// (R4.3).
var catalogPublicSource = map[string]bool{"ZW-SC-0003": true, "ZW-ZR-0002": true, "ZW-MZ-0004": true}

// catalogAccounts: one account for every source department, so each
// department's catalog work is done by its own staff in the demo.
var catalogAccounts = []Account{
	{"dept-yibao", "马丽（市医保局）", "中卫市医疗保障局", shuyu.RoleDept},
	{"dept-ziran", "冯刚（市自然资源局）", "中卫市自然资源局", shuyu.RoleDept},
	{"dept-jiaotong", "韩梅（市交通运输局）", "中卫市交通运输局", shuyu.RoleDept},
	{"dept-minzheng", "罗斌（市民政局）", "中卫市民政局", shuyu.RoleDept},
	{"dept-spt-jiaoyu", "苏婷（沙坡头区教育局）", "沙坡头区教育局", shuyu.RoleDept},
	{"dept-zn-nongye", "白杰（中宁县农业农村局）", "中宁县农业农村局", shuyu.RoleDept},
	{"dept-hy-weijian", "海燕（海原县卫生健康局）", "海原县卫生健康局", shuyu.RoleDept},
}

// SynthFields returns the catalog fields of a synthetic dataset, exactly
// its columns: sensitive personal information is graded important, the
// rest general.
func SynthFields(spec synth.DatasetSpec) []shuyu.CatalogField {
	out := make([]shuyu.CatalogField, len(spec.Columns))
	for i, c := range spec.Columns {
		g := shuyu.GradeGeneral
		if c.SensitivePI {
			g = shuyu.GradeImportant
		}
		out[i] = shuyu.CatalogField{Name: c.Name, Label: c.Label, DataType: shuyu.FieldType(c.Type),
			PI: c.PI, SensitivePI: c.SensitivePI, Grade: g}
	}
	return out
}

func (c catalogDemo) revision(cats map[string]int64) (shuyu.CatalogRevision, error) {
	r := shuyu.CatalogRevision{Name: c.name, Summary: c.summary, CategoryID: cats[c.category],
		OpenAttr: shuyu.OpenAttr(c.open), AuthMode: shuyu.AuthMode(c.mode), UpdateFreq: shuyu.UpdateFreq(c.freq),
		TimeSpan: c.span, Volume: c.volume, PublicSource: catalogPublicSource[c.code]}
	switch c.grade[0] {
	case 'c':
		r.Grade = shuyu.GradeCore
	case 'i':
		r.Grade = shuyu.GradeImportant
	default:
		r.Grade = shuyu.GradeGeneral
		if len(c.grade) > 1 {
			r.GradeLevel, _ = strconv.Atoi(c.grade[1:])
		}
	}
	for name, code := range DatasetEntryCodes {
		if code != c.code {
			continue
		}
		for _, spec := range synth.Datasets() {
			if spec.Name == name {
				r.Fields = SynthFields(spec)
			}
		}
	}
	for _, f := range c.fields {
		p := strings.Split(f, ":")
		if len(p) != 5 {
			return r, fmt.Errorf("demo: field %q", f)
		}
		fl := shuyu.CatalogField{Name: p[0], Label: p[1], DataType: shuyu.FieldType(p[2]),
			PI: strings.ContainsAny(p[3], "ps"), SensitivePI: strings.Contains(p[3], "s"), TradeSecret: strings.Contains(p[3], "t")}
		fl.Grade = map[string]shuyu.Grade{"c": shuyu.GradeCore, "i": shuyu.GradeImportant, "g": shuyu.GradeGeneral}[p[4]]
		r.Fields = append(r.Fields, fl)
	}
	return r, nil
}

// seedCatalog publishes the demo catalog through the real flow (each step by
// the account whose job it is, so history and trail look as in life), then
// leaves a few entries at each earlier stage and files some demands.
func seedCatalog(ctx context.Context, db *sqlstore.DB) error {
	actors, err := catalogActors(ctx, db)
	if err != nil {
		return err
	}
	list, err := db.CatalogCategories(ctx)
	if err != nil {
		return err
	}
	cats := map[string]int64{}
	for _, c := range list {
		cats[c.Code] = c.ID
	}
	deptUser := map[string]*shuyu.Actor{}
	countyUser := map[string]*shuyu.Actor{}
	for _, a := range actors {
		if a.Has(shuyu.RoleDept) {
			deptUser[catalogOrgName(ctx, db, a.OrgID)] = a
		}
		if a.Has(shuyu.RoleCountyAuthority) {
			countyUser[a.Region] = a
		}
	}
	run := func(c catalogDemo, stage, reason string) error {
		dept := deptUser[c.dept]
		if dept == nil {
			return fmt.Errorf("demo: no account for %s", c.dept)
		}
		rev, err := c.revision(cats)
		if err != nil {
			return err
		}
		e, err := db.CreateCatalogEntry(ctx, dept, sqlstore.NewCatalogEntry{Code: c.code, Revision: rev})
		if err != nil {
			return fmt.Errorf("demo: catalog %s: %w", c.code, err)
		}
		type step struct {
			a *shuyu.Actor
			s shuyu.CatalogStep
		}
		steps := []step{{dept, shuyu.StepSubmit}}
		if shuyu.IsCounty(dept.Region) {
			steps = append(steps, step{countyUser[dept.Region], shuyu.StepApproveCounty})
		}
		steps = append(steps, step{actors["authority"], shuyu.StepApproveCity}, step{actors["operator-admin"], shuyu.StepPublish})
		stop := map[string]int{"draft": 0, "county_review": 1, "city_review": len(steps) - 2, "approved": len(steps) - 1,
			"published": len(steps), "returned": len(steps) - 2}[stage]
		for _, st := range steps[:stop] {
			if _, err := db.CatalogStep(ctx, st.a, e.ID, st.s, ""); err != nil {
				return fmt.Errorf("demo: catalog %s %s: %w", c.code, st.s, err)
			}
		}
		if stage == "returned" {
			if _, err := db.CatalogStep(ctx, actors["authority"], e.ID, shuyu.StepReturnCity, reason); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range catalogDemos {
		if err := run(c, "published", ""); err != nil {
			return err
		}
	}
	for _, c := range catalogInFlow {
		if err := run(c.catalogDemo, c.stage, c.reason); err != nil {
			return err
		}
	}
	return seedCatalogExtras(ctx, db, actors, cats)
}

// seedCatalogExtras: a published entry with a new version under review
// (R9.1, so the diff has something to show), mounting of the entries whose
// data the domain loads (R10.2), and demands at each status.
func seedCatalogExtras(ctx context.Context, db *sqlstore.DB, actors map[string]*shuyu.Actor, cats map[string]int64) error {
	pub, err := db.PublishedCatalog(ctx)
	if err != nil {
		return err
	}
	byCode := map[string]*shuyu.CatalogEntry{}
	for _, e := range pub {
		byCode[e.Code] = e
	}
	bus := byCode["ZW-JT-0002"]
	rev := *bus.Revision
	rev.Fields = append(append([]shuyu.CatalogField(nil), rev.Fields...),
		shuyu.CatalogField{Name: "accessible", Label: "无障碍站台", DataType: "boolean", Grade: shuyu.GradeGeneral})
	rev.Summary += "新增无障碍站台标识。"
	if _, err := db.UpdateCatalogEntry(ctx, actors["dept-jiaotong"], bus.ID, rev); err != nil {
		return err
	}
	if _, err := db.CatalogStep(ctx, actors["dept-jiaotong"], bus.ID, shuyu.StepSubmit, ""); err != nil {
		return err
	}
	for _, code := range DatasetEntryCodes {
		if err := db.SetCatalogMounted(ctx, actors["operator-admin"], byCode[code].ID, true); err != nil {
			return err
		}
	}
	demands := []struct {
		who, title, desc, scenario string
	}{
		{"merchant-a", "城市公交实时到站数据", "希望开放公交车辆实时位置或预计到站时间，用于公交到站提醒小程序。", "民生服务：便民出行"},
		{"merchant-b", "枸杞产地气象数据", "中宁枸杞主产区逐日气温、降水、日照，用于枸杞产量预测与农业保险定价。", "产业发展：特色农业"},
		{"operator-admin", "新能源汽车充电设施", "公共充电桩位置、功率与使用率，用于充电网络规划。", "城市治理"},
		{"dept-renshe", "灵活就业人员参保意愿", "结合平台经济从业人员数据分析参保缺口。", "社会保障"},
	}
	var ids []int64
	for _, d := range demands {
		dm := &shuyu.CatalogDemand{Title: d.title, Description: d.desc, Scenario: d.scenario}
		if err := db.CreateDemand(ctx, actors[d.who], dm); err != nil {
			return err
		}
		ids = append(ids, dm.ID)
	}
	if _, err := db.RouteDemand(ctx, actors["authority"], ids[0], actors["dept-jiaotong"].OrgID, "请交通运输局研究开放方式"); err != nil {
		return err
	}
	if _, err := db.RouteDemand(ctx, actors["authority"], ids[1], actors["dept-zn-nongye"].OrgID, ""); err != nil {
		return err
	}
	if _, err := db.AnswerDemand(ctx, actors["dept-zn-nongye"], ids[1], shuyu.DemandAccepted, "将联合气象部门编目", 0); err != nil {
		return err
	}
	_, err = db.RouteDemand(ctx, actors["authority"], ids[3], actors["dept-renshe"].OrgID, "")
	if err == nil {
		_, err = db.AnswerDemand(ctx, actors["dept-renshe"], ids[3], shuyu.DemandFulfilled, "已发布就业登记信息目录", byCode["ZW-RS-0002"].ID)
	}
	return err
}

// catalogActors builds the actors of the demo accounts (no login, so no
// sessions are left behind).
func catalogActors(ctx context.Context, db *sqlstore.DB) (map[string]*shuyu.Actor, error) {
	out := map[string]*shuyu.Actor{}
	orgs, err := db.Orgs(ctx, shuyu.System, "")
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		users, err := db.Users(ctx, shuyu.System, o.ID)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			out[u.Username] = &shuyu.Actor{UserID: u.ID, Username: u.Username, Roles: u.Roles, OrgID: o.ID, OrgKind: o.Kind, Region: o.Region}
		}
	}
	return out, nil
}

func catalogOrgName(ctx context.Context, db *sqlstore.DB, id int64) string {
	o, err := db.Org(ctx, shuyu.System, id)
	if err != nil {
		return ""
	}
	return o.Name
}
