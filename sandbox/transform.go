package sandbox

import (
	"math"
	"strings"
)

// Row transforms (docs/disclosure.md, "One rule for row expressions"). A
// value computed on each row — a group key, an aggregate's argument, a
// column of a withheld result or of a subquery — may reshape a value
// (generalize a date, bin an amount, do arithmetic) but never test one:
// conditional logic (CASE, comparisons, NULLIF, COALESCE, pattern matching,
// functions undefined on part of their domain) could move one chosen person
// between groups or out of a sum, and only conditions in WHERE, ON, FILTER
// and HAVING pass low-effect detection.

// transformFuncs are total functions of one value with constant
// parameters; the arithmetic operators are handled apart.
var transformFuncs = map[string]bool{
	"floor": true, "ceil": true, "ceiling": true, "round": true, "abs": true, "sign": true,
	"year": true, "month": true, "quarter": true, "week": true, "day": true, "dayofweek": true, "yearweek": true,
	"date_trunc": true, "datetrunc": true, "date_part": true, "datepart": true, "strftime": true,
	"date_diff": true, "datediff": true, "date_sub": true, "datesub": true, "last_day": true,
	"left": true, "right": true, "substr": true, "substring": true, "length": true,
	"lower": true, "upper": true, "trim": true, "ltrim": true, "rtrim": true, "lpad": true, "rpad": true,
	"concat": true, "||": true, "md5": true, "hash": true,
	// masking functions, under the names they are rewritten to
	"shuyu_to_month": true, "shuyu_to_year": true, "shuyu_age_band": true, "shuyu_county_of": true,
	"shuyu_mask_partial": true, "shuyu_hmac_sm3": true, "shuyu_suppress": true,
}

// transform reports whether n is a row transform.
func (c *checker) transform(n node) bool { return c.transformOf(n, false) }

// transformOverUnits reports whether n, an expression of a per-person
// subquery's select list, is a row transform of its aggregates: each
// person's figure is a row value for the level above, so it may be
// reshaped but not tested (aggregate arguments are checked apart).
func (c *checker) transformOverUnits(n node) bool { return c.transformOf(n, true) }

func (c *checker) transformOf(n node, aggLeaves bool) bool {
	switch str(n, "class") {
	case "COLUMN_REF", "CONSTANT":
		return true
	case "CAST":
		return c.transformOf(obj(n, "child"), aggLeaves)
	case "OPERATOR":
		if str(n, "type") == "OPERATOR_TRY" {
			ch, _ := firstChild(arr(n, "children"))
			return c.transformOf(ch, aggLeaves)
		}
		return false
	case "FUNCTION":
		name := strings.ToLower(str(n, "function_name"))
		if aggLeaves && aggregates[name] {
			return true
		}
		ch := nodes(arr(n, "children"))
		for _, x := range ch {
			if !c.transformOf(x, aggLeaves) {
				return false
			}
		}
		switch name {
		case "+", "-", "*":
			return true
		case "lpad", "rpad":
			// A padded length from the data would make one row's string
			// as large as memory (an outcome and timing oracle found by
			// the red team): the length is a small constant.
			if len(ch) != 3 || !isConstant(ch[2]) {
				return false
			}
			w, ok := constNumber(ch[1])
			return ok && w >= 0 && w <= 64
		case "least", "greatest":
			// A clamp of one row value to constants maps intervals of
			// values to intervals, like a bin: least(floor(x / 500) * 500,
			// 10000) is a histogram with an open last bin. Two values
			// compared with each other would be a test, and so would a
			// clamp of each person's total summed outside: sum(least(total,
			// c)) for many c would be a family of nearly equal figures that
			// only the persons above c tell apart.
			if aggLeaves {
				return false
			}
			values := 0
			for _, x := range ch {
				if !isConstant(x) {
					values++
				}
			}
			return values <= 1
		case "shuyu_width_bucket":
			// width_bucket(x, lo, hi, n): fixed bins when lo < hi and n ≥ 1
			// are constants (an open bin below lo and one above hi).
			if len(ch) != 4 {
				return false
			}
			lo, ok1 := constNumber(ch[1])
			hi, ok2 := constNumber(ch[2])
			n, ok3 := constNumber(ch[3])
			return ok1 && ok2 && ok3 && lo < hi && n >= 1 && n <= 10000 && n == math.Trunc(n)
		case "replace":
			// replace(hospital, '卫生院', ''): a constant mapping of text
			// values, never longer (boundedSize).
			return len(ch) == 3 && isConstant(ch[1]) && isConstant(ch[2])
		case "/", "//", "%":
			// A divisor that is a column could be zero on one chosen row.
			if len(ch) != 2 {
				return false
			}
			d, ok := constNumber(ch[1])
			return ok && d != 0
		}
		return transformFuncs[name]
	}
	return false
}

// identShape reports whether n is an identifier as itself or masked
// (mask_hash, mask_partial, county_of of the bare column): the only forms in
// which an identifier may become a row value. Any other function of one —
// substr(phone, 4, 1), a CASE over it — would let a query test its digits.
func (c *checker) identShape(n node) bool {
	switch str(n, "class") {
	case "COLUMN_REF":
		return true
	case "CAST":
		return c.identShape(obj(n, "child"))
	case "OPERATOR":
		if str(n, "type") == "OPERATOR_TRY" {
			ch, _ := firstChild(arr(n, "children"))
			return c.identShape(ch)
		}
	case "FUNCTION":
		switch strings.ToLower(str(n, "function_name")) {
		case "shuyu_hmac_sm3", "shuyu_mask_partial", "shuyu_county_of":
			for _, x := range nodes(arr(n, "children")) {
				if str(x, "class") != "CONSTANT" && !c.identShape(x) {
					return false
				}
			}
			return true
		}
	}
	return false
}

const identShapeReason = "标识符列（身份证号、姓名、电话等）只能原样使用或经脱敏函数（mask_hash 等）使用，不能截取、拼接或做条件判断"

// transformReason is said when a row expression tests values.
const transformReason = "逐行计算只能改变取值的形式（如取年月、分段、四则运算），不能做条件判断；条件请写在 WHERE、FILTER (WHERE …) 或 HAVING 中"

// caseToFilter rewrites agg(CASE WHEN c THEN x [ELSE NULL] END) — and
// sum(CASE WHEN c THEN x ELSE 0 END) — into agg(x) FILTER (WHERE c), so the
// condition passes low-effect detection like any other.
func caseToFilter(n node, name string) {
	ch := arr(n, "children")
	if len(ch) == 0 {
		return
	}
	arg, _ := ch[0].(node)
	if str(arg, "class") != "CASE" || len(arr(arg, "case_checks")) != 1 {
		return
	}
	els := obj(arg, "else_expr")
	switch {
	case els == nil || constIsNull(els):
	case name == "sum" || name == "count_star":
		if v, ok := constNumber(els); !ok || v != 0 {
			return
		}
	default:
		return
	}
	check, _ := arr(arg, "case_checks")[0].(node)
	ch[0] = obj(check, "then_expr")
	cond := obj(check, "when_expr")
	if f := obj(n, "filter"); f != nil {
		cond = and(f, cond)
	}
	n["filter"] = cond
}

func constIsNull(n node) bool {
	if str(n, "class") == "CAST" {
		return constIsNull(obj(n, "child"))
	}
	if str(n, "class") != "CONSTANT" {
		return false
	}
	b, _ := obj(n, "value")["is_null"].(bool)
	return b
}

// caseShare rewrites sum or avg of CASE WHEN c THEN x ELSE d END, with d a
// numeric constant, into arithmetic over FILTERed aggregates, in place:
//
//	sum(…) = sum(x) FILTER (WHERE c) + d·(count(*) − count(*) FILTER (WHERE c))
//	avg(…) = that ÷ count(*)
//
// so avg(CASE WHEN 门诊 THEN 1 ELSE 0 END), the usual way to ask for a
// share, is answered with its condition under low-effect detection. It
// reports whether it rewrote n.
func caseShare(n node) bool {
	name := strings.ToLower(str(n, "function_name"))
	if (name != "sum" && name != "avg" && name != "mean") || n["filter"] != nil || n["distinct"] == true {
		return false
	}
	arg, _ := firstChild(arr(n, "children"))
	if str(arg, "class") != "CASE" || len(arr(arg, "case_checks")) != 1 {
		return false
	}
	els := obj(arg, "else_expr")
	d, ok := constNumber(els)
	if !ok || (d == 0 && name == "sum") {
		return false // NULL, or a sum's 0: caseToFilter's simpler form
	}
	check, _ := arr(arg, "case_checks")[0].(node)
	cond, then := obj(check, "when_expr"), obj(check, "then_expr")
	countAll := func() node { return fn("count_star", false, nil) }
	countIf := func() node { return fn("count_star", false, deepCopy(cond)) }
	op := func(o string, a, b node) node {
		f := fn(o, false, nil, a, b)
		f["is_operator"] = true
		return f
	}
	sum := op("+", fn("sum", false, deepCopy(cond), deepCopy(then)),
		op("*", castDouble(constNumberNode(d)), op("-", countAll(), countIf())))
	out := sum
	if name != "sum" {
		out = op("/", sum, countAll())
	}
	alias := str(n, "alias")
	for k := range n {
		delete(n, k)
	}
	for k, v := range out {
		n[k] = v
	}
	n["alias"] = alias
	return true
}

func constNumberNode(f float64) node {
	return node{"class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": noLocation,
		"value": node{"type": node{"id": "DOUBLE", "type_info": nil}, "is_null": false, "value": f}}
}

// isConstant reports whether n is a literal, possibly cast (DATE '2025-01-01').
func isConstant(n node) bool {
	switch str(n, "class") {
	case "CONSTANT":
		return true
	case "CAST":
		return isConstant(obj(n, "child"))
	}
	return false
}

// recode reports whether n recodes one value into constant labels: a CASE
// whose conditions all test the same row transform against constants and
// whose results are constants (custom age groups, hospital levels), or
// COALESCE of one value with constants. As a group key of the statement
// it only draws group boundaries, like a bin: each label is a set of
// values of one expression, and a label held by few persons is below K.
// It is not a transform: as a row value summed or counted further out it
// would be a condition no low-effect test sees.
func (c *checker) recode(n node) bool {
	switch str(n, "class") {
	case "CASE":
		// Each label comes from one simple test (no AND/OR/NOT): a label
		// shared by two tests, or a test that is a union, could add one
		// chosen person to a large group, which WHERE would have caught
		// by low-effect detection (red team, round three). Equality and
		// IN test text values only (categories); dates and numbers are
		// binned by ranges.
		var value string
		checks := nodes(arr(n, "case_checks"))
		if len(checks) == 0 {
			return false
		}
		labels := map[string]bool{}
		label := func(x node) bool {
			k := canon(x, nil)
			if labels[k] {
				return false
			}
			labels[k] = true
			return true
		}
		for _, cc := range checks {
			w := obj(cc, "when_expr")
			if !isConstant(obj(cc, "then_expr")) || !label(obj(cc, "then_expr")) || !c.simpleTest(w) || !c.testsOne(w, &value) {
				return false
			}
		}
		e := obj(n, "else_expr")
		return e == nil || (isConstant(e) && label(e))
	case "OPERATOR":
		if str(n, "type") != "OPERATOR_COALESCE" {
			return false
		}
		values := 0
		for _, x := range nodes(arr(n, "children")) {
			switch {
			case isConstant(x):
			case c.transform(x):
				values++
			default:
				return false
			}
		}
		return values == 1
	}
	return false
}

// testsOne reports whether the condition p compares one row transform
// (the same in every part: *value holds its canonical form) with
// constants only.
func (c *checker) testsOne(p node, value *string) bool {
	same := func(e node) bool {
		if e == nil || isConstant(e) || !c.transform(e) || !hasColumn(e) {
			return false
		}
		k := c.canon(e)
		if *value == "" {
			*value = k
		}
		return *value == k
	}
	allConst := func(xs []node) bool {
		for _, x := range xs {
			if !isConstant(x) {
				return false
			}
		}
		return true
	}
	switch str(p, "class") {
	case "CONJUNCTION":
		for _, x := range nodes(arr(p, "children")) {
			if !c.testsOne(x, value) {
				return false
			}
		}
		return true
	case "OPERATOR":
		ch := nodes(arr(p, "children"))
		switch str(p, "type") {
		case "OPERATOR_NOT":
			return len(ch) == 1 && c.testsOne(ch[0], value)
		case "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL":
			return len(ch) == 1 && same(ch[0])
		case "COMPARE_IN", "COMPARE_NOT_IN":
			return len(ch) >= 2 && same(ch[0]) && allConst(ch[1:])
		}
	case "COMPARISON":
		l, r := obj(p, "left"), obj(p, "right")
		switch {
		case isConstant(r):
			return same(l)
		case isConstant(l):
			return same(r)
		}
	case "BETWEEN":
		return same(obj(p, "input")) && isConstant(obj(p, "lower")) && isConstant(obj(p, "upper"))
	case "FUNCTION":
		ch := nodes(arr(p, "children"))
		switch strings.ToLower(str(p, "function_name")) {
		case "~~", "!~~", "~~*", "!~~*", "prefix", "suffix", "starts_with", "ends_with", "contains":
			return len(ch) == 2 && same(ch[0]) && isConstant(ch[1])
		}
	}
	return false
}

// simpleTest reports whether p is one comparison of a value with constants
// (no AND, OR or NOT), equality and IN only on text.
func (c *checker) simpleTest(p node) bool {
	text := func(e node) bool {
		if str(e, "class") == "COLUMN_REF" {
			_, col := c.resolve(e)
			return col != nil && !numericType(col.Type) && !c.temporal(e) && col.Type != ""
		}
		return false
	}
	switch str(p, "class") {
	case "COMPARISON":
		switch str(p, "type") {
		case "COMPARE_EQUAL", "COMPARE_NOTEQUAL", "COMPARE_NOT_DISTINCT_FROM", "COMPARE_DISTINCT_FROM":
			return text(obj(p, "left")) || text(obj(p, "right"))
		}
		return true
	case "BETWEEN":
		return true
	case "OPERATOR":
		switch str(p, "type") {
		case "COMPARE_IN", "COMPARE_NOT_IN":
			ch := nodes(arr(p, "children"))
			return len(ch) > 0 && text(ch[0])
		case "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL":
			return true
		}
	case "FUNCTION":
		return true // LIKE and its kin (testsOne checks the form)
	}
	return false
}
