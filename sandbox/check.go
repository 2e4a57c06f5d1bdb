package sandbox

import (
	"fmt"
	"strings"
)

// scopeEntry is one relation in a query level's FROM clause: a granted
// table, a withheld result, or a subquery seen through its output columns.
type scopeEntry struct {
	alias string
	table *Table
}

// checker walks one query level, rewrites it in place (table names,
// masking functions, TRY around every expression evaluated on rows) and
// collects every reason to refuse it. A level's subqueries get checkers of
// their own sharing the reasons.
type checker struct {
	ws      *Workspace
	dp      bool // differential-privacy mode
	refDate string
	scope   []scopeEntry
	reasons *[]Reason
	depth   int        // 0 for the statement, 1+ for subqueries
	root    *checker   // the statement's checker
	pre     []*ledScan // subquery conditions to test for low effect before running

	aggregate bool            // the level aggregates (GROUP BY or an aggregate in SELECT)
	perUnit   bool            // an aggregating subquery: one output row per privacy unit
	groups    map[string]bool // canonical group-key expressions
	aliases   map[string]flow // select aliases, usable in ORDER BY/HAVING
	joins     [][2]unitRef    // equalities between privacy-unit columns
	joinConds []node          // WHERE conjuncts that join on identifiers
	links     [][2]string     // relations joined by an equality (aliases, lower case)
	moved     []node          // ON conditions of inner joins, moved to WHERE
}

// ectx is where an expression sits.
type ectx struct {
	cond  bool   // a condition (WHERE, ON, HAVING, FILTER): identifiers may only join
	inAgg string // inside this aggregate's argument
	group bool   // a GROUP BY expression
}

func newChecker(ws *Workspace, dp bool, refDate string) *checker {
	c := &checker{ws: ws, dp: dp, refDate: refDate, reasons: &[]Reason{}}
	c.root = c
	return c
}

func (c *checker) child() *checker {
	return &checker{ws: c.ws, dp: c.dp, refDate: c.refDate, reasons: c.reasons, depth: c.depth + 1, root: c.root}
}

func (c *checker) failed() bool { return len(*c.reasons) > 0 }

func (c *checker) refuse(code, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, r := range *c.reasons {
		if r.Code == code && r.Message == msg {
			return
		}
	}
	*c.reasons = append(*c.reasons, Reason{Code: code, Message: msg})
}

// resolve finds the column a COLUMN_REF names, nil when it names none.
func (c *checker) resolve(n node) (*scopeEntry, *Column) {
	names := strs(n, "column_names")
	switch len(names) {
	case 1:
		var hitE *scopeEntry
		var hitC *Column
		for i := range c.scope {
			if col, ok := c.scope[i].table.column(names[0]); ok {
				if hitC != nil {
					return nil, nil // ambiguous: let it be refused
				}
				hitE, hitC = &c.scope[i], col
			}
		}
		return hitE, hitC
	case 2:
		for i := range c.scope {
			if equalFold(c.scope[i].alias, names[0]) {
				if col, ok := c.scope[i].table.column(names[1]); ok {
					return &c.scope[i], col
				}
			}
		}
	}
	return nil, nil
}

func (c *checker) resolvedName(n node) string {
	if e, col := c.resolve(n); col != nil {
		return strings.ToLower(e.alias + "." + col.Name)
	}
	return strings.ToLower(strings.Join(strs(n, "column_names"), "."))
}

func (c *checker) canon(n any) string { return canon(n, c.resolvedName) }

// from checks a FROM clause and maps merchant names to sources (R4.2: only
// the workspace's tables and subqueries over them; no table functions,
// files or catalogs).
func (c *checker) from(t node) {
	if t == nil {
		c.refuse("no_table", "查询必须引用工作区内的表")
		return
	}
	if t["sample"] != nil {
		c.refuse("sample", "不支持 TABLESAMPLE 抽样")
	}
	switch str(t, "type") {
	case "BASE_TABLE":
		name := str(t, "table_name")
		tb, ok := c.ws.table(name)
		if !ok || str(t, "schema_name") != "" || str(t, "catalog_name") != "" || t["at_clause"] != nil {
			c.refuse("unknown_table", "表 %s 不在本工作区授权范围内", name)
			return
		}
		if len(arr(t, "column_name_alias")) > 0 {
			c.refuse("column_alias", "不支持给表的列起别名，请在 SELECT 中起别名")
		}
		alias := str(t, "alias")
		if alias == "" {
			alias = tb.Name
			t["alias"] = alias
		}
		for _, e := range c.scope {
			if equalFold(e.alias, alias) {
				c.refuse("duplicate_alias", "表别名 %s 重复", alias)
			}
		}
		if schema, tbl, ok := strings.Cut(tb.Source, "."); ok {
			t["schema_name"], t["table_name"] = schema, tbl
		} else {
			t["table_name"] = tb.Source
		}
		c.scope = append(c.scope, scopeEntry{alias: alias, table: tb})
	case "JOIN":
		c.from(obj(t, "left"))
		c.from(obj(t, "right"))
		switch {
		case str(t, "ref_type") == "CROSS":
		case str(t, "ref_type") == "REGULAR" && str(t, "join_type") == "INNER":
		default:
			c.refuse("join", "只支持内连接（JOIN … ON）和交叉连接，不支持外连接、半连接或自然连接")
		}
		if len(strs(t, "using_columns")) > 0 {
			c.refuse("join_using", "请用 ON a.列 = b.列 写连接条件，不支持 USING")
		}
		if cond := obj(t, "condition"); cond != nil && !c.failed() {
			// An inner join's condition is a filter like any other: the
			// unit equalities join, the rest moves to WHERE, where
			// low-effect detection sees it (R28.3).
			var keep []node
			for _, cj := range conjuncts(cond) {
				if c.unitJoin(cj) || c.equiJoin(cj) {
					keep = append(keep, cj)
				} else {
					c.moved = append(c.moved, cj)
				}
			}
			t["condition"] = constBool(true)
			if len(keep) > 0 {
				t["condition"] = and(keep...)
			}
		}
	case "TABLE_FUNCTION":
		c.refuse("table_function", "不允许调用表函数 %s（如 read_csv）", str(obj(t, "function"), "function_name"))
	case "SUBQUERY":
		alias := str(t, "alias")
		if alias == "" {
			c.refuse("subquery_alias", "子查询须有别名，例如 (SELECT …) AS t")
			return
		}
		if len(arr(t, "column_name_alias")) > 0 {
			c.refuse("column_alias", "不支持给子查询的列起别名，请在子查询的 SELECT 中起别名")
		}
		sub := obj(obj(t, "subquery"), "node")
		tb := c.subquery(sub, alias)
		if tb != nil {
			c.scope = append(c.scope, scopeEntry{alias: alias, table: tb})
		}
	case "EMPTY":
		c.refuse("no_table", "查询必须引用工作区内的表")
	default:
		c.refuse("from", "不支持的 FROM 形式 %s", str(t, "type"))
	}
}

// conjuncts splits a condition at its top-level ANDs.
func conjuncts(n node) []node {
	if str(n, "class") == "CONJUNCTION" && str(n, "type") == "CONJUNCTION_AND" {
		var out []node
		for _, ch := range arr(n, "children") {
			cn, _ := ch.(node)
			out = append(out, conjuncts(cn)...)
		}
		return out
	}
	return []node{n}
}

// unitJoin records cj when it equates two identifier columns (a join on
// persons or companies) and reports whether it did.
func (c *checker) unitJoin(cj node) bool {
	if str(cj, "class") != "COMPARISON" || (str(cj, "type") != "COMPARE_EQUAL" && str(cj, "type") != "COMPARE_NOT_DISTINCT_FROM") {
		return false
	}
	l, r := obj(cj, "left"), obj(cj, "right")
	if !c.identRef(l) || !c.identRef(r) {
		return false
	}
	c.expr(l, ectx{group: true}) // rewrites mask_hash; nothing to refuse
	c.expr(r, ectx{group: true})
	lu, lok := c.unitOf(l)
	ru, rok := c.unitOf(r)
	if lok && rok {
		c.joins = append(c.joins, [2]unitRef{lu, ru})
	}
	if le, _ := c.resolve(stripHash(l)); le != nil {
		if re, _ := c.resolve(stripHash(r)); re != nil {
			c.links = append(c.links, [2]string{strings.ToLower(le.alias), strings.ToLower(re.alias)})
		}
	}
	return true
}

// equiJoin reports whether cj equates two non-identifier columns of two
// different relations in scope: a join, kept as one (moving it to WHERE
// would make the engine read the cross product to test it for low effect).
// Both sides are checked as conditions.
func (c *checker) equiJoin(cj node) bool {
	if str(cj, "class") != "COMPARISON" || (str(cj, "type") != "COMPARE_EQUAL" && str(cj, "type") != "COMPARE_NOT_DISTINCT_FROM") {
		return false
	}
	l, r := obj(cj, "left"), obj(cj, "right")
	if str(l, "class") != "COLUMN_REF" || str(r, "class") != "COLUMN_REF" {
		return false
	}
	le, lc := c.resolve(l)
	re, rc := c.resolve(r)
	if lc == nil || rc == nil || le == re || lc.Policy.rank() >= Identifier.rank() || rc.Policy.rank() >= Identifier.rank() || lc.Derived || rc.Derived {
		// A key computed with constants could match many rows for one
		// chosen person only (a fan-out that times out: red team, round
		// three): not a join, but a condition.
		return false
	}
	c.expr(cj, ectx{cond: true})
	// A birth date joined to a visit date is a condition on it by the day
	// (red team, round five), wherever the join is written.
	c.splitsByYear(cj, "关联条件")
	c.links = append(c.links, [2]string{strings.ToLower(le.alias), strings.ToLower(re.alias)})
	return true
}

// identRef reports whether n is a bare identifier column or mask_hash of one.
func (c *checker) identRef(n node) bool {
	if str(n, "class") == "FUNCTION" {
		name := strings.ToLower(str(n, "function_name"))
		ch := arr(n, "children")
		if (name == "mask_hash" && len(ch) == 1) || (name == "shuyu_hmac_sm3" && len(ch) == 2) {
			inner, _ := ch[len(ch)-1].(node)
			return c.identRef(inner)
		}
		return false
	}
	if str(n, "class") != "COLUMN_REF" {
		return false
	}
	_, col := c.resolve(n)
	return col != nil && col.Policy.rank() >= Identifier.rank()
}

// expr walks an expression, rewrites masking calls and returns its flow.
func (c *checker) expr(n node, x ectx) flow {
	if n == nil {
		return flow{}
	}
	// A group key (or an expression of one) is already vetted.
	if c.aggregate && x.inAgg == "" && !x.group && c.groups[c.canon(n)] {
		f := c.expr(n, ectx{group: true}) // rewrite masking calls like the key itself
		return flow{ident: f.ident, quasi: f.quasi || f.sens, hasColumn: true, key: true}
	}
	switch str(n, "class") {
	case "CONSTANT":
		return flow{}
	case "COLUMN_REF":
		return c.column(n, x)
	case "FUNCTION":
		return c.function(n, x)
	case "COMPARISON":
		l, r := obj(n, "left"), obj(n, "right")
		if c.identRef(l) || c.identRef(r) {
			// Identifiers join inside the domain; comparing one with
			// anything else singles out a person (R28.3).
			if x.cond && c.identRef(l) && c.identRef(r) && (str(n, "type") == "COMPARE_EQUAL" || str(n, "type") == "COMPARE_NOT_DISTINCT_FROM") {
				c.expr(l, ectx{group: true})
				c.expr(r, ectx{group: true})
				return flow{ident: true, hasColumn: true}
			}
			c.refuse("identifier_filter", "标识符列（身份证号、姓名、电话等）只能用于表间等值关联，不能用于筛选或比较")
		}
		return c.expr(l, x).merge(c.expr(r, x))
	case "CONJUNCTION", "OPERATOR":
		switch str(n, "type") {
		case "CONJUNCTION_AND", "CONJUNCTION_OR", "OPERATOR_NOT", "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL",
			"OPERATOR_COALESCE", "COMPARE_IN", "COMPARE_NOT_IN", "OPERATOR_TRY":
		default:
			c.refuse("operator", "不支持的运算 %s", str(n, "type"))
		}
		var f flow
		for _, ch := range arr(n, "children") {
			cn, _ := ch.(node)
			if (str(n, "type") == "COMPARE_IN" || str(n, "type") == "COMPARE_NOT_IN") && c.identRef(cn) {
				c.refuse("identifier_filter", "标识符列（身份证号、姓名、电话等）只能用于表间等值关联，不能用于筛选或比较")
			}
			if (str(n, "type") == "OPERATOR_IS_NULL" || str(n, "type") == "OPERATOR_IS_NOT_NULL") && x.cond && c.identRef(cn) {
				// Whether an identifier is recorded (phone IS NULL) is one
				// attribute like any other, held to low-effect detection
				// as an atom; its value stays untestable.
				c.expr(cn, ectx{group: true})
				f.hasColumn = true
				continue
			}
			f = f.merge(c.expr(cn, x))
		}
		return f
	case "CASE":
		var f flow
		for _, cc := range arr(n, "case_checks") {
			ccn, _ := cc.(node)
			f = f.merge(c.expr(obj(ccn, "when_expr"), ectx{cond: x.cond, inAgg: x.inAgg, group: x.group}))
			f = f.merge(c.expr(obj(ccn, "then_expr"), x))
		}
		return f.merge(c.expr(obj(n, "else_expr"), x))
	case "CAST":
		return c.expr(obj(n, "child"), x)
	case "BETWEEN":
		return c.expr(obj(n, "input"), x).merge(c.expr(obj(n, "lower"), x)).merge(c.expr(obj(n, "upper"), x))
	case "STAR":
		c.refuse("star", "请列出所需的列，不支持 *")
	case "SUBQUERY":
		c.refuse("subquery_expression", "条件、分组和聚合函数内不能用子查询；子查询可写在 FROM 中，或作为不分组的单列统计写在选择列表、HAVING 和 ORDER BY 中")
	case "WINDOW":
		return c.window(n, x)
	default:
		c.refuse("expression", "不支持的表达式 %s", str(n, "class"))
	}
	return flow{ident: true}
}

func (c *checker) column(n node, x ectx) flow {
	_, col := c.resolve(n)
	if col == nil {
		names := strs(n, "column_names")
		if len(names) == 1 && (equalFold(names[0], "current_date") || equalFold(names[0], "today")) {
			// The reference date every age and age band uses: one value
			// per day, the same for every row.
			replaceNode(n, node{"class": "CAST", "type": "OPERATOR_CAST", "query_location": noLocation,
				"child": constString(c.refDate), "cast_type": node{"id": "DATE", "type_info": nil}, "try_cast": false})
			return flow{}
		}
		if f, ok := c.aliases[strings.ToLower(strings.Join(names, "."))]; ok && len(names) == 1 && !x.group {
			return f
		}
		c.refuse("unknown_column", "列 %s 不存在或有歧义", strings.Join(names, "."))
		return flow{ident: true}
	}
	f := columnFlow(col)
	if x.cond && f.ident {
		c.refuse("identifier_filter", "标识符列（身份证号、姓名、电话等）只能用于表间等值关联，不能用于筛选或比较")
	}
	if c.aggregate && x.inAgg == "" && !x.group && !x.cond {
		c.refuse("not_grouped", "列 %s 必须出现在 GROUP BY 中或在聚合函数内", col.Name)
	}
	return f
}

// function checks one function call, rewriting masking functions (R28.5).
func (c *checker) function(n node, x ectx) flow {
	if str(n, "schema") == "main" && str(n, "catalog") == "" {
		// The parser's own spelling of SQL syntax: extract(year FROM d)
		// is main.date_part, substring(s FROM 1 FOR 7) main.substring.
		n["schema"] = ""
	}
	standardForms(n)
	name := strings.ToLower(str(n, "function_name"))
	children := arr(n, "children")
	if str(n, "schema") != "" || str(n, "catalog") != "" {
		c.refuse("function", "函数 %s 不在允许列表中", name)
		return flow{ident: true}
	}
	if ob := obj(n, "order_bys"); len(arr(ob, "orders")) > 0 {
		c.refuse("function_order", "聚合函数内不支持 ORDER BY")
	}
	if aggregates[name] {
		if x.inAgg == "" && caseShare(n) {
			return c.expr(n, x) // now arithmetic over FILTERed aggregates
		}
		if x.inAgg == "" && c.linearSplit(n) {
			return c.expr(n, x) // now arithmetic over aggregates of monomials
		}
		return c.aggregateCall(n, name, x)
	}
	if n["filter"] != nil || n["distinct"] == true {
		c.refuse("function", "函数 %s 不支持 FILTER/DISTINCT", name)
	}
	if name == "list_value" && x.inAgg == "" && !x.cond && !x.group && c.aggregate && allAggregates(children) {
		// A list of released figures (quantiles at several fractions).
		var f flow
		for _, ch := range nodes(children) {
			f = f.merge(c.expr(ch, x))
		}
		return f
	}
	var f flow
	for _, ch := range children {
		cn, _ := ch.(node)
		f = f.merge(c.expr(cn, ectx{cond: x.cond, inAgg: x.inAgg, group: x.group}))
	}
	switch {
	case isMasking(name):
		if len(children) != maskingArity[name] {
			c.refuse("arity", "%s 需要 %d 个参数", name, maskingArity[name])
			return f
		}
		n["function_name"] = maskingRewrites[name]
		switch name {
		case "mask_hash":
			// The key stays in Go; SQL carries only the workspace ID (R28.5).
			n["children"] = append([]any{constString(c.ws.ID)}, children...)
			return flow{ident: f.ident, hasColumn: f.hasColumn, sens: f.sens, quasi: f.quasi}
		case "age_band":
			n["children"] = append(children, constString(c.refDate))
		case "suppress":
			return flow{}
		}
	case scalars[name]:
		c.boundedSize(n, name, children)
	case name == "age":
		c.refuse("function", "函数 age 请写成 date_sub('year', 出生日期, current_date)（周岁），或 date_diff('year', 出生日期, current_date)（跨过的年数）")
	default:
		// The query is refused; the flow of its arguments keeps further
		// reasons about what the analyst wrote, not about the unknown call.
		c.refuse("function", "函数 %s 不在允许列表中", name)
	}
	return f
}

func allAggregates(l []any) bool {
	for _, x := range nodes(l) {
		if str(x, "class") != "FUNCTION" || !aggregates[strings.ToLower(str(x, "function_name"))] {
			return false
		}
	}
	return len(l) > 0
}

func (c *checker) aggregateCall(n node, name string, x ectx) flow {
	switch {
	case x.inAgg != "":
		c.refuse("nested_aggregate", "不支持嵌套聚合；先在子查询中按人汇总，再在外层统计")
	case x.group || (x.cond && !c.aggregate):
		c.refuse("aggregate_place", "聚合函数不能出现在 WHERE/GROUP BY 中")
	}
	caseToFilter(n, name)
	children := arr(n, "children")
	if n["distinct"] == true && !countLike[name] {
		c.refuse("distinct_aggregate", "只有 count 支持 DISTINCT")
	}
	if f := obj(n, "filter"); f != nil {
		c.expr(f, ectx{cond: true})
		c.splitsByYear(f, "FILTER 条件")
	}
	var f flow
	for i, ch := range children {
		cn, _ := ch.(node)
		g := c.expr(cn, ectx{inAgg: name})
		if i == 0 {
			f = g
		}
	}
	arg, _ := firstChild(children)
	if arg != nil && !c.transform(arg) {
		c.refuse("aggregate_argument", "聚合函数 %s 的参数："+transformReason, name)
	}
	if arg != nil && (n["distinct"] == true || name == "approx_count_distinct") && (c.constInMonomial(arg) || c.derivedRef(arg)) {
		// Arithmetic with constants can give one chosen person a value of
		// their own (sign(date_diff('day', DATE d, birth_date)) is 0 for
		// one person); a distinct count reads values as they are.
		c.refuse("distinct_argument", "count(DISTINCT …) 只能统计列本身或不带常数的取值（如 count(DISTINCT hospital)、count(DISTINCT to_month(visit_date))）")
	}
	if arg != nil && !c.perUnit && !countLike[name] && name != "count_star" && str(arg, "class") == "COLUMN_REF" {
		// Released figures are numbers: a date or text column has no sum,
		// mean or smoothed extreme (it would come back empty).
		if _, col := c.resolve(arg); col != nil && col.Type != "" && !numericType(col.Type) {
			c.refuse("aggregate_type", "%s 只能用于数值列，%s 不是数值；日期可按月份、年份分组统计，或先用 date_diff 换算成天数、年数", name, col.Name)
		}
	}
	// Also in a per-person subquery: a person's max(phone) is their phone,
	// and reshaped (floor(max(CAST(phone AS BIGINT)) / 1000)) it would
	// read it digit by digit (found by the red team).
	if f.ident && !(countLike[name] && c.identRef(arg)) {
		c.refuse("identifier_aggregate", "标识符列只能直接用于 count/count(DISTINCT …)")
	}
	out := flow{agg: true, hasColumn: f.hasColumn}
	if c.perUnit {
		// One person's own figure: personal, kept at least as strict as
		// what it was computed from.
		ident := f.ident && !countLike[name] && name != "count_star"
		out = flow{agg: true, hasColumn: true, sens: !ident, ident: ident}
	}
	return out
}

func firstChild(ch []any) (node, bool) {
	if len(ch) == 0 {
		return nil, false
	}
	n, ok := ch[0].(node)
	return n, ok
}

// stripHash is the column under mask_hash (or its rewritten form).
func stripHash(n node) node {
	if str(n, "class") == "FUNCTION" {
		ch := arr(n, "children")
		if len(ch) > 0 {
			inner, _ := ch[len(ch)-1].(node)
			return stripHash(inner)
		}
	}
	return n
}

// crossProduct refuses a level whose relations with privacy units are not
// all joined to each other by equalities: a cross product of people with
// people only pads counts and multiplies rows (R28.3).
func (c *checker) crossProduct() {
	parent := map[string]string{}
	find := func(a string) string {
		for parent[a] != a {
			parent[a] = parent[parent[a]]
			a = parent[a]
		}
		return a
	}
	for _, e := range c.scope {
		a := strings.ToLower(e.alias)
		parent[a] = a
	}
	for _, l := range c.links {
		if _, ok := parent[l[0]]; !ok {
			continue
		}
		if _, ok := parent[l[1]]; !ok {
			continue
		}
		parent[find(l[0])] = find(l[1])
	}
	roots := map[string]bool{}
	for _, e := range c.scope {
		if len(e.table.unitKeys()) > 0 {
			roots[find(strings.ToLower(e.alias))] = true
		}
	}
	if len(roots) > 1 {
		c.refuse("cross_product", "含个人信息的表之间须用等值条件关联（如 ON a.id_number = b.id_number 或 ON a.township = b.township），不支持笛卡尔积")
	}
}

// standardForms rewrites standard spellings of aggregates into the ones the
// rules know: count_if(c) is count(*) FILTER (WHERE c), and
// percentile_cont(q) WITHIN GROUP (ORDER BY x [DESC]) — which the parser
// turns into quantile_cont(q) with an ORDER BY — is quantile_cont(x, q)
// (1 − q when descending).
func standardForms(n node) {
	name := strings.ToLower(str(n, "function_name"))
	ch := arr(n, "children")
	if aggregates[name] {
		// sum((visit_type = '住院')::INTEGER) is sum(CASE WHEN … THEN 1
		// ELSE 0 END), which becomes a FILTER (caseToFilter, caseShare).
		for i, x := range ch {
			if xn, _ := x.(node); xn != nil && str(xn, "class") == "CAST" && isCondition(obj(xn, "child")) {
				ch[i] = node{"class": "CASE", "type": "CASE_EXPR", "alias": "", "query_location": noLocation,
					"case_checks": []any{node{"when_expr": obj(xn, "child"), "then_expr": constInt(1)}}, "else_expr": constInt(0)}
			}
		}
	}
	if name == "sum" && len(ch) == 1 {
		// sum(coalesce(x, 0)) is sum(x): NULLs add nothing either way.
		if xn, _ := ch[0].(node); str(xn, "type") == "OPERATOR_COALESCE" {
			if args := nodes(arr(xn, "children")); len(args) == 2 {
				if z, ok := constNumber(args[1]); ok && z == 0 {
					ch[0] = args[0]
				}
			}
		}
	}
	if (name == "quantile_cont" || name == "quantile_disc" || name == "quantile") && len(ch) == 2 && n["filter"] == nil {
		// quantile_cont(x, [0.25, 0.5, 0.75]) is the list of the three.
		if l, _ := ch[1].(node); str(l, "function_name") == "list_value" && len(arr(l, "children")) > 0 {
			var qs []any
			for _, q := range arr(l, "children") {
				one := deepCopy(n)
				one["alias"] = ""
				one["children"] = []any{deepCopy(ch[0].(node)), q}
				qs = append(qs, one)
			}
			alias := n["alias"]
			replaceNode(n, fn("list_value", false, nil, qs...))
			n["alias"] = alias
			return
		}
	}
	switch {
	case name == "count_if" && len(ch) == 1 && n["filter"] == nil && n["distinct"] != true:
		n["function_name"] = "count_star"
		n["children"] = []any{}
		n["filter"] = ch[0]
	case name == "quantile_cont" || name == "quantile_disc" || name == "percentile_cont" || name == "percentile_disc":
		orders := arr(obj(n, "order_bys"), "orders")
		if len(orders) != 1 || len(ch) != 1 {
			return
		}
		o, _ := orders[0].(node)
		q, ok := constNumber(ch[0].(node))
		if !ok || obj(o, "expression") == nil {
			return
		}
		if t := str(o, "type"); t == "DESCENDING" || t == "ORDER_DESCENDING" {
			q = 1 - q
		}
		n["function_name"] = strings.Replace(name, "percentile", "quantile", 1)
		n["children"] = []any{obj(o, "expression"), constNumberNode(q)}
		n["order_bys"] = node{"type": "ORDER_MODIFIER", "orders": []any{}}
	}
}

// boundedSize keeps the functions that can make strings longer from making
// them long: a value built from one row's data as large as memory would
// make a query fail or slow down for that row alone, an outcome and a
// timing that tell about it (found by the red team with rpad). Padding is
// to a small constant width; replace never lengthens; regexp_replace only
// deletes.
func (c *checker) boundedSize(n node, name string, children []any) {
	ch := nodes(children)
	strConst := func(x node) (string, bool) {
		if str(x, "class") != "CONSTANT" {
			return "", false
		}
		v, ok := obj(x, "value")["value"].(string)
		return v, ok
	}
	switch name {
	case "lpad", "rpad":
		if len(ch) != 3 {
			break
		}
		if w, ok := constNumber(ch[1]); ok && w >= 0 && w <= 64 {
			return
		}
		c.refuse("string_size", "%s 的宽度须是不超过 64 的常数", name)
	case "replace":
		if len(ch) == 3 {
			from, ok1 := strConst(ch[1])
			to, ok2 := strConst(ch[2])
			if ok1 && ok2 && from != "" && len([]rune(to)) <= len([]rune(from)) {
				return
			}
		}
		c.refuse("string_size", "replace 的查找串和替换串须是常数，且替换串不长于查找串")
	case "regexp_replace":
		if len(ch) >= 3 {
			if to, ok := strConst(ch[2]); ok && to == "" {
				return
			}
		}
		c.refuse("string_size", "regexp_replace 只能删除匹配的内容（替换串须为空串 ''）")
	}
}

// isCondition reports whether n is a boolean condition.
func isCondition(n node) bool {
	switch str(n, "class") {
	case "COMPARISON", "CONJUNCTION", "BETWEEN":
		return true
	case "OPERATOR":
		switch str(n, "type") {
		case "OPERATOR_NOT", "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL", "COMPARE_IN", "COMPARE_NOT_IN":
			return true
		}
	case "FUNCTION":
		switch strings.ToLower(str(n, "function_name")) {
		case "~~", "!~~", "~~*", "!~~*", "prefix", "suffix", "starts_with", "ends_with", "contains":
			return true
		}
	}
	return false
}

// groupByAll makes GROUP BY ALL the list of the select items that hold no
// aggregate, as the SQL means.
func groupByAll(root node) {
	if str(root, "aggregate_handling") != "FORCE_AGGREGATES" || len(arr(root, "group_expressions")) > 0 {
		return
	}
	var groups []any
	for _, it := range nodes(arr(root, "select_list")) {
		if !hasAggregate(it) {
			groups = append(groups, withAlias(deepCopy(it), ""))
		}
	}
	root["group_expressions"] = groups
	root["aggregate_handling"] = "STANDARD_HANDLING"
}
