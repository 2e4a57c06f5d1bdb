package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestIncidentExpert_R7_1_R28_2_OverHTTPAndPage: the operator refers an
// incident from its page with a blocking question; closing it over the API
// is a 409 until the expert signs; the expert reaches neither the incident
// nor its page; the signed opinion shows on the incident page; the page
// then closes it.
func TestIncidentExpert_R7_1_R28_2_OverHTTPAndPage(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		op, ex, m := h.token("operator-admin"), h.token("expert"), h.token("merchant-a")
		var p shuyu.EmergencyPlan
		h.call(op, "POST", "/api/v1/emergency-plans", map[string]any{"title": "平台网络安全事件应急预案", "category": "platform",
			"body": "发现安全事件后 2 小时内报告市数据局，5 个工作日内提交书面报告。", "notify_hours": 2, "report_days": 5}, http.StatusCreated, &p)
		var inc shuyu.Incident
		h.call(op, "POST", "/api/v1/incidents", map[string]any{"plan_id": p.ID, "title": "仿真数据生成服务异常外联", "level": "major",
			"summary": "仿真数据生成服务向境外地址发起连接，已阻断"}, http.StatusCreated, &inc)
		for _, st := range []string{"notify", "report"} {
			h.call(op, "POST", fmt.Sprintf("/api/v1/incidents/%d/steps", inc.ID), map[string]any{"step": st, "text": "已按预案办理"}, http.StatusOK, &inc)
		}
		expertID := h.actors["expert"].UserID

		ui := uiAs(t, h, "operator-admin")
		st, page, _ := ui.get(fmt.Sprintf("/emergency/incidents/%d", inc.ID))
		if st != http.StatusOK || !strings.Contains(page, `id="refer-form"`) || !strings.Contains(page, "尚未提请专家咨询") {
			t.Fatalf("incident page before the referral: %d", st)
		}
		if st, _, _ := ui.post("/expert/referrals", url.Values{"case_kind": {"incident"}, "case_id": {fmt.Sprint(inc.ID)},
			"title": {"外联事件的影响评估"}, "questions": {"该外联是否可能导致数据出域？结案前还需采取哪些措施？"},
			"experts": {fmt.Sprint(expertID)}, "blocking": {"on"}}); st != http.StatusSeeOther {
			t.Fatalf("refer from the page: %d", st)
		}
		close := map[string]any{"step": "close", "text": "处置完毕，申请结案"}
		if resp, body := h.do(op, "POST", fmt.Sprintf("/api/v1/incidents/%d/steps", inc.ID), close); resp.StatusCode != http.StatusConflict {
			t.Fatalf("close before the opinion: %d %s", resp.StatusCode, body)
		}
		// On the page, the refused closure comes back to the incident with the reason.
		if st, _, loc := ui.post("/emergency/step", url.Values{"incident_id": {fmt.Sprint(inc.ID)}, "step": {"close"}, "text": {"处置完毕，申请结案"}}); st != http.StatusSeeOther ||
			loc != fmt.Sprintf("/emergency/incidents/%d", inc.ID) {
			t.Fatalf("blocked close on the page: %d %s", st, loc)
		}
		if _, page, _ := ui.get(fmt.Sprintf("/emergency/incidents/%d", inc.ID)); !strings.Contains(page, "须待专家出具意见后方可作出决定") || !strings.Contains(page, `id="blocked"`) {
			t.Fatal("the incident page does not say why the closure waits")
		}
		// The expert sees the referral, not the incident.
		for _, path := range []string{fmt.Sprintf("/api/v1/incidents/%d", inc.ID), "/api/v1/incidents"} {
			if resp, _ := h.do(ex, "GET", path, nil); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("expert GET %s: %d", path, resp.StatusCode)
			}
			if resp, _ := h.do(m, "GET", path, nil); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("merchant GET %s: %d", path, resp.StatusCode)
			}
		}
		var list struct {
			Items []*shuyu.ExpertReferral `json:"items"`
		}
		h.call(ex, "GET", "/api/v1/expert/referrals", nil, http.StatusOK, &list)
		refs := list.Items
		if len(refs) != 1 || refs[0].CaseKind != shuyu.CaseIncident || refs[0].CaseID != inc.ID {
			t.Fatalf("the expert's referrals: %+v", refs)
		}
		eu := uiAs(t, h, "expert")
		if st, _, _ := eu.get(fmt.Sprintf("/emergency/incidents/%d", inc.ID)); st != http.StatusForbidden && st != http.StatusNotFound {
			t.Fatalf("expert opens the incident page: %d", st)
		}
		h.call(ex, "POST", fmt.Sprintf("/api/v1/expert/referrals/%d/opinions", refs[0].ID), map[string]any{"conclusion": "conditional",
			"opinion": "外联未携带数据，完成出站白名单配置后可以结案。", "password": sqltest.Password}, http.StatusCreated, nil)

		au := uiAs(t, h, "authority")
		st, page, _ = au.get(fmt.Sprintf("/emergency/incidents/%d", inc.ID))
		if st != http.StatusOK || !strings.Contains(page, "完成出站白名单配置后可以结案") || !strings.Contains(page, "签名有效") {
			t.Fatalf("the opinion on the incident page: %d", st)
		}
		if st, _, _ := ui.post("/emergency/step", url.Values{"incident_id": {fmt.Sprint(inc.ID)}, "step": {"close"}, "text": {"已完成出站白名单配置，结案"}}); st != http.StatusSeeOther {
			t.Fatalf("close on the page: %d", st)
		}
		h.call(h.token("authority"), "GET", fmt.Sprintf("/api/v1/incidents/%d", inc.ID), nil, http.StatusOK, &inc)
		if inc.Status != shuyu.IncidentClosed {
			t.Fatalf("status %s", inc.Status)
		}
	})
}
