package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"shuyu"
	"shuyu/internal/browsertest"
	"shuyu/sqlstore/sqltest"
)

// In a real browser (issue 4, "Done means"): merchant-a applies for a
// published catalog entry on the application page; the operator passes
// the compliance check; the public security bureau finds its queue with
// the deadline (date and working days left), is refused a rejection
// without reasons (R21.2), then rejects with reasons; merchant-a finds the
// result and the reasons in its inbox and on its application (R20.2,
// R21.1). Screenshots go to /tmp/shuyu-shots/review-*.png.
func TestBrowser_R21_1_MerchantAppliesReviewerDecides(t *testing.T) {
	b := browsertest.Start(t)
	h := reviewuiHarness(t, sqltest.Seeded(t, "sqlite"))
	rules := reviewuiDocs(t, h)
	reviewuiRegister(t, h, rules, "甲数据科技有限公司", "merchant-a") // links the seeded account
	police := reviewWebEntry(t, h, h.actors["dept-gongan"].OrgID, shuyu.RegionZhongwei, "ZW-GA-001", "流动人口登记信息",
		"conditional", "address", "name", "community")
	base := h.srv.URL
	// Textareas are set with Select (value + change event): browsertest's
	// Fill cannot clear an empty <textarea> (no text node to clear).
	logout := func() { t.Helper(); b.ClickNav("#logout"); b.WaitText("您已安全退出") }

	// The merchant applies.
	b.Login(base, "merchant-a", sqltest.Password)
	b.Navigate(base + "/applications")
	b.ClickNav("#app-new")
	b.WaitText("流动人口登记信息")
	b.Fill("#title", "社区人口服务分析")
	b.Select("#scenario", "分析社区流动人口分布，优化便民服务网点布局。")
	b.Click(`input[name="tags"][value="livelihood"]`)
	b.Select("#purpose", "public_governance")
	b.Select("#method", "sandbox")
	b.Select("#term_start", "2027-01-04") // sets the date input's value, as the picker does
	b.Select("#term_end", "2027-12-31")
	b.Select("#security_measures", "仅在沙箱内分析，只导出聚合到社区的统计结果。")
	b.Click(fmt.Sprintf(`input[name="f_%d"][value="address"]`, police))
	b.Click(fmt.Sprintf(`input[name="f_%d"][value="community"]`, police))
	b.Screenshot("review-1-apply-form.png")
	b.ClickNav("#app-submit")
	b.WaitText("申请已提交")
	if st := b.Text("#app-status"); !strings.Contains(st, "合规核查中") {
		t.Fatalf("status after applying: %q", st)
	}
	if dl := b.Text("main"); !strings.Contains(dl, "2026-12-02") || !strings.Contains(dl, "剩余") {
		t.Fatalf("the check deadline (date and working days left) is not shown: %q", dl)
	}
	appURL := b.Location()
	b.Screenshot("review-2-applied.png")
	logout()

	// The operator checks it (R20.2).
	b.Login(base, "operator-reviewer", sqltest.Password)
	b.Navigate(appURL)
	b.Select("#check-reason", "材料齐全，场景与数据范围相符。")
	b.ClickNav("#check-pass")
	b.WaitText("已保存")
	if st := b.Text("#app-status"); !strings.Contains(st, "审核中") {
		t.Fatalf("status after the check: %q", st)
	}
	b.Screenshot("review-3-checked.png")
	logout()

	// The source department decides (R21.1, R21.2).
	b.Login(base, "dept-gongan", sqltest.Password)
	b.Navigate(base + "/reviews")
	b.WaitText("社区人口服务分析")
	if q := b.Text("#review-queue"); !strings.Contains(q, "甲数据科技有限公司") || !strings.Contains(q, "剩余") {
		t.Fatalf("queue lacks the merchant or the deadline: %q", q)
	}
	b.Screenshot("review-4-queue.png")
	b.ClickNav("#review-queue a")
	b.WaitText("流动人口登记信息")
	b.ClickNav("#decide-reject") // no reasons yet
	b.WaitText("须列明理由")
	b.Select("#decide-reason", "住址信息项超出场景所需，请改用聚合到社区的数据后重新提交。")
	b.Screenshot("review-5-decide.png")
	b.ClickNav("#decide-reject")
	b.WaitText("已保存")
	if st := b.Text("#app-status"); !strings.Contains(st, "不予通过") {
		t.Fatalf("status after the rejection: %q", st)
	}
	if rv := b.Text("#reviews"); !strings.Contains(rv, "住址信息项超出场景所需") {
		t.Fatalf("the reasons are not on the application: %q", rv)
	}
	b.Screenshot("review-6-decided.png")
	logout()

	// The merchant sees the result in its inbox and opens the application.
	b.Login(base, "merchant-a", sqltest.Password)
	b.Navigate(base + "/inbox")
	b.WaitText("审核结论：不予通过")
	if in := b.Text("#inbox"); !strings.Contains(in, "住址信息项超出场景所需") || !strings.Contains(in, "使用申请未通过") {
		t.Fatalf("inbox lacks the result or its reasons: %q", in)
	}
	b.Screenshot("review-7-inbox.png")
	b.ClickNav("#inbox tr.unread a")
	b.WaitText("住址信息项超出场景所需")
	if st := b.Text("#app-status"); !strings.Contains(st, "不予通过") {
		t.Fatalf("merchant sees status %q", st)
	}
	if b.HasText("name") && strings.Contains(b.Text("#app-items"), "name") {
		t.Fatalf("the application shows a field that was not requested: %q", b.Text("#app-items"))
	}
}

// In a real browser a company registers on the public page with its
// business licence (the file goes up through the file input), sees its
// status page with the tracking code, and the operator accepts it in the
// registration queue, where the 5-working-day deadline shows its date and
// the working days left, and registers it (R18.1, R18.2). The authority's
// rules-and-templates page and the calendar are photographed too.
func TestBrowser_R18_2_RegisterWithLicence(t *testing.T) {
	ctx := browsertest.Start(t).Context() // drives chromedp itself
	h := reviewuiHarness(t, sqltest.Seeded(t, "sqlite"))
	reviewuiDocs(t, h)
	base := h.srv.URL
	licence := filepath.Join(t.TempDir(), "营业执照.png")
	if err := os.WriteFile(licence, reviewuiPNG, 0o600); err != nil {
		t.Fatal(err)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(c, steps...); err != nil {
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 600) : ""`))
			t.Fatalf("%s: %v\npage: %s", what, err, strings.Join(strings.Fields(text), " "))
		}
	}
	text := func(css string) string {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(c, chromedp.Text(chromedp.CSS(css)))
		if err != nil {
			t.Fatalf("text of %s: %v", css, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
		if err == nil {
			os.MkdirAll(browsertest.ShotDir, 0o755)
			err = os.WriteFile(filepath.Join(browsertest.ShotDir, name), png, 0o644)
		}
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
	}
	set := func(css, v string) chromedp.Action[chromedp.Void] { return chromedp.SetValue(chromedp.CSS(css), v) }

	do("register page", chromedp.Navigate(base+"/register"), chromedp.WaitVisible(chromedp.CSS("#reg-form")))
	do("fill", set("#company", "丙智能数据服务有限公司"), set("#uscc", ident18(t)), set("#legal_rep", "赵六"),
		set("#contact_name", "钱七"), set("#contact_phone", "13995512345"), set("#contact_email", "qian@example.com"),
		set("#business_scope", "数据处理和存储支持服务；软件开发"),
		set("#security_statement", "已建立数据安全管理制度，通过网络安全等级保护三级测评，设专职数据安全负责人。"),
		set("#username", "bing-data"), set("#password", sqltest.Password), set("#password2", sqltest.Password),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{licence}), chromedp.Click(chromedp.CSS("#agree")))
	shot("review-reg-1-form.png")
	do("submit", chromedp.Click(chromedp.CSS("#reg-submit")), chromedp.WaitVisible(chromedp.CSS("#reg-status")))
	if s, f := text("main"), text("#reg-files"); !strings.Contains(s, "查询码") || !strings.Contains(s, "已提交") || !strings.Contains(f, "营业执照.png") {
		t.Fatalf("status page: %q / files %q", s, f)
	}
	shot("review-reg-2-status.png")

	do("operator login", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#username")),
		set("#username", "operator-admin"), set("#password", sqltest.Password), chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#logout")))
	do("queue", chromedp.Navigate(base+"/review/registrations"), chromedp.WaitVisible(chromedp.CSS("#registrations")))
	do("open", chromedp.Click(chromedp.CSS("#registrations a")), chromedp.WaitVisible(chromedp.CSS("#reg-accept")))
	do("accept", chromedp.Click(chromedp.CSS("#reg-accept")), chromedp.WaitVisible(chromedp.CSS("#decide-form")))
	if dl := text("#reg-deadline"); !strings.Contains(dl, "2026-12-02") || !strings.Contains(dl, "剩余") {
		t.Fatalf("deadline after acceptance: %q", dl)
	}
	do("queue again", chromedp.Navigate(base+"/review/registrations"), chromedp.WaitVisible(chromedp.CSS("#registrations")))
	shot("review-reg-3-queue.png")
	do("register", chromedp.Click(chromedp.CSS("#registrations a")), chromedp.WaitVisible(chromedp.CSS("#decide-form")),
		set("#decide-reason", "材料齐全，符合入驻规则"), chromedp.Click(chromedp.CSS("#reg-register")),
		chromedp.WaitVisible(chromedp.CSS("#status-form")))
	if s := text("#reg-status"); !strings.Contains(s, "已入驻") {
		t.Fatalf("status after registering: %q", s)
	}
	shot("review-reg-4-registered.png")
	do("logout", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-submit")))

	do("authority login", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#username")),
		set("#username", "authority"), set("#password", sqltest.Password), chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#logout")))
	do("documents", chromedp.Navigate(base+"/review/documents"), chromedp.WaitVisible(chromedp.CSS("#docs-templates")))
	shot("review-reg-5-documents.png")
	do("template", chromedp.Click(chromedp.CSS("#docs-templates a")), chromedp.WaitVisible(chromedp.CSS("#doc-clauses")))
	if c := text("#doc-clauses"); !strings.Contains(c, "进场交易条件") || !strings.Contains(c, "违约责任") {
		t.Fatalf("the ten clauses are not shown: %q", c)
	}
	do("calendar", chromedp.Navigate(base+"/review/calendar?year=2026&due_from=2026-09-30&due_n=5"), chromedp.WaitVisible(chromedp.CSS("#due-result")))
	if d := text("#due-result"); !strings.Contains(d, "2026-10-13") {
		t.Fatalf("due date: %q", d)
	}
	shot("review-reg-6-calendar.png")
}
