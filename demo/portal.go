package demo

import (
	"context"
	"fmt"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// The portal's demo content (issue 13): notices the data bureau and the
// operator published and a few application cases, so the public front page
// is full; and, once the domain has data, applications at the steps that
// fill the dashboards (a compliance check waiting, reviews running).

type portalPost struct {
	by, kind, title, body string
}

var portalPosts = []portalPost{
	{"authority", shuyu.PortalNotice, "关于公共数据资源授权运营平台上线试运行的通知",
		"中卫市公共数据资源授权运营平台即日起上线试运行。\n平台按照“原始数据不出域、数据可用不可见”的要求，为数据商提供目录查询、使用申请、开发利用环境和数据产品出域核查等服务。\n试运行期间，各数源部门请按要求完成目录编制和数据挂接，运营机构做好合规核查和技术支撑。"},
	{"authority", shuyu.PortalNotice, "中卫市公共数据资源授权运营目录（第一批）发布公告",
		"经数源部门编制、县（区）数据局和市数据局审核，第一批公共数据资源授权运营目录已通过平台向社会公开，涵盖人口、社会保障、市场主体、医疗保障、交通出行等领域。\n数据商可在“数据目录”栏目检索，对已挂接数据的目录在线提交使用申请。"},
	{"operator-admin", shuyu.PortalNotice, "数据商入驻及使用申请办理指南",
		"一、入驻：在“数据商入驻”页面提交营业执照信息、数据安全管理承诺等材料，运营机构自受理之日起 5 个工作日内告知核查结果。\n二、申请：登录后在数据目录中点击“申请使用”，加入申请清单，填写应用场景、使用范围、使用方式、使用期限和安全防护措施。\n三、审核：运营机构 5 个工作日内完成合规核查，数源部门等 10 个工作日内完成审核；逾期未审核且未申请延期的，视为同意。"},
	{"operator-admin", shuyu.PortalNotice, "平台系统维护公告",
		"为提升平台服务能力，运营机构将于本周六 22:00 至次日 02:00 进行系统维护，期间开发利用环境暂停查询服务，已保存的工作区表和查询记录不受影响。"},
	{"authority", shuyu.PortalCase, "就业补贴精准发放：社保与市场主体数据融合应用",
		"市人社局会同运营机构，在开发利用环境内比对参保缴费与市场主体登记数据，识别符合条件的吸纳就业企业。\n全过程原始数据不出域，仅输出按县区、行业汇总的统计结果，补贴审核时间由平均 15 个工作日缩短至 5 个工作日。"},
	{"operator-admin", shuyu.PortalCase, "县域医疗资源配置分析",
		"数据商在沙箱内对医保结算和人口结构数据开展聚合分析，形成各乡镇门诊需求与常住人口分布报告，为卫健部门优化基层医疗机构布局提供参考。\n分析结果经出域核查、报市数据局备案后交付，未包含任何个人信息。"},
	{"operator-admin", shuyu.PortalCase, "公交线网优化：刷卡客流时空分析",
		"依托公交刷卡数据的小时级客流统计，运营机构与交通运输局识别高峰拥挤线路和服务空白区域，调整线路 6 条、新增站点 14 个。"},
}

// seedPortal publishes the demo notices and cases as the demo accounts of
// the data bureau and the operator, so the trail shows who published them.
func seedPortal(ctx context.Context, db *sqlstore.DB) error {
	if ps, err := db.PortalPosts(ctx, "", 1); err != nil || len(ps) > 0 {
		return err
	}
	for _, p := range portalPosts {
		a, err := demoActor(ctx, db, p.by)
		if err != nil {
			return fmt.Errorf("demo: portal: %w", err)
		}
		if _, err := db.PublishPortalPost(ctx, a, shuyu.PortalPostInput{Kind: p.kind, Title: p.title, Body: p.body}); err != nil {
			return fmt.Errorf("demo: portal %s: %w", p.title, err)
		}
	}
	return nil
}

// demoApplication is one application the demo merchants submit.
type demoApplication struct {
	merchant, title, scenario, purpose string
	entries                            []string // entry codes; the fields asked for are the entry's non-personal ones
	check                              bool     // the operator passes the check, which opens the reviews
}

var demoApplications = []demoApplication{
	{"merchant-b", "就业补贴精准发放分析", "比对参保缴费与市场主体登记数据，按县区和行业统计吸纳就业情况，支持就业补贴精准发放。",
		shuyu.PurposeGovernance, []string{"ZW-RS-0001", "ZW-SC-0001"}, false},
	{"merchant-a", "县域医疗资源配置分析", "分析各乡镇门诊需求与常住人口分布，为优化基层医疗资源配置提供参考。",
		shuyu.PurposeWelfare, []string{"ZW-YB-0001", "ZW-GA-0001"}, true},
	{"merchant-a", "公交线网客流分析", "按小时统计公交刷卡客流，识别高峰拥挤线路和服务空白区域，为线网优化提供依据。",
		shuyu.PurposeIndustry, []string{"ZW-JT-0001"}, false},
}

// Applications has the demo merchants apply for mounted entries: one
// application waits for the operator's compliance check, one is under
// review by the departments. Call it after SeedDomain (only mounted entries
// can be applied for); it does nothing when merchant-b has applied already.
func Applications(ctx context.Context, db *sqlstore.DB) error {
	b, err := demoActor(ctx, db, "merchant-b")
	if err != nil {
		return fmt.Errorf("demo: applications: %w", err)
	}
	if apps, err := db.Applications(ctx, b, ""); err != nil || len(apps) > 0 {
		return err
	}
	reviewer, err := demoActor(ctx, db, "operator-reviewer")
	if err != nil {
		return fmt.Errorf("demo: applications: %w", err)
	}
	today := db.Now().In(time.FixedZone("CST", 8*3600))
	start := today.AddDate(0, 0, 7).Format("2006-01-02")
	end := today.AddDate(1, 0, 0).Format("2006-01-02")
	for _, da := range demoApplications {
		m, err := demoActor(ctx, db, da.merchant)
		if err != nil {
			return fmt.Errorf("demo: applications: %w", err)
		}
		in := shuyu.ApplicationInput{Title: da.title, Scenario: da.scenario, Tags: []string{"livelihood"}, Purpose: da.purpose,
			Method: "sandbox", TermStart: start, TermEnd: end,
			Security: "仅在平台开发利用环境内分析，只导出经核查的聚合结果；设专人负责，操作全程留痕。"}
		for _, code := range da.entries {
			e, err := db.DomainEntryByCode(ctx, code)
			if err != nil {
				return fmt.Errorf("demo: applications: %s: %w", code, err)
			}
			es, err := db.ReviewApplicableEntries(ctx, e.ID)
			if err != nil || len(es) != 1 {
				return fmt.Errorf("demo: applications: %s not applicable: %v", code, err)
			}
			var fields []string
			for _, f := range es[0].Fields {
				if !f.PI && len(fields) < 4 {
					fields = append(fields, f.Name)
				}
			}
			in.Items = append(in.Items, shuyu.ItemRequest{EntryID: e.ID, Fields: fields})
		}
		app, err := db.SubmitApplication(ctx, m, in)
		if err != nil {
			return fmt.Errorf("demo: application %s: %w", da.title, err)
		}
		if da.check {
			if _, err := db.CheckApplication(ctx, reviewer, app.ID, shuyu.CheckResult{Pass: true}); err != nil {
				return fmt.Errorf("demo: check %s: %w", da.title, err)
			}
		}
	}
	return nil
}
