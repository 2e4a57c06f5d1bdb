package web

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// uiClient is a browser without a browser: a cookie jar, same-origin form
// posts, and redirects left to the test to follow.
type uiClient struct {
	t *testing.T
	h *harness
	c *http.Client
}

func newUIClient(t *testing.T, h *harness) *uiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &uiClient{t: t, h: h, c: c}
}

// uiAs returns a client logged in through the login page as username.
func uiAs(t *testing.T, h *harness, username string) *uiClient {
	t.Helper()
	u := newUIClient(t, h)
	st, body, loc := u.post("/login", url.Values{"username": {username}, "password": {sqltest.Password}})
	if st != http.StatusSeeOther {
		t.Fatalf("login %s: status %d (%s): %.300s", username, st, loc, body)
	}
	return u
}

func (u *uiClient) do(req *http.Request) (int, string, string) {
	u.t.Helper()
	resp, err := u.c.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// get fetches a page: status, body, Location.
func (u *uiClient) get(path string) (int, string, string) {
	u.t.Helper()
	req, _ := http.NewRequest("GET", u.h.srv.URL+path, nil)
	return u.do(req)
}

// post submits a form as our own page would (same origin).
func (u *uiClient) post(path string, form url.Values) (int, string, string) {
	u.t.Helper()
	req, _ := http.NewRequest("POST", u.h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", u.h.srv.URL)
	return u.do(req)
}

// follow posts and then loads the page the answer redirects to.
func (u *uiClient) follow(path string, form url.Values) (int, string) {
	u.t.Helper()
	st, body, loc := u.post(path, form)
	if st != http.StatusSeeOther {
		u.t.Fatalf("POST %s: status %d, want 303: %s", path, st, pageText(body))
	}
	st, body, _ = u.get(loc)
	return st, body
}

// seeded are the accounts sqltest.Seed creates, one per role.
var seeded = []string{"authority", "county-shapotou", "county-haiyuan", "dept-gongan", "dept-haiyuan-weijian",
	"operator-admin", "operator-reviewer", "merchant-a", "merchant-b", "expert", "regulator", "provider",
	"sysadmin", "secadmin", "auditadmin"}

// menuOf returns the links of the left navigation of a page.
func menuOf(body string) []string {
	i := strings.Index(body, `<nav class="side"`)
	if i < 0 {
		return nil
	}
	j := strings.Index(body[i:], "</nav>")
	var out []string
	for _, m := range regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(body[i:i+j], -1) {
		out = append(out, m[1])
	}
	return out
}

// pageText strips tags, for readable failure messages and text checks.
func pageText(body string) string {
	if i := strings.Index(body, `<main`); i >= 0 {
		body = body[i:]
	}
	s := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(body, " ")
	return strings.Join(strings.Fields(s), " ")
}

// The foundation's pages open for the roles the policy grants and answer
// 403 to the others; anonymous visitors go to the login page (R29.1: 三员
// 分立 — each administrator sees only their own pages). The front page is
// the public portal for visitors and the dashboard once logged in.
func TestUI_R29_1_PagesByRole(t *testing.T) {
	t.Parallel()
	pages := []struct {
		path    string
		allowed []string // nil: every role
	}{
		{"/me", nil},
		{"/me/totp", nil},
		{"/admin/orgs", []string{"secadmin"}},
		{"/admin/users", []string{"secadmin"}},
		{"/admin/users/new", []string{"secadmin"}},
		{"/admin/users/1", []string{"secadmin"}},
		{"/admin/security", []string{"secadmin"}},
		{"/audit", []string{"auditadmin", "regulator"}},
		{"/system", []string{"sysadmin"}},
	}
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		anon := newUIClient(t, h)
		if st, body, _ := anon.get("/"); st != http.StatusOK || !strings.Contains(body, `id="portal-figures"`) || strings.Contains(body, `class="side"`) {
			t.Errorf("anonymous /: %d, want the public portal without a menu", st)
		}
		for _, p := range pages {
			st, _, loc := anon.get(p.path)
			if st != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape(p.path) {
				t.Errorf("anonymous %s: %d → %q, want redirect to the login page", p.path, st, loc)
			}
		}
		for _, user := range seeded {
			u := uiAs(t, h, user)
			for _, p := range pages {
				want := http.StatusForbidden
				if p.allowed == nil || contains(p.allowed, user) {
					want = http.StatusOK
				}
				st, body, _ := u.get(p.path)
				if st != want {
					t.Errorf("%s GET %s: status %d, want %d: %.200s", user, p.path, st, want, pageText(body))
				}
				if st == http.StatusForbidden && !strings.Contains(body, "无权访问") {
					t.Errorf("%s GET %s: 403 page lacks its Chinese title", user, p.path)
				}
			}
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// The menu shows exactly the pages a role may open: every item opens
// (never a 403 behind a menu item), and the administrators' items appear
// only for them. This holds for the pages other capabilities register too.
func TestUI_R29_1_MenuShowsOnlyAllowed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	only := map[string][]string{"/admin/orgs": {"secadmin"}, "/admin/users": {"secadmin"}, "/admin/security": {"secadmin"},
		"/audit": {"auditadmin", "regulator"}, "/system": {"sysadmin"}}
	for _, user := range seeded {
		u := uiAs(t, h, user)
		_, body, _ := u.get("/")
		menu := menuOf(body)
		if !contains(menu, "/") || !contains(menu, "/me") {
			t.Errorf("%s: menu %v lacks home or account", user, menu)
		}
		for path, who := range only {
			if contains(menu, path) != contains(who, user) {
				t.Errorf("%s: menu item %s shown=%v, want %v", user, path, contains(menu, path), contains(who, user))
			}
		}
		for _, path := range menu {
			if st, b, _ := u.get(path); st != http.StatusOK {
				t.Errorf("%s: menu item %s answers %d: %.200s", user, path, st, pageText(b))
			}
		}
	}
}

// Every message key a template or a registered page uses exists in both
// languages, and the message files load without duplicates.
func TestUI_I18nComplete(t *testing.T) {
	t.Parallel()
	cat := i18nOnce()
	for _, e := range cat.errs {
		t.Error(e)
	}
	for k, v := range cat.msgs {
		if strings.TrimSpace(v.ZH) == "" || strings.TrimSpace(v.EN) == "" {
			t.Errorf("key %q lacks a language: zh=%q en=%q", k, v.ZH, v.EN)
		}
	}
	used := map[string]string{}
	keyRe := regexp.MustCompile(`\.T "([^"]+)"`)
	fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFS, p)
		for _, m := range keyRe.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = p
		}
		return nil
	})
	s := New(Config{})
	for _, p := range uiOf(s).pages {
		for _, k := range []string{p.opts.Nav, p.opts.Group, p.opts.Desc, p.opts.CountLabel} {
			if k != "" {
				used[k] = p.method + " " + p.path
			}
		}
	}
	for _, r := range shuyu.Roles {
		used["role."+string(r)] = "shuyu.Roles"
	}
	for _, k := range shuyu.OrgKinds {
		used["orgkind."+string(k)] = "shuyu.OrgKinds"
	}
	for _, k := range []string{"error.title.400", "error.title.403", "error.title.404", "error.title.500", "error.title.other", "app.name"} {
		used[k] = "pages.go"
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys in use: the scan is broken", len(used))
	}
	for k, where := range used {
		if _, ok := cat.msgs[k]; !ok {
			t.Errorf("key %q used in %s is not defined in web/i18n/*.json", k, where)
		}
	}
}

// Every template parses, and no page carries inline script or style (the
// CSP allows neither).
func TestUI_TemplatesParseNoInline(t *testing.T) {
	t.Parallel()
	if err := templatesOnce().err; err != nil {
		t.Fatal(err)
	}
	if len(templateNames()) < 10 {
		t.Fatalf("templates: %v", templateNames())
	}
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|\sstyle=|\son[a-z]+=|<style`)
	fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFS, p)
		if m := inline.FindString(string(b)); m != "" {
			t.Errorf("%s: inline script/style/handler %q (CSP default-src 'self')", p, m)
		}
		return nil
	})
}

func TestUI_StaticAndErrorPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	u := uiAs(t, h, "secadmin")
	req, _ := http.NewRequest("GET", h.srv.URL+"/static/app.css", nil)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("app.css: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for path, want := range map[string]int{"/no-such-page": 404, "/admin/users/999999": 404, "/admin/users/abc": 404} {
		st, body, _ := u.get(path)
		if st != want || !strings.Contains(body, "<html") || !strings.Contains(body, "不存在") {
			t.Errorf("%s: %d %.200s", path, st, pageText(body))
		}
	}
	// The error page keeps the menu of the logged-in user.
	_, body, _ := u.get("/no-such-page")
	if !contains(menuOf(body), "/admin/users") {
		t.Errorf("error page lost the menu: %v", menuOf(body))
	}
}

// Capabilities hook into the menu, the home page and the badges without
// editing shared files: a page with a Count shows "待审核 n" on its card,
// a page whose Action the role lacks is neither in the menu nor on the
// home page, and a capability's statuses have their badge tone.
func TestUI_CapabilityHooks(t *testing.T) {
	t.Parallel()
	db, clock := sqltest.Open(t, "sqlite")
	actors := sqltest.Seed(t, db)
	s := New(Config{DB: db, Now: clock.Now})
	s.page("GET /test-reviews", pageOpts{Nav: "nav.audit", Group: "nav.group.review", Desc: "nav.audit.desc",
		Action: shuyu.ActAuditRead, CountLabel: "pager.shown",
		Count: func(_ context.Context, a *shuyu.Actor) (int, error) { return 3, nil }}, func(w http.ResponseWriter, r *http.Request) error { return nil })
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	h := &harness{t: t, db: db, clock: clock, srv: srv, actors: actors}
	_, body, _ := uiAs(t, h, "regulator").get("/")
	if !contains(menuOf(body), "/test-reviews") || !strings.Contains(body, "本页 3 条") {
		t.Fatalf("regulator's home lacks the hooked card or its counter: %s", pageText(body))
	}
	_, body, _ = uiAs(t, h, "merchant-a").get("/")
	if contains(menuOf(body), "/test-reviews") || strings.Contains(body, "本页 3 条") {
		t.Fatalf("merchant sees a page its role may not open: %s", pageText(body))
	}
	v := &view{Lang: langZH}
	if got := string(v.Badge("not_registered")); !strings.Contains(got, "badge-danger") || !strings.Contains(got, "not_registered") {
		t.Fatalf("badge: %s", got)
	}
	if got := string(v.Badge("disabled")); !strings.Contains(got, "badge-muted") || !strings.Contains(got, "停用") {
		t.Fatalf("badge: %s", got)
	}
}

func TestUI_MessageGloss(t *testing.T) {
	t.Parallel()
	msg := "账号因连续登录失败已锁定，请于 2026-11-25 09:30 后再试 (account locked)"
	if got := uiMessage(langZH, msg); got != "账号因连续登录失败已锁定，请于 2026-11-25 09:30 后再试" {
		t.Errorf("zh: %q", got)
	}
	if got := uiMessage(langEN, msg); got != "account locked" {
		t.Errorf("en: %q", got)
	}
	if got := uiMessage(langZH, "县(区)数据局的行政区划须为县级代码"); got != "县(区)数据局的行政区划须为县级代码" {
		t.Errorf("no gloss: %q", got)
	}
	// Requirement IDs in a gloss are for the code's readers: a field
	// message "(R17.1)" shows its Chinese on both pages, and a gloss that
	// ends with one loses it.
	for _, c := range []struct{ msg, zh, en string }{
		{"核查项须覆盖四个领域 (R17.1)", "核查项须覆盖四个领域", "核查项须覆盖四个领域"},
		{"没有生效的授权运营协议 (no operator authorization in force, R13.1)", "没有生效的授权运营协议", "no operator authorization in force"},
		{"过长 (too long)", "过长", "too long"},
	} {
		if got := uiMessage(langZH, c.msg); got != c.zh || reqIDPattern.MatchString(got) {
			t.Errorf("zh %q: %q", c.msg, got)
		}
		if got := uiMessage(langEN, c.msg); got != c.en {
			t.Errorf("en %q: %q", c.msg, got)
		}
	}
	f := emptyForm()
	if err := f.fail(langZH, shuyu.Errorf(shuyu.EINVALID, "核查规范有误 (invalid checklist)").
		WithDetails([]shuyu.FieldError{{Field: "items", Message: "核查项须覆盖四个领域 (R17.1)"}})); err != nil || f.Fields["items"] != "核查项须覆盖四个领域" {
		t.Errorf("a refused form's field message: %q %v", f.Fields["items"], err)
	}
	for next, want := range map[string]string{"/audit?x=1": "/audit?x=1", "//evil": "/", "https://evil": "/", "/\\evil": "/", "/login": "/", "": "/"} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
