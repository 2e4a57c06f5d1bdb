package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"shuyu/credential"
	"shuyu/sqlstore/sqltest"
)

// Login page: clear Chinese errors, 账号已锁定 for a locked account (MLPS
// lockout), no open redirect, no cross-site login.
func TestUI_R29_1_LoginErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	u := newUIClient(t, h)
	st, body, _ := u.post("/login", url.Values{"username": {"merchant-b"}, "password": {"Wrong-pass-2026"}})
	if st != http.StatusUnauthorized || !strings.Contains(pageText(body), "用户名或密码错误") || !strings.Contains(body, `value="merchant-b"`) {
		t.Fatalf("wrong password: %d %s", st, pageText(body))
	}
	for i := 0; i < 4; i++ {
		st, body, _ = u.post("/login", url.Values{"username": {"merchant-b"}, "password": {"Wrong-pass-2026"}})
	}
	if st != http.StatusLocked || !strings.Contains(body, "账号已锁定") {
		t.Fatalf("fifth failure: %d %s", st, pageText(body))
	}
	st, body, _ = u.post("/login", url.Values{"username": {"merchant-b"}, "password": {sqltest.Password}})
	if st != http.StatusLocked || !strings.Contains(body, "账号已锁定") {
		t.Fatalf("right password while locked: %d %s", st, pageText(body))
	}
	st, body, _ = u.post("/login", url.Values{"username": {""}, "password": {""}})
	if st != http.StatusBadRequest || !strings.Contains(body, "请输入用户名和密码") {
		t.Fatalf("empty form: %d %s", st, pageText(body))
	}
	// Only local destinations after login.
	_, _, loc := u.post("/login", url.Values{"username": {"merchant-a"}, "password": {sqltest.Password}, "next": {"//evil.example/x"}})
	if loc != "/" {
		t.Fatalf("open redirect: %q", loc)
	}
	_, _, loc = newUIClient(t, h).post("/login", url.Values{"username": {"merchant-a"}, "password": {sqltest.Password}, "next": {"/me?x=1"}})
	if loc != "/me?x=1" {
		t.Fatalf("next lost: %q", loc)
	}
	// A login form posted from another site is refused.
	req, _ := http.NewRequest("POST", h.srv.URL+"/login", strings.NewReader("username=merchant-a&password="+url.QueryEscape(sqltest.Password)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if st, _, _ := newUIClient(t, h).do(req); st != http.StatusForbidden {
		t.Fatalf("cross-site login: %d", st)
	}
}

// Chinese by default; ?lang=en switches and the cookie remembers it.
func TestUI_LanguageSwitch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	u := uiAs(t, h, "auditadmin")
	_, body, _ := u.get("/")
	if !strings.Contains(body, `lang="zh-CN"`) || !strings.Contains(body, "审计日志") {
		t.Fatalf("default page not Chinese: %s", pageText(body))
	}
	_, body, _ = u.get("/?lang=en")
	if !strings.Contains(body, `<html lang="en"`) || !strings.Contains(body, "Audit trail") || strings.Contains(body, "审计日志") {
		t.Fatalf("?lang=en: %s", pageText(body))
	}
	_, body, _ = u.get("/audit")
	if !strings.Contains(body, "Verify integrity") {
		t.Fatalf("cookie did not keep English: %s", pageText(body))
	}
	_, body, _ = u.get("/?lang=zh")
	if !strings.Contains(body, "审计日志") {
		t.Fatalf("back to Chinese: %s", pageText(body))
	}
}

// Security administrator's account forms: the separation-of-duties refusal
// is shown with the input kept and changes nothing; then create, edit,
// unlock, reset password and reset TOTP (R29.1).
func TestUI_R29_1_AccountForms(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		u := uiAs(t, h, "secadmin")
		op := h.actors["operator-admin"].OrgID
		form := url.Values{"org_id": {itoa(op)}, "username": {"ops-li"}, "display_name": {"李运维"},
			"roles": {"sysadmin", "operator_admin"}, "password": {"Zhongwei-2026!x"}}
		before, _ := h.db.LastSeq(t.Context())
		st, body, _ := u.post("/admin/users", form)
		if st != http.StatusBadRequest || !strings.Contains(body, "三员分立") || !strings.Contains(body, `value="ops-li"`) ||
			strings.Contains(body, "Zhongwei-2026!x") {
			t.Fatalf("bad role mix: %d %s", st, pageText(body))
		}
		form["roles"] = []string{"merchant"} // a merchant role in the operator
		st, body, _ = u.post("/admin/users", form)
		if st != http.StatusBadRequest || !strings.Contains(body, "不属于该类型机构") {
			t.Fatalf("role outside its org kind: %d %s", st, pageText(body))
		}
		if after, _ := h.db.LastSeq(t.Context()); after != before {
			t.Fatalf("refused forms changed state: seq %d → %d", before, after)
		}
		form["roles"] = []string{"operator_reviewer"}
		st, body, loc := u.post("/admin/users", form)
		id := strings.TrimPrefix(loc, "/admin/users/")
		if st != http.StatusSeeOther || id == loc {
			t.Fatalf("create: %d %s %s", st, loc, pageText(body))
		}
		_, body = u.follow("/admin/users/"+id, url.Values{"display_name": {"李审核"}, "roles": {"operator_reviewer"}, "status": {"active"}})
		if !strings.Contains(body, "账号已修改") || !strings.Contains(body, "李审核") {
			t.Fatalf("edit: %s", pageText(body))
		}
		_, body = u.follow("/admin/users/"+id+"/unlock", url.Values{"reason": {"本人电话确认"}})
		if !strings.Contains(body, "账号已解锁") {
			t.Fatalf("unlock: %s", pageText(body))
		}
		st, body, _ = u.post("/admin/users/"+id+"/password", url.Values{"password": {"short"}, "reason": {"遗忘"}})
		if st != http.StatusBadRequest || !strings.Contains(body, "至少 10 个字符") {
			t.Fatalf("weak reset: %d %s", st, pageText(body))
		}
		_, body = u.follow("/admin/users/"+id+"/password", url.Values{"password": {"Haiyuan-2026!y"}, "reason": {"遗忘密码"}})
		if !strings.Contains(body, "密码已重置") {
			t.Fatalf("reset password: %s", pageText(body))
		}
		st, body, _ = u.post("/admin/users/"+id+"/totp-reset", url.Values{"reason": {""}})
		if st != http.StatusBadRequest || !strings.Contains(body, "须填写原因") {
			t.Fatalf("totp reset without reason: %d %s", st, pageText(body))
		}
		// Own roles cannot be changed, but saving one's own name works.
		self := itoa(h.actors["secadmin"].UserID)
		st, body, _ = u.post("/admin/users/"+self, url.Values{"display_name": {"安全管理员"}, "roles": {"secadmin", "sysadmin"}, "status": {"active"}})
		if st < 400 || !strings.Contains(body, "未能保存") {
			t.Fatalf("own roles: %d %s", st, pageText(body))
		}
		// The new account logs in with the reset password.
		v := newUIClient(t, h)
		if st, _, _ := v.post("/login", url.Values{"username": {"ops-li"}, "password": {"Haiyuan-2026!y"}}); st != http.StatusSeeOther {
			t.Fatalf("new account login: %d", st)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Organizations: create, refuse a status change without a reason, disable.
func TestUI_OrgForms(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		u := uiAs(t, h, "secadmin")
		st, body, _ := u.post("/admin/orgs", url.Values{"kind": {"merchant"}, "name": {"宁"}, "region": {"64050"}})
		if st != http.StatusBadRequest || !strings.Contains(body, "行政区划代码须为 6 位数字") {
			t.Fatalf("bad org: %d %s", st, pageText(body))
		}
		_, body = u.follow("/admin/orgs", url.Values{"kind": {"merchant"}, "name": {"宁夏云数科技有限公司"}, "region": {"640502"}})
		if !strings.Contains(body, "已登记机构") || !strings.Contains(body, "宁夏云数科技有限公司") {
			t.Fatalf("create org: %s", pageText(body))
		}
		_, body, _ = u.get("/admin/orgs?kind=merchant")
		m := regexp.MustCompile(`action="/admin/orgs/(\d+)/status"`).FindAllStringSubmatch(body, -1)
		if len(m) != 3 || strings.Contains(body, "中卫市公安局") { // merchant-a, merchant-b and the new one
			t.Fatalf("kind filter: %d forms: %s", len(m), pageText(body))
		}
		id := m[len(m)-1][1]
		st, body, _ = u.post("/admin/orgs/"+id+"/status", url.Values{"status": {"disabled"}})
		if st != http.StatusBadRequest || !strings.Contains(body, "须填写原因") {
			t.Fatalf("no reason: %d %s", st, pageText(body))
		}
		_, body = u.follow("/admin/orgs/"+id+"/status", url.Values{"status": {"disabled"}, "reason": {"营业执照吊销"}})
		if !strings.Contains(body, "机构状态已变更") || !strings.Contains(body, "停用") {
			t.Fatalf("disable: %s", pageText(body))
		}
	})
}

// A role that must use TOTP lands on the enrolment page, enrols with a real
// code, and from then on logs in with password and code.
func TestUI_R29_1_TOTPEnrolment(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	sec := uiAs(t, h, "secadmin")
	if _, body := sec.follow("/admin/security", url.Values{"roles": {"merchant"}}); !strings.Contains(body, "安全策略已保存") {
		t.Fatalf("security: %s", pageText(body))
	}
	m := newUIClient(t, h)
	_, _, loc := m.post("/login", url.Values{"username": {"merchant-a"}, "password": {sqltest.Password}})
	if loc != "/me/totp" {
		t.Fatalf("restricted login went to %q", loc)
	}
	if st, _, loc := m.get("/"); st != http.StatusSeeOther || loc != "/me/totp" {
		t.Fatalf("restricted home: %d %q", st, loc)
	}
	if st, body, _ := m.get("/me"); st != http.StatusForbidden || !strings.Contains(body, "请先绑定动态口令") {
		t.Fatalf("restricted /me: %d %s", st, pageText(body))
	}
	_, body, _ := m.post("/me/totp", url.Values{"op": {"begin"}})
	secret := regexp.MustCompile(`id="totp-secret"[^>]*>([A-Z2-7]+)<`).FindStringSubmatch(body)
	if secret == nil || !strings.Contains(body, "otpauth://totp/") {
		t.Fatalf("enrolment page: %s", pageText(body))
	}
	st, body, _ := m.post("/me/totp", url.Values{"op": {"confirm"}, "code": {"000000"}, "secret": {secret[1]}})
	if st != http.StatusBadRequest || !strings.Contains(body, "动态口令错误") || !strings.Contains(body, secret[1]) {
		t.Fatalf("wrong code: %d %s", st, pageText(body))
	}
	code, _ := credential.TOTPCode(secret[1], h.clock.Now())
	if _, body := m.follow("/me/totp", url.Values{"op": {"confirm"}, "code": {code}, "secret": {secret[1]}}); !strings.Contains(body, "动态口令已启用") {
		t.Fatalf("confirm: %s", pageText(body))
	}
	h.clock.Advance(time.Minute)
	n := newUIClient(t, h)
	st, body, _ = n.post("/login", url.Values{"username": {"merchant-a"}, "password": {sqltest.Password}})
	if st != http.StatusUnauthorized || !strings.Contains(body, `id="otp"`) {
		t.Fatalf("login without code: %d %s", st, pageText(body))
	}
	code, _ = credential.TOTPCode(secret[1], h.clock.Now())
	if st, _, loc := n.post("/login", url.Values{"username": {"merchant-a"}, "password": {sqltest.Password}, "otp": {code}}); st != http.StatusSeeOther || loc != "/" {
		t.Fatalf("login with code: %d %q", st, loc)
	}
}

// Change of one's own password ends the session; a mismatch changes nothing.
func TestUI_ChangePassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	u := uiAs(t, h, "expert")
	st, body, _ := u.post("/me/password", url.Values{"old_password": {sqltest.Password}, "new_password": {"Xinjiang-2026!a"}, "new_password2": {"Xinjiang-2026!b"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "两次输入的新密码不一致") {
		t.Fatalf("mismatch: %d %s", st, pageText(body))
	}
	_, _, loc := u.post("/me/password", url.Values{"old_password": {sqltest.Password}, "new_password": {"Xinjiang-2026!a"}, "new_password2": {"Xinjiang-2026!a"}})
	if loc != "/login" {
		t.Fatalf("after change: %q", loc)
	}
	if st, _, loc := u.get("/me"); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
		t.Fatalf("old session still works: %d %q", st, loc)
	}
}

// Audit page (R28.1, R30.1): sentences, search, totals and page numbers,
// export links and .xlsx, verification in words; the regulator can verify.
func TestUI_R30_1_AuditAndSystemPages(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		for i := 0; i < 60; i++ { // enough events for two pages
			// Four from each source: the fifth would lock the name for that source.
			c := newUIClient(t, h)
			c.c.Transport = clientFrom(fmt.Sprintf("127.0.1.%d", 1+i/4), h.srv.Client()).Transport
			c.post("/login", url.Values{"username": {"nobody"}, "password": {"x"}})
		}
		a := uiAs(t, h, "auditadmin")
		_, body, _ := a.get("/audit?action=auth.login_failed")
		if n := strings.Count(body, `class="audit-event"`); n != auditPageSize || !strings.Contains(body, "登录失败") {
			t.Fatalf("first page: %d rows: %.300s", n, pageText(body))
		}
		if !strings.Contains(pageText(body), "共 60 条") || !strings.Contains(pageText(body), "第 1 页，共 2 页") {
			t.Fatalf("no total or page count: %.600s", pageText(body))
		}
		next := regexp.MustCompile(`href="(/audit\?[^"]*page=2[^"]*)"`).FindStringSubmatch(body)
		if next == nil || !strings.Contains(body, "/api/v1/audit/export?action=auth.login_failed&amp;format=csv") {
			t.Fatalf("no next page or export link: %s", body)
		}
		if st, csv, _ := a.get("/api/v1/audit/export?action=auth.login_failed&format=csv"); st != 200 || strings.Count(csv, "auth.login_failed") != 60 {
			t.Fatalf("export link with the session cookie: %d, %d rows", st, strings.Count(csv, "auth.login_failed"))
		}
		_, body, _ = a.get(strings.ReplaceAll(next[1], "&amp;", "&"))
		if n := strings.Count(body, `class="audit-event"`); n != 10 {
			t.Fatalf("second page: %d rows", n)
		}
		// The .xlsx export holds the whole selection, as sentences.
		st, xl, _ := a.get("/audit?action=auth.login_failed&format=xlsx")
		if st != 200 || !strings.HasPrefix(xl, "PK") {
			t.Fatalf("xlsx export: %d %.40q", st, xl)
		}
		rows := xlsxRows(t, []byte(xl))
		if len(rows) != 61 || !strings.Contains(strings.Join(rows[1], "|"), "登录失败") {
			t.Fatalf("xlsx export: %d rows, first %v", len(rows), rows[min(1, len(rows)-1)])
		}
		if st, body, _ := a.get("/audit?from=yesterday"); st != http.StatusBadRequest || !strings.Contains(body, "须为日期") {
			t.Fatalf("bad date: %d %s", st, pageText(body))
		}
		if st, body, _ := a.post("/audit/verify", nil); st != 200 || !strings.Contains(body, "审计日志完整") ||
			!regexp.MustCompile(`逐条校验了 \d+ 个事件`).MatchString(pageText(body)) {
			t.Fatalf("verify: %d %s", st, pageText(body))
		}
		// The regulator reads, exports and verifies too (R30.1); the
		// system administrator does none of these.
		r := uiAs(t, h, "regulator")
		if _, body, _ := r.get("/audit"); !strings.Contains(body, `id="verify"`) || !strings.Contains(body, `id="export-csv"`) {
			t.Fatalf("regulator's audit page: verify or export missing")
		}
		if st, body, _ := r.post("/audit/verify", nil); st != http.StatusOK || !strings.Contains(body, "审计日志完整") {
			t.Fatalf("regulator verify: %d %s", st, pageText(body))
		}
		if st, _, _ := uiAs(t, h, "sysadmin").post("/audit/verify", nil); st != http.StatusForbidden {
			t.Fatalf("sysadmin verify: %d", st)
		}
		s := uiAs(t, h, "sysadmin")
		if _, body, _ := s.get("/system"); !strings.Contains(body, `id="dialect">`+env.Backend) {
			t.Fatalf("system page: %s", pageText(body))
		}
		if _, body := s.follow("/system/checkpoint", nil); !strings.Contains(body, "已生成检查点") || strings.Count(body, "<tr>") != 2 {
			t.Fatalf("checkpoint: %s", pageText(body))
		}
	})
}
