package sandbox

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Scalar subqueries over released figures (docs/disclosure.md, rule 10). A
// subquery in the select list, HAVING or ORDER BY of an aggregating query
// that is itself an aggregate of one column and no groups —
// count(*) * 100.0 / (SELECT count(*) FROM t), HAVING avg(x) > (SELECT
// avg(x) FROM t) — is a figure like any other: it is checked, released
// through the one disclosure-control path on its own (the same figure, noise
// included, as asking it alone), and its released value enters the outer
// query as a constant, where it meets only released figures. Anywhere else —
// WHERE, ON, GROUP BY, an aggregate's argument — it would be a threshold
// or a value applied to rows, and stays refused.

const scalarReason = "选择列表、HAVING 和 ORDER BY 中的子查询须是不分组、只有一列的统计查询，如 (SELECT count(*) FROM 表)；条件、分组和聚合函数内不能用子查询"

// scalarSite is one scalar subquery of the statement.
type scalarSite struct {
	n   node // the SUBQUERY node in the statement, replaced in place
	st  node // its statement
	c   *checker
	p   *plan
	res Result
}

// scalarSubqueries finds the scalar subqueries where released figures are
// combined: the top level's select list, HAVING and ORDER BY, outside
// aggregate calls. ok is false when one sits anywhere else in those places.
func scalarSubqueries(st node) (sites []*scalarSite, ok bool) {
	root := obj(st, "node")
	if str(root, "type") != "SELECT_NODE" {
		return nil, true
	}
	ok = true
	var walk func(v any, inAgg bool)
	walk = func(v any, inAgg bool) {
		switch x := v.(type) {
		case node:
			if str(x, "class") == "SUBQUERY" {
				if str(x, "subquery_type") != "SCALAR" || inAgg {
					ok = false
					return
				}
				sites = append(sites, &scalarSite{n: x})
				return
			}
			if str(x, "class") == "FUNCTION" && aggregates[strings.ToLower(str(x, "function_name"))] {
				inAgg = true
			}
			for _, c := range x {
				walk(c, inAgg)
			}
		case []any:
			for _, c := range x {
				walk(c, inAgg)
			}
		}
	}
	walk(root["select_list"], false)
	walk(root["having"], false)
	for _, m := range nodes(arr(root, "modifiers")) {
		if str(m, "type") == "ORDER_MODIFIER" {
			walk(m["orders"], false)
		}
	}
	return sites, ok
}

// runScalars releases each scalar subquery, puts its value into the
// statement as a constant and runs the statement. Every part is checked
// before anything runs; the outer statement is checked with a placeholder
// first and again with the values (which stand where constants may).
func (e *Engine) runScalars(ctx context.Context, conn *sql.Conn, ws *Workspace, st node, sites []*scalarSite, start time.Time) (*Result, error) {
	res := &Result{}
	if ws.dpMode() {
		return e.rejected(res, start, Reason{"scalar_subquery", "差分隐私模式下不支持子查询，请分别查询"}), nil
	}
	ctes := arr(obj(obj(st, "node"), "cte_map"), "map")
	var reasons []Reason
	seen := map[string]bool{}
	note := func(rs ...Reason) {
		for _, r := range rs {
			if k := r.Code + r.Message; !seen[k] {
				seen[k] = true
				reasons = append(reasons, r)
			}
		}
	}
	e.mu.Lock()
	for _, s := range sites {
		sub := deepCopy(obj(obj(s.n, "subquery"), "node"))
		if len(ctes) > 0 && str(sub, "type") == "SELECT_NODE" {
			own := arr(obj(sub, "cte_map"), "map")
			sub["cte_map"] = node{"map": append(append([]any{}, ctes...), own...)}
		}
		s.st = deepCopy(st)
		s.st["node"] = sub
		s.c = newChecker(ws, false, e.Now().Format("2006-01-02"))
		s.p = s.c.statement(s.st)
		if s.c.failed() || s.p == nil {
			note(*s.c.reasons...)
			continue
		}
		if !s.p.aggregate || len(s.p.groups) > 0 || len(s.p.out) != 1 {
			note(Reason{"scalar_subquery", scalarReason})
		}
	}
	// The outer statement with a placeholder for each value.
	for _, s := range sites {
		replaceNode(s.n, constNumberNode(1))
	}
	oc := newChecker(ws, false, e.Now().Format("2006-01-02"))
	if p := oc.statement(deepCopy(st)); oc.failed() || p == nil {
		note(*oc.reasons...)
	} else if !p.aggregate {
		note(Reason{"scalar_subquery", scalarReason})
	} else if len(reasons) == 0 {
		ps := []*plan{p}
		for _, s := range sites {
			ps = append(ps, s.p)
		}
		if r, ok := atomBudget(ps...); !ok {
			note(r)
		}
	}
	e.mu.Unlock()
	if len(reasons) > 0 {
		return e.rejected(res, start, reasons...), nil
	}
	qctx, cancel := context.WithTimeout(ctx, e.partTimeout())
	defer cancel()
	cpu0 := cpuTime()
	var scanned int64
	var hashes []string
	for _, s := range sites {
		scanned += e.rowsScanned(ctx, conn, s.c.scope)
		if err := e.releasePart(qctx, conn, ws, s.p, &s.res); err != nil {
			res.Metering.CPU = cpuTime() - cpu0
			return e.failed(res, start, err)
		}
		hashes = append(hashes, s.res.Shape.SQLHash)
		var v any
		if len(s.res.Rows) == 1 && len(s.res.Rows[0]) == 1 {
			v = s.res.Rows[0][0]
		}
		replaceNode(s.n, valueNode(v))
	}
	c, p := e.checkParsed(ws, st)
	if p == nil || c.failed() {
		// The values stand where the placeholder passed; a refusal here
		// would depend on a released figure only.
		return e.rejected(res, start, *c.reasons...), nil
	}
	out, err := e.runPlan(ctx, conn, ws, c, p, start)
	if out != nil {
		out.Metering.RowsScanned += scanned
		out.Metering.CPU += cpuTime() - cpu0
		if out.Status == Released {
			out.Shape.SQLHash = digest(strings.Join(append(hashes, out.Shape.SQLHash), ","))
		}
	}
	return out, err
}

// valueNode is a released value as a constant of the statement.
func valueNode(v any) node {
	switch x := v.(type) {
	case int64:
		return node{"class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": noLocation,
			"value": node{"type": node{"id": "BIGINT", "type_info": nil}, "is_null": false, "value": int(x)}}
	case string:
		return constString(x)
	}
	if f, ok := toFloat(v); ok {
		return constNumberNode(f)
	}
	return node{"class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": noLocation,
		"value": node{"type": node{"id": "NULL", "type_info": nil}, "is_null": true, "value": nil}}
}
