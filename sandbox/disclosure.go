package sandbox

import (
	"fmt"
	"math"
	"math/big"
	"strings"
)

// disclosure is what control removed from a result.
type disclosure struct {
	rows   [][]any
	small  int // rows under K persons
	differ int // rows differing from an earlier release by fewer than K
	cells  int // cells suppressed by dominance or a small FILTER count
	kept   []ReleasedCell
}

// needsExact reports whether some cell of raw cannot be decided by the
// same-pass dominance bound.
func needsExact(ws *Workspace, p *plan, raw [][]any) bool {
	if p.perPerson {
		return true
	}
	k := int64(ws.k())
	dom := ws.dominance()
	for _, r := range raw {
		if n, _ := toFloat(r[p.kCol]); int64(n) < k {
			continue // suppressed whole anyway
		}
		for i, s := range p.sites {
			if s.dom && s.node != nil && fastDominance(p, dom, i, r) == domUnknown {
				return true
			}
		}
	}
	return false
}

// control applies disclosure control to raw aggregate rows (R28.3). raw rows
// carry the hidden columns after p.items; stats holds the statistics query's
// figures by group when they were needed (always for perPerson plans).
func control(ws *Workspace, p *plan, h *history, raw [][]any, stats map[string]*groupStats) disclosure {
	k := int64(ws.k())
	dom := ws.dominance()
	filter := digest(p.filterHash)
	var d disclosure
	for _, r := range raw {
		var st *groupStats
		if stats != nil {
			st = stats[groupKey(r, p.groupCols)]
		}
		var n float64
		switch {
		case !p.perPerson:
			n, _ = toFloat(r[p.kCol])
		case st != nil:
			n = float64(st.persons)
		} // a group the statistics did not see counts nobody: suppressed
		if int64(n) < k {
			// R28.3: fewer than K persons (zero cells included) is never shown.
			d.small++
			continue
		}
		row := append([]any(nil), r[:p.items]...)
		for i, s := range p.sites {
			hide := false
			if s.filter != nil {
				var fk float64
				if p.perPerson {
					fk = float64(st.filters[i])
				} else {
					fk, _ = toFloat(r[p.cols[i].filter])
				}
				hide = int64(fk) < k
			}
			if s.dom && s.node != nil {
				switch fastDominance(p, dom, i, r) {
				case domHide:
					hide = true
				case domUnknown:
					// No exact figures for a group it must have seen: hide.
					hide = hide || st == nil || st.figs[i].dominated(dom)
				}
			}
			if hide && row[s.item] != nil {
				row[s.item] = nil
				d.cells++
			}
		}
		key := digest(rowKey(p, r))
		if h != nil && differs(h.cells[key], filter, int64(n), k) {
			// Differencing and trackers: two releases over almost the same
			// people reveal the few in between.
			d.differ++
			continue
		}
		d.rows = append(d.rows, row)
		d.kept = append(d.kept, ReleasedCell{Group: key, Filter: filter, Persons: int64(n)})
	}
	return d
}

// differs reports whether count n under filter f differs from an earlier
// release of the same group under another filter by 1..K-1 persons.
func differs(prev map[string]int64, f string, n, k int64) bool {
	for pf, m := range prev {
		if pf == f {
			continue
		}
		diff := n - m
		if diff < 0 {
			diff = -diff
		}
		if diff > 0 && diff < k {
			return true
		}
	}
	return false
}

func rowKey(p *plan, r []any) string {
	var b strings.Builder
	b.WriteString(p.groupDef)
	for _, i := range p.keyItems {
		fmt.Fprintf(&b, "|%v", r[i])
	}
	return b.String()
}

func topTwo(v any) [2]float64 {
	var out [2]float64
	l, _ := v.([]any)
	for i := 0; i < len(l) && i < 2; i++ {
		out[i], _ = toFloat(l[i])
	}
	return out
}

// toFloat reads the numeric values DuckDB returns.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case int16:
		return float64(x), true
	case int8:
		return float64(x), true
	case int:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case interface{ Float64() float64 }:
		return x.Float64(), true
	}
	return math.NaN(), false
}
