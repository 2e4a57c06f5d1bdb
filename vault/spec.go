package vault

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"shuyu"
)

// ColType is the logical type of a column.
type ColType string

// Column types.
const (
	TypeString    ColType = "string"
	TypeInteger   ColType = "integer"
	TypeDecimal   ColType = "decimal" // stored as DECIMAL(18,6)
	TypeDate      ColType = "date"    // ISO 8601 YYYY-MM-DD
	TypeTimestamp ColType = "timestamp"
	TypeBoolean   ColType = "boolean"
)

// Format is a value format checked by a quality rule, or a file format.
type Format string

// Value formats (Column.Format).
const (
	FormatNone      Format = ""
	FormatCitizenID Format = "citizen_id" // GB 11643-1999 公民身份号码
	FormatUSCC      Format = "uscc"       // GB 32100-2015 统一社会信用代码
	FormatMobile    Format = "mobile"     // mainland mobile number
	FormatDate      Format = "date"       // a string holding YYYY-MM-DD
)

// File formats (Load's format argument).
const (
	FileCSV     Format = "csv"
	FileXLSX    Format = "xlsx"
	FileParquet Format = "parquet"
	FileJSONL   Format = "jsonl"
)

// Column describes one field (信息项) of a catalog entry's data.
type Column struct {
	Name     string // identifier and file header, e.g. "id_no"
	Label    string // name for people, e.g. "身份证号"
	Type     ColType
	Required bool // empty refuses the load
	Unique   bool // duplicates are a quality issue
	Enum     []string
	Min, Max *float64
	Format   Format
	// R2.1: marks that make the data handled more strictly.
	PI, SensitivePI, TradeSecret bool
	Grade                        string // 核心/重要/一般 (GB/T 43697-2024)
}

// Protected reports whether values of c may not be shown in profiles (R2.1).
func (c Column) Protected() bool { return c.PI || c.SensitivePI || c.TradeSecret }

// Spec is the shape of one catalog entry's data.
type Spec struct {
	Entry        string // catalog resource code; a safe identifier
	Columns      []Column
	PublicSource bool // R4.3: from public channels; exempt from R4.2/R28.3
	NonPublic    bool // R26.1: lawfully obtained non-public data, marked
}

var (
	entryRe  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,47}$`)
	columnRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
)

// reservedPrefix names the domain's own objects; entries may not use it.
const reservedPrefix = "_vault"

// Validate checks the spec; problems are an EINVALID error listing fields.
func (s Spec) Validate() error {
	var fe []shuyu.FieldError
	add := func(f, m string) { fe = append(fe, shuyu.FieldError{Field: f, Message: m}) }
	if !entryRe.MatchString(s.Entry) || strings.HasPrefix(s.Entry, reservedPrefix) {
		add("entry", "资源代码须为小写字母开头的字母、数字、下划线 (entry must be a safe identifier)")
	}
	if len(s.Columns) == 0 {
		add("columns", "至少需要一个信息项 (at least one column)")
	}
	if s.PublicSource && s.NonPublic {
		add("public_source", "公开来源数据与非公共数据标记不能同时设置 (public_source and non_public exclude each other)")
	}
	seen := map[string]bool{}
	for i, c := range s.Columns {
		f := fmt.Sprintf("columns[%d]", i)
		if !columnRe.MatchString(c.Name) {
			add(f+".name", "信息项名称须为字母、数字、下划线 (column name must be an identifier)")
		}
		if seen[strings.ToLower(c.Name)] {
			add(f+".name", "信息项名称重复 (duplicate column name)")
		}
		seen[strings.ToLower(c.Name)] = true
		if sqlType(c.Type) == "" {
			add(f+".type", "不支持的类型 (unknown type)")
		}
		switch c.Format {
		case FormatNone:
		case FormatCitizenID, FormatUSCC, FormatMobile, FormatDate:
			if c.Type != TypeString {
				add(f+".format", "格式校验只适用于文本类型 (format applies to string columns)")
			}
		default:
			add(f+".format", "不支持的格式 (unknown format)")
		}
		if (c.Min != nil || c.Max != nil) && c.Type != TypeInteger && c.Type != TypeDecimal {
			add(f+".min", "取值范围只适用于数值类型 (range applies to numbers)")
		}
		for _, p := range []*float64{c.Min, c.Max} {
			if p != nil && (math.IsNaN(*p) || math.IsInf(*p, 0)) {
				add(f+".min", "取值范围须为有限数 (range must be finite)")
			}
		}
		if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
			add(f+".min", "下限大于上限 (min above max)")
		}
	}
	if len(fe) > 0 {
		return shuyu.Errorf(shuyu.EINVALID, "数据规格无效 (invalid spec)").WithDetails(fe)
	}
	return nil
}

// sqlType maps a logical type to the DuckDB type it is stored as.
func sqlType(t ColType) string {
	switch t {
	case TypeString:
		return "VARCHAR"
	case TypeInteger:
		return "BIGINT"
	case TypeDecimal:
		return "DECIMAL(18,6)"
	case TypeDate:
		return "DATE"
	case TypeTimestamp:
		return "TIMESTAMP"
	case TypeBoolean:
		return "BOOLEAN"
	}
	return ""
}

// typeLabel is the Chinese name of a type, for row errors.
func typeLabel(t ColType) string {
	switch t {
	case TypeInteger:
		return "整数"
	case TypeDecimal:
		return "数值"
	case TypeDate:
		return "日期(YYYY-MM-DD)"
	case TypeTimestamp:
		return "时间"
	case TypeBoolean:
		return "布尔值"
	}
	return "文本"
}

func (s Spec) column(name string) (Column, bool) {
	for _, c := range s.Columns {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Column{}, false
}
