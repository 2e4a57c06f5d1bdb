package web

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore/sqltest"
)

// TestSecretsAPI_R2_1_MarkListLift: the department marks a field over the
// API and an entry on the page; bad input, a merchant and an anonymous
// caller are refused and change nothing; the mark is listed for the
// department and the regulator; the mount the mark forbids is refused over
// the API with the reason; only the authority lifts it.
func TestSecretsAPI_R2_1_MarkListLift(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		police := reviewWebEntry(t, h, h.actors["dept-gongan"].OrgID, shuyu.RegionZhongwei, "ZW-GA-001", "流动人口登记信息", "conditional", "address", "name")
		dept := h.token("dept-gongan")
		path := fmt.Sprintf("/api/v1/catalog/%d/secrets", police)
		good := map[string]any{"field": "address", "class": "work", "basis": "公安工作秘密事项目录"}
		h.call("", "POST", path, good, 401, nil)
		h.call(h.token("merchant-a"), "POST", path, good, 403, nil)
		h.call(h.token("dept-haiyuan-weijian"), "POST", path, good, 404, nil)
		h.call(dept, "POST", path, map[string]any{"field": "address", "class": "secret", "basis": "依据"}, 400, nil)
		h.call(dept, "POST", path, map[string]any{"field": "address", "class": "work", "basis": "公安工作秘密", "extra": 1}, 400, nil)
		h.call(dept, "GET", "/api/v1/secrets?entry=x", nil, 400, nil)
		var list struct {
			Items []shuyu.SecretMark `json:"items"`
		}
		h.call(dept, "GET", "/api/v1/secrets", nil, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("refused marks stored: %d", len(list.Items))
		}
		var m shuyu.SecretMark
		h.call(dept, "POST", path, good, 201, &m)
		if m.Field != "address" || m.Class != shuyu.SecretWork || m.LiftedAt != nil {
			t.Fatalf("mark %+v", m)
		}
		h.call(h.token("regulator"), "GET", fmt.Sprintf("/api/v1/secrets?entry=%d&active=true", police), nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != m.ID {
			t.Fatalf("regulator sees %+v", list.Items)
		}
		h.call(h.token("dept-haiyuan-weijian"), "GET", "/api/v1/secrets", nil, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("another department sees %d marks", len(list.Items))
		}

		// The department marks the whole entry on the page.
		d := uiAs(t, h, "dept-gongan")
		st, page := d.follow("/oversight/secrets", url.Values{"code": {"ZW-GA-001"}, "class": {"state"}, "basis": {"国家秘密目录第 12 项"}})
		if st != http.StatusOK || !strings.Contains(page, "国家秘密目录第 12 项") || !strings.Contains(page, "整个目录") {
			t.Fatalf("secrets page %d: %s", st, pageText(page))
		}
		if st, page, _ := d.post("/oversight/secrets", url.Values{"code": {"ZW-GA-001"}, "class": {"state"}, "basis": {"短"}}); st != http.StatusBadRequest ||
			!strings.Contains(page, "定密依据") {
			t.Fatalf("bad mark on the page %d: %s", st, pageText(page))
		}
		if strings.Contains(page, "/lift\"") {
			t.Fatal("the department is offered to lift a mark")
		}

		// R2.1: the data cannot be mounted; the refusal names the reason.
		_, body := h.do(dept, "PUT", fmt.Sprintf("/api/v1/catalog/%d/mount", police), map[string]any{"mounted": true})
		if !strings.Contains(string(body), "国家秘密") {
			t.Fatalf("mount of a secret entry: %s", body)
		}

		// Only the city authority lifts, with a reason.
		lift := fmt.Sprintf("/api/v1/secrets/%d/lift", m.ID)
		h.call(dept, "POST", lift, map[string]any{"reason": "经核定不属于工作秘密"}, 403, nil)
		h.call(h.token("authority"), "POST", lift, map[string]any{"reason": ""}, 400, nil)
		a := uiAs(t, h, "authority")
		if st, page := a.follow(fmt.Sprintf("/oversight/secrets/%d/lift", m.ID), url.Values{"reason": {"经核定不属于工作秘密"}}); st != http.StatusOK ||
			!strings.Contains(page, "已解除") {
			t.Fatalf("lift on the page %d: %s", st, pageText(page))
		}
		h.call(h.token("authority"), "POST", lift, map[string]any{"reason": "再次解除"}, 409, nil)
	})
}

// TestExpertAPI_R7_1_ReferSignOverHTTP: the authority refers a registration
// over the API with a blocking question; the registration decision answers
// 409 until the expert signs on the page; the expert's page shows the case
// and the opinion form, a wrong password is a 400 that signs nothing; an
// unnamed role and an anonymous caller cannot read the referral.
func TestExpertAPI_R7_1_ReferSignOverHTTP(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		op, auth := h.token("operator-admin"), h.token("authority")
		var doc shuyu.Document
		h.call(op, "POST", "/api/v1/documents", map[string]any{"kind": "onboarding_rules", "title": "入驻规则",
			"body": "数据商应具备数据安全保护能力，遵守管理办法。"}, 201, &doc)
		h.call(auth, "POST", fmt.Sprintf("/api/v1/documents/%d/approve", doc.ID), nil, 200, nil)
		var out struct {
			Registration shuyu.Registration `json:"registration"`
		}
		h.call("", "POST", "/api/v1/registrations", map[string]any{"company": "丁数据服务有限公司", "uscc": ident.GenUSCC(rand.New(rand.NewPCG(7, 16)), "640502"),
			"legal_rep": "张三", "contact_name": "李四", "contact_phone": "13800138000", "business_scope": "数据处理服务",
			"security_statement": "已建立数据安全管理制度并通过等保三级测评。", "username": "merchant-d", "rules_doc_id": doc.ID,
			"password": "Merchant-pass-2026"}, 201, &out)
		rid := out.Registration.ID
		h.call(h.token("operator-reviewer"), "POST", fmt.Sprintf("/api/v1/registrations/%d/accept", rid), map[string]any{}, 200, nil)

		expertID := h.actors["expert"].UserID
		ref := map[string]any{"case_kind": "registration", "case_id": rid, "title": "数据安全能力评估",
			"questions": "该企业的数据安全保护能力说明是否足以支持其处理公共数据？", "blocking": true, "experts": []int64{expertID}}
		h.call(h.token("merchant-a"), "POST", "/api/v1/expert/referrals", ref, 403, nil)
		h.call(auth, "POST", "/api/v1/expert/referrals", map[string]any{"case_kind": "registration", "case_id": rid, "title": "x",
			"questions": "短", "experts": []int64{}}, 400, nil)
		var r shuyu.ExpertReferral
		h.call(auth, "POST", "/api/v1/expert/referrals", ref, 201, &r)
		_, body := h.do(op, "POST", fmt.Sprintf("/api/v1/registrations/%d/decide", rid), map[string]any{"register": true, "reason": "齐全"})
		if errCode(t, body) != shuyu.ECONFLICT {
			t.Fatalf("decision before the opinion: %s", body)
		}
		h.call("", "GET", fmt.Sprintf("/api/v1/expert/referrals/%d", r.ID), nil, 401, nil)
		h.call(h.token("merchant-a"), "GET", fmt.Sprintf("/api/v1/expert/referrals/%d", r.ID), nil, 404, nil)
		var list struct {
			Items []shuyu.ExpertReferral `json:"items"`
		}
		h.call(h.token("expert"), "GET", "/api/v1/expert/referrals", nil, 200, &list)
		if len(list.Items) != 1 {
			t.Fatalf("expert lists %d referrals", len(list.Items))
		}

		e := uiAs(t, h, "expert")
		path := fmt.Sprintf("/expert/referrals/%d", r.ID)
		st, page, _ := e.get(path)
		if st != http.StatusOK || !strings.Contains(page, "丁数据服务有限公司") || !strings.Contains(page, `id="opinion-form"`) {
			t.Fatalf("expert's referral page %d: %s", st, pageText(page))
		}
		form := url.Values{"conclusion": {"conditional"}, "opinion": {"安全能力说明基本充分，建议入驻后三个月内完成等保复测。"}, "password": {"wrong-password-7"}}
		if st, page, _ := e.post(path+"/opinion", form); st != http.StatusBadRequest || !strings.Contains(page, "密码错误") {
			t.Fatalf("wrong password %d: %s", st, pageText(page))
		}
		form.Set("password", sqltest.Password)
		st, page = e.follow(path+"/opinion", form)
		if st != http.StatusOK || !strings.Contains(page, "签名有效") || !strings.Contains(page, "已出具意见") {
			t.Fatalf("after signing %d: %s", st, pageText(page))
		}
		h.call(op, "POST", fmt.Sprintf("/api/v1/registrations/%d/decide", rid), map[string]any{"register": true, "reason": "齐全"}, 200, nil)
		var got shuyu.ExpertReferral
		h.call(h.token("regulator"), "GET", fmt.Sprintf("/api/v1/expert/referrals/%d", r.ID), nil, 200, &got)
		if len(got.Opinions) != 1 || !got.Opinions[0].SignatureOK {
			t.Fatalf("regulator's view: %+v", got.Opinions)
		}
	})
}
