package sandbox

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// plan is a checked statement ready to run.
type plan struct {
	stmt       node
	aggregate  bool
	items      int    // merchant-visible select items; hidden columns follow
	flows      []flow // per select item
	keyItems   []int  // select items that are not aggregates: the group values
	sites      []aggSite
	groupDef   string // group definition by column names, for the differencing record
	filterHash string // the whole checked statement, canonical

	groupExprs []node // the rewritten GROUP BY expressions
	person     node   // the person key column, nil when no table has one
	// perPerson says one person may own several rows (a table that is not
	// OnePerPerson, or any join), so dominance is judged per person.
	perPerson bool
	base      node       // the checked SELECT_NODE before hidden columns, when dominance needs a query of its own
	kCol      int        // hidden distinct-person count
	cols      []siteCols // hidden columns per aggregate site
	groupCols []int      // hidden group-key columns, to match the dominance query's rows

	groupCanon []string // canonical group keys before rewriting, for DP mode
	itemCanon  []string // canonical select items before rewriting, for DP mode
	dp         *dpPlan  // the differential-privacy release, in DP mode
}

// siteCols locates one aggregate site's hidden columns in the result; -1
// when absent.
type siteCols struct {
	filter int // persons passing the FILTER
	value  int // a copy of the aggregate (DuckDB computes identical aggregates once)
	count  int // non-null count of the argument, for avg
	max    int // largest and smallest argument: the fast dominance bound
	min    int
}

// Hidden column names the engine appends; merchants cannot alias to them.
const (
	hiddenK      = "__shuyu_k"
	hiddenPerson = "__pk"
)

func hasAggregate(v any) bool {
	switch x := v.(type) {
	case node:
		if str(x, "class") == "FUNCTION" && aggregates[strings.ToLower(str(x, "function_name"))] {
			return true
		}
		if str(x, "class") == "SUBQUERY" {
			return false
		}
		for _, e := range x {
			if hasAggregate(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasAggregate(e) {
				return true
			}
		}
	}
	return false
}

func deepCopy(n node) node {
	b, _ := json.Marshal(n)
	var out node
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	_ = dec.Decode(&out)
	return out
}

// statement checks and rewrites one parsed statement (R4.2, R28.3, R28.5).
func (c *checker) statement(st node) *plan {
	c.item = -1
	root := obj(st, "node")
	if str(root, "type") != "SELECT_NODE" {
		c.refuse("set_operation", "暂不支持 UNION/INTERSECT/EXCEPT 等组合查询 (set operations not supported)")
		return nil
	}
	if len(arr(obj(root, "cte_map"), "map")) > 0 {
		c.refuse("cte", "暂不支持 WITH 子句，请分步查询 (CTEs not supported)")
	}
	if str(root, "aggregate_handling") != "STANDARD_HANDLING" || root["qualify"] != nil || root["sample"] != nil {
		c.refuse("clause", "不支持 GROUP BY ALL、QUALIFY 或抽样 (clause not supported)")
	}
	if len(arr(root, "group_sets")) > 1 {
		c.refuse("grouping_sets", "不支持 ROLLUP/CUBE/GROUPING SETS (grouping sets)")
	}
	p := &plan{stmt: st}
	var orders []node
	for _, m := range arr(root, "modifiers") {
		mn, _ := m.(node)
		switch str(mn, "type") {
		case "ORDER_MODIFIER":
			for _, o := range arr(mn, "orders") {
				on, _ := o.(node)
				orders = append(orders, obj(on, "expression"))
			}
		case "LIMIT_MODIFIER":
			for _, k := range []string{"limit", "offset"} {
				if v := obj(mn, k); v != nil && str(v, "class") != "CONSTANT" {
					c.refuse("limit", "LIMIT/OFFSET 只能是常数 (constant limits only)")
				}
			}
		case "DISTINCT_MODIFIER":
			if len(arr(mn, "distinct_on_targets")) > 0 {
				c.refuse("distinct_on", "不支持 DISTINCT ON (DISTINCT ON)")
			}
		default:
			c.refuse("modifier", "不支持的子句 %s (clause not supported)", str(mn, "type"))
		}
	}
	c.from(obj(root, "from_table"))
	if len(c.reasons) > 0 {
		return nil // names unresolved: further checks would only add noise
	}
	if w := obj(root, "where_clause"); w != nil {
		if hasAggregate(w) {
			c.refuse("aggregate_place", "聚合函数不能出现在 WHERE 中 (aggregate in WHERE)")
		}
		c.expr(w, ectx{cond: true})
	}
	sel := arr(root, "select_list")
	groups := arr(root, "group_expressions")
	c.aggregate = len(groups) > 0 || hasAggregate(sel)
	p.aggregate = c.aggregate

	// Group keys: never identifiers or sensitive values, quasi ones generalized (R28.5).
	c.groups = map[string]bool{}
	var defs []string
	byName := func(n node) string {
		names := strs(n, "column_names")
		if len(names) == 0 {
			return ""
		}
		return strings.ToLower(names[len(names)-1])
	}
	for _, g := range groups {
		gn, _ := g.(node)
		if idx, ok := ordinal(gn, len(sel)); ok {
			gn = deepCopy(sel[idx].(node)) // checked here, rewritten when the item is walked
		} else if str(gn, "class") == "COLUMN_REF" && len(strs(gn, "column_names")) == 1 {
			if _, col := c.resolve(gn); col == nil {
				name := strs(gn, "column_names")[0]
				for _, s := range sel {
					if sn, _ := s.(node); equalFold(str(sn, "alias"), name) {
						gn = deepCopy(sn)
						break
					}
				}
			}
		}
		c.groups[c.canon(gn)] = true
		p.groupCanon = append(p.groupCanon, c.canon(gn))
		defs = append(defs, canon(gn, byName))
		f := c.expr(gn, ectx{group: true})
		p.groupExprs = append(p.groupExprs, gn)
		switch {
		case f.ident:
			c.refuse("identifier_group", "不能按标识符或其派生值分组 (no grouping by identifiers)")
		case f.sens:
			c.refuse("sensitive_group", "敏感列只能在聚合函数内使用，不能分组 (sensitive values only aggregated)")
		case f.rawQuasi:
			c.refuse("generalize", "准标识符需先泛化再分组，例如 age_band、to_month、to_year (generalize first)")
		}
	}
	sort.Strings(defs)
	p.groupDef = strings.Join(defs, ";")

	c.aliases = map[string]flow{}
	p.items = len(sel)
	if c.dp {
		for _, s := range sel {
			p.itemCanon = append(p.itemCanon, c.canon(s))
		}
	}
	for i, s := range sel {
		sn, _ := s.(node)
		if strings.HasPrefix(strings.ToLower(str(sn, "alias")), "__") {
			c.refuse("alias", "列别名不能以 __ 开头 (reserved alias)")
		}
		c.item = i
		f := c.expr(sn, ectx{})
		c.item = -1
		p.flows = append(p.flows, f)
		if a := str(sn, "alias"); a != "" {
			c.aliases[strings.ToLower(a)] = f
		}
		if !f.agg {
			p.keyItems = append(p.keyItems, i)
		}
	}
	if h := obj(root, "having"); h != nil {
		c.expr(h, ectx{cond: true})
	}
	for _, o := range orders {
		if _, ok := ordinal(o, len(sel)); ok {
			continue
		}
		c.expr(o, ectx{})
	}
	if len(c.reasons) > 0 {
		return nil
	}
	p.sites = c.sites
	if c.dp && p.aggregate {
		c.dpPlan(root, p)
		if len(c.reasons) > 0 {
			return nil
		}
	}
	c.addHidden(root, p)
	p.filterHash = c.canon(st)
	return p
}

// ordinal reports whether n is a 1-based select-list position.
func ordinal(n node, items int) (int, bool) {
	if str(n, "class") != "CONSTANT" {
		return 0, false
	}
	v := obj(n, "value")
	num, ok := v["value"].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := num.Int64()
	if err != nil || i < 1 || int(i) > items {
		return 0, false
	}
	return int(i) - 1, true
}

// addHidden appends the columns disclosure control needs: the distinct
// person count per row (R28.3), the persons behind each FILTER, and the
// figures of the dominance rule per summed cell.
func (c *checker) addHidden(root node, p *plan) {
	for _, e := range c.scope {
		if e.table.PersonKey != "" {
			p.person = colRef(e.alias, e.table.PersonKey)
			break
		}
	}
	onePerRow := len(c.scope) == 1 && c.scope[0].table.OnePerPerson
	p.perPerson = p.person != nil && !onePerRow
	sel := arr(root, "select_list")
	if !p.aggregate {
		if p.person != nil {
			sel = append(sel, withAlias(deepCopy(p.person), hiddenPerson))
		}
		root["select_list"] = sel
		return
	}
	dom := false
	for _, s := range p.sites {
		dom = dom || (s.dom && s.node != nil)
	}
	if dom || p.perPerson {
		p.base = deepCopy(root)
	}
	add := func(n node, format string, i int) int {
		sel = append(sel, withAlias(n, fmt.Sprintf(format, i)))
		return len(sel) - 1
	}
	p.kCol = -1
	p.cols = make([]siteCols, len(p.sites))
	for i := range p.cols {
		p.cols[i] = siteCols{filter: -1, value: -1, count: -1, max: -1, min: -1}
	}
	if p.perPerson {
		// Persons are counted, and ranked for dominance, by a second query
		// that first aggregates per person (groupStatistics): cheaper than
		// a count DISTINCT here, and it yields both (issue 6 benchmark).
		for i, g := range p.groupExprs {
			p.groupCols = append(p.groupCols, add(deepCopy(g), "__shuyu_g%d", i))
		}
		root["select_list"] = sel
		return
	}
	// One row per person (or no person key): count(*) is the person count.
	sel = append(sel, withAlias(fn("count_star", false, nil), hiddenK))
	p.kCol = len(sel) - 1
	for i, s := range p.sites {
		sc := &p.cols[i]
		if s.filter != nil {
			sc.filter = add(fn("count_star", false, copyAny(s.filter)), "__shuyu_f%d", i)
		}
		if s.dom && s.node != nil {
			// Fast bound in the same pass (R28.3): with the largest value and
			// the total, most cells are decided without ranking anyone;
			// the rest go to the exact dominance query.
			sc.value = add(deepCopy(s.call), "__shuyu_v%d", i)
			if s.name != "sum" {
				sc.count = add(fn("count", false, copyAny(s.filter), deepCopy(s.node)), "__shuyu_n%d", i)
			}
			sc.max = add(fn("max", false, copyAny(s.filter), deepCopy(s.node)), "__shuyu_x%d", i)
			sc.min = add(fn("min", false, copyAny(s.filter), deepCopy(s.node)), "__shuyu_i%d", i)
		}
	}
	if dom {
		for i, g := range p.groupExprs {
			p.groupCols = append(p.groupCols, add(deepCopy(g), "__shuyu_g%d", i))
		}
	}
	root["select_list"] = sel
}

// copyAny deep-copies a syntax node held as any (a FILTER clause), keeping nil.
func copyAny(v any) any {
	n, ok := v.(node)
	if !ok || n == nil {
		return nil
	}
	return deepCopy(n)
}
