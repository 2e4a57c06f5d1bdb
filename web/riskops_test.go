package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestRiskops_R27_2_R28_2_OverHTTPAndPages: the operator plans a risk
// assessment and files an emergency plan over the API, records an incident
// and notifies it late on the page; the authority sees the late badge; a
// merchant is refused; bad input is a 400.
func TestRiskops_R27_2_R28_2_OverHTTPAndPages(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		op, m := h.token("operator-admin"), h.token("merchant-a")
		if resp, _ := h.do(op, "POST", "/api/v1/risks", map[string]any{"title": "x"}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad plan: %d", resp.StatusCode)
		}
		plan := map[string]any{"title": "第四季度数据安全风险评估", "scope": "出域核查与服务机构委托", "areas": []string{"data_security"},
			"method": "日志抽查与配置核查", "workdays": 10}
		if resp, _ := h.do(m, "POST", "/api/v1/risks", plan); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("merchant plans: %d", resp.StatusCode)
		}
		var r shuyu.RiskAssessment
		h.call(op, "POST", "/api/v1/risks", plan, http.StatusCreated, &r)
		h.call(op, "POST", fmt.Sprintf("/api/v1/risks/%d/findings", r.ID), map[string]any{"findings": "个别工作区查询限额偏高", "level": "medium",
			"measures": []map[string]any{{"measure": "下调查询限额", "workdays": 5}}}, http.StatusOK, &r)
		if r.Status != shuyu.RiskAssessed || len(r.Measures) != 1 {
			t.Fatalf("findings: %+v", r)
		}
		var p shuyu.EmergencyPlan
		h.call(op, "POST", "/api/v1/emergency-plans", map[string]any{"title": "平台网络安全事件应急预案", "category": "platform",
			"body": "发现安全事件后 2 小时内报告市数据局，5 个工作日内提交书面报告。", "notify_hours": 2, "report_days": 5}, http.StatusCreated, &p)
		var inc shuyu.Incident
		h.call(op, "POST", "/api/v1/incidents", map[string]any{"plan_id": p.ID, "title": "异常登录告警", "level": "general",
			"summary": "同一来源短时间内大量失败登录"}, http.StatusCreated, &inc)
		if resp, _ := h.do(m, "GET", "/api/v1/incidents", nil); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("merchant reads incidents: %d", resp.StatusCode)
		}
		env.Clock.Advance(3 * time.Hour) // past the plan's 2 hours (sessions idle out: log in after)
		ui := uiAs(t, h, "operator-admin")
		if st, _, _ := ui.post("/emergency/step", url.Values{"incident_id": {fmt.Sprint(inc.ID)}, "step": {"notify"}, "text": {"已报告市数据局值班室"}}); st != http.StatusSeeOther {
			t.Fatalf("notify on the page: %d", st)
		}
		au := uiAs(t, h, "authority")
		st, page, _ := au.get("/emergency")
		if st != http.StatusOK || !strings.Contains(page, "异常登录告警") || !strings.Contains(page, "超时") || !strings.Contains(page, `id="list-total"`) {
			t.Fatalf("emergency page: %d", st)
		}
		if st, page, _ = au.get("/risks"); st != http.StatusOK || !strings.Contains(page, "第四季度数据安全风险评估") {
			t.Fatalf("risks page: %d", st)
		}
	})
}
