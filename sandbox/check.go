package sandbox

import (
	"fmt"
	"strings"
)

// scopeEntry is one table in a query's FROM clause.
type scopeEntry struct {
	alias string
	table *Table
}

// aggSite is an aggregate in the select list that needs a cell-level check.
type aggSite struct {
	item   int    // select list index
	name   string // the aggregate function, lower case
	call   node   // the aggregate call itself (rewritten in place)
	node   node   // the aggregate's (rewritten) argument, nil for count(*)
	filter any    // its FILTER clause, if any
	dom    bool   // dominance check (sum/avg)
}

// checker walks one statement, rewrites it in place (table names, masking
// functions) and collects every reason to refuse it.
type checker struct {
	ws      *Workspace
	dp      bool // differential-privacy mode
	refDate string
	scope   []scopeEntry
	reasons []Reason

	aggregate bool            // the query aggregates (GROUP BY or an aggregate in SELECT)
	groups    map[string]bool // canonical group-key expressions
	aliases   map[string]flow // select aliases, usable in ORDER BY/HAVING
	item      int             // select item being walked, -1 elsewhere
	sites     []aggSite
}

// ectx is where an expression sits.
type ectx struct {
	cond  bool   // a condition (WHERE, ON, HAVING, FILTER): identifiers may only join
	inAgg string // inside this aggregate's argument
	group bool   // a GROUP BY expression
}

func (c *checker) refuse(code, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, r := range c.reasons {
		if r.Code == code && r.Message == msg {
			return
		}
	}
	c.reasons = append(c.reasons, Reason{Code: code, Message: msg})
}

// resolve finds the column a COLUMN_REF names, "" when it names none.
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

// from checks the FROM clause and maps merchant names to sources (R4.2:
// only the workspace's tables; no table functions, files or catalogs).
func (c *checker) from(t node) {
	if t == nil {
		c.refuse("no_table", "查询必须引用工作区内的表 (query a workspace table)")
		return
	}
	if t["sample"] != nil {
		c.refuse("sample", "不支持 TABLESAMPLE (sampling not allowed)")
	}
	switch str(t, "type") {
	case "BASE_TABLE":
		name := str(t, "table_name")
		tb, ok := c.ws.table(name)
		if !ok || str(t, "schema_name") != "" || str(t, "catalog_name") != "" || t["at_clause"] != nil {
			c.refuse("unknown_table", "表 %s 不在本工作区授权范围内 (table not granted)", name)
			return
		}
		if len(arr(t, "column_name_alias")) > 0 {
			c.refuse("column_alias", "不支持表的列别名 (column aliases on tables)")
		}
		alias := str(t, "alias")
		if alias == "" {
			alias = tb.Name
			t["alias"] = alias
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
		switch str(t, "ref_type") {
		case "REGULAR", "CROSS":
		default:
			c.refuse("join", "不支持 %s 连接 (join kind)", str(t, "ref_type"))
		}
		for _, u := range strs(t, "using_columns") {
			for _, e := range c.scope {
				if _, ok := e.table.column(u); !ok {
					c.refuse("unknown_column", "USING 列 %s 不存在 (unknown column)", u)
				}
			}
		}
		if cond := obj(t, "condition"); cond != nil {
			c.expr(cond, ectx{cond: true})
		}
	case "TABLE_FUNCTION":
		c.refuse("table_function", "不允许调用表函数 %s (table functions such as read_csv are not allowed)",
			str(obj(t, "function"), "function_name"))
	case "SUBQUERY":
		c.refuse("subquery", "暂不支持子查询，请分步查询 (subqueries not supported)")
	case "EMPTY":
		c.refuse("no_table", "查询必须引用工作区内的表 (query a workspace table)")
	default:
		c.refuse("from", "不支持的 FROM 形式 %s (unsupported FROM)", str(t, "type"))
	}
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
		c.expr(n, ectx{group: true}) // rewrite masking calls like the key itself
		return flow{quasi: true, hasColumn: true}
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
		if x.cond && (c.identRef(l) || c.identRef(r)) {
			// Joins on identifiers stay inside the domain; comparing one with
			// anything else singles out a person (R28.3).
			if c.identRef(l) && c.identRef(r) && (str(n, "type") == "COMPARE_EQUAL" || str(n, "type") == "COMPARE_NOT_DISTINCT_FROM") {
				c.expr(l, ectx{group: true}) // rewrites mask_hash; refusals were decided above
				c.expr(r, ectx{group: true})
				return flow{ident: true, hasColumn: true}
			}
			c.refuse("identifier_filter", "标识符列只能用于等值连接，不能用于筛选或比较 (identifiers may only join)")
		}
		return c.expr(l, x).merge(c.expr(r, x))
	case "CONJUNCTION", "OPERATOR":
		switch str(n, "type") {
		case "CONJUNCTION_AND", "CONJUNCTION_OR", "OPERATOR_NOT", "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL",
			"OPERATOR_COALESCE", "COMPARE_IN", "COMPARE_NOT_IN":
		default:
			c.refuse("operator", "不支持的运算 %s (operator not allowed)", str(n, "type"))
		}
		var f flow
		for _, ch := range arr(n, "children") {
			cn, _ := ch.(node)
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
		if x.inAgg != "" && (f.sens || f.quasi || f.ident) {
			// A CASE inside an aggregate is a hidden filter with no K check.
			c.refuse("conditional_aggregate", "聚合函数内不能按个人属性做条件判断，请改用 FILTER (WHERE …) (use FILTER)")
		}
		return f.merge(c.expr(obj(n, "else_expr"), x))
	case "CAST":
		return c.expr(obj(n, "child"), x)
	case "BETWEEN":
		return c.expr(obj(n, "input"), x).merge(c.expr(obj(n, "lower"), x)).merge(c.expr(obj(n, "upper"), x))
	case "STAR":
		c.refuse("star", "请列出所需的列，不支持 * (list the columns)")
	case "SUBQUERY":
		c.refuse("subquery", "暂不支持子查询，请分步查询 (subqueries not supported)")
	case "WINDOW":
		c.refuse("window", "不支持窗口函数 (window functions not allowed)")
	default:
		c.refuse("expression", "不支持的表达式 %s (expression not allowed)", str(n, "class"))
	}
	return flow{ident: true}
}

func (c *checker) column(n node, x ectx) flow {
	_, col := c.resolve(n)
	if col == nil {
		names := strs(n, "column_names")
		if f, ok := c.aliases[strings.ToLower(strings.Join(names, "."))]; ok && len(names) == 1 && !x.group {
			return f
		}
		c.refuse("unknown_column", "列 %s 不存在或有歧义 (unknown or ambiguous column)", strings.Join(names, "."))
		return flow{ident: true}
	}
	f := columnFlow(col)
	if x.cond && f.ident {
		c.refuse("identifier_filter", "标识符列只能用于等值连接，不能用于筛选或比较 (identifiers may only join)")
	}
	if c.aggregate && x.inAgg == "" && !x.group && !x.cond {
		c.refuse("not_grouped", "列 %s 必须出现在 GROUP BY 中或在聚合函数内 (group or aggregate it)", col.Name)
	}
	return f
}

// function checks one function call, rewriting masking functions (R28.5).
func (c *checker) function(n node, x ectx) flow {
	name := strings.ToLower(str(n, "function_name"))
	children := arr(n, "children")
	if str(n, "schema") != "" || str(n, "catalog") != "" {
		c.refuse("function", "函数 %s 不在允许列表中 (function not allowed)", name)
		return flow{ident: true}
	}
	if ob := obj(n, "order_bys"); len(arr(ob, "orders")) > 0 {
		c.refuse("function_order", "聚合函数内不支持 ORDER BY (ordered aggregates)")
	}
	if aggregates[name] {
		return c.aggregateCall(n, name, x)
	}
	if n["filter"] != nil || n["distinct"] == true {
		c.refuse("function", "函数 %s 不支持 FILTER/DISTINCT", name)
	}
	var f flow
	for _, ch := range children {
		cn, _ := ch.(node)
		f = f.merge(c.expr(cn, ectx{cond: x.cond, inAgg: x.inAgg, group: x.group}))
	}
	switch {
	case isMasking(name):
		if len(children) != maskingArity[name] {
			c.refuse("arity", "%s 需要 %d 个参数 (wrong number of arguments)", name, maskingArity[name])
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
	default:
		c.refuse("function", "函数 %s 不在允许列表中 (function not allowed)", name)
		return flow{ident: true}
	}
	if generalizers[name] {
		f.rawQuasi = false
	}
	if x.inAgg != "" && !x.cond && (name == "~~" || name == "!~~" || name == "~~*" || name == "!~~*") && (f.sens || f.quasi || f.ident) {
		c.refuse("conditional_aggregate", "聚合函数内不能按个人属性做条件判断，请改用 FILTER (WHERE …) (use FILTER)")
	}
	return f
}

func (c *checker) aggregateCall(n node, name string, x ectx) flow {
	children := arr(n, "children")
	switch {
	case x.inAgg != "":
		c.refuse("nested_aggregate", "不支持嵌套聚合 (nested aggregates)")
	case x.group || (x.cond && !c.aggregate):
		c.refuse("aggregate_place", "聚合函数不能出现在 WHERE/GROUP BY 中 (aggregate misplaced)")
	}
	if n["distinct"] == true && !countLike[name] {
		c.refuse("distinct_aggregate", "只有 count 支持 DISTINCT (DISTINCT only in count)")
	}
	if f := obj(n, "filter"); f != nil {
		c.expr(f, ectx{cond: true})
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
	switch {
	case f.ident && !(countLike[name] && c.identRef(arg)):
		c.refuse("identifier_aggregate", "标识符列只能直接用于 count/count(DISTINCT) (identifiers only counted)")
	case (name == "min" || name == "max") && (f.ident || f.sens || f.quasi):
		c.refuse("extreme_value", "min/max 会暴露个人的值，请改用分位数或分组计数 (min/max reveal a person)")
	}
	if c.item >= 0 && (dominated[name] || n["filter"] != nil) {
		c.sites = append(c.sites, aggSite{item: c.item, name: name, call: n, node: arg, filter: n["filter"], dom: dominated[name]})
	}
	return flow{agg: true, hasColumn: f.hasColumn}
}

func firstChild(ch []any) (node, bool) {
	if len(ch) == 0 {
		return nil, false
	}
	n, ok := ch[0].(node)
	return n, ok
}
