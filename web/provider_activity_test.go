package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestProviderActivity_R6_3_EveryRouteRecorded: a provider acting for
// merchant-a (the X-Acting-For header) requests every GET route of the
// server, API and pages; every route that authenticates (it refuses a bad
// token) has its request recorded as the provider on behalf of merchant-a
// — the record is made where the acting actor is made, so no handler can
// skip it. The merchant reads the records over the API and on its page,
// another merchant sees none, and the provider's page shows its own.
func TestProviderActivity_R6_3_EveryRouteRecorded(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		s := New(Config{DB: env.DB, Now: env.Clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		h := serveHarness(t, env, s)
		m, prov := h.token("merchant-a"), h.token("provider")
		var g shuyu.Delegation
		day := env.Clock.Now().Format("2006-01-02")
		end := env.Clock.Now().AddDate(0, 1, 0).Format("2006-01-02")
		h.call(m, "POST", "/api/v1/delegations", map[string]any{"provider_org_id": h.actors["provider"].OrgID,
			"tasks": []string{"application", "sim_query"}, "from": day, "to": end, "note": "代为准备使用申请"}, http.StatusCreated, &g)

		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		get := func(path, token string) int {
			req, err := http.NewRequest("GET", h.srv.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set(actingHeader, fmt.Sprint(g.ID))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusFound {
				if strings.HasPrefix(resp.Header.Get("Location"), "/login") {
					return http.StatusUnauthorized
				}
			}
			return resp.StatusCode
		}
		param := regexp.MustCompile(`\{[^}]*\}`)
		var authenticating []string
		for _, rt := range s.routes {
			if rt.method != "GET" {
				continue
			}
			path := strings.ReplaceAll(rt.pattern, "{$}", "")
			path = strings.ReplaceAll(param.ReplaceAllString(path, "1"), "//", "/")
			if get(path, "not-a-token") != http.StatusUnauthorized {
				continue // public: no actor, nobody's data
			}
			st := get(path, prov)
			if st == http.StatusUnauthorized {
				continue // another credential (a data subject's), never a session: no actor is made
			}
			if st >= 500 && st != http.StatusServiceUnavailable {
				t.Fatalf("GET %s acting: %d", path, st)
			}
			authenticating = append(authenticating, path)
		}
		if len(authenticating) < 100 {
			t.Fatalf("only %d authenticating GET routes found", len(authenticating))
		}
		rows, err := env.DB.ProviderActivity(t.Context(), h.actors["merchant-a"], g.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		recorded := map[string]bool{}
		for _, r := range rows {
			if r.User != "provider" || r.MerchantOrg != h.actors["merchant-a"].OrgID || r.RequestID == "" {
				t.Fatalf("record: %+v", r)
			}
			recorded[r.Path] = true
		}
		for _, p := range authenticating {
			if !recorded[p] {
				t.Errorf("GET %s acting for the merchant was not recorded", p)
			}
		}

		// The merchant's API and page; another merchant sees nothing.
		var list struct {
			Items []map[string]any `json:"items"`
		}
		h.call(m, "GET", fmt.Sprintf("/api/v1/provider-activity?delegation=%d", g.ID), nil, http.StatusOK, &list)
		if len(list.Items) != len(rows) {
			t.Fatalf("API lists %d, store %d", len(list.Items), len(rows))
		}
		h.call(h.token("merchant-b"), "GET", "/api/v1/provider-activity", nil, http.StatusOK, &list)
		if len(list.Items) != 0 {
			t.Fatalf("another merchant sees %d records", len(list.Items))
		}
		if resp, _ := h.do(m, "GET", "/api/v1/provider-activity?limit=-3", nil); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad limit: %d", resp.StatusCode)
		}
		if resp, _ := h.do("", "GET", "/api/v1/provider-activity", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("anonymous: %d", resp.StatusCode)
		}
		for _, who := range []string{"merchant-a", "provider"} {
			st, page, _ := uiAs(t, h, who).get("/providers/activity?q=workspaces")
			if st != http.StatusOK || !strings.Contains(page, `id="provider-activity"`) || !strings.Contains(page, "/api/v1/workspaces") {
				t.Fatalf("%s activity page: %d", who, st)
			}
		}
	})
}
