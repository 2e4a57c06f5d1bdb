package sqlstore_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// TestEvaluation_R33_1_R28_2_IncidentFigureEqualsRecords: incidents of 2026
// (and one of 2025) are recorded under a plan with a 2-hour notice and a
// 5-working-day report, notified and reported at chosen times; the
// evaluation's two incident indicators equal what the test computes from
// those times alone (count, count by level, deadlines met and missed, a
// deadline still running not counted), agree with the incident list's late
// flags, link every incident of the year and no other, and stay frozen on
// publication while a new incident is recorded.
func TestEvaluation_R33_1_R28_2_IncidentFigureEqualsRecords(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, a := env.DB, env.Actors
		auth, op := a["authority"], a["operator-admin"]
		env.Clock.Set(time.Date(2025, 12, 1, 9, 0, 0, 0, cst))
		p, err := db.CreateEmergencyPlan(ctx, op, shuyu.EmergencyPlanInput{Title: "平台网络安全事件应急预案", Category: "platform",
			Body: "发现后 2 小时内报告市数据局，5 个工作日内提交书面报告。", NotifyHours: 2, ReportDays: 5})
		if err != nil {
			t.Fatal(err)
		}
		// Each incident: when detected, the time until the notice and from
		// the notice to the report (-1: never), and whether each was late.
		type plan struct {
			title          string
			level          string
			detected       time.Time
			notifyAfter    time.Duration // -1: not notified
			reportAfter    time.Duration // after the notice; -1: not reported
			wantNotifyLate bool          // from the times above and the plan's 2 hours
			wantReportLate bool          // the report due 5 working days after detection
			inYear         bool
		}
		h := time.Hour
		cases := []plan{
			{"上年度的事件", "severe", time.Date(2025, 12, 1, 9, 0, 0, 0, cst), h, 24 * h, false, false, false},
			// Mon 2 Mar 2026, 10:00: report due Mon 9 Mar (end of day).
			{"按时报告和书面报告", "general", day(3, 2, 10), h, 48 * h, false, false, true},
			{"报告超时", "major", day(4, 13, 10), 3 * h, 24 * h, true, false, true},
			{"书面报告超时", "major", day(6, 1, 10), h, 15 * 24 * h, false, true, true},
			{"未报告且已超时", "severe", day(9, 7, 10), -1, -1, true, true, true},
		}
		var inYear []int64
		for _, c := range cases {
			env.Clock.Set(c.detected)
			inc, err := db.RecordIncident(ctx, op, shuyu.IncidentInput{PlanID: p.ID, Title: c.title, Level: c.level, Summary: "测试事件：" + c.title})
			if err != nil {
				t.Fatal(err)
			}
			if c.inYear {
				inYear = append(inYear, inc.ID)
			}
			if c.notifyAfter < 0 {
				continue
			}
			env.Clock.Set(c.detected.Add(c.notifyAfter))
			if _, err := db.IncidentStep(ctx, op, inc.ID, shuyu.IncidentStep{Step: "notify", Text: "已报告市数据局"}); err != nil {
				t.Fatal(err)
			}
			env.Clock.Set(c.detected.Add(c.notifyAfter + c.reportAfter))
			if _, err := db.IncidentStep(ctx, op, inc.ID, shuyu.IncidentStep{Step: "report", Text: "已提交书面报告"}); err != nil {
				t.Fatal(err)
			}
		}
		// Now: 30 Nov 2026. One more incident detected an hour ago: its notice
		// is still running and its report too — neither counts yet.
		now := day(11, 30, 10)
		env.Clock.Set(now.Add(-h))
		fresh, err := db.RecordIncident(ctx, op, shuyu.IncidentInput{PlanID: p.ID, Title: "刚发现的事件", Level: "general", Summary: "测试事件：尚在时限内"})
		if err != nil {
			t.Fatal(err)
		}
		inYear = append(inYear, fresh.ID)
		env.Clock.Set(now)

		// Expected, from the table above alone.
		n, byLevel, met, missed := 0, map[string]int{}, 0, 0
		var notifyOn, notifyLate, reportOn, reportLate int
		for _, c := range cases {
			if !c.inYear {
				continue
			}
			n++
			byLevel[c.level]++
			if c.wantNotifyLate {
				notifyLate++
			} else {
				notifyOn++
			}
			if c.wantReportLate {
				reportLate++
			} else {
				reportOn++
			}
		}
		n++ // the fresh one
		byLevel["general"]++
		met, missed = notifyOn+reportOn, notifyLate+reportLate
		wantShare := float64(met) / float64(met+missed)
		wantEvidence := fmt.Sprintf("安全事件 %d 件（一般 %d、较大 %d、重大 %d）；按时报告主管部门 %d 件、超时 %d 件；按时提交书面报告 %d 件、超时 %d 件",
			n, byLevel["general"], byLevel["major"], byLevel["severe"], notifyOn, notifyLate, reportOn, reportLate)

		// The incident list agrees with the table.
		list, err := db.Incidents(ctx, auth)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range list {
			for _, c := range cases {
				if c.title == i.Title && (i.NotifyLate != c.wantNotifyLate || i.ReportLate != c.wantReportLate) {
					t.Fatalf("%s: list shows late notice %v report %v, the table %v %v", c.title, i.NotifyLate, i.ReportLate, c.wantNotifyLate, c.wantReportLate)
				}
			}
		}

		e, err := db.CreateEvaluation(ctx, auth, shuyu.EvaluationInput{Year: 2026, Indicators: []shuyu.IndicatorInput{
			{Name: "安全事件", Weight: 30, Rule: shuyu.RulePenalty, Metric: "incidents", Points: 10, Evidence: "安全事件记录"},
			{Name: "事件报告按时率", Weight: 30, Rule: shuyu.RuleRatio, Metric: "incident_deadlines"},
			{Name: "服务满意度", Weight: 40, Rule: shuyu.RuleManual},
		}})
		if err != nil {
			t.Fatal(err)
		}
		count, share := e.Indicators[0], e.Indicators[1]
		if count.AutoValue == nil || *count.AutoValue != float64(n) || count.AutoScore == nil || *count.AutoScore != 100-10*float64(n) {
			t.Fatalf("incident count: %v score %v, want %d", count.AutoValue, count.AutoScore, n)
		}
		if share.AutoValue == nil || math.Abs(*share.AutoValue-wantShare) > 1e-9 || math.Abs(*share.AutoScore-100*wantShare) > 1e-9 {
			t.Fatalf("deadlines met: %v, want %v (%d of %d)", share.AutoValue, wantShare, met, met+missed)
		}
		for _, ind := range []shuyu.Indicator{count, share} {
			if ind.AutoEvidence != wantEvidence {
				t.Fatalf("evidence:\n got %s\nwant %s", ind.AutoEvidence, wantEvidence)
			}
			if len(ind.AutoLinks) != len(inYear) {
				t.Fatalf("%d evidence links, want the %d incidents of the year", len(ind.AutoLinks), len(inYear))
			}
			for k, id := range inYear {
				if ind.AutoLinks[k].Href != fmt.Sprintf("/emergency/incidents/%d", id) {
					t.Fatalf("link %d: %+v, want incident %d", k, ind.AutoLinks[k], id)
				}
			}
		}

		// Published, the figure is frozen: a later incident of 2026 does not move it.
		s := 85.0
		if _, err := db.ScoreIndicator(ctx, auth, e.ID, sqlstore.ScoreInput{IndicatorID: e.Indicators[2].ID, Score: &s, Note: "按满意度调查评分"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.OpenEvaluation(ctx, auth, e.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.PublishEvaluation(ctx, auth, e.ID, sqlstore.PublishInput{Summary: "年度评价结论：安全事件处置须加强。",
			Requirement: "完善安全事件报告机制", Workdays: 20}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(24 * h)
		if _, err := db.RecordIncident(ctx, op, shuyu.IncidentInput{PlanID: p.ID, Title: "发布后的事件", Level: "major", Summary: "测试事件：发布之后"}); err != nil {
			t.Fatal(err)
		}
		got, err := db.Evaluation(ctx, auth, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if *got.Indicators[0].AutoValue != float64(n) || len(got.Indicators[0].AutoLinks) != len(inYear) {
			t.Fatalf("published figure moved: %v, %d links", *got.Indicators[0].AutoValue, len(got.Indicators[0].AutoLinks))
		}
	})
}
