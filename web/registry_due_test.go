package web

import (
	"net/http"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestRegistryDueAPI_NREG_4: data mounted 30 days ago and never applied
// for is an overdue first registration: its department sees it over HTTP
// and on the registration page (Chinese and English), another department
// sees nothing, a merchant is refused, an anonymous client must log in.
func TestRegistryDueAPI_NREG_4(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		entry := reviewWebEntry(t, h, h.actors["dept-gongan"].OrgID, shuyu.RegionZhongwei, "ZW-GA-009", "机动车登记信息", "conditional", "address")
		mounted := h.clock.Now().AddDate(0, 0, -30).UnixMicro()
		if _, err := h.db.SQL().Exec(h.db.Rebind(`UPDATE catalog_entries SET mounted = TRUE, mounted_at = ? WHERE id = ?`), mounted, entry); err != nil {
			t.Fatal(err)
		}
		var out struct {
			Items []struct {
				EntryID int64 `json:"entry_id"`
				Overdue bool  `json:"overdue"`
			} `json:"items"`
		}
		h.call(h.token("dept-gongan"), "GET", "/api/v1/registry/obligations", nil, 200, &out)
		if len(out.Items) != 1 || out.Items[0].EntryID != entry || !out.Items[0].Overdue {
			t.Fatalf("department's duties: %+v", out.Items)
		}
		h.call(h.token("dept-haiyuan-weijian"), "GET", "/api/v1/registry/obligations", nil, 200, &out)
		if len(out.Items) != 0 {
			t.Fatalf("another department sees %+v", out.Items)
		}
		h.call(h.token("merchant-a"), "GET", "/api/v1/registry/obligations", nil, 403, nil)
		h.call("", "GET", "/api/v1/registry/obligations", nil, 401, nil)
		u := uiAs(t, h, "dept-gongan")
		if st, page, _ := u.get("/registry"); st != http.StatusOK || !strings.Contains(page, `id="registry-due"`) ||
			!strings.Contains(page, "待申请首次登记") || !strings.Contains(page, "已超期") {
			t.Fatalf("registry page %d: %s", st, pageText(page))
		}
		if st, page, _ := u.get("/registry?lang=en"); st != http.StatusOK || !strings.Contains(page, "First registrations to apply for") {
			t.Fatalf("English page %d: %s", st, pageText(page))
		}
	})
}
