// Package catalogxlsx exchanges the authorized-operation catalog as Excel
// (.xlsx), the form catalogs travel in between Chinese government bodies
// (R8.6: the operator's catalog exchange standard). It writes the template
// and the export, and reads a bulk import: the whole file is checked first
// and every problem is reported as row, column and a Chinese message, so that
// an import is all or nothing (invariant 5).
//
// Uploads are untrusted zip archives: sizes are capped and every member is
// decompressed under a running limit before excelize sees the file, so a zip
// bomb is refused without being inflated.
package catalogxlsx

import (
	"fmt"
	"strings"

	"shuyu"
)

// Limits on an uploaded workbook.
const (
	MaxUpload      = 10 << 20 // bytes of the .xlsx itself
	MaxUnzipped    = 64 << 20 // bytes of all its members, decompressed
	MaxMembers     = 500      // files inside the archive
	MaxEntries     = 5000     // entry rows
	MaxFieldRows   = 100_000  // field rows
	maxCellRunes   = 2000
	EntriesSheet   = "目录"
	FieldsSheet    = "信息项"
	GuideSheet     = "填写说明"
	CategoriesHint = "分类编码见“填写说明”"
)

// Column headers, in file order. Import finds columns by header, so their
// order may change; export and the template write them in this order.
var (
	EntryHeaders = []string{"资源代码", "目录名称", "信息资源提供方", "行政区划代码", "数据摘要", "分类编码", "分级",
		"一般数据级别", "开放属性", "公开来源", "授权模式", "更新频率", "时间范围", "数据量"}
	FieldHeaders = []string{"资源代码", "字段名", "信息项名称", "数据类型", "说明", "个人信息", "敏感个人信息", "商业秘密", "分级"}
)

// required headers: the rest may be absent (empty values).
var requiredEntry = []string{"资源代码", "目录名称", "信息资源提供方", "数据摘要", "分级", "开放属性", "授权模式", "更新频率"}
var requiredField = []string{"资源代码", "字段名", "信息项名称", "数据类型", "分级"}

// revisionColumn maps a shuyu.FieldError field of a revision to the column
// header it came from, so content rules report in the file's terms.
var revisionColumn = map[string]string{
	"name": "目录名称", "summary": "数据摘要", "grade": "分级", "grade_level": "一般数据级别", "open_attr": "开放属性",
	"public_source": "公开来源", "auth_mode": "授权模式", "update_freq": "更新频率", "time_span": "时间范围",
	"volume": "数据量", "fields": "资源代码", "category_id": "分类编码", "code": "资源代码", "org_id": "信息资源提供方",
}

var fieldColumn = map[string]string{
	"name": "字段名", "label": "信息项名称", "data_type": "数据类型", "description": "说明", "pi": "个人信息",
	"sensitive_pi": "敏感个人信息", "trade_secret": "商业秘密", "grade": "分级",
}

// RowErrors turns a revision's validation error into row errors: entry
// problems on the entry's row, field problems on the field's row.
func RowErrors(r *shuyu.CatalogImportRow, err error) []shuyu.RowError {
	fe, ok := shuyu.ErrorDetails(err).([]shuyu.FieldError)
	if !ok {
		return []shuyu.RowError{{Row: r.Row, Column: EntriesSheet, Message: shuyu.ErrorMessage(err)}}
	}
	var out []shuyu.RowError
	for _, f := range fe {
		var i int
		var attr string
		if n, _ := fmt.Sscanf(f.Field, "fields[%d].%s", &i, &attr); n == 2 && i >= 0 && i < len(r.FieldRows) {
			out = append(out, shuyu.RowError{Row: r.FieldRows[i], Column: FieldsSheet + "/" + fieldColumn[attr], Message: f.Message})
			continue
		}
		col := revisionColumn[f.Field]
		if col == "" {
			col = f.Field
		}
		out = append(out, shuyu.RowError{Row: r.Row, Column: EntriesSheet + "/" + col, Message: f.Message})
	}
	return out
}

// Problems is the error of a rejected import: EUNPROCESSABLE with the row
// list as details.
func Problems(rows []shuyu.RowError) error {
	if len(rows) > 200 {
		rows = rows[:200]
	}
	return shuyu.Errorf(shuyu.EUNPROCESSABLE, "导入文件有 %d 处错误，未导入任何目录，请修改后重新上传 (import refused, nothing imported)",
		len(rows)).WithDetails(rows)
}

// label lookups for cells: Chinese labels and the English codes both work.
func parseEnum[T ~string](labels map[T]string, cell string) (T, bool) {
	cell = strings.TrimSpace(cell)
	for v, l := range labels {
		if cell == l || strings.EqualFold(cell, string(v)) {
			return v, true
		}
	}
	return "", false
}

func parseBool(cell string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(cell)) {
	case "是", "y", "yes", "true", "1":
		return true, true
	case "", "否", "n", "no", "false", "0":
		return false, true
	}
	return false, false
}

func boolCell(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func enumList[T ~string](order []T, labels map[T]string) []string {
	out := make([]string, len(order))
	for i, v := range order {
		out[i] = labels[v]
	}
	return out
}
