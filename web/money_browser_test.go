package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"shuyu"
	"shuyu/internal/browsertest"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// In a real browser, one server: a visitor reads the public price page (no
// login) with caps and prices in yuan to the fen; merchant-a opens 费用账单,
// sees its spend chart drawn, opens March's statement and its lines with
// the same figures; the authority's account page draws revenue by class and
// by month against the cap. No JavaScript error anywhere (R14.2, NPRC.3,
// NPRC.4). Screenshots go to /tmp/shuyu-shots/money-*.png.
func TestMoneyBrowser_R14_2_NPRC_3_PricesStatementAndCharts(t *testing.T) {
	b := browsertest.Start(t, browsertest.WindowSize(1366, 900))
	consoleErrors := b.WatchConsole()
	env := sqltest.Seeded(t, "sqlite") // the store paths are tested on both backends elsewhere
	env.Clock.Set(time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC))
	h := harnessOn(t, env)
	ctx := t.Context()
	auth, op := h.actors["authority"], h.actors["operator-admin"]
	consult, err := env.DB.CreatePriceItem(ctx, auth, shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "数据合规咨询",
		Class: "专业服务", Unit: shuyu.UnitMonth, Purpose: shuyu.PurposeIndustry, CapFen: 50000})
	if err != nil {
		t.Fatal(err)
	}
	check, err := env.DB.CreatePriceItem(ctx, auth, shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "企业信息核验",
		Class: "数据服务", Unit: shuyu.UnitCall, Purpose: shuyu.PurposeIndustry, CapFen: 50})
	if err != nil {
		t.Fatal(err)
	}
	for it, fen := range map[int64]int64{consult.ID: 45050, check.ID: 37} {
		if _, err := env.DB.SetPrice(ctx, op, it, fen, "首次定价"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.DB.ApproveAllowedRevenue(ctx, auth, shuyu.AllowedInput{Year: 2026, AllowedCostFen: 1_000_000,
		ApprovalRef: "卫发改价〔2026〕1号"}); err != nil {
		t.Fatal(err)
	}
	// March: 2 months of consulting (901.00) and 1,234 checks (456.58).
	env.Clock.Advance(time.Hour)
	for i, u := range []sqlstore.UsageInput{{ItemID: consult.ID, Quantity: 2, Ref: "GW-1"}, {ItemID: check.ID, Quantity: 1234, Ref: "GW-2"}} {
		u.OrgID, u.At = h.actors["merchant-a"].OrgID, env.Clock.Now().Add(-time.Duration(i+1)*time.Minute)
		if _, err := env.DB.RecordUsage(ctx, op, u); err != nil {
			t.Fatal(err)
		}
	}
	env.Clock.Set(time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC))
	if _, err := env.DB.IssueStatements(ctx, shuyu.System, "2026-03"); err != nil {
		t.Fatal(err)
	}
	base := h.srv.URL
	canvases := func(sel string, n int) {
		t.Helper()
		if _, err := chromedp.Run(b.Context(), chromedp.Poll[bool](fmt.Sprintf(`document.querySelectorAll(%q).length >= %d`, sel, n),
			chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			t.Fatalf("%s: fewer than %d charts drawn: %v", b.Location(), n, err)
		}
	}

	b.Navigate(base + "/prices")
	b.WaitText("企业信息核验")
	prices := b.Text("#prices")
	for _, want := range []string{"数据合规咨询", "500.00", "450.50", "企业信息核验", "0.50", "0.37"} {
		if !strings.Contains(prices, want) {
			t.Errorf("public price page lacks %q: %s", want, prices)
		}
	}
	b.Screenshot("money-prices.png")

	b.Login(base, "merchant-a", sqltest.Password)
	b.Navigate(base + "/bills")
	b.WaitText("2026-03")
	if got := b.Text("#bills"); !strings.Contains(got, "1,357.58") {
		t.Fatalf("statement list: %s", got)
	}
	canvases(".chart-panel .chart canvas", 1)
	b.Screenshot("money-bills.png")
	b.ClickNav(`#bills a[href^="/bills/"]`)
	b.WaitText("企业信息核验")
	page := b.Text("main")
	for _, want := range []string{"2026-03", "450.50", "901.00", "0.37", "456.58", "1,357.58"} {
		if !strings.Contains(page, want) {
			t.Errorf("statement page lacks %q: %s", want, page)
		}
	}
	b.Screenshot("money-statement.png")

	b.ClickNav("#logout")
	b.Login(base, "authority", sqltest.Password)
	b.Navigate(base + "/money?year=2026")
	b.WaitText("卫发改价〔2026〕1号")
	canvases(".portal-charts .chart canvas", 2)
	b.Screenshot("money-account.png")
	if errs := consoleErrors(); len(errs) > 0 {
		t.Fatalf("JavaScript errors: %v", errs)
	}
}
