package sandbox

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/emmansun/gmsm/sm3"
)

// The anonymizing executor (docs/disclosure.md). One DuckDB statement
// computes, for every group, per privacy unit and per unit kind:
//
//  1. the rows of the merchant's FROM that any variant of its conditions
//     admits, with group keys, units, aggregate arguments and condition
//     atoms as columns (__r);
//  2. low-effect detection: for each atom, how many units flipping it would
//     move in or out of the group; atoms that move fewer than about K are
//     neutralized for that group (__e), so "all" and "all but one person"
//     are the same question and get the same answer (__w);
//  3. each unit's contribution to each aggregate (__p), and per group the
//     unit count, the top contributions and an identity of the set of
//     units and contributions (__s); exact distinct counts (__d); windows
//     of at least K units around each requested rank (__q).
//
// Go then drops groups under a noisy threshold of K units, flattens the
// largest contributions and adds noise seeded by HMAC-SM3 of the
// workspace secret and the identity of the contributions, so that the same
// figure over the same people is the same however it is asked.

// Noise settings. NoiseSD scales noise to the size of the largest regular
// contributions; TopN is how many contributions per group the engine sees.
const (
	noiseSD = 1.0
	topN    = 5
)

// layout locates the columns of the anonymizing statement's result.
type layout struct {
	cols   map[string]int
	groups int
	units  int
}

func (l *layout) add(list *[]string, expr, name string) {
	l.cols[name] = len(*list)
	*list = append(*list, expr+" AS "+name)
}

func (l *layout) at(name string) int {
	i, ok := l.cols[name]
	if !ok {
		return -1
	}
	return i
}

// contribution columns per site kind.
func siteParts(s *site) []string {
	var parts []string
	switch s.kind {
	case kCount, kCountDistinct:
		parts = []string{"c"}
	case kSum:
		parts = []string{"p", "n"}
	case kAvg:
		parts = []string{"p", "n", "c"}
	case kVar:
		parts = []string{"p", "n", "c", "q"}
	}
	if s.filter != nil && s.kind != kQuantile {
		parts = append(parts, "in")
	}
	return parts
}

// anonSQL builds the anonymizing statement for p.
func (e *Engine) anonSQL(ctx context.Context, conn *sql.Conn, ws *Workspace, p *plan) (string, *layout, error) {
	items := []any{}
	gcols := make([]string, len(p.groups))
	for j, g := range p.groups {
		gcols[j] = fmt.Sprintf("__g%d", j)
		items = append(items, withAlias(try(deepCopy(g)), gcols[j]))
	}
	units := len(p.units)
	for k, u := range p.units {
		// Units are grouped by a 64-bit hash of their key: much faster than
		// the key itself, and a collision only merges two units into one,
		// which counts fewer and sees a larger contribution: stricter.
		items = append(items, withAlias(fn("hash", false, nil, u.node()), fmt.Sprintf("__u%d", k)))
	}
	for i, s := range p.sites {
		if s.arg != nil {
			items = append(items, withAlias(deepCopy(s.arg), fmt.Sprintf("__x%d", i)))
		}
	}
	for m, a := range p.atoms {
		items = append(items, withAlias(deepCopy(a), atomCol(m)))
	}
	if len(items) == 0 {
		items = append(items, withAlias(constInt(1), "__one"))
	}
	ext := deepCopy(p.root)
	ext["select_list"] = items
	ext["group_expressions"] = []any{}
	ext["group_sets"] = []any{}
	ext["having"] = nil
	ext["modifiers"] = []any{}
	extSQL, err := deserialize(ctx, conn, node{"node": ext, "named_param_map": []any{}})
	if err != nil {
		return "", nil, err
	}
	extSQL = strings.TrimRight(strings.TrimSpace(extSQL), ";")

	var b strings.Builder
	b.WriteString("WITH __r AS (SELECT *")
	if units == 0 {
		// No unit column anywhere: every row is its own unit.
		b.WriteString(", CAST(row_number() OVER () AS UBIGINT) AS __u0")
		units = 1
	}
	b.WriteString(" FROM (" + extSQL + ") AS __r0")
	W := "TRUE"
	if p.where != nil {
		W = p.where.sql(atomCol)
		var any []string
		any = append(any, W)
		for m := range p.atoms {
			if p.atomSite[m] < 0 {
				any = append(any, p.where.flipped(m, true), p.where.flipped(m, false))
			}
		}
		// Rows one conjunct alone takes out, for rule 5b.
		if cs := p.where.conjuncts(); len(cs) > 1 {
			for j := range cs {
				rest := append(append([]*bexpr{}, cs[:j]...), cs[j+1:]...)
				any = append(any, "("+(&bexpr{op: 'a', kids: rest}).sql(atomCol)+")")
			}
		}
		b.WriteString(" WHERE " + strings.Join(any, " OR "))
	}
	b.WriteString(")")
	src := "__r"

	groupBy := func(extra ...string) string {
		all := append(append([]string{}, gcols...), extra...)
		if len(all) == 0 {
			return ""
		}
		return " GROUP BY " + strings.Join(all, ", ")
	}
	sel := func(rest ...string) string {
		return strings.Join(append(append([]string{}, gcols...), rest...), ", ")
	}
	match := func(a, c string) string {
		if len(gcols) == 0 {
			return "TRUE"
		}
		parts := make([]string, len(gcols))
		for j, g := range gcols {
			parts[j] = a + "." + g + " IS NOT DISTINCT FROM " + c + "." + g
		}
		return strings.Join(parts, " AND ")
	}
	k := ws.k()
	// A site's rows: the statement's (__in) or its FILTER's, which rule 5b
	// may widen beyond __in.
	filterOf := func(i int) string {
		if p.sites[i].filter == nil {
			return "__in"
		}
		return fmt.Sprintf("__f%d", i)
	}
	anyRow := "__in"
	for i, st := range p.sites {
		if st.filter != nil {
			anyRow += fmt.Sprintf(" OR __f%d", i)
		}
	}

	// Isolating branches (docs/disclosure.md, rule 5a): in each group a
	// sub-condition under an OR or a NOT whose true side, or false side,
	// holds fewer than a noisy K units of any kind is forced to the other
	// side before low-effect detection looks at atoms, so a branch that
	// could only ever hold one chosen person is gone whatever that
	// person's values (red team, round five: a branch true for nobody,
	// switched on by the victim's diagnosis through low-effect detection).
	if len(p.atoms) > 0 {
		type sub struct {
			e    *bexpr
			site int
		}
		var subs []sub
		if p.where != nil {
			for _, x := range p.where.branches() {
				subs = append(subs, sub{x, -1})
			}
		}
		for i, st := range p.sites {
			if st.filter != nil {
				for _, x := range st.filter.branches() {
					subs = append(subs, sub{x, i})
				}
			}
		}
		if len(subs) > 0 {
			var conds []string
			for _, x := range subs {
				scope := "TRUE"
				if x.site >= 0 {
					scope = "coalesce(" + W + ", FALSE)"
				}
				c := x.e.sql(atomCol)
				conds = append(conds, fmt.Sprintf("%s AND coalesce(%s, FALSE)", scope, c), fmt.Sprintf("%s AND NOT coalesce(%s, TRUE)", scope, c))
			}
			b.WriteString(", " + affectedUnits("__k0", "__r", gcols, units, p.onePerRow, conds, func(j int) string {
				return fmt.Sprintf("__k%s%d", ternary(j%2 == 0, "t", "f"), j/2)
			}))
			salt := e.salt(ws, "isolating")
			var vs, vcols []string
			for j, x := range subs {
				// Drawn per side and set of units on it, like low-effect
				// detection's threshold.
				small := func(side string) string {
					var any []string
					for u := 0; u < units; u++ {
						c := fmt.Sprintf("__k%s%d_%d", side, j, u)
						tau := fmt.Sprintf("(%d - 1 + 2.0 * (hash(%s) %% 1000003) / 1000003.0)", k, sel(fmt.Sprintf("CAST(%d AS UBIGINT)", salt), c+"x"))
						any = append(any, fmt.Sprintf("%s < %s", c, tau))
					}
					return "(" + strings.Join(any, " OR ") + ")"
				}
				vs = append(vs, fmt.Sprintf("CASE WHEN %s THEN 2 WHEN %s THEN 1 ELSE 0 END AS __v%d", small("t"), small("f"), j))
				vcols = append(vcols, fmt.Sprintf("__k.__v%d", j))
				x.e.nid = j + 1
			}
			defer func() {
				if p.where != nil {
					p.where.clearNIDs()
				}
				for _, st := range p.sites {
					if st.filter != nil {
						st.filter.clearNIDs()
					}
				}
			}()
			fmt.Fprintf(&b, ", __k AS (SELECT %s FROM __k0)", sel(vs...))
			fmt.Fprintf(&b, ", __rk AS (SELECT __r.*, %s FROM __r JOIN __k ON %s)", strings.Join(vcols, ", "), match("__r", "__k"))
			src = "__rk"
			if p.where != nil {
				W = p.where.sql(atomCol)
			}
		}
	}

	// Low-effect detection per group (R28.3).
	if len(p.atoms) > 0 {
		// A row is pivotal for atom m when the atom alone decides it:
		// with m fixed to TRUE and to FALSE the condition differs.
		var conds []string
		for m := range p.atoms {
			if s := p.atomSite[m]; s < 0 {
				conds = append(conds, pivot(p.where, m))
			} else {
				conds = append(conds, fmt.Sprintf("coalesce(%s, FALSE) AND %s", W, pivot(p.sites[s].filter, m)))
			}
		}
		b.WriteString(", " + affectedUnits("__e0", src, gcols, units, p.onePerRow, conds, func(j int) string {
			return fmt.Sprintf("__lp%d", j)
		}))
		var ds []string
		for m, a := range p.atoms {
			salt := e.salt(ws, "led", canon(a, nil))
			// Drawn per condition, group and set of units the condition
			// would move: a set calibrated one person short of the
			// threshold gets a fresh draw when one more person is moved
			// (red team, round three).
			xs := []string{fmt.Sprintf("CAST(%d AS UBIGINT)", salt)}
			for u := 0; u < units; u++ {
				xs = append(xs, fmt.Sprintf("__lp%d_%dx", m, u))
			}
			tau := fmt.Sprintf("(%d - 1 + 2.0 * (hash(%s) %% 1000003) / 1000003.0)", k, sel(xs...))
			ds = append(ds, ledDecision(m, units, tau, func(u int) string { return fmt.Sprintf("__lp%d_%d", m, u) }))
		}
		fmt.Fprintf(&b, ", __e AS (SELECT %s FROM __e0)", sel(ds...))
		// A low-effect atom lets in the rows it alone decides, whatever
		// their own value of it; it never takes a row out.
		widen := func(e *bexpr, pos func(m int) bool) string {
			parts := []string{"coalesce(" + e.sql(func(i int) string { return "__r." + atomCol(i) }) + ", FALSE)"}
			for _, m := range e.atomList() {
				if pos(m) {
					parts = append(parts, fmt.Sprintf("(__e.__d%d AND coalesce(%s OR %s, FALSE))", m,
						e.sqlFixed(m, true, "__r."), e.sqlFixed(m, false, "__r.")))
				}
			}
			return "(" + strings.Join(parts, " OR ") + ")"
		}

		// Rule 5b: a conjunct of the top AND chain of WHERE, or of WHERE
		// and one FILTER together, that takes out between one and a noisy
		// K units of the group (or of the FILTERed cell) lets them back in.
		// Rule 5 tests what an atom alone decides, which for a conjunct is
		// everyone the others admit; an exclusion spelled as one condition
		// (concat(township, '|', year(birth_date), …) <> '<the victim>')
		// took one person out of a cell that decoy blocks kept apart from
		// every remembered figure, and averaging read a diagnosis in a few
		// queries (red team, round six). Whether a conjunct takes the
		// victim out depends on the victim's values, but letting the few
		// back in gives the same cell either way: without the victim's
		// row the conjunct takes out the others only, and letting in or
		// not they are in the same place.
		type bscope struct {
			site int
			cs   []*bexpr
		}
		var scopes []bscope
		wcs := p.where.conjuncts()
		if len(wcs) > 0 {
			scopes = append(scopes, bscope{-1, wcs})
		}
		for i, st := range p.sites {
			if st.filter != nil {
				scopes = append(scopes, bscope{i, append(append([]*bexpr{}, wcs...), st.filter.conjuncts()...)})
			}
		}
		var bconds []string
		type bref struct{ scope, j, idx int }
		var brefs []bref
		for si, sc := range scopes {
			for j := range sc.cs {
				brefs = append(brefs, bref{si, j, len(bconds)})
				bconds = append(bconds, removedBy(sc.cs, j, atomCol))
			}
		}
		letIn := func(si int) string {
			var parts []string
			for _, r := range brefs {
				if r.scope == si {
					parts = append(parts, fmt.Sprintf("(__rm.__bd%d AND %s)", r.idx, removedBy(scopes[si].cs, r.j, func(i int) string { return "__r." + atomCol(i) })))
				}
			}
			if len(parts) == 0 {
				return "FALSE"
			}
			return "(" + strings.Join(parts, " OR ") + ")"
		}
		joinB := ""
		if len(bconds) > 0 {
			b.WriteString(", " + affectedUnits("__rm0", src, gcols, units, p.onePerRow, bconds, func(j int) string {
				return fmt.Sprintf("__rb%d", j)
			}))
			var bds []string
			for _, r := range brefs {
				sc := scopes[r.scope]
				salt := e.salt(ws, "removal", fmt.Sprint(sc.site), sc.cs[r.j].sql(atomCol))
				xs := []string{fmt.Sprintf("CAST(%d AS UBIGINT)", salt)}
				var any []string
				for u := 0; u < units; u++ {
					xs = append(xs, fmt.Sprintf("__rb%d_%dx", r.idx, u))
				}
				tau := fmt.Sprintf("(%d - 1 + 2.0 * (hash(%s) %% 1000003) / 1000003.0)", k, sel(xs...))
				for u := 0; u < units; u++ {
					c := fmt.Sprintf("__rb%d_%d", r.idx, u)
					any = append(any, fmt.Sprintf("(%s > 0 AND %s < %s)", c, c, tau))
				}
				bds = append(bds, fmt.Sprintf("(%s) AS __bd%d", strings.Join(any, " OR "), r.idx))
			}
			fmt.Fprintf(&b, ", __rm AS (SELECT %s FROM __rm0)", sel(bds...))
			joinB = " JOIN __rm ON " + match("__r", "__rm")
		}
		scopeOf := func(site int) int {
			for si, sc := range scopes {
				if sc.site == site {
					return si
				}
			}
			return -1
		}
		cols := []string{"__r.*"}
		in := "TRUE"
		if p.where != nil {
			in = widen(p.where, func(m int) bool { return p.atomSite[m] < 0 })
		}
		if si := scopeOf(-1); si >= 0 {
			in = "(" + in + " OR " + letIn(si) + ")"
		}
		cols = append(cols, in+" AS __in")
		var fcols []string
		for i, s := range p.sites {
			if s.filter != nil {
				cols = append(cols, fmt.Sprintf("%s AS __fw%d", widen(s.filter, func(m int) bool { return p.atomSite[m] == i }), i))
				cols = append(cols, fmt.Sprintf("%s AS __fl%d", letIn(scopeOf(i)), i))
				fcols = append(fcols, fmt.Sprintf("(__in AND __fw%[1]d) OR __fl%[1]d AS __f%[1]d", i))
			}
		}
		fmt.Fprintf(&b, ", __w1 AS (SELECT %s FROM %s AS __r JOIN __e ON %s%s)", strings.Join(cols, ", "), src, match("__r", "__e"), joinB)
		fmt.Fprintf(&b, ", __w AS (SELECT %s FROM __w1)", strings.Join(append([]string{"*"}, fcols...), ", "))
	} else {
		cols := []string{"*", "TRUE AS __in"}
		for i, s := range p.sites {
			if s.filter != nil {
				cols = append(cols, fmt.Sprintf("coalesce(%s, FALSE) AS __f%d", s.filter.sql(atomCol), i))
			}
		}
		fmt.Fprintf(&b, ", __w AS (SELECT %s FROM __r)", strings.Join(cols, ", "))
	}

	// Contributions per unit, then per group.
	one := p.onePerRow
	for u := 0; u < units; u++ {
		var cs []string
		for i, s := range p.sites {
			f := filterOf(i)
			x := fmt.Sprintf("__x%d", i)
			for _, part := range siteParts(s) {
				var expr string
				switch part {
				case "c":
					switch {
					case s.kind == kCount && s.arg == nil:
						expr = ternary(one, fmt.Sprintf("CASE WHEN %s THEN 1 ELSE 0 END", f), fmt.Sprintf("count(*) FILTER (WHERE %s)", f))
					case s.kind == kCountDistinct:
						expr = ternary(one, fmt.Sprintf("CASE WHEN %s AND %s IS NOT NULL THEN 1 ELSE 0 END", f, x),
							fmt.Sprintf("count(DISTINCT %s) FILTER (WHERE %s)", x, f))
					default:
						expr = ternary(one, fmt.Sprintf("CASE WHEN %s AND %s IS NOT NULL THEN 1 ELSE 0 END", f, x),
							fmt.Sprintf("count(%s) FILTER (WHERE %s)", x, f))
					}
				case "p":
					expr = ternary(one, fmt.Sprintf("CASE WHEN %s THEN greatest(coalesce(%s, 0), 0) ELSE 0 END", f, x),
						fmt.Sprintf("coalesce(sum(greatest(%s, 0)) FILTER (WHERE %s), 0)", x, f))
				case "n":
					expr = ternary(one, fmt.Sprintf("CASE WHEN %s THEN greatest(-coalesce(%s, 0), 0) ELSE 0 END", f, x),
						fmt.Sprintf("coalesce(sum(greatest(-%s, 0)) FILTER (WHERE %s), 0)", x, f))
				case "q":
					expr = ternary(one, fmt.Sprintf("CASE WHEN %s THEN coalesce(%s * %s, 0) ELSE 0 END", f, x, x),
						fmt.Sprintf("coalesce(sum(%s * %s) FILTER (WHERE %s), 0)", x, x, f))
				case "in":
					expr = ternary(one, fmt.Sprintf("CASE WHEN %s THEN 1 ELSE 0 END", f), fmt.Sprintf("CAST(bool_or(%s) AS INTEGER)", f))
				}
				cs = append(cs, fmt.Sprintf("%s AS __c%d_%s", expr, i, part))
			}
		}
		uc := fmt.Sprintf("__u%d", u)
		uin := ternary(one, "__in AS __uin", "bool_or(__in) AS __uin")
		fmt.Fprintf(&b, ", __p%d AS (SELECT %s FROM __w WHERE (%s) AND %s IS NOT NULL", u, sel(append([]string{uc + " AS __u", uin}, cs...)...), anyRow, uc)
		if !one {
			b.WriteString(groupBy(uc))
		}
		b.WriteString(")")
		// One pass over the rows: every figure's parts per group and
		// release-memory cell (memory.go: units into cells by a keyed hash,
		// per cell the XOR of 16-bit keyed hashes of (unit, contribution)
		// for non-zero ones), then per group over at most memCells rows.
		// Counts, sums and XORs add up across cells; the largest
		// contributions of a group are the largest of its cells' largest.
		cell := fmt.Sprintf("CAST(hash(__u, CAST(%d AS UBIGINT)) %% %d AS INTEGER)", e.salt(ws, "memory-cell"), memCells)
		pairSalt := e.salt(ws, "memory-pair")
		// The group's units are those the statement's conditions admit;
		// a unit a widened FILTER alone lets in counts in that cell only.
		inner := []string{cell + " AS __cell", "count(*) FILTER (WHERE __uin) AS __n", "bit_xor(hash(__u)) FILTER (WHERE __uin) AS __h"}
		outer := []string{"CAST(sum(__n) AS BIGINT) AS __n", "bit_xor(__h) AS __h", "list(__cell ORDER BY __cell) AS __mcell"}
		for i, s := range p.sites {
			for _, part := range siteParts(s) {
				c := fmt.Sprintf("__c%d_%s", i, part)
				inner = append(inner, fmt.Sprintf("sum(%[1]s) AS %[1]s_t, max(%[1]s, %[2]d) AS %[1]s_m, bit_xor(CASE WHEN %[1]s <> 0 THEN %[3]s END) AS %[1]s_h", c, topN, mixHash("__u", fmt.Sprintf("round(CAST(%s AS DOUBLE), 4)", c))))
				outer = append(outer, fmt.Sprintf("sum(%[1]s_t) AS %[1]s_t, list_slice(list_sort(flatten(list(%[1]s_m)), 'DESC'), 1, %[2]d) AS %[1]s_m, bit_xor(%[1]s_h) AS %[1]s_h", c, topN))
				if part == "in" {
					continue
				}
				inner = append(inner, fmt.Sprintf("bit_xor(CASE WHEN %[1]s <> 0 THEN %[2]s %% 65536 ELSE 0 END) AS %[1]s_x, count(*) FILTER (WHERE %[1]s <> 0) AS %[1]s_k", c,
					mixHash("__u", fmt.Sprintf("round(CAST(%s AS DOUBLE), 4)", c), fmt.Sprintf("CAST(%d AS UBIGINT)", pairSalt))))
				outer = append(outer, fmt.Sprintf("list(%[1]s_x ORDER BY __cell) AS %[1]s_xl, sum(%[1]s_k) AS %[1]s_kn", c))
			}
		}
		fmt.Fprintf(&b, ", __m%d AS (SELECT %s FROM __p%d%s)", u, sel(inner...), u, groupBy("__cell"))
		fmt.Fprintf(&b, ", __s%d AS (SELECT %s FROM __m%d%s)", u, sel(outer...), u, groupBy())
	}
	// Distinct counts of values (docs/disclosure.md, rule 9): a value is
	// counted only when at least a noisy K units hold it, so a value one
	// person holds — whatever arithmetic made it — never moves the count.
	// A distinct count of the units themselves is a count of units (decode).
	dcfSalt := e.salt(ws, "dcf")
	for i, s := range p.sites {
		if s.kind != kCountDistinct || s.unitDistinct {
			continue
		}
		nus := make([]string, units)
		for u := range nus {
			nus[u] = fmt.Sprintf("count(DISTINCT __u%d)", u)
		}
		nu := nus[0]
		if units > 1 {
			nu = "least(" + strings.Join(nus, ", ") + ")"
		}
		fmt.Fprintf(&b, ", __dv%d AS (SELECT %s FROM __w WHERE %s AND __x%d IS NOT NULL%s)", i,
			sel(fmt.Sprintf("__x%d AS __v", i), nu+" AS __nu", "bit_xor(DISTINCT __u0) AS __vu"), filterOf(i), i, groupBy(fmt.Sprintf("__x%d", i)))
		// The threshold is drawn per value and per set of units holding
		// it: a set calibrated one person short of it gets a fresh draw
		// when one more person joins (red team, round three).
		tau := fmt.Sprintf("%d + floor(3 * (hash(__v, __vu, CAST(%d AS UBIGINT)) %% 1000003) / 1000003.0)", k, dcfSalt)
		fmt.Fprintf(&b, ", __dd%d AS (SELECT %s FROM __dv%d%s)", i, sel(fmt.Sprintf("count(*) FILTER (WHERE __nu >= %s) AS __d", tau)), i, groupBy())
	}
	// Windows of at least K units around each requested rank: each group's
	// values sorted into one list, the window sliced from it.
	for i, s := range p.sites {
		if s.kind != kQuantile {
			continue
		}
		fields := []string{fmt.Sprintf("v := __x%d", i)}
		for u := 0; u < units; u++ {
			fields = append(fields, fmt.Sprintf("u%d := __u%d", u, u))
		}
		fmt.Fprintf(&b, ", __o%d AS (SELECT %s FROM __w WHERE %s AND __x%d IS NOT NULL%s)", i,
			sel(fmt.Sprintf("list(struct_pack(%s) ORDER BY __x%d) AS __l", strings.Join(fields, ", "), i)), filterOf(i), i, groupBy())
		lo := fmt.Sprintf("greatest(1, least(CAST(round(1 + %v * (__cnt - 1)) AS BIGINT) - __hw, __cnt - 2 * __hw))", s.q)
		fmt.Fprintf(&b, ", __b%d AS (SELECT %s FROM (SELECT *, greatest(%d, CAST(ceil(__cnt * 0.005) AS BIGINT)) AS __hw FROM (SELECT *, len(__l) AS __cnt FROM __o%d)))",
			i, sel(fmt.Sprintf("list_slice(__l, %s, %s + 2 * __hw) AS __win", lo, lo)), k, i)
		var uq []string
		for u := 0; u < units; u++ {
			uq = append(uq, fmt.Sprintf("len(list_distinct(list_transform(__win, e -> e.u%d)))", u))
		}
		un := uq[0]
		if len(uq) > 1 {
			un = "least(" + strings.Join(uq, ", ") + ")"
		}
		// The window's own extremes are trimmed: its mean never carries
		// one outlying unit's value (the largest income for max).
		inner := "list_transform(list_slice(__win, 3, len(__win) - 2), e -> CAST(e.v AS DOUBLE))"
		fmt.Fprintf(&b, ", __q%d AS (SELECT %s FROM __b%d)", i, sel(
			"list_avg("+inner+") AS __qv",
			"list_max("+inner+") - list_min("+inner+") AS __qr",
			un+" AS __qu",
			"list_bit_xor(list_transform(__win, e -> "+mixHash("e.u0", "round(e.v, 4)")+")) AS __qh",
			// The window's sketch for the release memory (memory.go).
			fmt.Sprintf("list_transform(__win, e -> CAST(hash(e.u0, CAST(%d AS UBIGINT)) %% %d AS INTEGER)) AS __qc", e.salt(ws, "memory-cell"), memCells),
			fmt.Sprintf("list_transform(__win, e -> %s %% 65536) AS __qx", mixHash("e.u0", "round(e.v, 4)", fmt.Sprintf("CAST(%d AS UBIGINT)", e.salt(ws, "memory-pair"))))), i)
	}

	// One row per group with every figure.
	l := &layout{cols: map[string]int{}, groups: len(gcols), units: units}
	var out []string
	for _, g := range gcols {
		l.add(&out, "s0."+g, g)
	}
	from := "__s0 AS s0"
	for u := 0; u < units; u++ {
		a := fmt.Sprintf("s%d", u)
		if u > 0 {
			from += fmt.Sprintf(" LEFT JOIN __s%d AS %s ON %s", u, a, match("s0", a))
		}
		l.add(&out, a+".__n", fmt.Sprintf("n%d", u))
		l.add(&out, a+".__h", fmt.Sprintf("h%d", u))
		l.add(&out, a+".__mcell", fmt.Sprintf("__mcell_%d", u))
		for i, s := range p.sites {
			for _, part := range siteParts(s) {
				c := fmt.Sprintf("__c%d_%s", i, part)
				for _, suf := range []string{"_t", "_m", "_h"} {
					l.add(&out, a+"."+c+suf, fmt.Sprintf("%s%s_%d", c, suf, u))
				}
				if part != "in" {
					l.add(&out, a+"."+c+"_xl", fmt.Sprintf("%s_xl_%d", c, u))
					l.add(&out, a+"."+c+"_kn", fmt.Sprintf("%s_kn_%d", c, u))
				}
			}
		}
	}
	for i, s := range p.sites {
		if s.kind == kCountDistinct && !s.unitDistinct {
			a := fmt.Sprintf("dd%d", i)
			from += fmt.Sprintf(" LEFT JOIN __dd%d AS %s ON %s", i, a, match("s0", a))
			l.add(&out, a+".__d", fmt.Sprintf("d%d", i))
		}
	}
	for i, s := range p.sites {
		if s.kind != kQuantile {
			continue
		}
		a := fmt.Sprintf("q%d", i)
		from += fmt.Sprintf(" LEFT JOIN __q%d AS %s ON %s", i, a, match("s0", a))
		for _, c := range []string{"__qv", "__qr", "__qu", "__qh", "__qc", "__qx"} {
			l.add(&out, a+"."+c, fmt.Sprintf("%s_%d", c, i))
		}
	}
	fmt.Fprintf(&b, " SELECT %s FROM %s", strings.Join(out, ", "), from)
	return b.String(), l, nil
}

// mixHash hashes several values into one so that an XOR over many of them
// does not split into parts: DuckDB's hash(a, b) combines the hashes of its
// arguments so that bit_xor over units of hash(unit, contribution) is the
// XOR of the units' hashes and of the contributions' hashes apart — for
// counts, the group's units and the parity of the count (red team, round
// six: every FILTERed count of a group got one of two noise values). The
// outer hash of the XORed hashes mixes them non-linearly.
func mixHash(parts ...string) string {
	x := "hash(" + parts[0] + ")"
	for _, p := range parts[1:] {
		x = "xor(" + x + ", hash(" + p + "))"
	}
	return "hash(" + x + ")"
}

// affectedUnits is a CTE named name over src: per group, for each condition
// j and unit kind u, the number of units of that kind with at least one row
// where it holds, as col(j)_u. Rows are first grouped per unit, so each count is a plain sum
// (distinct counts with filters are slow); one row per unit needs no
// grouping at all.
func affectedUnits(name, src string, gcols []string, units int, onePerRow bool, conds []string, col func(int) string) string {
	gsel := func(prefix string, rest ...string) string {
		var all []string
		for _, g := range gcols {
			all = append(all, prefix+g)
		}
		return strings.Join(append(all, rest...), ", ")
	}
	groupBy := func(extra ...string) string {
		all := append(append([]string{}, gcols...), extra...)
		if len(all) == 0 {
			return ""
		}
		return " GROUP BY " + strings.Join(all, ", ")
	}
	var b strings.Builder
	for u := 0; u < units; u++ {
		var flags, sums []string
		for j, c := range conds {
			if onePerRow {
				flags = append(flags, fmt.Sprintf("CAST(%s AS INTEGER) AS __a%d", c, j))
			} else {
				flags = append(flags, fmt.Sprintf("CAST(bool_or(%s) AS INTEGER) AS __a%d", c, j))
			}
			sums = append(sums, fmt.Sprintf("sum(__a%d) AS __a%d", j, j))
		}
		for j := range conds {
			// Who the condition moves, for the threshold's draw.
			sums = append(sums, fmt.Sprintf("bit_xor(CASE WHEN __a%d > 0 THEN __uu END) AS __x%d", j, j))
		}
		flags = append(flags, fmt.Sprintf("__u%d AS __uu", u))
		inner := fmt.Sprintf("SELECT %s FROM %s WHERE __u%d IS NOT NULL", gsel("", flags...), src, u)
		if !onePerRow {
			inner += groupBy(fmt.Sprintf("__u%d", u))
		}
		fmt.Fprintf(&b, "%s_%d AS (SELECT %s FROM (%s)%s), ", name, u, gsel("", sums...), inner, groupBy())
	}
	var out []string
	for j := range conds {
		for u := 0; u < units; u++ {
			out = append(out, fmt.Sprintf("coalesce(k%d.__a%d, 0) AS %s_%d", u, j, col(j), u),
				fmt.Sprintf("coalesce(k%d.__x%d, 0) AS %s_%dx", u, j, col(j), u))
		}
	}
	from := name + "_0 AS k0"
	for u := 1; u < units; u++ {
		on := "TRUE"
		if len(gcols) > 0 {
			var ps []string
			for _, g := range gcols {
				ps = append(ps, fmt.Sprintf("k0.%s IS NOT DISTINCT FROM k%d.%s", g, u, g))
			}
			on = strings.Join(ps, " AND ")
		}
		from += fmt.Sprintf(" LEFT JOIN %s_%d AS k%d ON %s", name, u, u, on)
	}
	fmt.Fprintf(&b, "%s AS (SELECT %s FROM %s)", name, gsel("k0.", out...), from)
	return b.String()
}

// ledDecision decides atom m for a group: TRUE when it is of low effect,
// that is when it alone decides the rows of between 1 and tau units of ANY
// unit kind (a padding relation whose units a condition does not touch
// cannot shield the units it singles out). The set it decides does not
// depend on any one unit's own value of the atom, only on the others, so
// neither does the decision nor — rows it decides being let in — the
// unit's place in the answer (docs/disclosure.md, rule 5).
func ledDecision(m, units int, tau string, col func(u int) string) string {
	var any []string
	for u := 0; u < units; u++ {
		c := col(u)
		any = append(any, fmt.Sprintf("(%s > 0 AND %s < %s)", c, c, tau))
	}
	return fmt.Sprintf("(%s) AS __d%d", strings.Join(any, " OR "), m)
}

func ternary(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// noiseKey is the key every noise draw and threshold is derived from: the
// platform's (Engine.NoiseKey), so the same figure over the same people
// gets the same noise in every workspace and for every merchant, and
// colluding merchants gain nothing by pooling answers; a workspace's own
// secret when the engine has none (tests).
func (e *Engine) noiseKey(ws *Workspace) []byte {
	if len(e.NoiseKey) >= 16 {
		return e.NoiseKey
	}
	return ws.Secret
}

// salt derives a constant for hashing inside DuckDB from the noise key, so
// thresholds cannot be predicted from the SQL alone.
func (e *Engine) salt(ws *Workspace, parts ...string) uint64 {
	return binary.BigEndian.Uint64(mac(e.noiseKey(ws), parts...))
}

func mac(secret []byte, parts ...string) []byte {
	m := hmac.New(sm3.New, secret)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// uniform is a sticky uniform draw in [0, 1) for the given identity.
func uniform(secret []byte, parts ...string) float64 {
	b := mac(secret, parts...)
	return float64(binary.BigEndian.Uint64(b)>>11) / (1 << 53)
}

// gauss is a sticky standard normal draw for the given identity.
func gauss(secret []byte, parts ...string) float64 {
	b := mac(secret, parts...)
	u1 := (float64(binary.BigEndian.Uint64(b[:8])>>11) + 0.5) / (1 << 53)
	u2 := float64(binary.BigEndian.Uint64(b[8:16])>>11) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// contrib is one contribution column of one unit kind in one group.
type contrib struct {
	total float64
	top   []float64
	id    string // identity of the units and their contributions
	units int64
	fp    fingerprint // the release memory's sketch (memory.go)
}

// flatten bounds the largest contributions: the one or two largest (a
// sticky choice) count at most twice the mean of the next three, and the
// noise scales with that regular top (docs/disclosure.md).
func flatten(c contrib) (value, flat, sd float64) {
	if c.units <= 0 || len(c.top) == 0 {
		return 0, 0, 0
	}
	o := 1
	if len(c.id) > 0 && c.id[len(c.id)-1]&1 == 1 {
		o = 2
	}
	if len(c.top) <= o {
		// Fewer contributors than outliers: nothing regular to compare
		// with; such groups are below K and never shown.
		return c.total, 0, c.top[0]
	}
	end := min(len(c.top), o+3)
	var sum float64
	for _, v := range c.top[o:end] {
		sum += v
	}
	topAvg := sum / float64(end-o)
	for _, v := range c.top[:o] {
		if v > 2*topAvg {
			flat += v - 2*topAvg
		}
	}
	mean := c.total / float64(c.units)
	return c.total - flat, flat, noiseSD * math.Max(topAvg, 0.5*mean)
}

// anonymize is one anonymized figure from its contributions per unit kind:
// the kind that needs the most flattening decides the value, the largest
// noise scale applies, and the noise is seeded by every kind's identity.
func anonymize(secret []byte, label string, cs []contrib) float64 {
	var value, flat, sd float64
	ids := []string{"noise", label}
	first := true
	for _, c := range cs {
		v, f, s := flatten(c)
		if first || f > flat {
			value, flat = v, f
			first = false
		}
		sd = math.Max(sd, s)
		ids = append(ids, c.id)
	}
	if sd == 0 {
		return value
	}
	return value + sd*gauss(secret, ids...)
}

// bucket is one group of the anonymizing statement's result.
type bucket struct {
	keys []any
	vals []any // per site, nil when suppressed
}

// decode turns the anonymizing statement's rows into released groups.
func decode(ws *Workspace, key []byte, p *plan, l *layout, rows [][]any, mem *memory) []bucket {
	k := ws.k()
	var out []bucket
	get := func(r []any, name string) any {
		i := l.at(name)
		if i < 0 {
			return nil
		}
		return r[i]
	}
	num := func(v any) float64 {
		f, ok := toFloat(v)
		if !ok || math.IsNaN(f) {
			return 0
		}
		return f
	}
	idOf := func(v any) string {
		switch x := v.(type) {
		case nil:
			return "-"
		case uint64:
			return strconv.FormatUint(x, 16)
		}
		return fmt.Sprint(v)
	}
	// fig is one anonymized figure, or the remembered answer to a figure
	// over nearly the same contributions (memory.go).
	fig := func(family, label string, cs []contrib) float64 {
		return mem.figure(family, cs, func() float64 { return anonymize(key, label, cs) })
	}
	for _, r := range rows {
		// The low-count filter: every unit kind must reach a noisy
		// threshold of at least K units (R28.3).
		small := false
		for u := 0; u < l.units; u++ {
			n := int64(num(get(r, fmt.Sprintf("n%d", u))))
			tau := int64(k) + int64(3*uniform(key, "lcf", idOf(get(r, fmt.Sprintf("h%d", u)))))
			if n < tau {
				small = true
			}
		}
		if small {
			continue
		}
		parts := func(i int, part string) []contrib {
			cs := make([]contrib, l.units)
			for u := range cs {
				c := fmt.Sprintf("__c%d_%s", i, part)
				cs[u] = contrib{total: num(get(r, fmt.Sprintf("%s_t_%d", c, u))), id: idOf(get(r, fmt.Sprintf("%s_h_%d", c, u))),
					units: int64(num(get(r, fmt.Sprintf("n%d", u))))}
				if l, ok := get(r, fmt.Sprintf("%s_m_%d", c, u)).([]any); ok {
					for _, v := range l {
						cs[u].top = append(cs[u].top, num(v))
					}
				}
				if part != "in" {
					cells, _ := get(r, fmt.Sprintf("__mcell_%d", u)).([]any)
					xors, _ := get(r, fmt.Sprintf("%s_xl_%d", c, u)).([]any)
					cs[u].fp = sketch(int64(num(get(r, fmt.Sprintf("%s_kn_%d", c, u)))), cells, xors)
				}
			}
			return cs
		}
		b := bucket{keys: append([]any(nil), r[:l.groups]...), vals: make([]any, len(p.sites))}
		for i, s := range p.sites {
			if s.filter != nil && s.kind != kQuantile {
				// A filtered cell needs K units of its own.
				in := parts(i, "in")
				low := false
				for _, c := range in {
					if int64(c.total) < int64(k)+int64(3*uniform(key, "lcf-filter", c.id)) {
						low = true
					}
				}
				if low {
					continue
				}
			}
			label := "count"
			if s.kind != kCount && s.kind != kCountDistinct {
				label = fmt.Sprint(s.kind)
			}
			switch s.kind {
			case kCount:
				b.vals[i] = int64(math.Max(0, math.Round(fig(label, label, parts(i, "c")))))
			case kCountDistinct:
				if s.unitDistinct {
					// The units themselves: a count of persons, the same
					// figure as count(*) over one row per person.
					b.vals[i] = int64(math.Max(0, math.Round(fig("count", "count", parts(i, "c")))))
					break
				}
				// Values held by at least a noisy K units, counted exactly:
				// no noise to average and nothing one person changes.
				b.vals[i] = int64(num(get(r, fmt.Sprintf("d%d", i))))
			case kSum:
				v := fig("sum+", label+"+", parts(i, "p")) - fig("sum-", label+"-", parts(i, "n"))
				b.vals[i] = round(v, 2)
			case kAvg, kVar:
				sum := fig("sum+", "sum+", parts(i, "p")) - fig("sum-", "sum-", parts(i, "n"))
				cnt := fig("count", "count", parts(i, "c"))
				if cnt < 1 {
					continue
				}
				mean := sum / cnt
				if s.kind == kAvg {
					b.vals[i] = round(mean, 4)
					continue
				}
				sq := fig("sumsq", "sumsq", parts(i, "q"))
				den := cnt - 1
				if s.pop {
					den = cnt
				}
				if den <= 0 {
					continue
				}
				v := math.Max(0, (sq-cnt*mean*mean)/den)
				if s.sqrt {
					v = math.Sqrt(v)
				}
				b.vals[i] = round(v, 4)
			case kQuantile:
				units := int64(num(get(r, fmt.Sprintf("__qu_%d", i))))
				if units < int64(k) {
					continue
				}
				cells, _ := get(r, fmt.Sprintf("__qc_%d", i)).([]any)
				xors, _ := get(r, fmt.Sprintf("__qx_%d", i)).([]any)
				win := contrib{fp: windowSketch(cells, xors), id: idOf(get(r, fmt.Sprintf("__qh_%d", i)))}
				v := mem.figure(fmt.Sprintf("quantile %v", s.q), []contrib{win}, func() float64 {
					v := num(get(r, fmt.Sprintf("__qv_%d", i)))
					spread := num(get(r, fmt.Sprintf("__qr_%d", i)))
					return v + spread/(2*float64(units))*gauss(key, "quantile", idOf(get(r, fmt.Sprintf("__qh_%d", i))))
				})
				b.vals[i] = round(v, 4)
			}
		}
		out = append(out, b)
	}
	return out
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
