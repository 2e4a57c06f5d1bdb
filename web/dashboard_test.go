package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"shuyu/sqlstore/sqltest"
)

// TestDashboard_R21_1_TodosOverdueFirstAndRoleCharts: after login the home
// page lists the user's to-dos with deadlines, overdue first, and the
// charts of the role, from live data: the operator's compliance checks,
// the merchant's applications, the authority's mounting by department.
func TestDashboard_R21_1_TodosOverdueFirstAndRoleCharts(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := reviewuiHarness(t, env)
		reviewuiRegister(t, h, reviewuiDocs(t, h), "甲数据科技有限公司", "merchant-a")
		e := applyEntry(t, h, "ZW-GA-201", "流动人口登记信息", true)
		applyEntry(t, h, "ZW-GA-202", "户籍迁移登记信息", false)
		m := uiAs(t, h, "merchant-a")
		submit := func(title string) {
			t.Helper()
			st, page := m.follow("/applications", url.Values{"title": {title}, "scenario": {"分析社区流动人口分布，优化便民服务网点。"},
				"purpose": {"public_governance"}, "method": {"sandbox"}, "term_start": {"2027-01-04"},
				"term_end": {"2027-12-31"}, "security_measures": {"沙箱内分析，仅导出聚合结果。"}, fmt.Sprintf("f_%d", e): {"address"}})
			if st != 200 || !strings.Contains(page, title) {
				t.Fatalf("submit %s: %d %s", title, st, pageText(page))
			}
		}
		submit("较早提交的申请")
		// The first check is overdue by the time the second is submitted.
		h.clock.Advance(10 * 24 * time.Hour)
		m = uiAs(t, h, "merchant-a") // the session idled out meanwhile
		submit("较晚提交的申请")

		op := uiAs(t, h, "operator-reviewer")
		_, home, _ := op.get("/")
		todos := between(home, `id="dash-todos"`, `</section>`)
		early, late := strings.Index(todos, "较早提交的申请"), strings.Index(todos, "较晚提交的申请")
		if early < 0 || late < 0 || early > late || !strings.Contains(todos, "已逾期") || !strings.Contains(todos, "合规核查") {
			t.Fatalf("operator to-dos (overdue first): %s", pageText(todos))
		}
		_, home, _ = m.get("/")
		if !strings.Contains(home, `id="dash-applications"`) || !strings.Contains(between(home, `id="dash-applications"`, `</table>`), "<td class=\"num\">2</td>") {
			t.Fatalf("merchant applications chart: %s", pageText(home))
		}
		auth := uiAs(t, h, "authority")
		_, home, _ = auth.get("/")
		mount := between(home, `id="dash-mounting"`, `</table>`)
		if !strings.Contains(mount, "中卫市公安局") || !strings.Contains(mount, `<td class="num">1</td><td class="num">1</td>`) {
			t.Fatalf("authority mounting chart: %s", pageText(mount))
		}
		if !strings.Contains(home, "echarts.min.js") || !strings.Contains(home, "portal.js") {
			t.Fatal("dashboard does not load the chart scripts")
		}
	})
}

// between is the part of s from the first from to the next to after it.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}
