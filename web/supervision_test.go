package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"shuyu"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
)

// TestSupervision_R31_1_R16_1_R33_1_OverHTTP: notices through the API and
// the pages (anonymous callers see only published public notices, a
// department only its own figures, the .xlsx carries the published
// figures), scenarios proposed and showcased on the portal, an evaluation
// created from the form, and the authority's dashboard.
func TestSupervision_R31_1_R16_1_R33_1_OverHTTP(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		gongan := h.actors["dept-gongan"]
		reviewWebEntry(t, h, gongan.OrgID, shuyu.RegionZhongwei, "ZW-GA-101", "机动车登记信息", "conditional", "plate")
		auth := h.token("authority")
		in := map[string]any{"title": "2026年11月数源部门工作情况通报", "from": "2026-11-01", "to": "2026-11-30", "visibility": "internal"}
		h.call("", "POST", "/api/v1/notices", in, 401, nil)
		h.call(h.token("merchant-a"), "POST", "/api/v1/notices", in, 403, nil)
		h.call(h.token("dept-gongan"), "POST", "/api/v1/notices", in, 403, nil)
		h.call(auth, "POST", "/api/v1/notices", map[string]any{"title": "通报", "from": "2026-13-01", "to": "2026-11-30", "visibility": "internal"}, 400, nil)
		h.call(auth, "POST", "/api/v1/notices", map[string]any{"title": "2026年11月通报", "from": "2026-11-01", "to": "2026-11-30", "visibility": "internal", "x": 1}, 400, nil)
		var list struct {
			Items []shuyu.DeptNotice `json:"items"`
		}
		h.call(auth, "GET", "/api/v1/notices", nil, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("refused drafts stored: %d", len(list.Items))
		}
		var internal shuyu.DeptNotice
		h.call(auth, "POST", "/api/v1/notices", in, 201, &internal)
		h.call(h.token("dept-gongan"), "GET", fmt.Sprintf("/api/v1/notices/%d", internal.ID), nil, 404, nil)
		h.call("", "GET", fmt.Sprintf("/api/v1/notices/%d", internal.ID), nil, 404, nil)
		h.call(auth, "POST", fmt.Sprintf("/api/v1/notices/%d/publish", internal.ID), nil, 422, nil)
		in["body"] = "公安局目录已全部挂接，请其他部门对照加快进度。"
		h.call(auth, "PUT", fmt.Sprintf("/api/v1/notices/%d", internal.ID), in, 200, nil)
		h.call(auth, "POST", fmt.Sprintf("/api/v1/notices/%d/publish", internal.ID), nil, 200, nil)
		h.call("", "GET", "/api/v1/notices", nil, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("anonymous sees internal notices: %+v", list.Items)
		}
		h.call(h.token("dept-haiyuan-weijian"), "GET", fmt.Sprintf("/api/v1/notices/%d", internal.ID), nil, 200, nil)

		in["visibility"], in["title"] = "public", "2026年11月数源部门工作情况公开通报"
		var pub shuyu.DeptNotice
		h.call(auth, "POST", "/api/v1/notices", in, 201, &pub)
		h.call(auth, "POST", fmt.Sprintf("/api/v1/notices/%d/publish", pub.ID), nil, 200, &pub)
		h.call("", "GET", "/api/v1/notices", nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != pub.ID {
			t.Fatalf("anonymous list %+v", list.Items)
		}
		var got shuyu.DeptNotice
		h.call("", "GET", fmt.Sprintf("/api/v1/notices/%d", pub.ID), nil, 200, &got)
		var row shuyu.DeptFigures
		for _, f := range got.Figures {
			if f.OrgID == gongan.OrgID {
				row = f
			}
		}
		if row.Entries != 1 || row.Published != 1 || row.Mounted != 1 {
			t.Fatalf("gongan's figures %+v", row)
		}
		// The .xlsx, anonymous, has the same figures.
		resp, data := h.do("", "GET", fmt.Sprintf("/api/v1/notices/%d?format=xlsx", pub.ID), nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != xlsxType {
			t.Fatalf("xlsx %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		book, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := book.GetRows("通报")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rows {
			if len(r) > 4 && r[0] == row.OrgName {
				found = r[1] == strconv.Itoa(row.Entries) && r[2] == strconv.Itoa(row.Published) && r[4] == strconv.Itoa(row.Mounted)
			}
		}
		if !found {
			t.Errorf("xlsx rows %v do not carry %+v", rows, row)
		}
		// Department figures: own only.
		h.call(h.token("dept-gongan"), "GET", fmt.Sprintf("/api/v1/departments/%d/figures?from=2026-11-01&to=2026-11-30", gongan.OrgID), nil, 200, nil)
		h.call(h.token("dept-haiyuan-weijian"), "GET", fmt.Sprintf("/api/v1/departments/%d/figures", gongan.OrgID), nil, 404, nil)
		h.call(h.token("merchant-a"), "GET", fmt.Sprintf("/api/v1/departments/%d/figures", gongan.OrgID), nil, 404, nil)
		h.call(h.token("dept-gongan"), "GET", fmt.Sprintf("/api/v1/departments/%d/figures?from=2026-11-31", gongan.OrgID), nil, 400, nil)

		// Pages: the portal lists the public notice, its page opens anonymous,
		// the internal one does not.
		anon := newUIClient(t, h)
		if _, body, _ := anon.get("/notices"); !strings.Contains(body, pub.Title) || strings.Contains(body, "2026年11月数源部门工作情况通报<") {
			t.Errorf("portal notices page: %s", pageText(body))
		}
		if code, body, _ := anon.get(fmt.Sprintf("/supervision/notices/%d", pub.ID)); code != 200 || !strings.Contains(body, "中卫市公安局") {
			t.Errorf("public notice page %d", code)
		}
		if code, _, _ := anon.get(fmt.Sprintf("/supervision/notices/%d", internal.ID)); code != http.StatusNotFound {
			t.Errorf("internal notice page anonymous: %d", code)
		}
		dept := uiAs(t, h, "dept-haiyuan-weijian")
		if code, body, _ := dept.get("/supervision/figures"); code != 200 || !strings.Contains(body, "海原县卫生健康局") || strings.Contains(body, "中卫市公安局") {
			t.Errorf("dept figures page %d: %s", code, pageText(body))
		}
		if code, _, _ := dept.get(fmt.Sprintf("/supervision/figures?org=%d", gongan.OrgID)); code != http.StatusNotFound {
			t.Errorf("another department's figures page: %d", code)
		}

		// Scenarios: a merchant proposes from the form, the operator accepts
		// and shows it; the portal shows it to anonymous visitors.
		m := uiAs(t, h, "merchant-a")
		code, body := m.follow("/scenarios", url.Values{"title": {"沙坡头景区客流预测"}, "domain": {"tourism"}, "tags": {"high_value", "livelihood"},
			"data_needed": {"景区票务、交通卡口流量"}, "description": {"按小时预测景区客流，供景区调度和游客出行参考。"}})
		if code != 200 || !strings.Contains(body, "沙坡头景区客流预测") {
			t.Fatalf("propose %d: %s", code, pageText(body))
		}
		if code, body, _ := m.post("/scenarios", url.Values{"title": {"短"}, "domain": {"tourism"}}); code != 400 || !strings.Contains(body, "标题") {
			t.Errorf("bad proposal %d", code)
		}
		var sc struct {
			Items []shuyu.Scenario `json:"items"`
		}
		h.call(h.token("operator-admin"), "GET", "/api/v1/scenarios", nil, 200, &sc)
		if len(sc.Items) != 1 {
			t.Fatalf("scenarios %+v", sc.Items)
		}
		id := sc.Items[0].ID
		op := h.token("operator-admin")
		h.call(h.token("merchant-b"), "GET", fmt.Sprintf("/api/v1/scenarios/%d", id), nil, 404, nil)
		h.call(op, "POST", fmt.Sprintf("/api/v1/scenarios/%d/status", id), map[string]any{"status": "landed"}, 409, nil)
		h.call(op, "POST", fmt.Sprintf("/api/v1/scenarios/%d/status", id), map[string]any{"status": "accepted", "note": "纳入重点"}, 200, nil)
		h.call(op, "POST", fmt.Sprintf("/api/v1/scenarios/%d/showcase", id), map[string]any{"on": true}, 200, nil)
		h.call(op, "POST", fmt.Sprintf("/api/v1/scenarios/%d/one-application", id), map[string]any{"on": true}, 403, nil)
		if _, body, _ := anon.get("/"); !strings.Contains(body, "沙坡头景区客流预测") {
			t.Errorf("portal does not show the showcase scenario")
		}
		if code, body, _ := anon.get("/showcase"); code != 200 || !strings.Contains(body, "沙坡头景区客流预测") {
			t.Errorf("showcase page %d", code)
		}

		// Evaluation from the form's default indicators, and the dashboard.
		a := uiAs(t, h, "authority")
		_, form, _ := a.get("/evaluations")
		vals := url.Values{}
		for _, m := range inputRe.FindAllStringSubmatch(form, -1) {
			vals.Set(m[1], m[2])
		}
		for _, m := range selectRe.FindAllStringSubmatch(form, -1) {
			v := ""
			if sel := selectedRe.FindStringSubmatch(m[2]); sel != nil {
				v = sel[1]
			}
			vals.Set(m[1], v)
		}
		code, body = a.follow("/evaluations", vals)
		if code != 200 || !strings.Contains(body, "审核按期完成率") || !strings.Contains(body, `id="eval-status"`) {
			t.Fatalf("create evaluation %d: %s", code, pageText(body))
		}
		code, body, _ = a.get("/supervision")
		for _, want := range []string{`id="sup-notices"`, `id="sup-evaluation"`, `id="sup-scenarios"`, `id="sup-chart-depts"`} {
			if !strings.Contains(body, want) {
				t.Errorf("dashboard %d lacks %s", code, want)
			}
		}
		if code, _, _ := m.get("/supervision"); code != http.StatusForbidden {
			t.Errorf("merchant opened the dashboard: %d", code)
		}
		h.call(h.token("merchant-a"), "GET", "/api/v1/supervision/dashboard", nil, 403, nil)

		supRiskSection(t, h)
	})
}

// supRiskSection: the dashboard's "风险与应急" section shows the risk
// assessments, measures, incidents, plans, drills and delegations the
// store holds, with the store's deadlines, overdue items first (R27.2,
// R28.2, R6.3).
func supRiskSection(t *testing.T, h *harness) {
	t.Helper()
	op := h.token("operator-admin")
	var a, b shuyu.RiskAssessment
	h.call(op, "POST", "/api/v1/risks", map[string]any{"title": "年度数据安全风险评估", "scope": "平台整体", "areas": []string{"data_security"},
		"method": "配置核查与日志抽查", "workdays": 10}, http.StatusCreated, &a)
	h.call(op, "POST", fmt.Sprintf("/api/v1/risks/%d/findings", a.ID), map[string]any{"findings": "部分账号权限过宽", "level": "medium",
		"measures": []map[string]any{{"measure": "收紧运维账号权限", "workdays": 3}, {"measure": "完成全部账号复核", "workdays": 60}}}, http.StatusOK, &a)
	h.call(op, "POST", "/api/v1/risks", map[string]any{"title": "服务机构委托风险评估", "scope": "服务机构", "areas": []string{"data_security"},
		"method": "抽查委托记录", "workdays": 2}, http.StatusCreated, &b)
	var p shuyu.EmergencyPlan
	h.call(op, "POST", "/api/v1/emergency-plans", map[string]any{"title": "平台网络安全事件应急预案", "category": "platform",
		"body": "发现安全事件后 2 小时内报告市数据局，5 个工作日内提交书面报告。", "notify_hours": 2, "report_days": 5}, http.StatusCreated, &p)
	var inc shuyu.Incident
	h.call(op, "POST", "/api/v1/incidents", map[string]any{"plan_id": p.ID, "title": "异常登录告警", "level": "general",
		"summary": "同一来源短时间内大量失败登录"}, http.StatusCreated, &inc)

	h.clock.Advance(30 * 24 * time.Hour) // the 2-day assessment, the 3-day measure and the 2-hour notice are past due
	h.tokens = map[string]string{}       // sessions idled out
	op = h.token("operator-admin")
	day := h.clock.Now().In(workday.Zone).Format(time.DateOnly)
	h.call(op, "POST", fmt.Sprintf("/api/v1/emergency-plans/%d/drills", p.ID), map[string]any{"held_on": day, "scenario": "模拟数据泄露",
		"participants": "运营机构、市数据局", "findings": "报告流程顺畅"}, http.StatusCreated, nil)
	h.call(h.token("merchant-a"), "POST", "/api/v1/delegations", map[string]any{"provider_org_id": h.actors["provider"].OrgID,
		"tasks": []string{"sim_query"}, "from": day, "to": h.clock.Now().In(workday.Zone).AddDate(0, 1, 0).Format(time.DateOnly), "note": "委托编写查询"},
		http.StatusCreated, nil)

	auth := h.token("authority")
	var risks struct{ Items []shuyu.RiskAssessment }
	var incs struct{ Items []shuyu.Incident }
	h.call(auth, "GET", "/api/v1/risks", nil, 200, &risks)
	h.call(auth, "GET", "/api/v1/incidents", nil, 200, &incs)
	var dash supervisionDashboard
	h.call(auth, "GET", "/api/v1/supervision/dashboard", nil, 200, &dash)
	var sec *supervisionSection
	for i := range dash.Sections {
		if dash.Sections[i].ID == "sup-risk" {
			sec = &dash.Sections[i]
		}
	}
	if sec == nil {
		t.Fatalf("no risk section: %+v", dash.Sections)
	}
	fig := map[string]string{}
	for _, f := range sec.Figures {
		fig[f.Label] = f.Value
	}
	want := map[string]string{"sup.fig.risks_open": "2", "sup.fig.measures_open": "2", "sup.fig.risk_overdue": "2",
		"sup.fig.incidents_open": "1", "sup.fig.incidents_late": "1", "sup.fig.plans": "1", "sup.fig.last_drill": day,
		"sup.fig.delegations": "1", "sup.fig.delegations_real": "0"}
	for k, v := range want {
		if fig[k] != v {
			t.Errorf("%s = %q, want %q (figures %v)", k, fig[k], v, fig)
		}
	}
	// The due items carry the store's own deadlines and flags.
	due := map[string]supDue{}
	for _, d := range sec.Due {
		due[d.Kind+"|"+d.Title] = d
	}
	check := func(key string, at time.Time, overdue bool) {
		t.Helper()
		d, ok := due[key]
		if !ok || d.Due == nil || !d.Due.Equal(at) || d.Overdue != overdue {
			t.Errorf("due %s = %+v, want %v overdue=%v (all %+v)", key, d, at, overdue, sec.Due)
		}
	}
	if len(risks.Items) != 2 || len(incs.Items) != 1 {
		t.Fatalf("records: %d risks, %d incidents", len(risks.Items), len(incs.Items))
	}
	for _, r := range risks.Items {
		if r.Status == shuyu.RiskPlanned {
			check("sup.due.risk|"+r.Title+" · "+r.OwnerName, r.DueAt, true)
		}
		for _, m := range r.Measures {
			check("sup.due.measure|"+m.Measure+" · "+m.OwnerName, m.DueAt, m.Measure == "收紧运维账号权限")
			if m.Overdue != (m.Measure == "收紧运维账号权限") {
				t.Errorf("store overdue flag of %q: %v", m.Measure, m.Overdue)
			}
		}
	}
	i := incs.Items[0]
	check("sup.due.incident_notify|"+i.Title+" · "+i.PlanTitle, i.NotifyDue, true)
	if len(sec.Due) != 4 {
		t.Fatalf("due items: %+v", sec.Due)
	}
	for k, d := range sec.Due {
		if want := k < 3; d.Overdue != want {
			t.Errorf("due order: item %d %s overdue=%v", k, d.Title, d.Overdue)
		}
	}
	// The page shows the section in Chinese.
	ui := uiAs(t, h, "authority")
	if code, body, _ := ui.get("/supervision"); code != 200 || !strings.Contains(body, `id="sup-risk"`) || !strings.Contains(body, "风险与应急") ||
		!strings.Contains(body, "收紧运维账号权限") || !strings.Contains(body, "异常登录告警") {
		t.Errorf("dashboard page %d lacks the risk section", code)
	}
}

var (
	inputRe    = regexp.MustCompile(`<input[^>]*? name="([^"]+)"[^>]*? value="([^"]*)"`)
	selectRe   = regexp.MustCompile(`(?s)<select name="([^"]+)"[^>]*>(.*?)</select>`)
	selectedRe = regexp.MustCompile(`value="([^"]*)" selected`)
)
