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

	"shuyu/internal/browsertest"
	"shuyu/sqlstore/sqltest"
)

// In a real browser the source department uploads a 60,000-row file: the
// progress bar moves while the file goes up and while it is checked, then
// the job page shows the version and its quality report (R10.1, R11.1).
func TestBrowser_R10_1_R11_1_UploadProgressAndQualityReport(t *testing.T) {
	ctx := browsertest.Start(t, browsertest.WindowSize(1366, 900)).Context() // drives chromedp itself
	h := newDomainHarness(t, "sqlite")
	id := h.entry("ZW-GA-0001", "dept-gongan", true)
	ids := domainIDs(60000)
	names := make([]string, len(ids))
	for i := range names {
		names[i] = fmt.Sprintf("居民%d", i)
	}
	ids[7] = ids[7][:17] + map[bool]string{true: "0", false: "1"}[ids[7][17] != '0'] // one bad check digit
	file := filepath.Join(t.TempDir(), "人口.csv")
	os.WriteFile(file, []byte(peopleCSV(ids, names)), 0o600)

	base := h.srv.URL
	fail := func(what string, err error) {
		t.Helper()
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 800) : ""`))
		t.Fatalf("%s: %v\npage: %s", what, err, strings.Join(strings.Fields(text), " "))
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(c, steps...); err != nil {
			fail(what, err)
		}
	}
	get := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		v, err := chromedp.Run(c, a)
		if err != nil {
			fail(what, err)
		}
		return v
	}
	do("login", chromedp.Navigate(base+"/login"), chromedp.SendKeys(chromedp.CSS("#username"), "dept-gongan"),
		chromedp.SendKeys(chromedp.CSS("#password"), sqltest.Password), chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#logout"))) // only the page after login has it: navigating earlier aborts the login's redirect
	do("entry page", chromedp.Navigate(fmt.Sprintf("%s/domain/entries/%d", base, id)), chromedp.WaitVisible(chromedp.CSS("#upload-form")))
	// Record what the progress bar shows, across the navigation to the job
	// page, in sessionStorage.
	get("watch progress", chromedp.Evaluate[string](`(() => { sessionStorage.setItem("seen", "");
		setInterval(() => { const p = document.getElementById("upload-progress"); const box = document.getElementById("upload-status");
		if (!p || !box || box.hidden) return;
		sessionStorage.setItem("seen", sessionStorage.getItem("seen") + (p.hasAttribute("value") ? p.value : "busy") + ","); }, 5); return "ok"; })()`))
	do("upload", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}), chromedp.Click(chromedp.CSS("#upload-submit")),
		chromedp.WaitVisible(chromedp.CSS("#quality-report")))
	status := get("status", chromedp.Text(chromedp.CSS("#job-status")))
	rows := get("rows", chromedp.Text(chromedp.CSS("#job-rows")))
	score := get("score", chromedp.Text(chromedp.CSS("#quality-score")))
	seen := get("seen", chromedp.Evaluate[string](`sessionStorage.getItem("seen") || ""`))
	if !strings.Contains(status, "已完成") || strings.TrimSpace(rows) != "60000" {
		t.Fatalf("job page: status %q rows %q", status, rows)
	}
	report := get("report", chromedp.Text(chromedp.CSS("#report-rules")))
	if !strings.Contains(report, "身份证号码") || !strings.Contains(report, "1") {
		t.Fatalf("report lacks the failed citizen-ID rule: %q", report)
	}
	if score == "100.0" || score == "" {
		t.Fatalf("quality score %q should count the bad ID", score)
	}
	var moved bool
	for _, v := range strings.Split(seen, ",") {
		if v != "" && v != "0" {
			moved = true
		}
	}
	if !moved {
		t.Fatalf("the progress bar never moved: %q", seen)
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.MkdirAll("/tmp/shuyu-shots", 0o755)
		os.WriteFile("/tmp/shuyu-shots/domain-quality-report.png", png, 0o644)
	}
	t.Logf("progress samples: %.200s", seen)
}
