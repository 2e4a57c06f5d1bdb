package web

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestRegistryAPI_NREG_1_NREG_6: a department applies over HTTP with the
// materials (a missing one is a 400 naming it); another department and a
// merchant cannot read it; the authority accepts and passes it; an
// anonymous client sees the notice without the materials; the export is
// JSON or a real .xlsx; the page shows the 存证 verified.
func TestRegistryAPI_NREG_1_NREG_6(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		entry := reviewWebEntry(t, h, h.actors["dept-gongan"].OrgID, shuyu.RegionZhongwei, "ZW-GA-001", "流动人口登记信息", "conditional", "address")
		in := shuyu.RegistryInput{Kind: shuyu.RgyResource, Type: shuyu.RgyFirst, EntryID: entry, Name: "流动人口登记信息",
			Summary: "全市流动人口登记信息，按月更新，含居住地址。", Materials: shuyu.RegistryMaterials{Subject: "中卫市公安局",
				LawfulSource: "依法履职采集", Description: "流动人口登记信息约 8 万条", ProductInfo: "统计分析服务",
				ScenarioInfo: "公共服务规划", RiskAssessment: ""}}
		h.call(h.token("dept-gongan"), "POST", "/api/v1/registry", in, 400, nil)
		in.Materials.RiskAssessment = "含个人信息，原始数据不出域"
		h.call("", "POST", "/api/v1/registry", in, 401, nil)
		h.call(h.token("merchant-a"), "POST", "/api/v1/registry", in, 403, nil)
		var g shuyu.RegistryRecord
		h.call(h.token("dept-gongan"), "POST", "/api/v1/registry", in, 201, &g)
		id := itoa(g.ID)
		h.call(h.token("dept-haiyuan-weijian"), "GET", "/api/v1/registry/"+id, nil, 404, nil)
		h.call(h.token("merchant-a"), "GET", "/api/v1/registry", nil, 403, nil)
		h.call(h.token("dept-gongan"), "POST", "/api/v1/registry/"+id+"/decide", map[string]string{"step": "accept"}, 403, nil)
		h.call(h.token("authority"), "POST", "/api/v1/registry/"+id+"/decide", map[string]string{"step": "fly"}, 400, nil)
		h.call(h.token("authority"), "POST", "/api/v1/registry/"+id+"/decide", map[string]string{"step": "accept"}, 200, &g)
		h.call(h.token("authority"), "POST", "/api/v1/registry/"+id+"/decide", map[string]string{"step": "pass"}, 200, &g)
		var pub struct {
			Items []map[string]any `json:"items"`
		}
		body := h.call("", "GET", "/api/v1/public/registry", nil, 200, &pub)
		if len(pub.Items) != 1 || strings.Contains(string(body), "原始数据不出域") || strings.Contains(string(body), "evidence") {
			t.Fatalf("public notice: %s", body)
		}
		h.call(h.token("merchant-b"), "POST", "/api/v1/registry/"+id+"/objections", map[string]string{"text": "短", "evidence": ""}, 400, nil)
		var check struct {
			Valid bool `json:"valid"`
		}
		h.call(h.token("dept-gongan"), "GET", "/api/v1/registry/"+id+"/evidence", nil, 200, &check)
		if !check.Valid {
			t.Fatal("fresh evidence does not verify")
		}
		resp, xb := h.do(h.token("dept-gongan"), "GET", "/api/v1/registry/"+id+"/export?format=xlsx", nil)
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(xb, []byte("PK")) {
			t.Fatalf("xlsx export %d %q", resp.StatusCode, xb[:min(8, len(xb))])
		}
		u := uiAs(t, h, "dept-gongan")
		st, page, _ := u.get("/registry/" + id)
		if st != http.StatusOK || !strings.Contains(page, `id="rgy-evidence-ok"`) {
			t.Fatalf("registry page %d: %s", st, pageText(page))
		}
		anon := newUIClient(t, h)
		if st, page, _ := anon.get("/public/registry"); st != http.StatusOK || !strings.Contains(page, "流动人口登记信息") {
			t.Fatalf("public page %d", st)
		}
	})
}
