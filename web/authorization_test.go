package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestAuthorizationAPI_R13_1_NIMP_3: over HTTP, a 6-year term is a 400
// naming the field and stores nothing; the authority drafts and signs, the
// operator signs, the page shows the agreement in force with verified
// signatures; a merchant and an anonymous caller are refused.
func TestAuthorizationAPI_R13_1_NIMP_3(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		in := sqltest.AuthorizationInput(h.actors["operator-admin"].OrgID, shuyu.AuthWhole, shuyu.AuthorizationScope{}, "2027-01-01", "2032-12-31")
		h.call("", "POST", "/api/v1/authorizations", in, 401, nil)
		h.call(h.token("merchant-a"), "POST", "/api/v1/authorizations", in, 403, nil)
		var bad struct {
			Error struct {
				Details []shuyu.FieldError `json:"details"`
			} `json:"error"`
		}
		h.call(h.token("authority"), "POST", "/api/v1/authorizations", in, 400, &bad)
		if len(bad.Error.Details) != 1 || bad.Error.Details[0].Field != "term_end" {
			t.Fatalf("6-year term details: %+v", bad.Error.Details)
		}
		var list struct {
			Items []shuyu.Authorization `json:"items"`
		}
		h.call(h.token("authority"), "GET", "/api/v1/authorizations", nil, 200, &list)
		if len(list.Items) != 1 { // the seeded one only
			t.Fatalf("authorizations after a refusal: %d", len(list.Items))
		}
		in.TermEnd = "2031-12-31"
		var z shuyu.Authorization
		h.call(h.token("authority"), "POST", "/api/v1/authorizations", in, 201, &z)
		h.call(h.token("merchant-a"), "GET", "/api/v1/authorizations", nil, 403, nil)
		h.call(h.token("authority"), "POST", "/api/v1/authorizations/"+itoa(z.ID)+"/sign", map[string]string{"password": sqltest.Password}, 200, &z)
		h.call(h.token("operator-admin"), "POST", "/api/v1/authorizations/"+itoa(z.ID)+"/sign", map[string]string{"password": sqltest.Password}, 200, &z)
		if z.Status != shuyu.AuthzEffective {
			t.Fatalf("status %s", z.Status)
		}
		u := uiAs(t, h, "authority")
		st, body, _ := u.get("/authorizations/" + itoa(z.ID))
		if st != http.StatusOK || !strings.Contains(body, `id="authz-verify-ok"`) || !strings.Contains(pageText(body), "生效中") {
			t.Fatalf("detail page %d: %s", st, pageText(body))
		}
		st, body, _ = u.post("/authorizations", url.Values{"operator_org_id": {itoa(h.actors["operator-admin"].OrgID)},
			"title": {"超期的授权运营协议"}, "mode": {"whole"}, "term_start": {"2027-01-01"}, "term_end": {"2033-01-01"}})
		if st != http.StatusBadRequest || !strings.Contains(body, `id="term-end-error"`) {
			t.Fatalf("page draft with a 6-year term %d: %s", st, pageText(body))
		}
		m := uiAs(t, h, "merchant-a")
		if st, _, _ := m.get("/authorizations"); st != http.StatusForbidden {
			t.Fatalf("merchant opens the page: %d", st)
		}
	})
}
