package catalogxlsx

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"shuyu"
)

// errNotXLSX is the answer to anything that is not an Excel workbook.
func errNotXLSX() error {
	return shuyu.Errorf(shuyu.EINVALID, "上传的文件不是有效的 Excel 工作簿 (.xlsx)，请使用下载的模板填写 (not an .xlsx workbook)")
}

// checkArchive inspects the zip container before any parsing: member count,
// and the real decompressed size of every member read under a running cap
// (declared sizes can lie), so a zip bomb costs at most MaxUnzipped bytes of
// inflation and is refused.
func checkArchive(data []byte) error {
	if len(data) > MaxUpload {
		return shuyu.Errorf(shuyu.ETOOLARGE, "文件超过 %d MB 上限 (file too large)", MaxUpload>>20)
	}
	if len(data) < 4 || !bytes.Equal(data[:4], []byte("PK\x03\x04")) {
		return errNotXLSX()
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return errNotXLSX()
	}
	if len(zr.File) > MaxMembers {
		return shuyu.Errorf(shuyu.ETOOLARGE, "文件内部结构异常（成员过多），已拒绝 (too many archive members)")
	}
	var hasTypes, hasBook bool
	var total int64
	for _, f := range zr.File {
		switch f.Name {
		case "[Content_Types].xml":
			hasTypes = true
		case "xl/workbook.xml":
			hasBook = true
		}
		if f.UncompressedSize64 > MaxUnzipped {
			return errZipBomb()
		}
		rc, err := f.Open()
		if err != nil {
			return errNotXLSX()
		}
		n, err := io.Copy(io.Discard, io.LimitReader(rc, MaxUnzipped-total+1))
		rc.Close()
		total += n
		if total > MaxUnzipped {
			return errZipBomb()
		}
		if err != nil {
			return errNotXLSX()
		}
	}
	if !hasTypes || !hasBook {
		return errNotXLSX()
	}
	return nil
}

func errZipBomb() error {
	return shuyu.Errorf(shuyu.ETOOLARGE, "文件解压后超过 %d MB 上限，疑似压缩炸弹，已拒绝 (decompressed size over the cap)", MaxUnzipped>>20)
}

// open checks the archive, then hands it to excelize with its own size
// limits as a second guard.
func open(data []byte) (*excelize.File, error) {
	if err := checkArchive(data); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: MaxUnzipped, UnzipXMLSizeLimit: MaxUnzipped})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || strings.Contains(err.Error(), "zip") {
			return nil, errNotXLSX()
		}
		return nil, errNotXLSX()
	}
	return f, nil
}

type sheet struct {
	name string
	col  map[string]int
	rows [][]string
}

func (s *sheet) cell(row []string, header string) string {
	i, ok := s.col[header]
	if !ok || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

func readSheet(f *excelize.File, name string, headers, required []string, max int) (*sheet, []shuyu.RowError) {
	rows, err := f.GetRows(name)
	if err != nil {
		return nil, []shuyu.RowError{{Row: 0, Column: name, Message: "缺少工作表“" + name + "”，请使用下载的模板"}}
	}
	if len(rows) == 0 {
		return nil, []shuyu.RowError{{Row: 1, Column: name, Message: "工作表“" + name + "”缺少表头"}}
	}
	if len(rows)-1 > max {
		return nil, []shuyu.RowError{{Row: max + 2, Column: name, Message: fmt.Sprintf("工作表“%s”超过 %d 行上限", name, max)}}
	}
	s := &sheet{name: name, col: map[string]int{}}
	for i, h := range rows[0] {
		h = strings.TrimSpace(h)
		if h != "" {
			s.col[h] = i
		}
	}
	var errs []shuyu.RowError
	for _, h := range required {
		if _, ok := s.col[h]; !ok {
			errs = append(errs, shuyu.RowError{Row: 1, Column: name + "/" + h, Message: "缺少必需的列“" + h + "”"})
		}
	}
	s.rows = rows[1:]
	return s, errs
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// Parse reads an uploaded workbook into import rows. Any problem in any row
// makes it return an EUNPROCESSABLE error listing them all (and no rows);
// a file that is not a workbook is EINVALID; an oversized or bomb file is
// ETOOLARGE. Department names, category codes and duplicates against the
// store are checked by the store's import, in the same all-or-nothing way.
func Parse(data []byte) ([]shuyu.CatalogImportRow, error) {
	f, err := open(data)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	es, errs := readSheet(f, EntriesSheet, EntryHeaders, requiredEntry, MaxEntries)
	fs, ferrs := readSheet(f, FieldsSheet, FieldHeaders, requiredField, MaxFieldRows)
	errs = append(errs, ferrs...)
	if len(errs) > 0 {
		return nil, Problems(errs)
	}
	var out []shuyu.CatalogImportRow
	byCode := map[string]int{}
	for i, row := range es.rows {
		if blank(row) {
			continue
		}
		r, rerrs := parseEntry(es, row, i+2)
		errs = append(errs, rerrs...)
		if r.Code != "" {
			if prev, dup := byCode[r.Code]; dup {
				errs = append(errs, shuyu.RowError{Row: r.Row, Column: EntriesSheet + "/资源代码",
					Message: fmt.Sprintf("资源代码“%s”与第 %d 行重复", r.Code, out[prev].Row)})
				continue
			}
			byCode[r.Code] = len(out)
		}
		out = append(out, r)
	}
	if len(out) == 0 && len(errs) == 0 {
		return nil, Problems([]shuyu.RowError{{Row: 2, Column: EntriesSheet, Message: "文件中没有目录数据"}})
	}
	for i, row := range fs.rows {
		if blank(row) {
			continue
		}
		n := i + 2
		code := strings.ToUpper(fs.cell(row, "资源代码"))
		k, ok := byCode[code]
		if !ok {
			errs = append(errs, shuyu.RowError{Row: n, Column: FieldsSheet + "/资源代码",
				Message: "资源代码“" + code + "”在“目录”工作表中不存在"})
			continue
		}
		fld, ferrs := parseField(fs, row, n)
		errs = append(errs, ferrs...)
		out[k].Revision.Fields = append(out[k].Revision.Fields, fld)
		out[k].FieldRows = append(out[k].FieldRows, n)
	}
	for i := range out {
		r := &out[i]
		r.Revision.Normalize()
		if err := r.Revision.Validate(); err != nil {
			errs = append(errs, RowErrors(r, err)...)
		}
		// R4.5: prohibited data never enters the catalog, not even as an
		// imported draft.
		if r.Revision.OpenAttr == shuyu.OpenProhibited {
			errs = append(errs, shuyu.RowError{Row: r.Row, Column: EntriesSheet + "/开放属性",
				Message: "禁止开放的数据不得纳入授权运营目录 (R4.5)"})
		}
	}
	if len(errs) > 0 {
		return nil, Problems(dedupe(errs))
	}
	return out, nil
}

func dedupe(errs []shuyu.RowError) []shuyu.RowError {
	seen := map[shuyu.RowError]bool{}
	var out []shuyu.RowError
	for _, e := range errs {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

func tooLong(s string) bool { return len([]rune(s)) > maxCellRunes }

func parseEntry(s *sheet, row []string, n int) (shuyu.CatalogImportRow, []shuyu.RowError) {
	var errs []shuyu.RowError
	bad := func(col, msg string) {
		errs = append(errs, shuyu.RowError{Row: n, Column: EntriesSheet + "/" + col, Message: msg})
	}
	for _, h := range EntryHeaders {
		if tooLong(s.cell(row, h)) {
			bad(h, fmt.Sprintf("内容超过 %d 个字符", maxCellRunes))
		}
	}
	r := shuyu.CatalogImportRow{Row: n, Code: strings.ToUpper(s.cell(row, "资源代码")), OrgName: s.cell(row, "信息资源提供方"),
		Region: s.cell(row, "行政区划代码"), CategoryCode: s.cell(row, "分类编码")}
	if r.Code == "" {
		bad("资源代码", "资源代码不能为空")
	} else if err := shuyu.ValidateCode(r.Code); err != nil {
		bad("资源代码", "资源代码须为 3 至 40 位大写字母、数字或连字符，如 ZW-GA-0001")
	}
	if r.OrgName == "" {
		bad("信息资源提供方", "信息资源提供方不能为空")
	}
	rev := &r.Revision
	rev.Name, rev.Summary = s.cell(row, "目录名称"), s.cell(row, "数据摘要")
	rev.TimeSpan, rev.Volume = s.cell(row, "时间范围"), s.cell(row, "数据量")
	var ok bool
	if rev.Grade, ok = parseEnum(shuyu.GradeLabels, s.cell(row, "分级")); !ok {
		bad("分级", "分级须为：核心、重要、一般")
	}
	if lv := s.cell(row, "一般数据级别"); lv != "" {
		v, err := strconv.Atoi(lv)
		if err != nil {
			bad("一般数据级别", fmt.Sprintf("一般数据级别须为 1 至 %d 的整数", shuyu.MaxGeneralLevel))
		}
		rev.GradeLevel = v
	}
	if rev.OpenAttr, ok = parseEnum(shuyu.OpenAttrLabels, s.cell(row, "开放属性")); !ok {
		bad("开放属性", "开放属性须为：无条件开放、有条件开放、禁止开放")
	}
	if rev.AuthMode, ok = parseEnum(shuyu.AuthModeLabels, s.cell(row, "授权模式")); !ok {
		bad("授权模式", "授权模式须为：整体授权、分领域授权、依场景授权")
	}
	if rev.UpdateFreq, ok = parseEnum(shuyu.UpdateFreqLabels, s.cell(row, "更新频率")); !ok {
		bad("更新频率", "更新频率须为：实时、每日、每周、每月、每季度、每年、不定期")
	}
	if rev.PublicSource, ok = parseBool(s.cell(row, "公开来源")); !ok {
		bad("公开来源", "公开来源须填“是”或“否”")
	}
	return r, errs
}

func parseField(s *sheet, row []string, n int) (shuyu.CatalogField, []shuyu.RowError) {
	var errs []shuyu.RowError
	bad := func(col, msg string) {
		errs = append(errs, shuyu.RowError{Row: n, Column: FieldsSheet + "/" + col, Message: msg})
	}
	for _, h := range FieldHeaders {
		if tooLong(s.cell(row, h)) {
			bad(h, fmt.Sprintf("内容超过 %d 个字符", maxCellRunes))
		}
	}
	f := shuyu.CatalogField{Name: s.cell(row, "字段名"), Label: s.cell(row, "信息项名称"), Description: s.cell(row, "说明")}
	var ok bool
	if f.DataType, ok = parseEnum(shuyu.FieldTypeLabels, s.cell(row, "数据类型")); !ok {
		bad("数据类型", "数据类型须为："+strings.Join(enumList(shuyu.FieldTypes, shuyu.FieldTypeLabels), "、"))
	}
	if f.Grade, ok = parseEnum(shuyu.GradeLabels, s.cell(row, "分级")); !ok {
		bad("分级", "分级须为：核心、重要、一般")
	}
	for _, b := range []struct {
		col string
		v   *bool
	}{{"个人信息", &f.PI}, {"敏感个人信息", &f.SensitivePI}, {"商业秘密", &f.TradeSecret}} {
		if *b.v, ok = parseBool(s.cell(row, b.col)); !ok {
			bad(b.col, b.col+"须填“是”或“否”")
		}
	}
	return f, errs
}
