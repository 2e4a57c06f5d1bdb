package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"shuyu"
	"shuyu/internal/browsertest"
	"shuyu/sqlstore/sqltest"
)

// In a real browser, a visitor goes from the front page to the catalog, to
// an entry, and follows 申请使用: the login page comes, and after it the
// 申请清单 with the entry; the application form lists its fields by
// Chinese label with their marks, the search box narrows them and 全选
// picks every field of the entry; the authority's dashboard draws its
// charts (canvas present) with no JavaScript error. Screenshots go to
// /tmp/shuyu-shots/portal-*.png.
func TestPortalBrowser_R10_2_FrontPageToCartAndDashboardCharts(t *testing.T) {
	b := browsertest.Start(t, browsertest.WindowSize(1366, 900))
	consoleErrors := b.WatchConsole()
	{
		h := reviewuiHarness(t, sqltest.Seeded(t, "sqlite")) // the store paths are tested on both backends elsewhere
		base := h.srv.URL
		reviewuiRegister(t, h, reviewuiDocs(t, h), "甲数据科技有限公司", "merchant-a")
		rev := catalogAPISample("中卫市流动人口登记信息")
		rev.Fields = append(rev.Fields,
			shuyu.CatalogField{Name: "name", Label: "姓名", DataType: "string", PI: true, Grade: shuyu.GradeImportant},
			shuyu.CatalogField{Name: "county", Label: "所属县区", DataType: "string", Grade: shuyu.GradeGeneral},
			shuyu.CatalogField{Name: "reg_month", Label: "登记月份", DataType: "month", Grade: shuyu.GradeGeneral})
		id := catalogPagesEntry(t, h, "dept-gongan", "ZW-GA-0301", rev, catalogPagesPublish...)
		if err := h.db.SetCatalogMounted(t.Context(), h.actors["operator-admin"], id, true); err != nil {
			t.Fatal(err)
		}
		catalogPagesEntry(t, h, "dept-gongan", "ZW-GA-0302", catalogAPISample("中卫市户籍迁移登记信息"), catalogPagesPublish...)

		b.Navigate(base + "/")
		b.WaitText("已发布目录")
		b.Screenshot("portal-front.png")
		b.ClickNav("#link-catalog")
		b.WaitText("中卫市流动人口登记信息")
		b.ClickNav(fmt.Sprintf(`a[href="/catalog/%d"]`, id))
		b.WaitText("申请使用")
		b.ClickNav("#apply-entry")
		if loc := b.Location(); !strings.Contains(loc, "/login?next=") {
			t.Fatalf("申请使用 as a visitor went to %s, want the login page", loc)
		}
		b.Fill("#username", "merchant-a")
		b.Fill("#password", sqltest.Password)
		b.ClickNav("#login-submit")
		b.WaitText("已加入申请清单")
		if loc := b.Location(); !strings.HasSuffix(loc, "/cart") || !strings.Contains(b.Text("#cart"), "中卫市流动人口登记信息") {
			t.Fatalf("after login: %s %q", loc, b.Text("main"))
		}
		b.ClickNav("#cart-apply")
		b.WaitText("查找信息项")
		picker := b.Text("#apply-picker")
		for _, want := range []string{"公民身份号码", "敏感个人信息", "姓名", "个人信息", "所属县区", "登记月份"} {
			if !strings.Contains(picker, want) {
				t.Errorf("field picker lacks %q: %s", want, picker)
			}
		}
		b.Screenshot("portal-picker.png")
		b.Fill("#apply-filter", "县区")
		visible, err := chromedp.Run(b.Context(), chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("[data-apply-field]")).filter(l => !l.hidden).map(l => l.querySelector(".apply-label").textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		if len(visible) != 1 || visible[0] != "所属县区" {
			t.Fatalf("search for 县区 shows %v", visible)
		}
		b.SetValue("#apply-filter", "") // the search is cleared: every field shows again
		b.Click(fmt.Sprintf(`input[data-select-all="f_%d"]`, id))
		checked, err := chromedp.Run(b.Context(), chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('input[name="f_%d"]:checked').length`, id)))
		if err != nil {
			t.Fatal(err)
		}
		if checked != 4 {
			t.Fatalf("全选 checked %d of 4 fields", checked)
		}

		// The authority's dashboard draws its charts.
		b.ClickNav("#logout")
		b.Login(base, "authority", sqltest.Password)
		b.WaitText("待办事项")
		if _, err := chromedp.Run(b.Context(), chromedp.Poll[bool](`document.querySelectorAll("#dash-charts .chart canvas").length > 0`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			t.Fatalf("no chart canvas on the dashboard: %v", err)
		}
		b.Screenshot("portal-dashboard.png")
		b.Navigate(base + "/portal")
		b.WaitText("已发布目录")
		if _, err := chromedp.Run(b.Context(), chromedp.Poll[bool](`document.querySelectorAll(".portal-charts .chart canvas").length >= 4`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			t.Fatalf("portal charts not drawn: %v", err)
		}
		if errs := consoleErrors(); len(errs) > 0 {
			t.Fatalf("JavaScript errors: %v", errs)
		}
	}
}
