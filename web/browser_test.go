package web

import (
	"strconv"
	"strings"
	"testing"

	"shuyu/internal/browsertest"
	"shuyu/sqlstore/sqltest"
)

// In a real browser: the security administrator logs in through the login
// page, creates an account (seeing the separation-of-duties refusal for a
// bad role mix first, R29.1), switches to English and back, and logs out;
// a locked account sees the lock message (MLPS level 3 lockout).
// Screenshots of the login and home pages go to /tmp/shuyu-shots/.
func TestBrowser_R29_1_SecAdminCreatesAccount(t *testing.T) {
	b := browsertest.Start(t)
	h := newHarness(t, "sqlite")
	base := h.srv.URL

	b.Navigate(base + "/login")
	b.WaitText("用户登录")
	b.Screenshot("login.png")

	b.Login(base, "secadmin", sqltest.Password)
	b.WaitText("您好")
	if !strings.HasSuffix(b.Location(), "/") {
		t.Fatalf("after login at %s, want the home page", b.Location())
	}
	if !b.HasText("安全管理员") || !b.HasText("账号管理") {
		t.Fatalf("home page lacks the role or its menu: %q", b.Text("main"))
	}
	b.Screenshot("home-secadmin.png")

	// A bad role mix: system administrator together with a business role.
	operator := strconv.FormatInt(h.actors["operator-admin"].OrgID, 10)
	b.Navigate(base + "/admin/users")
	b.ClickNav("#new-user")
	b.Select("#org_id", operator)
	b.Fill("#username", "ops-wang")
	b.Fill("#display_name", "王运维")
	b.Click(`input[name="roles"][value="sysadmin"]`)
	b.Click(`input[name="roles"][value="operator_admin"]`)
	b.Fill("#password", "Shapotou-2026!x")
	b.ClickNav("#create-user")
	b.WaitText("不得兼任其他角色")
	if got := b.Text(".form-error"); !strings.Contains(got, "不得兼任其他角色") {
		t.Fatalf("separation-of-duties message: %q", got)
	}
	if v := b.Value("#username"); v != "ops-wang" {
		t.Fatalf("the refused form lost the user's input: username %q", v)
	}
	b.Screenshot("user-sod-error.png")

	// Fixed: only the business role.
	b.Click(`input[name="roles"][value="sysadmin"]`) // untick
	b.Fill("#password", "Shapotou-2026!x")
	b.ClickNav("#create-user")
	b.WaitText("账号“ops-wang”已创建")
	if !b.HasText("运营机构管理员") {
		t.Fatalf("new account page lacks its role: %q", b.Text("main"))
	}

	// English and back.
	b.ClickNav(`.lang a[lang="en"]`)
	b.WaitText("Log out")
	if !b.HasText("Accounts") || b.HasText("账号管理") {
		t.Fatalf("English page still Chinese: %q", b.Text("nav.side"))
	}
	b.Navigate(base + "/")
	b.WaitText("Hello")
	b.ClickNav(`.lang a[lang="zh-CN"]`)
	b.WaitText("退出")
	b.WaitText("您好")

	b.ClickNav("#logout")
	b.WaitText("您已安全退出")
	b.Navigate(base + "/admin/users")
	b.WaitText("用户登录") // the session is gone: back to the login page

	// Five wrong passwords lock merchant-b; then even the right one is refused.
	for i := 0; i < 5; i++ {
		b.Login(base, "merchant-b", "Wrong-pass-2026")
	}
	b.WaitText("账号已锁定")
	b.Login(base, "merchant-b", sqltest.Password)
	b.WaitText("账号已锁定")
	if got := b.Text("#login-error"); !strings.Contains(got, "连续登录失败") {
		t.Fatalf("lock message: %q", got)
	}
	b.Screenshot("login-locked.png")
}
