package outcheck

import (
	"math"
	"math/bits"
)

// u64map is an open-addressing map from 64-bit hashes to small payloads,
// compact and a single cache miss per probe: the raw index holds tens of
// millions of value hashes and the check probes every product value.
type u64map struct {
	keys []uint64
	vals []uint32
	n    int
}

func (m *u64map) slot(h uint64) int {
	mask := len(m.keys) - 1
	i := int(mix64(h)) & mask
	for m.keys[i] != 0 && m.keys[i] != h {
		i = (i + 1) & mask
	}
	return i
}

func fixKey(h uint64) uint64 {
	if h == 0 {
		return 1 // 0 marks an empty slot
	}
	return h
}

// get returns the payload of h and whether h is present.
func (m *u64map) get(h uint64) (uint32, bool) {
	if m.n == 0 {
		return 0, false
	}
	h = fixKey(h)
	i := m.slot(h)
	return m.vals[i], m.keys[i] != 0
}

// put sets the payload of h to f(old, present).
func (m *u64map) put(h uint64, f func(old uint32, ok bool) uint32) {
	if (m.n+1)*2 > len(m.keys) {
		m.grow()
	}
	h = fixKey(h)
	i := m.slot(h)
	ok := m.keys[i] != 0
	if !ok {
		m.keys[i] = h
		m.n++
	}
	m.vals[i] = f(m.vals[i], ok)
}

func (m *u64map) grow() {
	size := 1024
	if len(m.keys) > 0 {
		size = len(m.keys) * 2
	}
	old, oldv := m.keys, m.vals
	m.keys, m.vals = make([]uint64, size), make([]uint32, size)
	for i, k := range old {
		if k != 0 {
			j := m.slot(k)
			m.keys[j], m.vals[j] = k, oldv[i]
		}
	}
}

// mix64 is the splitmix64 finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// distinct counts distinct hashes: exactly up to exactCap of them, then with
// a HyperLogLog sketch (2^14 registers, about 0.8 % standard error). The
// check needs distinct counts of every column of a million-row table without
// holding its values, and exact ones for the small tables most products are.
type distinct struct {
	exact  map[uint64]struct{}
	sketch *hll
}

const exactCap = 1 << 16

func (d *distinct) add(h uint64) {
	if d.sketch == nil {
		if d.exact == nil {
			d.exact = map[uint64]struct{}{}
		}
		d.exact[h] = struct{}{}
		if len(d.exact) <= exactCap {
			return
		}
		d.sketch = &hll{}
		for k := range d.exact {
			d.sketch.add(k)
		}
		d.exact = nil
	}
	d.sketch.add(h)
}

func (d *distinct) estimate() float64 {
	if d.sketch == nil {
		return float64(len(d.exact))
	}
	return d.sketch.estimate()
}

// hll is a HyperLogLog sketch.
type hll struct {
	reg [1 << hllP]uint8
}

const hllP = 14

func (s *hll) add(h uint64) {
	h = mix64(h)
	i := h >> (64 - hllP)
	rho := uint8(bits.LeadingZeros64(h<<hllP|1<<(hllP-1)) + 1)
	if rho > s.reg[i] {
		s.reg[i] = rho
	}
}

func (s *hll) estimate() float64 {
	const m = float64(1 << hllP)
	sum, zeros := 0.0, 0
	for _, r := range s.reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros)) // linear counting for small sets
	}
	return e
}
