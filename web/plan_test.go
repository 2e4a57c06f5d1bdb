package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestPlanAPI_R12_1_R15_1_R32_1: over HTTP the authority drafts the plan
// (an incomplete one is a 400, an operator's draft a 403), records the
// government's approval and the provincial filing; the anonymous portal
// then shows the plan in force with both, and the channels' counts; the
// channels register and the operations reports answer their roles only.
func TestPlanAPI_R12_1_R15_1_R32_1(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		in := shuyu.PlanInput{Title: "中卫市公共数据授权运营实施方案", Items: shuyu.PlanItems{Name: "中卫市公共数据授权运营实施方案",
			Necessity: "释放公共数据价值", OperatorCriteria: "国有控股企业", Mode: "整体授权", DataScope: "授权运营目录内数据",
			Term: "五年", Products: "两类产品", Costs: "单独核算", Security: "原始数据不出域", RightsObligations: "不得参与再开发",
			Supervision: "市数据局监督", Other: "无其他事项"}}
		h.call(h.token("operator-admin"), "POST", "/api/v1/plans", in, 403, nil)
		bad := in
		bad.Items.Term = ""
		h.call(h.token("authority"), "POST", "/api/v1/plans", bad, 400, nil)
		h.call("", "GET", "/api/v1/plan", nil, 404, nil)
		var p shuyu.Plan
		h.call(h.token("authority"), "POST", "/api/v1/plans", in, 201, &p)
		id := itoa(p.ID)
		h.call(h.token("authority"), "POST", "/api/v1/plans/"+id+"/approve", map[string]string{"document": "卫政函〔2025〕21号", "date": "not a date"}, 400, nil)
		h.call(h.token("authority"), "POST", "/api/v1/plans/"+id+"/approve", map[string]string{"document": "卫政函〔2025〕21号", "date": "2025-05-28"}, 200, nil)
		h.call(h.token("authority"), "POST", "/api/v1/plans/"+id+"/filing", map[string]string{"number": "宁数据备〔2025〕8号", "date": "2025-06-01"}, 200, nil)
		var pub shuyu.Plan
		h.call("", "GET", "/api/v1/plan", nil, 200, &pub)
		if pub.ApprovalDoc != "卫政函〔2025〕21号" || pub.FilingNumber != "宁数据备〔2025〕8号" || pub.Status != shuyu.PlanFiled {
			t.Fatalf("public plan %+v", pub)
		}
		h.call(h.token("merchant-a"), "GET", "/api/v1/plans", nil, 403, nil)

		var c shuyu.Channel
		h.call(h.token("authority"), "POST", "/api/v1/channels", shuyu.ChannelInput{Name: "公安局人口核验接口", Holder: "中卫市公安局",
			Description: "向银行提供的人口核验接口"}, 201, &c)
		h.call(h.token("authority"), "POST", "/api/v1/channels/"+itoa(c.ID)+"/decide", map[string]string{"decision": "fold_in"}, 409, nil)
		h.call(h.token("merchant-a"), "GET", "/api/v1/channels", nil, 403, nil)
		var sum shuyu.ChannelSummary
		h.call("", "GET", "/api/v1/public/channels", nil, 200, &sum)
		if sum.Total != 1 || sum.Open != 1 {
			t.Fatalf("channels summary %+v", sum)
		}

		h.call(h.token("operator-admin"), "POST", "/api/v1/ops-reports", map[string]string{"period": "2025-13"}, 400, nil)
		var o shuyu.OpsReport
		h.call(h.token("operator-admin"), "POST", "/api/v1/ops-reports", map[string]string{"period": "2026-Q3"}, 201, &o)
		h.call(h.token("merchant-a"), "GET", "/api/v1/ops-reports/"+itoa(o.ID), nil, 404, nil)
		h.call(h.token("authority"), "POST", "/api/v1/ops-reports/"+itoa(o.ID)+"/acknowledge", nil, 200, &o)
		if o.Status != shuyu.OpsReportAcknowledged {
			t.Fatalf("report %+v", o)
		}

		anon := newUIClient(t, h)
		st, page, _ := anon.get("/plan")
		if st != http.StatusOK || !strings.Contains(page, "卫政函〔2025〕21号") || !strings.Contains(page, "宁数据备〔2025〕8号") ||
			!strings.Contains(page, `id="plan-channels"`) {
			t.Fatalf("public plan page %d: %s", st, pageText(page))
		}
		u := uiAs(t, h, "authority")
		if st, body := u.follow("/channels/"+itoa(c.ID)+"/assess", url.Values{"assessment": {"接口无调用审计，应归并到平台统一提供"}}); st != http.StatusOK ||
			!strings.Contains(body, "已评估待决定") {
			t.Fatalf("assess from the page %d: %s", st, pageText(body))
		}
		if st, body, _ := u.get("/ops-reports/" + itoa(o.ID)); st != http.StatusOK || !strings.Contains(body, "2026年第3季度运营情况报告") {
			t.Fatalf("report page %d: %s", st, pageText(body))
		}
	})
}
