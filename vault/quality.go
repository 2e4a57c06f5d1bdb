package vault

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"shuyu"
)

// QualityReport is the result of the quality rules over one load (R11.1).
// It holds counts only, never values, so it can travel back to the source
// department and into notices (R31.1).
type QualityReport struct {
	Rows  int64        `json:"rows"`
	Score float64      `json:"score"` // 0..100: share of (row, rule) checks passed
	Rules []RuleResult `json:"rules"`
}

// RuleResult is one rule applied to one column.
type RuleResult struct {
	Column  string `json:"column"`
	Rule    string `json:"rule"` // unique, enum, range, citizen_id, uscc, mobile, date
	Failed  int64  `json:"failed"`
	Message string `json:"message"`
}

// What refuses a load and what only lowers its score (R10.1, R11.1):
//   - refused (EUNPROCESSABLE with row errors): a structurally bad row (wrong
//     column count, broken quoting, bad encoding), a value that does not parse
//     as its column's type, an empty required field;
//   - counted in the report: duplicates in a unique column, values outside an
//     enumeration or range, and failed format checks (citizen ID, USCC,
//     mobile, date text). These are the source department's to fix (R11.1)
//     and must not block supply of the rest.

var citizenWeights = []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
var usccWeights = []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// provincePrefixes are GB/T 2260 province-level codes, as GB 11643 uses them.
var provincePrefixes = []string{"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35",
	"36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
	"71", "81", "82"}

// formatMacros builds the format checks as DuckDB macros, so that a million
// rows are checked inside the engine's vectorized loop, not row by row in Go.
func formatMacros() []string {
	var cid, uscc []string
	for i, w := range citizenWeights {
		cid = append(cid, fmt.Sprintf("(ord(s[%d])-48)*%d", i+1, w))
	}
	for i, w := range usccWeights {
		uscc = append(uscc, fmt.Sprintf("(strpos('%s', s[%d])-1)*%d", usccAlphabet, i+1, w))
	}
	quoted := make([]string, len(provincePrefixes))
	for i, p := range provincePrefixes {
		quoted[i] = "'" + p + "'"
	}
	return []string{
		// GB 11643-1999: province prefix, real birth date from 1800, MOD 11-2 check.
		`CREATE OR REPLACE TEMP MACRO sy_citizen_id_ok(s) AS CASE WHEN regexp_full_match(s, '[0-9]{17}[0-9X]')
			AND s[1:2] IN (` + strings.Join(quoted, ",") + `)
			AND try_strptime(s[7:14], '%Y%m%d') IS NOT NULL AND s[7:10] >= '1800'
			THEN '10X98765432'[((` + strings.Join(cid, "+") + `) % 11) + 1] = s[18] ELSE false END`,
		// GB 32100-2015: check = 31 - (sum mod 31), where 31 is written 0.
		`CREATE OR REPLACE TEMP MACRO sy_uscc_ok(s) AS CASE WHEN regexp_full_match(s, '[0-9A-HJ-NPQRTUWXY]{18}')
			THEN '` + usccAlphabet + `'[((31 - ((` + strings.Join(uscc, "+") + `) % 31)) % 31) + 1] = s[18] ELSE false END`,
		`CREATE OR REPLACE TEMP MACRO sy_mobile_core(d) AS regexp_full_match(d, '1[3-9][0-9]{9}')`,
		// Mainland mobile, allowing +86/0086/86 and spaces or hyphens (as ident.NormalizeMobile).
		`CREATE OR REPLACE TEMP MACRO sy_mobile2(t, d) AS CASE
			WHEN NOT regexp_full_match(t, '\+?[0-9 \-]*') THEN false
			WHEN t[1] = '+' THEN length(d) = 13 AND d[1:2] = '86' AND sy_mobile_core(d[3:])
			WHEN length(d) = 15 AND d[1:4] = '0086' THEN sy_mobile_core(d[5:])
			WHEN length(d) = 13 AND d[1:2] = '86' THEN sy_mobile_core(d[3:])
			ELSE sy_mobile_core(d) END`,
		`CREATE OR REPLACE TEMP MACRO sy_mobile_ok(s) AS sy_mobile2(trim(s, ' '), regexp_replace(s, '[^0-9]', '', 'g'))`,
		`CREATE OR REPLACE TEMP MACRO sy_date_ok(s) AS length(s) = 10 AND try_strptime(s, '%Y-%m-%d') IS NOT NULL`,
	}
}

func createMacros(ctx context.Context, c *sql.Conn) error {
	for _, m := range formatMacros() {
		if _, err := c.ExecContext(ctx, m); err != nil {
			return SanitizeError(err)
		}
	}
	return nil
}

// maxRowErrors caps the row errors returned for one refused file.
const maxRowErrors = 100

// checkRequired refuses the load if a required field is empty (R10.1),
// naming rows: row = rowid + rowBase.
func checkRequired(ctx context.Context, c *sql.Conn, table string, spec Spec, rowBase int) error {
	var req []Column
	var conds []string
	for _, col := range spec.Columns {
		if col.Required {
			req = append(req, col)
			conds = append(conds, ident(col.Name)+" IS NULL")
		}
	}
	if len(req) == 0 {
		return nil
	}
	sel := make([]string, len(conds))
	for i, cond := range conds {
		sel[i] = "(" + cond + ")"
	}
	q := fmt.Sprintf("SELECT rowid, %s FROM %s WHERE %s ORDER BY rowid LIMIT %d",
		strings.Join(sel, ", "), ident(table), strings.Join(conds, " OR "), maxRowErrors)
	rows, err := c.QueryContext(ctx, q)
	if err != nil {
		return SanitizeError(err)
	}
	defer rows.Close()
	var errs []shuyu.RowError
	for rows.Next() {
		var rowid int64
		flags := make([]bool, len(req))
		dest := []any{&rowid}
		for i := range flags {
			dest = append(dest, &flags[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return SanitizeError(err)
		}
		for i, f := range flags {
			if f && len(errs) < maxRowErrors {
				errs = append(errs, shuyu.RowError{Row: int(rowid) + rowBase, Column: req[i].Name, Message: "必填项为空 (required field empty)"})
			}
		}
	}
	if err := rows.Err(); err != nil {
		return SanitizeError(err)
	}
	if len(errs) > 0 {
		return shuyu.Errorf(shuyu.EUNPROCESSABLE, "文件有%d处以上必填项为空，已拒收 (required fields empty; file refused)", len(errs)).WithDetails(errs)
	}
	return nil
}

// quality runs the counted rules of spec over table (R11.1).
func quality(ctx context.Context, c *sql.Conn, table string, spec Spec) (*QualityReport, error) {
	exprs := []string{"count(*)"}
	var rules []RuleResult
	add := func(col, rule, msg, expr string) {
		rules = append(rules, RuleResult{Column: col, Rule: rule, Message: msg})
		exprs = append(exprs, expr)
	}
	for _, col := range spec.Columns {
		q := ident(col.Name)
		if col.Unique {
			add(col.Name, "unique", "值重复 (duplicate values)", fmt.Sprintf("count(%s) - count(DISTINCT %s)", q, q))
		}
		if len(col.Enum) > 0 {
			lits := make([]string, len(col.Enum))
			for i, e := range col.Enum {
				lits[i] = sqlString(e)
			}
			add(col.Name, "enum", "值不在枚举范围内 (not in enumeration)",
				fmt.Sprintf("count_if(%s IS NOT NULL AND CAST(%s AS VARCHAR) NOT IN (%s))", q, q, strings.Join(lits, ",")))
		}
		if col.Min != nil || col.Max != nil {
			var cond []string
			if col.Min != nil {
				cond = append(cond, fmt.Sprintf("%s < %s", q, strconv.FormatFloat(*col.Min, 'g', -1, 64)))
			}
			if col.Max != nil {
				cond = append(cond, fmt.Sprintf("%s > %s", q, strconv.FormatFloat(*col.Max, 'g', -1, 64)))
			}
			add(col.Name, "range", "值超出取值范围 (out of range)", "count_if("+strings.Join(cond, " OR ")+")")
		}
		if col.Format != FormatNone {
			msg := map[Format]string{
				FormatCitizenID: "身份证号码格式或校验码错误 (invalid citizen ID)",
				FormatUSCC:      "统一社会信用代码格式或校验码错误 (invalid USCC)",
				FormatMobile:    "手机号码格式错误 (invalid mobile number)",
				FormatDate:      "日期格式错误，应为YYYY-MM-DD (invalid date)",
			}[col.Format]
			add(col.Name, string(col.Format), msg, fmt.Sprintf("count_if(%s IS NOT NULL AND NOT sy_%s_ok(%s))", q, col.Format, q))
		}
	}
	vals := make([]int64, len(exprs))
	dest := make([]any, len(exprs))
	for i := range vals {
		dest[i] = &vals[i]
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + ident(table)
	if err := c.QueryRowContext(ctx, q).Scan(dest...); err != nil {
		return nil, SanitizeError(err)
	}
	rep := &QualityReport{Rows: vals[0], Score: 100, Rules: rules}
	var failed int64
	for i := range rules {
		rep.Rules[i].Failed = vals[i+1]
		failed += vals[i+1]
	}
	if checks := rep.Rows * int64(len(rules)); checks > 0 {
		rep.Score = 100 * float64(checks-failed) / float64(checks)
	}
	if rep.Rules == nil {
		rep.Rules = []RuleResult{}
	}
	return rep, nil
}
