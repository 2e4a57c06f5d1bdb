package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// registryInput is a complete first registration of a resource.
func registryInput(entry int64) shuyu.RegistryInput {
	return shuyu.RegistryInput{Kind: shuyu.RgyResource, Type: shuyu.RgyFirst, EntryID: entry, Name: "人口基础信息",
		Summary: "全市户籍人口的身份、性别、民族等基础信息，按日更新。", Materials: shuyu.RegistryMaterials{
			Subject: "中卫市公安局", LawfulSource: "依法履职采集（户口登记条例）", Description: "户籍人口基础信息，约120万条",
			ProductInfo: "经授权运营平台提供统计分析服务", ScenarioInfo: "人口结构分析、公共服务规划",
			RiskAssessment: "含个人信息，按重要数据管理；原始数据不出域"}}
}

// supplyVersion loads a new version of the entry's data (the domain's
// metadata, as the supply service records it).
func supplyVersion(t *testing.T, db *sqlstore.DB, dept *shuyu.Actor, entry int64, version int, rows int64) {
	t.Helper()
	_, job, err := db.StartSupply(ctx, dept, shuyu.ActDomainSupply, entry, sqlstore.SupplyInput{Source: "upload", FileName: "人口.csv", Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FinishSupply(ctx, dept, job.ID, sqlstore.SupplyResult{Version: version, Rows: rows, Bytes: 120, Quality: 90,
		Report: map[string]any{"rows": rows}}); err != nil {
		t.Fatal(err)
	}
}

// TestRegistry_NREG_3_NREG_6_ProcedureDeadlinesAcrossNationalDay: submitted on Tuesday
// 2026-09-29, acceptance is due 3 working days later — the National Day
// holiday (October 1–7) does not count — on Friday 2026-10-09; accepted on
// 2026-09-30 the formal review is due on 2026-11-03 (20 working days, with
// the make-up Saturday 2026-10-10 counted); passed the same day, the notice
// runs 10 working days to 2026-10-20, and the code is assigned by the
// sweep only after that day, valid for 3 years.
func TestRegistry_NREG_3_NREG_6_ProcedureDeadlinesAcrossNationalDay(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a, clock := env.DB, env.Actors, env.Clock
		dept := a["dept-gongan"]
		entry := domainInsertEntry(t, db, "ZW-GA-0001", dept, true, "daily", domainPeopleFields)
		clock.Set(time.Date(2026, 9, 29, 10, 0, 0, 0, cst))
		g, err := db.SubmitRegistry(ctx, dept, registryInput(entry))
		if err != nil {
			t.Fatal(err)
		}
		day := func(t time.Time) string { return t.In(cst).Format(time.DateOnly) }
		if day(g.AcceptDue) != "2026-10-09" {
			t.Fatalf("acceptance due %s, want 2026-10-09", day(g.AcceptDue))
		}
		clock.Set(time.Date(2026, 9, 30, 9, 0, 0, 0, cst))
		if _, err := db.DecideRegistry(ctx, dept, g.ID, "accept", ""); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("the applicant accepts its own: %v", err)
		}
		if g, err = db.DecideRegistry(ctx, a["authority"], g.ID, "accept", ""); err != nil {
			t.Fatal(err)
		}
		if day(*g.ReviewDue) != "2026-11-03" {
			t.Fatalf("review due %s, want 2026-11-03", day(*g.ReviewDue))
		}
		if g, err = db.DecideRegistry(ctx, a["authority"], g.ID, "pass", ""); err != nil {
			t.Fatal(err)
		}
		if g.Status != shuyu.RgyNotice || day(*g.NoticeDue) != "2026-10-20" {
			t.Fatalf("notice %s due %s, want notice due 2026-10-20", g.Status, day(*g.NoticeDue))
		}
		clock.Set(time.Date(2026, 10, 20, 23, 0, 0, 0, cst))
		if _, err := db.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if g, _ = db.Registry(ctx, dept, g.ID); g.Status != shuyu.RgyNotice || g.Code != "" {
			t.Fatalf("on the last notice day: %s %q", g.Status, g.Code)
		}
		clock.Set(time.Date(2026, 10, 21, 0, 0, 1, 0, cst))
		if _, err := db.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		g, _ = db.Registry(ctx, dept, g.ID)
		if g.Status != shuyu.RgyRegistered || !ident.ValidRegistryCode(g.Code) || g.Code[0] != '7' || g.ValidUntil != "2029-10-20" {
			t.Fatalf("after the notice: %s code %q valid until %s", g.Status, g.Code, g.ValidUntil)
		}
		// Renewal only within 60 days before expiry (NREG.8).
		renew := registryInput(0)
		renew.Type, renew.ParentID = shuyu.RgyRenewal, g.ID
		if _, err := db.SubmitRegistry(ctx, dept, renew); shuyu.ErrorCode(err) != shuyu.EINVALID || !strings.Contains(shuyu.ErrorMessage(err), "2029-08-21") {
			t.Fatalf("renewal three years early: %v", err)
		}
		clock.Set(time.Date(2029, 8, 22, 9, 0, 0, 0, cst))
		rep, err := db.Sweep(ctx)
		if err != nil || rep.Registry.Reminded != 1 {
			t.Fatalf("renewal reminder: %+v %v", rep.Registry, err)
		}
		if g, _ = db.Registry(ctx, dept, g.ID); !g.RenewalDue {
			t.Fatal("not flagged due for renewal inside the window")
		}
		clock.Set(time.Date(2029, 10, 21, 9, 0, 0, 0, cst))
		if rep, err = db.Sweep(ctx); err != nil || rep.Registry.Lapsed != 1 {
			t.Fatalf("lapse: %+v %v", rep.Registry, err)
		}
		if g, _ = db.Registry(ctx, dept, g.ID); g.Status != shuyu.RgyLapsed {
			t.Fatalf("after validity: %s", g.Status)
		}
	})
}

// TestRegistry_NREG_2_EvidenceVerifiesAndFailsAfterDataChange: the 存证
// digest binds the data version and a signed checkpoint; it verifies, and
// fails once a new version of the data is loaded.
func TestRegistry_NREG_2_EvidenceVerifiesAndFailsAfterDataChange(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		dept := a["dept-gongan"]
		entry := domainInsertEntry(t, db, "ZW-GA-0001", dept, true, "daily", domainPeopleFields)
		supplyVersion(t, db, dept, entry, 1, 4)
		g, err := db.SubmitRegistry(ctx, dept, registryInput(entry))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(g.Evidence, `"domain_version":1`) || !strings.Contains(g.Evidence, `"checkpoint":{"seq"`) {
			t.Fatalf("evidence lacks the version or the checkpoint: %s", g.Evidence)
		}
		c, err := db.VerifyRegistryEvidence(ctx, a["authority"], g.ID)
		if err != nil || !c.Valid {
			t.Fatalf("fresh evidence: %+v %v", c, err)
		}
		supplyVersion(t, db, dept, entry, 2, 5)
		c, err = db.VerifyRegistryEvidence(ctx, dept, g.ID)
		if err != nil || c.Valid || c.DataOK || !c.DigestOK || !c.CheckpointOK {
			t.Fatalf("after a new version: %+v %v, want only the data check failing", c, err)
		}
		// An insider who rewrites the stored evidence breaks the digest.
		if _, err := db.SQL().Exec(db.Rebind(`UPDATE registry_records SET evidence_json = replace(evidence_json, '"domain_version":1', '"domain_version":2') WHERE id = ?`), g.ID); err != nil {
			t.Fatal(err)
		}
		if c, _ = db.VerifyRegistryEvidence(ctx, dept, g.ID); c.DigestOK || c.Valid {
			t.Fatalf("rewritten evidence: %+v", c)
		}
	})
}

// TestRegistry_NREG_1_OnlyOwnAndObjections: a department registers only
// its own entries and reads only its own registrations; a merchant reads
// none; the public sees notices without materials; a real-name objection
// stops the notice, and the registry decides it.
func TestRegistry_NREG_1_OnlyOwnAndObjections(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a, clock := env.DB, env.Actors, env.Clock
		dept, other := a["dept-gongan"], a["dept-haiyuan-weijian"]
		entry := domainInsertEntry(t, db, "ZW-GA-0001", dept, true, "daily", domainPeopleFields)
		if _, err := db.SubmitRegistry(ctx, other, registryInput(entry)); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("another department's entry: %v", err)
		}
		if _, err := db.SubmitRegistry(ctx, a["merchant-a"], registryInput(entry)); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("a merchant registers: %v", err)
		}
		bad := registryInput(entry)
		bad.Materials.RiskAssessment = ""
		if _, err := db.SubmitRegistry(ctx, dept, bad); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("no risk assessment: %v", err)
		}
		g, err := db.SubmitRegistry(ctx, dept, registryInput(entry))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SubmitRegistry(ctx, dept, registryInput(entry)); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("a second first registration: %v", err)
		}
		if _, err := db.Registry(ctx, other, g.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("another department reads: %v", err)
		}
		if list, _ := db.Registries(ctx, other, ""); len(list) != 0 {
			t.Fatalf("another department lists %d", len(list))
		}
		if _, err := db.Registries(ctx, a["merchant-a"], ""); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("a merchant lists: %v", err)
		}
		auth := a["authority"]
		if _, err := db.DecideRegistry(ctx, auth, g.ID, "request_material", "请补充数据来源的法律依据"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SupplementRegistry(ctx, dept, g.ID, registryInput(entry).Materials); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DecideRegistry(ctx, auth, g.ID, "request_material", "再次补正"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("a second material request: %v", err)
		}
		if _, err := db.DecideRegistry(ctx, auth, g.ID, "accept", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ObjectRegistry(ctx, a["merchant-b"], g.ID, "该资源包含的数据来源存在争议。", "见附件说明"); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("objection before the notice: %v", err)
		}
		if _, err := db.DecideRegistry(ctx, auth, g.ID, "pass", ""); err != nil {
			t.Fatal(err)
		}
		pub, err := db.PublicRegistry(ctx)
		if err != nil || len(pub) != 1 || pub[0].SubjectName != "中卫市公安局" {
			t.Fatalf("public notices: %+v %v", pub, err)
		}
		o, err := db.ObjectRegistry(ctx, a["merchant-b"], g.ID, "该资源包含的数据来源存在争议，请核实。", "证据：2025年数据共享协议第3条")
		if err != nil || o.RealName != "merchant-b" {
			t.Fatalf("objection: %+v %v", o, err)
		}
		clock.Advance(30 * 24 * time.Hour)
		if _, err := db.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if g, _ = db.Registry(ctx, dept, g.ID); g.Status != shuyu.RgyObjected || g.Code != "" {
			t.Fatalf("an objection stops the notice: %s %q", g.Status, g.Code)
		}
		if g, err = db.DecideRegistry(ctx, auth, g.ID, "dismiss", "异议缺乏事实依据"); err != nil || g.Status != shuyu.RgyNotice {
			t.Fatalf("dismiss: %v", err)
		}
		if _, err := db.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if g, _ = db.Registry(ctx, dept, g.ID); g.Status != shuyu.RgyRegistered {
			t.Fatalf("after the dismissal: %s", g.Status)
		}
	})
}
