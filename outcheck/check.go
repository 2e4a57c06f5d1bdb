package outcheck

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"math"
	"strconv"
	"strings"
)

// Check runs the automatic output check of product p under rules (an
// approved version, R23.1) against the domain's raw data. raw may be nil when
// the product draws on public-source data only (R4.3); the overlap and
// reversibility checks that need raw data then find nothing. Bad input (a
// malformed product or rule set) is an EINVALID error and no report.
func Check(ctx context.Context, p *Product, rules RuleSet, raw RawIndex) (*Report, error) {
	const op = "outcheck.Check"
	if err := rules.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := validateProduct(p); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	rules = rules.withDefaults()
	if raw == nil {
		raw = emptyIndex{}
	}
	c := &checker{rules: rules, raw: raw, seed: maphash.MakeSeed(), identSet: map[ColSet]bool{}}
	var col collector
	var rows int64
	report := progressOf(ctx)
	for i := range p.Tables {
		t := &p.Tables[i]
		c.progress = func(n int64) { report(Progress{Stage: StageScan, Table: i + 1, Tables: len(p.Tables), Rows: n}) }
		c.progress(0)
		ts, err := c.scan(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		rows += ts.rows
		c.personalInfo(&col, t, ts)
		c.overlap(&col, t, ts)
		c.disclosure(&col, t, ts)
		c.reversible(&col, t, ts)
		report(Progress{Stage: StageLinkage, Table: i + 1, Tables: len(p.Tables), Rows: ts.rows})
		if err := c.linkage(ctx, &col, t, ts); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	return col.report(p.ID, rules.Version, rows), nil
}

type checker struct {
	rules    RuleSet
	raw      RawIndex
	seed     maphash.Seed
	identSet map[ColSet]bool  // does a raw column set contain an identifier
	spare    valEntry         // the verdict on an uncached value
	progress func(rows int64) // reports a scan's rows (WithProgress)
}

// colScan is what one pass learns about a column: counts and sketches only.
type colScan struct {
	skip      bool // hidden control column (top contributors), never delivered
	nonEmpty  int64
	bits      [7]int64 // values per scan bit
	sketch    distinct
	numbers   int64 // values that parse as numbers
	fractions int64 // numbers with a non-zero fraction (measures, not codes)
	seq       bool  // 1..n in row order: a row number, not a key
	digests   int64 // values shaped like an MD5/SHA/SM3 digest
	digestHit int64 // digests of raw values
	rawIdent  int64 // values equal to a raw identifier value
	prov      map[int]int64
	lo, hi    float64 // range of the numbers

	// cache memoizes the verdict on repeated values (most columns of a large
	// product hold few distinct values); counts are folded in after the pass.
	cache   map[string]int32
	entries []valEntry
	seen    int64
	misses  int64
	folded  bool
	partial bool // some values were not cached: entries do not cover the column
}

// valEntry is everything the checks learn from one distinct value.
type valEntry struct {
	num   float64
	rawH  uint64 // the raw index's hash
	hv    uint64 // the checker's hash of the normalized value
	set   ColSet
	mask  uint8
	flags uint8
	count int64
}

const (
	flagEmpty uint8 = 1 << iota
	flagNumber
	flagFraction
	flagDigest
	flagDigestHit
)

const (
	cacheCap     = 4096         // distinct values memoized per column
	cacheGiveUp  = 2 * cacheCap // a full cache missing half the time stops being used
	ctxCheckMask = 0xffff
)

type tableScan struct {
	rows      int64
	cols      []colScan
	rowHits   int64 // rows equal to a raw row
	qi        []int
	classes   map[uint64]int32
	small     int64 // aggregate cells below MinCell
	dominated int64 // sum cells failing dominance
	cells     int64
}

func (c *checker) scan(ctx context.Context, t *Table) (*tableScan, error) {
	ts := &tableScan{cols: make([]colScan, len(t.Columns))}
	idx := map[string]int{}
	for i, name := range t.Columns {
		idx[name] = i
		ts.cols[i].seq = true
		ts.cols[i].prov = map[int]int64{}
		ts.cols[i].cache = map[string]int32{}
		ts.cols[i].lo, ts.cols[i].hi = math.Inf(1), math.Inf(-1)
	}
	counts, sums := c.aggregateCols(t, idx, ts)
	if t.Aggregate == nil {
		ts.qi = c.quasi(t, idx)
		if len(ts.qi) > 0 {
			ts.classes = map[uint64]int32{}
		}
	}
	hs := make([]uint64, 0, len(t.Columns))
	hv := make([]uint64, len(t.Columns))
	var err error
	ferr := t.each(func(row []string) bool {
		ts.rows++
		if ts.rows&ctxCheckMask == 0 {
			if err = ctx.Err(); err != nil {
				return false
			}
			if c.progress != nil {
				c.progress(ts.rows)
			}
		}
		hs = hs[:0]
		for i, v := range row {
			cs := &ts.cols[i]
			if cs.skip {
				continue
			}
			if cs.seq && trimASCII(v) != strconv.FormatInt(ts.rows, 10) {
				cs.seq = false
			}
			e := c.value(cs, v)
			hs = append(hs, e.rawH)
			hv[i] = e.hv
		}
		if c.raw.ContainsRow(hs) {
			ts.rowHits++
		}
		if ts.classes != nil {
			k := uint64(0)
			for _, i := range ts.qi {
				k = mix64(k ^ hv[i])
			}
			ts.classes[k]++
		}
		if t.Aggregate != nil {
			c.cellRules(ts, row, counts, sums)
		}
		return true
	})
	if ferr != nil {
		return nil, ferr
	}
	for i := range ts.cols {
		c.fold(&ts.cols[i])
	}
	return ts, err
}

// value returns the verdict on one cell, from the column's cache when the
// value was seen before.
func (c *checker) value(cs *colScan, v string) *valEntry {
	cs.seen++
	if cs.cache != nil {
		if j, ok := cs.cache[v]; ok {
			e := &cs.entries[j]
			e.count++
			return e
		}
		cs.misses++
	}
	e := c.judge(v)
	e.count = 1
	if cs.cache != nil && len(cs.entries) < cacheCap {
		cs.cache[v] = int32(len(cs.entries))
		cs.entries = append(cs.entries, e)
		return &cs.entries[len(cs.entries)-1]
	}
	cs.partial = true
	if cs.cache != nil && cs.misses > cacheGiveUp && 2*cs.misses > cs.seen {
		c.fold(cs) // a column of mostly new values: stop paying for the cache
		cs.cache = nil
	}
	c.count(cs, &e)
	tmp := &c.spare
	*tmp = e
	return tmp
}

// judge runs every per-value check on v.
func (c *checker) judge(v string) valEntry {
	var e valEntry
	e.rawH, e.set = c.raw.Lookup(v)
	nv := normalize(v)
	e.hv = maphash.String(c.seed, nv)
	if nv == "" {
		e.flags = flagEmpty
		return e
	}
	e.mask = scanValue(nv)
	if isNumber(nv) {
		e.num, _ = parseNum(nv)
		e.flags |= flagNumber
		if strings.IndexByte(nv, '.') >= 0 {
			e.flags |= flagFraction // normalize dropped zero fractions
		}
	}
	if d, ok := digestBytes(nv); ok {
		e.flags |= flagDigest
		if c.raw.MatchDigest(d) {
			e.flags |= flagDigestHit
		}
	}
	return e
}

// hashOf is the checker's hash of v's normalized form, cached when possible.
func (c *checker) hashOf(cs *colScan, v string) uint64 {
	if j, ok := cs.cache[v]; ok {
		return cs.entries[j].hv
	}
	return maphash.String(c.seed, normalize(v))
}

// count adds one entry's occurrences to the column's counters.
func (c *checker) count(cs *colScan, e *valEntry) {
	if e.flags&flagEmpty != 0 || e.count == 0 {
		return
	}
	n := e.count
	cs.nonEmpty += n
	cs.sketch.add(e.hv)
	for b := 0; b < len(cs.bits); b++ {
		if e.mask&(1<<b) != 0 {
			cs.bits[b] += n
		}
	}
	if e.flags&flagNumber != 0 {
		cs.numbers += n
		cs.lo, cs.hi = min(cs.lo, e.num), max(cs.hi, e.num)
	}
	if e.flags&flagFraction != 0 {
		cs.fractions += n
	}
	if e.flags&flagDigest != 0 {
		cs.digests += n
	}
	if e.flags&flagDigestHit != 0 {
		cs.digestHit += n
	}
	if e.set != 0 {
		if c.hasIdent(e.set) {
			cs.rawIdent += n
		}
		for _, rc := range c.raw.ColSet(e.set) {
			cs.prov[rc] += n
		}
	}
}

// fold adds the cached entries' counts to the column's counters, once.
func (c *checker) fold(cs *colScan) {
	if cs.folded {
		return
	}
	cs.folded = true
	for i := range cs.entries {
		c.count(cs, &cs.entries[i])
	}
}

func (c *checker) hasIdent(set ColSet) bool {
	if v, ok := c.identSet[set]; ok {
		return v
	}
	cols := c.raw.Columns()
	v := false
	for _, rc := range c.raw.ColSet(set) {
		v = v || cols[rc].Identifier
	}
	c.identSet[set] = v
	return v
}

// quasi returns the indexes of the table's quasi-identifier columns: those
// the rule set names for this table, and those named under "*".
func (c *checker) quasi(t *Table, idx map[string]int) []int {
	var out []int
	seen := map[int]bool{}
	for _, key := range []string{t.Name, "*"} {
		for _, name := range c.rules.QuasiColumns[key] {
			if i, ok := idx[name]; ok && !seen[i] {
				seen[i] = true
				out = append(out, i)
			}
		}
	}
	return out
}

// digestBytes decodes a value shaped like a hex or base64 digest of 16, 20
// or 32 bytes (MD5, SHA-1, SHA-256 or SM3).
func digestBytes(v string) ([]byte, bool) {
	switch len(v) {
	case 32, 40, 64:
		if !allHex(v) {
			return nil, false
		}
		if d, err := hex.DecodeString(v); err == nil {
			return d, true
		}
	case 24, 28, 44:
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			if d, err := enc.DecodeString(v); err == nil && (len(d) == 16 || len(d) == 20 || len(d) == 32) {
				return d, true
			}
		}
	}
	return nil, false
}

// emptyIndex stands for a domain with no protected raw data.
type emptyIndex struct{}

func (emptyIndex) Columns() []RawColumn           { return nil }
func (emptyIndex) Lookup(string) (uint64, ColSet) { return 0, 0 }
func (emptyIndex) ColSet(ColSet) []int            { return nil }
func (emptyIndex) ContainsRow([]uint64) bool      { return false }
func (emptyIndex) MatchDigest([]byte) bool        { return false }
func (emptyIndex) Scan(context.Context, string, []string, func([]string) error) error {
	return nil
}
