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

	"github.com/xuri/excelize/v2"

	"shuyu"
	"shuyu/sqlstore/sqltest"
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
	})
}

var (
	inputRe    = regexp.MustCompile(`<input[^>]*? name="([^"]+)"[^>]*? value="([^"]*)"`)
	selectRe   = regexp.MustCompile(`(?s)<select name="([^"]+)"[^>]*>(.*?)</select>`)
	selectedRe = regexp.MustCompile(`value="([^"]*)" selected`)
)
