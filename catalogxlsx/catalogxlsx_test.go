package catalogxlsx

import (
	"archive/zip"
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"shuyu"
)

func sampleEntries() []*shuyu.CatalogEntry {
	return []*shuyu.CatalogEntry{
		{Code: "ZW-GA-0001", OrgName: "中卫市公安局", Region: "640500", Revision: &shuyu.CatalogRevision{
			Name: "人口基础信息", Summary: "户籍人口基础信息", CategoryID: 2, Grade: shuyu.GradeImportant,
			OpenAttr: shuyu.OpenConditional, AuthMode: shuyu.AuthScenario, UpdateFreq: shuyu.FreqDaily, TimeSpan: "2010年至今", Volume: "约120万条",
			Fields: []shuyu.CatalogField{
				{Name: "id_number", Label: "公民身份号码", DataType: "string", PI: true, SensitivePI: true, Grade: shuyu.GradeImportant},
				{Name: "birth_date", Label: "出生日期", DataType: "date", PI: true, Grade: shuyu.GradeGeneral, Description: "YYYY-MM-DD"},
			}}},
		{Code: "ZW-QX-0001", OrgName: "中卫市气象局", Region: "640500", Revision: &shuyu.CatalogRevision{
			Name: "逐日气象观测", Summary: "公开的逐日气象观测数据", Grade: shuyu.GradeGeneral, GradeLevel: 1, PublicSource: true,
			OpenAttr: shuyu.OpenUnconditional, AuthMode: shuyu.AuthWhole, UpdateFreq: shuyu.FreqRealtime,
			Fields: []shuyu.CatalogField{{Name: "obs_time", Label: "观测时间", DataType: "datetime", Grade: shuyu.GradeGeneral}}}},
	}
}

var sampleCats = []shuyu.CatalogCategory{{ID: 1, Code: "04", Name: "公共安全"}, {ID: 2, Code: "0401", Name: "人口管理", ParentID: 1}}

func book(t *testing.T, entries []*shuyu.CatalogEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Export(&b, entries, sampleCats); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func rowErrs(t *testing.T, err error) []shuyu.RowError {
	t.Helper()
	if shuyu.ErrorCode(err) != shuyu.EUNPROCESSABLE {
		t.Fatalf("want unprocessable, got %v", err)
	}
	return shuyu.ErrorDetails(err).([]shuyu.RowError)
}

func TestXLSX_R8_6_ExportParses(t *testing.T) {
	t.Parallel()
	rows, err := Parse(book(t, sampleEntries()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Code != "ZW-GA-0001" || rows[0].CategoryCode != "0401" || rows[0].Row != 2 || rows[1].Row != 3 {
		t.Fatalf("rows %+v", rows)
	}
	want := *sampleEntries()[0].Revision
	want.CategoryID = 0 // the store resolves the code
	if !reflect.DeepEqual(rows[0].Revision, want) {
		t.Fatalf("revision\n got %+v\nwant %+v", rows[0].Revision, want)
	}
	if !reflect.DeepEqual(rows[0].FieldRows, []int{2, 3}) || !rows[1].Revision.PublicSource || rows[1].Revision.GradeLevel != 1 {
		t.Fatalf("second row %+v", rows[1])
	}
}

func TestXLSX_R8_6_TemplateHasHeadersAndNoData(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := Template(&b, sampleCats); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(EntriesSheet)
	if len(rows) != 1 || !reflect.DeepEqual(rows[0], EntryHeaders) {
		t.Fatalf("entries sheet %v", rows)
	}
	guide, _ := f.GetRows(GuideSheet)
	if !strings.Contains(guide[len(guide)-1][1], "人口管理") {
		t.Fatalf("guide lacks categories: %v", guide[len(guide)-1])
	}
	_, err = Parse(b.Bytes())
	if e := rowErrs(t, err); !strings.Contains(e[0].Message, "没有目录数据") {
		t.Fatalf("empty template: %v", e)
	}
}

// edit changes cells of an exported workbook, like a user in Excel.
func edit(t *testing.T, data []byte, fn func(f *excelize.File)) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	fn(f)
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestXLSX_Inv5_EveryBadCellIsReportedNothingReturned(t *testing.T) {
	t.Parallel()
	data := edit(t, book(t, sampleEntries()), func(f *excelize.File) {
		f.SetCellValue(EntriesSheet, "G2", "绝密")         // grade
		f.SetCellValue(EntriesSheet, "L3", "每小时")        // update frequency
		f.SetCellValue(EntriesSheet, "A4", "ZW-GA-0001") // duplicate code
		f.SetCellValue(EntriesSheet, "B4", "重复")         // (name so the row is not blank)
		f.SetCellValue(FieldsSheet, "D3", "blob")        // data type
		f.SetCellValue(FieldsSheet, "F2", "也许")          // PI flag
		f.SetCellValue(FieldsSheet, "A5", "ZW-XX-0404")  // unknown entry
		f.SetCellValue(EntriesSheet, "E2", "")           // summary missing
		f.SetCellValue(EntriesSheet, "I3", "禁止开放")       // R4.5
		f.SetCellValue(FieldsSheet, "I4", "核心")          // field stricter than its entry
	})
	_, err := Parse(data)
	got := map[string]bool{}
	for _, e := range rowErrs(t, err) {
		if e.Message == "" || e.Row == 0 {
			t.Errorf("vague problem %+v", e)
		}
		got[e.Column+"@"+string(rune('0'+e.Row))] = true
	}
	for _, w := range []string{"目录/分级@2", "目录/更新频率@3", "目录/资源代码@4", "信息项/数据类型@3", "信息项/个人信息@2",
		"信息项/资源代码@5", "目录/数据摘要@2", "目录/开放属性@3", "信息项/分级@4"} {
		if !got[w] {
			t.Errorf("missing problem %s; got %v", w, got)
		}
	}
}

func TestXLSX_Inv5_MissingColumnAndSheet(t *testing.T) {
	t.Parallel()
	data := edit(t, book(t, sampleEntries()), func(f *excelize.File) {
		f.SetCellValue(EntriesSheet, "G1", "级别")
		f.DeleteSheet(FieldsSheet)
	})
	_, err := Parse(data)
	msgs := ""
	for _, e := range rowErrs(t, err) {
		msgs += e.Column + ":" + e.Message + ";"
	}
	if !strings.Contains(msgs, "缺少必需的列“分级”") || !strings.Contains(msgs, "缺少工作表“信息项”") {
		t.Fatalf("problems: %s", msgs)
	}
}

func TestXLSX_Inv5_NotAWorkbook(t *testing.T) {
	t.Parallel()
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("readme.txt")
	w.Write([]byte("hello"))
	zw.Close()
	for name, data := range map[string][]byte{
		"text":      []byte("资源代码,目录名称\nZW-GA-0001,人口\n"),
		"empty":     nil,
		"plain zip": zb.Bytes(),
		"truncated": book(t, sampleEntries())[:2000],
	} {
		_, err := Parse(data)
		if shuyu.ErrorCode(err) != shuyu.EINVALID || !strings.Contains(shuyu.ErrorMessage(err), "不是有效的 Excel") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestXLSX_Inv5_ZipBombAndSizeCap(t *testing.T) {
	t.Parallel()
	// A valid-looking workbook with one member that inflates past the cap:
	// about 100 KB on the wire.
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, n := range []string{"[Content_Types].xml", "xl/workbook.xml"} {
		w, _ := zw.Create(n)
		w.Write([]byte("<x/>"))
	}
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	zeros := make([]byte, 1<<20)
	for i := 0; i < MaxUnzipped>>20+1; i++ {
		w.Write(zeros)
	}
	zw.Close()
	if zb.Len() > MaxUpload {
		t.Fatalf("bomb is %d bytes, not a bomb", zb.Len())
	}
	_, err := Parse(zb.Bytes())
	if shuyu.ErrorCode(err) != shuyu.ETOOLARGE || !strings.Contains(shuyu.ErrorMessage(err), "压缩炸弹") {
		t.Fatalf("zip bomb: %v", err)
	}
	_, err = Parse(make([]byte, MaxUpload+1))
	if shuyu.ErrorCode(err) != shuyu.ETOOLARGE {
		t.Fatalf("oversize: %v", err)
	}
}
