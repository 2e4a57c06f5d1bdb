package sandbox

import (
	"strings"
	"time"
)

// Dates that identify (docs/disclosure.md, rule 3b; R28.3). A date of birth
// with a township singles out three persons in four of a city; its year with
// township, gender, ethnicity and household type one in forty. So a
// quasi-identifying date (a Quasi column of a date or time type) may split
// persons in a condition — WHERE, ON, FILTER, HAVING, the tests of a recoding
// CASE — only along whole years: year(d) = 1980, age_band(d, 10) = '30-39',
// d >= DATE '1980-01-01' AND d < DATE '1990-01-01'. Months and days remain
// usable as group keys (to_month(d)), where every group is released only
// when it holds K persons; a day as a group key is refused like the bare
// column. Dates that are not quasi-identifiers (a visit date marked
// sensitive, an open date) are not restricted by this rule.

// grain is how finely an expression depends on a quasi-identifying date.
type grain int

const (
	grainNone  grain = iota // no quasi-identifying date
	grainYear               // whole years (year, age band, decade)
	grainMonth              // months or quarters
	grainAge                // ages on the reference date: each year split at today's day
	grainDay                // days or finer: the date itself
)

const grainReason = "出生日期等可识别个人的日期在条件中只能按整年划分，如 year(birth_date) = 1980、date_diff('year', birth_date, current_date) >= 60（按跨过的年数，含今年才满 60 岁的人；精确周岁可作为分组键，如 GROUP BY date_sub('year', birth_date, current_date)）或 birth_date >= DATE '1980-01-01' AND birth_date < DATE '1990-01-01'；年龄段（age_band）、按月、按日统计请写在 GROUP BY 中"

// quasiDate reports whether n is a bare quasi-identifying date column
// (possibly cast or inside TRY).
func (c *checker) quasiDate(n node) bool {
	switch str(n, "class") {
	case "COLUMN_REF":
		_, col := c.resolve(n)
		return col != nil && col.Policy == Quasi && c.temporal(n)
	case "CAST":
		t := strings.ToUpper(str(obj(n, "cast_type"), "id"))
		return (strings.HasPrefix(t, "DATE") || strings.HasPrefix(t, "TIMESTAMP")) && c.quasiDate(obj(n, "child"))
	case "OPERATOR":
		if str(n, "type") == "OPERATOR_TRY" {
			ch, _ := firstChild(arr(n, "children"))
			return c.quasiDate(ch)
		}
	}
	return false
}

// bareDate is a quasi-identifying date as itself: the column, or one
// person's min or max of it (a per-person subquery's birth date).
func (c *checker) bareDate(n node) bool {
	if c.quasiDate(n) {
		return true
	}
	if str(n, "class") == "FUNCTION" {
		switch strings.ToLower(str(n, "function_name")) {
		case "min", "max":
			ch := nodes(arr(n, "children"))
			return len(ch) == 1 && n["filter"] == nil && c.quasiDate(ch[0])
		}
	}
	return false
}

// yearParts are date parts whose values change only at a new year.
var yearParts = map[string]bool{
	// Not isoyear: ISO years begin on a Monday, so they split a calendar
	// year at a day (red team, round five).
	"year": true, "years": true, "y": true, "yr": true, "yrs": true, "yyyy": true,
	"decade": true, "decades": true, "century": true, "centuries": true, "millennium": true, "millennia": true,
}

var monthParts = map[string]bool{
	"month": true, "months": true, "mon": true, "mons": true, "quarter": true, "quarters": true,
}

// partGrain is the grain of a date part named by a constant.
func partGrain(n node) grain {
	p := strings.ToLower(strings.TrimSpace(constText(n)))
	switch {
	case yearParts[p]:
		return grainYear
	case monthParts[p]:
		return grainMonth
	}
	return grainDay
}

// grainOf is how finely expression n depends on quasi-identifying dates.
func (c *checker) grainOf(n node) grain {
	if n == nil {
		return grainNone
	}
	if c.quasiDate(n) {
		return grainDay
	}
	switch str(n, "class") {
	case "CONSTANT":
		return grainNone
	case "COLUMN_REF":
		return grainNone
	case "COMPARISON", "BETWEEN", "CONJUNCTION", "OPERATOR":
		// A condition inside a value (CASE WHEN …, a boolean summed).
		return c.conditionGrain(n)
	case "CASE":
		g := c.grainOf(obj(n, "else_expr"))
		for _, cc := range nodes(arr(n, "case_checks")) {
			g = max(g, c.conditionGrain(obj(cc, "when_expr")), c.grainOf(obj(cc, "then_expr")))
		}
		return g
	case "CAST":
		return c.grainOf(obj(n, "child"))
	case "FUNCTION":
		name := strings.ToLower(str(n, "function_name"))
		ch := nodes(arr(n, "children"))
		onDate := func(i int) bool { return i < len(ch) && c.bareDate(ch[i]) }
		othersFree := func(skip int) bool {
			for i, x := range ch {
				if i != skip && c.grainOf(x) != grainNone {
					return false
				}
			}
			return true
		}
		switch name {
		case "year", "decade", "century", "millennium", "shuyu_to_year", "to_year":
			if onDate(0) && othersFree(0) {
				return grainYear
			}
		case "shuyu_age_band", "age_band":
			if onDate(0) && othersFree(0) {
				return grainAge
			}
		case "month", "quarter", "shuyu_to_month", "to_month":
			if onDate(0) && othersFree(0) {
				return grainMonth
			}
		case "date_part", "datepart", "date_trunc", "datetrunc":
			if len(ch) == 2 && isConstant(ch[0]) && onDate(1) {
				return partGrain(ch[0])
			}
		case "strftime":
			// The finest field the format prints: strftime(d, '%Y') is a
			// year, '%Y-%m' a month, anything with a day or an unknown
			// field a day.
			if len(ch) == 2 && onDate(0) && str(ch[1], "class") == "CONSTANT" {
				if f, ok := obj(ch[1], "value")["value"].(string); ok {
					return strftimeGrain(f)
				}
			}
		case "date_sub", "datesub":
			// Full years between a birth date and the reference date are an
			// age, like age_band: a group key, not a condition.
			if len(ch) == 3 && isConstant(ch[0]) && partGrain(ch[0]) == grainYear &&
				(onDate(1) && c.isRefDate(ch[2]) || onDate(2) && c.isRefDate(ch[1])) {
				return grainAge
			}
		case "date_diff", "datediff":
			// date_diff('year', a, b) counts year boundaries: year(b) − year(a).
			if len(ch) == 3 && isConstant(ch[0]) && (onDate(1) && othersFree(1) || onDate(2) && othersFree(2)) {
				return partGrain(ch[0])
			}
		}
	}
	// Anything else is as fine as its finest part; a bare date inside
	// any other function (strftime, date_sub, day, arithmetic) is a day.
	return c.childGrain(n)
}

// childGrain is the finest grain of the expressions directly under n.
func (c *checker) childGrain(n node) grain {
	g := grainNone
	walkChildren(n, func(x node) {
		if h := c.grainOf(x); h > g {
			g = h
		}
	})
	return g
}

// walkChildren calls f on each expression directly under n.
func walkChildren(n node, f func(node)) {
	for _, k := range []string{"child", "left", "right", "input", "lower", "upper", "else_expr", "filter"} {
		if x := obj(n, k); x != nil {
			f(x)
		}
	}
	for _, x := range nodes(arr(n, "children")) {
		f(x)
	}
	for _, cc := range nodes(arr(n, "case_checks")) {
		f(obj(cc, "when_expr"))
		f(obj(cc, "then_expr"))
	}
}

// conditionGrain is how finely condition p splits persons by
// quasi-identifying dates: comparisons of the date itself with the first
// day of a year (>=, <) or the last (<=, >) split whole years.
func (c *checker) conditionGrain(p node) grain {
	switch str(p, "class") {
	case "CONJUNCTION":
		g := grainNone
		for _, x := range nodes(arr(p, "children")) {
			if h := c.conditionGrain(x); h > g {
				g = h
			}
		}
		return g
	case "OPERATOR":
		switch str(p, "type") {
		case "OPERATOR_NOT", "OPERATOR_TRY":
			if ch, ok := firstChild(arr(p, "children")); ok && len(arr(p, "children")) == 1 {
				return c.conditionGrain(ch)
			}
		case "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL":
			if ch, ok := firstChild(arr(p, "children")); ok && c.bareDate(ch) {
				return grainNone // known or not: no split by time
			}
		}
		return c.childGrain(p)
	case "COMPARISON":
		l, r := obj(p, "left"), obj(p, "right")
		typ := str(p, "type")
		if c.bareDate(r) && isConstant(l) {
			l, r = r, l
			typ = mirror[typ]
		}
		if c.bareDate(l) && isConstant(r) {
			switch typ {
			case "COMPARE_GREATERTHANOREQUALTO", "COMPARE_LESSTHAN":
				if yearEdge(constText(r), true) {
					return grainYear
				}
			case "COMPARE_LESSTHANOREQUALTO", "COMPARE_GREATERTHAN":
				if yearEdge(constText(r), false) {
					return grainYear
				}
			}
			return grainDay
		}
		return c.childGrain(p)
	case "BETWEEN":
		if c.bareDate(obj(p, "input")) && isConstant(obj(p, "lower")) && isConstant(obj(p, "upper")) {
			if yearEdge(constText(obj(p, "lower")), true) && yearEdge(constText(obj(p, "upper")), false) {
				return grainYear
			}
			return grainDay
		}
		return c.childGrain(p)
	}
	return c.grainOf(p)
}

// mirror is the comparison with its sides swapped.
var mirror = map[string]string{
	"COMPARE_GREATERTHANOREQUALTO": "COMPARE_LESSTHANOREQUALTO",
	"COMPARE_LESSTHANOREQUALTO":    "COMPARE_GREATERTHANOREQUALTO",
	"COMPARE_GREATERTHAN":          "COMPARE_LESSTHAN",
	"COMPARE_LESSTHAN":             "COMPARE_GREATERTHAN",
}

// yearEdge reports whether s is the first day of a year (first) or the
// last day of one, with no time of day but midnight.
func yearEdge(s string, first bool) bool {
	s = strings.TrimSpace(s)
	for _, suffix := range []string{" 00:00:00", "T00:00:00", " 00:00", " 00:00:00.000"} {
		s = strings.TrimSuffix(s, suffix)
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return false
	}
	if first {
		return t.Month() == time.January && t.Day() == 1
	}
	return t.Month() == time.December && t.Day() == 31
}

// isRefDate reports whether n is the reference date (current_date, which
// the checker replaces by the day's constant).
func (c *checker) isRefDate(n node) bool {
	return isConstant(n) && c.refDate != "" && strings.HasPrefix(strings.TrimSpace(constText(n)), c.refDate)
}

// constText is a constant's value as text ("" for anything else).
func constText(n node) string {
	switch str(n, "class") {
	case "CAST":
		return constText(obj(n, "child"))
	case "CONSTANT":
		v := obj(n, "value")
		if b, _ := v["is_null"].(bool); b {
			return ""
		}
		if s, ok := v["value"].(string); ok {
			return s
		}
	}
	return ""
}

// splitsByYear refuses condition p when it splits persons by a
// quasi-identifying date more finely than whole years.
func (c *checker) splitsByYear(p node, where string) {
	if p != nil && c.conditionGrain(p) > grainYear {
		c.refuse("date_grain", "%s：%s", where, grainReason)
	}
	// Rule 3c: and sensitive numbers at round numbers only (amount.go).
	if p != nil && !c.amountCondition(p) {
		c.refuse("amount_grain", "%s：%s", where, amountReason)
	}
}

// recodeSplits checks a test of a recoding CASE in a group key of the
// statement itself: its labels merge groups that GROUP BY could show one by
// one, so it may split birth dates by exact ages as age group keys do
// (CASE WHEN date_sub('year', birth_date, current_date) < 18 THEN '未成年'
// …), never finer; amounts at round numbers (rule 3c).
func (c *checker) recodeSplits(p node, where string) {
	if p != nil && c.conditionGrain(p) > grainAge {
		c.refuse("date_grain", "%s：%s", where, grainReason)
	}
	if p != nil && !c.amountCondition(p) {
		c.refuse("amount_grain", "%s：%s", where, amountReason)
	}
}

// passesDate reports whether a row value computed from a quasi-identifying
// date may leave its level (a column of a subquery or of a withheld result):
// the date itself, one person's min or max of it — the level above sees a
// quasi-identifying date again and this rule holds there — or a value of
// whole years. Anything finer (strftime(d, '%Y%m%d'), d + 0, to_month(d))
// would be tested above as a plain value.
func (c *checker) passesDate(n node) bool {
	if str(n, "class") == "OPERATOR" && str(n, "type") == "OPERATOR_TRY" {
		ch, _ := firstChild(arr(n, "children"))
		return c.passesDate(ch)
	}
	return c.bareDate(n) || c.grainOf(n) <= grainYear
}

const passesDateReason = "出生日期等可识别个人的日期只能原样、取整年（year、to_year）或按人取 min/max 后传出；年龄段、按月、按日的值请在最外层的 GROUP BY 中使用"

// strftimeGrain is the finest grain a strftime format prints.
func strftimeGrain(f string) grain {
	g := grainNone
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		if i+1 >= len(f) {
			return grainDay
		}
		i++
		switch f[i] {
		case '%':
		case 'Y', 'y', 'C': // not %G, the ISO year, which begins on a Monday
			g = max(g, grainYear)
		case 'm', 'b', 'B', 'h':
			g = max(g, grainMonth)
		default:
			return grainDay
		}
	}
	return g
}
