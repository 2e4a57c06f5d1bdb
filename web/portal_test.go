package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// TestPortal_R32_1_PublicFrontPage: an anonymous visitor gets the portal at
// / with figures from live data and links to every public page, each of
// which opens without login; the authority publishes a notice through the
// API and it appears on the front page; merchants, anonymous callers and
// bad input are refused and change nothing.
func TestPortal_R32_1_PublicFrontPage(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		reviewWebEntry(t, h, h.actors["dept-gongan"].OrgID, shuyu.RegionZhongwei, "ZW-GA-001", "流动人口登记信息", "conditional", "address")
		post := map[string]any{"kind": "notice", "title": "关于第二批公共数据目录上线的通知", "body": "第二批目录即日起可在平台申请使用，请各数据商关注。"}
		h.call("", "POST", "/api/v1/portal/posts", post, 401, nil)
		h.call(h.token("merchant-a"), "POST", "/api/v1/portal/posts", post, 403, nil)
		h.call(h.token("authority"), "POST", "/api/v1/portal/posts", map[string]any{"kind": "ad", "title": "x", "body": "y"}, 400, nil)
		h.call(h.token("authority"), "POST", "/api/v1/portal/posts", map[string]any{"kind": "notice", "title": "四个字以上", "body": "足够长的正文内容在这里。", "extra": 1}, 400, nil)
		var list struct {
			Items []shuyu.PortalPost `json:"items"`
		}
		h.call("", "GET", "/api/v1/public/posts", nil, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("refused posts stored: %d", len(list.Items))
		}
		var p shuyu.PortalPost
		h.call(h.token("authority"), "POST", "/api/v1/portal/posts", post, 201, &p)
		h.call("", "GET", "/api/v1/public/posts?kind=notice", nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != p.ID {
			t.Fatalf("public notices: %+v", list.Items)
		}
		h.call("", "GET", "/api/v1/public/posts?kind=secret", nil, 400, nil)
		var st sqlstore.PortalStats
		h.call("", "GET", "/api/v1/public/portal", nil, 200, &st)
		if st.Entries != 1 || st.Mounted != 1 || len(st.Months) != 12 {
			t.Fatalf("stats: %+v", st)
		}
		h.call("", "GET", "/api/v1/public/products/999", nil, 404, nil)

		anon := newUIClient(t, h)
		code, body, _ := anon.get("/")
		if code != http.StatusOK || !strings.Contains(body, "关于第二批公共数据目录上线的通知") {
			t.Fatalf("front page %d: %s", code, pageText(body))
		}
		if !strings.Contains(body, `id="fig-entries">1<`) || !strings.Contains(body, `id="fig-mounted">100%<`) || !strings.Contains(body, "中卫市公安局") {
			t.Fatalf("front page figures: %s", pageText(body))
		}
		links := map[string]bool{}
		for _, m := range hrefRe.FindAllStringSubmatch(body, -1) {
			links[m[1]] = true
		}
		for _, want := range []string{"/catalog", "/output/released", "/notices", "/policies", "/cases", "/register", "/policies/measures", fmt.Sprintf("/posts/%d", p.ID)} {
			if !links[want] {
				t.Errorf("front page does not link %s", want)
			}
			if code, body, _ := anon.get(want); code != http.StatusOK {
				t.Errorf("anonymous %s: %d %s", want, code, pageText(body))
			}
		}
		_, measures, _ := anon.get("/policies/measures")
		if n := strings.Count(measures, `class="article"`); n != 36 || !strings.Contains(measures, "原始数据不出域") || strings.Contains(measures, "- 2 -") {
			t.Fatalf("measures page: %d articles", n)
		}
		if code, _, _ := anon.get("/portal/posts"); code != http.StatusSeeOther {
			t.Fatalf("anonymous management page: %d", code)
		}
		// Logged in, / is the dashboard; the portal stays at /portal.
		u := uiAs(t, h, "operator-admin")
		if _, body, _ := u.get("/"); strings.Contains(body, `id="portal-figures"`) {
			t.Fatal("logged-in home is the portal")
		}
		if _, body, _ := u.get("/portal"); !strings.Contains(body, `id="portal-figures"`) {
			t.Fatal("no portal at /portal")
		}
		code, body = u.follow(fmt.Sprintf("/portal/posts/%d/withdraw", p.ID), url.Values{"reason": {"内容过期"}})
		if code != http.StatusOK || !strings.Contains(body, "已从门户撤下") {
			t.Fatalf("withdraw %d: %s", code, pageText(body))
		}
		if code, _, _ := anon.get(fmt.Sprintf("/posts/%d", p.ID)); code != http.StatusNotFound {
			t.Fatalf("withdrawn post: %d", code)
		}
	})
}

var hrefRe = regexp.MustCompile(`href="([^"#?]+)"`)
