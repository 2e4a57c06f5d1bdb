package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore/sqltest"
)

// TestRegistryNationalAPI_NREG_7_NREG_8: over HTTP the registry records the
// national code after the notice (a bad check digit is a 400 and nothing
// changes; the applicant gets a 403), then revokes the registration for
// false materials; the registration page and the public board show it
// revoked.
func TestRegistryNationalAPI_NREG_7_NREG_8(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		dept := h.actors["dept-gongan"]
		entry := reviewWebEntry(t, h, dept.OrgID, shuyu.RegionZhongwei, "ZW-GA-031", "驾驶人信息", "conditional", "address")
		in := shuyu.RegistryInput{Kind: shuyu.RgyResource, Type: shuyu.RgyFirst, EntryID: entry, Name: "驾驶人信息",
			Summary: "全市驾驶人基础信息，按日更新。", Materials: shuyu.RegistryMaterials{Subject: "中卫市公安局",
				LawfulSource: "依法履职采集", Description: "驾驶人信息约 30 万条", ProductInfo: "统计分析服务",
				ScenarioInfo: "交通安全分析", RiskAssessment: "含个人信息，原始数据不出域"}}
		var g shuyu.RegistryRecord
		h.call(h.token("dept-gongan"), "POST", "/api/v1/registry", in, 201, &g)
		id := itoa(g.ID)
		h.call(h.token("authority"), "POST", "/api/v1/registry/"+id+"/decide", map[string]string{"step": "accept"}, 200, &g)
		h.call(h.token("authority"), "POST", "/api/v1/registry/"+id+"/decide", map[string]string{"step": "pass"}, 200, &g)
		// The notice's end is moved into the past around the store (moving
		// the clock would end the sessions); sqlstore's test runs the real days.
		if _, err := h.db.SQL().Exec(h.db.Rebind(`UPDATE registry_records SET notice_due = ? WHERE id = ?`), h.clock.Now().Add(-time.Hour).UnixMicro(), g.ID); err != nil {
			t.Fatal(err)
		}
		var uscc, region string
		if err := h.db.SQL().QueryRow(h.db.Rebind(`SELECT code, region FROM orgs WHERE id = ?`), dept.OrgID).Scan(&uscc, &region); err != nil {
			t.Fatal(err)
		}
		code, err := ident.RegistryCode(ident.RegistryResource, uscc, (region + "0000")[:4], 901)
		if err != nil {
			t.Fatal(err)
		}
		last := code[len(code)-1:]
		bad := code[:len(code)-1] + map[bool]string{true: "1", false: "0"}[last == "0"]
		h.call(h.token("authority"), "POST", "/api/v1/registry/"+id+"/national-code", map[string]string{"code": bad}, 400, nil)
		h.call(h.token("dept-gongan"), "POST", "/api/v1/registry/"+id+"/national-code", map[string]string{"code": code}, 403, nil)
		h.call(h.token("dept-gongan"), "GET", "/api/v1/registry/"+id, nil, 200, &g)
		if g.Status != shuyu.RgyNotice || g.Code != "" {
			t.Fatalf("a refused code changed the registration: %s %q", g.Status, g.Code)
		}
		h.call(h.token("authority"), "POST", "/api/v1/registry/"+id+"/national-code", map[string]string{"code": code}, 200, &g)
		if g.Status != shuyu.RgyRegistered || g.Code != code {
			t.Fatalf("recorded: %s %q", g.Status, g.Code)
		}
		h.call(h.token("dept-gongan"), "POST", "/api/v1/registry/"+id+"/revoke", map[string]string{"reason": "材料虚假，撤销登记"}, 403, nil)
		h.call(h.token("authority"), "POST", "/api/v1/registry/"+id+"/revoke", map[string]string{"reason": ""}, 400, nil)
		u := uiAs(t, h, "authority")
		if st, page, _ := u.get("/registry/" + id); st != http.StatusOK || !strings.Contains(page, `id="rgy-revoke-form"`) {
			t.Fatalf("registry page %d: %s", st, pageText(page))
		}
		if _, page := u.follow("/registry/"+id+"/revoke", url.Values{"reason": {"数据来源合法性证明系伪造"}}); !strings.Contains(page, "登记已撤销") ||
			!strings.Contains(page, "已撤销") {
			t.Fatalf("after revoking: %s", pageText(page))
		}
		anon := newUIClient(t, h)
		if st, page, _ := anon.get("/public/registry"); st != http.StatusOK || !strings.Contains(page, code) || !strings.Contains(page, "已撤销") {
			t.Fatalf("public page %d: %s", st, pageText(page))
		}
	})
}
