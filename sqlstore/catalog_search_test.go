package sqlstore_test

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"

	"shuyu"
	"shuyu/catalogxlsx"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

func TestCatalog_R8_5_SearchChineseSubstringsAndFacets(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		ctx := context.Background()
		catalogPublish(t, db, a, "dept-gongan", "", "ZW-GA-0001", "人口基础信息")
		catalogPublish(t, db, a, "dept-gongan", "", "ZW-GA-0002", "机动车登记信息")
		catalogPublish(t, db, a, "dept-haiyuan-weijian", "county-haiyuan", "HY-WJ-0001", "海原县出生医学证明")
		// A draft is never found.
		db.CreateCatalogEntry(ctx, a["dept-gongan"], sqlstore.NewCatalogEntry{Code: "ZW-GA-0003", Revision: catalogSample("人口迁移草稿")})

		search := func(f sqlstore.CatalogFilter) *sqlstore.CatalogPage {
			t.Helper()
			p, err := db.PublishedEntries(ctx, nil, f)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			return p
		}
		for _, c := range []struct {
			q    string
			want int
		}{
			{"", 3}, {"人口", 2 + 1}, // two characters: LIKE fallback; the sample summary says 户籍人口 too
			{"人口基础", 1}, {"机动车", 1}, {"公民身份号码", 3}, // field label
			{"中卫市公安局", 2}, {"海原", 1}, {"HY-WJ", 1}, {"不存在的数据", 0}, {"100%", 0}, {"人口 机动车", 1}, {"海原 机动车", 0}, {"出生 海原", 1},
		} {
			p := search(sqlstore.CatalogFilter{Q: c.q})
			if p.Total != c.want || len(p.Items) != c.want {
				t.Errorf("q=%q: total %d items %d, want %d", c.q, p.Total, len(p.Items), c.want)
			}
		}
		// A name hit ranks first; items list fields, never data.
		p := search(sqlstore.CatalogFilter{Q: "人口"})
		if p.Items[0].Code != "ZW-GA-0001" || len(p.Items[0].Revision.Fields) != 3 || p.Items[0].Working != nil {
			t.Fatalf("first hit %+v", p.Items[0])
		}
		// Facets count every filter but their own.
		p = search(sqlstore.CatalogFilter{Region: shuyu.RegionHaiyuan})
		if p.Total != 1 {
			t.Fatalf("region filter: %d", p.Total)
		}
		counts := map[string]int{}
		for _, fc := range p.Facets["region"] {
			counts[fc.Label] = fc.Count
		}
		if counts["中卫市"] != 2 || counts["海原县"] != 1 {
			t.Fatalf("region facet %+v", counts)
		}
		if len(p.Facets["org"]) != 1 || p.Facets["org"][0].Label != "海原县卫生健康局" {
			t.Fatalf("org facet under region filter: %+v", p.Facets["org"])
		}
		for _, k := range []string{"org", "category", "grade", "update_freq", "region", "open_attr"} {
			if _, ok := p.Facets[k]; !ok {
				t.Errorf("facet %s missing", k)
			}
		}
		if p.Facets["grade"][0].Label != "重要" {
			t.Errorf("grade facet label %+v", p.Facets["grade"][0])
		}
		p = search(sqlstore.CatalogFilter{OrgID: a["dept-gongan"].OrgID, Limit: 1, Offset: 1})
		if p.Total != 2 || len(p.Items) != 1 || p.Items[0].Code != "ZW-GA-0002" {
			t.Fatalf("paging: %d %+v", p.Total, p.Items)
		}
		if _, err := db.PublishedEntries(ctx, nil, sqlstore.CatalogFilter{Grade: "secret"}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("bad grade: %v", err)
		}
	})
}

func TestCatalog_R8_6_ImportExportRoundTrip(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		ctx := context.Background()
		cats, _ := db.CatalogCategories(ctx)
		src := []*shuyu.CatalogEntry{
			{Code: "HY-WJ-0001", OrgName: "海原县卫生健康局", Region: "640522", Revision: &shuyu.CatalogRevision{
				Name: "乡镇卫生院名录", Summary: "公开的卫生院名录", Grade: shuyu.GradeGeneral, GradeLevel: 2, PublicSource: true,
				OpenAttr: shuyu.OpenUnconditional, AuthMode: shuyu.AuthWhole, UpdateFreq: shuyu.FreqYearly,
				Fields: []shuyu.CatalogField{{Name: "org_name", Label: "机构名称", DataType: "string", Grade: shuyu.GradeGeneral},
					{Name: "beds", Label: "床位数", DataType: "integer", Grade: shuyu.GradeGeneral}}}},
			{Code: "ZW-GA-0001", OrgName: "中卫市公安局", Region: "640500", Revision: &shuyu.CatalogRevision{
				Name: "人口基础信息", Summary: "户籍人口基础信息", CategoryID: cats[0].ID, Grade: shuyu.GradeImportant,
				OpenAttr: shuyu.OpenConditional, AuthMode: shuyu.AuthScenario, UpdateFreq: shuyu.FreqDaily, TimeSpan: "2010年至今", Volume: "约120万条",
				Fields: []shuyu.CatalogField{
					{Name: "id_number", Label: "公民身份号码", DataType: "string", PI: true, SensitivePI: true, Grade: shuyu.GradeImportant, Description: "18位"},
					{Name: "birth_month", Label: "出生年月", DataType: "month", PI: true, Grade: shuyu.GradeGeneral},
				}}},
		}
		var file bytes.Buffer
		if err := catalogxlsx.Export(&file, src, cats); err != nil {
			t.Fatal(err)
		}
		rows, err := catalogxlsx.Parse(file.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		// A department may import only its own entries: nothing happens.
		if _, err := db.ImportCatalog(ctx, a["dept-gongan"], rows); shuyu.ErrorCode(err) != shuyu.EUNPROCESSABLE {
			t.Fatalf("dept imports another's: %v", err)
		}
		ids, err := db.ImportCatalog(ctx, a["authority"], rows)
		if err != nil || len(ids) != 2 {
			t.Fatalf("import: %v", err)
		}
		for i, id := range ids {
			who := []string{"dept-haiyuan-weijian", "dept-gongan"}[i]
			steps := []shuyu.CatalogStep{shuyu.StepSubmit, shuyu.StepApproveCity, shuyu.StepPublish}
			actors := []string{who, "authority", "operator-admin"}
			if i == 0 {
				steps = append([]shuyu.CatalogStep{shuyu.StepSubmit, shuyu.StepApproveCounty}, steps[1:]...)
				actors = append([]string{who, "county-haiyuan"}, actors[1:]...)
			}
			for k, s := range steps {
				if _, err := db.CatalogStep(ctx, a[actors[k]], id, s, ""); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
		}
		pub, err := db.PublishedCatalog(ctx)
		if err != nil || len(pub) != 2 {
			t.Fatalf("published: %v %d", err, len(pub))
		}
		var out bytes.Buffer
		if err := catalogxlsx.Export(&out, pub, cats); err != nil {
			t.Fatal(err)
		}
		// The exported workbook has exactly the cells of the imported one.
		for _, sheet := range []string{catalogxlsx.EntriesSheet, catalogxlsx.FieldsSheet} {
			if got, want := cells(t, out.Bytes(), sheet), cells(t, file.Bytes(), sheet); !reflect.DeepEqual(got, want) {
				t.Errorf("%s differs:\n got %q\nwant %q", sheet, got, want)
			}
		}
		// Importing it again is refused as duplicates, and adds nothing.
		again, _ := catalogxlsx.Parse(out.Bytes())
		_, err = db.ImportCatalog(ctx, a["authority"], again)
		if shuyu.ErrorCode(err) != shuyu.EUNPROCESSABLE {
			t.Fatalf("re-import: %v", err)
		}
		if d := shuyu.ErrorDetails(err).([]shuyu.RowError); len(d) != 2 || d[0].Row != 2 || d[0].Column != "目录/资源代码" {
			t.Fatalf("re-import problems %+v", d)
		}
	})
}

func TestCatalog_Inv5_ImportUnknownDepartmentImportsNothing(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		ctx := context.Background()
		good := shuyu.CatalogImportRow{Row: 2, Code: "ZW-GA-0001", OrgName: "中卫市公安局", Revision: catalogSample("人口基础信息")}
		rows := []shuyu.CatalogImportRow{good,
			{Row: 3, Code: "ZW-XX-0001", OrgName: "中卫市不存在局", Revision: catalogSample("不存在")},
			{Row: 4, Code: "ZW-XX-0002", OrgName: "甲数据科技有限公司", Revision: catalogSample("商户")},
			{Row: 5, Code: "ZW-GA-0005", OrgName: "中卫市公安局", Region: "640522", Revision: catalogSample("区划不符")},
			{Row: 6, Code: "ZW-GA-0006", OrgName: "中卫市公安局", CategoryCode: "99", Revision: catalogSample("分类不存在")},
		}
		_, err := db.ImportCatalog(ctx, a["authority"], rows)
		if shuyu.ErrorCode(err) != shuyu.EUNPROCESSABLE {
			t.Fatalf("import: %v", err)
		}
		byRow := map[int]string{}
		for _, p := range shuyu.ErrorDetails(err).([]shuyu.RowError) {
			byRow[p.Row] = p.Column
		}
		if len(byRow) != 4 || byRow[3] != "目录/信息资源提供方" || byRow[4] != "目录/信息资源提供方" || byRow[5] != "目录/行政区划代码" || byRow[6] != "目录/分类编码" {
			t.Fatalf("problems %+v", byRow)
		}
		var n int
		db.SQL().QueryRow(`SELECT count(*) FROM catalog_entries`).Scan(&n)
		if n != 0 {
			t.Fatalf("half import: %d entries", n)
		}
	})
}

func cells(t *testing.T, data []byte, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
