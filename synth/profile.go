package synth

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"shuyu"
	"shuyu/ident"
)

// ColumnProfile is what the simulated twin (R6.1) knows of a real column:
// coarse distributions only, never row-level values.
type ColumnProfile struct {
	Name string
	Type string // string, integer, decimal, date, datetime, month
	Kind string // id_number, name, phone, address, uscc, category, number, date, text
	// Categories counts values for category columns; for the other kinds it
	// counts a coarse feature: the region code of ID numbers, the first three
	// digits of phones, the first eight characters of credit codes, surnames,
	// the township of addresses and the character-class shape of text.
	Categories map[string]int64
	// Quantiles are evenly spaced quantiles of number and date columns (dates
	// as Unix seconds; for id_number the birth date), taken between the 1st
	// and 99th percentile so that no real extreme is carried over.
	Quantiles []float64
	NullRate  float64 // share of empty values
	Min, Max  float64 // true extremes, for display only: the twin stays within Quantiles
	Count     int64   // values seen
	Decimals  int     // digits after the point in numbers
}

// Profiles returns the column skeletons (name, type, kind) of a dataset,
// ready for a Profiler.
func (d DatasetSpec) Profiles() []ColumnProfile {
	out := make([]ColumnProfile, len(d.Columns))
	for i, c := range d.Columns {
		out[i] = ColumnProfile{Name: c.Name, Type: c.Type, Kind: c.Kind}
	}
	return out
}

const (
	quantilePoints = 21
	reservoirSize  = 20_000
	maxShapes      = 1000
	maxDiscrete    = 30
)

// Profiler builds column profiles from real rows inside the domain, keeping a
// bounded reservoir per numeric column.
type Profiler struct {
	cols  []ColumnProfile
	res   [][]float64
	seen  []int64
	nulls []int64
	r     *rand.Rand
}

// NewProfiler starts profiling columns whose Name, Type and Kind are set; the
// seed drives the reservoir sampling.
func NewProfiler(cols []ColumnProfile, seed uint64) *Profiler {
	p := &Profiler{cols: make([]ColumnProfile, len(cols)), res: make([][]float64, len(cols)),
		seen: make([]int64, len(cols)), nulls: make([]int64, len(cols)),
		r: rand.New(rand.NewPCG(seed, 0x9f0f11e))}
	for i, c := range cols {
		p.cols[i] = ColumnProfile{Name: c.Name, Type: c.Type, Kind: c.Kind, Categories: map[string]int64{}}
	}
	return p
}

// Add profiles one real row.
func (p *Profiler) Add(row []string) error {
	if len(row) != len(p.cols) {
		return fmt.Errorf("synth.Profiler.Add: %w", shuyu.Errorf(shuyu.EINVALID,
			"行有%d列，应为%d列 (wrong column count)", len(row), len(p.cols)))
	}
	for i, v := range row {
		c := &p.cols[i]
		c.Count++
		v = strings.TrimSpace(v)
		if v == "" {
			p.nulls[i]++
			continue
		}
		switch c.Kind {
		case "number", "date":
			x, dec, ok := parseValue(c.Type, v)
			if !ok {
				p.nulls[i]++
				continue
			}
			c.Decimals = max(c.Decimals, dec)
			if p.seen[i] == 0 || x < c.Min {
				c.Min = x
			}
			if p.seen[i] == 0 || x > c.Max {
				c.Max = x
			}
			p.sample(i, x)
			// Few distinct numbers (fares, flags) are kept as a histogram so
			// the twin does not invent in-between values like 1.66.
			if c.Kind == "number" && c.Categories != nil {
				c.Categories[v]++
				if len(c.Categories) > maxDiscrete {
					c.Categories = nil
				}
			}
		case "id_number":
			region, birth, _, err := ident.CitizenIDInfo(v)
			if err != nil {
				p.nulls[i]++ // invalid IDs teach the twin nothing
				continue
			}
			c.Categories[region]++
			p.sample(i, float64(birth.Unix()))
		case "phone":
			c.Categories[prefix(v, 3)]++
		case "uscc":
			if ident.ValidUSCC(v) {
				c.Categories[v[:8]]++
			}
		case "name":
			c.Categories[surnameOf(v)]++
		case "address":
			c.Categories[townshipIn(v)]++
		case "text":
			if s := shapeOf(v); len(c.Categories) < maxShapes || c.Categories[s] > 0 {
				c.Categories[s]++
			} else {
				c.Categories[otherCategory]++
			}
		default:
			c.Categories[v]++
		}
	}
	return nil
}

func (p *Profiler) sample(i int, x float64) {
	p.seen[i]++
	if len(p.res[i]) < reservoirSize {
		p.res[i] = append(p.res[i], x)
	} else if j := p.r.Int64N(p.seen[i]); j < reservoirSize {
		p.res[i][j] = x
	}
}

// Profiles returns the profiles of the rows added so far.
func (p *Profiler) Profiles() []ColumnProfile {
	out := make([]ColumnProfile, len(p.cols))
	for i, c := range p.cols {
		c.Categories = maps(c.Categories)
		if c.Count > 0 {
			c.NullRate = float64(p.nulls[i]) / float64(c.Count)
		}
		if vals := slices.Clone(p.res[i]); len(vals) > 0 {
			slices.Sort(vals)
			c.Quantiles = make([]float64, quantilePoints)
			for k := range c.Quantiles {
				level := 0.01 + 0.98*float64(k)/(quantilePoints-1)
				c.Quantiles[k] = vals[int(level*float64(len(vals)-1)+0.5)]
			}
		}
		out[i] = c
	}
	return out
}

func maps(m map[string]int64) map[string]int64 {
	if len(m) == 0 {
		return nil
	}
	c := make(map[string]int64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func prefix(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

// layouts maps a column type to its text form.
var layouts = map[string]string{"date": time.DateOnly, "datetime": time.DateTime, "month": "2006-01"}

func parseValue(typ, v string) (x float64, decimals int, ok bool) {
	if l, isDate := layouts[typ]; isDate {
		t, err := time.Parse(l, v)
		return float64(t.Unix()), 0, err == nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, 0, false
	}
	if _, frac, found := strings.Cut(v, "."); found {
		decimals = min(len(frac), 4)
	}
	return x, decimals, true
}

// townshipIn finds the real township named in an address, or otherCategory.
func townshipIn(addr string) string {
	for _, c := range Counties {
		for _, t := range c.Townships {
			if strings.Contains(addr, t.Name) {
				return t.Name
			}
		}
	}
	return otherCategory
}

// shapeOf keeps a value's character classes: 9 digit, A upper, a lower,
// 汉 Han; other characters (separators) are kept as they are.
func shapeOf(v string) string {
	var b strings.Builder
	n := 0
	for _, r := range v {
		if n++; n > 64 {
			break
		}
		switch {
		case r >= '0' && r <= '9':
			b.WriteByte('9')
		case r >= 'A' && r <= 'Z':
			b.WriteByte('A')
		case r >= 'a' && r <= 'z':
			b.WriteByte('a')
		case unicode.Is(unicode.Han, r):
			b.WriteRune('汉')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
