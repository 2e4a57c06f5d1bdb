package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// The dominance rule (R28.3): a summed cell is hidden when one contributor
// holds more than Top1 of its absolute total or two hold more than Top2. A
// contributor is a person, not a record: someone with many settlements is
// one contributor (issue 6).
//
// Most cells are decided in the query's own pass: when every value of a cell
// has one sign, the total is the released sum itself (or avg × count) and the
// top contributor is max or min. Only cells where that bound cannot decide
// (top-1 share between Top2/2 and Top1, mixed signs), and every cell of a
// table where a person may own several rows, go to an exact dominance query
// that ranks contributors.

type domVerdict int

const (
	domSafe domVerdict = iota
	domHide
	domUnknown
)

// fastDominance decides site i of raw row r from the same-pass bound.
func fastDominance(p *plan, d Dominance, i int, r []any) domVerdict {
	sc := p.cols[i]
	if sc.max < 0 {
		return domUnknown
	}
	if r[sc.value] == nil || r[sc.max] == nil || r[sc.min] == nil {
		return domSafe // no value in the cell: nothing to reveal
	}
	total, ok1 := toFloat(r[sc.value])
	mx, ok2 := toFloat(r[sc.max])
	mn, ok3 := toFloat(r[sc.min])
	if !ok1 || !ok2 || !ok3 {
		return domUnknown
	}
	if sc.count >= 0 { // avg: the total is avg × count
		n, ok := toFloat(r[sc.count])
		if !ok {
			return domUnknown
		}
		total *= n
	}
	var top float64
	switch {
	case mn >= 0:
		top = mx
	case mx <= 0:
		total, top = -total, -mn
	default:
		return domUnknown // mixed signs: the absolute total is not known
	}
	switch {
	case top == 0:
		return domSafe // every value is zero
	case total <= 0:
		return domUnknown
	case top > d.Top1*total:
		return domHide
	case 2*top <= d.Top2*total:
		return domSafe // even a second contributor as large as the first stays under Top2
	}
	return domUnknown
}

// domFigures is one cell's exact figures: absolute total and top two contributors.
type domFigures struct{ total, top1, top2 float64 }

func (f domFigures) dominated(d Dominance) bool {
	return f.total > 0 && (f.top1 > d.Top1*f.total || f.top1+f.top2 > d.Top2*f.total)
}

// groupKey identifies a group by its key values, typed so that 1 and "1" differ.
func groupKey(r []any, cols []int) string {
	var b strings.Builder
	for _, c := range cols {
		fmt.Fprintf(&b, "%T:%v|", r[c], r[c])
	}
	return b.String()
}

// regroup makes a statement over the checked FROM and WHERE of base with
// other select items and group keys, and no HAVING, ORDER BY, LIMIT or
// DISTINCT: the engine's own statistics over the merchant's rows.
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

// groupStats are one group's figures from the statistics query.
type groupStats struct {
	persons int64        // distinct persons (perPerson plans)
	filters []int64      // per site: persons passing its FILTER (perPerson plans)
	figs    []domFigures // per site: exact dominance figures
}

// statsQuery builds the statistics query. When a person may own several rows
// it first sums each person's rows per group (a two-level aggregation), then
// counts persons (the K rule), persons passing each FILTER, and ranks
// persons' contributions; otherwise it ranks rows in one level.
func statsQuery(ctx context.Context, conn *sql.Conn, p *plan) (string, error) {
	var items, groups []node
	var outerKeys []string
	for i, g := range p.groupExprs {
		items = append(items, withAlias(deepCopy(g), fmt.Sprintf("__shuyu_g%d", i)))
		groups = append(groups, deepCopy(g))
		outerKeys = append(outerKeys, fmt.Sprintf("__shuyu_g%d", i))
	}
	// Persons are grouped by the hash of their key: a third faster than the
	// key itself (issue 6 benchmark), and a collision only merges two
	// persons into one, which counts fewer and ranks a larger contributor:
	// stricter, never looser. Rows with no key count as nobody (__shuyu_pc).
	outerAggs := []string{"count(*) FILTER (WHERE __shuyu_pc > 0) AS __shuyu_k"}
	if p.perPerson {
		items = append(items, withAlias(fn("count", false, nil, deepCopy(p.person)), "__shuyu_pc"))
		groups = append(groups, fn("hash", false, nil, deepCopy(p.person)))
	}
	for i, s := range p.sites {
		if p.perPerson && s.filter != nil {
			f := fmt.Sprintf("__shuyu_f%d", i)
			items = append(items, withAlias(fn("bool_or", false, nil, copyAny(s.filter)), f))
			outerAggs = append(outerAggs, fmt.Sprintf("count(*) FILTER (WHERE __shuyu_pc > 0 AND %s) AS %s", f, f))
		}
		if !s.dom || s.node == nil {
			continue
		}
		v := castDouble(deepCopy(s.node))
		if !p.perPerson {
			abs := fn("abs", false, nil, v)
			items = append(items,
				withAlias(fn("sum", false, copyAny(s.filter), abs), fmt.Sprintf("__shuyu_t%d", i)),
				withAlias(fn("max", false, copyAny(s.filter), deepCopy(abs), constInt(2)), fmt.Sprintf("__shuyu_m%d", i)))
			continue
		}
		c := fmt.Sprintf("__shuyu_c%d", i)
		items = append(items, withAlias(fn("sum", false, copyAny(s.filter), v), c))
		outerAggs = append(outerAggs, fmt.Sprintf("sum(abs(%s)) AS __shuyu_t%d, max(abs(%s), 2) AS __shuyu_m%d", c, i, c, i))
	}
	inner, err := deserialize(ctx, conn, regroup(p.base, items, groups))
	if err != nil {
		return "", err
	}
	if !p.perPerson {
		return inner, nil
	}
	inner = strings.TrimRight(strings.TrimSpace(inner), ";")
	sel := append(append([]string{}, outerKeys...), outerAggs...)
	q := "SELECT " + strings.Join(sel, ", ") + " FROM (" + inner + ") AS __shuyu_d"
	if len(outerKeys) > 0 {
		q += " GROUP BY " + strings.Join(outerKeys, ", ")
	}
	return q, nil
}

// needsStats reports whether disclosure control needs the statistics query.
func needsStats(ws *Workspace, p *plan, raw [][]any) bool {
	return p.aggregate && (p.perPerson || needsExact(ws, p, raw))
}

// groupStatistics runs the statistics query and returns its figures by
// group key.
func groupStatistics(ctx context.Context, conn *sql.Conn, p *plan) (map[string]*groupStats, error) {
	q, err := statsQuery(ctx, conn, p)
	if err != nil {
		return nil, err
	}
	_, _, rows, err := query(ctx, conn, q)
	if err != nil {
		return nil, err
	}
	keys := make([]int, len(p.groupExprs))
	for i := range keys {
		keys[i] = i
	}
	out := make(map[string]*groupStats, len(rows))
	for _, r := range rows {
		st := &groupStats{filters: make([]int64, len(p.sites)), figs: make([]domFigures, len(p.sites))}
		col := len(keys)
		if p.perPerson {
			n, _ := toFloat(r[col])
			st.persons = int64(n)
			col++
		}
		for i, s := range p.sites {
			if p.perPerson && s.filter != nil {
				n, _ := toFloat(r[col])
				st.filters[i] = int64(n)
				col++
			}
			if !s.dom || s.node == nil {
				continue
			}
			total, _ := toFloat(r[col])
			top := topTwo(r[col+1])
			st.figs[i] = domFigures{total: total, top1: top[0], top2: top[1]}
			col += 2
		}
		out[groupKey(r, keys)] = st
	}
	return out, nil
}
