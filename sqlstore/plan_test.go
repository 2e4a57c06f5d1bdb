package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

func planInput() shuyu.PlanInput {
	return shuyu.PlanInput{Title: "中卫市公共数据资源授权运营实施方案", Items: shuyu.PlanItems{
		Name: "中卫市公共数据资源授权运营实施方案", Necessity: "释放公共数据价值，条件已具备",
		OperatorCriteria: "国有独资或控股、具备数据安全能力的企业", Mode: "整体授权",
		DataScope: "授权运营目录内的公共数据，按目录约定频率更新", Term: "五年；分两期建设；期满评估后退出或续期",
		Products: "公共治理和公益事业类免费；产业和行业发展类按上限价格收费", Costs: "单独核算，成本加合理利润",
		Security: "原始数据不出域，数据可用不可见", RightsObligations: "运营机构不得参与已交付产品的再开发",
		Supervision: "市数据局会同网信、公安等部门监督", Other: "无其他事项"}}
}

// TestPlan_R12_1_NIMP_2_ApprovedFiledMajorChangeReapproved: the first
// version is approved by the city government (document and date) and
// filed with the province, then it is the plan in force and public; a
// change of the data scope declared minor is refused as a major change; a
// minor change (security wording) is adopted under the approval in force;
// a major change cannot be adopted, needs a new approval, and once filed
// supersedes the plan in force. Only the authority acts.
func TestPlan_R12_1_NIMP_2_ApprovedFiledMajorChangeReapproved(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a, ctx := env.DB, env.Actors, context.Background()
		auth := a["authority"]
		env.Clock.Set(time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC))
		if _, err := db.DraftPlan(ctx, a["operator-admin"], planInput()); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("operator drafts: %v", err)
		}
		bad := planInput()
		bad.Items.Costs = ""
		if _, err := db.DraftPlan(ctx, auth, bad); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("missing item: %v", err)
		}
		if _, err := db.PlanInForce(ctx); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("plan in force before any: %v", err)
		}
		p1, err := db.DraftPlan(ctx, auth, planInput())
		if err != nil || !p1.Major || p1.Version != 1 {
			t.Fatalf("first draft: %+v %v", p1, err)
		}
		if _, err := db.DraftPlan(ctx, auth, planInput()); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("second open version: %v", err)
		}
		if _, err := db.FilePlan(ctx, auth, p1.ID, shuyu.PlanFiling{Number: "宁数据备〔2025〕8号", Date: "2025-06-01"}); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("filed before approval: %v", err)
		}
		if _, err := db.AdoptPlan(ctx, auth, p1.ID); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("first version adopted without approval: %v", err)
		}
		if _, err := db.ApprovePlan(ctx, auth, p1.ID, shuyu.PlanApproval{Document: "卫政函〔2025〕21号", Date: "2025-06-02"}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("approval dated tomorrow: %v", err)
		}
		if _, err := db.ApprovePlan(ctx, a["regulator"], p1.ID, shuyu.PlanApproval{Document: "卫政函〔2025〕21号", Date: "2025-05-28"}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("regulator approves: %v", err)
		}
		p1, err = db.ApprovePlan(ctx, auth, p1.ID, shuyu.PlanApproval{Document: "卫政函〔2025〕21号", Date: "2025-05-28"})
		if err != nil || p1.Status != shuyu.PlanApproved {
			t.Fatalf("approve: %+v %v", p1, err)
		}
		if _, err := db.FilePlan(ctx, auth, p1.ID, shuyu.PlanFiling{Number: "宁数据备〔2025〕8号", Date: "2025-05-27"}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("filed before approved: %v", err)
		}
		p1, err = db.FilePlan(ctx, auth, p1.ID, shuyu.PlanFiling{Number: "宁数据备〔2025〕8号", Date: "2025-06-01"})
		if err != nil || p1.Status != shuyu.PlanFiled {
			t.Fatalf("file: %+v %v", p1, err)
		}
		pub, err := db.PlanInForce(ctx)
		if err != nil || pub.ID != p1.ID || pub.ApprovalDoc != "卫政函〔2025〕21号" || pub.FilingNumber != "宁数据备〔2025〕8号" {
			t.Fatalf("plan in force: %+v %v", pub, err)
		}

		// A change of the data scope is major by rule.
		in := planInput()
		in.Items.DataScope = "授权运营目录内的公共数据，并增加气象数据"
		if _, err := db.DraftPlan(ctx, auth, in); shuyu.ErrorCode(err) != shuyu.EINVALID || len(fieldErrors(err)) != 1 ||
			fieldErrors(err)[0].Field != "items.data_scope" {
			t.Fatalf("major change declared minor: %v", err)
		}
		// A minor change is adopted under the approval and filing in force.
		minor := planInput()
		minor.Items.Security = "原始数据不出域，数据可用不可见，按等级保护三级要求"
		p2, err := db.DraftPlan(ctx, auth, minor)
		if err != nil || p2.Major || len(p2.Changed) != 1 || p2.Changed[0] != "security" {
			t.Fatalf("minor draft: %+v %v", p2, err)
		}
		if p2, err = db.AdoptPlan(ctx, auth, p2.ID); err != nil || p2.Status != shuyu.PlanFiled || p2.ApprovalDoc != p1.ApprovalDoc {
			t.Fatalf("adopt minor: %+v %v", p2, err)
		}
		// The major change: drafted as major, cannot be adopted, approved and filed anew.
		in.Major = true
		p3, err := db.DraftPlan(ctx, auth, in)
		if err != nil || !p3.Major {
			t.Fatalf("major draft: %+v %v", p3, err)
		}
		if _, err := db.AdoptPlan(ctx, auth, p3.ID); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("major change adopted without approval: %v", err)
		}
		if pub, _ := db.PlanInForce(ctx); pub.ID != p2.ID {
			t.Fatalf("in force while the major change waits: version %d", pub.Version)
		}
		if _, err := db.ApprovePlan(ctx, auth, p3.ID, shuyu.PlanApproval{Document: "卫政函〔2025〕40号", Date: "2025-06-01"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FilePlan(ctx, auth, p3.ID, shuyu.PlanFiling{Number: "宁数据备〔2025〕15号", Date: "2025-06-01"}); err != nil {
			t.Fatal(err)
		}
		all, err := db.Plans(ctx, a["regulator"])
		if err != nil || len(all) != 3 || all[0].Status != shuyu.PlanFiled || all[1].Status != shuyu.PlanSuperseded || all[2].Status != shuyu.PlanSuperseded {
			t.Fatalf("versions: %+v %v", all, err)
		}
		if pub, _ := db.PlanInForce(ctx); pub.Version != 3 || pub.ApprovalDoc != "卫政函〔2025〕40号" {
			t.Fatalf("in force: %+v", pub)
		}
		if _, err := db.Plans(ctx, a["merchant-a"]); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant lists versions: %v", err)
		}
		if n, _, _ := auditCount(t, db, string(shuyu.AuditPlanApprove), "plan", itoa(p3.ID)); n != 1 {
			t.Fatalf("approval audited %d times", n)
		}
	})
}

// TestChannels_R15_1_AssessedAndFoldedIn: the authority registers a
// pre-existing channel, assesses it and folds it in (or closes another);
// a decision before the assessment is refused; the public summary counts
// them; nobody else may keep the register.
func TestChannels_R15_1_AssessedAndFoldedIn(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a, ctx := env.DB, env.Actors, context.Background()
		auth := a["authority"]
		in := shuyu.ChannelInput{Name: "公安局人口信息查询接口", Holder: "中卫市公安局", Description: "向部分银行提供的人口信息核验接口"}
		if _, err := db.RegisterChannel(ctx, a["operator-admin"], in); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("operator registers: %v", err)
		}
		if _, err := db.RegisterChannel(ctx, auth, shuyu.ChannelInput{Name: "x"}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("incomplete: %v", err)
		}
		c, err := db.RegisterChannel(ctx, auth, in)
		if err != nil || c.Status != shuyu.ChannelOpen {
			t.Fatalf("register: %+v %v", c, err)
		}
		if _, err := db.DecideChannel(ctx, auth, c.ID, shuyu.ChannelFoldIn, ""); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("decided before assessment: %v", err)
		}
		if _, err := db.AssessChannel(ctx, auth, c.ID, "短"); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("short assessment: %v", err)
		}
		if c, err = db.AssessChannel(ctx, auth, c.ID, "接口无调用审计，不符合原始数据不出域要求，应归并至平台"); err != nil || c.Status != shuyu.ChannelAssessed {
			t.Fatalf("assess: %+v %v", c, err)
		}
		if _, err := db.DecideChannel(ctx, auth, c.ID, "keep", ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("unknown decision: %v", err)
		}
		if c, err = db.DecideChannel(ctx, auth, c.ID, shuyu.ChannelFoldIn, "改由平台接口服务提供"); err != nil || c.Status != shuyu.ChannelFolded {
			t.Fatalf("fold in: %+v %v", c, err)
		}
		if _, err := db.AssessChannel(ctx, auth, c.ID, "再次评估的意见，不应被接受"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("assessed after the decision: %v", err)
		}
		c2, err := db.RegisterChannel(ctx, auth, shuyu.ChannelInput{Name: "卫健委数据光盘交换", Holder: "海原县卫生健康局", Description: "按季度刻录光盘交换统计数据"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := db.ChannelSummary(ctx)
		if err != nil || s != (shuyu.ChannelSummary{Total: 2, Open: 1, Folded: 1}) {
			t.Fatalf("summary %+v %v", s, err)
		}
		if list, err := db.Channels(ctx, a["regulator"]); err != nil || len(list) != 2 || list[1].ID != c2.ID {
			t.Fatalf("register read by the regulator: %v %v", list, err)
		}
		if _, err := db.Channels(ctx, a["merchant-a"]); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant reads the register: %v", err)
		}
	})
}

// TestOpsReport_R32_1_SubmittedAcknowledged: the operator submits the
// report of an ended quarter, generated from the records of that quarter
// (the merchant onboarding report is its section); a quarter not ended, a
// bad period and a second report of the same quarter are refused; the
// authority acknowledges it; a merchant cannot read it.
func TestOpsReport_R32_1_SubmittedAcknowledged(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newDisclosureWorld(t, env) // 2025: three real queries in Q1 (2 March), one in 2026
		db, a, ctx := env.DB, env.Actors, context.Background()
		op := a["operator-admin"]
		if _, err := db.SubmitOpsReport(ctx, op, "2026-Q1"); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("quarter not ended: %v", err)
		}
		if _, err := db.SubmitOpsReport(ctx, op, "2025-Q5"); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("bad period: %v", err)
		}
		if _, err := db.SubmitOpsReport(ctx, w.a, "2025-Q1"); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant submits: %v", err)
		}
		r, err := db.SubmitOpsReport(ctx, op, "2025-Q1")
		if err != nil {
			t.Fatal(err)
		}
		c := r.Content
		if c.From != "2025-01-01" || c.To != "2025-03-31" || c.Usage.Queries != 3 || c.Usage.Workspaces != 2 || c.Complaints.Quality != 1 || c.Merchants == nil {
			t.Fatalf("Q1 report: %+v", c)
		}
		q2, err := db.SubmitOpsReport(ctx, op, "2025-Q2")
		if err != nil || q2.Content.Usage.Queries != 0 || q2.Content.Usage.Workspaces != 2 {
			t.Fatalf("Q2 report: %+v %v", q2, err)
		}
		if _, err := db.SubmitOpsReport(ctx, op, "2025-Q1"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("reported twice: %v", err)
		}
		if !inboxHas(t, db, a["authority"], "ops_report.submitted", "2025年第1季度") {
			t.Fatal("authority not notified")
		}
		if _, err := db.AcknowledgeOpsReport(ctx, op, r.ID); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("operator acknowledges: %v", err)
		}
		r, err = db.AcknowledgeOpsReport(ctx, a["authority"], r.ID)
		if err != nil || r.Status != shuyu.OpsReportAcknowledged || r.AcknowledgedAt == nil {
			t.Fatalf("acknowledge: %+v %v", r, err)
		}
		if _, err := db.AcknowledgeOpsReport(ctx, a["authority"], r.ID); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("acknowledged twice: %v", err)
		}
		if _, err := db.OpsReport(ctx, w.a, r.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("merchant reads a report: %v", err)
		}
		if list, err := db.OpsReports(ctx, a["regulator"]); err != nil || len(list) != 2 {
			t.Fatalf("regulator's list: %d %v", len(list), err)
		}
	})
}
