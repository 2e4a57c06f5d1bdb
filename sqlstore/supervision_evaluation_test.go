package sqlstore_test

import (
	"context"
	"math"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
)

// evalIndicators: two live ratios, one live penalty, one manual indicator.
func evalIndicators() []shuyu.IndicatorInput {
	return []shuyu.IndicatorInput{
		{Name: "审核按期完成率", Weight: 40, Rule: shuyu.RuleRatio, Metric: "review_sla", Evidence: "审核记录"},
		{Name: "合规核查按期率", Weight: 20, Rule: shuyu.RuleRatio, Metric: "compliance_sla"},
		{Name: "数据商反馈问题", Weight: 20, Rule: shuyu.RulePenalty, Metric: "merchant_issues", Points: 10},
		{Name: "服务满意度", Weight: 20, Rule: shuyu.RuleManual, Evidence: "满意度调查报告"},
	}
}

// The operator's reviews and merchants' complaints of 2026, written into
// the review and domain tables; expectations are computed from this list.
type evalReview struct {
	opened, due time.Time
	status      string
	decided     *time.Time
}

func TestEvaluation_R33_1_PrefilledRatedPublishedRectified(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, a := env.DB, env.Actors
		auth, op := a["authority"], a["operator-admin"]
		end := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 23, 59, 59, 0, cst) }
		reviews := []evalReview{
			{day(3, 2, 10), end(3, 16), "approved", tp(day(3, 10, 9))},
			{day(5, 3, 10), end(5, 17), "deemed_approved", tp(end(5, 17).Add(time.Minute))},
			{day(6, 4, 10), end(6, 18), "rejected", tp(day(6, 19, 9))},
			{day(11, 20, 10), end(12, 4), "open", nil},                                             // not yet due: not counted
			{day(11, 1, 10), end(11, 14), "open", nil},                                             // overdue and open: late
			{time.Date(2025, 12, 1, 10, 0, 0, 0, cst), end(12, 15), "approved", tp(day(12, 2, 0))}, // 2025: not counted
		}
		merchant := a["merchant-a"]
		for _, r := range reviews {
			var app int64
			if err := db.SQL().QueryRow(db.Rebind(`INSERT INTO applications (merchant_org_id, round, status, created_by, created_at, updated_at)
				VALUES (?, 1, 'reviewing', ?, 0, 0) RETURNING id`), merchant.OrgID, merchant.UserID).Scan(&app); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL().Exec(db.Rebind(`INSERT INTO reviews (application_id, round, kind, org_id, status, opened_at, due_at, decided_at)
				VALUES (?, 1, 'operator', ?, ?, ?, ?, ?)`), app, op.OrgID, r.status, r.opened.UnixMicro(), r.due.UnixMicro(), micro(r.decided)); err != nil {
				t.Fatal(err)
			}
		}
		onTime, considered := 0, 0
		for _, r := range reviews {
			if r.opened.Year() != 2026 {
				continue
			}
			switch {
			case r.status == "approved" || r.status == "rejected":
				considered++
				if !r.decided.After(r.due) {
					onTime++
				}
			case r.status == "deemed_approved", sqltest.Start.After(r.due):
				considered++
			}
		}
		complaints := 2
		supWorld(t, env, []supEntry{{"dept-gongan", true, true, "daily", nil}}, []supIssue{
			{"dept-gongan", day(4, 1, 10), end(4, 8), "open", nil, nil, nil},
			{"dept-gongan", day(9, 1, 10), end(9, 8), "open", nil, nil, nil},
		}, nil)
		if _, err := db.SQL().Exec(`UPDATE domain_issues SET origin = 'merchant'`); err != nil {
			t.Fatal(err)
		}

		// Bad definitions are refused and write nothing.
		bad := evalIndicators()
		bad[0].Weight = 50
		if _, err := db.CreateEvaluation(ctx, auth, shuyu.EvaluationInput{Year: 2026, Indicators: bad}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("weights not summing to 100: %v", err)
		}
		bad = evalIndicators()
		bad[2].Metric = "review_sla"
		if _, err := db.CreateEvaluation(ctx, auth, shuyu.EvaluationInput{Year: 2026, Indicators: bad}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("penalty on a ratio metric: %v", err)
		}
		if _, err := db.CreateEvaluation(ctx, auth, shuyu.EvaluationInput{Year: 2027, Indicators: evalIndicators()}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("a year not begun: %v", err)
		}
		if _, err := db.CreateEvaluation(ctx, op, shuyu.EvaluationInput{Year: 2026, Indicators: evalIndicators()}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Errorf("the operator evaluated itself: %v", err)
		}
		if n := domainCount(t, db, "evaluations"); n != 0 {
			t.Fatalf("%d evaluations written by refused calls", n)
		}

		e, err := db.CreateEvaluation(ctx, auth, shuyu.EvaluationInput{Year: 2026, Indicators: evalIndicators()})
		if err != nil {
			t.Fatal(err)
		}
		ind := e.Indicators
		wantReview := float64(onTime) / float64(considered) * 100
		if ind[0].AutoScore == nil || math.Abs(*ind[0].AutoScore-wantReview) > 1e-9 {
			t.Errorf("review_sla score %v, want %v (%d/%d)", ind[0].AutoScore, wantReview, onTime, considered)
		}
		if ind[1].AutoScore != nil {
			t.Errorf("compliance_sla scored %v with no checks", *ind[1].AutoScore)
		}
		if ind[2].AutoScore == nil || *ind[2].AutoScore != float64(100-10*complaints) {
			t.Errorf("merchant_issues score %v, want %d", ind[2].AutoScore, 100-10*complaints)
		}
		// The operator does not see its draft evaluation; raters neither.
		for _, who := range []string{"operator-admin", "expert", "merchant-a"} {
			if _, err := db.Evaluation(ctx, a[who], e.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
				t.Errorf("%s read a draft: %v", who, err)
			}
		}
		if _, err := db.RateEvaluation(ctx, a["expert"], e.ID, sqlstore.RateInput{IndicatorID: ind[3].ID, Score: 80, Comment: "尚可"}); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("rated a draft: %v", err)
		}
		if _, err := db.OpenEvaluation(ctx, auth, e.ID); err != nil {
			t.Fatal(err)
		}
		if !inboxHas(t, db, a["expert"], "evaluation.open", "评价") {
			t.Error("the expert committee was not asked")
		}
		// Publishing with an indicator unscored is refused.
		if _, err := db.PublishEvaluation(ctx, auth, e.ID, sqlstore.PublishInput{Summary: "年度评价结论如下所述。", Requirement: "整改"}); shuyu.ErrorCode(err) != shuyu.EUNPROCESSABLE {
			t.Errorf("published with unscored indicators: %v", err)
		}
		rates := []struct {
			who   string
			ind   int
			score float64
		}{{"expert", 3, 50}, {"dept-gongan", 3, 40}, {"merchant-a", 3, 30}, {"merchant-a", 3, 36}, {"county-haiyuan", 1, 70}}
		for _, r := range rates {
			if _, err := db.RateEvaluation(ctx, a[r.who], e.ID, sqlstore.RateInput{IndicatorID: ind[r.ind].ID, Score: r.score, Comment: "依据日常工作情况评分"}); err != nil {
				t.Fatalf("%s: %v", r.who, err)
			}
		}
		for _, bad := range []sqlstore.RateInput{{IndicatorID: ind[3].ID, Score: 120, Comment: "太高"}, {IndicatorID: ind[3].ID, Score: 50},
			{IndicatorID: 99999, Score: 50, Comment: "不存在"}} {
			if _, err := db.RateEvaluation(ctx, a["expert"], e.ID, bad); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		for _, who := range []string{"operator-admin", "provider", "regulator"} {
			if _, err := db.RateEvaluation(ctx, a[who], e.ID, sqlstore.RateInput{IndicatorID: ind[3].ID, Score: 100, Comment: "很好很好"}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
				t.Errorf("%s rated: %v", who, err)
			}
		}
		// A rater sees its own ratings only while open.
		seen, err := db.Evaluation(ctx, a["merchant-a"], e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if in := seen.Indicators[3].Inputs; len(in) != 1 || in[0].Score != 36 {
			t.Errorf("merchant-a sees %+v", in)
		}
		// The authority's own score counts for indicator 2 (no live figure).
		s := 60.0
		if _, err := db.ScoreIndicator(ctx, auth, e.ID, sqlstore.ScoreInput{IndicatorID: ind[1].ID, Score: &s}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("score without a note: %v", err)
		}
		if _, err := db.ScoreIndicator(ctx, auth, e.ID, sqlstore.ScoreInput{IndicatorID: ind[1].ID, Score: &s, Note: "本年度无合规核查件，按抽查情况评分"}); err != nil {
			t.Fatal(err)
		}
		// Expected total, from the figures above.
		// 0: the live score alone; 1: the authority's (overriding the county's 70);
		// 2: the live score alone; 3: the mean of the ratings (merchant-a's second replaced its first).
		scores := []float64{wantReview, 60, float64(100 - 10*complaints), (50.0 + 40 + 36) / 3}
		total := (scores[0]*40 + scores[1]*20 + scores[2]*20 + scores[3]*20) / 100
		grade := shuyu.EvalGrade(total)
		in := sqlstore.PublishInput{Summary: "运营机构全年审核时效与服务满意度不达标，评价如下。"}
		if grade == shuyu.GradePoor {
			if _, err := db.PublishEvaluation(ctx, auth, e.ID, in); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Errorf("poor grade without requirement: %v", err)
			}
		}
		in.Requirement, in.Workdays = "建立审核时限预警机制，杜绝逾期视为同意。", 15
		pub, err := db.PublishEvaluation(ctx, auth, e.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if pub.Score == nil || math.Abs(*pub.Score-total) > 1e-9 || pub.Grade != grade {
			t.Fatalf("published %v %s, want %.3f %s", pub.Score, pub.Grade, total, grade)
		}
		if grade != shuyu.GradePoor {
			t.Fatalf("the fixture should grade poor, got %.1f", total)
		}
		cal, err := workday.New()
		if err != nil {
			t.Fatal(err)
		}
		due, err := cal.Due(sqltest.Start, 15)
		if err != nil {
			t.Fatal(err)
		}
		if len(pub.Rectifications) != 1 || !pub.Rectifications[0].Deadline.Due.Equal(due.Truncate(time.Microsecond)) || pub.Rectifications[0].Status != shuyu.RectOpen {
			t.Fatalf("rectifications %+v, due %v", pub.Rectifications, due)
		}
		rid := pub.Rectifications[0].ID
		if c, _, _ := auditCount(t, db, "rectification.start", "rectification", fmtInt(rid)); c != 1 {
			t.Errorf("rectification start audited %d times", c)
		}
		// Published: the operator reads it with every rating; ratings are closed.
		if got, err := db.Evaluation(ctx, op, e.ID); err != nil || len(got.Indicators[3].Inputs) != 3 {
			t.Errorf("operator reads %v %v", got, err)
		}
		if _, err := db.RateEvaluation(ctx, a["expert"], e.ID, sqlstore.RateInput{IndicatorID: ind[3].ID, Score: 90, Comment: "改分"}); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("rated a published evaluation: %v", err)
		}
		// The rectification: the operator reports, the authority sends back, then accepts.
		if _, err := db.SubmitRectification(ctx, a["merchant-a"], rid, sqlstore.RectifyInput{Text: "我们不是运营机构但想提交"}); err == nil {
			t.Error("a merchant answered the operator's rectification")
		}
		if _, err := db.CloseRectification(ctx, auth, rid, sqlstore.RectifyInput{Text: "未提交", Accept: true}); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("closed before submission: %v", err)
		}
		if _, err := db.SubmitRectification(ctx, op, rid, sqlstore.RectifyInput{Text: "已上线审核时限预警，每日提醒临期审核件。"}); err != nil {
			t.Fatal(err)
		}
		if r, err := db.CloseRectification(ctx, auth, rid, sqlstore.RectifyInput{Text: "请补充预警运行记录"}); err != nil || r.Status != shuyu.RectOpen {
			t.Fatalf("sent back: %v %v", r, err)
		}
		if _, err := db.SubmitRectification(ctx, op, rid, sqlstore.RectifyInput{Text: "已补充十二月预警运行记录及处理台账。"}); err != nil {
			t.Fatal(err)
		}
		if r, err := db.CloseRectification(ctx, auth, rid, sqlstore.RectifyInput{Text: "整改到位", Accept: true}); err != nil || r.Status != shuyu.RectClosed {
			t.Fatalf("accepted: %v %v", r, err)
		}
		if open, _ := db.OpenRectifications(ctx, auth); len(open) != 0 {
			t.Errorf("still open: %v", open)
		}
	})
}
