package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// disclosureWorld records a year 2025 of operations: one published entry
// of 中卫市公安局 and one of 海原县卫生健康局 (the seeded authorization covers the
// whole catalog from 2025-01-01), a workspace over the first for
// merchant-a and one for merchant-b, three governed queries over real data
// (two released), one over simulated data, a priced compute item, a free
// welfare item, the year's maximum allowed revenue, a quality complaint
// by merchant-a. Then, in 2026, one more query and a lower price.
type disclosureWorld struct {
	*moneyWorld
	entry2 int64
	item   *shuyu.PriceItem
	free   *shuyu.PriceItem
}

func newDisclosureWorld(t *testing.T, env *sqltest.Env) *disclosureWorld {
	t.Helper()
	start := time.Date(2025, 3, 2, 2, 0, 0, 0, time.UTC)
	env.Clock.Set(start)
	w := &disclosureWorld{moneyWorld: &moneyWorld{env: env, ctx: context.Background(), auth: env.Actors["authority"],
		op: env.Actors["operator-admin"], a: env.Actors["merchant-a"], b: env.Actors["merchant-b"]}}
	fields := []domainField{{name: "county", label: "县区", typ: "string"}}
	w.entry = domainInsertEntry(t, env.DB, "ZW-GA-9001", env.Actors["dept-gongan"], true, "monthly", fields)
	w.entry2 = domainInsertEntry(t, env.DB, "ZW-WJ-9002", env.Actors["dept-haiyuan-weijian"], true, "monthly", fields)
	for _, m := range []struct {
		who *shuyu.Actor
		ws  *int64
	}{{w.a, &w.wsA}, {w.b, &w.wsB}} {
		ws, err := env.DB.OpenWorkspace(w.ctx, w.op, shuyu.WorkspaceGrant{OrgID: m.who.OrgID, Name: "披露测试工作区",
			StartsAt: start.Add(-time.Hour), EndsAt: start.AddDate(2, 0, 0), Entries: []shuyu.GrantEntry{{EntryID: w.entry}}})
		if err != nil {
			t.Fatal(err)
		}
		*m.ws = ws.ID
	}
	w.query(t, w.a, w.wsA, time.Second, 10)
	w.query(t, w.a, w.wsA, time.Second, 10)
	w.query(t, w.b, w.wsB, time.Second, 10)
	if err := env.DB.RecordWorkspaceQuery(w.ctx, w.a, &shuyu.WorkspaceQuery{WorkspaceID: w.wsA, SQL: "SELECT 1", Data: shuyu.DataSimulated,
		Status: "released"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	w.item = w.computeItem(t, 2000, 1500)
	free, err := env.DB.CreatePriceItem(w.ctx, w.auth, shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "惠民查询服务",
		Class: "公益服务", Unit: shuyu.UnitCall, Purpose: shuyu.PurposeWelfare})
	if err != nil {
		t.Fatal(err)
	}
	w.free = free
	if _, err := env.DB.ApproveAllowedRevenue(w.ctx, w.auth, shuyu.AllowedInput{Year: 2025, AllowedCostFen: 100_000_00,
		ProfitRateBP: 600, TaxFen: 6_000_00, ApprovalRef: "卫发改价格〔2025〕3号"}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.RaiseIssue(w.ctx, w.a, w.entry, sqlstore.IssueInput{Field: "county", Description: "县区名称有缺失"}); err != nil {
		t.Fatal(err)
	}
	// 2026: more use and a lower price, which the 2025 disclosure must not show.
	env.Clock.Set(time.Date(2026, 2, 10, 2, 0, 0, 0, time.UTC))
	w.query(t, w.a, w.wsA, time.Second, 10)
	if _, err := env.DB.SetPrice(w.ctx, w.op, w.item.ID, 1200, "下调"); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestDisclosure_R32_1_NDIS_1_NIMP_5_ContentEqualsLiveRecords: the 2025
// disclosure is the 2025 records — the authorization in force, both
// parties, every authorized entry with its use, the prices in force at the
// end of 2025 (not the lower one set in 2026), the maximum revenue, the
// complaints — and a draft is regenerated but a published year is frozen.
func TestDisclosure_R32_1_NDIS_1_NIMP_5_ContentEqualsLiveRecords(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newDisclosureWorld(t, env)
		db, ctx := env.DB, context.Background()
		d, err := db.GenerateDisclosure(ctx, w.auth, 2025)
		if err != nil {
			t.Fatal(err)
		}
		c := d.Content
		if d.Status != shuyu.DisclosureDraft || d.Due != "2026-03-31" || c.From != "2025-01-01" || c.To != "2025-12-31" {
			t.Fatalf("draft: %+v", d)
		}
		auths, err := db.Authorizations(ctx, w.auth)
		if err != nil || len(auths) != 1 {
			t.Fatalf("authorizations: %v %v", auths, err)
		}
		a := auths[0]
		if len(c.Authorizations) != 1 || c.Authorizations[0].Number != a.Number || c.Authorizations[0].Object != a.Items.Object ||
			c.Authorizations[0].Content != a.Items.Content || c.Authorizations[0].TermEnd != a.TermEnd || c.Authorizations[0].Mode != a.Mode {
			t.Fatalf("authorization: %+v, live %+v", c.Authorizations, a)
		}
		if c.Body.Name != a.AuthorityName || c.Operator.Name != a.OperatorName {
			t.Fatalf("parties: %+v %+v", c.Body, c.Operator)
		}
		if len(c.Resources) != 2 || c.Resources[0].Code != "ZW-GA-9001" || c.Resources[1].Code != "ZW-WJ-9002" {
			t.Fatalf("resources: %+v", c.Resources)
		}
		// Two workspaces over the first entry, three governed queries over
		// real data in 2025 (the simulated one and the 2026 one do not count).
		if r := c.Resources[0]; r.Workspaces != 2 || r.Queries != 3 || r.Department != "中卫市公安局" {
			t.Fatalf("use of %s: %+v", r.Code, r)
		}
		if r := c.Resources[1]; r.Workspaces != 0 || r.Queries != 0 {
			t.Fatalf("use of %s: %+v", r.Code, r)
		}
		if c.Usage.Workspaces != 2 || c.Usage.Queries != 3 || c.Usage.Released != 3 {
			t.Fatalf("usage: %+v", c.Usage)
		}
		if len(c.Prices) != 2 {
			t.Fatalf("prices: %+v", c.Prices)
		}
		for _, p := range c.Prices {
			switch p.Name {
			case w.item.Name:
				if p.CapFen != 2000 || p.PriceFen != 1500 || p.Free {
					t.Fatalf("compute price at the end of 2025: %+v (the 2026 price is 1200)", p)
				}
			case w.free.Name:
				if !p.Free || p.PriceFen != 0 {
					t.Fatalf("free item: %+v", p)
				}
			default:
				t.Fatalf("unexpected price %+v", p)
			}
		}
		allowed, err := db.AllowedRevenue(ctx, w.auth, 2025)
		if err != nil || len(allowed) != 1 {
			t.Fatal(allowed, err)
		}
		if c.Allowed == nil || c.Allowed.MaxRevenueFen != allowed[0].MaxRevenueFen || c.Allowed.ApprovalRef != "卫发改价格〔2025〕3号" {
			t.Fatalf("allowed: %+v, live %+v", c.Allowed, allowed[0])
		}
		if c.Complaints.Quality != 1 || c.Complaints.QualityResolved != 0 {
			t.Fatalf("complaints: %+v", c.Complaints)
		}
		if c.Revenue != nil || len(c.Products) != 0 {
			t.Fatalf("revenue %+v products %+v: none recorded", c.Revenue, c.Products)
		}

		// The draft is not public; an anonymous reader and a merchant get 404.
		if _, err := db.Disclosure(ctx, nil, 2025); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("anonymous reads a draft: %v", err)
		}
		if _, err := db.Disclosure(ctx, w.a, 2025); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("merchant reads a draft: %v", err)
		}
		// Only the authority publishes, and only the draft it reviewed.
		if _, err := db.PublishDisclosure(ctx, w.op, 2025, d.DigestSM3); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("operator publishes: %v", err)
		}
		if _, err := db.GenerateDisclosure(ctx, w.a, 2025); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant generates: %v", err)
		}
		if _, err := db.RaiseIssue(ctx, w.b, w.entry, sqlstore.IssueInput{Description: "数据更新不及时"}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Set(time.Date(2026, 2, 11, 2, 0, 0, 0, time.UTC))
		d2, err := db.GenerateDisclosure(ctx, w.op, 2025)
		if err != nil {
			t.Fatal(err)
		}
		// The complaint was raised in 2026: the 2025 figures stand, the
		// digest changes only with the instant of generation.
		if d2.Content.Complaints.Quality != 1 || d2.DigestSM3 == d.DigestSM3 {
			t.Fatalf("regenerated: %+v %s", d2.Content.Complaints, d2.DigestSM3)
		}
		if _, err := db.PublishDisclosure(ctx, w.auth, 2025, d.DigestSM3); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("stale review published: %v", err)
		}
		p, err := db.PublishDisclosure(ctx, w.auth, 2025, d2.DigestSM3)
		if err != nil || p.Status != shuyu.DisclosurePublished || p.PublishedAt == nil {
			t.Fatalf("publish: %+v %v", p, err)
		}
		if _, err := db.GenerateDisclosure(ctx, w.auth, 2025); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("published year regenerated: %v", err)
		}
		if _, err := db.GenerateDisclosure(ctx, w.auth, 2026); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("a year not ended: %v", err)
		}
		pub, err := db.Disclosure(ctx, nil, 2025)
		if err != nil || pub.DigestSM3 != d2.DigestSM3 || pub.GeneratedBy != "" || pub.Content.Resources[0].Queries != 3 {
			t.Fatalf("public read: %+v %v", pub, err)
		}
		list, err := db.Disclosures(ctx, nil)
		if err != nil || len(list) != 1 || list[0].Year != 2025 {
			t.Fatalf("public list: %+v %v", list, err)
		}
		if n, _, _ := auditCount(t, db, string(shuyu.AuditDisclosurePublish), "disclosure", "2025"); n != 1 {
			t.Fatalf("publish audited %d times", n)
		}
		// An insider with access to the database rewrites the published
		// figures and their digest: the audited publication no longer matches.
		if !pub.Intact {
			t.Fatal("untouched publication not intact")
		}
		if _, err := db.SQL().Exec(db.Rebind(`UPDATE disclosures SET content_json = replace(content_json, '"queries":3', '"queries":30'),
			digest = ? WHERE year = 2025`), strings.Repeat("ab", 32)); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Disclosure(ctx, nil, 2025); err != nil || got.Intact || got.Content.Resources[0].Queries != 30 {
			t.Fatalf("edited publication: intact %v, queries %d, %v", got.Intact, got.Content.Resources[0].Queries, err)
		}
	})
}

// TestDisclosure_NDIS_1_RemindedFromJanuaryUntilPublished: on the first
// sweep of 2026 the authority and the operator are reminded of the 2025
// disclosure once; with 10 working days left (the Qingming holiday is
// after 31 March, so 2026-03-17 has 10 left) a second time; after 31 March
// that it is overdue; nothing once it is published.
func TestDisclosure_NDIS_1_RemindedFromJanuaryUntilPublished(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a, ctx := env.DB, env.Actors, context.Background()
		sweep := func(day time.Time) int {
			t.Helper()
			env.Clock.Set(day)
			rep, err := db.Sweep(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return rep.Disclosure
		}
		if n := sweep(time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC)); n != 1 {
			t.Fatalf("January: %d reminders", n)
		}
		if !inboxHas(t, db, a["authority"], "disclosure.remind", "2025") || !inboxHas(t, db, a["operator-admin"], "disclosure.remind", "2025") {
			t.Fatal("reminder not in the inboxes")
		}
		if n := sweep(time.Date(2026, 1, 6, 1, 0, 0, 0, time.UTC)); n != 0 {
			t.Fatalf("reminded again: %d", n)
		}
		if n := sweep(time.Date(2026, 3, 16, 1, 0, 0, 0, time.UTC)); n != 0 {
			t.Fatalf("11 working days left: %d", n)
		}
		if n := sweep(time.Date(2026, 3, 17, 1, 0, 0, 0, time.UTC)); n != 1 {
			t.Fatalf("10 working days left: %d", n)
		}
		if n := sweep(time.Date(2026, 3, 31, 15, 0, 0, 0, time.UTC)); n != 0 {
			t.Fatalf("on the due day: %d", n)
		}
		if n := sweep(time.Date(2026, 3, 31, 16, 1, 0, 0, time.UTC)); n != 1 {
			t.Fatalf("overdue: %d", n)
		}
		if n, _, _ := auditCount(t, db, string(shuyu.AuditDisclosureRemind), "disclosure", "2025"); n != 3 {
			t.Fatalf("%d reminders audited", n)
		}
		// 2027: the 2026 disclosure, published before the sweep: no reminder.
		env.Clock.Set(time.Date(2027, 1, 4, 1, 0, 0, 0, time.UTC))
		d, err := db.GenerateDisclosure(ctx, a["authority"], 2026)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PublishDisclosure(ctx, a["authority"], 2026, d.DigestSM3); err != nil {
			t.Fatal(err)
		}
		if n := sweep(time.Date(2027, 1, 5, 1, 0, 0, 0, time.UTC)); n != 0 {
			t.Fatalf("published, still reminded: %d", n)
		}
	})
}
