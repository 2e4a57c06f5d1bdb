package demo

import (
	"context"
	"fmt"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// Riskops seeds risk assessments (R27.2) and emergency handling (R28.2) at
// every stage: a closed assessment with its measures done, one with a
// measure running, one planned; the platform's emergency plan and a health
// scenario plan, with a drill; an incident closed (notified late) and one
// open. The expert committee signed an opinion on the closed incident
// before its closure (R7.1); the open one waits for a blocking opinion.
// password is the demo accounts' (the expert signs with it). It does
// nothing when an assessment exists already.
func Riskops(ctx context.Context, db *sqlstore.DB, password string) error {
	if password == "" {
		password = DefaultPassword
	}
	op, err := demoActor(ctx, db, "operator-admin")
	if err != nil {
		return fmt.Errorf("demo: riskops: %w", err)
	}
	auth, err := demoActor(ctx, db, "authority")
	if err != nil {
		return fmt.Errorf("demo: riskops: %w", err)
	}
	if l, err := db.Risks(ctx, op); err != nil || len(l) > 0 {
		return err
	}
	all := shuyu.ChecklistAreas
	plans := []struct {
		in       shuyu.RiskPlanInput
		findings *shuyu.RiskFindingsInput
		done     bool
	}{
		{shuyu.RiskPlanInput{Title: "第三季度公共数据运营安全风险评估", Scope: "数据域访问控制、出域核查、日志审计、备份恢复", Areas: all,
			Method: "配置核查、日志抽查、渗透测试、人员访谈", Workdays: 15},
			&shuyu.RiskFindingsInput{Findings: "备份恢复演练用时超出目标；两名离职人员账号未及时停用", Level: "medium",
				Measures: []shuyu.RiskMeasureInput{{Measure: "优化备份恢复流程，恢复时间控制在 30 分钟内", Workdays: 10},
					{Measure: "建立离职账号当日停用机制并复核全部账号", Workdays: 3}}}, true},
		{shuyu.RiskPlanInput{Title: "服务机构委托与仿真数据风险评估", Scope: "第三方服务机构代办、仿真数据生成与下载",
			Areas: []shuyu.ChecklistArea{shuyu.AreaPersonalInfo, shuyu.AreaTradeSecret}, Method: "委托记录抽查、仿真数据重标识测试", Workdays: 10},
			&shuyu.RiskFindingsInput{Findings: "个别委托期限过长，超出申请实际需要", Level: "low",
				Measures: []shuyu.RiskMeasureInput{{Measure: "提示数据商按事项设置委托期限", Workdays: 5}}}, false},
		{shuyu.RiskPlanInput{Title: "第四季度网络安全风险评估", Scope: "互联网出口、运维堡垒机、前置库对接", Areas: []shuyu.ChecklistArea{shuyu.AreaNetworkSecurity},
			Method: "漏洞扫描、配置核查", Workdays: 20}, nil, false},
	}
	for _, p := range plans {
		r, err := db.PlanRisk(ctx, op, p.in)
		if err != nil {
			return fmt.Errorf("demo: riskops: %s: %w", p.in.Title, err)
		}
		if p.findings == nil {
			continue
		}
		if r, err = db.AssessRisk(ctx, op, r.ID, *p.findings); err != nil {
			return fmt.Errorf("demo: riskops: %s: %w", p.in.Title, err)
		}
		if !p.done {
			continue
		}
		for _, m := range r.Measures {
			if _, err := db.FollowUpMeasure(ctx, op, m.ID, "已完成，经运营机构安全组复核"); err != nil {
				return err
			}
		}
		if _, err := db.CloseRisk(ctx, auth, r.ID, "整改到位，同意关闭"); err != nil {
			return err
		}
	}
	platform, err := db.CreateEmergencyPlan(ctx, op, shuyu.EmergencyPlanInput{Title: "公共数据运营平台网络安全事件应急预案", Category: "platform",
		Body:        "一、适用范围：公共数据运营平台及其与市政务数据共享交换平台的对接。\n二、事件分级：一般、较大、重大。\n三、处置：隔离受影响系统，保全日志，评估数据影响。\n四、报告：发现后 2 小时内报告市数据局，5 个工作日内提交书面报告。",
		NotifyHours: 2, ReportDays: 5})
	if err != nil {
		return fmt.Errorf("demo: riskops: %w", err)
	}
	if _, err := db.CreateEmergencyPlan(ctx, op, shuyu.EmergencyPlanInput{Title: "医疗健康类场景数据安全应急预案", Category: "医疗健康",
		Body:        "医保结算等敏感个人信息相关产品出现疑似重标识、超范围使用时，立即暂停相关出域和接口服务，通知数源部门。",
		NotifyHours: 1, ReportDays: 3}); err != nil {
		return err
	}
	now := db.Now().In(time.FixedZone("CST", 8*3600))
	if _, err := db.RecordDrill(ctx, op, platform.ID, shuyu.EmergencyDrill{HeldOn: now.AddDate(0, -1, 0).Format(time.DateOnly),
		Scenario: "数据域服务器遭勒索软件攻击，从加密备份恢复", Participants: "运营机构安全组、运维组，市数据局观摩",
		Findings: "恢复用时 42 分钟，超出 30 分钟目标；已优化恢复脚本"}); err != nil {
		return err
	}
	closed, err := db.RecordIncident(ctx, op, shuyu.IncidentInput{PlanID: platform.ID, Title: "运维账号异常登录", Level: "general",
		Summary: "凌晨出现来自境外地址的运维账号登录尝试，已被登录限制拦截", DetectedAt: now.AddDate(0, 0, -9).Format("2006-01-02 15:04")})
	if err != nil {
		return err
	}
	for _, st := range []shuyu.IncidentStep{{Step: "action", Text: "封禁来源地址，重置该账号口令并启用动态口令"},
		{Step: "notify", Text: "已电话并书面报告市数据局（超过 2 小时时限，原因：夜间值班交接延误）"},
		{Step: "report", Text: "书面报告：事件经过、影响评估（无数据泄露）、整改措施"}} {
		if _, err := db.IncidentStep(ctx, op, closed.ID, st); err != nil {
			return fmt.Errorf("demo: riskops: incident: %w", err)
		}
	}
	expert, err := demoActor(ctx, db, "expert")
	if err != nil {
		return fmt.Errorf("demo: riskops: %w", err)
	}
	ref, err := db.ReferCase(ctx, auth, shuyu.ReferralInput{CaseKind: shuyu.CaseIncident, CaseID: closed.ID, Blocking: true,
		Title: "异常登录事件的结案评估", Experts: []int64{expert.UserID},
		Questions: "运维账号遭境外地址登录尝试，运营机构报告超过时限。请评估处置是否充分、能否结案，并就值班报告机制提出改进意见。"})
	if err != nil {
		return fmt.Errorf("demo: riskops: refer: %w", err)
	}
	if _, err := db.GiveOpinion(ctx, expert, ref.ID, shuyu.OpinionInput{Conclusion: shuyu.OpinionConditional, Password: password,
		Opinion: "登录尝试均被拦截，未见数据泄露，处置充分，可以结案。条件：一、运维账号全部启用动态口令；二、夜间值班增设报告专人，确保 2 小时内报告。"}); err != nil {
		return fmt.Errorf("demo: riskops: opinion: %w", err)
	}
	if _, err := db.IncidentStep(ctx, op, closed.ID, shuyu.IncidentStep{Step: "close", Text: "按专家意见完成整改，事件结案"}); err != nil {
		return fmt.Errorf("demo: riskops: incident: %w", err)
	}
	open, err := db.RecordIncident(ctx, op, shuyu.IncidentInput{PlanID: platform.ID, Title: "工作区相似查询告警", Level: "major",
		Summary: "某工作区短时间内提交大量仅差一个条件的查询，疑似差分攻击"})
	if err != nil {
		return err
	}
	if _, err = db.IncidentStep(ctx, op, open.ID, shuyu.IncidentStep{Step: "action", Text: "冻结该工作区，保全查询记录，通知数据商说明情况"}); err != nil {
		return err
	}
	if _, err = db.ReferCase(ctx, op, shuyu.ReferralInput{CaseKind: shuyu.CaseIncident, CaseID: open.ID, Blocking: true,
		Title: "相似查询是否构成差分攻击", Experts: []int64{expert.UserID},
		Questions: "请判断该工作区的查询序列能否推出个体信息，现有的查询限额和噪声是否足够，结案前须采取哪些措施。"}); err != nil {
		return err
	}
	// R33.1: the authority refreshes this year's evaluation, whose incident
	// indicator now reads these incidents.
	evals, err := db.Evaluations(ctx, auth)
	if err != nil {
		return err
	}
	for _, e := range evals {
		if e.Year == now.Year() && e.Status != shuyu.EvalPublished {
			if _, err := db.PrefillEvaluation(ctx, auth, e.ID); err != nil {
				return fmt.Errorf("demo: riskops: evaluation: %w", err)
			}
		}
	}
	return nil
}
