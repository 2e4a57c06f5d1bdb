package outcheck

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/ident"
)

// goodAggregate: people and incomes by county and age band, every cell well
// above k, with the top contributors computed inside the domain for the
// dominance rule.
func goodAggregate(t testing.TB, d *domain) Table {
	tb := d.table(t, "by_county_age", `SELECT county, `+ageBand+` AS age_band, count(*) AS people,
		CAST(round(avg(income), 2) AS DECIMAL(12,2)) AS avg_income, sum(income) AS total_income,
		max(income) AS top1, CAST(0 AS DECIMAL(12,2)) AS top2
		FROM income GROUP BY ALL ORDER BY ALL`)
	tb.Aggregate = &Aggregate{Counts: []string{"people"}, Sums: []Sum{{Column: "total_income", Top1: "top1", Top2: "top2"}}}
	return tb
}

func TestCheck_R28_3_R28_5_GoodAggregatePasses(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	r := check(t, d, goodAggregate(t, d))
	if !r.Passed {
		t.Fatalf("good aggregate blocked: %v\n%s", r.Failed(), dump(r))
	}
	for _, c := range r.Checks {
		if c.Status != Pass {
			t.Errorf("check %s = %s on a clean aggregate: %+v", c.Name, c.Status, c.Findings)
		}
	}
	if r.RulesVersion != 1 || r.Rows == 0 {
		t.Errorf("report version %d rows %d", r.RulesVersion, r.Rows)
	}
}

func TestCheck_R28_3_GoodRecordLevelKAnonymousPasses(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	// Individual rows coarsened to county, age band and gender: every class
	// has far more than k people, and no row links to one raw record.
	tb := d.table(t, "people", `SELECT county, `+ageBand+` AS age_band, gender FROM population`)
	r := check(t, d, tb)
	if !r.Passed {
		t.Fatalf("k-anonymous records blocked: %v\n%s", r.Failed(), dump(r))
	}
	k := r.Check(CheckKAnonymity)
	if len(k.Findings) != 1 || !strings.Contains(k.Findings[0].Message, "满足 k=10") {
		t.Errorf("k-anonymity evidence: %+v", k.Findings)
	}
}

func TestCheck_R28_3_R24_1_RawRowsCopiedBlocked(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	tb := d.table(t, "copy", `SELECT * FROM population LIMIT 40`)
	r := check(t, d, tb)
	res := mustFail(t, r, CheckRawOverlap)
	if res.Findings[0].Count != 40 {
		t.Errorf("raw rows found %d, want 40: %+v", res.Findings[0].Count, res.Findings[0])
	}
	mustFail(t, r, CheckPersonalInfo)
	// Reordered columns and re-spelled values are still the same rows.
	for i, row := range tb.Rows {
		row[0] = strings.ToLower(row[0])
		tb.Rows[i] = append(row[1:], row[0])
	}
	tb.Columns = append(tb.Columns[1:], tb.Columns[0])
	r = check(t, d, tb)
	if got := mustFail(t, r, CheckRawOverlap).Findings[0].Count; got != 40 {
		t.Errorf("reordered copy: %d raw rows found, want 40", got)
	}
}

func TestCheck_R24_1_RawIdentifierValuesBlocked(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	// Only phone numbers, no full row: still raw identifier values.
	tb := d.table(t, "contacts", `SELECT county, phone FROM population WHERE phone <> '' LIMIT 25`)
	r := check(t, d, tb)
	res := mustFail(t, r, CheckRawOverlap)
	if f := res.Findings[0]; f.Column != "phone" || f.Count != 25 {
		t.Errorf("identifier overlap finding: %+v", f)
	}
}

func TestCheck_R4_3_PublicSourceCopyNotOverlap(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	tb := d.table(t, "stops", `SELECT * FROM stops`)
	r := check(t, d, tb)
	if st := r.Check(CheckRawOverlap).Status; st != Pass {
		t.Fatalf("copy of public-source data: overlap %s, want pass (R4.3)", st)
	}
}

func TestCheck_R28_5_HiddenIDInTextBlocked(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	tb := goodAggregate(t, d)
	id := ident.GenCitizenID(rand.New(rand.NewPCG(1, 2)), "640522", time.Date(1988, 3, 9, 0, 0, 0, 0, time.UTC), true)
	tb.Columns = append(tb.Columns, "note")
	for i := range tb.Rows {
		note := "数据来源：人口库"
		if i == 3 {
			note = "经办人核对 身份证" + id + " 无误"
		}
		tb.Rows[i] = append(tb.Rows[i], note)
	}
	r := check(t, d, tb)
	res := mustFail(t, r, CheckPersonalInfo)
	f := res.Findings[0]
	if f.Column != "note" || f.Count != 1 || !strings.Contains(f.Message, "公民身份号码") {
		t.Errorf("finding: %+v", f)
	}
	if out, _ := json.Marshal(r); strings.Contains(string(out), id) || strings.Contains(string(out), id[6:14]) {
		t.Fatal("report leaks the value it found (invariant 1)")
	}
}

func TestCheck_R28_4_UnkeyedSHA256OfIDsBlocked(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	tb := d.table(t, "hashed", `SELECT id_number, gender, county FROM population LIMIT 300`)
	for _, row := range tb.Rows {
		s := sha256.Sum256([]byte(row[0]))
		row[0] = hex.EncodeToString(s[:])
	}
	tb.Columns[0] = "person"
	r := check(t, d, tb)
	res := mustFail(t, r, CheckHash)
	if f := res.Findings[0]; f.Count != 300 || !strings.Contains(f.Message, "可直接还原") {
		t.Errorf("finding: %+v", f)
	}
	// A hash of identifiers not in the domain is still brute-forceable.
	for i, row := range tb.Rows {
		s := sha256.Sum256([]byte(fmt.Sprintf("1390000%04d", i)))
		row[0] = hex.EncodeToString(s[:])
	}
	r = check(t, d, tb)
	mustFail(t, r, CheckHash)
	// Declared as a keyed pseudonym: left to the reviewer.
	tb.KeyedPseudonyms = []string{"person"}
	r = check(t, d, tb)
	if st := r.Check(CheckHash).Status; st != Warn {
		t.Errorf("declared keyed pseudonym: %s, want warn", st)
	}
}

func TestCheck_R28_3_SmallCellAndDominanceBlocked(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	tb := goodAggregate(t, d)
	tb.Rows = append(tb.Rows, []string{"海原县", "100+", "3", "20000.00", "60000.00", "30000.00", "20000.00"})
	r := check(t, d, tb)
	res := mustFail(t, r, CheckCells)
	if f := res.Findings[0]; f.Count != 1 || f.Total != int64(len(tb.Rows)) {
		t.Errorf("small cell finding: %+v", f)
	}
	tb.Rows[len(tb.Rows)-1] = []string{"海原县", "100+", "12", "20000.00", "240000.00", "200000.00", "10000.00"}
	r = check(t, d, tb)
	mustFail(t, r, CheckDominance)
	if st := r.Check(CheckCells).Status; st != Pass {
		t.Errorf("cells %s with 12 people", st)
	}
}

func TestCheck_R28_3_KAnonymityCountsClasses(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	tb := d.table(t, "people", `SELECT county, `+ageBand+` AS age_band, gender FROM population`)
	tb.Rows = append(tb.Rows, []string{"中宁县", "100+", "女"}, []string{"中宁县", "100+", "女"}, []string{"海原县", "100+", "男"})
	r := check(t, d, tb)
	res := mustFail(t, r, CheckKAnonymity)
	f := res.Findings[0]
	if f.Count != 3 || !strings.Contains(f.Message, "其中 2 个少于 10 行") {
		t.Errorf("k-anonymity finding: %+v", f)
	}
}

func TestCheck_R28_4_OneToOneKeyBlocked(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	tb := d.table(t, "keyed", `SELECT id_number, gender, `+ageBand+` AS age_band FROM population`)
	perm := rand.New(rand.NewPCG(3, 4)).Perm(len(tb.Rows))
	for i, row := range tb.Rows {
		row[0] = fmt.Sprintf("P%06d", perm[i]) // a renamed ID number
	}
	tb.Columns[0] = "person_key"
	r := check(t, d, tb)
	res := mustFail(t, r, CheckOneToOne)
	if f := res.Findings[0]; f.Column != "person_key" || !strings.Contains(f.Message, "population.id_number") {
		t.Errorf("finding: %+v", f)
	}
	// A row number is not a key.
	for i, row := range tb.Rows {
		row[0] = strconv.Itoa(i + 1)
	}
	tb.Columns[0] = "序号"
	r = check(t, d, tb)
	if st := r.Check(CheckOneToOne).Status; st != Pass {
		t.Errorf("row numbers: %s, want pass: %+v", st, r.Check(CheckOneToOne).Findings)
	}
}

func TestCheck_R28_4_PerturbedIncomesBlocked(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	tb := d.table(t, "incomes", `SELECT township, birth_date, gender, income FROM income`)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, row := range tb.Rows {
		v, _ := strconv.ParseFloat(row[3], 64)
		row[3] = strconv.FormatFloat(v*(1+(rng.Float64()-0.5)*0.01), 'f', 2, 64) // ±0.5 %
	}
	r := check(t, d, tb)
	res := mustFail(t, r, CheckPerturbation)
	if f := res.Findings[0]; f.Column != "income" || float64(f.Count) < 0.9*float64(f.Total) {
		t.Errorf("finding: %+v", f)
	}
	mustFail(t, r, CheckLinkage)
	// The same rows with incomes unrelated to the person are no perturbation.
	for _, row := range tb.Rows {
		row[3] = strconv.FormatFloat(3000+rng.Float64()*90000, 'f', 2, 64)
	}
	r = check(t, d, tb)
	if st := r.Check(CheckPerturbation).Status; st != Pass {
		t.Errorf("unrelated incomes: %s, want pass: %+v", st, r.Check(CheckPerturbation).Findings)
	}
}

func TestCheck_R23_1_BadInputRefused(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	good := Table{Name: "t", Columns: []string{"a"}, Rows: [][]string{{"1"}}}
	cases := []struct {
		name  string
		p     *Product
		rules RuleSet
	}{
		{"no version", &Product{Tables: []Table{good}}, RuleSet{}},
		{"k of 1", &Product{Tables: []Table{good}}, RuleSet{Version: 1, K: 1}},
		{"share above 1", &Product{Tables: []Table{good}}, RuleSet{Version: 1, NameShare: 2}},
		{"unknown kind", &Product{Tables: []Table{good}}, RuleSet{Version: 1, AllowKinds: []Kind{"x"}}},
		{"no tables", &Product{}, RuleSet{Version: 1}},
		{"ragged row", &Product{Tables: []Table{{Name: "t", Columns: []string{"a", "b"}, Rows: [][]string{{"1", "2"}, {"1"}}}}}, RuleSet{Version: 1}},
		{"missing declared column", &Product{Tables: []Table{{Name: "t", Columns: []string{"a"}, Aggregate: &Aggregate{Counts: []string{"n"}}}}}, RuleSet{Version: 1}},
		{"duplicate column", &Product{Tables: []Table{{Name: "t", Columns: []string{"a", "a"}}}}, RuleSet{Version: 1}},
	}
	for _, c := range cases {
		r, err := Check(context.Background(), c.p, c.rules, d.idx)
		if shuyu.ErrorCode(err) != shuyu.EINVALID || r != nil {
			t.Errorf("%s: err %v report %v, want EINVALID", c.name, err, r != nil)
		}
	}
}

func dump(r *Report) string {
	b, _ := json.MarshalIndent(r, "", "  ")
	return string(b)
}
