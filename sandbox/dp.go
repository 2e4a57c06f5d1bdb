package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
)

// Differential-privacy mode (issue 6): a workspace with an epsilon budget
// gets its aggregates with Laplace noise from Google's library instead of
// exact values, each release spending part of the budget, and is refused
// once the budget is spent. Contributions are bounded before noise: values
// clamp to the column's declared Bounds, a person counts at most MaxRows
// rows per group and in at most MaxGroups groups, so the noise covers
// anyone's whole influence. Groups themselves are released only when their
// noisy person count passes the library's threshold and K, so a group's mere
// presence does not reveal one person either (R28.3).

// DPSettings tunes differential-privacy mode; zero values take defaults.
type DPSettings struct {
	QueryEpsilon float64 // spent by one release; default a tenth of the budget
	Delta        float64 // δ of group selection per release; default 1e-6
	MaxGroups    int     // groups one person may contribute to (L0); default 1
	MaxRows      int     // rows one person may contribute per group (L∞); default 1
}

func (ws *Workspace) dpMode() bool { return ws.Epsilon > 0 }

func (ws *Workspace) dpSettings() DPSettings {
	s := ws.DP
	if s.QueryEpsilon <= 0 {
		s.QueryEpsilon = ws.Epsilon / 10
	}
	if s.Delta <= 0 || s.Delta >= 1 {
		s.Delta = 1e-6
	}
	if s.MaxGroups <= 0 {
		s.MaxGroups = 1
	}
	if s.MaxRows <= 0 {
		s.MaxRows = 1
	}
	return s
}

type dpKind int

const (
	dpKey      dpKind = iota // a group key
	dpCount                  // count(*)
	dpCountCol               // count(x)
	dpSum
	dpAvg
)

// dpItem is one select item of a DP release.
type dpItem struct {
	kind   dpKind
	name   string
	group  int     // dpKey: which group key
	arg    node    // the argument of count(x), sum, avg
	bounds *Bounds // sum, avg
}

// dpPlan is a checked DP release: items, and how many noisy draws it takes.
type dpPlan struct {
	items []dpItem
	draws int // noisy values per group besides the selection count
}

// dpPlan checks that an aggregate query fits DP mode and records its items:
// group keys and bare count/sum/avg over bounded columns (R28.3).
func (c *checker) dpPlan(root node, p *plan) {
	if root["having"] != nil {
		c.refuse("dp_having", "差分隐私模式下不支持 HAVING：它按真实值筛选 (HAVING filters on true values)")
	}
	if len(arr(root, "modifiers")) > 0 {
		c.refuse("dp_modifier", "差分隐私模式下结果按分组排列，不支持 ORDER BY、LIMIT 或 DISTINCT (not in DP mode)")
	}
	dp := &dpPlan{}
	for i, s := range arr(root, "select_list") {
		sn, _ := s.(node)
		it := dpItem{name: str(sn, "alias"), group: -1}
		for g, gc := range p.groupCanon {
			if gc == p.itemCanon[i] {
				it.kind, it.group = dpKey, g
			}
		}
		if it.group < 0 {
			c.dpAggregate(sn, &it)
		}
		if it.name == "" {
			it.name = dpName(sn)
		}
		switch it.kind {
		case dpCount, dpCountCol, dpSum:
			dp.draws++
		case dpAvg:
			dp.draws += 2
		}
		dp.items = append(dp.items, it)
	}
	p.dp = dp
	p.base = deepCopy(root)
}

func (c *checker) dpAggregate(n node, it *dpItem) {
	name := strings.ToLower(str(n, "function_name"))
	if str(n, "class") != "FUNCTION" || !aggregates[name] {
		c.refuse("dp_item", "差分隐私模式下只能输出分组键和 count、sum、avg (only keys, count, sum, avg in DP mode)")
		return
	}
	if n["filter"] != nil || n["distinct"] == true {
		c.refuse("dp_item", "差分隐私模式下聚合函数不支持 FILTER 或 DISTINCT (no FILTER/DISTINCT in DP mode)")
		return
	}
	arg, _ := firstChild(arr(n, "children"))
	switch name {
	case "count_star":
		it.kind = dpCount
		return
	case "count":
		if arg == nil {
			it.kind = dpCount
			return
		}
		it.kind, it.arg = dpCountCol, arg
		return
	case "sum":
		it.kind = dpSum
	case "avg", "mean":
		it.kind = dpAvg
	default:
		c.refuse("dp_item", "差分隐私模式下不支持聚合函数 %s，只支持 count、sum、avg (only count, sum, avg)", name)
		return
	}
	var col *Column
	if str(arg, "class") == "COLUMN_REF" {
		_, col = c.resolve(arg)
	}
	if col == nil || col.Bounds == nil || !(col.Bounds.Lower <= col.Bounds.Upper) {
		c.refuse("dp_bounds", "差分隐私模式下 %s 只能作用于声明了取值范围的数值列 (sum/avg need a column with declared bounds)", name)
		return
	}
	it.arg, it.bounds = arg, col.Bounds
}

// dpName names an unaliased item as DuckDB would, roughly.
func dpName(n node) string {
	if str(n, "class") == "COLUMN_REF" {
		names := strs(n, "column_names")
		return names[len(names)-1]
	}
	name := strings.ToLower(str(n, "function_name"))
	if name == "count_star" {
		return "count_star()"
	}
	arg, _ := firstChild(arr(n, "children"))
	if str(arg, "class") == "COLUMN_REF" {
		return name + "(" + dpName(arg) + ")"
	}
	return name
}

// dpQuery builds the bounded statistics per group: distinct units (persons,
// or rows when no table has a person key), then per item the bounded count
// or sum. Bounding happens per person before anything is added up.
func dpQuery(ctx context.Context, conn *sql.Conn, p *plan, s DPSettings) (string, error) {
	var items []node
	var keys []string
	for i, g := range p.groups {
		items = append(items, withAlias(try(deepCopy(g)), fmt.Sprintf("__shuyu_g%d", i)))
		keys = append(keys, fmt.Sprintf("__shuyu_g%d", i))
	}
	if p.person != nil {
		items = append(items, withAlias(deepCopy(p.person), "__shuyu_pk"))
	}
	for i, it := range p.dp.items {
		if it.arg != nil {
			items = append(items, withAlias(try(castDouble(deepCopy(it.arg))), fmt.Sprintf("__shuyu_x%d", i)))
		}
	}
	rows, err := deserialize(ctx, conn, regroup(p.base, items, nil))
	if err != nil {
		return "", err
	}
	rows = strings.TrimRight(strings.TrimSpace(rows), ";")
	L := float64(s.MaxRows)
	lit := func(f float64) string { return fmt.Sprintf("CAST(%v AS DOUBLE)", f) }
	per := append([]string{}, keys...)
	outer := append([]string{}, keys...)
	outer = append(outer, "count(*) AS __shuyu_units")
	unit := p.person != nil
	for i, it := range p.dp.items {
		x := fmt.Sprintf("__shuyu_x%d", i)
		switch it.kind {
		case dpCount:
			per = append(per, dpBound(unit, "count(*)", "1", fmt.Sprintf("least(%%s, %d)", s.MaxRows))+fmt.Sprintf(" AS __shuyu_n%d", i))
		case dpCountCol:
			per = append(per, dpBound(unit, "count("+x+")", "CAST("+x+" IS NOT NULL AS INTEGER)", fmt.Sprintf("least(%%s, %d)", s.MaxRows))+fmt.Sprintf(" AS __shuyu_n%d", i))
		case dpSum, dpAvg:
			lo, hi := it.bounds.Lower, it.bounds.Upper
			clamp := fmt.Sprintf("greatest(least(%s, %s), %s)", x, lit(hi), lit(lo))
			// A person's k rows sum into [k·lo, k·hi]; k counts up to MaxRows.
			pl, ph := math.Min(lo, L*lo), math.Max(hi, L*hi)
			per = append(per, dpBound(unit, "sum("+clamp+")", clamp, "greatest(least(%s, "+lit(ph)+"), "+lit(pl)+")")+fmt.Sprintf(" AS __shuyu_s%d", i))
			if it.kind == dpAvg {
				per = append(per, dpBound(unit, "count("+x+")", "CAST("+x+" IS NOT NULL AS INTEGER)", fmt.Sprintf("least(%%s, %d)", s.MaxRows))+fmt.Sprintf(" AS __shuyu_n%d", i))
			}
		}
	}
	for i, it := range p.dp.items {
		switch it.kind {
		case dpCount, dpCountCol:
			outer = append(outer, fmt.Sprintf("coalesce(sum(__shuyu_n%d), 0)", i))
		case dpSum:
			outer = append(outer, fmt.Sprintf("coalesce(sum(__shuyu_s%d), 0)", i))
		case dpAvg:
			outer = append(outer, fmt.Sprintf("coalesce(sum(__shuyu_s%d), 0)", i), fmt.Sprintf("coalesce(sum(__shuyu_n%d), 0)", i))
		}
	}
	var q strings.Builder
	q.WriteString("WITH __shuyu_r AS (" + rows + "), __shuyu_p AS (SELECT " + strings.Join(per, ", ") + " FROM __shuyu_r")
	if unit {
		// One row per person and group; then at most MaxGroups groups per person.
		q.WriteString(" GROUP BY " + strings.Join(append(append([]string{}, keys...), "__shuyu_pk"), ", "))
		q.WriteString(fmt.Sprintf(" QUALIFY row_number() OVER (PARTITION BY __shuyu_pk ORDER BY random()) <= %d", s.MaxGroups))
	}
	q.WriteString(") SELECT " + strings.Join(outer, ", ") + " FROM __shuyu_p")
	if len(keys) > 0 {
		q.WriteString(" GROUP BY " + strings.Join(keys, ", "))
	}
	return q.String(), nil
}

// dpBound is a per-unit contribution: agg bounded by limit (a format with
// one %s) when rows are grouped per person, else the row's own value.
func dpBound(perPerson bool, agg, row, limit string) string {
	if !perPerson {
		return row
	}
	return fmt.Sprintf(limit, agg)
}

// dpStatement prepares an aggregate for differential-privacy mode: one kind
// of privacy unit (tables joined on it), no subqueries, conditions kept as
// the merchant wrote them (the noise covers any one unit's influence).
func (c *checker) dpStatement(root node, conds []node, p *plan) {
	for _, e := range c.scope {
		if e.table.Source == "" {
			c.refuse("dp_subquery", "差分隐私模式下不支持子查询")
			return
		}
	}
	if len(p.units) > 1 {
		c.refuse("dp_units", "差分隐私模式下只能统计一类对象：含个人信息的多张表须按身份证号等标识关联")
		return
	}
	if len(p.units) == 1 {
		p.person = p.units[0].node()
	}
	if len(conds) > 0 {
		root["where_clause"] = withJoins(obj(root, "where_clause"), try(and(conds...)))
	}
	c.dpPlan(root, p)
}

// regroup makes a statement over the checked FROM and WHERE of base with
// other select items and group keys, and no HAVING, ORDER BY, LIMIT or
// DISTINCT.
func regroup(base node, items, groups []node) node {
	root := deepCopy(base)
	sel := make([]any, len(items))
	for i, it := range items {
		sel[i] = it
	}
	gs := make([]any, len(groups))
	set := make([]any, len(groups))
	for i, g := range groups {
		gs[i], set[i] = g, i
	}
	root["select_list"] = sel
	root["group_expressions"] = gs
	root["group_sets"] = []any{}
	if len(groups) > 0 {
		root["group_sets"] = []any{set}
	}
	root["having"] = nil
	root["qualify"] = nil
	root["modifiers"] = []any{}
	return node{"node": root, "named_param_map": []any{}}
}
