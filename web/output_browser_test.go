package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shuyu/internal/browsertest"
	"shuyu/sqlstore/sqltest"
)

// In a real browser: the operator proposes rules and the authority approves
// them (R23.1); merchant-a builds a product from a released query and
// requests the output check; a compliance reviewer approves; the authority
// files it (R23.2); merchant-a releases it and downloads a fingerprinted
// copy, which the authority then attributes to its recipient (R27.1).
func TestBrowser_R23_2_ProductFromRequestToFilingAndDownload(t *testing.T) {
	b := browsertest.Start(t)
	h, _, _, ws := newSandboxHarness(t, "sqlite")
	base := h.srv.URL
	as := func(user string) {
		t.Helper()
		b.Navigate(base + "/")
		if b.HasText("退出") || b.HasText("Log out") {
			b.ClickNav("#logout")
		}
		b.Login(base, user, sqltest.Password)
	}
	as("operator-admin")
	b.Navigate(base + "/output/rules")
	b.ClickNav("#propose")
	b.WaitText("待审批")
	as("authority")
	b.Navigate(base + "/output/rules")
	b.ClickNav("#approve-1")
	b.WaitText("已审批")

	as("merchant-a")
	b.Navigate(fmt.Sprintf("%s/workspaces/%d", base, ws))
	b.Fill("#sql", goodQuery)
	b.Select("#data", "real")
	b.ClickNav("#run")
	b.WaitText("结果已通过披露控制")
	b.Navigate(base + "/output/products")
	b.ClickNav("#new-product")
	b.Fill("#name", "医疗机构就诊统计")
	b.Fill("#scenario", "医疗资源规划")
	b.Fill("#description", "各定点医疗机构就诊人次与次均费用")
	b.Fill("#recipients", "某保险公司")
	b.ClickNav("#create")
	b.WaitText("数据产品草稿已创建")
	b.Fill("#table-name", "hospital_stats")
	b.Click("#aggregate")
	b.Fill("#counts", "visits")
	b.ClickNav("#add-table-btn")
	b.WaitText("hospital_stats")
	b.ClickNav("#request")
	b.WaitText("待人工审核")
	if !b.HasText("个人信息扫描") || !b.HasText("原始数据重合") {
		t.Fatal("the check report is not shown")
	}
	b.Screenshot("output-checked.png")
	product := b.Location()

	as("operator-reviewer")
	b.Navigate(product)
	b.Fill("#reason", "统计粒度合规，无个人信息")
	b.ClickNav("#review-submit")
	b.WaitText("审核通过待备案")

	as("authority")
	b.Navigate(product)
	b.ClickNav("#file")
	b.WaitText("ZWSJBA-")

	as("merchant-a")
	b.Navigate(product)
	b.ClickNav("#release")
	b.WaitText("已上架")
	if !b.HasText("隐形指纹") {
		t.Fatal("no delivery form")
	}
	b.Screenshot("output-released.png")
	// The download button is a GET of this page route; fetch it as merchant-a.
	path := strings.TrimPrefix(product, base) + "/download?recipient=" + url.QueryEscape("某保险公司") + "&table=hospital_stats"
	u := uiAs(t, h, "merchant-a")
	st, file, _ := u.get(path)
	if st != http.StatusOK || !strings.Contains(file, "avg_total") {
		t.Fatalf("download %d %.200s", st, file)
	}
	id := product[strings.LastIndex(product, "/")+1:]
	var at struct{ Deliveries []struct{ Recipient string } }
	h.call(h.token("authority"), "POST", "/api/v1/products/"+id+"/attribution", []byte(file), 200, &at)
	if len(at.Deliveries) == 0 || at.Deliveries[0].Recipient != "某保险公司" {
		t.Fatalf("attribution %+v", at)
	}
	as("regulator")
	b.Navigate(product + "/lineage")
	b.WaitText("某保险公司")
	b.Screenshot("output-lineage.png")
	b.Navigate(base + "/output/released")
	b.WaitText("医疗机构就诊统计")
}

// Pages without a browser: every role that sees the menu item opens it;
// another merchant's product answers 404; the released list is public.
func TestUI_R23_2_OutputPages(t *testing.T) {
	h, _, _, ws := newSandboxHarness(t, "sqlite")
	pid := outputSetup(t, h, ws)
	page := fmt.Sprintf("/output/products/%d", pid)
	for _, who := range []string{"merchant-a", "operator-reviewer", "authority", "regulator"} {
		u := uiAs(t, h, who)
		if st, body, _ := u.get(page); st != 200 || !strings.Contains(body, "医疗机构就诊统计") {
			t.Errorf("%s: %d", who, st)
		}
		if st, _, _ := u.get("/output/rules"); st != 200 {
			t.Errorf("%s rules: %d", who, st)
		}
	}
	if st, _, _ := uiAs(t, h, "merchant-b").get(page); st != 404 {
		t.Errorf("merchant-b: %d", st)
	}
	u := uiAs(t, h, "merchant-a")
	if st, _ := u.follow(page+"/request", url.Values{}); st != 200 {
		t.Fatalf("request: %d", st)
	}
	outputWaitChecked(t, u, page)
	if st, body, _ := u.get(page); st != 200 || !strings.Contains(body, "待人工审核") {
		t.Fatalf("after the check: %d %s", st, pageText(body))
	}
	if st, _, _ := u.get(page + "/download?recipient=" + url.QueryEscape("某保险公司")); st != 409 {
		t.Errorf("download before filing: %d", st)
	}
	resp, err := http.Get(h.srv.URL + "/output/released")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("public list: %v %v", err, resp)
	}
	resp.Body.Close()
}
