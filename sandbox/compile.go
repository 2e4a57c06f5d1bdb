package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// This file turns one parsed statement into a plan: which relations carry
// privacy units, which conditions are atoms for low-effect detection, which
// aggregates the merchant asked for, and what the merchant computes from
// them. docs/disclosure.md explains the mechanisms; this is where the
// statement's shape is checked and rewritten for them (R4.2, R28.3, R28.5).

// maxDepth bounds subquery nesting; maxAtoms bounds the conditions tested
// for low effect (each costs two distinct counts per group).
const (
	maxDepth = 3
	maxAtoms = 16
)

// unitRef names one privacy-unit column of a relation in scope.
type unitRef struct{ alias, col string }

// unitInst is one privacy unit of a query level: the unit columns joined to
// each other by equality count as one.
type unitInst struct {
	refs []unitRef
}

func (u unitInst) node() node { return colRef(u.refs[0].alias, u.refs[0].col) }

// aggKind is how an aggregate is protected.
type aggKind int

const (
	kCount         aggKind = iota // count(*), count(x)
	kCountDistinct                // count(DISTINCT x), approx_count_distinct(x)
	kSum
	kAvg
	kVar      // variance and standard deviation
	kQuantile // median, quantiles, min, max
)

// site is one distinct aggregate call of the statement.
type site struct {
	kind   aggKind
	name   string // the function as written, lower case
	arg    node   // the argument, TRY-wrapped (numeric kinds cast to DOUBLE); nil for count(*)
	filter *bexpr // its FILTER clause over atoms; nil when absent
	q      float64
	pop    bool // population variance or deviation
	sqrt   bool // a standard deviation
	canon  string
	argKey string // the argument's canonical form
	// unitDistinct: count(DISTINCT unit) — a count of persons (or
	// companies), anonymized like count(*); other distinct counts count
	// the values at least K units hold.
	unitDistinct bool
}

// order is one ORDER BY term over the released rows.
type order struct {
	expr       node // slotted expression, nil when item >= 0
	item       int  // a select item, -1 for an expression
	desc       bool
	nullsFirst bool
}

// plan is a checked statement ready to run.
type plan struct {
	stmt      node
	root      node
	aggregate bool
	items     int
	flows     []flow
	derived   []bool // row-level items computed with constants (Column.Derived of the withheld result)
	names     []string

	units []unitInst
	pre   []*ledScan

	// Aggregate statements.
	where     *bexpr // WHERE (and inner-join conditions) over atoms; nil when none
	atoms     []node // TRY-wrapped conditions: WHERE's first, then each FILTER's
	atomSite  []int  // -1 for a WHERE atom, else the site whose FILTER holds it
	groups    []node // group expressions: the merchant's, then derived ones
	sites     []*site
	out       []node // select items over slots
	having    node
	orders    []order
	limit     int64 // -1 when absent
	offset    int64
	distinct  bool
	onePerRow bool   // one table whose every row is a different unit
	single    *Table // the one table of a single-table statement with one unit
	windows   []node // window calls over released groups (window.go), numbered by __wid
	qualify   node   // QUALIFY over released groups and their window calls

	// Differential-privacy mode.
	groupCanon []string
	itemCanon  []string
	person     node
	base       node
	dp         *dpPlan
}

// ledScan is a subquery's WHERE, tested for low-effect atoms over the whole
// subquery before the statement runs (docs/disclosure.md, "Conditions").
type ledScan struct {
	level node // the subquery's SELECT_NODE
	joins node // its identifier joins written in WHERE, nil when none
	where *bexpr
	atoms []node
	units []node
}

// statement checks and rewrites one parsed statement. It returns nil with
// the reasons in c when the statement is refused.
func (c *checker) statement(st node) *plan {
	root := obj(st, "node")
	if str(root, "type") != "SELECT_NODE" {
		c.refuse("set_operation", "UNION、INTERSECT、EXCEPT 只能用在查询的最外层，组合几个统计查询")
		return nil
	}
	inlineCTEs(c, root, map[string]node{}, 0)
	if c.failed() {
		return nil
	}
	normalizeDates(root, c.refDate)
	groupByAll(root)
	c.flattenOuter(root)
	p := &plan{stmt: st, root: root, limit: -1}
	if str(root, "aggregate_handling") != "STANDARD_HANDLING" || root["sample"] != nil {
		c.refuse("clause", "不支持 GROUP BY ALL 或抽样")
	}
	if len(arr(root, "group_sets")) > 1 {
		c.refuse("grouping_sets", "ROLLUP、CUBE、GROUPING SETS 只能用在查询的最外层")
	}
	var orders []node
	for _, m := range arr(root, "modifiers") {
		mn, _ := m.(node)
		switch str(mn, "type") {
		case "ORDER_MODIFIER":
			orders = append(orders, nodes(arr(mn, "orders"))...)
		case "LIMIT_MODIFIER":
			for _, k := range []string{"limit", "offset"} {
				v := obj(mn, k)
				if v == nil {
					continue
				}
				n, ok := constNumber(v)
				if !ok || n < 0 || n != math.Trunc(n) {
					c.refuse("limit", "LIMIT/OFFSET 只能是非负整数常数")
					continue
				}
				if k == "limit" {
					p.limit = int64(n)
				} else {
					p.offset = int64(n)
				}
			}
		case "DISTINCT_MODIFIER":
			if len(arr(mn, "distinct_on_targets")) > 0 {
				c.refuse("distinct_on", "不支持 DISTINCT ON")
			}
			p.distinct = true
		default:
			c.refuse("modifier", "不支持的子句 %s", str(mn, "type"))
		}
	}
	c.from(obj(root, "from_table"))
	if c.failed() {
		return nil // names unresolved: further checks would only add noise
	}
	conds := c.conditions(root)
	c.crossProduct()
	sel := arr(root, "select_list")
	groups := arr(root, "group_expressions")
	c.aggregate = len(groups) > 0 || hasAggregate(sel)
	p.aggregate = c.aggregate
	c.groupKeys(root, sel, p)
	c.aliases = map[string]flow{}
	p.items = len(sel)
	for i, s := range sel {
		sn, _ := s.(node)
		if strings.HasPrefix(strings.ToLower(str(sn, "alias")), "__") {
			c.refuse("alias", "列别名不能以 __ 开头")
		}
		f := c.expr(sn, ectx{})
		p.flows = append(p.flows, f)
		p.names = append(p.names, itemName(sn, i))
		if a := str(sn, "alias"); a != "" {
			c.aliases[strings.ToLower(a)] = f
		}
		if c.dp {
			p.itemCanon = append(p.itemCanon, c.canon(sn))
		}
	}
	if h := obj(root, "having"); h != nil {
		// The statement's own HAVING filters released groups by their
		// released figures and keys, in Go (outer.go): rules 3b and 3c,
		// which keep conditions on rows from splitting at one person's
		// value, have nothing to split here (a FILTER inside it is a
		// condition on rows and is checked where c.expr meets it). A
		// per-person subquery's HAVING is a condition on units and keeps
		// them (subquery).
		c.expr(h, ectx{cond: true})
	}
	// QUALIFY filters released groups by window calls over them (window.go);
	// it leaves the statement here, so no SQL run in the domain carries it.
	qualify := obj(root, "qualify")
	root["qualify"] = nil
	if qualify != nil {
		if !c.aggregate || c.dp {
			c.refuse("window", windowReason)
		} else {
			c.expr(qualify, ectx{})
		}
	}
	for _, o := range orders {
		e := obj(o, "expression")
		if _, ok := ordinal(e, len(sel)); ok {
			continue
		}
		if _, ok := c.aliasItem(e, sel); ok {
			continue
		}
		c.expr(e, ectx{})
	}
	p.units = c.unitInstances()
	if c.failed() {
		return nil
	}
	if !p.aggregate {
		c.rowLevel(root, conds, orders, p)
		if c.failed() {
			return nil
		}
		p.pre = c.root.pre
		return p
	}
	if c.dp {
		c.dpStatement(root, conds, p)
		if c.failed() {
			return nil
		}
		return p
	}
	c.aggregatePlan(root, conds, orders, p)
	if qualify != nil {
		byCanon := map[string]int{}
		for i, g := range p.groups {
			byCanon[c.canon(g)] = i
		}
		p.qualify = c.slot(qualify, p, byCanon)
		c.outerSupported(p.qualify)
	}
	if c.failed() {
		return nil
	}
	p.pre = c.root.pre
	return p
}

// conditions gathers a level's filters: WHERE and inner-join conditions,
// split at AND; unit equalities become joins. Each remaining conjunct is
// checked as a condition.
func (c *checker) conditions(root node) []node {
	var out []node
	all := append([]node(nil), c.moved...)
	if w := obj(root, "where_clause"); w != nil {
		if hasAggregate(w) {
			c.refuse("aggregate_place", "聚合函数不能出现在 WHERE 中，请用 HAVING")
		}
		all = append(all, conjuncts(w)...)
	}
	for _, cj := range all {
		if c.unitJoin(cj) {
			c.joinConds = append(c.joinConds, cj)
			continue
		}
		if c.equiJoin(cj) {
			c.joinConds = append(c.joinConds, cj)
			continue
		}
		c.expr(cj, ectx{cond: true})
		c.splitsByYear(cj, "条件")
		out = append(out, cj)
	}
	root["where_clause"] = nil
	if len(c.joinConds) > 0 {
		root["where_clause"] = and(c.joinConds...)
	}
	return out
}

// groupKeys checks GROUP BY. Any column may be a group key except
// identifiers outside a per-unit subquery: a group is released only when it
// holds at least K units, so the key itself singles out nobody (R28.3).
func (c *checker) groupKeys(root node, sel []any, p *plan) {
	c.groups = map[string]bool{}
	groups := arr(root, "group_expressions")
	for gi, g := range groups {
		gn, _ := g.(node)
		if idx, ok := ordinal(gn, len(sel)); ok {
			gn = deepCopy(sel[idx].(node))
			gn["alias"] = ""
		} else if str(gn, "class") == "COLUMN_REF" && len(strs(gn, "column_names")) == 1 {
			if _, col := c.resolve(gn); col == nil {
				name := strs(gn, "column_names")[0]
				for _, s := range sel {
					if sn, _ := s.(node); equalFold(str(sn, "alias"), name) {
						gn = deepCopy(sn)
						gn["alias"] = ""
						break
					}
				}
			}
		}
		if hasAggregate(gn) {
			c.refuse("aggregate_place", "聚合函数不能出现在 GROUP BY 中")
			continue
		}
		before := c.canon(gn) // select items are matched before their masking calls are renamed
		f := c.expr(gn, ectx{group: true})
		c.groups[before] = true
		if !c.transform(gn) && !(c.depth == 0 && c.recode(gn)) {
			c.refuse("group_transform", "分组表达式："+transformReason+"；年龄段可用 age_band(出生日期, 10)，金额分段可用 floor(金额/500)*500")
		}
		groups[gi] = gn
		c.groups[c.canon(gn)] = true
		if p != nil {
			p.groups = append(p.groups, gn)
			p.groupCanon = append(p.groupCanon, c.canon(gn))
		}
		if !c.perUnit {
			// A key that splits by day is the date itself in other words
			// (strftime(d, '%Y%m%d'), d + 0, day(d)); a recoding CASE
			// draws its boundaries with conditions, which split by years
			// or by exact ages, the group keys' own grain (rule 3b).
			if str(gn, "class") == "CASE" {
				for _, cc := range nodes(arr(gn, "case_checks")) {
					c.recodeSplits(obj(cc, "when_expr"), "分组表达式")
				}
			} else if str(gn, "class") != "COLUMN_REF" && c.grainOf(gn) == grainDay {
				c.refuse("generalize", "分组表达式不能按日区分出生日期等可识别个人的日期，请用 to_month、to_year 或 age_band")
			} else if c.mentionsAmount(gn) && !c.amountForm(gn) {
				c.refuse("amount_grain", "分组表达式：%s", amountReason)
			}
		}
		if !c.perUnit && str(gn, "class") == "COLUMN_REF" {
			// A date of birth (any date or marked quasi-identifier) as a
			// group key would describe persons by the day: generalize it.
			if _, col := c.resolve(gn); col != nil && col.Policy == Quasi && (col.Generalize || c.temporal(gn)) {
				c.refuse("generalize", "列 %s 须先泛化再分组，如 to_month(%s)、to_year(%s) 或 age_band(%s, 10)", col.Name, col.Name, col.Name, col.Name)
			}
		}
		if f.ident && !c.perUnit {
			c.refuse("identifier_group", "不能按标识符或其派生值分组；按人汇总请写在子查询中，外层再统计")
		}
	}
}

// aliasItem resolves an ORDER BY term naming a select alias.
func (c *checker) aliasItem(e node, sel []any) (int, bool) {
	if str(e, "class") != "COLUMN_REF" || len(strs(e, "column_names")) != 1 {
		return 0, false
	}
	if _, col := c.resolve(e); col != nil {
		return 0, false
	}
	name := strs(e, "column_names")[0]
	for i, s := range sel {
		if sn, _ := s.(node); equalFold(str(sn, "alias"), name) {
			return i, true
		}
	}
	return 0, false
}

// unitOf reports the unit column n names, looking through mask_hash.
func (c *checker) unitOf(n node) (unitRef, bool) {
	if str(n, "class") == "FUNCTION" {
		ch := arr(n, "children")
		if len(ch) == 0 {
			return unitRef{}, false
		}
		inner, _ := ch[len(ch)-1].(node)
		return c.unitOf(inner)
	}
	e, col := c.resolve(n)
	if col == nil {
		return unitRef{}, false
	}
	for _, k := range e.table.unitKeys() {
		if equalFold(k, col.Name) {
			return unitRef{strings.ToLower(e.alias), strings.ToLower(k)}, true
		}
	}
	return unitRef{}, false
}

// unitInstances lists the level's privacy units: every unit column of every
// relation in scope, those joined by equality merged into one.
func (c *checker) unitInstances() []unitInst {
	var refs []unitRef
	idx := map[unitRef]int{}
	for _, e := range c.scope {
		for _, k := range e.table.unitKeys() {
			r := unitRef{strings.ToLower(e.alias), strings.ToLower(k)}
			if _, ok := idx[r]; !ok {
				idx[r] = len(refs)
				refs = append(refs, r)
			}
		}
	}
	parent := make([]int, len(refs))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, j := range c.joins {
		a, aok := idx[j[0]]
		b, bok := idx[j[1]]
		if aok && bok {
			parent[find(a)] = find(b)
		}
	}
	byRoot := map[int]int{}
	var out []unitInst
	for i, r := range refs {
		root := find(i)
		k, ok := byRoot[root]
		if !ok {
			k = len(out)
			byRoot[root] = k
			out = append(out, unitInst{})
		}
		out[k].refs = append(out[k].refs, r)
	}
	return out
}

// subquery checks a subquery in FROM and returns the relation it is to the
// level above: its columns with the policies that flowed into them, and
// its privacy units as columns (hidden __aidN ones where the merchant did
// not select them). An aggregating subquery must group by every unit: it
// is then a per-person (or per-company) pre-aggregation, whose rows the
// level above counts as units.
func (c *checker) subquery(root node, alias string) *Table {
	if c.depth+1 >= maxDepth {
		c.refuse("subquery_depth", "子查询嵌套过深（最多 %d 层）", maxDepth-1)
		return nil
	}
	if str(root, "type") != "SELECT_NODE" {
		c.refuse("set_operation", "UNION、INTERSECT、EXCEPT 只能用在查询的最外层，组合几个统计查询")
		return nil
	}
	if len(arr(root, "modifiers")) > 0 {
		c.refuse("subquery_clause", "子查询中不支持 ORDER BY、LIMIT 或 DISTINCT")
	}
	if str(root, "aggregate_handling") != "STANDARD_HANDLING" || root["qualify"] != nil || root["sample"] != nil || len(arr(root, "group_sets")) > 1 {
		c.refuse("clause", "不支持 GROUP BY ALL、QUALIFY、抽样或分组集")
	}
	s := c.child()
	s.from(obj(root, "from_table"))
	if c.failed() {
		return nil
	}
	conds := s.conditions(root)
	s.crossProduct()
	sel := arr(root, "select_list")
	s.aggregate = len(arr(root, "group_expressions")) > 0 || hasAggregate(sel)
	s.perUnit = s.aggregate
	s.groupKeys(root, sel, nil)
	units := s.unitInstances()
	if s.aggregate {
		for _, u := range units {
			grouped := false
			for _, r := range u.refs {
				if s.groups[s.canon(colRef(r.alias, r.col))] {
					grouped = true
				}
			}
			if !grouped {
				c.refuse("subquery_unit", "汇总子查询须按个人（或企业）标识分组，如 GROUP BY id_number，外层再做统计")
				return nil
			}
		}
	}
	// Computed group keys run inside TRY like every row expression; a
	// plain column cannot fail (and DuckDB mis-binds TRY(column) as a key).
	gkeys := map[string]node{}
	gl := arr(root, "group_expressions")
	for i, g := range gl {
		gn, _ := g.(node)
		key := s.canon(gn)
		if str(gn, "class") != "COLUMN_REF" {
			gn = try(gn)
			gl[i] = gn
		}
		gkeys[key] = gn
	}
	tb := &Table{Name: alias}
	s.aliases = map[string]flow{}
	orig := make([]node, len(sel))
	for i, it := range sel {
		sn, _ := it.(node)
		orig[i] = deepCopy(sn)
		name := str(sn, "alias")
		if name == "" && str(sn, "class") == "COLUMN_REF" {
			names := strs(sn, "column_names")
			name = names[len(names)-1]
		}
		if name == "" {
			c.refuse("subquery_name", "子查询中的计算列须起别名，例如 count(*) AS visits")
			continue
		}
		if strings.HasPrefix(name, "__") {
			c.refuse("alias", "列别名不能以 __ 开头")
		}
		for _, col := range tb.Columns {
			if equalFold(col.Name, name) {
				c.refuse("subquery_name", "子查询的列名 %s 重复", name)
			}
		}
		f := s.expr(sn, ectx{})
		switch {
		case f.ident && !s.aggregate && !s.identShape(sn):
			c.refuse("identifier_transform", "子查询的列 %s："+identShapeReason, name)
		case !s.aggregate && !s.transform(sn):
			c.refuse("row_transform", "子查询的列 %s："+transformReason, name)
		case s.aggregate && !s.transformOverUnits(sn):
			c.refuse("row_transform", "子查询的列 %s："+transformReason, name)
		case !s.passesDate(sn):
			c.refuse("date_grain", "子查询的列 %s："+passesDateReason, name)
		case !s.passesAmount(sn):
			c.refuse("amount_grain", "子查询的列 %s：%s", name, amountReason)
		case s.aggregate && hasFilter(sn):
			// A FILTER here is a condition on rows that no low-effect test
			// sees; the subquery's WHERE and the outer FILTER are tested.
			c.refuse("subquery_filter", "按人汇总的子查询中不支持 FILTER；条件请写在子查询的 WHERE 中，或在外层用 FILTER (WHERE …)")
		}
		col := Column{Name: name, Policy: f.policy(), Derived: s.constInMonomial(orig[i]) || s.derivedRef(orig[i])}
		if str(orig[i], "class") == "COLUMN_REF" {
			// A column passed through keeps its type and its demand for
			// generalization.
			if _, src := s.resolve(orig[i]); src != nil {
				col.Type, col.Generalize = src.Type, src.Generalize
			}
		} else if col.Policy == Sensitive && s.mentionsAmount(orig[i]) {
			// One person's total of an amount is an amount (rule 3c).
			col.Type = "DOUBLE"
		} else if s.bareDate(orig[i]) {
			// One person's earliest or latest birth date is a birth date.
			if _, src := s.resolve(nodes(arr(orig[i], "children"))[0]); src != nil {
				col.Type, col.Generalize, col.Policy = src.Type, true, Quasi
			}
		}
		tb.Columns = append(tb.Columns, col)
		if g, ok := gkeys[s.canon(sn)]; ok {
			sel[i] = withAlias(deepCopy(g), name) // the key as grouped, TRY included
		} else {
			sel[i] = withAlias(s.safe(sn), name)
		}
		s.aliases[strings.ToLower(name)] = f
	}
	if c.failed() {
		return nil
	}
	// HAVING over one unit's figures is a condition on units: it moves to
	// the level above as atoms, where low-effect detection sees it.
	if h := obj(root, "having"); h != nil {
		s.expr(h, ectx{cond: true})
		s.splitsByYear(h, "HAVING 条件")
		sk, atoms := skeleton(h)
		refs := make([]node, len(atoms))
		for j, a := range atoms {
			name := fmt.Sprintf("__h%d", j)
			sel = append(sel, withAlias(s.safe(a), name))
			tb.Columns = append(tb.Columns, Column{Name: name, Policy: Open})
			refs[j] = colRef(alias, name)
		}
		c.moved = append(c.moved, sk.node(func(j int) node { return deepCopy(refs[j]) }))
		root["having"] = nil
	}
	unitNodes := make([]node, len(units))
	var keys []string
	for k, u := range units {
		unitNodes[k] = u.node()
		name := ""
		for i, o := range orig {
			for _, r := range u.refs {
				if i < len(tb.Columns) && s.canon(o) == s.canon(colRef(r.alias, r.col)) {
					name = tb.Columns[i].Name
				}
			}
		}
		if name == "" {
			name = fmt.Sprintf("__aid%d", k)
			sel = append(sel, withAlias(u.node(), name))
		}
		keys = append(keys, name)
	}
	tb.PersonKey = strings.Join(keys, ",")
	root["select_list"] = sel
	if len(conds) > 0 {
		sk, atoms := skeleton(and(conds...))
		if len(atoms) > maxAtoms {
			c.refuse("conditions", "条件过多（最多 %d 个简单条件）", maxAtoms)
			return nil
		}
		for i := range atoms {
			atoms[i] = try(atoms[i])
		}
		var joins node
		if len(s.joinConds) > 0 {
			joins = deepCopy(and(s.joinConds...))
		}
		root["where_clause"] = withJoins(joins, sk.node(func(i int) node { return deepCopy(atoms[i]) }))
		c.root.pre = append(c.root.pre, &ledScan{level: root, where: sk, atoms: atoms, units: unitNodes, joins: joins})
	}
	return tb
}

// rowLevel prepares a statement without aggregates: it runs inside the
// domain into a withheld table carrying its units as hidden columns.
func (c *checker) rowLevel(root node, conds, orders []node, p *plan) {
	sel := arr(root, "select_list")
	for i, s := range sel {
		sn, _ := s.(node)
		name := p.names[i]
		switch {
		case p.flows[i].ident && !c.identShape(sn):
			c.refuse("identifier_transform", "明细结果的列 %s："+identShapeReason, name)
		case !p.flows[i].ident && !c.transform(sn):
			c.refuse("row_transform", "明细结果的列 %s："+transformReason, name)
		case !c.passesDate(sn):
			c.refuse("date_grain", "明细结果的列 %s："+passesDateReason, name)
		case !c.passesAmount(sn):
			c.refuse("amount_grain", "明细结果的列 %s：%s", name, amountReason)
		}
		p.derived = append(p.derived, c.constInMonomial(sn) || c.derivedRef(sn))
		sel[i] = withAlias(try(sn), name)
	}
	for k, u := range p.units {
		sel = append(sel, withAlias(u.node(), fmt.Sprintf("__aid%d", k)))
	}
	root["select_list"] = sel
	if len(conds) > 0 {
		// The result may be aggregated later: its conditions get the same
		// low-effect test as a subquery's, over the whole result.
		sk, atoms := skeleton(and(conds...))
		if len(atoms) > maxAtoms {
			c.refuse("conditions", "条件过多（最多 %d 个简单条件）", maxAtoms)
			return
		}
		for i := range atoms {
			atoms[i] = try(atoms[i])
		}
		joins := obj(root, "where_clause")
		root["where_clause"] = withJoins(joins, sk.node(func(i int) node { return deepCopy(atoms[i]) }))
		units := make([]node, len(p.units))
		for k, u := range p.units {
			units[k] = u.node()
		}
		c.root.pre = append(c.root.pre, &ledScan{level: root, joins: joins, where: sk, atoms: atoms, units: units})
	}
	if p.limit >= 0 || p.offset > 0 {
		// Which rows a LIMIT keeps depends on the data; the result never
		// leaves the domain, so it has no use but to select people.
		c.refuse("row_limit", "明细结果保存在数据域内，不支持 LIMIT/OFFSET；需要统计请直接写聚合查询")
	}
	for _, o := range orders {
		if e := obj(o, "expression"); e != nil {
			if _, ok := ordinal(e, p.items); !ok {
				if _, ok := c.aliasItem(e, sel); !ok {
					if !c.transform(e) {
						c.refuse("row_transform", "ORDER BY："+transformReason)
					}
					o["expression"] = try(e)
				}
			}
		}
	}
	// Names must be distinct to become a table.
	seen := map[string]bool{}
	for _, n := range p.names {
		if seen[strings.ToLower(n)] {
			c.refuse("duplicate_name", "结果列名 %s 重复，请起别名", n)
		}
		seen[strings.ToLower(n)] = true
	}
}

// aggregatePlan prepares an aggregate statement for the anonymizing
// executor: group keys, units, condition atoms, aggregate sites and the
// merchant's expressions over them.
func (c *checker) aggregatePlan(root node, conds, orders []node, p *plan) {
	if len(conds) > 0 {
		sk, atoms := skeleton(and(conds...))
		p.where = sk
		for _, a := range atoms {
			p.atoms = append(p.atoms, try(a))
			p.atomSite = append(p.atomSite, -1)
		}
	}
	byCanon := map[string]int{}
	for i, g := range p.groups {
		byCanon[c.canon(g)] = i
	}
	sel := arr(root, "select_list")
	for _, s := range sel {
		sn, _ := s.(node)
		p.out = append(p.out, c.slot(sn, p, byCanon))
	}
	if h := obj(root, "having"); h != nil {
		p.having = c.slot(h, p, byCanon)
	}
	for _, o := range orders {
		e := obj(o, "expression")
		od := order{item: -1, desc: str(o, "type") == "DESCENDING"}
		// DuckDB's default is NULLS LAST in both directions.
		od.nullsFirst = str(o, "null_order") == "NULLS_FIRST"
		if i, ok := ordinal(e, len(sel)); ok {
			od.item = i
		} else if i, ok := c.aliasItem(e, sel); ok {
			od.item = i
		} else {
			od.expr = c.slot(e, p, byCanon)
		}
		p.orders = append(p.orders, od)
	}
	if len(p.atoms) > maxAtoms {
		c.refuse("conditions", "条件过多（最多 %d 个简单条件）", maxAtoms)
	}
	for _, x := range append(append([]node{p.having}, p.out...), orderExprs(p.orders)...) {
		if x != nil {
			c.outerSupported(x)
		}
	}
	if len(c.scope) == 1 && c.scope[0].table.Source != "" && len(p.units) == 1 && len(c.scope[0].table.unitKeys()) == 1 {
		p.single = c.scope[0].table
		p.onePerRow = p.single.OnePerPerson
	}
}

func orderExprs(os []order) []node {
	var out []node
	for _, o := range os {
		if o.expr != nil {
			out = append(out, o.expr)
		}
	}
	return out
}

// slot rewrites an expression over the released rows: aggregate calls
// become site slots, group keys and any expression of them group slots.
func (c *checker) slot(n node, p *plan, byCanon map[string]int) node {
	if n == nil {
		return nil
	}
	if i, ok := byCanon[c.canon(n)]; ok {
		return slotNode("g", i)
	}
	if str(n, "class") == "FUNCTION" && aggregates[strings.ToLower(str(n, "function_name"))] {
		return slotNode("a", c.site(n, p))
	}
	if str(n, "class") == "WINDOW" {
		return c.slotWindow(n, p, byCanon)
	}
	if !hasAggregate(n) && hasColumn(n) && !hasWindow(n) {
		// An expression of group keys: computed per row in the domain as
		// one more key, which splits no group.
		g := deepCopy(n)
		g["alias"] = ""
		i := len(p.groups)
		p.groups = append(p.groups, g)
		byCanon[c.canon(g)] = i
		return slotNode("g", i)
	}
	out := node{}
	for k, v := range n {
		switch x := v.(type) {
		case node:
			if k == "value" || k == "cast_type" || k == "type" {
				out[k] = x
			} else {
				out[k] = c.slot(x, p, byCanon)
			}
		case []any:
			l := make([]any, len(x))
			for i, e := range x {
				if en, ok := e.(node); ok {
					if k == "case_checks" {
						l[i] = node{"when_expr": c.slot(obj(en, "when_expr"), p, byCanon), "then_expr": c.slot(obj(en, "then_expr"), p, byCanon)}
					} else {
						l[i] = c.slot(en, p, byCanon)
					}
				} else {
					l[i] = e
				}
			}
			out[k] = l
		default:
			out[k] = v
		}
	}
	return out
}

// hasFilter reports whether an aggregate call in n has a FILTER clause.
func hasFilter(n node) bool {
	if n == nil {
		return false
	}
	if str(n, "class") == "FUNCTION" && n["filter"] != nil && aggregates[strings.ToLower(str(n, "function_name"))] {
		return true
	}
	for _, v := range n {
		switch x := v.(type) {
		case node:
			if hasFilter(x) {
				return true
			}
		case []any:
			for _, e := range x {
				if en, ok := e.(node); ok && hasFilter(en) {
					return true
				}
			}
		}
	}
	return false
}

func slotNode(kind string, i int) node {
	return node{"class": "__SLOT", "slot": kind, "index": i}
}

func hasColumn(v any) bool {
	switch x := v.(type) {
	case node:
		if str(x, "class") == "COLUMN_REF" {
			return true
		}
		for _, e := range x {
			if hasColumn(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasColumn(e) {
				return true
			}
		}
	}
	return false
}

// site registers one aggregate call (identical calls share a site).
func (c *checker) site(n node, p *plan) int {
	name := strings.ToLower(str(n, "function_name"))
	key := c.canon(n)
	for i, s := range p.sites {
		if s.canon == key {
			return i
		}
	}
	s := &site{name: name, canon: key}
	children := arr(n, "children")
	arg, _ := firstChild(children)
	if arg != nil {
		s.argKey = c.canon(arg)
	}
	num := func() node { return try(castDouble(deepCopy(arg))) }
	switch name {
	case "count_star":
		s.kind = kCount
	case "count", "approx_count_distinct":
		s.kind = kCount
		if arg != nil {
			s.arg = try(deepCopy(arg))
		}
		if n["distinct"] == true || name == "approx_count_distinct" {
			s.kind = kCountDistinct
			s.unitDistinct = arg != nil && c.bareUnit(arg)
			if arg == nil {
				c.refuse("distinct_aggregate", "count(DISTINCT …) 需要一个参数")
			}
		}
	case "sum":
		s.kind, s.arg = kSum, num()
	case "avg", "mean":
		s.kind, s.arg = kAvg, num()
	case "variance", "var_samp", "var_pop", "stddev", "stddev_samp", "stddev_pop":
		s.kind, s.arg = kVar, num()
		s.pop = strings.HasSuffix(name, "_pop")
		s.sqrt = strings.HasPrefix(name, "stddev")
	case "median", "min", "max", "quantile", "quantile_cont", "quantile_disc":
		s.kind, s.arg = kQuantile, num()
		switch name {
		case "median":
			s.q = 0.5
		case "min":
			s.q = 0
		case "max":
			s.q = 1
		default:
			if len(children) != 2 {
				c.refuse("quantile", "%s 需要两个参数：列和 0 到 1 之间的常数分位点", name)
				break
			}
			qn, _ := children[1].(node)
			q, ok := constNumber(qn)
			if !ok || q < 0 || q > 1 {
				c.refuse("quantile", "%s 的分位点须是 0 到 1 之间的常数（多个分位点请分别写）", name)
			}
			s.q = q
		}
	}
	if arg == nil && s.kind != kCount {
		c.refuse("aggregate_argument", "%s 需要一个参数", name)
	}
	if f := obj(n, "filter"); f != nil {
		sk, atoms := skeleton(f)
		base := len(p.atoms)
		for _, a := range atoms {
			p.atoms = append(p.atoms, try(a))
			p.atomSite = append(p.atomSite, len(p.sites))
		}
		s.filter = sk.shift(base)
	}
	p.sites = append(p.sites, s)
	return len(p.sites) - 1
}

// constNumber reads a numeric constant (DuckDB prints 0.5 as DECIMAL 5 with
// scale 1).
func constNumber(n node) (float64, bool) {
	if str(n, "class") == "CAST" {
		return constNumber(obj(n, "child"))
	}
	if str(n, "class") != "CONSTANT" {
		return 0, false
	}
	v := obj(n, "value")
	if b, _ := v["is_null"].(bool); b {
		return 0, false
	}
	var f float64
	switch num := v["value"].(type) {
	case json.Number:
		x, err := num.Float64()
		if err != nil {
			return 0, false
		}
		f = x
	case float64: // built by the engine (constNumberNode)
		return num, true
	case int:
		return float64(num), true
	default:
		return 0, false
	}
	typ := obj(v, "type")
	if str(typ, "id") == "DECIMAL" {
		if ti := obj(typ, "type_info"); ti != nil {
			if sc, ok := ti["scale"].(json.Number); ok {
				k, _ := sc.Int64()
				f /= math.Pow(10, float64(k))
			}
		}
	}
	return f, true
}

// ordinal reports whether n is a 1-based select-list position.
func ordinal(n node, items int) (int, bool) {
	if str(n, "class") != "CONSTANT" {
		return 0, false
	}
	v := obj(n, "value")
	num, ok := v["value"].(json.Number)
	if !ok || str(obj(v, "type"), "id") != "INTEGER" {
		return 0, false
	}
	i, err := num.Int64()
	if err != nil || i < 1 || int(i) > items {
		return 0, false
	}
	return int(i) - 1, true
}

// itemName is the output name of select item i: its alias, its column, or
// a readable rendering of the call.
func itemName(n node, i int) string {
	if a := str(n, "alias"); a != "" {
		return a
	}
	switch str(n, "class") {
	case "COLUMN_REF":
		names := strs(n, "column_names")
		return names[len(names)-1]
	case "FUNCTION":
		name := strings.ToLower(str(n, "function_name"))
		if name == "count_star" {
			return "count_star()"
		}
		arg, _ := firstChild(arr(n, "children"))
		if str(arg, "class") == "COLUMN_REF" {
			names := strs(arg, "column_names")
			if n["distinct"] == true {
				return name + "(DISTINCT " + names[len(names)-1] + ")"
			}
			return name + "(" + names[len(names)-1] + ")"
		}
		return name
	}
	return fmt.Sprintf("col%d", i+1)
}

func nodes(l []any) []node {
	out := make([]node, 0, len(l))
	for _, v := range l {
		if n, ok := v.(node); ok {
			out = append(out, n)
		}
	}
	return out
}

// inlineCTEs replaces references to WITH clauses by the subqueries they
// name, at every level, so the checker sees one tree.
func inlineCTEs(c *checker, n node, env map[string]node, depth int) {
	if depth > 8 {
		c.refuse("cte", "WITH 子句嵌套过深")
		return
	}
	if str(n, "type") != "SELECT_NODE" {
		c.refuse("set_operation", "UNION、INTERSECT、EXCEPT 只能用在查询的最外层，组合几个统计查询")
		return
	}
	if m := arr(obj(n, "cte_map"), "map"); len(m) > 0 {
		local := make(map[string]node, len(env)+len(m))
		for k, v := range env {
			local[k] = v
		}
		for _, e := range m {
			en, _ := e.(node)
			name := strings.ToLower(str(en, "key"))
			val := obj(en, "value")
			if len(arr(val, "aliases")) > 0 {
				c.refuse("cte", "不支持 WITH 子句的列别名，请在子查询的 SELECT 中起别名")
				return
			}
			q := obj(obj(val, "query"), "node")
			if q == nil {
				c.refuse("cte", "不支持的 WITH 子句")
				return
			}
			q = deepCopy(q)
			inlineCTEs(c, q, local, depth+1)
			local[name] = q
		}
		env = local
		n["cte_map"] = node{"map": []any{}}
	}
	var walk func(t node)
	walk = func(t node) {
		if t == nil {
			return
		}
		switch str(t, "type") {
		case "BASE_TABLE":
			q, ok := env[strings.ToLower(str(t, "table_name"))]
			if !ok || str(t, "schema_name") != "" || str(t, "catalog_name") != "" {
				return
			}
			alias := str(t, "alias")
			if alias == "" {
				alias = str(t, "table_name")
			}
			for k := range t {
				delete(t, k)
			}
			t["type"], t["alias"], t["sample"], t["query_location"] = "SUBQUERY", alias, nil, noLocation
			t["subquery"] = node{"node": deepCopy(q), "named_param_map": []any{}}
			t["column_name_alias"] = []any{}
		case "JOIN":
			walk(obj(t, "left"))
			walk(obj(t, "right"))
		case "SUBQUERY":
			inlineCTEs(c, obj(obj(t, "subquery"), "node"), env, depth+1)
		}
	}
	walk(obj(n, "from_table"))
}

// withJoins puts a level's identifier joins before its other conditions.
func withJoins(joins, cond node) node {
	if joins == nil {
		return cond
	}
	return and(joins, cond)
}

// bareUnit reports whether n is a privacy-unit column itself (possibly cast
// or masked with mask_hash, which is one-to-one), not a function of one.
func (c *checker) bareUnit(n node) bool {
	switch str(n, "class") {
	case "CAST":
		return c.bareUnit(obj(n, "child"))
	case "OPERATOR":
		if str(n, "type") == "OPERATOR_TRY" {
			ch, _ := firstChild(arr(n, "children"))
			return ch != nil && c.bareUnit(ch)
		}
	case "FUNCTION":
		if strings.ToLower(str(n, "function_name")) == "shuyu_hmac_sm3" {
			ch := nodes(arr(n, "children"))
			return len(ch) == 2 && c.bareUnit(ch[1])
		}
	case "COLUMN_REF":
		_, ok := c.unitOf(n)
		return ok
	}
	return false
}
