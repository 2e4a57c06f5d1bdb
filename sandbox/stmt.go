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
	hasPerson  bool
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
		defs = append(defs, canon(gn, byName))
		f := c.expr(gn, ectx{group: true})
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
// person count per row (R28.3) and dominance figures per summed cell.
func (c *checker) addHidden(root node, p *plan) {
	var person node
	for _, e := range c.scope {
		if e.table.PersonKey != "" {
			person = colRef(e.alias, e.table.PersonKey)
			break
		}
	}
	p.hasPerson = person != nil
	sel := arr(root, "select_list")
	if !p.aggregate {
		if person != nil {
			sel = append(sel, withAlias(person, hiddenPerson))
		}
		root["select_list"] = sel
		return
	}
	count := func(filter any) node {
		if person == nil || (len(c.scope) == 1 && c.scope[0].table.OnePerPerson) {
			return fn("count_star", false, filter)
		}
		return fn("count", true, filter, deepCopy(person))
	}
	sel = append(sel, withAlias(count(nil), hiddenK))
	for i, s := range p.sites {
		if s.filter != nil {
			sel = append(sel, withAlias(count(s.filter), fmt.Sprintf("__shuyu_f%d", i)))
		}
		if s.dom && s.node != nil {
			abs := castDouble(fn("abs", false, nil, deepCopy(s.node)))
			sel = append(sel,
				withAlias(fn("sum", false, s.filter, abs), fmt.Sprintf("__shuyu_t%d", i)),
				withAlias(fn("max", false, s.filter, deepCopy(abs), constInt(2)), fmt.Sprintf("__shuyu_m%d", i)))
		}
	}
	root["select_list"] = sel
}
