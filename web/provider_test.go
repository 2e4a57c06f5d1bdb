package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// actingDo sends an API request as token acting under delegation (the
// X-Acting-For header; 0 sends none).
func actingDo(t *testing.T, h *harness, token string, delegation int64, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if delegation != 0 {
		req.Header.Set(actingHeader, fmt.Sprint(delegation))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestProviders_R6_3_ActingForAMerchantOverHTTP: merchant-a delegates
// simulated-data queries to the provider; the provider, naming the
// delegation, sees merchant-a's workspace and runs simulated queries, is
// refused real data and anything of another merchant's, and the trail shows
// the provider acting for merchant-a; the merchant's revocation stops the
// next request at once. Without the header the provider has no such power,
// and a merchant cannot use the header.
func TestProviders_R6_3_ActingForAMerchantOverHTTP(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		h, f, _, ws := newSandboxHarness(t, b)
		a, prov := h.token("merchant-a"), h.token("provider")
		day := f.Clock.Now().Format("2006-01-02")
		end := f.Clock.Now().AddDate(0, 1, 0).Format("2006-01-02")
		var g shuyu.Delegation
		if resp, _ := h.do(a, "POST", "/api/v1/delegations", map[string]any{"provider_org_id": f.Actors["provider"].OrgID,
			"tasks": []string{"sim_query"}, "from": end, "to": day}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("reversed term: %d", resp.StatusCode)
		}
		h.call(a, "POST", "/api/v1/delegations", map[string]any{"provider_org_id": f.Actors["provider"].OrgID,
			"tasks": []string{"sim_query"}, "from": day, "to": end, "note": "委托编写仿真数据查询"}, http.StatusCreated, &g)

		wsPath := fmt.Sprintf("/api/v1/workspaces/%d", ws)
		if st, _ := actingDo(t, h, prov, 0, "GET", wsPath, nil); st != http.StatusForbidden && st != http.StatusNotFound {
			t.Fatalf("the provider without acting reads the workspace: %d", st)
		}
		if st, _ := actingDo(t, h, a, g.ID, "GET", wsPath, nil); st != http.StatusForbidden {
			t.Fatalf("a merchant uses the acting header: %d", st)
		}
		if st, _ := actingDo(t, h, prov, g.ID+1000, "GET", wsPath, nil); st != http.StatusNotFound {
			t.Fatalf("an unknown delegation: %d", st)
		}
		if st, body := actingDo(t, h, prov, g.ID, "GET", wsPath, nil); st != http.StatusOK {
			t.Fatalf("acting provider reads the workspace: %d %s", st, body)
		}
		st, body := actingDo(t, h, prov, g.ID, "POST", wsPath+"/queries", map[string]string{"sql": "SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county", "data": "simulated"})
		if st != http.StatusOK || !strings.Contains(string(body), `"released"`) {
			t.Fatalf("simulated query: %d %s", st, body)
		}
		st, body = actingDo(t, h, prov, g.ID, "POST", wsPath+"/queries", map[string]string{"sql": "SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county", "data": "real"})
		if st != http.StatusForbidden {
			t.Fatalf("real-data query by the provider: %d %s", st, body)
		}
		if st, _ := actingDo(t, h, prov, g.ID, "POST", "/api/v1/products", map[string]any{"workspace_id": ws, "name": "x", "description": "x",
			"scenario": "x", "type": "dataset", "recipients": []string{"x"}}); st != http.StatusForbidden {
			t.Fatalf("product task not delegated: %d", st)
		}

		// The trail: the provider's user, on behalf of merchant-a.
		var detail, name string
		if err := h.db.SQL().QueryRow(h.db.Rebind(`SELECT actor_name, detail FROM audit_events WHERE action = ? ORDER BY seq DESC LIMIT 1`),
			string(shuyu.AuditWorkspaceQuery)).Scan(&name, &detail); err != nil {
			t.Fatal(err)
		}
		if name != "provider" || !strings.Contains(detail, fmt.Sprintf(`"on_behalf_of":%d`, f.Actors["merchant-a"].OrgID)) ||
			!strings.Contains(detail, fmt.Sprintf(`"delegation":%d`, g.ID)) {
			t.Fatalf("trail: %s %s", name, detail)
		}

		// The page: the merchant's list with the list bar; the provider starts acting.
		ui := uiAs(t, h, "merchant-a")
		if st, page, _ := ui.get("/providers"); st != http.StatusOK || !strings.Contains(page, `id="list-total"`) || !strings.Contains(page, "委托编写仿真数据查询") {
			t.Fatalf("providers page: %d", st)
		}
		pu := uiAs(t, h, "provider")
		if st, _, _ := pu.post(fmt.Sprintf("/providers/%d/act", g.ID), url.Values{}); st != http.StatusSeeOther {
			t.Fatalf("start acting: %d", st)
		}
		if st, page, _ := pu.get(fmt.Sprintf("/workspaces/%d", ws)); st != http.StatusOK || !strings.Contains(page, "zw_ga_0001") {
			t.Fatalf("acting provider's workbench page: %d", st)
		}

		// Revoked: the next request fails, over the API and on the page.
		h.call(a, "POST", fmt.Sprintf("/api/v1/delegations/%d/revoke", g.ID), map[string]string{"reason": "项目结束"}, http.StatusOK, &g)
		if st, _ := actingDo(t, h, prov, g.ID, "GET", wsPath, nil); st != http.StatusForbidden {
			t.Fatalf("after revocation: %d", st)
		}
		if st, _, _ := pu.get(fmt.Sprintf("/workspaces/%d", ws)); st == http.StatusOK {
			t.Fatalf("the acting page after revocation: %d", st)
		}
		if st, _, _ := pu.get("/providers"); st != http.StatusOK {
			t.Fatalf("the provider can still reach its list to stop: %d", st)
		}
	})
}
