package vault

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"shuyu"
)

func TestProfile_R2_1_ProtectedColumnsShowCountsOnly(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	if _, _, err := load(t, d, peopleSpec(), goodCSV(), FileCSV); err != nil {
		t.Fatal(err)
	}
	p, err := d.Profile(context.Background(), "people")
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]ColumnProfile{}
	for _, c := range p.Columns {
		by[c.Name] = c
	}
	for _, name := range []string{"id_no", "name", "mobile"} {
		c := by[name]
		if c.Min != nil || c.Max != nil || len(c.Top) != 0 {
			t.Errorf("%s: protected values shown: %+v", name, c)
		}
	}
	if by["id_no"].Count != 4 || by["id_no"].Distinct != 4 {
		t.Errorf("id_no counts = %+v", by["id_no"])
	}
	age := by["age"]
	if age.Min == nil || *age.Min != "34" || *age.Max != "151" || age.NullRate != 0.25 {
		t.Errorf("age = %+v", age)
	}
	if len(by["county"].Top) != 4 || by["county"].Top[0].Count != 1 {
		t.Errorf("county top = %+v", by["county"].Top)
	}
	js := fmt.Sprintf("%+v", p)
	for _, secret := range append(genIDs(3), "张三", "13800138000") {
		if strings.Contains(js, secret) {
			t.Errorf("profile leaks %q", secret)
		}
	}
	_, err = d.Profile(context.Background(), "nothing")
	mustCode(t, err, shuyu.ENOTFOUND)
}

func TestPreview_R4_2_PagingAndBounds(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	if _, _, err := load(t, d, peopleSpec(), goodCSV(), FileCSV); err != nil {
		t.Fatal(err)
	}
	_, rows, total, err := d.Preview(context.Background(), "people", 3, 2)
	if err != nil || total != 4 || len(rows) != 1 || rows[0][1] != "赵六" {
		t.Fatalf("page = %v %d %v", rows, total, err)
	}
	for _, p := range [][2]int{{-1, 10}, {0, 0}, {0, maxPreview + 1}} {
		_, _, _, err := d.Preview(context.Background(), "people", p[0], p[1])
		mustCode(t, err, shuyu.EINVALID)
	}
}

func TestExportRaw_R28_3_OnlyPublicSourceLeaves_R4_3(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	ctx := context.Background()
	if _, _, err := load(t, d, peopleSpec(), goodCSV(), FileCSV); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	mustCode(t, d.ExportRaw(ctx, "people", &buf), shuyu.EFORBIDDEN)
	if buf.Len() != 0 {
		t.Error("bytes written before refusal")
	}
	pub := Spec{Entry: "bus_stops", PublicSource: true, Columns: []Column{{Name: "stop", Type: TypeString}, {Name: "opened", Type: TypeDate}}}
	if _, _, err := load(t, d, pub, "stop,opened\n鼓楼,2020-05-01\n", FileCSV); err != nil {
		t.Fatal(err)
	}
	if err := d.ExportRaw(ctx, "bus_stops", &buf); err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(&buf).ReadAll()
	if len(recs) != 2 || recs[1][0] != "鼓楼" || recs[1][1] != "2020-05-01" {
		t.Errorf("export = %v", recs)
	}
	v, _ := d.Current(ctx, "bus_stops")
	if !v.PublicSource || v.NonPublic {
		t.Errorf("marks = %+v", v)
	}
}

func TestLoad_R10_1_XLSXJSONLAndParquet(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	ctx := context.Background()
	spec := Spec{Entry: "firms", NonPublic: true, Columns: []Column{
		{Name: "uscc", Label: "统一社会信用代码", Type: TypeString, Required: true, Format: FormatUSCC},
		{Name: "staff", Type: TypeInteger}, {Name: "active", Type: TypeBoolean}}}
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"staff", "统一社会信用代码", "active"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"12", "91640500MA76ABCD1X", "true"})
	f.SetSheetRow("Sheet1", "A3", &[]any{"7", "91350100M000100Y43"})
	var xb bytes.Buffer
	f.WriteTo(&xb)
	v, rep, err := d.Load(ctx, spec, bytes.NewReader(xb.Bytes()), FileXLSX, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Rows != 2 || !v.NonPublic || rep.Rules[0].Failed != 1 {
		t.Errorf("xlsx: %+v %+v", v, rep)
	}
	f.SetSheetRow("Sheet1", "A4", &[]any{"many", "91350100M000100Y43"})
	xb.Reset()
	f.WriteTo(&xb)
	_, _, err = d.Load(ctx, spec, bytes.NewReader(xb.Bytes()), FileXLSX, LoadOptions{})
	if re := rowErrors(t, err); len(re) != 1 || re[0].Row != 4 || re[0].Column != "staff" {
		t.Errorf("xlsx row errors = %+v", re)
	}
	_, _, err = d.Load(ctx, spec, strings.NewReader("PK\x03\x04garbage"), FileXLSX, LoadOptions{})
	mustCode(t, err, shuyu.EUNPROCESSABLE)

	jl := `{"uscc":"91350100M000100Y43","staff":3,"active":false}` + "\n" + `{"uscc":"91350100M000100Y43","staff":"x"}` + "\n"
	_, _, err = load(t, d, spec, jl, FileJSONL)
	if re := rowErrors(t, err); len(re) != 1 || re[0].Row != 2 || re[0].Column != "staff" {
		t.Errorf("jsonl row errors = %+v", re)
	}
	v, _, err = load(t, d, spec, `{"uscc":"91350100M000100Y43","staff":3,"active":false}`+"\n", FileJSONL)
	if err != nil || v.Rows != 1 {
		t.Fatalf("jsonl: %+v %v", v, err)
	}
	// Parquet: produce one with DuckDB inside the staging directory.
	pq := d.staging + "/fixture.parquet"
	if _, err := d.db.Exec("COPY (SELECT '91350100M000100Y43' AS uscc, 5::INT AS staff, true AS active) TO " + sqlString(pq) + " (FORMAT parquet)"); err != nil {
		t.Fatal(err)
	}
	data, err := readAndRemove(pq)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err = d.Load(ctx, spec, bytes.NewReader(data), FileParquet, LoadOptions{})
	if err != nil || v.Rows != 1 {
		t.Fatalf("parquet: %+v %v", v, err)
	}
	_, rows, _, _ := d.Preview(ctx, "firms", 0, 1)
	if rows[0][1] != int64(5) || rows[0][2] != true {
		t.Errorf("parquet values = %v", rows)
	}
	assertNoOrphans(t, d)
}
