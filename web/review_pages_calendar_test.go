package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shuyu/sqlstore/sqltest"
)

// The calendar page lists a year's holidays and make-up working days and
// computes due dates on the effective calendar; the authority adds next
// year's schedule with its basis (bad input changes nothing) and removes
// a mistaken day; others read it but cannot change it.
func TestReviewUI_R21_1_CalendarPage(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := reviewuiHarness(t, env)
		auth := uiAs(t, h, "authority")
		st, page, _ := auth.get("/review/calendar?year=2026&due_from=2026-09-30&due_n=5")
		if st != 200 || !strings.Contains(page, "国庆节") || !strings.Contains(page, "调休上班") ||
			!strings.Contains(page, "2026-09-30 受理，5 个工作日的期限为 <strong>2026-10-13 ") {
			t.Fatalf("2026 calendar: %d %s", st, pageText(page))
		}
		if _, page, _ = auth.get("/review/calendar?year=2028"); !strings.Contains(page, `id="cal-uncovered"`) {
			t.Fatalf("2028 should be marked as not recorded: %s", pageText(page))
		}
		// A make-up working day on a weekday is refused; nothing is stored.
		st, page, _ = auth.post("/review/calendar", url.Values{"from": {"2028-01-04"}, "kind": {"workday"}, "name": {"元旦"}, "reason": {"国办发明电〔2027〕1号"}})
		if st != 400 || !strings.Contains(page, `value="国办发明电〔2027〕1号"`) {
			t.Fatalf("weekday make-up day: %d %s", st, pageText(page))
		}
		if days, _ := h.db.CalendarDays(t.Context()); len(days) != 0 {
			t.Fatalf("refused input stored %v", days)
		}
		if st, page, _ := auth.post("/review/calendar", url.Values{"from": {"2028-01-01"}, "to": {"2028-01-03"}, "kind": {"holiday"}, "name": {"元旦"}}); st != 400 ||
			!strings.Contains(page, "须填写依据") {
			t.Fatalf("no basis: %d %s", st, pageText(page))
		}
		st, page = auth.follow("/review/calendar", url.Values{"from": {"2028-01-01"}, "to": {"2028-01-03"}, "kind": {"holiday"},
			"name": {"元旦"}, "reason": {"国办发明电〔2027〕1号"}})
		if st != 200 || !strings.Contains(page, "已补录") || strings.Count(page, "主管部门补录</td>") != 3 {
			t.Fatalf("added: %d %s", st, pageText(page))
		}
		if _, page, _ = auth.get("/review/calendar?year=2028&due_from=2027-12-31&due_n=1"); !strings.Contains(page, "<strong>2028-01-04 ") {
			t.Fatalf("due across the added holiday: %s", pageText(page))
		}
		if _, page := auth.follow("/review/calendar/remove", url.Values{"date": {"2028-01-03"}, "reason": {"录入有误"}}); !strings.Contains(page, "已撤销") ||
			strings.Count(page, "主管部门补录</td>") != 2 {
			t.Fatalf("removed: %s", pageText(page))
		}
		dept := uiAs(t, h, "dept-gongan")
		if st, page, _ := dept.get("/review/calendar"); st != 200 || strings.Contains(page, `id="cal-form"`) {
			t.Fatalf("department sees the calendar %d, form shown=%v", st, strings.Contains(page, `id="cal-form"`))
		}
		if st, _, _ := dept.post("/review/calendar", url.Values{"from": {"2028-02-01"}, "kind": {"holiday"}, "name": {"春节"}, "reason": {"x"}}); st != 403 {
			t.Fatalf("department changes the calendar: %d", st)
		}
		if st, page, _ := auth.post("/review/authorization-term", url.Values{"end": {"2029-12-31"}, "reason": {"中卫政函〔2026〕12号"}}); st != 303 {
			t.Fatalf("authorization term: %d %s", st, pageText(page))
		}
	})
}

// Every page of this family in a role's menu opens, the menu shows it
// exactly to the roles the policy allows, and pages speak English too.
func TestReviewUI_R29_1_MenuAndLanguages(t *testing.T) {
	t.Parallel()
	h := reviewuiHarness(t, sqltest.Seeded(t, "sqlite"))
	reviewuiDocs(t, h)
	want := map[string][]string{
		"/review/registrations": {"authority", "operator-admin", "operator-reviewer", "regulator"},
		"/review/reports":       {"authority", "operator-admin", "regulator"},
		"/review/calendar": {"authority", "county-shapotou", "county-haiyuan", "dept-gongan", "dept-haiyuan-weijian",
			"operator-admin", "operator-reviewer", "merchant-a", "merchant-b"},
	}
	for _, user := range seeded {
		u := uiAs(t, h, user)
		_, body, _ := u.get("/")
		menu := menuOf(body)
		for path, who := range want {
			if contains(menu, path) != contains(who, user) {
				t.Errorf("%s: menu item %s shown=%v, want %v", user, path, contains(menu, path), contains(who, user))
			}
		}
		for _, path := range menu {
			if !strings.HasPrefix(path, "/review/") {
				continue
			}
			if st, b, _ := u.get(path); st != http.StatusOK {
				t.Errorf("%s: menu item %s answers %d: %.200s", user, path, st, pageText(b))
			}
		}
	}
	anon := newUIClient(t, h)
	if _, page, _ := anon.get("/register?lang=en"); !strings.Contains(page, "Merchant registration") || !strings.Contains(page, "Unified social credit code") {
		t.Fatalf("English registration page: %s", pageText(page))
	}
	if _, page, _ := uiAs(t, h, "authority").get("/review/documents?lang=en"); !strings.Contains(page, "Format agreement template") || !strings.Contains(page, "Approved") {
		t.Fatalf("English documents page: %s", pageText(page))
	}
}
