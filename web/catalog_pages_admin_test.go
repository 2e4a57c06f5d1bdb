package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shuyu"
	"shuyu/catalogxlsx"
	"shuyu/sqlstore/sqltest"
)

// Excel import through the page: a file that is not a workbook and a
// workbook with a bad row are refused with Chinese messages naming row and
// column, importing nothing; a good one imports drafts (R8.6, invariant 5).
func TestCatalogPages_R8_6_ImportPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	dept := uiAs(t, h, "dept-gongan")
	upload := func(data []byte) (int, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", "目录.xlsx")
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", h.srv.URL+"/catalog/import", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", h.srv.URL)
		st, body, _ := dept.do(req)
		return st, body
	}
	_, body, _ := dept.get("/catalog/import")
	if !strings.Contains(body, "/api/v1/catalog/template.xlsx") {
		t.Fatalf("import page lacks the template link")
	}
	if st, body := upload([]byte("名称,代码\n人口,1\n")); st < 400 || st >= 500 || !strings.Contains(pageText(body), "xlsx") {
		t.Fatalf("not a workbook: %d %s", st, pageText(body))
	}
	var f bytes.Buffer
	entries := []*shuyu.CatalogEntry{
		{Code: "ZW-GA-0001", OrgName: "中卫市公安局", Revision: catalogRevPtr(catalogAPISample("人口基础信息"))},
		{Code: "ZW-GA-0002", OrgName: "海原县卫生健康局", Revision: catalogRevPtr(catalogAPISample("他部门目录"))},
	}
	catalogxlsx.Export(&f, entries, nil)
	st, body := upload(f.Bytes())
	text := pageText(body)
	if st != 422 || !strings.Contains(text, "未导入任何目录") || !strings.Contains(body, `<td class="num">3</td>`) {
		t.Fatalf("bad row: %d %s", st, text)
	}
	if _, body, _ := dept.get("/catalog/mine"); strings.Contains(body, "ZW-GA-0001") {
		t.Fatalf("half import")
	}
	f.Reset()
	catalogxlsx.Export(&f, entries[:1], nil)
	if st, body := upload(f.Bytes()); st != 303 {
		t.Fatalf("good import: %d %s", st, pageText(body))
	}
	if _, body, _ := dept.get("/catalog/mine?tab=draft"); !strings.Contains(body, "ZW-GA-0001") {
		t.Fatalf("imported draft missing: %s", pageText(body))
	}
}

// The authority keeps the category tree (R8.3); demands are filed, routed
// and answered with their status counted (R9.1).
func TestCatalogPages_R9_1_CategoriesAndDemands(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		auth := uiAs(t, h, "authority")
		st, body := auth.follow("/catalog/categories", url.Values{"code": {"99"}, "name": {"城市交通"}})
		if st != 200 || !strings.Contains(pageText(body), "分类“城市交通”已新增") {
			t.Fatalf("category: %d %s", st, pageText(body))
		}
		st, body, _ = auth.post("/catalog/categories", url.Values{"code": {"99"}, "name": {"重复分类"}})
		if st != 409 || !strings.Contains(body, `value="重复分类"`) {
			t.Fatalf("duplicate category: %d %s", st, pageText(body))
		}
		m := uiAs(t, h, "merchant-a")
		st, body, _ = m.post("/demands", url.Values{"title": {"x"}, "description": {""}})
		if st != 400 || !strings.Contains(pageText(body), "需求名称须为 2 至 100 个字符") {
			t.Fatalf("bad demand: %d %s", st, pageText(body))
		}
		st, body = m.follow("/demands", url.Values{"title": {"新能源汽车充电桩数据"}, "description": {"全市充电桩位置与使用率"}, "scenario": {"充电桩选址"}})
		if st != 200 || !strings.Contains(pageText(body), "待转办") {
			t.Fatalf("demand: %d %s", st, pageText(body))
		}
		_, body, _ = auth.get("/demands")
		i := strings.Index(body, `href="/demands/`)
		if i < 0 {
			t.Fatalf("authority's list lacks the demand: %s", pageText(body))
		}
		path := body[i+6 : i+6+strings.Index(body[i+6:], `"`)]
		gongan := catalogID(h.actors["dept-gongan"].OrgID)
		st, body = auth.follow(path+"/route", url.Values{"org_id": {gongan}, "note": {"请研究纳入目录"}})
		if !strings.Contains(pageText(body), "中卫市公安局") || !strings.Contains(pageText(body), "已转办") {
			t.Fatalf("route: %d %s", st, pageText(body))
		}
		if st, _, _ := m.post(path+"/route", url.Values{"org_id": {gongan}}); st != 403 {
			t.Errorf("merchant routing: %d", st)
		}
		st, body = uiAs(t, h, "dept-gongan").follow(path+"/answer", url.Values{"status": {"accepted"}, "response": {"拟于下季度登记"}})
		if !strings.Contains(pageText(body), "已受理") || !strings.Contains(pageText(body), "拟于下季度登记") {
			t.Fatalf("answer: %d %s", st, pageText(body))
		}
		_, body, _ = m.get("/demands?status=accepted")
		if !strings.Contains(pageText(body), "新能源汽车充电桩数据") {
			t.Fatalf("merchant's tracked demand: %s", pageText(body))
		}
	})
}
