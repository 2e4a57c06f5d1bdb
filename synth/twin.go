package synth

import (
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"shuyu"
	"shuyu/ident"
)

// otherCategory replaces categories too rare to show.
const otherCategory = "其他"

// TwinOptions tunes the simulated twin.
type TwinOptions struct {
	// Epsilon is the Laplace noise parameter on category counts (scale
	// 1/Epsilon); 0 adds no noise.
	Epsilon float64
	// MinCategory suppresses categories whose (noisy) count is below it;
	// they become "其他". 0 means 10.
	MinCategory int64
	// Exclude reports whether a value exists in the real column; identifier
	// values for which it is true are generated again.
	Exclude func(column, value string) bool
	// ExcludeRow reports whether a whole row exists in the real table; such
	// rows are generated again.
	ExcludeRow func(row []string) bool
	// MaxAttempts bounds regeneration per value or row; 0 means 1000.
	MaxAttempts int
}

// Twin writes n simulated rows (R6.1) shaped like the profiled columns, as
// CSV with a header of column names.
func Twin(w io.Writer, cols []ColumnProfile, n int, seed uint64, opt TwinOptions) error {
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Name
	}
	var genErr error
	rows := func(yield func([]string) bool) {
		for row, err := range TwinRows(cols, n, seed, opt) {
			if err != nil {
				genErr = err
				return
			}
			if !yield(row) {
				return
			}
		}
	}
	if err := writeCSV("synth.Twin", w, header, rows); err != nil {
		return err
	}
	return genErr
}

// TwinRows yields n simulated rows. Columns are drawn independently (R6.1: no
// joint distribution, so no real record is reproduced): categories from a
// Laplace-noised histogram with rare ones suppressed, numbers and dates from
// the quantiles, identifiers freshly generated in the right format and never
// equal to a real value that opt.Exclude knows. On failure it yields one
// error and stops. The yielded slice is reused between rows.
func TwinRows(cols []ColumnProfile, n int, seed uint64, opt TwinOptions) iter.Seq2[[]string, error] {
	return func(yield func([]string, error) bool) {
		if opt.MinCategory == 0 {
			opt.MinCategory = 10
		}
		if opt.MaxAttempts == 0 {
			opt.MaxAttempts = 1000
		}
		r := rand.New(rand.NewPCG(splitmix(seed^streamTwin), seed))
		gens := make([]*twinColumn, len(cols))
		for i, c := range cols {
			gens[i] = newTwinColumn(r, c, opt)
		}
		row := make([]string, len(cols))
		for range n {
			attempt := 0
			for {
				for i, g := range gens {
					v, err := g.next(r, opt)
					if err != nil {
						yield(nil, fmt.Errorf("synth.TwinRows: %w", err))
						return
					}
					row[i] = v
				}
				if opt.ExcludeRow == nil || !opt.ExcludeRow(row) {
					break
				}
				if attempt++; attempt >= opt.MaxAttempts {
					yield(nil, fmt.Errorf("synth.TwinRows: %w", shuyu.Errorf(shuyu.EUNPROCESSABLE,
						"仿真数据无法避开真实记录 (cannot avoid real rows)")))
					return
				}
			}
			for i, g := range gens {
				g.commit(row[i])
			}
			if !yield(row, nil) {
				return
			}
		}
	}
}

type twinColumn struct {
	p      ColumnProfile
	hist   weighted // noisy, suppressed histogram; empty if none survived
	unique map[string]bool
}

// identifying kinds are checked against the real data and kept unique.
func identifying(kind string) bool {
	switch kind {
	case "id_number", "phone", "uscc", "address", "text":
		return true
	}
	return false
}

func newTwinColumn(r *rand.Rand, p ColumnProfile, opt TwinOptions) *twinColumn {
	g := &twinColumn{p: p}
	if identifying(p.Kind) {
		g.unique = map[string]bool{}
	}
	// Sorted keys make the noise, hence the twin, reproducible.
	keys := make([]string, 0, len(p.Categories))
	for k := range p.Categories {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	other := 0.0
	for _, k := range keys {
		x := float64(p.Categories[k])
		if opt.Epsilon > 0 {
			x += laplace(r, 1/opt.Epsilon)
		}
		// Rare categories could single a person out; they join "其他".
		if x < float64(opt.MinCategory) || k == otherCategory {
			other += max(x, 0)
			continue
		}
		g.hist.vals = append(g.hist.vals, k)
		g.hist.cum = append(g.hist.cum, x+lastCum(g.hist))
	}
	if other > 0 {
		g.hist.vals = append(g.hist.vals, otherCategory)
		g.hist.cum = append(g.hist.cum, other+lastCum(g.hist))
	}
	return g
}

func lastCum(w weighted) float64 {
	if len(w.cum) == 0 {
		return 0
	}
	return w.cum[len(w.cum)-1]
}

// laplace samples the Laplace distribution of scale b by inverse CDF.
func laplace(r *rand.Rand, b float64) float64 {
	u := r.Float64() - 0.5
	if u < 0 {
		return b * math.Log(1+2*u)
	}
	return -b * math.Log(1-2*u)
}

func (g *twinColumn) commit(v string) {
	if g.unique != nil && v != "" {
		g.unique[v] = true
	}
}

func (g *twinColumn) next(r *rand.Rand, opt TwinOptions) (string, error) {
	if g.p.NullRate > 0 && r.Float64() < g.p.NullRate {
		return "", nil
	}
	if g.unique == nil {
		return g.draw(r), nil
	}
	for range opt.MaxAttempts {
		v := g.draw(r)
		if g.unique[v] || (opt.Exclude != nil && opt.Exclude(g.p.Name, v)) {
			continue // R6.1: never hand out a real identifier
		}
		return v, nil
	}
	return "", shuyu.Errorf(shuyu.EUNPROCESSABLE,
		"列%q的取值空间太小，仿真数据无法避开真实值 (value space too small to avoid real values)", g.p.Name)
}

// feature draws from the histogram; ok is false for "其他" or no histogram.
func (g *twinColumn) feature(r *rand.Rand) (string, bool) {
	if len(g.hist.vals) == 0 {
		return "", false
	}
	v := g.hist.pick(r)
	return v, v != otherCategory
}

func (g *twinColumn) draw(r *rand.Rand) string {
	switch g.p.Kind {
	case "id_number":
		return g.drawID(r)
	case "phone":
		pre, ok := g.feature(r)
		if !ok || len(pre) != 3 {
			pre = mobilePrefixes.pick(r)
		}
		s := strconv.Itoa(100_000_000 + r.IntN(100_000_000))
		return pre + s[1:]
	case "uscc":
		head, ok := g.feature(r)
		if !ok || len(head) != 8 {
			head = "91" + Counties[countyPick.pickAt(r.Float64())].Code
		}
		body := strconv.Itoa(100_000_000 + r.IntN(100_000_000))[1:]
		first17 := head + body + orgCheckChar(body)
		c, err := ident.USCCCheckChar(first17)
		if err != nil {
			return ident.GenUSCC(r, Counties[0].Code)
		}
		return first17 + string(c)
	case "name":
		if s, ok := g.feature(r); ok {
			return s + givenName(r, r.IntN(2) == 0, 1960+r.IntN(60))
		}
		return genName(r, r.IntN(2) == 0, false, 1960+r.IntN(60))
	case "address":
		return g.drawAddress(r)
	case "text":
		shape, ok := g.feature(r)
		if !ok {
			shape = "仿真999999999999"
		}
		return fillShape(r, shape)
	case "number":
		if v, ok := g.feature(r); ok {
			return v
		}
		x := g.quantile(r)
		if g.p.Type == "integer" {
			return strconv.FormatFloat(math.Round(x), 'f', 0, 64)
		}
		return strconv.FormatFloat(x, 'f', g.p.Decimals, 64)
	case "date":
		t := time.Unix(int64(g.quantile(r)), 0).UTC()
		l, ok := layouts[g.p.Type]
		if !ok {
			l = time.DateOnly
		}
		return t.Format(l)
	}
	if v, ok := g.feature(r); ok || len(g.hist.vals) > 0 {
		return v
	}
	return ""
}

// quantile draws by piecewise-linear inverse CDF over the quantiles.
func (g *twinColumn) quantile(r *rand.Rand) float64 {
	q := g.p.Quantiles
	switch len(q) {
	case 0:
		return 0
	case 1:
		return q[0]
	}
	x := r.Float64() * float64(len(q)-1)
	k := int(x)
	if k >= len(q)-1 {
		return q[len(q)-1]
	}
	return q[k] + (x-float64(k))*(q[k+1]-q[k])
}

func (g *twinColumn) drawID(r *rand.Rand) string {
	region, ok := g.feature(r)
	if !ok || !ident.ValidRegionCode(region) {
		region = Counties[countyPick.pickAt(r.Float64())].Code
	}
	var birth time.Time
	if len(g.p.Quantiles) > 0 {
		birth = time.Unix(int64(g.quantile(r)), 0).UTC()
		birth = time.Date(birth.Year(), birth.Month(), birth.Day(), 0, 0, 0, 0, time.UTC)
	} else {
		_, _, days := personCell(r.Float64())
		birth = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 9000-days)
	}
	return citizenID(region, birth, 1+r.IntN(998))
}

func (g *twinColumn) drawAddress(r *rand.Rand) string {
	name, ok := g.feature(r)
	for _, c := range Counties {
		for _, t := range c.Townships {
			if ok && t.Name == name {
				return genAddress(r, c, t, t.Urban && r.Float64() < 0.85)
			}
		}
	}
	c := Counties[countyPick.pickAt(r.Float64())]
	t := c.township(r)
	return genAddress(r, c, t, t.Urban && r.Float64() < 0.85)
}

const upper = "ABCDEFGHJKLMNPQRSTUVWXYZ"

func fillShape(r *rand.Rand, shape string) string {
	var b strings.Builder
	for _, c := range shape {
		switch c {
		case '9':
			b.WriteByte(byte('0' + r.IntN(10)))
		case 'A':
			b.WriteByte(upper[r.IntN(len(upper))])
		case 'a':
			b.WriteByte(byte('a' + r.IntN(26)))
		case '汉':
			b.WriteString(femaleGiven[r.IntN(len(femaleGiven))])
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
