package outcheck

import (
	"context"
	"hash/maphash"
	"math"
	"sort"
	"strings"
)

// reversible reports unkeyed hashes and one-to-one keys (R28.4).
func (c *checker) reversible(col *collector, t *Table, ts *tableScan) {
	keyed := map[string]bool{}
	for _, n := range t.KeyedPseudonyms {
		keyed[n] = true
	}
	for i, cs := range ts.cols {
		if cs.skip || cs.nonEmpty == 0 {
			continue
		}
		name := t.Columns[i]
		switch {
		case cs.digestHit > 0:
			col.add(CheckHash, Fail, t.Name, name, cs.digestHit, cs.nonEmpty,
				"表 %s 列 %s 中 %d 个值是原始数据的无密钥哈希（MD5/SHA/SM3），可直接还原", t.Name, name, cs.digestHit)
		case float64(cs.digests) >= 0.9*float64(cs.nonEmpty) && keyed[name]:
			col.add(CheckHash, Warn, t.Name, name, cs.digests, cs.nonEmpty,
				"表 %s 列 %s 声明为域内密钥化假名（%d 个哈希值），请审核人员核实密钥未出域", t.Name, name, cs.digests)
		case float64(cs.digests) >= 0.9*float64(cs.nonEmpty):
			// Identifier spaces are small (10^10 mobiles, ~10^11 ID
			// numbers): an unkeyed hash over them is brute-forced in hours,
			// raw data or not.
			col.add(CheckHash, Fail, t.Name, name, cs.digests, cs.nonEmpty,
				"表 %s 列 %s 中 %d 个值形似无密钥哈希，标识类数据的哈希可被穷举还原", t.Name, name, cs.digests)
		}
	}
	if t.Aggregate != nil || ts.rows < int64(max(c.rules.K, 20)) {
		return // an aggregate row is a cell, not a person; tiny tables say little
	}
	for i, cs := range ts.cols {
		if cs.skip || cs.seq || cs.nonEmpty == 0 || float64(cs.digests) >= 0.9*float64(cs.nonEmpty) {
			continue
		}
		d := cs.sketch.estimate()
		if d < c.rules.UniqueShare*float64(cs.nonEmpty) || float64(cs.fractions) > 0.5*float64(cs.nonEmpty) {
			continue // not one value per row, or a measure (amounts are unique too)
		}
		name := t.Columns[i]
		if rc, ok := c.bijection(d); ok {
			col.add(CheckOneToOne, Fail, t.Name, name, int64(d+0.5), cs.nonEmpty,
				"表 %s 列 %s 每行取值唯一，约 %.0f 个不同值与原始标识字段 %s.%s 的约 %d 个值数量一致，疑似一一映射，可还原到个体",
				t.Name, name, d, rc.Table, rc.Name, rc.Distinct)
			continue
		}
		col.add(CheckOneToOne, Warn, t.Name, name, int64(d+0.5), cs.nonEmpty,
			"表 %s 列 %s 每行取值唯一（约 %.0f 个不同值），疑似个体标识或假名键，请审核人员确认", t.Name, name, d)
	}
}

// bijection finds a raw identifier column with as many distinct values as a
// product key column: the product then carries one key per raw subject, a
// renaming of the raw identifier (R28.4). 3 % covers the sketches' error.
func (c *checker) bijection(d float64) (RawColumn, bool) {
	var best RawColumn
	gap := math.Inf(1)
	for _, rc := range c.raw.Columns() {
		g := math.Abs(d - float64(rc.Distinct))
		if rc.Identifier && rc.Distinct > 0 && g <= 0.03*float64(rc.Distinct) && g < gap {
			best, gap = rc, g
		}
	}
	return best, !math.IsInf(gap, 1)
}

// linkage maps product columns onto raw columns by their values, then
// checks whether product rows link to exactly one raw record over the
// mapped columns (the record is restored by a join) and whether numbers of
// linked rows are a tiny perturbation of the raw record's numbers (R28.4).
// Chance is measured, not assumed: the same comparison against the previous
// linked row's raw record is the baseline.
func (c *checker) linkage(ctx context.Context, col *collector, t *Table, ts *tableScan) error {
	if t.Aggregate != nil || ts.rows < 10 {
		return nil
	}
	rawCols := c.raw.Columns()
	// raw table -> (product col, raw col): in each raw table, the column
	// holding (nearly) all of a product column's values.
	byTable := map[string][][2]int{}
	for i, cs := range ts.cols {
		if cs.skip || cs.nonEmpty == 0 {
			continue
		}
		best := map[string][2]int64{}
		for rc, n := range cs.prov {
			tb := rawCols[rc].Table
			if b, ok := best[tb]; float64(n) >= 0.9*float64(cs.nonEmpty) && (!ok || n > b[1] || n == b[1] && int64(rc) < b[0]) {
				best[tb] = [2]int64{int64(rc), n}
			}
		}
		for tb, b := range best {
			byTable[tb] = append(byTable[tb], [2]int{i, int(b[0])})
		}
	}
	tables := make([]string, 0, len(byTable))
	for tb := range byTable {
		tables = append(tables, tb)
	}
	sort.Strings(tables)
	for _, tb := range tables {
		if err := c.linkTable(ctx, col, t, ts, tb, byTable[tb]); err != nil {
			return err
		}
	}
	return nil
}

// linkTable links the product table to one raw table over keys.
func (c *checker) linkTable(ctx context.Context, col *collector, t *Table, ts *tableScan, table string, keys [][2]int) error {
	rawCols := c.raw.Columns()
	mapped := map[int]bool{}
	var sel []string
	for _, k := range keys {
		mapped[k[0]] = true
		sel = append(sel, rawCols[k[1]].Name)
	}
	var xs []int // product numeric columns not copied verbatim
	for i, cs := range ts.cols {
		if !cs.skip && !mapped[i] && cs.nonEmpty > 0 && float64(cs.numbers) >= 0.9*float64(cs.nonEmpty) {
			xs = append(xs, i)
		}
	}
	var ys []RawColumn
	for _, rc := range rawCols {
		if rc.Table == table && rc.Numeric && rc.Distinct >= 20 && !contains(sel, rc.Name) {
			ys = append(ys, rc)
			sel = append(sel, rc.Name)
		}
	}
	if len(xs) == 0 {
		ys = nil
		sel = sel[:len(keys)]
	}
	// Raw side: key hash -> index of the record's numbers, -1 when several
	// records share the key.
	nk, ny := len(keys), len(ys)
	recs := map[uint64]int32{}
	var nums []float64
	var keyVals []uint64 // per record, the hashes of its key values
	lo, hi := make([]float64, ny), make([]float64, ny)
	for b := range lo {
		lo[b], hi[b] = math.Inf(1), math.Inf(-1)
	}
	err := c.raw.Scan(ctx, table, sel, func(r []string) error {
		h := uint64(0)
		for _, v := range r[:nk] {
			hv := maphash.String(c.seed, normalize(v))
			keyVals = append(keyVals, hv)
			h = mix64(h ^ hv)
		}
		if _, dup := recs[h]; dup {
			recs[h] = -1
			keyVals = keyVals[:len(keyVals)-nk]
			return nil
		}
		recs[h] = int32(len(nums) / max(ny, 1))
		for b, v := range r[nk:] {
			f, ok := parseNum(v)
			if !ok {
				f = math.NaN()
			} else {
				lo[b], hi[b] = min(lo[b], f), max(hi[b], f)
			}
			nums = append(nums, f)
		}
		if ny == 0 {
			nums = append(nums, 0)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Pairs whose ranges lie apart cannot be near anywhere.
	eps := c.rules.PerturbEpsilon
	pair := make([]bool, len(xs)*max(ny, 1))
	pairs := 0
	for a, x := range xs {
		for b := 0; b < ny; b++ {
			m := eps * max(math.Abs(lo[b]), math.Abs(hi[b]), 1)
			if ts.cols[x].lo <= hi[b]+m && ts.cols[x].hi >= lo[b]-m {
				pair[a*ny+b] = true
				pairs++
			}
		}
	}
	if pairs == 0 && float64(c.linkBound(ts, keys, recs, keyVals)) < c.rules.LinkShare*float64(ts.rows) {
		return nil // too few rows could link for a finding: spare the second pass
	}
	var linked int64
	near := make([]int64, len(xs)*max(ny, 1))
	chance := make([]int64, len(near))
	prev := int32(-1)
	err = t.each(func(row []string) bool {
		h := uint64(0)
		for _, k := range keys {
			h = mix64(h ^ c.hashOf(&ts.cols[k[0]], row[k[0]]))
		}
		r, ok := recs[h]
		if !ok || r < 0 {
			return true
		}
		linked++
		for a, x := range xs {
			pv, ok := parseNum(row[x])
			if !ok {
				continue
			}
			for b := 0; b < ny; b++ {
				if !pair[a*ny+b] {
					continue
				}
				if nearValue(pv, nums[int(r)*ny+b], eps) {
					near[a*ny+b]++
				}
				if prev >= 0 && nearValue(pv, nums[int(prev)*ny+b], eps) {
					chance[a*ny+b]++
				}
			}
		}
		prev = r
		return true
	})
	if err != nil {
		return err
	}
	names := make([]string, nk)
	for j, k := range keys {
		names[j] = t.Columns[k[0]]
	}
	if float64(linked) >= c.rules.LinkShare*float64(ts.rows) {
		col.add(CheckLinkage, Fail, t.Name, strings.Join(names, ","), linked, ts.rows,
			"表 %s 中 %d 行可经 %d 列（%s）唯一对应原始表 %s 的记录，可关联还原",
			t.Name, linked, nk, strings.Join(names, "、"), table)
	}
	if linked < 10 {
		return nil
	}
	for a, x := range xs {
		for b, y := range ys {
			n, base := near[a*ny+b], chance[a*ny+b]
			if float64(n) >= c.rules.PerturbShare*float64(linked) && n >= 3*base {
				col.add(CheckPerturbation, Fail, t.Name, t.Columns[x], n, linked,
					"表 %s 列 %s 中 %d 行（共 %d 行可关联）与原始记录 %s.%s 的值相差不超过 %.2g%%（随机基线 %d 行），属微扰还原",
					t.Name, t.Columns[x], n, linked, table, y.Name, eps*100, base)
			}
		}
	}
	return nil
}

// linkBound bounds the product rows that can link to a unique raw record:
// in each key column, only rows holding a value that occurs in some unique
// record can; the columns' value caches count them without a pass.
func (c *checker) linkBound(ts *tableScan, keys [][2]int, recs map[uint64]int32, keyVals []uint64) int64 {
	nk := len(keys)
	bound := ts.rows
	for j, k := range keys {
		cs := &ts.cols[k[0]]
		if cs.partial {
			continue // values outside the cache: no bound from this column
		}
		in := map[uint64]bool{}
		for _, r := range recs {
			if r >= 0 {
				in[keyVals[int(r)*nk+j]] = true
			}
		}
		var n int64
		for _, e := range cs.entries {
			if in[e.hv] {
				n += e.count
			}
		}
		bound = min(bound, n)
	}
	return bound
}

// nearValue: within eps of the raw value, relative to its size (absolute below 1).
func nearValue(p, r, eps float64) bool {
	if math.IsNaN(r) {
		return false
	}
	return math.Abs(p-r) <= eps*math.Max(math.Abs(r), 1)
}
