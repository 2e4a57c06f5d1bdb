package outcheck

import (
	"math"
	"strconv"
	"strings"
)

type sumCols struct{ col, top1, top2 int }

// aggregateCols resolves the declared count and sum columns and marks the
// hidden top-contributor columns, which are never delivered and so are not
// scanned as product values.
func (c *checker) aggregateCols(t *Table, idx map[string]int, ts *tableScan) ([]int, []sumCols) {
	if t.Aggregate == nil {
		return nil, nil
	}
	var counts []int
	for _, name := range t.Aggregate.Counts {
		counts = append(counts, idx[name])
	}
	var sums []sumCols
	for _, s := range t.Aggregate.Sums {
		sc := sumCols{col: idx[s.Column], top1: -1, top2: -1}
		if s.Top1 != "" {
			sc.top1 = idx[s.Top1]
			ts.cols[sc.top1].skip = true
		}
		if s.Top2 != "" {
			sc.top2 = idx[s.Top2]
			ts.cols[sc.top2].skip = true
		}
		sums = append(sums, sc)
	}
	return counts, sums
}

// cellRules applies the cell threshold and the dominance rule to one row of
// an aggregate table (R28.3). A suppressed cell (empty or a marker such as
// "*") shows nothing and passes.
func (c *checker) cellRules(ts *tableScan, row []string, counts []int, sums []sumCols) {
	for _, i := range counts {
		ts.cells++
		n, ok := parseNum(row[i])
		// A zero is a structural empty cell; 1..MinCell-1 singles people out.
		if ok && n > 0 && n < float64(c.rules.MinCell) {
			ts.small++
		}
	}
	d := c.rules.Dominance
	for _, s := range sums {
		total, ok := parseNum(row[s.col])
		if !ok || total <= 0 || s.top1 < 0 {
			continue
		}
		t1, _ := parseNum(row[s.top1])
		t2 := 0.0
		if s.top2 >= 0 {
			t2, _ = parseNum(row[s.top2])
		}
		if t1 > d.Top1*total || t1+t2 > d.Top2*total {
			ts.dominated++
		}
	}
}

func parseNum(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// disclosure reports k-anonymity and uniqueness for record-level tables and
// cell thresholds and dominance for aggregate ones (R28.3).
func (c *checker) disclosure(col *collector, t *Table, ts *tableScan) {
	k := c.rules.K
	if t.Aggregate != nil {
		if ts.small > 0 {
			col.add(CheckCells, Fail, t.Name, "", ts.small, ts.cells,
				"表 %s 中 %d 个计数单元格小于 %d（共 %d 个）", t.Name, ts.small, c.rules.MinCell, ts.cells)
		} else {
			col.add(CheckCells, Pass, t.Name, "", 0, ts.cells,
				"表 %s 的 %d 个计数单元格均不小于 %d", t.Name, ts.cells, c.rules.MinCell)
		}
		if ts.dominated > 0 {
			col.add(CheckDominance, Fail, t.Name, "", ts.dominated, ts.rows,
				"表 %s 中 %d 个合计单元格由一两个个体主导（首位>%.0f%% 或前两位>%.0f%%）",
				t.Name, ts.dominated, c.rules.Dominance.Top1*100, c.rules.Dominance.Top2*100)
		}
		return
	}
	if len(ts.qi) == 0 {
		col.add(CheckKAnonymity, Warn, t.Name, "", 0, ts.rows,
			"明细表 %s 未声明准标识符列，未能计算 k-匿名，请审核人员确认", t.Name)
		return
	}
	var below, rowsBelow, singles int64
	minClass := int32(math.MaxInt32)
	for _, n := range ts.classes {
		if int(n) < k {
			below++
			rowsBelow += int64(n)
		}
		if n == 1 {
			singles++
		}
		minClass = min(minClass, n)
	}
	uniq := 0.0
	if ts.rows > 0 {
		uniq = float64(singles) / float64(ts.rows)
	}
	if below > 0 {
		col.add(CheckKAnonymity, Fail, t.Name, "", rowsBelow, ts.rows,
			"表 %s 按 %d 个准标识符分为 %d 个等价类，其中 %d 个少于 %d 行（涉及 %d 行）；唯一记录率 %.2f%%",
			t.Name, len(ts.qi), len(ts.classes), below, k, rowsBelow, uniq*100)
		return
	}
	if ts.rows == 0 {
		minClass = 0
	}
	col.add(CheckKAnonymity, Pass, t.Name, "", 0, ts.rows,
		"表 %s 按 %d 个准标识符分为 %d 个等价类，最小等价类 %d 行，满足 k=%d；唯一记录率 0%%",
		t.Name, len(ts.qi), len(ts.classes), minClass, k)
}

// personalInfo reports personal information found in values (R28.5).
func (c *checker) personalInfo(col *collector, t *Table, ts *tableScan) {
	allowed := map[Kind]bool{}
	for _, k := range c.rules.AllowKinds {
		allowed[k] = true
	}
	found := false
	for i, cs := range ts.cols {
		if cs.skip {
			continue
		}
		name := t.Columns[i]
		for b, k := range kinds[:5] {
			n := cs.bits[b]
			if n == 0 {
				continue
			}
			found = true
			st := Fail
			if allowed[k] {
				st = Warn
			}
			col.add(CheckPersonalInfo, st, t.Name, name, n, cs.nonEmpty,
				"表 %s 列 %s 中 %d 个值含有形似%s的内容", t.Name, name, n, kindLabel(k))
		}
		whole, tokens := cs.bits[5], cs.bits[6]
		distinct := cs.sketch.estimate()
		if cs.nonEmpty > 0 && float64(whole) >= c.rules.NameShare*float64(cs.nonEmpty) && distinct >= 10 {
			found = true
			col.add(CheckPersonalInfo, Warn, t.Name, name, whole, cs.nonEmpty,
				"表 %s 列 %s 中 %d 个值形似姓名，请审核人员确认", t.Name, name, whole)
		} else if tokens > 0 && cs.bits[0]+cs.bits[1]+cs.bits[2]+cs.bits[4] > 0 {
			col.add(CheckPersonalInfo, Warn, t.Name, name, tokens, cs.nonEmpty,
				"表 %s 列 %s 中 %d 个值在文本中夹带形似姓名的内容", t.Name, name, tokens)
		}
	}
	if !found {
		col.add(CheckPersonalInfo, Pass, t.Name, "", 0, ts.rows,
			"表 %s 的 %d 行中未发现个人信息", t.Name, ts.rows)
	}
}

// overlap reports raw rows and raw identifier values in the product (R28.3,
// R24.1). Public-source tables are not in the index (R4.3).
func (c *checker) overlap(col *collector, t *Table, ts *tableScan) {
	bad := false
	if ts.rowHits > 0 {
		bad = true
		col.add(CheckRawOverlap, Fail, t.Name, "", ts.rowHits, ts.rows,
			"表 %s 中 %d 行与数据域原始数据的行完全相同", t.Name, ts.rowHits)
	}
	for i, cs := range ts.cols {
		if cs.skip || cs.rawIdent == 0 {
			continue
		}
		bad = true
		col.add(CheckRawOverlap, Fail, t.Name, t.Columns[i], cs.rawIdent, cs.nonEmpty,
			"表 %s 列 %s 中 %d 个值与原始数据标识字段的值相同", t.Name, t.Columns[i], cs.rawIdent)
	}
	if !bad {
		col.add(CheckRawOverlap, Pass, t.Name, "", 0, ts.rows,
			"表 %s 的 %d 行中无原始行、无原始标识值", t.Name, ts.rows)
	}
}
