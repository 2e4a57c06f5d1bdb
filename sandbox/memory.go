package sandbox

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"sort"
)

// The release memory (docs/disclosure.md, "Differencing across queries").
//
// Sticky noise makes one question asked twice, or in other words, get one
// answer. Two *different* questions whose sets of people differ only by a
// victim would still get independent noise — and, worse, when the victim is
// not in either set the two sets are identical and so are the answers: the
// equality of two answers, or the average of many such pairs (ranges that
// creep past the victim's birth date), told whether the victim was in.
// So every released count and sum is remembered per workspace with a
// fingerprint of its contributions (which units contributed what), and a
// later figure whose contributions differ from a remembered one's by fewer
// than about K units is answered with the remembered value. Equal answers
// then mean "fewer than about K people differ", which no single person
// decides, and pairs that differ by one person always difference to zero.
//
// The fingerprint is a small sketch of the set of (unit, contribution)
// pairs with a non-zero contribution: each unit falls into one of memCells
// cells by a keyed hash of its key, and each cell keeps the XOR of 16-bit
// keyed hashes of its pairs. Two sets that differ by d pairs differ in at
// most d cells; sets that differ by many pairs differ in most cells. A
// changed cell can look unchanged only when 16-bit hashes cancel, which
// makes two figures look closer, never farther: the safe side. The sketch
// holds no unit key and no value.

// memCells is the number of cells of a fingerprint: larger than twice the
// largest K (20), so that sets differing by 2K pairs rarely look near.
const memCells = 64

// fingerprint is the sketch of one unit kind's contributions to a figure.
type fingerprint struct {
	n     int64 // units with a non-zero contribution
	cells [memCells]uint16
}

// near reports whether two sketches differ by fewer than k units.
func near(a, b *fingerprint, k int) bool {
	if a.n == 0 || b.n == 0 || abs64(a.n-b.n) >= int64(k) {
		return false
	}
	diff := 0
	for i := range a.cells {
		if a.cells[i] != b.cells[i] {
			diff++
		}
	}
	return diff < k
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// Figure is one remembered released figure, as the release record stores it.
type Figure struct {
	Family string        `json:"f"` // what was computed: count, sum+, sum-, sumsq, distinct
	Value  float64       `json:"v"` // the value released
	Kinds  []FigureKinds `json:"k"` // one sketch per unit kind
}

// FigureKinds is the sketch of one unit kind's contributions.
type FigureKinds struct {
	N     int64  `json:"n"`
	Cells string `json:"c"` // memCells big-endian uint16, base64
}

func (f *fingerprint) encode() FigureKinds {
	b := make([]byte, 2*memCells)
	for i, c := range f.cells {
		binary.BigEndian.PutUint16(b[2*i:], c)
	}
	return FigureKinds{N: f.n, Cells: base64.StdEncoding.EncodeToString(b)}
}

func decodeFingerprint(k FigureKinds) (fingerprint, bool) {
	b, err := base64.StdEncoding.DecodeString(k.Cells)
	if err != nil || len(b) != 2*memCells {
		return fingerprint{}, false
	}
	f := fingerprint{n: k.N}
	for i := range f.cells {
		f.cells[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return f, true
}

// memKind is one unit kind's sketch of a remembered figure.
type memKind struct {
	fp  fingerprint
	fig int // index into memory.values: the order it was released in
}

// memory is a workspace's remembered figures while one release is decided.
type memory struct {
	k      int
	key    []byte               // the noise key: seeds each figure's nearness threshold
	by     map[string][]memKind // family → sketches, sorted by fp.n
	values []float64            // remembered values, oldest first
	added  []Figure             // figures this release remembers
}

func newMemory(k int, key []byte, entries []ReleaseEntry) *memory {
	m := &memory{k: k, key: key, by: map[string][]memKind{}}
	for _, e := range entries {
		for _, f := range e.Figures {
			var kinds []fingerprint
			for _, kk := range f.Kinds {
				if fp, ok := decodeFingerprint(kk); ok {
					kinds = append(kinds, fp)
				}
			}
			m.remember(f.Family, f.Value, kinds, false)
		}
	}
	for _, ks := range m.by {
		sort.SliceStable(ks, func(i, j int) bool { return ks[i].fp.n < ks[j].fp.n })
	}
	return m
}

// remember adds a figure; sorted keeps each family's sketches in order of n.
func (m *memory) remember(family string, v float64, kinds []fingerprint, sorted bool) {
	id := len(m.values)
	m.values = append(m.values, v)
	for _, fp := range kinds {
		if fp.n == 0 {
			continue
		}
		ks := m.by[family]
		i := len(ks)
		if sorted {
			i = sort.Search(len(ks), func(i int) bool { return ks[i].fp.n > fp.n })
		}
		ks = append(ks, memKind{})
		copy(ks[i+1:], ks[i:])
		ks[i] = memKind{fp: fp, fig: id}
		m.by[family] = ks
	}
}

// figure answers one figure of family over the contributions cs: the value
// of the oldest remembered figure that any unit kind's sketch is near to,
// or compute's value, then remembered. A nil memory only computes.
func (m *memory) figure(family string, cs []contrib, compute func() float64) float64 {
	if m == nil {
		return compute()
	}
	var kinds []fingerprint
	for _, c := range cs {
		if c.fp.n > 0 {
			kinds = append(kinds, c.fp)
		}
	}
	if len(kinds) == 0 {
		return compute()
	}
	// The threshold is noisy around K and sticky for this figure's
	// contributions, so where "near" ends cannot be located to one
	// person by scanning decoy blocks; it never falls below K−2, so a
	// figure that differs by one person is always near.
	ids := []string{"memory", family}
	for _, c := range cs {
		ids = append(ids, c.id)
	}
	tau := m.k - 2 + int(4*uniform(m.key, ids...))
	best := -1
	ks := m.by[family]
	for j := range kinds {
		lo := sort.Search(len(ks), func(i int) bool { return ks[i].fp.n > kinds[j].n-int64(tau) })
		for i := lo; i < len(ks) && ks[i].fp.n < kinds[j].n+int64(tau); i++ {
			if (best < 0 || ks[i].fig < best) && near(&ks[i].fp, &kinds[j], tau) {
				best = ks[i].fig
			}
		}
	}
	if best >= 0 {
		return m.values[best]
	}
	v := compute()
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	m.remember(family, v, kinds, true)
	f := Figure{Family: family, Value: v}
	for i := range kinds {
		f.Kinds = append(f.Kinds, kinds[i].encode())
	}
	m.added = append(m.added, f)
	return v
}

// sketch builds a fingerprint from the statement's per-group lists of
// occupied cells and their XORs.
func sketch(n int64, cells, xors []any) fingerprint {
	f := fingerprint{n: n}
	eachCell(cells, xors, func(c int, x uint16) { f.cells[c] = x })
	return f
}

// windowSketch builds the fingerprint of an order-statistic window from
// its elements' cells and 16-bit pair hashes.
func windowSketch(cells, xors []any) fingerprint {
	var f fingerprint
	eachCell(cells, xors, func(c int, x uint16) {
		f.n++
		f.cells[c] ^= x
	})
	return f
}

// eachCell calls f for each well-formed (cell, 16-bit hash) pair of two
// parallel lists from the statement.
func eachCell(cells, xors []any, f func(c int, x uint16)) {
	for i := range cells {
		if i >= len(xors) {
			break
		}
		c, ok1 := toFloat(cells[i])
		x, ok2 := toFloat(xors[i])
		if !ok1 || !ok2 || c < 0 || int(c) >= memCells {
			continue
		}
		f(int(c), uint16(uint64(x)))
	}
}
