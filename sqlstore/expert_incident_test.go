package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
)

// TestExpert_R7_1_R28_2_IncidentReferral: the operator refers an incident to
// one expert with a blocking question; the expert reads the incident only
// through the referral (no incident list, no other referral); the closing
// step is refused and changes nothing until the signed opinion is attached;
// the opinion is listed on the incident for the operator, the authority and
// the regulators; a non-blocking referral does not hold the closure.
func TestExpert_R7_1_R28_2_IncidentReferral(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		env.Clock.Set(time.Date(2026, 11, 25, 10, 0, 0, 0, workday.Zone))
		op, auth, exp := a["operator-admin"], a["authority"], a["expert"]
		u, err := db.CreateUser(ctx, a["secadmin"], sqlstore.NewUser{OrgID: exp.OrgID, Username: "expert-2", DisplayName: "第二位专家",
			Roles: []shuyu.Role{shuyu.RoleExpert}, Password: sqltest.Password})
		if err != nil {
			t.Fatal(err)
		}
		exp2 := &shuyu.Actor{UserID: u.ID, Username: u.Username, Roles: u.Roles, OrgID: exp.OrgID, OrgKind: exp.OrgKind}
		p, err := db.CreateEmergencyPlan(ctx, op, shuyu.EmergencyPlanInput{Title: "公共数据运营平台网络安全事件应急预案", Category: "platform",
			Body: "发现后 2 小时内报告市数据局，5 个工作日内提交书面报告。", NotifyHours: 2, ReportDays: 5})
		if err != nil {
			t.Fatal(err)
		}
		inc, err := db.RecordIncident(ctx, op, shuyu.IncidentInput{PlanID: p.ID, Title: "仿真数据生成服务异常外联", Level: "major",
			Summary: "仿真数据生成服务向境外地址发起连接，已阻断"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.RecordIncident(ctx, op, shuyu.IncidentInput{PlanID: p.ID, Title: "门户网站遭扫描", Level: "general",
			Summary: "门户网站短时间内收到大量扫描请求"})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range []string{"notify", "report"} {
			if _, err := db.IncidentStep(ctx, op, inc.ID, shuyu.IncidentStep{Step: st, Text: "已按预案办理：" + st}); err != nil {
				t.Fatal(err)
			}
		}
		in := shuyu.ReferralInput{CaseKind: shuyu.CaseIncident, CaseID: inc.ID, Title: "外联事件的影响评估",
			Questions: "该外联是否可能导致仿真数据或原始数据出域？结案前还需采取哪些措施？", Blocking: true, Experts: []int64{exp.UserID}}
		if _, err := db.ReferCase(ctx, a["merchant-a"], in); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("a merchant refers an incident: %v", err)
		}
		bad := in
		bad.CaseID = 99999
		if _, err := db.ReferCase(ctx, op, bad); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("a missing incident: %v", err)
		}
		ref, err := db.ReferCase(ctx, op, in)
		if err != nil {
			t.Fatal(err)
		}
		if ref.CaseTitle != inc.Title {
			t.Fatalf("case title %q", ref.CaseTitle)
		}

		// The expert: the referred incident through the referral, nothing else.
		seen, err := db.ExpertReferral(ctx, exp, ref.ID)
		if err != nil {
			t.Fatal(err)
		}
		facts := map[string]string{}
		for _, f := range seen.Case {
			facts[f.Label] = f.Value
		}
		if facts["事件"] != inc.Title || facts["等级"] != "较大" || !strings.Contains(facts["处置经过"], "已按预案办理") {
			t.Fatalf("what the expert is shown: %+v", seen.Case)
		}
		if _, err := db.Incidents(ctx, exp); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("the expert lists incidents: %v", err)
		}
		for _, id := range []int64{inc.ID, other.ID} {
			if _, err := db.Incident(ctx, exp, id); err == nil {
				t.Fatalf("the expert reads incident %d directly", id)
			}
		}
		if _, err := db.ExpertReferral(ctx, exp2, ref.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("an expert not named reads the referral: %v", err)
		}
		if rs, err := db.ExpertReferrals(ctx, exp2, shuyu.CaseIncident, inc.ID); err != nil || len(rs) != 0 {
			t.Fatalf("an expert not named lists %d referrals (%v)", len(rs), err)
		}

		// The closing step waits for the opinion and changes nothing.
		_, err = db.IncidentStep(ctx, op, inc.ID, shuyu.IncidentStep{Step: "close", Text: "已处置完毕，申请结案"})
		wantCode(t, err, shuyu.ECONFLICT)
		if !strings.Contains(shuyu.ErrorMessage(err), "专家") {
			t.Fatalf("gate message: %v", err)
		}
		if got, _ := db.Incident(ctx, op, inc.ID); got.Status != shuyu.IncidentReported || got.ClosedAt != nil || len(got.Events) != 3 {
			t.Fatalf("the refused closure changed the incident: %+v", got)
		}
		// Other steps are not held.
		if _, err := db.IncidentStep(ctx, op, inc.ID, shuyu.IncidentStep{Step: "action", Text: "更换仿真服务的出站防火墙策略"}); err != nil {
			t.Fatalf("an action while referred: %v", err)
		}

		if _, err := db.GiveOpinion(ctx, exp, ref.ID, shuyu.OpinionInput{Conclusion: shuyu.OpinionConditional,
			Opinion: "外联未携带数据，可以结案；结案前须完成出站白名单配置并复核近三十天外联日志。", Password: sqltest.Password}); err != nil {
			t.Fatal(err)
		}
		// The opinion is on the incident for those who decide and supervise.
		for _, who := range []*shuyu.Actor{op, auth, a["regulator"]} {
			rs, err := db.ExpertReferrals(ctx, who, shuyu.CaseIncident, inc.ID)
			if err != nil || len(rs) != 1 || len(rs[0].Opinions) != 1 || !rs[0].Opinions[0].SignatureOK ||
				rs[0].Opinions[0].Conclusion != shuyu.OpinionConditional {
				t.Fatalf("%s: opinions on the incident: %v %+v", who.Username, err, rs)
			}
		}
		if rs, _ := db.ExpertReferrals(ctx, op, shuyu.CaseIncident, other.ID); len(rs) != 0 {
			t.Fatalf("the other incident shows %d referrals", len(rs))
		}
		if !inboxHas(t, db, op, "expert.opinion", "外联事件的影响评估") {
			t.Fatal("the operator was not told of the opinion")
		}
		inc, err = db.IncidentStep(ctx, op, inc.ID, shuyu.IncidentStep{Step: "close", Text: "已完成出站白名单配置，复核日志无异常，结案"})
		if err != nil || inc.Status != shuyu.IncidentClosed {
			t.Fatalf("close after the opinion: %v %+v", err, inc)
		}

		// A non-blocking referral informs but does not hold the closure.
		for _, st := range []string{"notify", "report"} {
			if _, err := db.IncidentStep(ctx, op, other.ID, shuyu.IncidentStep{Step: st, Text: "已按预案办理：" + st}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.ReferCase(ctx, auth, shuyu.ReferralInput{CaseKind: shuyu.CaseIncident, CaseID: other.ID, Title: "扫描事件的防护建议",
			Questions: "请就门户网站的防扫描措施提出建议，供后续加固参考。", Experts: []int64{exp2.UserID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.IncidentStep(ctx, op, other.ID, shuyu.IncidentStep{Step: "close", Text: "已封禁扫描来源，结案"}); err != nil {
			t.Fatalf("a non-blocking referral held the closure: %v", err)
		}
	})
}
