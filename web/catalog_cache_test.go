package web

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// catalogAnon reads the public catalog anonymously: the API's page for
// query (url-encoded by the caller) and the portal page's HTML.
func catalogAnon(t *testing.T, h *harness, query string) (sqlstore.CatalogPage, string) {
	t.Helper()
	var p sqlstore.CatalogPage
	h.call("", "GET", "/api/v1/catalog"+query, nil, 200, &p)
	_, html := h.do("", "GET", "/catalog"+query, nil)
	return p, string(html)
}

// catalogPublishAPI registers rev as an entry of 海原县卫生健康局 and takes
// it through the approval flow to publication over the API.
func catalogPublishAPI(h *harness, code string, rev shuyu.CatalogRevision) shuyu.CatalogEntry {
	h.t.Helper()
	var e shuyu.CatalogEntry
	h.call(h.token("dept-haiyuan-weijian"), "POST", "/api/v1/catalog", sqlstore.NewCatalogEntry{Code: code, Revision: rev}, 201, &e)
	for _, s := range []struct{ who, step string }{
		{"dept-haiyuan-weijian", "submit"}, {"county-haiyuan", "approve_county"},
		{"authority", "approve_city"}, {"operator-admin", "publish"},
	} {
		h.call(h.token(s.who), "POST", "/api/v1/catalog/"+catalogID(e.ID)+"/steps", map[string]string{"step": s.step}, 200, &e)
	}
	return e
}

// TestCatalogCache_R8_5_ChangeVisibleOnNextRead: the public catalog's
// answers are cached per catalog generation, and every change of what it
// shows (a publication, mounting data) is seen by the very next
// read, anonymous or logged in, on both backends.
func TestCatalogCache_R8_5_ChangeVisibleOnNextRead(t *testing.T) {
	t.Parallel()
	for _, backend := range sqltest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, backend)
			q := "?q=" + url.QueryEscape("沙坡头区婚姻")
			for range 2 { // the second read is served from the caches
				p, html := catalogAnon(t, h, q)
				if p.Total != 0 || strings.Contains(html, "沙坡头区婚姻登记信息") {
					t.Fatalf("before publication: %+v", p)
				}
			}
			all, _ := catalogAnon(t, h, "")

			// A publication: the next read shows it.
			e := catalogPublishAPI(h, "HY-WJ-0101", catalogAPISample("沙坡头区婚姻登记信息"))
			p, html := catalogAnon(t, h, q)
			if p.Total != 1 || p.Items[0].ID != e.ID || p.Items[0].Mounted || !strings.Contains(html, "沙坡头区婚姻登记信息") {
				t.Fatalf("after publication: %+v", p)
			}
			if p2, _ := catalogAnon(t, h, ""); p2.Total != all.Total+1 {
				t.Fatalf("browse after publication: %d entries, before %d", p2.Total, all.Total)
			}
			var mine sqlstore.CatalogPage
			h.call(h.token("merchant-a"), "GET", "/api/v1/catalog"+q, nil, 200, &mine)
			if mine.Total != 1 {
				t.Fatalf("logged-in search after publication: %+v", mine)
			}

			// Mounting data: the next read shows the entry as mounted.
			h.call(h.token("dept-haiyuan-weijian"), "PUT", "/api/v1/catalog/"+catalogID(e.ID)+"/mount", map[string]bool{"mounted": true}, 204, nil)
			pm, _ := catalogAnon(t, h, q)
			if pm.Total != 1 || !pm.Items[0].Mounted {
				t.Fatalf("after mounting: %+v", pm.Items)
			}
			// The same answer again, unchanged, comes from the caches.
			a, _ := json.Marshal(pm)
			p3, _ := catalogAnon(t, h, q)
			if b, _ := json.Marshal(p3); string(a) != string(b) {
				t.Fatalf("cached answer differs:\n%s\n%s", a, b)
			}
		})
	}
}
