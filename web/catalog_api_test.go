package web

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"shuyu"
	"shuyu/catalogxlsx"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

func catalogAPISample(name string) shuyu.CatalogRevision {
	return shuyu.CatalogRevision{Name: name, Summary: "全市户籍人口基础信息", Grade: shuyu.GradeImportant,
		OpenAttr: shuyu.OpenConditional, AuthMode: shuyu.AuthScenario, UpdateFreq: shuyu.FreqDaily,
		Fields: []shuyu.CatalogField{{Name: "id_number", Label: "公民身份号码", DataType: "string", SensitivePI: true, Grade: shuyu.GradeImportant}}}
}

// upload posts a file as multipart/form-data field "file".
func (h *harness) catalogUpload(token string, data []byte) (*http.Response, []byte) {
	h.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", "目录.xlsx")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/catalog/import", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestCatalogAPI_R8_5_DraftToPublishedThenPublicSearch(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		var e shuyu.CatalogEntry
		h.call(h.token("dept-haiyuan-weijian"), "POST", "/api/v1/catalog",
			sqlstore.NewCatalogEntry{Code: "HY-WJ-0001", Revision: catalogAPISample("海原县人口健康信息")}, 201, &e)
		// Anonymous: not there yet.
		h.call("", "GET", "/api/v1/catalog/"+catalogID(e.ID), nil, 404, nil)
		for _, s := range []struct{ who, step string }{
			{"dept-haiyuan-weijian", "submit"}, {"county-haiyuan", "approve_county"},
			{"authority", "approve_city"}, {"operator-admin", "publish"},
		} {
			h.call(h.token(s.who), "POST", "/api/v1/catalog/"+catalogID(e.ID)+"/steps", map[string]string{"step": s.step}, 200, &e)
		}
		var page struct {
			Items  []shuyu.CatalogEntry `json:"items"`
			Total  int                  `json:"total"`
			Facets map[string][]map[string]any
		}
		h.call("", "GET", "/api/v1/catalog?q=%E4%BA%BA%E5%8F%A3", nil, 200, &page) // q=人口, two characters
		if page.Total != 1 || page.Items[0].Revision.Fields[0].Label != "公民身份号码" || page.Items[0].Working != nil {
			t.Fatalf("search: %+v", page)
		}
		if len(page.Facets["region"]) != 1 {
			t.Fatalf("facets %+v", page.Facets)
		}
		var hist struct{ Items []shuyu.CatalogHistoryItem }
		h.call(h.token("authority"), "GET", "/api/v1/catalog/"+catalogID(e.ID)+"/history", nil, 200, &hist)
		if len(hist.Items) != 5 {
			t.Fatalf("history %+v", hist.Items)
		}
		// The public reads no history, and bad parameters are 400.
		h.call("", "GET", "/api/v1/catalog/"+catalogID(e.ID)+"/history", nil, 401, nil)
		for _, p := range []string{"?grade=secret", "?limit=-1", "?org_id=x"} {
			_, data := h.do("", "GET", "/api/v1/catalog"+p, nil)
			if errCode(t, data) != shuyu.EINVALID {
				t.Errorf("%s: %s", p, data)
			}
		}
	})
}

func TestCatalogAPI_R4_5_ProhibitedSubmitIs400(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	rev := catalogAPISample("禁止开放数据")
	rev.OpenAttr = shuyu.OpenProhibited
	var e shuyu.CatalogEntry
	h.call(h.token("dept-gongan"), "POST", "/api/v1/catalog", sqlstore.NewCatalogEntry{Code: "ZW-GA-0009", Revision: rev}, 201, &e)
	resp, data := h.do(h.token("dept-gongan"), "POST", "/api/v1/catalog/"+catalogID(e.ID)+"/steps", map[string]string{"step": "submit"})
	if resp.StatusCode != 400 || !strings.Contains(string(data), "禁止开放") {
		t.Fatalf("%d %s", resp.StatusCode, data)
	}
	// Duplicate code is 409, unknown field in the body 400.
	resp, _ = h.do(h.token("dept-gongan"), "POST", "/api/v1/catalog", sqlstore.NewCatalogEntry{Code: "ZW-GA-0009", Revision: catalogAPISample("重复")})
	if resp.StatusCode != 409 {
		t.Fatalf("duplicate: %d", resp.StatusCode)
	}
	resp, _ = h.do(h.token("dept-gongan"), "POST", "/api/v1/catalog", `{"code":"ZW-GA-0010","revision":{"grade":7}}`)
	if resp.StatusCode != 400 {
		t.Fatalf("wrong type: %d", resp.StatusCode)
	}
}

func TestCatalogAPI_Inv5_UploadsRefusedBeforeParsing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	tok := h.token("authority")
	count := func() int {
		var n int
		h.db.SQL().QueryRow(`SELECT count(*) FROM catalog_entries`).Scan(&n)
		return n
	}
	// Not a workbook: 400 with a Chinese message.
	resp, data := h.catalogUpload(tok, []byte("资源代码,目录名称\n"))
	if resp.StatusCode != 400 || !strings.Contains(string(data), "不是有效的 Excel") {
		t.Fatalf("not xlsx: %d %s", resp.StatusCode, data)
	}
	// 50 MB: 413, refused on the declared length before the body is read.
	resp, data = h.catalogUpload(tok, make([]byte, 50<<20))
	if resp.StatusCode != 413 || errCode(t, data) != shuyu.ETOOLARGE {
		t.Fatalf("50 MB: %d %s", resp.StatusCode, data)
	}
	// Zip bomb: 413.
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, n := range []string{"[Content_Types].xml", "xl/workbook.xml"} {
		w, _ := zw.Create(n)
		w.Write([]byte("<x/>"))
	}
	w, _ := zw.Create("xl/sharedStrings.xml")
	zeros := make([]byte, 1<<20)
	for i := 0; i < catalogxlsx.MaxUnzipped>>20+1; i++ {
		w.Write(zeros)
	}
	zw.Close()
	resp, data = h.catalogUpload(tok, zb.Bytes())
	if resp.StatusCode != 413 || !strings.Contains(string(data), "压缩炸弹") {
		t.Fatalf("zip bomb: %d %s", resp.StatusCode, data)
	}
	// A workbook with bad rows: 422 listing row, column, message; nothing imported.
	var good bytes.Buffer
	entries := []*shuyu.CatalogEntry{
		{Code: "ZW-GA-0001", OrgName: "中卫市公安局", Revision: catalogRevPtr(catalogAPISample("人口基础信息"))},
		{Code: "ZW-XX-0001", OrgName: "中卫市不存在局", Revision: catalogRevPtr(catalogAPISample("不存在部门"))},
	}
	catalogxlsx.Export(&good, entries, nil)
	resp, data = h.catalogUpload(tok, good.Bytes())
	var e errorBody
	json.Unmarshal(data, &e)
	rows, _ := json.Marshal(e.Error.Details)
	if resp.StatusCode != 422 || !strings.Contains(string(rows), `"row":3`) || !strings.Contains(string(rows), "信息资源提供方") {
		t.Fatalf("bad rows: %d %s", resp.StatusCode, data)
	}
	if count() != 0 {
		t.Fatalf("half import: %d", count())
	}
	// The good row alone imports; a department cannot import at all for others.
	good.Reset()
	catalogxlsx.Export(&good, entries[:1], nil)
	resp, data = h.catalogUpload(tok, good.Bytes())
	if resp.StatusCode != 201 || count() != 1 {
		t.Fatalf("import: %d %s", resp.StatusCode, data)
	}
	resp, _ = h.catalogUpload(h.token("merchant-a"), good.Bytes())
	if resp.StatusCode != 403 {
		t.Fatalf("merchant import: %d", resp.StatusCode)
	}
}

func TestCatalogAPI_R8_6_Exports(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	resp, data := h.do("", "GET", "/api/v1/catalog/template.xlsx", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != xlsxType || !bytes.HasPrefix(data, []byte("PK")) {
		t.Fatalf("template: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var e shuyu.CatalogEntry
	h.call(h.token("dept-gongan"), "POST", "/api/v1/catalog", sqlstore.NewCatalogEntry{Code: "ZW-GA-0001", Revision: catalogAPISample("人口基础信息")}, 201, &e)
	for _, s := range []struct{ who, step string }{{"dept-gongan", "submit"}, {"authority", "approve_city"}, {"operator-admin", "publish"}} {
		h.call(h.token(s.who), "POST", "/api/v1/catalog/"+catalogID(e.ID)+"/steps", map[string]string{"step": s.step}, 200, nil)
	}
	resp, data = h.do("", "GET", "/api/v1/catalog/export.xlsx", nil)
	rows, err := catalogxlsx.Parse(data)
	if resp.StatusCode != 200 || err != nil || len(rows) != 1 || rows[0].Code != "ZW-GA-0001" {
		t.Fatalf("export.xlsx: %d %v", resp.StatusCode, err)
	}
	var dcat map[string]any
	resp, data = h.do("", "GET", "/api/v1/catalog/export.jsonld", nil)
	if err := json.Unmarshal(data, &dcat); err != nil || dcat["@type"] != "dcat:Catalog" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/ld+json") {
		t.Fatalf("dcat: %v %s", err, data)
	}
	ds := dcat["dcat:dataset"].([]any)[0].(map[string]any)
	if ds["dct:identifier"] != "ZW-GA-0001" || len(ds["sy:field"].([]any)) != 1 || !strings.HasSuffix(ds["dct:accrualPeriodicity"].(map[string]any)["@id"].(string), "DAILY") {
		t.Fatalf("dataset %v", ds)
	}
	var js struct{ Total int }
	h.call("", "GET", "/api/v1/catalog/export.json", nil, 200, &js)
	if js.Total != 1 {
		t.Fatalf("json export %d", js.Total)
	}
}

func TestCatalogAPI_R9_1_Demands(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	var dm shuyu.CatalogDemand
	h.call(h.token("merchant-a"), "POST", "/api/v1/demands", map[string]string{"title": "公交实时到站", "description": "开发到站提醒"}, 201, &dm)
	h.call(h.token("authority"), "POST", "/api/v1/demands/"+catalogID(dm.ID)+"/route", map[string]any{"org_id": h.actors["dept-gongan"].OrgID}, 200, &dm)
	h.call(h.token("dept-gongan"), "POST", "/api/v1/demands/"+catalogID(dm.ID)+"/answer", map[string]any{"status": "accepted", "response": "纳入下季度目录"}, 200, &dm)
	var list struct {
		Total  int
		Counts map[string]int
	}
	h.call(h.token("authority"), "GET", "/api/v1/demands", nil, 200, &list)
	if list.Total != 1 || list.Counts["accepted"] != 1 {
		t.Fatalf("demands %+v", list)
	}
	h.call(h.token("merchant-b"), "GET", "/api/v1/demands/"+catalogID(dm.ID), nil, 404, nil)
	h.call(h.token("merchant-a"), "POST", "/api/v1/demands", map[string]string{"title": "x"}, 400, nil)
}

func catalogRevPtr(r shuyu.CatalogRevision) *shuyu.CatalogRevision { return &r }

func catalogID(id int64) string { return strconv.FormatInt(id, 10) }
