package sandbox

import (
	"fmt"
	"math"
	"math/big"
	"strings"
)

// history is a workspace's record of released rows: for each group (its
// definition and values) the distinct person counts released under each
// filter. It holds counts and hashes, never data values beyond group keys.
type history struct {
	cells map[string]map[string]int64
}

// disclosure is what control removed from a result.
type disclosure struct {
	rows   [][]any
	small  int // rows under K persons
	differ int // rows differing from an earlier release by fewer than K
	cells  int // cells suppressed by dominance or a small FILTER count
	kept   []int64
	keys   []string
}

// control applies disclosure control to raw aggregate rows (R28.3). raw rows
// carry the hidden columns after p.items.
func control(ws *Workspace, p *plan, h *history, raw [][]any) disclosure {
	k := int64(ws.k())
	dom := ws.dominance()
	var d disclosure
	for _, r := range raw {
		n, _ := toFloat(r[p.items])
		if int64(n) < k {
			// R28.3: fewer than K persons (zero cells included) is never shown.
			d.small++
			continue
		}
		row := append([]any(nil), r[:p.items]...)
		col := p.items + 1
		for _, s := range p.sites {
			hide := false
			if s.filter != nil {
				fk, _ := toFloat(r[col])
				col++
				hide = int64(fk) < k
			}
			if s.dom && s.node != nil {
				total, _ := toFloat(r[col])
				top := topTwo(r[col+1])
				col += 2
				if total > 0 && (top[0] > dom.Top1*total || top[0]+top[1] > dom.Top2*total) {
					hide = true
				}
			}
			if hide && row[s.item] != nil {
				row[s.item] = nil
				d.cells++
			}
		}
		key := rowKey(p, r)
		if h != nil && differs(h.cells[key], p.filterHash, int64(n), k) {
			// Differencing and trackers: two releases over almost the same
			// people reveal the few in between.
			d.differ++
			continue
		}
		d.rows = append(d.rows, row)
		d.kept = append(d.kept, int64(n))
		d.keys = append(d.keys, key)
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

func (h *history) record(d disclosure, filter string) {
	for i, key := range d.keys {
		m := h.cells[key]
		if m == nil {
			m = map[string]int64{}
			h.cells[key] = m
		}
		m[filter] = d.kept[i]
	}
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
