package sandbox

import (
	"fmt"
	"hash/fnv"
	"testing"
)

// sketchOf builds a fingerprint the way the anonymizing statement does,
// with another hash: units into cells, per cell the XOR of 16-bit hashes
// of (unit, contribution), zero contributions left out.
func sketchOf(pairs map[int]float64) fingerprint {
	var f fingerprint
	for u, c := range pairs {
		if c == 0 {
			continue
		}
		f.n++
		h := fnv.New64a()
		fmt.Fprintf(h, "cell|%d", u)
		cell := h.Sum64() % memCells
		h.Reset()
		fmt.Fprintf(h, "pair|%d|%.4f", u, c)
		f.cells[cell] ^= uint16(h.Sum64())
	}
	return f
}

// The sketch tells "differs by fewer than K units" from "differs by many"
// (R28.3): one person in or out, or one changed contribution, is near; a
// different population is not; zero contributions do not count, so padding
// with non-contributors cannot push a pair apart.
func TestMemorySketchNearness_R28_3(t *testing.T) {
	const k = 20
	base := map[int]float64{}
	for u := 0; u < 5000; u++ {
		base[u] = float64(u%7 + 1)
	}
	with := func(edit func(m map[int]float64)) fingerprint {
		m := map[int]float64{}
		for u, c := range base {
			m[u] = c
		}
		edit(m)
		return sketchOf(m)
	}
	b := sketchOf(base)
	cases := []struct {
		name string
		fp   fingerprint
		near bool
	}{
		{"same", with(func(map[int]float64) {}), true},
		{"one more person", with(func(m map[int]float64) { m[99999] = 3 }), true},
		{"one person fewer", with(func(m map[int]float64) { delete(m, 17) }), true},
		{"one contribution changed", with(func(m map[int]float64) { m[17] = 100 }), true},
		{"padded with non-contributors", with(func(m map[int]float64) {
			for u := 100000; u < 100500; u++ {
				m[u] = 0
			}
			delete(m, 3)
		}), true},
		{"k-2 people fewer", with(func(m map[int]float64) {
			for u := 0; u < k-2; u++ {
				delete(m, u)
			}
		}), true},
		{"3k people swapped", with(func(m map[int]float64) {
			for u := 0; u < 3*k; u++ {
				delete(m, u)
				m[200000+u] = 1
			}
		}), false},
		{"every contribution doubled", with(func(m map[int]float64) {
			for u := range m {
				m[u] *= 2
			}
		}), false},
	}
	for _, c := range cases {
		if got := near(&b, &c.fp, k); got != c.near {
			t.Errorf("%s: near = %v, want %v", c.name, got, c.near)
		}
	}
	// Disjoint groups just over K never look like one group.
	for s := 0; s < 200; s++ {
		a, z := map[int]float64{}, map[int]float64{}
		for i := 0; i < k+2; i++ {
			a[s*1000+i] = 1
			z[s*1000+500+i] = 1
		}
		fa, fz := sketchOf(a), sketchOf(z)
		if near(&fa, &fz, k) {
			t.Fatalf("two disjoint groups of %d units look near (seed %d)", k+2, s)
		}
	}
}

// A remembered figure answers a near one with its own value, also after
// the release record is reloaded; another family is answered on its own.
func TestMemoryRecallsAcrossReload_R28_3(t *testing.T) {
	pairs := map[int]float64{}
	for u := 0; u < 300; u++ {
		pairs[u] = 1
	}
	first := []contrib{{fp: sketchOf(pairs)}}
	m := newMemory(10, nil, nil)
	if v := m.figure("count", first, func() float64 { return 300.4 }); v != 300.4 {
		t.Fatalf("first figure %v", v)
	}
	delete(pairs, 5)
	second := []contrib{{fp: sketchOf(pairs)}}
	m2 := newMemory(10, nil, []ReleaseEntry{{Figures: m.added}})
	if v := m2.figure("count", second, func() float64 { return 298.9 }); v != 300.4 {
		t.Errorf("near figure after reload answered %v, want the remembered 300.4", v)
	}
	if v := m2.figure("sum+", second, func() float64 { return 7 }); v != 7 {
		t.Errorf("another family answered %v, want its own 7", v)
	}
	if len(m2.added) != 1 {
		t.Errorf("remembered %d new figures, want 1 (only the other family)", len(m2.added))
	}
}
