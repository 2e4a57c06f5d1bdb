package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"shuyu"
	"shuyu/internal/browsertest"
	"shuyu/sqlstore/sqltest"
)

// In a real browser the authority drafts a notice from the form (the
// period and title are proposed), its page lists every source department
// and draws the chart; the supervision dashboard draws its charts; a
// department's figures page draws its trend; no JavaScript error.
// Screenshots: /tmp/shuyu-shots/supervision-*.png.
func TestSupervisionBrowser_R31_1_DraftAndCharts(t *testing.T) {
	b := browsertest.Start(t, browsertest.WindowSize(1366, 900))
	consoleErrors := b.WatchConsole()
	h := harnessOn(t, sqltest.Seeded(t, "sqlite")) // the store paths are tested on both backends elsewhere
	base := h.srv.URL
	reviewWebEntry(t, h, h.actors["dept-gongan"].OrgID, shuyu.RegionZhongwei, "ZW-GA-201", "机动车登记信息", "conditional", "plate")
	if _, err := h.db.CreateScenario(t.Context(), h.actors["merchant-a"], shuyu.ScenarioInput{Title: "景区客流预测", Domain: "tourism",
		Tags: []string{"high_value"}, DataNeeded: "景区票务数据", Description: "按小时预测景区客流，供景区调度参考。"}); err != nil {
		t.Fatal(err)
	}
	canvases := func(sel string, n int) {
		t.Helper()
		if _, err := chromedp.Run(b.Context(), chromedp.Poll[bool](`document.querySelectorAll("`+sel+` .chart canvas").length >= `+string(rune('0'+n)),
			chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			t.Fatalf("charts in %s not drawn: %v", sel, err)
		}
	}
	b.Login(base, "authority", sqltest.Password)
	b.Navigate(base + "/supervision/notices")
	b.WaitText("起草通报")
	b.Click("#notice-new summary")
	b.ClickNav("#notice-draft")
	b.WaitText("通报已起草")
	for _, want := range []string{"中卫市公安局", "海原县卫生健康局", "2026-10-01 至 2026-10-31"} {
		if !b.HasText(want) {
			t.Errorf("notice page lacks %q", want)
		}
	}
	canvases(".portal-charts", 1)
	b.Screenshot("supervision-notice.png")
	b.Navigate(base + "/supervision")
	b.WaitText("待办事项")
	canvases("#sup-notices", 1)
	canvases("#sup-scenarios", 2)
	if !b.HasText("景区客流预测") {
		t.Error("the proposal waiting is not among the items due")
	}
	b.Screenshot("supervision-dashboard.png")
	b.ClickNav("#logout")
	b.Login(base, "dept-gongan", sqltest.Password)
	b.Navigate(base + "/supervision/figures")
	b.WaitText("中卫市公安局")
	canvases(".portal-charts", 1)
	b.Screenshot("supervision-figures.png")
	if errs := consoleErrors(); len(errs) > 0 {
		t.Fatalf("JavaScript errors: %v", errs)
	}
}
