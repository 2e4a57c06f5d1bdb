package sqlstore_test

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore"
)

// reviewEntry inserts a catalog entry with a published (or unpublished)
// revision straight into the tables of the catalog contract (migration
// 0002), so these tests do not depend on the catalog capability's API.
func reviewEntry(t testing.TB, db *sqlstore.DB, orgID int64, region, code, name, openAttr string, published bool, fields ...string) int64 {
	t.Helper()
	q := func(s string) string { return db.Rebind(s) }
	var id, rev int64
	if err := db.SQL().QueryRow(q(`INSERT INTO catalog_entries (code, org_id, region, created_at) VALUES (?, ?, ?, 0) RETURNING id`),
		code, orgID, region).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRow(q(`INSERT INTO catalog_revisions (entry_id, version, status, name, summary, grade, open_attr,
		auth_mode, update_freq, created_by, created_at, updated_at) VALUES (?, 1, ?, ?, '摘要', 'general', ?, 'whole', 'daily', 0, 0, 0)
		RETURNING id`), id, map[bool]string{true: "published", false: "draft"}[published], name, openAttr).Scan(&rev); err != nil {
		t.Fatal(err)
	}
	for i, f := range fields {
		if _, err := db.SQL().Exec(q(`INSERT INTO catalog_fields (revision_id, position, name, label, data_type, grade)
			VALUES (?, ?, ?, ?, 'string', 'general')`), rev, i, f, f); err != nil {
			t.Fatal(err)
		}
	}
	if published {
		// Published entries of the fixture have data mounted: only those
		// can be applied for (R10.2).
		if _, err := db.SQL().Exec(q(`UPDATE catalog_entries SET published_rev_id = ?, mounted = ? WHERE id = ?`), rev, true, id); err != nil {
			t.Fatal(err)
		}
		// Written around the store: the public catalog's caches must hear of it.
		if _, err := db.SQL().Exec(`UPDATE catalog_generation SET gen = gen + 1 WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// reviewDocs has the operator draft, and the authority approve, the
// onboarding rules and the agreement template.
func reviewDocs(t testing.TB, db *sqlstore.DB, a map[string]*shuyu.Actor) (rules, tpl *shuyu.Document) {
	t.Helper()
	rules = &shuyu.Document{Kind: shuyu.DocOnboardingRules, Title: "数据商入驻规则", Body: "数据商应具备数据安全保护能力，遵守本市公共数据授权运营管理办法。"}
	if err := db.CreateDocument(ctx, a["operator-admin"], rules); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApproveDocument(ctx, a["authority"], rules.ID); err != nil {
		t.Fatal(err)
	}
	var cs []shuyu.Clause
	for _, k := range shuyu.ClauseKeys {
		cs = append(cs, shuyu.Clause{Key: k, Title: shuyu.ClauseTitles[k], Text: "双方就" + shuyu.ClauseTitles[k] + "约定如下：{{scenario}} {{data_scope}} {{term}} {{fee_mode}}"})
	}
	tpl = &shuyu.Document{Kind: shuyu.DocAgreementTemplate, Title: "公共数据开发利用格式协议", Clauses: cs}
	if err := db.CreateDocument(ctx, a["operator-admin"], tpl); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApproveDocument(ctx, a["authority"], tpl.ID); err != nil {
		t.Fatal(err)
	}
	return rules, tpl
}

// reviewRand draws credit codes; the tests run in parallel, so it is locked.
var reviewRand = struct {
	sync.Mutex
	*rand.Rand
}{Rand: rand.New(rand.NewPCG(4, 21))}

// reviewUSCC is a fresh valid credit code.
func reviewUSCC() string {
	reviewRand.Lock()
	defer reviewRand.Unlock()
	return ident.GenUSCC(reviewRand.Rand, "640502")
}

// reviewRegistration is a complete registration for the seeded company.
func reviewRegistration(company, username string, rulesID int64) sqlstore.RegistrationInput {
	return sqlstore.RegistrationInput{Registration: shuyu.Registration{
		Company: company, USCC: reviewUSCC(), LegalRep: "张三", ContactName: "李四",
		ContactPhone: "138 0013 8000", ContactEmail: "li@example.com", BusinessScope: "数据处理和存储支持服务",
		SecurityStatement: "已建立数据安全管理制度，通过等保三级测评，设专职数据安全负责人。", Username: username, RulesDocID: rulesID,
	}, Password: "Merchant-pass-2026"}
}

// reviewRegister walks a seeded merchant through onboarding (R18.2).
func reviewRegister(t testing.TB, db *sqlstore.DB, a map[string]*shuyu.Actor, company, username string, rulesID int64) {
	t.Helper()
	g, _, err := db.SubmitRegistration(ctx, reviewRegistration(company, username, rulesID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AcceptRegistration(ctx, a["operator-reviewer"], g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DecideRegistration(ctx, a["operator-reviewer"], g.ID, true, "材料齐全"); err != nil {
		t.Fatal(err)
	}
}

// reviewFixture is a seeded store with approved documents, merchant-a
// registered, and four entries: police (city), health (Haiyuan county),
// a prohibited one and an unpublished one.
type reviewFixture struct {
	a                                    map[string]*shuyu.Actor
	rules, tpl                           *shuyu.Document
	police, health, prohibited, draftOne int64
}

func newReviewFixture(t testing.TB, db *sqlstore.DB, a map[string]*shuyu.Actor) *reviewFixture {
	t.Helper()
	f := &reviewFixture{a: a}
	f.rules, f.tpl = reviewDocs(t, db, a)
	reviewRegister(t, db, a, "甲数据科技有限公司", "merchant-a", f.rules.ID)
	f.police = reviewEntry(t, db, a["dept-gongan"].OrgID, shuyu.RegionZhongwei, "ZW-GA-001", "流动人口登记信息", "conditional", true, "name", "id_no", "address")
	f.health = reviewEntry(t, db, a["dept-haiyuan-weijian"].OrgID, shuyu.RegionHaiyuan, "HY-WJ-001", "海原县门诊就诊统计", "conditional", true, "clinic", "visits", "month")
	f.prohibited = reviewEntry(t, db, a["dept-gongan"].OrgID, shuyu.RegionZhongwei, "ZW-GA-002", "案件侦查信息", "prohibited", true, "case_no")
	f.draftOne = reviewEntry(t, db, a["dept-gongan"].OrgID, shuyu.RegionZhongwei, "ZW-GA-003", "未发布目录", "conditional", false, "x")
	return f
}

// input is a valid application for the police and health entries.
func (f *reviewFixture) input() shuyu.ApplicationInput {
	return shuyu.ApplicationInput{
		Title: "县域医疗资源配置分析", Scenario: "分析海原县门诊需求与常住人口分布，优化基层医疗资源配置。",
		Tags: []string{"livelihood"}, Purpose: shuyu.PurposeWelfare, Method: "sandbox",
		TermStart: "2027-01-04", TermEnd: "2027-12-31", Security: "在运营平台沙箱内分析，仅导出聚合结果，专人负责。",
		Items: []shuyu.ItemRequest{{EntryID: f.police, Fields: []string{"address"}}, {EntryID: f.health, Fields: []string{"clinic", "visits"}}},
	}
}

// inboxHas reports whether the actor's inbox holds a message of kind whose
// title contains sub.
func inboxHas(t testing.TB, db *sqlstore.DB, a *shuyu.Actor, kind, sub string) bool {
	t.Helper()
	ns, _, err := db.Inbox(ctx, a, 500, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.Kind == kind && strings.Contains(n.Title, sub) {
			return true
		}
	}
	return false
}

// auditCount counts trail events of an action on an object.
func auditCount(t testing.TB, db *sqlstore.DB, action, objType, objID string) (n int, actor, reason string) {
	t.Helper()
	rows, err := db.SQL().Query(db.Rebind(`SELECT actor_name, reason FROM audit_events WHERE action = ? AND object_type = ? AND object_id = ?`),
		action, objType, objID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&actor, &reason); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n, actor, reason
}
