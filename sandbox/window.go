package sandbox

import (
	"encoding/json"
	"math"
	"sort"
	"strings"
)

// Window functions over released groups (docs/disclosure.md, rule 10). In
// an aggregating statement, a window function whose arguments, partitions
// and orders are aggregates and group keys — a share of the total
// (count(*) / sum(count(*)) OVER ()), a rank, a running total, a moving
// average, the change from the previous month (lag) — is computed in Go
// over the released groups after HAVING, like any other arithmetic over
// released figures: it sees the anonymized values of the groups that were
// released and nothing else. A window in a row-level statement, a
// condition, a GROUP BY or an aggregate's argument would compute over rows
// and stays refused.

// windowFuncs are the window functions evaluated over released groups.
var windowFuncs = map[string]bool{
	"sum": true, "avg": true, "mean": true, "min": true, "max": true, "count": true, "count_star": true,
	"row_number": true, "rank": true, "dense_rank": true, "percent_rank": true, "cume_dist": true,
	"lag": true, "lead": true, "first_value": true, "last_value": true,
}

const windowReason = "窗口函数只能用在汇总查询的选择列表和 ORDER BY 中，对已发布的统计结果计算（占比、排名、累计、移动平均、环比）"

// window checks a window call in c.expr.
func (c *checker) window(n node, x ectx) flow {
	if !c.aggregate || x.cond || x.group || x.inAgg != "" || c.depth > 0 || c.perUnit {
		c.refuse("window", windowReason)
		return flow{}
	}
	if c.dp {
		c.refuse("window", "差分隐私模式下不支持窗口函数，请对发布的结果自行计算")
		return flow{}
	}
	var f flow
	for _, e := range windowParts(n) {
		if str(e, "class") == "WINDOW" || hasWindow(e) {
			c.refuse("window", "窗口函数不能嵌套")
			continue
		}
		f = f.merge(c.expr(e, x))
	}
	return f
}

// windowParts are the expressions of a window call: arguments, partitions,
// orders, lag/lead's offset and default, frame bounds.
func windowParts(n node) []node {
	out := nodes(arr(n, "children"))
	out = append(out, nodes(arr(n, "partitions"))...)
	for _, o := range nodes(arr(n, "orders")) {
		out = append(out, obj(o, "expression"))
	}
	for _, k := range []string{"offset_expr", "default_expr", "start_expr", "end_expr"} {
		if e := obj(n, k); e != nil {
			out = append(out, e)
		}
	}
	return out
}

func hasWindow(v any) bool {
	found := false
	walkNodes(v, func(x node) {
		if str(x, "class") == "WINDOW" {
			found = true
		}
	})
	return found
}

// slotWindow rewrites a window call's parts over released groups and
// numbers it for finish.
func (c *checker) slotWindow(n node, p *plan, byCanon map[string]int) node {
	out := deepCopy(n)
	var list []any
	for _, ch := range nodes(arr(n, "children")) {
		list = append(list, c.slot(ch, p, byCanon))
	}
	out["children"] = orEmpty(list)
	list = nil
	for _, ch := range nodes(arr(n, "partitions")) {
		list = append(list, c.slot(ch, p, byCanon))
	}
	out["partitions"] = orEmpty(list)
	list = nil
	for _, o := range nodes(arr(n, "orders")) {
		od := deepCopy(o)
		od["expression"] = c.slot(obj(o, "expression"), p, byCanon)
		list = append(list, od)
	}
	out["orders"] = orEmpty(list)
	for _, k := range []string{"offset_expr", "default_expr"} {
		if e := obj(n, k); e != nil {
			out[k] = c.slot(e, p, byCanon)
		}
	}
	out["__wid"] = len(p.windows)
	p.windows = append(p.windows, out)
	return out
}

// frame is a window's frame over one sorted partition.
type frame struct {
	whole, rows bool // whole partition; ROWS (else RANGE: up to the current row's peers)
	lo, hi      int  // ROWS offsets from the current row; math.MinInt/MaxInt unbounded
}

// windowFrame reads the frames evaluated here; ok is false for others.
func windowFrame(n node) (frame, bool) {
	off := func(k string) (int, bool) {
		v, ok := constNumber(obj(n, k))
		if !ok || v < 0 || v != math.Trunc(v) || v > 1e6 {
			return 0, false
		}
		return int(v), true
	}
	start, end := str(n, "start"), str(n, "end")
	switch {
	case start == "UNBOUNDED_PRECEDING" && end == "CURRENT_ROW_RANGE":
		return frame{whole: len(arr(n, "orders")) == 0}, true
	case start == "UNBOUNDED_PRECEDING" && end == "UNBOUNDED_FOLLOWING":
		return frame{whole: true}, true
	}
	f := frame{rows: true}
	switch start {
	case "UNBOUNDED_PRECEDING":
		f.lo = math.MinInt
	case "CURRENT_ROW_ROWS":
	case "EXPR_PRECEDING_ROWS":
		k, ok := off("start_expr")
		if !ok {
			return f, false
		}
		f.lo = -k
	case "EXPR_FOLLOWING_ROWS":
		k, ok := off("start_expr")
		if !ok {
			return f, false
		}
		f.lo = k
	default:
		return f, false
	}
	switch end {
	case "UNBOUNDED_FOLLOWING":
		f.hi = math.MaxInt
	case "CURRENT_ROW_ROWS":
	case "EXPR_FOLLOWING_ROWS":
		k, ok := off("end_expr")
		if !ok {
			return f, false
		}
		f.hi = k
	case "EXPR_PRECEDING_ROWS":
		k, ok := off("end_expr")
		if !ok {
			return f, false
		}
		f.hi = -k
	default:
		return f, false
	}
	return f, true
}

// windowSupported refuses window calls the evaluator does not implement.
func (c *checker) windowSupported(n node) bool {
	name := strings.ToLower(str(n, "function_name"))
	if !windowFuncs[name] {
		c.refuse("window", "窗口函数只支持 sum、avg、min、max、count、row_number、rank、dense_rank、percent_rank、cume_dist、lag、lead、first_value、last_value")
		return false
	}
	if _, ok := windowFrame(n); !ok {
		c.refuse("window", "窗口范围只支持默认范围、整个分区和 ROWS BETWEEN n PRECEDING AND CURRENT ROW 一类的行范围")
		return false
	}
	if b, _ := n["distinct"].(bool); b || n["filter_expr"] != nil || len(arr(n, "arg_orders")) > 0 {
		c.refuse("window", "窗口函数不支持 DISTINCT、FILTER 或参数内排序")
		return false
	}
	if b, _ := n["ignore_nulls"].(bool); b || (str(n, "exclude_clause") != "" && str(n, "exclude_clause") != "NO_OTHER") {
		c.refuse("window", "窗口函数不支持 IGNORE NULLS 或 EXCLUDE")
		return false
	}
	return true
}

// computeWindows evaluates every window call of p over the released rows.
func computeWindows(p *plan, envs []*outerEnv) {
	for _, env := range envs {
		env.w = make([]any, len(p.windows))
	}
	for wi, w := range p.windows {
		computeWindow(wi, w, envs)
	}
}

func computeWindow(wi int, w node, envs []*outerEnv) {
	parts := map[string][]int{}
	var keys []string
	for i, env := range envs {
		var b strings.Builder
		for _, e := range nodes(arr(w, "partitions")) {
			b.WriteString(valueKey(eval(e, env)))
			b.WriteByte('|')
		}
		k := b.String()
		if _, ok := parts[k]; !ok {
			keys = append(keys, k)
		}
		parts[k] = append(parts[k], i)
	}
	orders := nodes(arr(w, "orders"))
	ov := make([][]any, len(envs))
	for i, env := range envs {
		for _, o := range orders {
			ov[i] = append(ov[i], eval(obj(o, "expression"), env))
		}
	}
	cmp := func(a, b int) int {
		for k, o := range orders {
			c := compareOrdered(ov[a][k], ov[b][k], corder{desc: str(o, "type") == "DESCENDING", nullsFirst: str(o, "null_order") == "NULLS_FIRST"})
			if c != 0 {
				return c
			}
		}
		return 0
	}
	name := strings.ToLower(str(w, "function_name"))
	fr, _ := windowFrame(w)
	args := func(i int) []any {
		var out []any
		for _, ch := range nodes(arr(w, "children")) {
			out = append(out, eval(ch, envs[i]))
		}
		return out
	}
	for _, k := range keys {
		idx := parts[k]
		sort.SliceStable(idx, func(a, b int) bool { return cmp(idx[a], idx[b]) < 0 })
		n := len(idx)
		// Peer groups: rows with equal order values.
		first := make([]int, n) // first position of each row's peer group
		last := make([]int, n)  // last position
		dense := make([]int, n)
		for j := 0; j < n; j++ {
			if j > 0 && cmp(idx[j-1], idx[j]) == 0 {
				first[j] = first[j-1]
				dense[j] = dense[j-1]
			} else {
				first[j] = j
				dense[j] = 1
				if j > 0 {
					dense[j] = dense[j-1] + 1
				}
			}
		}
		for j := n - 1; j >= 0; j-- {
			if j < n-1 && cmp(idx[j+1], idx[j]) == 0 {
				last[j] = last[j+1]
			} else {
				last[j] = j
			}
		}
		bounds := func(j int) (int, int) {
			switch {
			case fr.whole:
				return 0, n - 1
			case !fr.rows:
				return 0, last[j]
			}
			lo, hi := 0, n-1
			if fr.lo != math.MinInt {
				lo = j + fr.lo
			}
			if fr.hi != math.MaxInt {
				hi = j + fr.hi
			}
			return max(lo, 0), min(hi, n-1)
		}
		for j, row := range idx {
			var v any
			switch name {
			case "row_number":
				v = int64(j + 1)
			case "rank":
				v = int64(first[j] + 1)
			case "dense_rank":
				v = int64(dense[j])
			case "percent_rank":
				if n > 1 {
					v = float64(first[j]) / float64(n-1)
				} else {
					v = 0.0
				}
			case "cume_dist":
				v = float64(last[j]+1) / float64(n)
			case "lag", "lead":
				offset := 1
				if e := obj(w, "offset_expr"); e != nil {
					f, ok := toFloat(eval(e, envs[row]))
					if !ok {
						break
					}
					offset = int(f)
				}
				if name == "lag" {
					offset = -offset
				}
				if t := j + offset; t >= 0 && t < n {
					if a := args(idx[t]); len(a) > 0 {
						v = a[0]
					}
				} else if e := obj(w, "default_expr"); e != nil {
					v = eval(e, envs[row])
				}
			default:
				lo, hi := bounds(j)
				v = frameAggregate(name, idx, lo, hi, args)
			}
			envs[row].w[wi] = v
		}
	}
}

// frameAggregate is an aggregate over positions lo..hi of a sorted partition.
func frameAggregate(name string, idx []int, lo, hi int, args func(int) []any) any {
	var sum float64
	var cnt int64
	ints := true
	var best any
	for j := lo; j <= hi; j++ {
		if name == "count_star" {
			cnt++
			continue
		}
		a := args(idx[j])
		if len(a) == 0 || a[0] == nil {
			continue
		}
		v := a[0]
		switch name {
		case "first_value":
			if best == nil {
				best = v
			}
			continue
		case "last_value":
			best = v
			continue
		case "min", "max":
			if best == nil || (name == "min" && compareValues(v, best) < 0) || (name == "max" && compareValues(v, best) > 0) {
				best = v
			}
			continue
		}
		f, ok := toFloat(v)
		if !ok {
			continue
		}
		if _, isInt := v.(int64); !isInt {
			ints = false
		}
		sum += f
		cnt++
	}
	switch name {
	case "count", "count_star":
		return cnt
	case "first_value", "last_value", "min", "max":
		return best
	case "avg", "mean":
		if cnt == 0 {
			return nil
		}
		return sum / float64(cnt)
	}
	if cnt == 0 {
		return nil
	}
	if ints && sum == math.Trunc(sum) && math.Abs(sum) < 1<<53 {
		return int64(sum)
	}
	return sum
}

// valueKey is a value's identity for partitions and set operations: numbers
// by value, NULLs equal.
func valueKey(v any) string {
	if f, ok := toFloat(v); ok {
		b, _ := json.Marshal(f)
		return "n" + string(b)
	}
	if v == nil {
		return "∅"
	}
	b, _ := json.Marshal(v)
	return "s" + string(b)
}
