package web

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
)

// reviewWebEntry inserts a published catalog entry (catalog contract,
// migration 0002) directly.
func reviewWebEntry(t *testing.T, h *harness, org int64, region, code, name, open string, fields ...string) int64 {
	t.Helper()
	db := h.db
	var id, rev int64
	if err := db.SQL().QueryRow(db.Rebind(`INSERT INTO catalog_entries (code, org_id, region, created_at) VALUES (?, ?, ?, 0) RETURNING id`),
		code, org, region).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRow(db.Rebind(`INSERT INTO catalog_revisions (entry_id, version, status, name, summary, grade, open_attr,
		auth_mode, update_freq, created_by, created_at, updated_at) VALUES (?, 1, 'published', ?, '摘要', 'general', ?, 'whole', 'daily', 0, 0, 0)
		RETURNING id`), id, name, open).Scan(&rev); err != nil {
		t.Fatal(err)
	}
	for i, f := range fields {
		if _, err := db.SQL().Exec(db.Rebind(`INSERT INTO catalog_fields (revision_id, position, name, label, data_type, grade)
			VALUES (?, ?, ?, ?, 'string', 'general')`), rev, i, f, f); err != nil {
			t.Fatal(err)
		}
	}
	// Mounted: only entries with data can be applied for (R10.2).
	if _, err := db.SQL().Exec(db.Rebind(`UPDATE catalog_entries SET published_rev_id = ?, mounted = ? WHERE id = ?`), rev, true, id); err != nil {
		t.Fatal(err)
	}
	// Written around the store: the public catalog's caches must hear of it.
	if _, err := db.SQL().Exec(`UPDATE catalog_generation SET gen = gen + 1 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestReviewAPI_R21_1_MerchantAppliesReviewerDecides: the documents are
// approved and merchant-a registered through the API; the merchant applies
// on the page, the operator checks, the department decides on the page,
// the others through the API; the deadline shows on screen and turns red
// when overdue; bad input gets 4xx and changes nothing.
func TestReviewAPI_R21_1_MerchantAppliesReviewerDecides(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		op, auth := h.token("operator-admin"), h.token("authority")
		var doc shuyu.Document
		h.call(op, "POST", "/api/v1/documents", map[string]any{"kind": "onboarding_rules", "title": "入驻规则",
			"body": "数据商应具备数据安全保护能力，遵守管理办法。"}, 201, &doc)
		h.call(auth, "POST", fmt.Sprintf("/api/v1/documents/%d/approve", doc.ID), nil, 200, nil)
		var clauses []shuyu.Clause
		for _, k := range shuyu.ClauseKeys {
			clauses = append(clauses, shuyu.Clause{Key: k, Title: shuyu.ClauseTitles[k], Text: "约定：{{scenario}}；{{data_scope}}"})
		}
		var tpl shuyu.Document
		h.call(op, "POST", "/api/v1/documents", map[string]any{"kind": "agreement_template", "title": "格式协议", "clauses": clauses}, 201, &tpl)
		h.call(auth, "POST", fmt.Sprintf("/api/v1/documents/%d/approve", tpl.ID), nil, 200, nil)

		reg := map[string]any{"company": "甲数据科技有限公司", "uscc": "91640502MA76XXXX0X", "legal_rep": "张三", "contact_name": "李四",
			"contact_phone": "13800138000", "business_scope": "数据处理服务", "security_statement": "已建立数据安全管理制度并通过等保三级测评。",
			"username": "merchant-a", "rules_doc_id": doc.ID, "password": "Merchant-pass-2026"}
		_, body := h.do("", "POST", "/api/v1/registrations", reg)
		if errCode(t, body) != shuyu.EINVALID {
			t.Fatalf("bad credit code: %s", body)
		}
		reg["uscc"] = ident.GenUSCC(rand.New(rand.NewPCG(1, 2)), "640502")
		var out struct {
			Registration shuyu.Registration `json:"registration"`
			Token        string             `json:"token"`
		}
		h.call("", "POST", "/api/v1/registrations", reg, 201, &out)
		rid := out.Registration.ID
		h.call(h.token("operator-reviewer"), "POST", fmt.Sprintf("/api/v1/registrations/%d/accept", rid), map[string]any{}, 200, nil)
		h.call(op, "POST", fmt.Sprintf("/api/v1/registrations/%d/decide", rid), map[string]any{"register": true, "reason": "齐全"}, 200, nil)

		police := reviewWebEntry(t, h, h.actors["dept-gongan"].OrgID, shuyu.RegionZhongwei, "ZW-GA-001", "流动人口登记信息", "conditional", "address", "name")

		// The merchant applies on the page.
		m := uiAs(t, h, "merchant-a")
		if st, body, _ := m.get("/applications/new"); st != 200 || !strings.Contains(body, "流动人口登记信息") {
			t.Fatalf("new application page %d", st)
		}
		form := url.Values{"title": {"社区人口服务分析"}, "scenario": {"分析社区流动人口分布，优化便民服务网点。"},
			"tags": {"livelihood"}, "purpose": {"public_governance"}, "method": {"sandbox"}, "term_start": {"2027-01-04"},
			"term_end": {"2027-12-31"}, "security_measures": {"沙箱内分析，仅导出聚合结果。"}, fmt.Sprintf("f_%d", police): {"address"}}
		st, page := m.follow("/applications", form)
		// R18.2: on the day the five-working-day check starts, five are left.
		if st != 200 || !strings.Contains(page, "社区人口服务分析") || !strings.Contains(page, "2026-12-02") ||
			!strings.Contains(page, "剩余 5 个工作日") {
			t.Fatalf("application page %d: %s", st, pageText(page))
		}
		var apps struct {
			Items []shuyu.Application `json:"items"`
		}
		h.call(h.token("merchant-a"), "GET", "/api/v1/applications", nil, 200, &apps)
		if len(apps.Items) != 1 {
			t.Fatalf("merchant sees %d applications", len(apps.Items))
		}
		id := apps.Items[0].ID
		h.call(h.token("merchant-b"), "GET", fmt.Sprintf("/api/v1/applications/%d", id), nil, 404, nil)
		_, body = h.do(h.token("operator-reviewer"), "POST", fmt.Sprintf("/api/v1/applications/%d/check", id), map[string]any{"pass": false})
		if errCode(t, body) != shuyu.EINVALID {
			t.Fatalf("failed check without reasons: %s", body)
		}
		h.call(h.token("operator-reviewer"), "POST", fmt.Sprintf("/api/v1/applications/%d/check", id), map[string]any{"pass": true}, 200, nil)
		// After the check the deadline row still shows the deadline's date.
		if _, page, _ := m.get(fmt.Sprintf("/applications/%d", id)); !strings.Contains(page, `id="check-deadline">2026-12-02<`) ||
			!strings.Contains(page, `id="check-at">`) {
			t.Fatalf("checked application's deadline row: %s", pageText(page))
		}

		// The department decides on the page.
		d := uiAs(t, h, "dept-gongan")
		st, page, _ = d.get("/reviews")
		if st != 200 || !strings.Contains(page, "社区人口服务分析") || !strings.Contains(page, "剩余") {
			t.Fatalf("queue %d: %s", st, pageText(page))
		}
		var app shuyu.Application
		h.call(h.token("dept-gongan"), "GET", fmt.Sprintf("/api/v1/applications/%d", id), nil, 200, &app)
		var mine shuyu.Review
		for _, r := range app.Reviews {
			if r.OrgID == h.actors["dept-gongan"].OrgID {
				mine = r
			}
		}
		st, page = d.follow(fmt.Sprintf("/reviews/%d/decide", mine.ID), url.Values{"action": {"reject"}, "reason": {""}})
		if st != 200 || !strings.Contains(page, "理由") {
			t.Fatalf("reject without reasons: %s", pageText(page))
		}
		st, page = d.follow(fmt.Sprintf("/reviews/%d/decide", mine.ID), url.Values{"action": {"approve"}, "app": {fmt.Sprint(id)}})
		if st != 200 || !strings.Contains(page, "通过") {
			t.Fatalf("approve: %s", pageText(page))
		}
		// The operator's review is left open; past its deadline the page shows it overdue.
		h.clock.Set(mine.Deadline.Due.Add(time.Minute))
		d = uiAs(t, h, "dept-gongan") // the session idled out meanwhile
		if _, page, _ = d.get(fmt.Sprintf("/applications/%d", id)); !strings.Contains(page, "deadline-overdue") {
			t.Fatalf("overdue not shown: %s", pageText(page))
		}
		rep, err := h.db.Sweep(t.Context())
		if err != nil || rep.Deemed != 1 || rep.Approved != 1 {
			t.Fatalf("sweep %+v %v", rep, err)
		}
		var inbox struct {
			Items  []map[string]any `json:"items"`
			Unread int              `json:"unread"`
		}
		h.tokens = map[string]string{}
		m = uiAs(t, h, "merchant-a")
		h.call(h.token("merchant-a"), "GET", "/api/v1/inbox", nil, 200, &inbox)
		if inbox.Unread == 0 || !strings.Contains(fmt.Sprint(inbox.Items), "已通过") {
			t.Fatalf("merchant inbox: %+v", inbox)
		}
		h.call(h.token("merchant-a"), "POST", "/api/v1/inbox/read", map[string]any{}, 200, nil)
		if st, page, _ := m.get("/inbox"); st != 200 || !strings.Contains(page, "已通过") {
			t.Fatalf("inbox page %d", st)
		}
		var due map[string]any
		auth = h.token("authority")
		h.call(auth, "GET", "/api/v1/calendar/due?from=2026-09-30&n=5", nil, 200, &due)
		if due["due"] != "2026-10-13" {
			t.Fatalf("calendar due %v", due)
		}
		h.call(auth, "GET", "/api/v1/calendar/due?from=bad&n=5", nil, 400, nil)

		// The printable agreement says in words who signed and whether
		// each signature verifies, and notices a text altered afterwards.
		var agrs struct {
			Items []shuyu.Agreement `json:"items"`
		}
		h.call(h.token("merchant-a"), "GET", "/api/v1/agreements", nil, 200, &agrs)
		if len(agrs.Items) == 0 {
			t.Fatal("no agreement after approval")
		}
		agr := agrs.Items[0].ID
		for _, who := range []string{"merchant-a", "operator-admin"} {
			h.call(h.token(who), "POST", fmt.Sprintf("/api/v1/agreements/%d/sign", agr), map[string]string{"password": sqltest.Password}, 200, nil)
		}
		_, page, _ = m.get(fmt.Sprintf("/agreements/%d", agr))
		text := pageText(page)
		if strings.Count(text, "签名有效，使用本机构登记的签名密钥") != 2 || !strings.Contains(text, "协议文本自签署以来未被改动") ||
			!strings.Contains(page, `data-print`) || !regexp.MustCompile(`数据商由 \S+ · \S+ 于 [0-9-]+ [0-9:]+ 签署`).MatchString(text) {
			t.Fatalf("agreement in words: %.1500s", text)
		}
		if _, err := h.db.SQL().Exec(h.db.Rebind(`UPDATE agreements SET text = text || '（私自加入的条款）' WHERE id = ?`), agr); err != nil {
			t.Fatal(err)
		}
		if _, page, _ = m.get(fmt.Sprintf("/agreements/%d", agr)); !strings.Contains(pageText(page), "文本在签署后被改动过") {
			t.Fatalf("altered text not noticed: %.800s", pageText(page))
		}
		_ = workday.Zone
		_ = http.StatusOK
	})
}
