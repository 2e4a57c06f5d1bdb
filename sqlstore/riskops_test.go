package sqlstore_test

import (
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
)

// R27.2: an assessment is due N working days after it is planned (the
// working-day calendar, the injected clock); findings of a medium or high
// risk need measures, each due its working days later; the authority closes
// it only when every measure is done; bad input changes nothing; the
// merchant reads nothing.
func TestRisk_R27_2_PlanAssessFollowUpClose(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		op, auth := a["operator-admin"], a["authority"]
		plan := shuyu.RiskPlanInput{Title: "2026年第四季度数据安全风险评估", Scope: "数据域出域核查、仿真数据生成、服务机构委托",
			Areas: []shuyu.ChecklistArea{shuyu.AreaDataSecurity, shuyu.AreaPersonalInfo}, Method: "日志抽查、配置核查、人员访谈", Workdays: 10}
		for i, bad := range []shuyu.RiskPlanInput{{}, {Title: plan.Title, Scope: plan.Scope, Method: plan.Method, Workdays: 10},
			{Title: plan.Title, Scope: plan.Scope, Method: plan.Method, Areas: plan.Areas, Workdays: 0},
			{Title: plan.Title, Scope: plan.Scope, Method: plan.Method, Areas: []shuyu.ChecklistArea{"weather"}, Workdays: 5}} {
			if _, err := db.PlanRisk(ctx, op, bad); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Fatalf("bad plan %d: %v", i, err)
			}
		}
		if _, err := db.PlanRisk(ctx, a["merchant-a"], plan); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant plans: %v", err)
		}
		if n := checklistRows(t, db, "risk_assessments"); n != 0 {
			t.Fatalf("refused plans left %d rows", n)
		}
		r, err := db.PlanRisk(ctx, op, plan)
		if err != nil {
			t.Fatal(err)
		}
		cal, err := workday.New()
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := cal.Due(env.Clock.Now(), 10); !r.DueAt.Equal(want.Truncate(time.Microsecond)) {
			t.Fatalf("due %v, want %v (10 working days)", r.DueAt, want)
		}
		if _, err := db.Risks(ctx, a["merchant-a"]); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant reads risks: %v", err)
		}
		if _, err := db.AssessRisk(ctx, op, r.ID, shuyu.RiskFindingsInput{Findings: "出域核查规则未覆盖新增的敏感字段", Level: "high"}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("high risk without measures: %v", err)
		}
		env.Clock.Advance(15 * 24 * time.Hour) // past the deadline
		r, err = db.AssessRisk(ctx, op, r.ID, shuyu.RiskFindingsInput{Findings: "出域核查规则未覆盖新增的敏感字段", Level: "high",
			Measures: []shuyu.RiskMeasureInput{{Measure: "更新出域核查规则，覆盖新增敏感字段", Workdays: 5}, {Measure: "复核已出域产品", Workdays: 10}}})
		if err != nil || r.Status != shuyu.RiskAssessed || !r.Overdue || len(r.Measures) != 2 {
			t.Fatalf("assess (late): %v %+v", err, r)
		}
		if want, _ := cal.Due(env.Clock.Now(), 5); !r.Measures[0].DueAt.Equal(want.Truncate(time.Microsecond)) {
			t.Fatalf("measure due %v, want %v", r.Measures[0].DueAt, want)
		}
		if _, err := db.CloseRisk(ctx, auth, r.ID, "关闭"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("closed with open measures: %v", err)
		}
		if _, err := db.FollowUpMeasure(ctx, op, r.Measures[0].ID, ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("follow-up without text: %v", err)
		}
		for _, m := range r.Measures {
			if _, err := db.FollowUpMeasure(ctx, op, m.ID, "已完成并经复核"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.CloseRisk(ctx, op, r.ID, "关闭"); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("the operator closes: %v", err)
		}
		if r, err = db.CloseRisk(ctx, auth, r.ID, "整改到位"); err != nil || r.Status != shuyu.RiskClosed {
			t.Fatalf("close: %v %+v", err, r)
		}
		if n, who, _ := auditCount(t, db, string(shuyu.AuditRiskClose), "risk", itoa(r.ID)); n != 1 || who != "authority" {
			t.Fatalf("close audited %d by %q", n, who)
		}
	})
}

// R28.2, Art. 29: an incident under a plan must be notified to the
// authority within the plan's hours and reported within its working days;
// the steps go in order, the authority and the regulators are told, and a
// late notice shows as late.
func TestEmergency_R28_2_IncidentDeadlinesAndTimeline(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		op := a["operator-admin"]
		if _, err := db.CreateEmergencyPlan(ctx, op, shuyu.EmergencyPlanInput{Title: "平台", Category: "platform", Body: "短", NotifyHours: 0}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("bad plan: %v", err)
		}
		if _, err := db.CreateEmergencyPlan(ctx, a["merchant-a"], shuyu.EmergencyPlanInput{}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant files a plan: %v", err)
		}
		p, err := db.CreateEmergencyPlan(ctx, op, shuyu.EmergencyPlanInput{Title: "公共数据运营平台网络安全事件应急预案", Category: "platform",
			Body: "一、组织机构；二、事件分级；三、监测预警；四、应急处置；五、报告：发现后 2 小时内报告市数据局，5 个工作日内提交书面报告。", NotifyHours: 2, ReportDays: 5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordDrill(ctx, op, p.ID, shuyu.EmergencyDrill{HeldOn: env.Clock.Now().AddDate(0, 0, 3).Format(time.DateOnly),
			Scenario: "数据域勒索软件", Participants: "运营机构", Findings: "未来的演练"}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("a drill in the future: %v", err)
		}
		if p, err = db.RecordDrill(ctx, op, p.ID, shuyu.EmergencyDrill{HeldOn: env.Clock.Now().AddDate(0, 0, -10).Format(time.DateOnly),
			Scenario: "数据域服务器遭勒索软件攻击", Participants: "运营机构安全组、市数据局", Findings: "备份恢复用时 40 分钟，超出目标，需优化"}); err != nil || len(p.Drills) != 1 {
			t.Fatalf("drill: %v %+v", err, p)
		}
		inc, err := db.RecordIncident(ctx, op, shuyu.IncidentInput{PlanID: p.ID, Title: "异常批量查询告警", Level: "major",
			Summary: "监测到某工作区短时间内大量相似查询，疑似差分攻击"})
		if err != nil {
			t.Fatal(err)
		}
		if want := env.Clock.Now().Add(2 * time.Hour); !inc.NotifyDue.Equal(want) {
			t.Fatalf("notify due %v, want %v", inc.NotifyDue, want)
		}
		cal, err := workday.New()
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := cal.Due(env.Clock.Now(), 5); !inc.ReportDue.Equal(want.Truncate(time.Microsecond)) {
			t.Fatalf("report due %v, want %v", inc.ReportDue, want)
		}
		if _, err := db.IncidentStep(ctx, op, inc.ID, shuyu.IncidentStep{Step: "report", Text: "书面报告"}); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("report before notice: %v", err)
		}
		if _, err := db.IncidentStep(ctx, op, inc.ID, shuyu.IncidentStep{Step: "notify", Text: ""}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("notice without text: %v", err)
		}
		if _, err := db.IncidentStep(ctx, op, inc.ID, shuyu.IncidentStep{Step: "action", Text: "冻结该工作区，保全查询记录"}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(3 * time.Hour) // past the 2 hours
		inc, err = db.IncidentStep(ctx, op, inc.ID, shuyu.IncidentStep{Step: "notify", Text: "已电话并书面报告市数据局"})
		if err != nil || inc.Status != shuyu.IncidentNotified || !inc.NotifyLate {
			t.Fatalf("late notice: %v %+v", err, inc)
		}
		if !inboxHas(t, db, a["authority"], "incident.notify", "异常批量查询告警") || !inboxHas(t, db, a["regulator"], "incident.notify", "异常批量查询告警") {
			t.Fatal("the authority and the regulators were not told")
		}
		if inc, err = db.IncidentStep(ctx, op, inc.ID, shuyu.IncidentStep{Step: "report", Text: "书面报告：原因、影响、处置"}); err != nil || inc.ReportLate {
			t.Fatalf("report on time: %v %+v", err, inc)
		}
		if inc, err = db.IncidentStep(ctx, op, inc.ID, shuyu.IncidentStep{Step: "close", Text: "已加固查询限额，事件结案"}); err != nil || inc.Status != shuyu.IncidentClosed {
			t.Fatalf("close: %v %+v", err, inc)
		}
		if len(inc.Events) != 5 || inc.Events[0].Kind != "detected" || inc.Events[4].Kind != "closed" {
			t.Fatalf("timeline: %+v", inc.Events)
		}
		if _, err := db.Incidents(ctx, a["merchant-a"]); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant reads incidents: %v", err)
		}
		if l, err := db.Incidents(ctx, a["regulator"]); err != nil || len(l) != 1 {
			t.Fatalf("regulator reads incidents: %v", err)
		}
	})
}
