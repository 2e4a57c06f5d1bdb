package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Compound statements (docs/disclosure.md, rule 10). A UNION, INTERSECT or
// EXCEPT of aggregating queries, and an aggregating query with GROUPING
// SETS, ROLLUP or CUBE, are run as their parts: each part is an ordinary
// aggregating statement that is checked and released through the same
// disclosure-control path as any other (thresholds, flattening, sticky
// noise, the release memory), and the parts' released rows are then
// combined in Go, where nothing but released figures is seen. A totals row
// or a subtotal is thus the same figure as the query that asks for it
// alone, with the same noise. Row-level parts are refused: their results
// stay in the domain, and a set operation over them would be a condition
// no low-effect test sees.

// maxCompoundParts bounds how many aggregating statements one compound
// statement runs (CUBE over many keys multiplies them).
const maxCompoundParts = 16

// cnode is a compound statement's tree: a leaf is one SELECT, split into
// one part per grouping set; an inner node combines two subtrees.
type cnode struct {
	op          string // UNION, EXCEPT or INTERSECT; "" for a leaf
	all         bool
	left, right *cnode
	parts       []*cpart
	names       []string
	orders      []corder
	limit       int64
	offset      int64
}

// cpart is one aggregating statement of a compound statement.
type cpart struct {
	st   node  // a statement with one SELECT_NODE, as parse returns it
	cols []int // per output column of the leaf: the part's column, or -1
	fill []any // per output column the part does not compute: NULL, or grouping()'s value
	c    *checker
	p    *plan
	res  Result
}

type corder struct {
	col        int
	desc       bool
	nullsFirst bool
}

// isCompound tells whether a parsed statement is a compound one.
func isCompound(st node) bool {
	root := obj(st, "node")
	return str(root, "type") == "SET_OPERATION_NODE" || len(arr(root, "group_sets")) > 1
}

// compoundBuilder splits a compound statement into its parts, refusing
// what it does not support with reasons that depend on the SQL only.
type compoundBuilder struct {
	st      node
	parts   []*cpart
	reasons []Reason
}

func (b *compoundBuilder) refuse(code, format string, args ...any) {
	for _, r := range b.reasons {
		if r.Code == code {
			return
		}
	}
	b.reasons = append(b.reasons, Reason{code, fmt.Sprintf(format, args...)})
}

// build reads one node of the statement; ctes are the WITH entries of the
// levels above, which every part needs.
func (b *compoundBuilder) build(n node, ctes []any) *cnode {
	switch str(n, "type") {
	case "SET_OPERATION_NODE":
		op := str(n, "setop_type")
		if op != "UNION" && op != "EXCEPT" && op != "INTERSECT" {
			b.refuse("set_operation", "不支持 UNION BY NAME，请按列的位置组合")
			return nil
		}
		ctes = append(append([]any{}, ctes...), arr(obj(n, "cte_map"), "map")...)
		l, r := b.build(obj(n, "left"), ctes), b.build(obj(n, "right"), ctes)
		if l == nil || r == nil {
			return nil
		}
		if len(l.names) != len(r.names) {
			b.refuse("compound_width", "组合查询各部分的列数须相同（%d 列与 %d 列）", len(l.names), len(r.names))
			return nil
		}
		all, _ := n["setop_all"].(bool)
		cn := &cnode{op: op, all: all, left: l, right: r, names: l.names, limit: -1}
		b.modifiers(cn, n, nil)
		return cn
	case "SELECT_NODE":
		return b.leaf(n, ctes)
	}
	b.refuse("set_operation", "不支持的组合查询")
	return nil
}

// leaf splits one SELECT into one part per grouping set.
func (b *compoundBuilder) leaf(root node, ctes []any) *cnode {
	root = deepCopy(root)
	if len(ctes) > 0 {
		own := arr(obj(root, "cte_map"), "map")
		root["cte_map"] = node{"map": append(append([]any{}, ctes...), own...)}
	}
	sel := nodes(arr(root, "select_list"))
	cn := &cnode{limit: -1}
	for i, s := range sel {
		cn.names = append(cn.names, itemName(s, i))
	}
	sets := arr(root, "group_sets")
	if len(sets) <= 1 {
		// A plain SELECT inside a set operation: one part, with its own
		// ORDER BY and LIMIT, which the engine applies as usual.
		cols := make([]int, len(sel))
		for i := range cols {
			cols[i] = i
		}
		b.add(cn, root, cols, make([]any, len(sel)))
		return cn
	}
	// GROUPING SETS, ROLLUP and CUBE: group expressions are matched to
	// select items by position, alias or equal expression.
	groups := nodes(arr(root, "group_expressions"))
	itemOf := make([]int, len(groups))
	for gi, g := range groups {
		itemOf[gi] = -1
		if idx, ok := ordinal(g, len(sel)); ok {
			itemOf[gi] = idx
			continue
		}
		for j, s := range sel {
			if canon(s, nil) == canon(g, nil) || (str(g, "class") == "COLUMN_REF" && len(strs(g, "column_names")) == 1 &&
				equalFold(str(s, "alias"), strs(g, "column_names")[0])) {
				itemOf[gi] = j
				break
			}
		}
	}
	// grouping(a, b, …) and grouping_id(…) become constants per set.
	groupingArgs := make([][]int, len(sel))
	for j, s := range sel {
		if !isGroupingCall(s) {
			if mentionsGrouping(s) {
				b.refuse("grouping_sets", "grouping() 只能单独作为一列")
			}
			continue
		}
		groupingArgs[j] = []int{}
		for _, a := range nodes(arr(s, "children")) {
			gi := -1
			for k, g := range groups {
				if canon(a, nil) == canon(g, nil) || (itemOf[k] >= 0 && canon(a, nil) == canon(sel[itemOf[k]], nil)) {
					gi = k
					break
				}
			}
			if gi < 0 {
				b.refuse("grouping_sets", "grouping() 的参数须是分组表达式")
				return nil
			}
			groupingArgs[j] = append(groupingArgs[j], gi)
		}
	}
	b.modifiers(cn, root, sel)
	root["modifiers"] = []any{}
	// Finer sets first: detail rows before their subtotals and the total.
	order := make([]int, len(sets))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return len(asList(sets[order[x]])) > len(asList(sets[order[y]])) })
	for _, si := range order {
		in := map[int]bool{}
		for _, v := range asList(sets[si]) {
			if k, err := jsonInt(v); err == nil {
				in[k] = true
			}
		}
		part := deepCopy(root)
		var pg, idx []any
		for gi, g := range groups {
			if in[gi] {
				idx = append(idx, len(pg))
				pg = append(pg, deepCopy(g))
			}
		}
		part["group_expressions"] = orEmpty(pg)
		if len(pg) > 0 {
			part["group_sets"] = []any{idx}
		} else {
			part["group_sets"] = []any{}
		}
		cols := make([]int, len(sel))
		fill := make([]any, len(sel))
		var list []any
		for j, s := range sel {
			cols[j] = -1
			if args := groupingArgs[j]; args != nil {
				var v int64
				for _, gi := range args {
					v <<= 1
					if !in[gi] {
						v |= 1
					}
				}
				fill[j] = v
				continue
			}
			dropped := false
			for gi, it := range itemOf {
				if it == j && !in[gi] {
					dropped = true
				}
			}
			if dropped {
				continue
			}
			cols[j] = len(list)
			list = append(list, deepCopy(s))
		}
		if len(list) == 0 {
			// Only keys that this set leaves out: the part still needs a
			// figure for its groups to be held to K.
			list = append(list, withAlias(fn("count_star", false, nil), "n"))
		}
		part["select_list"] = list
		b.add(cn, part, cols, fill)
	}
	return cn
}

func orEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func jsonInt(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case json.Number:
		i, err := x.Int64()
		return int(i), err
	case float64:
		return int(x), nil
	}
	return 0, fmt.Errorf("not a number")
}

// mentionsGrouping reports a grouping() call anywhere in n.
func mentionsGrouping(n node) bool {
	found := false
	walkNodes(n, func(x node) {
		if isGroupingCall(x) {
			found = true
		}
	})
	return found
}

// isGroupingCall reports grouping(…) or grouping_id(…).
func isGroupingCall(n node) bool {
	if str(n, "type") == "GROUPING_FUNCTION" {
		return true
	}
	name := strings.ToLower(str(n, "function_name"))
	return str(n, "class") == "FUNCTION" && (name == "grouping" || name == "grouping_id")
}

func walkNodes(v any, f func(node)) {
	switch x := v.(type) {
	case node:
		f(x)
		for _, c := range x {
			walkNodes(c, f)
		}
	case []any:
		for _, c := range x {
			walkNodes(c, f)
		}
	}
}

func (b *compoundBuilder) add(cn *cnode, root node, cols []int, fill []any) {
	if len(b.parts) >= maxCompoundParts {
		b.refuse("compound_parts", "组合查询最多 %d 个部分（CUBE 的分组键请少于 5 个）", maxCompoundParts)
		return
	}
	st := deepCopy(b.st)
	st["node"] = root
	p := &cpart{st: st, cols: cols, fill: fill}
	b.parts = append(b.parts, p)
	cn.parts = append(cn.parts, p)
}

// modifiers reads ORDER BY and LIMIT of a set operation, or of a SELECT
// with grouping sets, which apply to the combined rows: an order names an
// output column by position, name or (sel) its expression.
func (b *compoundBuilder) modifiers(cn *cnode, n node, sel []node) {
	for _, m := range nodes(arr(n, "modifiers")) {
		switch str(m, "type") {
		case "ORDER_MODIFIER":
			for _, o := range nodes(arr(m, "orders")) {
				e := obj(o, "expression")
				col := -1
				if idx, ok := ordinal(e, len(cn.names)); ok {
					col = idx
				} else {
					for j, name := range cn.names {
						if str(e, "class") == "COLUMN_REF" && len(strs(e, "column_names")) == 1 && equalFold(strs(e, "column_names")[0], name) {
							col = j
							break
						}
						if j < len(sel) && canon(sel[j], nil) == canon(e, nil) {
							col = j
							break
						}
					}
				}
				if col < 0 {
					b.refuse("compound_order", "组合查询的 ORDER BY 只能按输出列排序（列名、别名或位置）")
					continue
				}
				// DuckDB's default is NULLS LAST in both directions.
				cn.orders = append(cn.orders, corder{col: col, desc: str(o, "type") == "DESCENDING",
					nullsFirst: str(o, "null_order") == "NULLS_FIRST"})
			}
		case "LIMIT_MODIFIER":
			for _, k := range []string{"limit", "offset"} {
				v := obj(m, k)
				if v == nil {
					continue
				}
				x, ok := constNumber(v)
				if !ok || x < 0 || x != math.Trunc(x) {
					b.refuse("limit", "LIMIT/OFFSET 只能是非负整数常数")
					continue
				}
				if k == "limit" {
					cn.limit = int64(x)
				} else {
					cn.offset = int64(x)
				}
			}
		default:
			b.refuse("compound_order", "组合查询只支持 ORDER BY 和 LIMIT 子句")
		}
	}
}

// runCompound checks every part before anything runs, then releases each
// through the engine and combines the released rows.
func (e *Engine) runCompound(ctx context.Context, conn *sql.Conn, ws *Workspace, st node, start time.Time) (*Result, error) {
	res := &Result{}
	b := &compoundBuilder{st: st}
	if ws.dpMode() {
		return e.rejected(res, start, Reason{"compound_part", "差分隐私模式下不支持组合查询（UNION、ROLLUP 等），请分别查询"}), nil
	}
	tree := b.build(obj(st, "node"), nil)
	if len(b.reasons) > 0 || tree == nil {
		return e.rejected(res, start, b.reasons...), nil
	}
	var reasons []Reason
	seen := map[string]bool{}
	e.mu.Lock()
	for _, part := range b.parts {
		part.c = newChecker(ws, false, e.Now().Format("2006-01-02"))
		part.p = part.c.statement(part.st)
		if part.c.failed() || part.p == nil {
			for _, r := range *part.c.reasons {
				if k := r.Code + r.Message; !seen[k] {
					seen[k] = true
					reasons = append(reasons, r)
				}
			}
			continue
		}
		if !part.p.aggregate {
			if !seen["compound_part"] {
				seen["compound_part"] = true
				reasons = append(reasons, Reason{"compound_part", "组合查询（UNION、INTERSECT、EXCEPT）的每一部分都须是汇总统计；明细结果请单独查询，留在数据域内使用。按人求交集（如同时有两类诊断的人数）可先按人分组：SELECT count(*) FROM (SELECT id_number FROM 表 WHERE 诊断类别 IN ('甲', '乙') GROUP BY id_number HAVING count(DISTINCT 诊断类别) = 2) t"})
			}
		}
	}
	e.mu.Unlock()
	if len(reasons) == 0 {
		var ps []*plan
		for _, part := range b.parts {
			ps = append(ps, part.p)
		}
		if r, ok := atomBudget(ps...); !ok {
			reasons = append(reasons, r)
		}
	}
	if len(reasons) > 0 {
		return e.rejected(res, start, reasons...), nil
	}
	qctx, cancel := context.WithTimeout(ctx, e.partTimeout())
	defer cancel()
	cpu0 := cpuTime()
	var hashes []string
	for _, part := range b.parts {
		res.Metering.RowsScanned += e.rowsScanned(ctx, conn, part.c.scope)
		if err := e.releasePart(qctx, conn, ws, part.p, &part.res); err != nil {
			res.Metering.CPU = cpuTime() - cpu0
			return e.failed(res, start, err)
		}
		hashes = append(hashes, part.res.Shape.SQLHash)
	}
	rows := tree.rows()
	res.Status = Released
	res.Columns = tree.names
	res.Rows = rows
	if res.Rows == nil {
		res.Rows = [][]any{}
	}
	res.Metering.RowsReturned = int64(len(rows))
	res.Metering.CPU = cpuTime() - cpu0
	res.Metering.Wall = time.Since(start)
	res.Shape.SQLHash = digest(strings.Join(hashes, ","))
	res.Shape.Rows = len(rows)
	for i, name := range tree.names {
		res.Shape.Columns = append(res.Shape.Columns, ShapeColumn{Name: name, Type: tree.colType(i)})
	}
	res.Reasons = []Reason{releaseNotice(ws.k())}
	return res, nil
}

// atomBudget holds the conditions of a statement's parts together to the
// one statement's budget: parts that each stay within it would otherwise
// multiply the figures one query can difference (red team, round six: a
// UNION ALL of 8 parts with 16 FILTERs each).
func atomBudget(ps ...*plan) (Reason, bool) {
	n := 0
	for _, p := range ps {
		if p == nil {
			continue
		}
		n += len(p.atoms)
		for _, s := range p.pre {
			n += len(s.atoms)
		}
	}
	if n > maxAtoms {
		return Reason{"conditions", fmt.Sprintf("条件过多：各部分合计最多 %d 个简单条件", maxAtoms)}, false
	}
	return Reason{}, true
}

// releasePart runs one aggregating part of a statement made of several:
// rule 5's and 5a's tests of its subqueries, the unique-unit shortcut, and
// its release into out.
func (e *Engine) releasePart(qctx context.Context, conn *sql.Conn, ws *Workspace, p *plan, out *Result) error {
	err := e.lowEffect(qctx, conn, ws, p)
	if err == nil && !p.onePerRow && p.single != nil && p.single.Version != "" {
		if p.onePerRow, err = e.uniqueUnits(qctx, conn, p.single); err != nil {
			err = e.engineFailure("sandbox.uniqueUnits", err)
		}
	}
	if err == nil {
		err = e.release(qctx, conn, ws, p, out)
	}
	return err
}

// partTimeout is one statement's budget, shared by its parts.
func (e *Engine) partTimeout() time.Duration {
	if e.Timeout == 0 {
		return 60 * time.Second
	}
	return e.Timeout
}

// colType is the type of output column i: the first part's that computes it.
func (cn *cnode) colType(i int) string {
	if cn.op != "" {
		if t := cn.left.colType(i); t != "NULL" {
			return t
		}
		return cn.right.colType(i)
	}
	for _, p := range cn.parts {
		if j := p.cols[i]; j >= 0 && j < len(p.res.Shape.Columns) {
			return p.res.Shape.Columns[j].Type
		}
		if p.fill[i] != nil {
			return "BIGINT"
		}
	}
	return "NULL"
}

// rows combines the released rows of the subtree.
func (cn *cnode) rows() [][]any {
	var out [][]any
	if cn.op == "" {
		for _, p := range cn.parts {
			for _, r := range p.res.Rows {
				row := make([]any, len(p.cols))
				for i, j := range p.cols {
					if j >= 0 {
						row[i] = r[j]
					} else {
						row[i] = p.fill[i]
					}
				}
				out = append(out, row)
			}
		}
	} else {
		out = setOp(cn.op, cn.all, cn.left.rows(), cn.right.rows())
	}
	if len(cn.orders) > 0 {
		sort.SliceStable(out, func(i, j int) bool {
			for _, o := range cn.orders {
				if c := compareOrdered(out[i][o.col], out[j][o.col], o); c != 0 {
					return c < 0
				}
			}
			return false
		})
	}
	return offsetLimit(out, cn.offset, cn.limit)
}

// offsetLimit applies OFFSET and LIMIT (limit < 0: none).
func offsetLimit[T any](rows []T, offset, limit int64) []T {
	if offset > 0 {
		if int(offset) >= len(rows) {
			return nil
		}
		rows = rows[offset:]
	}
	if limit >= 0 && int(limit) < len(rows) {
		rows = rows[:limit]
	}
	return rows
}

func compareOrdered(a, b any, o corder) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		if o.nullsFirst {
			return -1
		}
		return 1
	case b == nil:
		if o.nullsFirst {
			return 1
		}
		return -1
	}
	c := compareValues(a, b)
	if o.desc {
		c = -c
	}
	return c
}

// setOp is SQL's UNION, INTERSECT or EXCEPT (ALL or not) over released
// rows; rows are equal when every value is (numbers by value, NULLs equal).
func setOp(op string, all bool, left, right [][]any) [][]any {
	key := func(r []any) string {
		var b strings.Builder
		for _, v := range r {
			b.WriteString(valueKey(v))
			b.WriteByte('|')
		}
		return b.String()
	}
	rightCount := map[string]int{}
	for _, r := range right {
		rightCount[key(r)]++
	}
	var out [][]any
	seen := map[string]bool{}
	keep := func(r []any) {
		k := key(r)
		if !all {
			if seen[k] {
				return
			}
			seen[k] = true
		}
		out = append(out, r)
	}
	switch op {
	case "UNION":
		for _, r := range left {
			keep(r)
		}
		for _, r := range right {
			keep(r)
		}
	case "INTERSECT":
		for _, r := range left {
			k := key(r)
			if rightCount[k] > 0 {
				if all {
					rightCount[k]--
				}
				keep(r)
			}
		}
	case "EXCEPT":
		for _, r := range left {
			k := key(r)
			if rightCount[k] > 0 {
				if all {
					rightCount[k]--
				}
				continue
			}
			keep(r)
		}
	}
	return out
}
