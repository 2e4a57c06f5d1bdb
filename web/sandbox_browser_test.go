package web

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"shuyu/internal/browsertest"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
	"shuyu/workspace/wstest"
)

// In a real browser, merchant-a opens its workspace from the menu, sees the
// schema with each column's policy explained and a simulated sample, runs an
// aggregate over real data (released) and a row-level query (withheld, with
// the reason in Chinese), then a rule-breaking one (rejected). R4.2, R6.1,
// R14.1, R28.3. Screenshots go to /tmp/shuyu-shots/.
func TestBrowser_R4_2_R14_1_WorkbenchReleasedAndWithheld(t *testing.T) {
	b := browsertest.Start(t)
	h, _, _, id := newSandboxHarness(t, "sqlite")
	base := h.srv.URL
	b.Login(base, "merchant-a", sqltest.Password)
	b.Navigate(base + "/workspaces")
	b.WaitText("居民就医分析")
	b.ClickNav(fmt.Sprintf(`a[href="/workspaces/%d"]`, id))
	b.WaitText("SQL 编辑器")
	for _, want := range []string{"标识符", "准标识符", "敏感", "不会出现在结果中", "仿真数据样例"} {
		if !b.HasText(want) {
			t.Fatalf("workbench lacks %q", want)
		}
	}
	b.Screenshot("sandbox-workbench.png")

	b.Fill("#sql", "SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county ORDER BY county")
	b.Select("#data", "real")
	b.ClickNav("#run")
	b.WaitText("结果已通过披露控制")
	if rows := b.Text("#result-rows tbody"); strings.Count(rows, "\n") < 2 || !strings.Contains(rows, "沙坡头区") {
		t.Fatalf("released rows: %q", rows)
	}
	b.Screenshot("sandbox-released.png")

	b.Fill("#sql", "SELECT p.gender, m.total_amount FROM zw_ga_0001 p JOIN zw_yb_0001 m ON p.id_number = m.id_number")
	b.Select("#data", "real")
	b.ClickNav("#run")
	b.WaitText("明细结果不出域")
	if r := b.Text("#reasons"); !strings.Contains(r, "明细级结果不出域") {
		t.Fatalf("withheld reason: %q", r)
	}
	if b.HasText("result-rows") {
		t.Fatal("a withheld result shows rows")
	}
	b.Screenshot("sandbox-withheld.png")

	b.Fill("#sql", "SELECT name, count(*) AS n FROM zw_ga_0001 GROUP BY name")
	b.Select("#data", "real")
	b.ClickNav("#run")
	b.WaitText("查询违反使用规则")
	b.Screenshot("sandbox-rejected.png")
}

// In a real browser (R28.5, R14.1): the operator opens a workspace by
// consent from the list page's form, merchant-a asks a person for a grant
// from the workbench, the person confirms with its code on the public
// confirmation page, and the workbench counts the live grant.
func TestBrowser_R28_5_OpenByConsentAskConfirm(t *testing.T) {
	b := browsertest.Start(t)
	e := newServicesEnv(t)
	base := e.srv.URL
	b.Login(base, "operator-admin", sqltest.Password)
	b.Navigate(base + "/workspaces")
	b.Click("#open-workspace summary")
	b.Select("#ow-org", fmt.Sprint(e.actors["merchant-a"].OrgID))
	b.Fill("#ow-name", "养老需求分析（浏览器开通）")
	b.SetValue("#ow-from", wstest.Now.In(workday.Zone).Format(time.DateOnly))
	b.SetValue("#ow-to", wstest.Now.In(workday.Zone).AddDate(0, 6, 0).Format(time.DateOnly))
	b.Click(`input[name="entries"][value="` + wstest.PopulationCode + `"]`)
	b.Click("#ow-consent")
	b.ClickNav("#open-workspace-submit")
	b.WaitText("工作区已开通")
	if !b.HasText("当前有效授权 0 份") {
		t.Fatalf("the new workspace's page: %q", b.Text("main"))
	}
	ws := b.Location()
	b.ClickNav("#logout")

	b.Login(base, "merchant-a", sqltest.Password)
	b.Navigate(ws)
	rows := e.f.Raw[wstest.PopulationTable]
	id, name := "", ""
	for i, h := range rows[0] {
		switch h {
		case "id_number":
			id = rows[3][i]
		case "name":
			name = rows[3][i]
		}
	}
	b.Click("#ask-consent summary")
	b.Fill("#ac-id", id)
	b.Fill("#ac-name", name)
	b.Fill("#ac-mobile", "13995512347")
	b.Fill("#ac-purpose", "养老服务需求统计")
	b.Fill("#ac-fields", "性别、出生日期")
	b.ClickNav("#ask-consent-submit")
	b.WaitText("已向本人发送确认码")
	b.Screenshot("sandbox-consent-asked.png")
	msg := b.Text(".flash")
	number := regexp.MustCompile(`授权编号 (\d+)`).FindStringSubmatch(msg)
	if number == nil {
		t.Fatalf("no grant number in %q", msg)
	}

	b.Navigate(base + "/consent/confirm")
	b.Fill(`#consent-confirm input[name="consent"]`, number[1])
	b.Fill(`#consent-confirm input[name="code"]`, e.ver.Last("confirm"))
	b.ClickNav(`#consent-confirm button[type="submit"]`)
	b.WaitText("已确认授权")
	b.Navigate(ws)
	b.WaitText("当前有效授权 1 份")
}
