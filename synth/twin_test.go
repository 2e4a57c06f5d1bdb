package synth

import (
	"bytes"
	"encoding/csv"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/ident"
)

// realTable stands in for a real table inside the domain: its profile and
// indexes of its identifier values and whole rows.
type realTable struct {
	header []string
	rows   [][]string
	prof   []ColumnProfile
	values map[string]map[string]bool // column -> values
	full   map[string]bool
}

func newRealTable(t testing.TB, name string, n int, seed uint64) realTable {
	t.Helper()
	spec := DatasetSpec{}
	for _, d := range Datasets() {
		if d.Name == name {
			spec = d
		}
	}
	h, rows := readCSV(t, name, n, seed)
	p := NewProfiler(spec.Profiles(), 1)
	rt := realTable{header: h, rows: rows, values: map[string]map[string]bool{}, full: map[string]bool{}}
	for _, c := range h {
		rt.values[c] = map[string]bool{}
	}
	for _, r := range rows {
		if err := p.Add(r); err != nil {
			t.Fatal(err)
		}
		for i, v := range r {
			rt.values[h[i]][v] = true
		}
		rt.full[strings.Join(r, "\x00")] = true
	}
	rt.prof = p.Profiles()
	return rt
}

func (rt realTable) options() TwinOptions {
	return TwinOptions{
		Exclude:    func(col, v string) bool { return rt.values[col][v] },
		ExcludeRow: func(row []string) bool { return rt.full[strings.Join(row, "\x00")] },
	}
}

func twinRows(t testing.TB, cols []ColumnProfile, n int, seed uint64, opt TwinOptions) ([]string, [][]string) {
	t.Helper()
	var buf bytes.Buffer
	if err := Twin(&buf, cols, n, seed, opt); err != nil {
		t.Fatalf("Twin: %v", err)
	}
	all, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n+1 {
		t.Fatalf("twin has %d lines, want header + %d", len(all), n)
	}
	return all[0], all[1:]
}

func shares(rows [][]string, col int) map[string]float64 {
	s := map[string]float64{}
	for _, r := range rows {
		s[r[col]] += 1 / float64(len(rows))
	}
	return s
}

// The key proof of R6.1: a twin of 20,000 people shares no row and no
// identifier value with the 20,000 real ones, yet looks like them.
func TestTwin_R6_1_NoRealRowOrIdentifierAndSameShape(t *testing.T) {
	t.Parallel()
	const n = 20_000
	real := newRealTable(t, "population", n, 21)
	h, rows := twinRows(t, real.prof, n, 77, real.options())
	if strings.Join(h, ",") != strings.Join(real.header, ",") {
		t.Fatalf("twin header %v, real %v", h, real.header)
	}
	for k, r := range rows {
		if real.full[strings.Join(r, "\x00")] {
			t.Fatalf("twin row %d equals a real row", k)
		}
		for _, c := range []string{"id_number", "phone", "address"} {
			v := r[colIndex(t, h, c)]
			if v != "" && real.values[c][v] {
				t.Fatalf("twin row %d reuses real %s %q", k, c, v)
			}
		}
		if id := r[0]; !ident.ValidCitizenID(id) || !strings.HasPrefix(id, "6405") {
			t.Fatalf("twin row %d: implausible ID %q", k, id)
		}
		if p := r[colIndex(t, h, "phone")]; p != "" && !ident.ValidMobile(p) {
			t.Fatalf("twin row %d: invalid phone %q", k, p)
		}
		if _, err := time.Parse(time.DateOnly, r[colIndex(t, h, "birth_date")]); err != nil {
			t.Fatalf("twin row %d: %v", k, err)
		}
		if !strings.HasPrefix(r[colIndex(t, h, "address")], "宁夏回族自治区中卫市") {
			t.Fatalf("twin row %d: address %q", k, r[colIndex(t, h, "address")])
		}
	}
	for _, c := range []string{"county_code", "gender", "ethnicity", "household_type", "township"} {
		i := colIndex(t, h, c)
		want, got := shares(real.rows, i), shares(rows, i)
		for v, w := range want {
			if w >= 0.01 && math.Abs(got[v]-w) > 0.02 {
				t.Errorf("%s=%s: twin share %.3f, real %.3f", c, v, got[v], w)
			}
		}
	}
	// Surnames follow the real mix: 马 is common because Haiyuan is Hui.
	ma := func(rows [][]string) float64 {
		c := 0.0
		for _, r := range rows {
			if strings.HasPrefix(r[1], "马") {
				c++
			}
		}
		return c / float64(len(rows))
	}
	if a, b := ma(real.rows), ma(rows); math.Abs(a-b) > 0.02 {
		t.Errorf("surname 马: twin %.3f, real %.3f", b, a)
	}
}

func TestTwin_R6_1_RareCategoriesSuppressed(t *testing.T) {
	t.Parallel()
	cols := []ColumnProfile{{Name: "ethnicity", Type: "string", Kind: "category",
		Categories: map[string]int64{"汉族": 9000, "回族": 4000, "满族": 3, "东乡族": 5}}}
	_, rows := twinRows(t, cols, 5000, 1, TwinOptions{Epsilon: 1})
	s := shares(rows, 0)
	if s["满族"] > 0 || s["东乡族"] > 0 {
		t.Fatalf("rare categories leaked: %v", s)
	}
	if s[otherCategory] == 0 || s[otherCategory] > 0.01 {
		t.Errorf("其他 share %.4f, want small but present", s[otherCategory])
	}
	if math.Abs(s["汉族"]-9000.0/13008) > 0.02 {
		t.Errorf("汉族 share %.3f", s["汉族"])
	}
}

func TestTwin_R6_1_NumbersFollowQuantiles(t *testing.T) {
	t.Parallel()
	real := newRealTable(t, "enterprise", 5000, 3)
	h, rows := twinRows(t, real.prof, 5000, 4, real.options())
	capital := colIndex(t, h, "registered_capital")
	q := real.prof[capital].Quantiles
	median := func(rows [][]string) float64 {
		below := 0
		for _, r := range rows {
			if float64(parseFen(t, r[capital]))/100 <= q[10] {
				below++
			}
		}
		return float64(below) / float64(len(rows))
	}
	if m := median(rows); math.Abs(m-0.5) > 0.05 {
		t.Errorf("%.2f of twin capitals below the real median, want about half", m)
	}
	for k, r := range rows {
		x := float64(parseFen(t, r[capital])) / 100
		if x < q[0]-0.01 || x > q[len(q)-1]+0.01 {
			t.Fatalf("twin row %d: capital %v outside real 1st..99th percentile", k, x)
		}
		if !ident.ValidUSCC(r[0]) || real.values["uscc"][r[0]] {
			t.Fatalf("twin row %d: bad or real credit code %q", k, r[0])
		}
	}
}

// A region so small that random IDs collide with real ones most of the time:
// without Exclude the twin would hand out real IDs; with it, never.
func TestTwin_R6_1_TinyRegionStillCollisionFree(t *testing.T) {
	t.Parallel()
	birth := time.Date(2001, 3, 4, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	realIDs := map[string]bool{}
	p := NewProfiler([]ColumnProfile{{Name: "id_number", Type: "string", Kind: "id_number"}}, 1)
	for len(realIDs) < 600 {
		id := ident.GenCitizenID(r, "640522", birth, r.IntN(2) == 0)
		if !realIDs[id] {
			realIDs[id] = true
			if err := p.Add([]string{id}); err != nil {
				t.Fatal(err)
			}
		}
	}
	cols := p.Profiles()
	_, loose := twinRows(t, cols, 300, 5, TwinOptions{})
	hits := 0
	for _, row := range loose {
		if realIDs[row[0]] {
			hits++
		}
	}
	if hits == 0 {
		t.Fatal("the tiny region should force collisions without Exclude; the test proves nothing")
	}
	_, safe := twinRows(t, cols, 300, 5, TwinOptions{Exclude: func(_, v string) bool { return realIDs[v] }})
	for k, row := range safe {
		if realIDs[row[0]] {
			t.Fatalf("twin row %d reuses real ID %s (%d collisions without Exclude)", k, row[0], hits)
		}
		if !strings.HasPrefix(row[0], "64052220010304") {
			t.Fatalf("twin row %d: ID %s left the profiled region and date", k, row[0])
		}
	}
	// Exhausting the space is a clear error, not a real ID or a hang.
	err := Twin(&bytes.Buffer{}, cols, 1000, 5, TwinOptions{Exclude: func(_, v string) bool { return realIDs[v] }})
	if shuyu.ErrorCode(err) != shuyu.EUNPROCESSABLE {
		t.Errorf("exhausted space: %v", err)
	}
}

func TestTwin_R6_1_Deterministic(t *testing.T) {
	t.Parallel()
	real := newRealTable(t, "medical_settlement", 2000, 8)
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		if err := Twin(buf, real.prof, 2000, 9, TwinOptions{Epsilon: 0.5}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same seed, different twin")
	}
}

func TestLaplace_R6_1_ScaleAndSymmetry(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	const n, b = 200_000, 2.0
	sum, abs := 0.0, 0.0
	for range n {
		x := laplace(r, b)
		sum += x
		abs += math.Abs(x)
	}
	if m := sum / n; math.Abs(m) > 0.05 {
		t.Errorf("mean %.3f, want 0", m)
	}
	if m := abs / n; math.Abs(m-b) > 0.05 {
		t.Errorf("mean |x| %.3f, want scale %v", m, b)
	}
}

func TestProfiler_R6_1_RejectsWrongWidth(t *testing.T) {
	t.Parallel()
	p := NewProfiler([]ColumnProfile{{Name: "a", Kind: "category"}}, 1)
	if err := p.Add([]string{"x", "y"}); shuyu.ErrorCode(err) != shuyu.EINVALID {
		t.Fatalf("got %v", err)
	}
}

func TestTwin_R6_1_DiscreteNumbersStayDiscrete(t *testing.T) {
	t.Parallel()
	real := newRealTable(t, "bus_rides", 3000, 5)
	h, rows := twinRows(t, real.prof, 3000, 6, real.options())
	fare := colIndex(t, h, "fare")
	for k, r := range rows {
		if !real.values["fare"][r[fare]] {
			t.Fatalf("twin row %d: fare %q never occurs in the real table", k, r[fare])
		}
		if real.values["card_id"][r[0]] {
			t.Fatalf("twin row %d reuses a real card number", k)
		}
	}
}
