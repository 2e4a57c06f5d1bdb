package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// applyEntry is a published, mounted entry whose fields have Chinese
// labels and personal-information marks, as the catalog has them.
func applyEntry(t *testing.T, h *harness, code, name string, mounted bool) int64 {
	t.Helper()
	id := reviewWebEntry(t, h, h.actors["dept-gongan"].OrgID, shuyu.RegionZhongwei, code, name, "conditional", "id_number", "name", "address")
	db := h.db
	for _, f := range []struct {
		name, label string
		pi, spi     bool
	}{{"id_number", "公民身份号码", true, true}, {"name", "姓名", true, false}, {"address", "居住地址", true, false}} {
		if _, err := db.SQL().Exec(db.Rebind(`UPDATE catalog_fields SET label = ?, pi = ?, sensitive_pi = ? WHERE name = ? AND revision_id =
			(SELECT published_rev_id FROM catalog_entries WHERE id = ?)`), f.label, f.pi, f.spi, f.name, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SQL().Exec(db.Rebind(`UPDATE catalog_entries SET mounted = ? WHERE id = ?`), mounted, id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestApply_R10_2_FromCatalogThroughLoginToCart: a visitor on an entry page
// follows 申请使用, logs in and lands on the cart with the entry in it; the
// form offers the cart's fields by Chinese label with their marks; an
// entry without mounted data says why on its page and in the form, and is
// refused over the API (400, nothing stored) and through the form; the
// agreement-to-be's application shows Chinese labels.
func TestApply_R10_2_FromCatalogThroughLoginToCart(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := reviewuiHarness(t, env)
		reviewuiRegister(t, h, reviewuiDocs(t, h), "甲数据科技有限公司", "merchant-a")
		ok := applyEntry(t, h, "ZW-GA-101", "流动人口登记信息", true)
		bare := applyEntry(t, h, "ZW-GA-102", "户籍迁移登记信息", false)

		anon := newUIClient(t, h)
		_, page, _ := anon.get(fmt.Sprintf("/catalog/%d", ok))
		addLink := fmt.Sprintf(`href="/cart?add=%d"`, ok)
		if !strings.Contains(page, addLink) {
			t.Fatalf("entry page has no 申请使用 link: %s", pageText(page))
		}
		if _, page, _ = anon.get(fmt.Sprintf("/catalog/%d", bare)); !strings.Contains(page, "apply-entry-disabled") || !strings.Contains(page, "尚未挂接数据") {
			t.Fatalf("unmounted entry page: %s", pageText(page))
		}
		st, _, loc := anon.get(fmt.Sprintf("/cart?add=%d", ok))
		if st != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape(fmt.Sprintf("/cart?add=%d", ok)) {
			t.Fatalf("anonymous cart: %d %q", st, loc)
		}
		_, _, loc = anon.post("/login", url.Values{"username": {"merchant-a"}, "password": {sqltest.Password}, "next": {fmt.Sprintf("/cart?add=%d", ok)}})
		if loc != fmt.Sprintf("/cart?add=%d", ok) {
			t.Fatalf("after login: %q", loc)
		}
		st, _, loc = anon.get(loc)
		if st != http.StatusSeeOther || loc != "/cart" {
			t.Fatalf("add to cart: %d %q", st, loc)
		}
		_, cart, _ := anon.get("/cart")
		if !strings.Contains(cart, `id="cart-`+fmt.Sprint(ok)+`"`) || !strings.Contains(cart, "流动人口登记信息") {
			t.Fatalf("cart: %s", pageText(cart))
		}
		if st, _, _ := anon.get("/cart?add=abc"); st != http.StatusBadRequest {
			t.Fatalf("bad add: %d", st)
		}
		anon.get(fmt.Sprintf("/cart?add=%d", bare))
		_, form, _ := anon.get("/applications/new")
		for _, want := range []string{"公民身份号码", "敏感个人信息", "居住地址", `data-select-all="f_` + fmt.Sprint(ok) + `"`, "data-apply-filter"} {
			if !strings.Contains(form, want) {
				t.Errorf("form lacks %q", want)
			}
		}
		if !strings.Contains(form, `name="f_`+fmt.Sprint(bare)+`" value="id_number" disabled`) {
			t.Errorf("unmounted entry's fields are not disabled")
		}
		// Another account in the same browser does not see this cart.
		if ids := cartOf(&http.Request{Header: http.Header{"Cookie": {"shuyu_cart=999:" + fmt.Sprint(ok)}}}, h.actors["merchant-a"]); len(ids) != 0 {
			t.Fatalf("someone else's cart read: %v", ids)
		}

		in := map[string]any{"title": "社区人口服务分析", "scenario": "分析社区流动人口分布，优化便民服务网点。",
			"tags": []string{"livelihood"}, "purpose": "public_governance", "method": "sandbox", "term_start": "2027-01-04",
			"term_end": "2027-12-31", "security_measures": "沙箱内分析，仅导出聚合结果。",
			"items": []map[string]any{{"entry_id": ok, "fields": []string{"address"}}, {"entry_id": bare, "fields": []string{"name"}}}}
		_, body := h.do(h.token("merchant-a"), "POST", "/api/v1/applications", in)
		if errCode(t, body) != shuyu.EINVALID || !strings.Contains(string(body), "尚未挂接数据") || !strings.Contains(string(body), "户籍迁移登记信息") {
			t.Fatalf("unmounted entry over the API: %s", body)
		}
		var apps struct {
			Items []shuyu.Application `json:"items"`
		}
		h.call(h.token("merchant-a"), "GET", "/api/v1/applications", nil, 200, &apps)
		if len(apps.Items) != 0 {
			t.Fatalf("refused application stored")
		}
		values := url.Values{"title": {"社区人口服务分析"}, "scenario": {"分析社区流动人口分布，优化便民服务网点。"},
			"tags": {"livelihood"}, "purpose": {"public_governance"}, "method": {"sandbox"}, "term_start": {"2027-01-04"},
			"term_end": {"2027-12-31"}, "security_measures": {"沙箱内分析，仅导出聚合结果。"},
			fmt.Sprintf("f_%d", ok): {"address", "id_number"}, fmt.Sprintf("f_%d", bare): {"name"}}
		st, page, _ = anon.post("/applications", values)
		if st != http.StatusBadRequest || !strings.Contains(page, "尚未挂接数据") {
			t.Fatalf("unmounted entry through the form: %d %s", st, pageText(page))
		}
		values.Del(fmt.Sprintf("f_%d", bare))
		st, page = anon.follow("/applications", values)
		if st != http.StatusOK || !strings.Contains(page, "居住地址、公民身份号码") {
			t.Fatalf("application page %d: %s", st, pageText(page))
		}
		if _, cart, _ = anon.get("/cart"); !strings.Contains(cart, `id="cart-empty"`) {
			t.Fatalf("cart not emptied after applying: %s", pageText(cart))
		}
	})
}
