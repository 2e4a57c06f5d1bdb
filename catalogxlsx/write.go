package catalogxlsx

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"shuyu"
)

// Template writes the empty import template: the two data sheets with
// Chinese headers and drop-down lists, and a guide sheet with the allowed
// values and the category codes.
func Template(w io.Writer, cats []shuyu.CatalogCategory) error {
	f, err := newBook(cats)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Write(w)
}

// Export writes published entries in the import format, so an exported
// file imports back unchanged (the round trip is tested).
func Export(w io.Writer, entries []*shuyu.CatalogEntry, cats []shuyu.CatalogCategory) error {
	f, err := newBook(cats)
	if err != nil {
		return err
	}
	defer f.Close()
	code := map[int64]string{}
	for _, c := range cats {
		code[c.ID] = c.Code
	}
	er, fr := 2, 2
	for _, e := range entries {
		r := e.Revision
		if r == nil {
			continue
		}
		level := ""
		if r.GradeLevel != 0 {
			level = strconv.Itoa(r.GradeLevel)
		}
		row := []any{e.Code, r.Name, e.OrgName, e.Region, r.Summary, code[r.CategoryID], shuyu.GradeLabels[r.Grade], level,
			shuyu.OpenAttrLabels[r.OpenAttr], boolCell(r.PublicSource), shuyu.AuthModeLabels[r.AuthMode],
			shuyu.UpdateFreqLabels[r.UpdateFreq], r.TimeSpan, r.Volume}
		if err := setRow(f, EntriesSheet, er, row); err != nil {
			return err
		}
		er++
		for _, fl := range r.Fields {
			row := []any{e.Code, fl.Name, fl.Label, shuyu.FieldTypeLabels[fl.DataType], fl.Description, boolCell(fl.PI),
				boolCell(fl.SensitivePI), boolCell(fl.TradeSecret), shuyu.GradeLabels[fl.Grade]}
			if err := setRow(f, FieldsSheet, fr, row); err != nil {
				return err
			}
			fr++
		}
	}
	return f.Write(w)
}

func setRow(f *excelize.File, sheet string, n int, row []any) error {
	// Every cell is text: codes like "0201" must not become numbers.
	cells := make([]any, len(row))
	for i, v := range row {
		cells[i] = fmt.Sprint(v)
	}
	return f.SetSheetRow(sheet, "A"+strconv.Itoa(n), &cells)
}

func newBook(cats []shuyu.CatalogCategory) (*excelize.File, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", EntriesSheet); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(FieldsSheet); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(GuideSheet); err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DCE6F1"}}})
	if err != nil {
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": cells stay text
	if err != nil {
		return nil, err
	}
	for _, s := range []struct {
		name    string
		headers []string
	}{{EntriesSheet, EntryHeaders}, {FieldsSheet, FieldHeaders}} {
		if err := setRow(f, s.name, 1, toAny(s.headers)); err != nil {
			return nil, err
		}
		last, _ := excelize.ColumnNumberToName(len(s.headers))
		if err := f.SetCellStyle(s.name, "A1", last+"1", head); err != nil {
			return nil, err
		}
		if err := f.SetColStyle(s.name, "A:"+last, text); err != nil {
			return nil, err
		}
		if err := f.SetColWidth(s.name, "A", last, 16); err != nil {
			return nil, err
		}
		if err := f.SetPanes(s.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return nil, err
		}
	}
	lists := []struct {
		sheet, col string
		values     []string
	}{
		{EntriesSheet, "G", enumList(shuyu.Grades, shuyu.GradeLabels)},
		{EntriesSheet, "I", enumList(shuyu.OpenAttrs[:2], shuyu.OpenAttrLabels)},
		{EntriesSheet, "J", []string{"是", "否"}},
		{EntriesSheet, "K", enumList(shuyu.AuthModes, shuyu.AuthModeLabels)},
		{EntriesSheet, "L", enumList(shuyu.UpdateFreqs, shuyu.UpdateFreqLabels)},
		{FieldsSheet, "D", enumList(shuyu.FieldTypes, shuyu.FieldTypeLabels)},
		{FieldsSheet, "F", []string{"是", "否"}},
		{FieldsSheet, "G", []string{"是", "否"}},
		{FieldsSheet, "H", []string{"是", "否"}},
		{FieldsSheet, "I", enumList(shuyu.Grades, shuyu.GradeLabels)},
	}
	for _, l := range lists {
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(fmt.Sprintf("%s2:%s%d", l.col, l.col, MaxEntries+1))
		if err := dv.SetDropList(l.values); err != nil {
			return nil, err
		}
		if err := f.AddDataValidation(l.sheet, dv); err != nil {
			return nil, err
		}
	}
	if err := writeGuide(f, cats); err != nil {
		return nil, err
	}
	return f, nil
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func writeGuide(f *excelize.File, cats []shuyu.CatalogCategory) error {
	lines := [][]any{
		{"授权运营目录导入模板 填写说明"},
		{"1. “目录”工作表每行一个目录；“信息项”工作表每行一个信息项，以“资源代码”关联到目录，按行序排列。"},
		{"2. 资源代码：3 至 40 位大写字母、数字或连字符，全市唯一，如 ZW-GA-0001。"},
		{"3. 信息资源提供方：填写数源部门的全称，如“中卫市公安局”；行政区划代码可不填，填写时须与部门一致。"},
		{"4. 分级：核心、重要、一般（GB/T 43697-2024）；一般数据可填级别 1 至 " + strconv.Itoa(shuyu.MaxGeneralLevel) + "；目录分级不得低于其任一信息项。"},
		{"5. 开放属性为“禁止开放”的数据不得纳入授权运营目录（R4.5），导入时会被拒绝。"},
		{"6. 公开来源（R4.3）：仅从公开渠道取得或已依法公开的数据填“是”，且不得含敏感个人信息、商业秘密，不得为核心、重要数据。"},
		{"7. 整个文件先全部校验；任何一处错误都会列出行号、列名和原因，并且不导入任何目录。"},
		{""},
		{"分类编码", "分类名称", "上级编码"},
	}
	parent := map[int64]string{}
	for _, c := range cats {
		parent[c.ID] = c.Code
	}
	for _, c := range cats {
		lines = append(lines, []any{c.Code, c.Name, parent[c.ParentID]})
	}
	for i, l := range lines {
		if err := setRow(f, GuideSheet, i+1, l); err != nil {
			return err
		}
	}
	return f.SetColWidth(GuideSheet, "A", "A", 14)
}
