package sandbox

import (
	"math"
	"sort"
	"strings"
)

// Linear parts of aggregate arguments (docs/disclosure.md, "Release
// memory"). The release memory answers a figure over nearly the same
// contributions like the first such figure; an attacker who could vary the
// contributions invisibly — sum(x * 1.0001), sum(x + sign(x) + sign(x)),
// avg(x / 3) — would get fresh noise each time, undo the known
// transformation and average the noise away. So arithmetic with constants
// is taken out of aggregates before anything runs:
//
//	sum(a·m₁ + b·m₂ + d)  = a·sum(m₁) + b·sum(m₂) + d·count(m₁)
//	avg(a·m₁ + b·m₂ + d)  = a·avg(m₁) + b·avg(m₂) + d
//	var(a·m + d)          = a²·var(m),  stddev(a·m + d) = |a|·stddev(m)
//	quantile(a·m + d, q)  = a·quantile(m, q) + d for a > 0, a·quantile(m, 1−q) + d for a < 0
//
// where each mᵢ is a column or an expression of columns without numeric
// constants (x, x*y, abs(x), date_diff('day', a, b)). Identical monomials
// merge (x + x = 2·x), so every spelling of one linear combination reaches
// the same remembered figures, and the arithmetic is done over anonymized
// figures (outer.go). Numeric constants inside a monomial (round(x, 2),
// floor(x / 500) * 500 inside sum) would make an endless family of nearly
// equal figures, so they are refused inside aggregates: binning belongs in
// GROUP BY, rounding outside the aggregate. With sum(x + y) the rows where
// only one of x and y is NULL count their non-NULL part.

// linTerm is one monomial with its coefficient.
type linTerm struct {
	coef float64
	mono node
}

// linear is an aggregate argument as Σ coef·mono + offset.
type linear struct {
	terms  map[string]*linTerm
	order  []string // canonical keys in first-seen order
	offset float64
}

func (l *linear) add(key string, coef float64, mono node) {
	if t, ok := l.terms[key]; ok {
		t.coef += coef
		return
	}
	l.terms[key] = &linTerm{coef: coef, mono: mono}
	l.order = append(l.order, key)
}

func (l *linear) scale(f float64) {
	for _, t := range l.terms {
		t.coef *= f
	}
	l.offset *= f
}

func (l *linear) plus(o *linear, f float64) {
	for _, k := range o.order {
		t := o.terms[k]
		l.add(k, f*t.coef, t.mono)
	}
	l.offset += f * o.offset
}

// live is the terms with a non-zero coefficient, in a canonical order.
func (l *linear) live() []*linTerm {
	keys := append([]string(nil), l.order...)
	sort.Strings(keys)
	var out []*linTerm
	for _, k := range keys {
		if t := l.terms[k]; t.coef != 0 && !math.IsNaN(t.coef) && !math.IsInf(t.coef, 0) {
			out = append(out, t)
		}
	}
	return out
}

func (l *linear) isConst() bool { return len(l.live()) == 0 }

// linearize reads n as a linear combination of monomials; ok is false when
// a monomial holds a numeric constant (refused by the caller).
func (c *checker) linearize(n node) (*linear, bool) {
	l := &linear{terms: map[string]*linTerm{}}
	if d, ok := constNumber(n); ok {
		l.offset = d
		return l, true
	}
	switch str(n, "class") {
	case "CAST":
		if numericCast(n) {
			return c.linearize(obj(n, "child"))
		}
	case "OPERATOR":
		if str(n, "type") == "OPERATOR_TRY" {
			if ch, ok := firstChild(arr(n, "children")); ok {
				return c.linearize(ch)
			}
		}
	case "FUNCTION":
		ch := nodes(arr(n, "children"))
		name := strings.ToLower(str(n, "function_name"))
		switch {
		case (name == "+" || name == "-") && len(ch) == 2 && (c.temporal(ch[0]) || c.temporal(ch[1])):
			// Date arithmetic (visit_date - birth_date is a number of
			// days) is not a sum of numbers: one monomial.
		case (name == "+" || name == "-") && len(ch) == 2:
			a, ok1 := c.linearize(ch[0])
			b, ok2 := c.linearize(ch[1])
			if !ok1 || !ok2 {
				return nil, false
			}
			sign := 1.0
			if name == "-" {
				sign = -1
			}
			a.plus(b, sign)
			return a, true
		case name == "-" && len(ch) == 1:
			a, ok := c.linearize(ch[0])
			if !ok {
				return nil, false
			}
			a.scale(-1)
			return a, true
		case name == "*" && len(ch) == 2:
			a, ok1 := c.linearize(ch[0])
			b, ok2 := c.linearize(ch[1])
			if !ok1 || !ok2 {
				return nil, false
			}
			switch {
			case a.isConst():
				b.scale(a.offset)
				return b, true
			case b.isConst():
				a.scale(b.offset)
				return a, true
			}
			// A product of two expressions of columns: a monomial of its
			// own when neither side carries a constant.
			if a.offset != 0 || b.offset != 0 || !onlyUnit(a) || !onlyUnit(b) {
				return nil, false
			}
		case name == "/" && len(ch) == 2:
			if d, ok := constNumber(ch[1]); ok && d != 0 {
				a, ok := c.linearize(ch[0])
				if !ok {
					return nil, false
				}
				a.scale(1 / d)
				return a, true
			}
		}
	}
	// A monomial: it must carry no numeric constant, and no date other than
	// the day's reference date (current_date), which moves once a day.
	if c.constInMonomial(n) || c.derivedRef(n) {
		return nil, false
	}
	l.add(c.canon(n), 1, n)
	return l, true
}

// onlyUnit reports whether l is one monomial with coefficient 1 or −1.
func onlyUnit(l *linear) bool {
	t := l.live()
	return len(t) == 1 && math.Abs(t[0].coef) == 1
}

func numericCast(n node) bool {
	switch strings.ToUpper(str(obj(n, "cast_type"), "id")) {
	case "DOUBLE", "FLOAT", "DECIMAL", "REAL":
		return true
	}
	return false
}

// hasNumericConst reports whether a numeric constant appears anywhere in n
// (strings, such as date part names, may).
func hasNumericConst(v any) bool {
	switch x := v.(type) {
	case node:
		if str(x, "class") == "CONSTANT" {
			_, ok := constNumber(x)
			return ok
		}
		for _, e := range x {
			if hasNumericConst(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasNumericConst(e) {
				return true
			}
		}
	}
	return false
}

// linearSplit rewrites an aggregate whose argument has linear parts into
// arithmetic over aggregates of monomials, in place, and reports whether it
// did. It refuses (through c) an argument with a constant inside a
// monomial.
func (c *checker) linearSplit(n node) bool {
	name := strings.ToLower(str(n, "function_name"))
	switch name {
	case "sum", "avg", "mean", "variance", "var_samp", "var_pop", "stddev", "stddev_samp", "stddev_pop",
		"median", "min", "max", "quantile", "quantile_cont", "quantile_disc":
	default:
		return false
	}
	if n["distinct"] == true {
		return false
	}
	children := arr(n, "children")
	arg, ok := firstChild(children)
	if !ok || str(arg, "class") == "CASE" {
		return false
	}
	filter := obj(n, "filter")
	l, ok := c.linearize(arg)
	if !ok && c.hasDateConst(arg) {
		c.refuse("aggregate_argument", "聚合函数 %s 的参数里不能带日期常数（每换一个日期就是一组几乎相同的新数字）；年龄等请写 date_diff('year', birth_date, current_date) 或两列日期之差", name)
		return false
	}
	if !ok {
		c.refuse("aggregate_argument", "聚合函数 %s 的参数里，函数内不能带数字（如 round(x, 2)、floor(x / 500)）：分段请写在 GROUP BY 中，取整请写在聚合之外，如 round(sum(x), 2)", name)
		return false
	}
	terms := l.live()
	if len(terms) == 0 {
		if name == "sum" && l.offset != 0 && filter == nil {
			// sum(d) is d·count(*): one figure however d is chosen.
			out := fn("*", false, nil, castDouble(constNumberNode(l.offset)), fn("count_star", false, nil))
			out["is_operator"] = true
			replaceNode(n, out)
			return true
		}
		return false // nothing personal to vary
	}
	if len(terms) == 1 && terms[0].coef == 1 && l.offset == 0 {
		// Already one monomial; make it the argument so that casts and
		// TRY wrappers do not make a second spelling.
		children[0] = deepCopy(terms[0].mono)
		return false
	}
	var filt any
	if filter != nil {
		filt = filter
	}
	agg := func(fname string, m node, extra ...any) node {
		var f any
		if filt != nil {
			f = deepCopy(filt.(node))
		}
		return fn(fname, false, f, append([]any{deepCopy(m)}, extra...)...)
	}
	op := func(o string, a, b node) node {
		f := fn(o, false, nil, a, b)
		f["is_operator"] = true
		return f
	}
	num := func(f float64) node { return castDouble(constNumberNode(f)) }
	combine := func(parts []node) node {
		out := parts[0]
		for _, p := range parts[1:] {
			out = op("+", out, p)
		}
		return out
	}
	var out node
	switch name {
	case "sum", "avg", "mean":
		var parts []node
		for _, t := range terms {
			parts = append(parts, op("*", num(t.coef), agg(name, t.mono)))
		}
		if l.offset != 0 {
			if name == "sum" {
				parts = append(parts, op("*", num(l.offset), agg("count", terms[0].mono)))
			} else {
				parts = append(parts, num(l.offset))
			}
		}
		out = combine(parts)
	case "variance", "var_samp", "var_pop", "stddev", "stddev_samp", "stddev_pop":
		if len(terms) != 1 {
			if l.offset != 0 || !allUnit(terms) {
				c.refuse("aggregate_argument", "%s 的参数只能是一列或几列的加减（可在聚合之外乘除常数）", name)
			}
			return false
		}
		f := terms[0].coef * terms[0].coef
		if strings.HasPrefix(name, "stddev") {
			f = math.Abs(terms[0].coef)
		}
		out = op("*", num(f), agg(name, terms[0].mono))
	default: // order statistics
		if len(terms) != 1 {
			if l.offset != 0 || !allUnit(terms) {
				c.refuse("aggregate_argument", "%s 的参数只能是一列或几列的加减（可在聚合之外乘除常数、加减常数）", name)
			}
			return false
		}
		a := terms[0].coef
		var q node
		switch name {
		case "min", "max":
			fname := name
			if a < 0 {
				fname = map[string]string{"min": "max", "max": "min"}[name]
			}
			q = agg(fname, terms[0].mono)
		case "median":
			q = agg("median", terms[0].mono)
		default:
			if len(children) != 2 {
				return false // the site check says what is wrong
			}
			qn, _ := children[1].(node)
			qv, ok := constNumber(qn)
			if !ok {
				return false
			}
			if a < 0 {
				qv = 1 - qv
			}
			q = agg(name, terms[0].mono, constNumberNode(qv))
		}
		out = op("*", num(a), q)
		if l.offset != 0 {
			out = op("+", out, num(l.offset))
		}
	}
	replaceNode(n, out)
	return true
}

// replaceNode turns n into out in place, keeping n's alias.
func replaceNode(n, out node) {
	alias := str(n, "alias")
	for k := range n {
		delete(n, k)
	}
	for k, v := range out {
		n[k] = v
	}
	n["alias"] = alias
}

func allUnit(ts []*linTerm) bool {
	for _, t := range ts {
		if math.Abs(t.coef) != 1 {
			return false
		}
	}
	return true
}

// temporal reports whether n is a date or time value: a column of such a
// type, a date literal, or date arithmetic over one.
func (c *checker) temporal(n node) bool {
	switch str(n, "class") {
	case "COLUMN_REF":
		if _, col := c.resolve(n); col != nil {
			t := strings.ToUpper(col.Type)
			return strings.HasPrefix(t, "DATE") || strings.HasPrefix(t, "TIMESTAMP") || strings.HasPrefix(t, "TIME")
		}
	case "CAST":
		t := strings.ToUpper(str(obj(n, "cast_type"), "id"))
		return strings.HasPrefix(t, "DATE") || strings.HasPrefix(t, "TIMESTAMP") || t == "TIME"
	case "OPERATOR":
		if str(n, "type") == "OPERATOR_TRY" {
			if ch, ok := firstChild(arr(n, "children")); ok {
				return c.temporal(ch)
			}
		}
	case "FUNCTION":
		switch strings.ToLower(str(n, "function_name")) {
		case "date_trunc", "datetrunc", "last_day", "make_date":
			return true
		case "+", "-":
			for _, x := range nodes(arr(n, "children")) {
				if c.temporal(x) {
					return true
				}
			}
		}
	}
	return false
}

// hasDateConst reports whether a date or time literal other than the
// reference date appears in n: avg(date_diff('day', birth_date, DATE d))
// for many d would be a family of nearly equal figures.
func (c *checker) hasDateConst(v any) bool {
	switch x := v.(type) {
	case node:
		if str(x, "class") == "CAST" && c.temporal(x) {
			if k := obj(x, "child"); str(k, "class") == "CONSTANT" {
				lit, _ := obj(k, "value")["value"].(string)
				return lit != c.refDate
			}
		}
		for _, e := range x {
			if c.hasDateConst(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if c.hasDateConst(e) {
				return true
			}
		}
	}
	return false
}

// constInMonomial reports whether a constant sits inside n where it could
// shape a value: any number, any date but today's, any string except a
// date part's name or a date format.
func (c *checker) constInMonomial(n node) bool {
	if hasNumericConst(n) || c.hasDateConst(n) {
		return true
	}
	return c.stringConst(n)
}

// datePartFuncs take a part name or format as their first (strftime: second)
// argument.
var datePartFuncs = map[string]int{
	"date_part": 0, "datepart": 0, "date_diff": 0, "datediff": 0, "date_sub": 0, "datesub": 0,
	"date_trunc": 0, "datetrunc": 0, "strftime": 1,
}

func (c *checker) stringConst(v any) bool {
	switch x := v.(type) {
	case node:
		switch str(x, "class") {
		case "CONSTANT":
			_, isStr := obj(x, "value")["value"].(string)
			return isStr
		case "CAST":
			if c.temporal(x) {
				return false // hasDateConst's business
			}
		case "FUNCTION":
			ch := arr(x, "children")
			if strings.ToLower(str(x, "function_name")) == "shuyu_hmac_sm3" {
				ch = ch[1:] // the workspace's name, put there by the engine
			}
			skip, ok := datePartFuncs[strings.ToLower(str(x, "function_name"))]
			for i, e := range ch {
				if ok && i == skip {
					continue
				}
				if c.stringConst(e) {
					return true
				}
			}
			return false
		}
		for _, e := range x {
			if c.stringConst(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if c.stringConst(e) {
				return true
			}
		}
	}
	return false
}

// derivedRef reports whether n names a subquery column computed with
// constants (Column.Derived).
func (c *checker) derivedRef(v any) bool {
	switch x := v.(type) {
	case node:
		if str(x, "class") == "COLUMN_REF" {
			_, col := c.resolve(x)
			return col != nil && col.Derived
		}
		for _, e := range x {
			if c.derivedRef(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if c.derivedRef(e) {
				return true
			}
		}
	}
	return false
}
