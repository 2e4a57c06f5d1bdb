package demo

import (
	"context"
	"fmt"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// Supervision's demo (issue 16, first half), at every stage: notices on
// departments (a published public one for last month, a published internal
// one and a draft for this month), scenarios (proposed, accepted with one
// scenario, one application, landed and on the portal with its product,
// rejected) with a report filed, and the operator's evaluations (last
// year's published with a poor grade and a rectification reported, this
// year's open for ratings). Call it after Output: the figures come from
// the demo's live records. It does nothing when a notice exists already.

var demoScenarios = []struct {
	by, title, domain string
	tags              []string
	data, description string
	status, note      string // the operator's decision, if any
	showcase, oneApp  bool
	app, product      string // linked application title, linked released product (any)
}{
	{"dept-gongan", "流动人口服务与社区治理", "government", []string{"livelihood", "urgent_need"},
		"流动人口登记信息、居住证办理记录（按社区汇总）",
		"按社区统计流动人口规模和结构变化，为社区网格员配置、公共服务设施布局提供依据。", "", "", false, false, "", ""},
	{"merchant-a", "公交线网优化", "transport", []string{"livelihood", "high_value"},
		"公交刷卡客流数据（小时级）",
		"识别高峰拥挤线路和服务空白区域，为线网优化和站点增设提供依据；一个场景对应一份使用申请。",
		shuyu.ScenarioAccepted, "纳入本年度重点场景", true, true, "公交线网客流分析", ""},
	{"merchant-a", "县域医疗资源配置分析", "health", []string{"livelihood", "high_value"},
		"医保结算数据、常住人口结构数据",
		"分析各乡镇门诊需求与常住人口分布，为优化基层医疗资源配置提供参考，成果以数据产品形式交付卫健部门。",
		shuyu.ScenarioLanded, "成果已交付并上线", true, false, "县域医疗资源配置分析", "any"},
	{"merchant-b", "小微企业信用画像", "finance", []string{"high_value", "strategic"},
		"市场主体登记、纳税等级、社保缴费人数",
		"为银行小微企业授信提供信用画像，需要企业纳税明细数据。", shuyu.ScenarioRejected, "纳税明细未纳入授权运营目录，待目录扩充后再议", false, false, "", ""},
}

// Supervision seeds the demo's supervision records.
func Supervision(ctx context.Context, db *sqlstore.DB) error {
	auth, err := demoActor(ctx, db, "authority")
	if err != nil {
		return err
	}
	if ns, err := db.DeptNotices(ctx, auth); err != nil || len(ns) > 0 {
		return err
	}
	op, err := demoActor(ctx, db, "operator-admin")
	if err != nil {
		return err
	}
	cst := time.FixedZone("CST", 8*3600)
	now := db.Now().In(cst)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, cst)
	last := month.AddDate(0, -1, 0)
	day := func(t time.Time) string { return t.Format(time.DateOnly) }

	// Notices (R31.1).
	notices := []struct {
		in      shuyu.NoticeInput
		publish bool
	}{
		{shuyu.NoticeInput{Title: fmt.Sprintf("%d年%d月数源部门工作情况通报", last.Year(), last.Month()), From: day(last),
			To: day(month.AddDate(0, 0, -1)), Visibility: shuyu.NoticePublic,
			Body: "现将上月各数源部门目录编制、数据挂接、质量问题处理和使用申请审核情况通报如下。\n请目录挂接率偏低、存在逾期未更新数据的部门对照通报，于下月底前完成整改；逾期未审核被视为同意的，请部门明确专人负责审核工作。"}, true},
		{shuyu.NoticeInput{Title: fmt.Sprintf("%d年%d月数源部门工作进展（内部）", now.Year(), now.Month()), From: day(month),
			To: day(now), Visibility: shuyu.NoticeInternal,
			Body: "本月以来各部门数据更新和问题处理进展如下，供各部门内部对照，不对外公开。"}, true},
		{shuyu.NoticeInput{Title: fmt.Sprintf("%d年%d月数源部门工作情况通报（草稿）", now.Year(), now.Month()), From: day(month),
			To: day(now), Visibility: shuyu.NoticePublic}, false},
	}
	for _, n := range notices {
		d, err := db.DraftNotice(ctx, auth, n.in)
		if err != nil {
			return fmt.Errorf("demo: notice: %w", err)
		}
		if n.publish {
			if _, err := db.PublishNotice(ctx, auth, d.ID); err != nil {
				return fmt.Errorf("demo: notice: %w", err)
			}
		}
	}

	// Scenarios (R16.1, R4.4).
	apps, err := db.Applications(ctx, op, "")
	if err != nil {
		return err
	}
	products, err := db.ReleasedProducts(ctx)
	if err != nil {
		return err
	}
	for _, s := range demoScenarios {
		a, err := demoActor(ctx, db, s.by)
		if err != nil {
			return err
		}
		sc, err := db.CreateScenario(ctx, a, shuyu.ScenarioInput{Title: s.title, Domain: s.domain, Tags: s.tags, DataNeeded: s.data,
			Description: s.description})
		if err != nil {
			return fmt.Errorf("demo: scenario %s: %w", s.title, err)
		}
		if s.status == "" {
			continue
		}
		if s.status == shuyu.ScenarioLanded {
			if _, err := db.SetScenarioStatus(ctx, op, sc.ID, shuyu.ScenarioAccepted, "纳入重点场景"); err != nil {
				return err
			}
		}
		if _, err := db.SetScenarioStatus(ctx, op, sc.ID, s.status, s.note); err != nil {
			return fmt.Errorf("demo: scenario %s: %w", s.title, err)
		}
		if s.oneApp {
			if _, err := db.RequireOneApplication(ctx, auth, sc.ID, true); err != nil {
				return err
			}
		}
		for _, app := range apps {
			if s.app != "" && app.Title == s.app {
				if _, err := db.LinkScenario(ctx, op, sc.ID, sqlstore.ScenarioLinkInput{Kind: shuyu.LinkApplication, ObjectID: app.ID}); err != nil {
					return fmt.Errorf("demo: scenario %s: %w", s.title, err)
				}
				break
			}
		}
		if s.product != "" && len(products) > 0 {
			if _, err := db.LinkScenario(ctx, op, sc.ID, sqlstore.ScenarioLinkInput{Kind: shuyu.LinkProduct, ObjectID: products[0].ID}); err != nil {
				return err
			}
		}
		if s.showcase {
			if _, err := db.SetScenarioShowcase(ctx, op, sc.ID, true); err != nil {
				return err
			}
		}
	}
	if _, err := db.FileScenarioReport(ctx, op, month.AddDate(0, -3, 0), now); err != nil {
		return fmt.Errorf("demo: scenario report: %w", err)
	}

	// Evaluations (R33.1): last year's, published poor with a rectification
	// the operator has reported on; this year's open for ratings.
	indicators := []shuyu.IndicatorInput{
		{Name: "入驻登记按期办结率", Weight: 15, Rule: shuyu.RuleRatio, Metric: "onboarding_sla", Evidence: "入驻登记台账"},
		{Name: "申请合规核查按期率", Weight: 15, Rule: shuyu.RuleRatio, Metric: "compliance_sla", Evidence: "核查记录"},
		{Name: "审核按期完成率", Weight: 20, Rule: shuyu.RuleRatio, Metric: "review_sla", Evidence: "审核记录"},
		{Name: "出域核查问题", Weight: 15, Rule: shuyu.RulePenalty, Metric: "output_findings", Points: 5, Evidence: "出域核查报告"},
		{Name: "数据商反馈问题", Weight: 10, Rule: shuyu.RulePenalty, Metric: "merchant_issues", Points: 5, Evidence: "问题处理台账"},
		{Name: "投诉处理", Weight: 5, Rule: shuyu.RulePenalty, Metric: "complaints", Points: 5, Evidence: "收费异议和登记公示异议记录"},
		{Name: "服务满意度", Weight: 10, Rule: shuyu.RuleManual, Evidence: "满意度调查与专家意见"},
		{Name: "安全事件按时报告率", Weight: 10, Rule: shuyu.RuleRatio, Metric: "incident_deadlines", Evidence: "安全事件记录、报告和书面报告"},
	}
	prev, err := db.CreateEvaluation(ctx, auth, shuyu.EvaluationInput{Year: now.Year() - 1, Indicators: indicators})
	if err != nil {
		return fmt.Errorf("demo: evaluation: %w", err)
	}
	if _, err := db.OpenEvaluation(ctx, auth, prev.ID); err != nil {
		return err
	}
	rate := func(e *shuyu.Evaluation, who string, ind int, score float64, comment string) error {
		a, err := demoActor(ctx, db, who)
		if err != nil {
			return err
		}
		_, err = db.RateEvaluation(ctx, a, e.ID, sqlstore.RateInput{IndicatorID: e.Indicators[ind].ID, Score: score, Comment: comment})
		return err
	}
	for _, r := range []struct {
		who     string
		score   float64
		comment string
	}{
		{"expert", 45, "试运行期间服务流程不清晰，合规核查标准未公开"},
		{"dept-gongan", 40, "质量问题反馈不及时，多次需部门催办"},
		{"merchant-a", 50, "申请指引不够具体，咨询响应较慢"},
	} {
		if err := rate(prev, r.who, 6, r.score, r.comment); err != nil {
			return fmt.Errorf("demo: rating: %w", err)
		}
	}
	for i, s := range []float64{30, 40, 30} {
		v := s
		if _, err := db.ScoreIndicator(ctx, auth, prev.ID, sqlstore.ScoreInput{IndicatorID: prev.Indicators[i].ID, Score: &v,
			Note: "平台上线前的办理记录为线下台账，按抽查情况认定"}); err != nil {
			return err
		}
	}
	v := 60.0 // no incident was recorded on the platform last year
	if _, err := db.ScoreIndicator(ctx, auth, prev.ID, sqlstore.ScoreInput{IndicatorID: prev.Indicators[7].ID, Score: &v,
		Note: "平台上线前未建立安全事件报告记录，按抽查情况认定"}); err != nil {
		return err
	}
	prev, err = db.PublishEvaluation(ctx, auth, prev.ID, sqlstore.PublishInput{
		Summary:     "运营机构试运行期间制度建设和技术保障基本到位，但审核时效、合规核查和服务满意度不达标，评价为不合格。",
		Requirement: "建立审核和核查时限预警机制，公开合规核查规范，一个月内完成服务流程优化并报送整改情况。", Workdays: 20})
	if err != nil {
		return fmt.Errorf("demo: evaluation: %w", err)
	}
	if len(prev.Rectifications) == 1 {
		if _, err := db.SubmitRectification(ctx, op, prev.Rectifications[0].ID, sqlstore.RectifyInput{
			Text: "已上线审核时限预警，每日推送临期事项；合规核查规范已报数据局审批；咨询热线响应时间缩短至 2 小时。"}); err != nil {
			return err
		}
	}
	cur, err := db.CreateEvaluation(ctx, auth, shuyu.EvaluationInput{Year: now.Year(), Indicators: indicators})
	if err != nil {
		return fmt.Errorf("demo: evaluation: %w", err)
	}
	if _, err := db.OpenEvaluation(ctx, auth, cur.ID); err != nil {
		return err
	}
	if err := rate(cur, "expert", 5, 78, "整改后服务流程明显改善，建议继续完善产品备案指引"); err != nil {
		return err
	}
	return rate(cur, "county-haiyuan", 2, 70, "县级审核件办理较为及时")
}
