package outcheck

import (
	"fmt"
	"math"
	"strings"

	"shuyu"
)

// Table is one table of a product: a header and rows of text values, as they
// would be delivered (CSV). Small tables carry Rows; large ones a Scan that
// streams every row each time it is called (the engine reads a table at most
// twice). The row slice passed to yield may be reused by the producer.
type Table struct {
	Name    string
	Columns []string
	Rows    [][]string
	Scan    func(yield func(row []string) bool) error
	// Aggregate, when set, declares the table as aggregate statistics: cell
	// thresholds and dominance apply instead of k-anonymity.
	Aggregate *Aggregate
	// KeyedPseudonyms names columns the product declares as pseudonyms keyed
	// with a secret that never leaves the domain (HMAC-SM3 in the sandbox).
	// A hash-looking column so declared is a warning for the reviewer, not a
	// failure; one that matches an unkeyed hash of raw data still fails.
	KeyedPseudonyms []string
}

// Aggregate declares the statistical columns of an aggregate table.
type Aggregate struct {
	Counts []string // columns holding counts of persons or units per cell
	Sums   []Sum    // sum columns with their hidden top-contributor columns
}

// Sum is a summed column and the columns, computed inside the domain and
// stripped before delivery, that hold its largest and second largest
// contributions per cell (for the dominance rule).
type Sum struct {
	Column, Top1, Top2 string
}

// Product is what a merchant asks to take out of the platform.
type Product struct {
	ID     string
	Tables []Table
}

// Dominance is the (n,k) dominance rule for sums: a cell fails when its top
// contributor holds more than Top1 of the cell total or its top two more than
// Top2 (the same rule the sandbox applies to governed queries).
type Dominance struct {
	Top1 float64 // default 0.5
	Top2 float64 // default 0.7
}

// RuleSet is a version of the output-check rules. The authority approves a
// version before it is used (R23.1); the engine takes it as given and names
// its version in every report.
type RuleSet struct {
	Version   int
	K         int // k-anonymity threshold; default 10
	MinCell   int // smallest count an aggregate cell may show; default K
	Dominance Dominance
	// QuasiColumns maps a table name to its quasi-identifier columns; the key
	// "*" applies to every table holding those columns.
	QuasiColumns map[string][]string
	// AllowKinds lists personal-information kinds the rule set lets through,
	// e.g. credit codes of companies for a scenario with the subjects'
	// authorization (R28.5).
	AllowKinds []Kind
	// NameShare is the share of a column's values that must look like person
	// names before the column is reported; default 0.5.
	NameShare float64
	// UniqueShare: a column whose distinct values cover at least this share
	// of its rows is key-like (one value per row); default 0.98.
	UniqueShare float64
	// LinkShare: a record-level table fails when at least this share of its
	// rows links to exactly one raw record; default 0.5.
	LinkShare float64
	// PerturbEpsilon is the relative distance within which a number counts
	// as "a tiny perturbation" of a raw value; default 0.01 (1 %).
	PerturbEpsilon float64
	// PerturbShare: a numeric column fails when at least this share of its
	// linked rows lies within PerturbEpsilon of the raw value; default 0.5.
	PerturbShare float64
}

// withDefaults fills zero fields.
func (r RuleSet) withDefaults() RuleSet {
	if r.K == 0 {
		r.K = 10
	}
	if r.MinCell == 0 {
		r.MinCell = r.K
	}
	def := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&r.Dominance.Top1, 0.5)
	def(&r.Dominance.Top2, 0.7)
	def(&r.NameShare, 0.5)
	def(&r.UniqueShare, 0.98)
	def(&r.LinkShare, 0.5)
	def(&r.PerturbEpsilon, 0.01)
	def(&r.PerturbShare, 0.5)
	return r
}

// Validate checks a rule set; problems are an EINVALID error listing fields.
func (r RuleSet) Validate() error {
	var fe []shuyu.FieldError
	add := func(f, m string) { fe = append(fe, shuyu.FieldError{Field: f, Message: m}) }
	if r.Version <= 0 {
		add("version", "规则版本须为正整数 (version must be positive)")
	}
	d := r.withDefaults()
	if d.K < 2 {
		add("k", "k值至少为2 (k must be at least 2)")
	}
	if d.MinCell < 1 {
		add("min_cell", "最小单元格值至少为1 (min_cell must be at least 1)")
	}
	shares := []struct {
		f string
		v float64
	}{{"dominance.top1", d.Dominance.Top1}, {"dominance.top2", d.Dominance.Top2}, {"name_share", d.NameShare},
		{"unique_share", d.UniqueShare}, {"link_share", d.LinkShare}, {"perturb_epsilon", d.PerturbEpsilon},
		{"perturb_share", d.PerturbShare}}
	for _, s := range shares {
		if math.IsNaN(s.v) || s.v <= 0 || s.v > 1 {
			add(s.f, "比例须在0到1之间 (share must be in (0,1])")
		}
	}
	for _, k := range r.AllowKinds {
		if kindLabel(k) == "" {
			add("allow_kinds", fmt.Sprintf("未知的个人信息类别 %q (unknown kind)", k))
		}
	}
	if len(fe) > 0 {
		return shuyu.Errorf(shuyu.EINVALID, "出域核查规则无效 (invalid rule set)").WithDetails(fe)
	}
	return nil
}

// validateProduct refuses malformed products before any check runs.
func validateProduct(p *Product) error {
	var fe []shuyu.FieldError
	add := func(f, m string) { fe = append(fe, shuyu.FieldError{Field: f, Message: m}) }
	if p == nil || len(p.Tables) == 0 {
		return shuyu.Errorf(shuyu.EINVALID, "产品没有数据表 (product has no tables)")
	}
	names := map[string]bool{}
	for i, t := range p.Tables {
		f := fmt.Sprintf("tables[%d]", i)
		if strings.TrimSpace(t.Name) == "" || names[t.Name] {
			add(f+".name", "表名为空或重复 (table name empty or duplicate)")
		}
		names[t.Name] = true
		if len(t.Columns) == 0 {
			add(f+".columns", "表没有列 (table has no columns)")
		}
		cols := map[string]bool{}
		for _, c := range t.Columns {
			if cols[c] {
				add(f+".columns", "列名重复 (duplicate column)")
			}
			cols[c] = true
		}
		need := append([]string(nil), t.KeyedPseudonyms...)
		if t.Aggregate != nil {
			need = append(need, t.Aggregate.Counts...)
			for _, s := range t.Aggregate.Sums {
				need = append(need, s.Column)
				if s.Top1 != "" {
					need = append(need, s.Top1)
				}
				if s.Top2 != "" {
					need = append(need, s.Top2)
				}
			}
		}
		for _, c := range need {
			if !cols[c] {
				add(f+".columns", "声明的列不存在 (declared column missing)")
			}
		}
	}
	if len(fe) > 0 {
		return shuyu.Errorf(shuyu.EINVALID, "产品结构无效 (invalid product)").WithDetails(fe)
	}
	return nil
}

// each streams the rows of t, checking their width: a ragged row is bad
// input, refused with its row number (never its values).
func (t *Table) each(fn func(row []string) bool) error {
	n := 0
	bad := -1
	visit := func(row []string) bool {
		n++
		if len(row) != len(t.Columns) {
			bad = n
			return false
		}
		return fn(row)
	}
	if t.Scan != nil {
		if err := t.Scan(visit); err != nil {
			return err
		}
	} else {
		for _, r := range t.Rows {
			if !visit(r) {
				break
			}
		}
	}
	if bad >= 0 {
		return shuyu.Errorf(shuyu.EINVALID, "表 %s 第 %d 行的列数与表头不符 (row width differs from header)", t.Name, bad)
	}
	return nil
}
