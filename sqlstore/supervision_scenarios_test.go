package sqlstore_test

import (
	"context"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

func scenarioIn(title string, tags ...string) shuyu.ScenarioInput {
	return shuyu.ScenarioInput{Title: title, Domain: "health", Tags: tags, DataNeeded: "门诊就诊记录、医保结算数据",
		Description: "面向慢病患者的用药提醒与健康管理服务，需按月统计就诊情况。"}
}

// supApplication inserts an application of merchant m (straight into the
// table of the review capability).
func supApplication(t *testing.T, env *sqltest.Env, m *shuyu.Actor) int64 {
	t.Helper()
	var id int64
	if err := env.DB.SQL().QueryRow(env.DB.Rebind(`INSERT INTO applications (merchant_org_id, round, status, created_by, created_at, updated_at)
		VALUES (?, 1, 'checking', ?, 0, 0) RETURNING id`), m.OrgID, m.UserID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// The register: who proposes and who sees what, the flow, bad input.
func TestScenario_R16_1_R4_4_RegisterAndVisibility(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, a := env.DB, env.Actors
		before := domainCount(t, db, "audit_events")
		for _, in := range []shuyu.ScenarioInput{
			{Title: "短", Domain: "health", DataNeeded: "门诊数据", Description: "说明说明说明说明说明说明"},
			{Title: "慢病用药提醒", Domain: "space", DataNeeded: "门诊数据", Description: "说明说明说明说明说明说明"},
			{Title: "慢病用药提醒", Domain: "health", Tags: []string{"cheap"}, DataNeeded: "门诊数据", Description: "说明说明说明说明说明说明"},
			{Title: "慢病用药提醒", Domain: "health", DataNeeded: "", Description: "说明说明说明说明说明说明"},
		} {
			if _, err := db.CreateScenario(ctx, a["merchant-a"], in); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Errorf("%+v: %v", in, err)
			}
		}
		for _, who := range []string{"expert", "regulator", "provider", "auditadmin"} {
			if _, err := db.CreateScenario(ctx, a[who], scenarioIn("专家提出的场景")); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
				t.Errorf("%s proposed: %v", who, err)
			}
		}
		if n := domainCount(t, db, "scenarios"); n != 0 || domainCount(t, db, "audit_events") != before {
			t.Fatalf("refused proposals wrote %d scenarios", n)
		}
		sa, err := db.CreateScenario(ctx, a["merchant-a"], scenarioIn("慢病患者用药提醒", "livelihood", "high_value", "livelihood"))
		if err != nil {
			t.Fatal(err)
		}
		if len(sa.Tags) != 2 || sa.Tags[0] != "livelihood" || sa.Status != shuyu.ScenarioProposed {
			t.Errorf("scenario %+v", sa)
		}
		sd, err := db.CreateScenario(ctx, a["dept-haiyuan-weijian"], scenarioIn("海原县家庭医生签约服务", "urgent_need"))
		if err != nil {
			t.Fatal(err)
		}
		// Each proposer sees its own; the county authority its county's; the
		// operator, the authority and the regulators all.
		sees := map[string][]int64{
			"merchant-a": {sa.ID}, "merchant-b": {}, "dept-gongan": {}, "dept-haiyuan-weijian": {sd.ID},
			"county-haiyuan": {sd.ID}, "operator-admin": {sd.ID, sa.ID}, "authority": {sd.ID, sa.ID}, "regulator": {sd.ID, sa.ID},
		}
		for who, want := range sees {
			l, err := db.Scenarios(ctx, a[who], sqlstore.ScenarioFilter{})
			if err != nil {
				t.Fatalf("%s: %v", who, err)
			}
			var got []int64
			for _, s := range l {
				got = append(got, s.ID)
			}
			if len(got) != len(want) || (len(got) > 0 && (got[0] != want[0] || got[len(got)-1] != want[len(want)-1])) {
				t.Errorf("%s sees %v, want %v", who, got, want)
			}
		}
		if _, err := db.Scenario(ctx, a["merchant-b"], sa.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("merchant-b read merchant-a's scenario: %v", err)
		}
		if l, _ := db.Scenarios(ctx, a["authority"], sqlstore.ScenarioFilter{Tag: "urgent_need"}); len(l) != 1 || l[0].ID != sd.ID {
			t.Errorf("tag filter: %v", l)
		}
		if _, err := db.Scenarios(ctx, a["authority"], sqlstore.ScenarioFilter{Tag: "cheap"}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("unknown tag: %v", err)
		}
		// Flow: only the operator or the authority move it; a rejection needs a reason.
		if _, err := db.SetScenarioStatus(ctx, a["merchant-a"], sa.ID, shuyu.ScenarioAccepted, ""); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Errorf("merchant accepted its own scenario: %v", err)
		}
		if _, err := db.SetScenarioStatus(ctx, a["operator-admin"], sa.ID, shuyu.ScenarioLanded, ""); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("proposed → landed: %v", err)
		}
		if _, err := db.SetScenarioStatus(ctx, a["operator-admin"], sd.ID, shuyu.ScenarioRejected, ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("rejected without reason: %v", err)
		}
		if _, err := db.SetScenarioShowcase(ctx, a["operator-admin"], sa.ID, true); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("showcased a proposal: %v", err)
		}
		if _, err := db.SetScenarioStatus(ctx, a["operator-admin"], sa.ID, shuyu.ScenarioAccepted, "纳入年度重点场景"); err != nil {
			t.Fatal(err)
		}
		if !inboxHas(t, db, a["merchant-a"], "scenario.status", "已采纳") {
			t.Error("the proposer was not told")
		}
		if c, actor, _ := auditCount(t, db, "scenario.status", "scenario", fmtInt(sa.ID)); c != 1 || actor != "operator-admin" {
			t.Errorf("status audited %d by %q", c, actor)
		}
		if l, _ := db.ShowcaseScenarios(ctx); len(l) != 0 {
			t.Errorf("showcase before it was set: %v", l)
		}
		if _, err := db.SetScenarioShowcase(ctx, a["operator-admin"], sa.ID, true); err != nil {
			t.Fatal(err)
		}
		if l, _ := db.ShowcaseScenarios(ctx); len(l) != 1 || l[0].ID != sa.ID {
			t.Errorf("showcase %v", l)
		}
	})
}

// One scenario, one application where the authority requires it (R16.1),
// enforced in the store; links to another merchant's application stay
// hidden from the proposer.
func TestScenario_R16_1_OneScenarioOneApplication(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, a := env.DB, env.Actors
		op := a["operator-admin"]
		s1, _ := db.CreateScenario(ctx, a["merchant-a"], scenarioIn("甲公司普惠金融授信场景", "high_value"))
		s2, _ := db.CreateScenario(ctx, a["dept-gongan"], scenarioIn("公安交通出行服务场景", "livelihood"))
		if s1 == nil || s2 == nil {
			t.Fatal("scenarios not created")
		}
		app1, app2, app3 := supApplication(t, env, a["merchant-a"]), supApplication(t, env, a["merchant-b"]), supApplication(t, env, a["merchant-b"])
		if _, err := db.RequireOneApplication(ctx, op, s1.ID, true); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Errorf("the operator set the authority's rule: %v", err)
		}
		if _, err := db.RequireOneApplication(ctx, a["authority"], s1.ID, true); err != nil {
			t.Fatal(err)
		}
		link := func(s, app int64) error {
			_, err := db.LinkScenario(ctx, op, s, sqlstore.ScenarioLinkInput{Kind: shuyu.LinkApplication, ObjectID: app})
			return err
		}
		if err := link(s1.ID, app1); err != nil {
			t.Fatal(err)
		}
		if err := link(s1.ID, app2); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("second application on a one-application scenario: %v", err)
		}
		if err := link(s2.ID, app1); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("app1 serves an exclusive scenario and another: %v", err)
		}
		if err := link(s1.ID, app1); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("linked twice: %v", err)
		}
		if err := link(s2.ID, app2); err != nil {
			t.Fatal(err)
		}
		if err := link(s2.ID, app3); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RequireOneApplication(ctx, a["authority"], s2.ID, true); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("required one application where two are linked: %v", err)
		}
		if err := link(s2.ID, 99999); shuyu.ErrorCode(err) != shuyu.EUNPROCESSABLE {
			t.Errorf("linked a missing application: %v", err)
		}
		if _, err := db.LinkScenario(ctx, op, s2.ID, sqlstore.ScenarioLinkInput{Kind: "agreement", ObjectID: 1}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("unknown kind: %v", err)
		}
		var n int
		if err := db.SQL().QueryRow(db.Rebind(`SELECT count(*) FROM scenario_links WHERE kind = 'application'`)).Scan(&n); err != nil || n != 3 {
			t.Errorf("%d application links, want 3 (%v)", n, err)
		}
		// merchant-b's applications linked to the department's scenario: the
		// department does not see them; the operator does.
		got, err := db.Scenario(ctx, a["dept-gongan"], s2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Links) != 0 {
			t.Errorf("the department sees another's applications: %+v", got.Links)
		}
		if got, _ := db.Scenario(ctx, op, s2.ID); len(got.Links) != 2 {
			t.Errorf("operator sees %d links", len(got.Links))
		}
		if got, _ := db.Scenario(ctx, a["merchant-a"], s1.ID); len(got.Links) != 1 || got.Links[0].ObjectID != app1 {
			t.Errorf("merchant-a sees its own application: %+v", got.Links)
		}
		// Unlinking frees the application.
		if _, err := db.UnlinkScenario(ctx, op, s1.ID, sqlstore.ScenarioLinkInput{Kind: shuyu.LinkApplication, ObjectID: app1}); err != nil {
			t.Fatal(err)
		}
		if err := link(s2.ID, app1); err != nil {
			t.Errorf("app1 is free again: %v", err)
		}
		if c, _, _ := auditCount(t, db, "scenario.link", "scenario", fmtInt(s2.ID)); c != 3 {
			t.Errorf("%d links audited on s2, want 3", c)
		}
	})
}

// The periodic report counts what the register holds and reaches the authority.
func TestScenario_R16_1_PeriodicReport(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, a := env.DB, env.Actors
		s1, _ := db.CreateScenario(ctx, a["merchant-a"], scenarioIn("文旅客流预测场景", "high_value", "strategic"))
		s2, _ := db.CreateScenario(ctx, a["dept-gongan"], scenarioIn("交通出行服务场景", "livelihood"))
		_, _ = db.CreateScenario(ctx, a["merchant-b"], scenarioIn("普惠金融授信场景", "high_value"))
		if _, err := db.SetScenarioStatus(ctx, a["operator-admin"], s1.ID, shuyu.ScenarioAccepted, "采纳"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetScenarioStatus(ctx, a["operator-admin"], s1.ID, shuyu.ScenarioLanded, "已上线"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetScenarioStatus(ctx, a["operator-admin"], s2.ID, shuyu.ScenarioRejected, "数据不具备"); err != nil {
			t.Fatal(err)
		}
		from, to := day(11, 1, 0), day(11, 26, 0)
		if _, err := db.FileScenarioReport(ctx, a["merchant-a"], from, to); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Errorf("a merchant filed the report: %v", err)
		}
		rep, err := db.FileScenarioReport(ctx, a["operator-admin"], from, to)
		if err != nil {
			t.Fatal(err)
		}
		count := func(cs []sqlstore.ScenarioCount, k string) int {
			for _, c := range cs {
				if c.Key == k {
					return c.Count
				}
			}
			return -1
		}
		if rep.Total != 3 || rep.New != 3 || rep.Landed != 1 || count(rep.ByTag, "high_value") != 2 || count(rep.ByStatus, "rejected") != 1 ||
			count(rep.ByStatus, "proposed") != 1 || count(rep.ByDomain, "health") != 3 {
			t.Errorf("report %+v", rep)
		}
		if !inboxHas(t, db, a["authority"], "scenario.report", "应用场景") {
			t.Error("the authority was not told")
		}
		l, err := db.ScenarioReports(ctx, a["authority"])
		if err != nil || len(l) != 1 || l[0].Total != 3 {
			t.Errorf("reports %v %v", l, err)
		}
		if _, err := db.ScenarioReports(ctx, a["merchant-a"]); err == nil {
			t.Error("a merchant read the reports")
		}
	})
}
