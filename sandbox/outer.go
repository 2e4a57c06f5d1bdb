package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// What a merchant computes from released figures (ratios, rounding,
// HAVING, ORDER BY, LIMIT) is evaluated here, in Go, over the anonymized
// values only: nothing after anonymization touches a row of real data, and
// nothing here can fail on a value (docs/disclosure.md).

// outerFuncs are the functions allowed over released figures.
var outerFuncs = map[string]bool{
	"+": true, "-": true, "*": true, "/": true, "//": true, "%": true, "||": true, "concat": true,
	"round": true, "floor": true, "ceil": true, "ceiling": true, "abs": true, "sqrt": true, "ln": true,
	"log10": true, "power": true, "pow": true, "least": true, "greatest": true, "nullif": true,
	"list_value": true, // quantile_cont(x, [0.25, 0.5, 0.75]): a list of released figures
}

// outerSupported refuses expressions over released figures the evaluator
// does not implement.
func (c *checker) outerSupported(n node) {
	bad := func() {
		c.refuse("outer_expression", "对统计结果只能做四则运算、比较、round、abs、least/greatest 等计算")
	}
	switch str(n, "class") {
	case "__SLOT", "CONSTANT":
	case "FUNCTION":
		if !outerFuncs[strings.ToLower(str(n, "function_name"))] {
			bad()
		}
		for _, ch := range nodes(arr(n, "children")) {
			c.outerSupported(ch)
		}
	case "CAST":
		c.outerSupported(obj(n, "child"))
	case "COMPARISON":
		c.outerSupported(obj(n, "left"))
		c.outerSupported(obj(n, "right"))
	case "CONJUNCTION", "OPERATOR":
		switch str(n, "type") {
		case "CONJUNCTION_AND", "CONJUNCTION_OR", "OPERATOR_NOT", "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL",
			"OPERATOR_COALESCE", "COMPARE_IN", "COMPARE_NOT_IN":
		default:
			bad()
		}
		for _, ch := range nodes(arr(n, "children")) {
			c.outerSupported(ch)
		}
	case "CASE":
		for _, cc := range nodes(arr(n, "case_checks")) {
			c.outerSupported(obj(cc, "when_expr"))
			c.outerSupported(obj(cc, "then_expr"))
		}
		if e := obj(n, "else_expr"); e != nil {
			c.outerSupported(e)
		}
	case "BETWEEN":
		c.outerSupported(obj(n, "input"))
		c.outerSupported(obj(n, "lower"))
		c.outerSupported(obj(n, "upper"))
	case "WINDOW":
		if c.windowSupported(n) {
			for _, e := range windowParts(n) {
				c.outerSupported(e)
			}
		}
	default:
		bad()
	}
}

// outerEnv holds one released group: its keys and its anonymized figures.
type outerEnv struct {
	g []any
	a []any
	w []any // window calls' values (window.go)
}

// eval evaluates a checked expression; any impossible operation yields NULL.
func eval(n node, env *outerEnv) any {
	switch str(n, "class") {
	case "__SLOT":
		i := slotIndex(n)
		if str(n, "slot") == "g" {
			return env.g[i]
		}
		return env.a[i]
	case "CONSTANT":
		return constValue(n)
	case "WINDOW":
		if i, err := jsonInt(n["__wid"]); err == nil && i >= 0 && i < len(env.w) {
			return env.w[i]
		}
		return nil
	case "FUNCTION":
		name := strings.ToLower(str(n, "function_name"))
		var args []any
		for _, ch := range nodes(arr(n, "children")) {
			args = append(args, eval(ch, env))
		}
		return callOuter(name, args)
	case "CAST":
		v := eval(obj(n, "child"), env)
		if v == nil {
			return nil
		}
		switch str(obj(n, "cast_type"), "id") {
		case "VARCHAR":
			return fmt.Sprint(v)
		case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT":
			f, ok := toFloat(v)
			if !ok {
				return nil
			}
			return int64(math.Round(f))
		case "BOOLEAN":
			b, ok := v.(bool)
			if !ok {
				return nil
			}
			return b
		}
		f, ok := toFloat(v)
		if !ok {
			return nil
		}
		return f
	case "COMPARISON":
		l, r := eval(obj(n, "left"), env), eval(obj(n, "right"), env)
		switch str(n, "type") {
		case "COMPARE_DISTINCT_FROM":
			return !equalValues(l, r)
		case "COMPARE_NOT_DISTINCT_FROM":
			return equalValues(l, r)
		}
		if l == nil || r == nil {
			return nil
		}
		c := compareValues(l, r)
		switch str(n, "type") {
		case "COMPARE_EQUAL":
			return c == 0
		case "COMPARE_NOTEQUAL":
			return c != 0
		case "COMPARE_LESSTHAN":
			return c < 0
		case "COMPARE_GREATERTHAN":
			return c > 0
		case "COMPARE_LESSTHANOREQUALTO":
			return c <= 0
		case "COMPARE_GREATERTHANOREQUALTO":
			return c >= 0
		}
		return nil
	case "CONJUNCTION":
		and := str(n, "type") == "CONJUNCTION_AND"
		sawNull := false
		for _, ch := range nodes(arr(n, "children")) {
			v := eval(ch, env)
			b, ok := v.(bool)
			if !ok {
				sawNull = true
				continue
			}
			if and && !b {
				return false
			}
			if !and && b {
				return true
			}
		}
		if sawNull {
			return nil
		}
		return and
	case "OPERATOR":
		ch := nodes(arr(n, "children"))
		switch str(n, "type") {
		case "OPERATOR_NOT":
			b, ok := eval(ch[0], env).(bool)
			if !ok {
				return nil
			}
			return !b
		case "OPERATOR_IS_NULL":
			return eval(ch[0], env) == nil
		case "OPERATOR_IS_NOT_NULL":
			return eval(ch[0], env) != nil
		case "OPERATOR_COALESCE":
			for _, c := range ch {
				if v := eval(c, env); v != nil {
					return v
				}
			}
			return nil
		case "COMPARE_IN", "COMPARE_NOT_IN":
			v := eval(ch[0], env)
			if v == nil {
				return nil
			}
			in := false
			for _, c := range ch[1:] {
				if w := eval(c, env); w != nil && compareValues(v, w) == 0 {
					in = true
				}
			}
			return in == (str(n, "type") == "COMPARE_IN")
		}
	case "CASE":
		for _, cc := range nodes(arr(n, "case_checks")) {
			if b, _ := eval(obj(cc, "when_expr"), env).(bool); b {
				return eval(obj(cc, "then_expr"), env)
			}
		}
		if e := obj(n, "else_expr"); e != nil {
			return eval(e, env)
		}
		return nil
	case "BETWEEN":
		v, lo, hi := eval(obj(n, "input"), env), eval(obj(n, "lower"), env), eval(obj(n, "upper"), env)
		if v == nil || lo == nil || hi == nil {
			return nil
		}
		return compareValues(v, lo) >= 0 && compareValues(v, hi) <= 0
	}
	return nil
}

func slotIndex(n node) int {
	switch x := n["index"].(type) {
	case int:
		return x
	case json.Number:
		i, _ := x.Int64()
		return int(i)
	case float64:
		return int(x)
	}
	return 0
}

// constValue reads a constant of the syntax tree.
func constValue(n node) any {
	v := obj(n, "value")
	if b, _ := v["is_null"].(bool); b {
		return nil
	}
	switch str(obj(v, "type"), "id") {
	case "VARCHAR":
		s, _ := v["value"].(string)
		return s
	case "BOOLEAN":
		b, _ := v["value"].(bool)
		return b
	}
	if f, ok := constNumber(n); ok {
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 && str(obj(v, "type"), "id") != "DECIMAL" && str(obj(v, "type"), "id") != "DOUBLE" {
			return int64(f)
		}
		return f
	}
	if x, ok := v["value"].(json.Number); ok {
		f, _ := x.Float64()
		return f
	}
	return v["value"]
}

func callOuter(name string, args []any) any {
	if name == "list_value" {
		return append([]any{}, args...)
	}
	for _, a := range args {
		if a == nil && name != "least" && name != "greatest" && name != "concat" {
			return nil
		}
	}
	switch name {
	case "||", "concat":
		var b strings.Builder
		for _, a := range args {
			if a != nil {
				b.WriteString(fmt.Sprint(a))
			}
		}
		return b.String()
	case "least", "greatest":
		var best any
		for _, a := range args {
			if a == nil {
				continue
			}
			if best == nil || (name == "least" && compareValues(a, best) < 0) || (name == "greatest" && compareValues(a, best) > 0) {
				best = a
			}
		}
		return best
	case "nullif":
		if len(args) == 2 && compareValues(args[0], args[1]) == 0 {
			return nil
		}
		return args[0]
	}
	fs := make([]float64, len(args))
	ints := true
	for i, a := range args {
		f, ok := toFloat(a)
		if !ok {
			return nil
		}
		fs[i] = f
		if _, isInt := a.(int64); !isInt {
			ints = false
		}
	}
	num := func(f float64) any {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		if ints && f == math.Trunc(f) {
			return int64(f)
		}
		return f
	}
	switch name {
	case "+":
		if len(fs) == 1 {
			return num(fs[0])
		}
		return num(fs[0] + fs[1])
	case "-":
		if len(fs) == 1 {
			return num(-fs[0])
		}
		return num(fs[0] - fs[1])
	case "*":
		return num(fs[0] * fs[1])
	case "/":
		if fs[1] == 0 {
			return nil
		}
		ints = false
		return num(fs[0] / fs[1])
	case "//":
		if fs[1] == 0 {
			return nil
		}
		return num(math.Floor(fs[0] / fs[1]))
	case "%":
		if fs[1] == 0 {
			return nil
		}
		return num(math.Mod(fs[0], fs[1]))
	case "round":
		d := 0.0
		if len(fs) > 1 {
			d = fs[1]
		}
		p := math.Pow(10, d)
		return num(math.Round(fs[0]*p) / p)
	case "floor":
		return num(math.Floor(fs[0]))
	case "ceil", "ceiling":
		return num(math.Ceil(fs[0]))
	case "abs":
		return num(math.Abs(fs[0]))
	case "sqrt":
		ints = false
		return num(math.Sqrt(fs[0]))
	case "ln":
		ints = false
		return num(math.Log(fs[0]))
	case "log10":
		ints = false
		return num(math.Log10(fs[0]))
	case "power", "pow":
		ints = false
		return num(math.Pow(fs[0], fs[1]))
	}
	return nil
}

// compareValues orders two non-NULL values: numbers numerically, times by
// time, everything else by its text.
func compareValues(a, b any) int {
	if fa, ok := toFloat(a); ok {
		if fb, ok := toFloat(b); ok {
			switch {
			case fa < fb:
				return -1
			case fa > fb:
				return 1
			}
			return 0
		}
	}
	if ta, ok := a.(time.Time); ok {
		if tb, ok := b.(time.Time); ok {
			return ta.Compare(tb)
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func equalValues(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return compareValues(a, b) == 0
}

// finish evaluates the merchant's select list, HAVING, DISTINCT, ORDER BY
// and LIMIT over released groups.
func finish(p *plan, groups []bucket) [][]any {
	type row struct {
		env  *outerEnv
		vals []any
	}
	var rows []row
	var envs []*outerEnv
	for _, g := range groups {
		env := &outerEnv{g: g.keys, a: g.vals}
		if p.having != nil {
			if b, _ := eval(p.having, env).(bool); !b {
				continue
			}
		}
		envs = append(envs, env)
	}
	// Window calls see the groups HAVING kept, and QUALIFY filters by
	// them, as in SQL.
	if len(p.windows) > 0 {
		computeWindows(p, envs)
	}
	if p.qualify != nil {
		kept := envs[:0]
		for _, env := range envs {
			if b, _ := eval(p.qualify, env).(bool); b {
				kept = append(kept, env)
			}
		}
		envs = kept
	}
	for _, env := range envs {
		vals := make([]any, len(p.out))
		for i, o := range p.out {
			vals[i] = eval(o, env)
		}
		rows = append(rows, row{env, vals})
	}
	if p.distinct {
		seen := map[string]bool{}
		kept := rows[:0]
		for _, r := range rows {
			k := fmt.Sprintf("%#v", r.vals)
			if !seen[k] {
				seen[k] = true
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	key := func(r row, o order) any {
		if o.item >= 0 {
			return r.vals[o.item]
		}
		return eval(o.expr, r.env)
	}
	cmp := func(a, b any, o order) int {
		return compareOrdered(a, b, corder{desc: o.desc, nullsFirst: o.nullsFirst})
	}
	orders := p.orders
	if len(orders) == 0 {
		// No order asked: by the group keys, for answers that do not
		// change between runs.
		for i := range p.out {
			orders = append(orders, order{item: i})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		for _, o := range orders {
			if c := cmp(key(rows[i], o), key(rows[j], o), o); c != 0 {
				return c < 0
			}
		}
		return false
	})
	rows = offsetLimit(rows, p.offset, p.limit)
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = r.vals
	}
	return out
}
