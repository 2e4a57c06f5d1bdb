package sqlstore_test

import (
	"encoding/json"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

func delegationDay(env *sqltest.Env, days int) string {
	return env.Clock.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, days).Format(time.DateOnly)
}

// R6.3: a merchant delegates named tasks to a registered provider for a
// term; the provider acts for the merchant within those tasks only, every
// act is recorded as the provider on behalf of the merchant, and the
// merchant's revocation stops the next write at once — even one whose
// actor was built before it. Bad delegations change nothing; another
// merchant neither sees nor revokes the delegation.
func TestDelegation_R6_3_ActOnBehalfRecordedRevokedAtOnce(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		f := newReviewFixture(t, db, a)
		m, prov := a["merchant-a"], a["provider"]
		good := shuyu.DelegationInput{ProviderOrgID: prov.OrgID, Tasks: []shuyu.DelegationTask{shuyu.TaskApplication, shuyu.TaskSimQuery},
			From: delegationDay(env, 0), To: delegationDay(env, 30), Note: "代为准备医疗资源配置分析的使用申请"}

		bad := []shuyu.DelegationInput{
			{ProviderOrgID: prov.OrgID, From: good.From, To: good.To},
			{ProviderOrgID: prov.OrgID, Tasks: []shuyu.DelegationTask{"download"}, From: good.From, To: good.To},
			{ProviderOrgID: prov.OrgID, Tasks: good.Tasks, From: good.To, To: good.From},
			{ProviderOrgID: prov.OrgID, Tasks: good.Tasks, From: good.From, To: delegationDay(env, 400)},
			{ProviderOrgID: a["merchant-b"].OrgID, Tasks: good.Tasks, From: good.From, To: good.To}, // not a provider
			{ProviderOrgID: prov.OrgID, Tasks: good.Tasks, From: good.From, To: good.To, AgreementID: 999999},
		}
		for i, in := range bad {
			if _, err := db.CreateDelegation(ctx, m, in); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Fatalf("bad delegation %d: %v", i, err)
			}
		}
		if _, err := db.CreateDelegation(ctx, prov, good); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("a provider delegates to itself: %v", err)
		}
		if n := checklistRows(t, db, "delegations"); n != 0 {
			t.Fatalf("refused delegations left %d rows", n)
		}
		g, err := db.CreateDelegation(ctx, m, good)
		if err != nil || g.Status != shuyu.DelegationActive || g.RealData != shuyu.RealDataNone {
			t.Fatalf("delegate: %v %+v", err, g)
		}
		if l, err := db.Delegations(ctx, a["merchant-b"]); err != nil || len(l) != 0 {
			t.Fatalf("another merchant sees the delegation: %v %d", err, len(l))
		}
		if _, err := db.RevokeDelegation(ctx, a["merchant-b"], g.ID, "不是我的"); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("another merchant revokes: %v", err)
		}
		if l, err := db.Delegations(ctx, prov); err != nil || len(l) != 1 {
			t.Fatalf("the provider's list: %v %d", err, len(l))
		}

		// Only the named provider's accounts act under it.
		if _, err := db.ActFor(ctx, m, g.ID, sqlstore.ActingRequest{Method: "GET", Path: "/workspaces"}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("a merchant account acts as provider: %v", err)
		}
		acting, err := db.ActFor(ctx, prov, g.ID, sqlstore.ActingRequest{Method: "GET", Path: "/workspaces"})
		if err != nil || acting.OrgID != m.OrgID || acting.Acting == nil || acting.RealDataAllowed() {
			t.Fatalf("act for: %v %+v", err, acting)
		}
		if _, err := db.ActFor(ctx, acting, g.ID, sqlstore.ActingRequest{Method: "GET", Path: "/workspaces"}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("acting twice over: %v", err)
		}
		// Within the tasks only: no product, no delegation of its own, no
		// other merchant's objects.
		if err := shuyu.Authorize(acting, shuyu.ActProductCreate, shuyu.Resource{Kind: "product"}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("product task not delegated: %v", err)
		}
		if err := shuyu.Authorize(acting, shuyu.ActDelegationCreate, shuyu.Resource{Kind: "delegation"}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("a provider acting delegates further: %v", err)
		}
		other, err := db.SubmitApplication(ctx, a["merchant-b"], f.input())
		if err == nil {
			if _, err := db.Application(ctx, acting, other.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
				t.Fatalf("another merchant's application: %v", err)
			}
		}

		// The act: an application of merchant-a's, recorded as the provider's.
		app, err := db.SubmitApplication(ctx, acting, f.input())
		if err != nil || app.MerchantOrgID != m.OrgID {
			t.Fatalf("submit for the merchant: %v %+v", err, app)
		}
		if l, err := db.Applications(ctx, acting, ""); err != nil || len(l) != 1 || l[0].ID != app.ID {
			t.Fatalf("the provider's view of the merchant's applications: %v %+v", err, l)
		}
		var actorName string
		var actorOrg int64
		var detail string
		if err := db.SQL().QueryRow(db.Rebind(`SELECT actor_name, actor_org_id, detail FROM audit_events
			WHERE action = ? AND object_type = 'application' AND object_id = ?`), string(shuyu.AuditApplicationSubmit), itoa(app.ID)).
			Scan(&actorName, &actorOrg, &detail); err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(detail), &d); err != nil {
			t.Fatal(err)
		}
		if actorName != "provider" || actorOrg != m.OrgID || d["on_behalf_of"] != float64(m.OrgID) ||
			d["provider_org"] != float64(prov.OrgID) || d["delegation"] != float64(g.ID) {
			t.Fatalf("the trail does not show both: %s %d %v", actorName, actorOrg, d)
		}

		// Revoked: the next write of the actor built before fails, nothing commits.
		if _, err := db.RevokeDelegation(ctx, m, g.ID, "项目结束"); err != nil {
			t.Fatal(err)
		}
		before := checklistRows(t, db, "applications")
		in := f.input()
		in.Title = "撤销后再提交"
		if _, err := db.SubmitApplication(ctx, acting, in); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("write after revocation: %v", err)
		}
		if n := checklistRows(t, db, "applications"); n != before {
			t.Fatalf("a write after revocation committed: %d → %d", before, n)
		}
		if _, err := db.ActFor(ctx, prov, g.ID, sqlstore.ActingRequest{Method: "GET", Path: "/workspaces"}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("act under a revoked delegation: %v", err)
		}
		if _, err := db.RevokeDelegation(ctx, m, g.ID, "again"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("revoked twice: %v", err)
		}

		// A term that has ended stops the provider too.
		g2, err := db.CreateDelegation(ctx, m, good)
		if err != nil {
			t.Fatal(err)
		}
		acting2, err := db.ActFor(ctx, prov, g2.ID, sqlstore.ActingRequest{Method: "GET", Path: "/workspaces"})
		if err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(40 * 24 * time.Hour)
		if _, err := db.SubmitApplication(ctx, acting2, in); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("write after the term: %v", err)
		}
		if n, _, _ := auditCount(t, db, string(shuyu.AuditDelegationRevoke), "delegation", itoa(g.ID)); n != 1 {
			t.Fatalf("revocation audited %d times", n)
		}
	})
}

// R6.3: real data only when the merchant's agreement allows it: asking
// needs an agreement of the merchant's in force, and the operator (party to
// it) confirms; until then the acting provider has simulated data only.
func TestDelegation_R6_3_RealDataOnlyWhenTheAgreementAllows(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		m, prov := a["merchant-a"], a["provider"]
		g, err := db.CreateDelegation(ctx, m, shuyu.DelegationInput{ProviderOrgID: prov.OrgID, Tasks: []shuyu.DelegationTask{shuyu.TaskSimQuery},
			From: delegationDay(env, 0), To: delegationDay(env, 10)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ConfirmDelegationRealData(ctx, a["operator-admin"], g.ID, "协议第六条允许"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("confirming a delegation that asked nothing: %v", err)
		}
		acting, err := db.ActFor(ctx, prov, g.ID, sqlstore.ActingRequest{Method: "GET", Path: "/workspaces"})
		if err != nil || acting.RealDataAllowed() {
			t.Fatalf("simulated only: %v", err)
		}

		// An agreement of merchant-a's in force (written around the store:
		// the agreement flow has its own tests).
		f := newReviewFixture(t, db, a)
		app, err := db.SubmitApplication(ctx, m, f.input())
		if err != nil {
			t.Fatal(err)
		}
		var agr int64
		if err := db.SQL().QueryRow(db.Rebind(`INSERT INTO agreements (number, application_id, round, template_id, merchant_org_id,
			operator_org_id, title, text, digest, term_start, term_end, end_at, status, created_at) VALUES ('ZW-TEST-1', ?, 1, ?, ?, ?,
			'协议', '第六条 乙方可委托第三方专业服务机构在平台内使用约定数据。', 'x', '2026-01-01', '2027-12-31', ?, ?, 0) RETURNING id`),
			app.ID, f.tpl.ID, m.OrgID, a["operator-admin"].OrgID, env.Clock.Now().AddDate(1, 0, 0).UnixMicro(), shuyu.AgrEffective).Scan(&agr); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateDelegation(ctx, a["merchant-b"], shuyu.DelegationInput{ProviderOrgID: prov.OrgID,
			Tasks: []shuyu.DelegationTask{shuyu.TaskSimQuery}, From: delegationDay(env, 0), To: delegationDay(env, 10), AgreementID: agr}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("another merchant cites merchant-a's agreement: %v", err)
		}
		g2, err := db.CreateDelegation(ctx, m, shuyu.DelegationInput{ProviderOrgID: prov.OrgID, Tasks: []shuyu.DelegationTask{shuyu.TaskSimQuery, shuyu.TaskProduct},
			From: delegationDay(env, 0), To: delegationDay(env, 10), AgreementID: agr})
		if err != nil || g2.RealData != shuyu.RealDataRequested {
			t.Fatalf("ask for real data: %v %+v", err, g2)
		}
		if acting, err := db.ActFor(ctx, prov, g2.ID, sqlstore.ActingRequest{Method: "GET", Path: "/workspaces"}); err != nil || acting.RealDataAllowed() {
			t.Fatalf("real data before the operator confirmed: %v", err)
		}
		if _, err := db.ConfirmDelegationRealData(ctx, m, g2.ID, "我同意"); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("the merchant confirms its own request: %v", err)
		}
		if _, err := db.ConfirmDelegationRealData(ctx, a["operator-admin"], g2.ID, ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("confirmation without the clause: %v", err)
		}
		if g2, err = db.ConfirmDelegationRealData(ctx, a["operator-admin"], g2.ID, "协议第六条允许委托第三方专业服务机构"); err != nil || g2.RealData != shuyu.RealDataAllowed {
			t.Fatalf("confirm: %v %+v", err, g2)
		}
		acting, err = db.ActFor(ctx, prov, g2.ID, sqlstore.ActingRequest{Method: "GET", Path: "/workspaces"})
		if err != nil || !acting.RealDataAllowed() {
			t.Fatalf("real data once confirmed: %v", err)
		}
		// The agreement ends: real data stops for the next actor, and a
		// write of the actor built before is refused.
		if _, err := db.SQL().Exec(db.Rebind(`UPDATE agreements SET status = 'terminated' WHERE id = ?`), agr); err != nil {
			t.Fatal(err)
		}
		if again, err := db.ActFor(ctx, prov, g2.ID, sqlstore.ActingRequest{Method: "GET", Path: "/workspaces"}); err != nil || again.RealDataAllowed() {
			t.Fatalf("real data after the agreement ended: %v", err)
		}
		if _, err := db.RevokeDelegation(ctx, m, g.ID, "写入检查"); err != nil {
			t.Fatal(err)
		}
	})
}
