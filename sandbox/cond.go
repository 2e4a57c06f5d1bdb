package sandbox

import (
	"fmt"
	"strings"
)

// bexpr is the boolean skeleton of a condition: AND, OR and NOT over atoms,
// the simple conditions (comparisons, IN, LIKE, IS NULL, BETWEEN…) that
// low-effect detection flips one at a time (docs/disclosure.md).
type bexpr struct {
	op   byte // 'a' AND, 'o' OR, 'n' NOT, 't' atom
	kids []*bexpr
	atom int
	// nid, when positive, is this sub-condition's number among those
	// tested for isolation (anon.go): rendered in SQL, it takes the value
	// the per-group decision column __v<nid-1> forces, if any.
	nid int
	// fix, when 1 or 2, forces this sub-condition to TRUE or FALSE
	// (an isolating branch of a subquery, run.go).
	fix int8
}

// skeleton splits n into its boolean structure and its atoms.
func skeleton(n node) (*bexpr, []node) {
	var atoms []node
	var walk func(n node) *bexpr
	walk = func(n node) *bexpr {
		switch {
		case str(n, "class") == "CONJUNCTION":
			b := &bexpr{op: 'a'}
			if str(n, "type") == "CONJUNCTION_OR" {
				b.op = 'o'
			}
			for _, ch := range nodes(arr(n, "children")) {
				b.kids = append(b.kids, walk(ch))
			}
			return b
		case str(n, "class") == "OPERATOR" && str(n, "type") == "OPERATOR_NOT" && len(arr(n, "children")) == 1:
			ch, _ := firstChild(arr(n, "children"))
			return &bexpr{op: 'n', kids: []*bexpr{walk(ch)}}
		}
		atoms = append(atoms, n)
		return &bexpr{op: 't', atom: len(atoms) - 1}
	}
	return walk(n), atoms
}

// shift renumbers the atoms by base.
func (b *bexpr) shift(base int) *bexpr {
	out := &bexpr{op: b.op, atom: b.atom + base}
	for _, k := range b.kids {
		out.kids = append(out.kids, k.shift(base))
	}
	return out
}

// sql renders b with atom(i) for each atom.
func (b *bexpr) sql(atom func(int) string) string {
	switch b.fix {
	case 1:
		return "TRUE"
	case 2:
		return "FALSE"
	}
	var inner string
	switch b.op {
	case 't':
		inner = atom(b.atom)
	case 'n':
		inner = "(NOT " + b.kids[0].sql(atom) + ")"
	default:
		sep := " AND "
		if b.op == 'o' {
			sep = " OR "
		}
		parts := make([]string, len(b.kids))
		for i, k := range b.kids {
			parts[i] = k.sql(atom)
		}
		inner = "(" + strings.Join(parts, sep) + ")"
	}
	if b.nid > 0 {
		return fmt.Sprintf("(CASE __v%d WHEN 1 THEN TRUE WHEN 2 THEN FALSE ELSE %s END)", b.nid-1, inner)
	}
	return inner
}

// branches lists b's sub-conditions that sit under an OR or a NOT (atoms,
// AND and OR nodes; a NOT is its child's mirror): a branch that may hold
// people the rest of the condition does not. The conjuncts of the root's
// AND chain are low-effect detection's alone.
func (b *bexpr) branches() []*bexpr {
	var out []*bexpr
	var walk func(e *bexpr, branch bool)
	walk = func(e *bexpr, branch bool) {
		if branch && e.op != 'n' {
			out = append(out, e)
		}
		for _, k := range e.kids {
			walk(k, branch || e.op == 'o' || e.op == 'n')
		}
	}
	walk(b, false)
	return out
}

// conjuncts lists the conditions of b's top AND chain (b itself when it is
// not an AND): each is a condition the others take people out with.
func (b *bexpr) conjuncts() []*bexpr {
	if b == nil {
		return nil
	}
	if b.op != 'a' || b.nid > 0 || b.fix > 0 {
		return []*bexpr{b}
	}
	var out []*bexpr
	for _, k := range b.kids {
		out = append(out, k.conjuncts()...)
	}
	return out
}

// removedBy is SQL true on the rows conjunct j of cs alone takes out: every
// other conjunct holds and j does not.
func removedBy(cs []*bexpr, j int, atom func(int) string) string {
	parts := []string{"NOT coalesce(" + cs[j].sql(atom) + ", FALSE)"}
	for k, c := range cs {
		if k != j {
			parts = append(parts, "coalesce("+c.sql(atom)+", FALSE)")
		}
	}
	return "(" + strings.Join(parts, " AND ") + ")"
}

// clearNIDs numbers no sub-condition of b.
func (b *bexpr) clearNIDs() {
	b.nid = 0
	for _, k := range b.kids {
		k.clearNIDs()
	}
}

// node renders b as a syntax tree with atom(i) for each atom.
func (b *bexpr) node(atom func(int) node) node {
	if b.fix > 0 {
		return constBool(b.fix == 1)
	}
	switch b.op {
	case 't':
		return atom(b.atom)
	case 'n':
		return node{"class": "OPERATOR", "type": "OPERATOR_NOT", "alias": "", "query_location": noLocation,
			"children": []any{b.kids[0].node(atom)}}
	}
	typ := "CONJUNCTION_AND"
	if b.op == 'o' {
		typ = "CONJUNCTION_OR"
	}
	ch := make([]any, len(b.kids))
	for i, k := range b.kids {
		ch[i] = k.node(atom)
	}
	return node{"class": "CONJUNCTION", "type": typ, "alias": "", "query_location": noLocation, "children": ch}
}

// atomCol names atom i's column in the engine's row extraction.
func atomCol(i int) string { return fmt.Sprintf("__t%d", i) }

// flipped renders b with atom m fixed to v and the others as columns.
func (b *bexpr) flipped(m int, v bool) string {
	return b.sql(func(i int) string {
		if i == m {
			if v {
				return "TRUE"
			}
			return "FALSE"
		}
		return atomCol(i)
	})
}

// pivot is SQL true on the rows whose value of b atom m alone decides:
// b with m fixed to TRUE differs from b with m fixed to FALSE.
func pivot(b *bexpr, m int) string {
	return fmt.Sprintf("coalesce(%s, FALSE) <> coalesce(%s, FALSE)", b.flipped(m, true), b.flipped(m, false))
}

// sqlFixed renders b with atom m fixed to v and the others as columns
// under prefix.
func (b *bexpr) sqlFixed(m int, v bool, prefix string) string {
	return b.sql(func(i int) string {
		if i == m {
			if v {
				return "TRUE"
			}
			return "FALSE"
		}
		return prefix + atomCol(i)
	})
}

// atomList lists the atoms b uses.
func (b *bexpr) atomList() []int {
	if b.op == 't' {
		return []int{b.atom}
	}
	var out []int
	for _, k := range b.kids {
		out = append(out, k.atomList()...)
	}
	return out
}

// widened is b or, for each atom in fixed, b with that atom fixed either
// way: the rows b takes plus those one low-effect atom alone decides.
func (b *bexpr) widened(atom func(int) node, fixed []int) node {
	parts := []node{b.node(atom)}
	for _, m := range fixed {
		for _, v := range []bool{true, false} {
			parts = append(parts, b.node(func(i int) node {
				if i == m {
					return constBool(v)
				}
				return atom(i)
			}))
		}
	}
	return or(parts...)
}

// or joins conditions with OR (one stays itself).
func or(ns ...node) node {
	n := and(ns...)
	if len(ns) > 1 {
		n["type"] = "CONJUNCTION_OR"
	}
	return n
}

// and joins conditions with AND (one stays itself).
func and(ns ...node) node {
	if len(ns) == 1 {
		return ns[0]
	}
	ch := make([]any, len(ns))
	for i, n := range ns {
		ch[i] = n
	}
	return node{"class": "CONJUNCTION", "type": "CONJUNCTION_AND", "alias": "", "query_location": noLocation, "children": ch}
}

// try wraps n in TRY(…): an error while evaluating it on a row yields NULL,
// so no value can make a real-data query fail where another would not
// (docs/disclosure.md, "Outcome oracles"). Constants and plain columns
// cannot fail and need no wrapping.
func try(n node) node {
	if n == nil || str(n, "class") == "CONSTANT" || str(n, "class") == "COLUMN_REF" ||
		(str(n, "class") == "OPERATOR" && str(n, "type") == "OPERATOR_TRY") {
		return n
	}
	alias := str(n, "alias")
	inner := deepCopy(n)
	inner["alias"] = ""
	return node{"class": "OPERATOR", "type": "OPERATOR_TRY", "alias": alias, "query_location": noLocation, "children": []any{inner}}
}

func constBool(v bool) node {
	return node{"class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": noLocation,
		"value": node{"type": node{"id": "BOOLEAN", "type_info": nil}, "is_null": false, "value": v}}
}

// safeOverAggregates are the operations allowed on aggregate results inside
// a per-unit subquery: on DOUBLE operands none of them can fail.
var safeOverAggregates = map[string]bool{
	"+": true, "-": true, "*": true, "/": true, "round": true, "abs": true, "least": true, "greatest": true,
	"nullif": true, "floor": true, "ceil": true, "ceiling": true, "shuyu_width_bucket": true,
}

// safeChildren is a copy of n with each child made safe.
func (c *checker) safeChildren(n node) node {
	out := deepCopy(n)
	ch := arr(out, "children")
	for i, x := range ch {
		if xn, ok := x.(node); ok {
			ch[i] = c.safe(xn)
		}
	}
	return out
}

// safe rewrites a select item or condition of an aggregating subquery so
// that evaluating it cannot fail on any value: row expressions (aggregate
// arguments and filters) run inside TRY, aggregate results become DOUBLE
// and only operations that cannot fail on DOUBLEs apply to them. TRY itself
// cannot hold an aggregate, hence the split.
func (c *checker) safe(n node) node {
	if n == nil {
		return nil
	}
	if !hasAggregate(n) {
		return try(n)
	}
	alias := str(n, "alias")
	switch str(n, "class") {
	case "FUNCTION":
		name := strings.ToLower(str(n, "function_name"))
		if aggregates[name] {
			call := deepCopy(n)
			call["alias"] = ""
			ch := arr(call, "children")
			for i, x := range ch {
				if xn, ok := x.(node); ok {
					ch[i] = try(xn)
				}
			}
			if f := obj(call, "filter"); f != nil {
				call["filter"] = try(f)
			}
			if (name == "min" || name == "max") && len(ch) == 1 {
				// A person's first or last date (or text) keeps its type:
				// it cannot fail, and as a DOUBLE it could not exist.
				if arg, _ := n["children"].([]any)[0].(node); arg != nil && str(arg, "class") == "COLUMN_REF" {
					if _, col := c.resolve(arg); col != nil && !numericType(col.Type) {
						return withAlias(call, alias)
					}
				}
			}
			return withAlias(castDouble(call), alias)
		}
		if !safeOverAggregates[name] {
			c.refuse("subquery_expression", "按人汇总的子查询中，对聚合结果只能做四则运算、round、abs 等简单计算；其余请在外层计算")
			return n
		}
		return c.safeChildren(n)
	case "COMPARISON":
		out := deepCopy(n)
		out["left"], out["right"] = c.safe(obj(n, "left")), c.safe(obj(n, "right"))
		return out
	case "CONJUNCTION", "OPERATOR":
		switch str(n, "type") {
		case "CONJUNCTION_AND", "CONJUNCTION_OR", "OPERATOR_NOT", "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL", "OPERATOR_COALESCE":
		default:
			c.refuse("subquery_expression", "按人汇总的子查询中不支持对聚合结果做 %s 运算", str(n, "type"))
			return n
		}
		return c.safeChildren(n)
	case "BETWEEN":
		out := deepCopy(n)
		out["input"], out["lower"], out["upper"] = c.safe(obj(n, "input")), c.safe(obj(n, "lower")), c.safe(obj(n, "upper"))
		return out
	case "CAST":
		if str(obj(n, "cast_type"), "id") == "DOUBLE" {
			return withAlias(c.safe(obj(n, "child")), alias)
		}
	}
	c.refuse("subquery_expression", "按人汇总的子查询中，对聚合结果只能做四则运算、比较、round、abs 等简单计算；其余请在外层计算")
	return n
}
