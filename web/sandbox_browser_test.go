package web

import (
	"fmt"
	"strings"
	"testing"

	"shuyu/internal/browsertest"
	"shuyu/sqlstore/sqltest"
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
