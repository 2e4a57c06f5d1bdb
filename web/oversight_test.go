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
