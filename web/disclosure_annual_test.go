package web

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestDisclosureAPI_R32_1_NDIS_1: a draft is generated over HTTP by the
// operator (a merchant is refused, a year not ended is a 400, a bad year
// is a 404); an anonymous client does not find the draft; the authority
// publishes the digest it read (another digest is a 409); then anyone
// reads the year as JSON, .xlsx, the page in Chinese and in English, and
// the printable view; the authorization disclosed is the live one.
func TestDisclosureAPI_R32_1_NDIS_1(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		h.call(h.token("merchant-a"), "POST", "/api/v1/disclosures/2025/generate", nil, 403, nil)
		h.call("", "POST", "/api/v1/disclosures/2025/generate", nil, 401, nil)
		h.call(h.token("operator-admin"), "POST", "/api/v1/disclosures/2026/generate", nil, 400, nil)
		h.call(h.token("operator-admin"), "POST", "/api/v1/disclosures/abc/generate", nil, 404, nil)
		var d shuyu.AnnualDisclosure
		h.call(h.token("operator-admin"), "POST", "/api/v1/disclosures/2025/generate", nil, 200, &d)
		h.call("", "GET", "/api/v1/disclosures/2025", nil, 404, nil)
		h.call(h.token("merchant-a"), "GET", "/api/v1/disclosures/2025", nil, 404, nil)
		h.call(h.token("operator-admin"), "POST", "/api/v1/disclosures/2025/publish", map[string]string{"digest_sm3": d.DigestSM3}, 403, nil)
		h.call(h.token("authority"), "POST", "/api/v1/disclosures/2025/publish", map[string]string{"digest_sm3": strings.Repeat("0", 64)}, 409, nil)
		h.call(h.token("authority"), "POST", "/api/v1/disclosures/2025/publish", map[string]string{"digest_sm3": d.DigestSM3, "extra": "x"}, 400, nil)
		h.call(h.token("authority"), "POST", "/api/v1/disclosures/2025/publish", map[string]string{"digest_sm3": d.DigestSM3}, 200, nil)

		var pub shuyu.AnnualDisclosure
		h.call("", "GET", "/api/v1/disclosures/2025", nil, 200, &pub)
		var auths []shuyu.Authorization
		h.call(h.token("authority"), "GET", "/api/v1/authorizations", nil, 200, &struct {
			Items *[]shuyu.Authorization `json:"items"`
		}{&auths})
		if pub.Status != shuyu.DisclosurePublished || pub.DigestSM3 != d.DigestSM3 || len(auths) != 1 ||
			len(pub.Content.Authorizations) != 1 || pub.Content.Authorizations[0].Number != auths[0].Number ||
			pub.Content.Body.Name != auths[0].AuthorityName {
			t.Fatalf("published %+v, live %+v", pub.Content, auths)
		}
		var list struct {
			Items []shuyu.DisclosureSummary `json:"items"`
		}
		h.call("", "GET", "/api/v1/disclosures", nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].Year != 2025 {
			t.Fatalf("public list %+v", list)
		}
		resp, xb := h.do("", "GET", "/api/v1/disclosures/2025?format=xlsx", nil)
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(xb, []byte("PK")) {
			t.Fatalf("xlsx %d", resp.StatusCode)
		}
		anon := newUIClient(t, h)
		st, page, _ := anon.get("/disclosures/2025")
		if st != http.StatusOK || !strings.Contains(page, "2025 年度授权运营信息披露") || !strings.Contains(page, auths[0].Number) ||
			!strings.Contains(page, `data-print`) || strings.Contains(page, `id="dsc-publish"`) || !strings.Contains(page, "与发布时审计记录的摘要一致") {
			t.Fatalf("public page %d: %s", st, pageText(page))
		}
		if st, page, _ := anon.get("/disclosures/2025?lang=en"); st != http.StatusOK || !strings.Contains(page, "Disclosure of authorized operation for 2025") {
			t.Fatalf("English page %d: %s", st, pageText(page))
		}
		if st, _, _ := anon.get("/disclosures/2024"); st != http.StatusNotFound {
			t.Fatalf("missing year: %d", st)
		}
		if st, _, _ := anon.get("/disclosures/2025/export.xlsx"); st != http.StatusOK {
			t.Fatalf("page export: %d", st)
		}
		if st, page, _ := anon.get("/portal"); st != http.StatusOK || !strings.Contains(page, `href="/disclosures"`) {
			t.Fatalf("portal link %d", st)
		}
	})
}
