package sandbox

import (
	"fmt"
	"strings"
	"testing"
)

// rowsOf runs q, requires it released and returns its rows as printed text.
func rowsOf(t *testing.T, f *fixture, q string) []string {
	t.Helper()
	r := f.run(t, q)
	if r.Status != Released {
		t.Fatalf("%q: %s %v, want released", q, r.Status, r.Reasons)
	}
	var out []string
	for _, row := range r.Rows {
		out = append(out, fmt.Sprint(row...))
	}
	return out
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// A UNION of aggregating queries is its parts, each released through the
// disclosure-control path alone: a totals row is the same figure, noise
// included, as the total asked alone (rule 10), so combining parts gives
// an attacker nothing the parts did not.
func TestCompoundUnionIsItsParts_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	byCounty := rowsOf(t, f, "SELECT county, count(*) AS n, sum(income) AS s FROM people GROUP BY county ORDER BY county")
	total := rowsOf(t, f, "SELECT '合计' AS county, count(*) AS n, sum(income) AS s FROM people")
	got := rowsOf(t, f, "SELECT county, count(*) AS n, sum(income) AS s FROM people GROUP BY county "+
		"UNION ALL SELECT '合计', count(*), sum(income) FROM people")
	sameRows(t, "union all", got, append(append([]string{}, byCounty...), total...))
	// ORDER BY and LIMIT of the union apply to the combined rows.
	top := rowsOf(t, f, "SELECT county, count(*) AS n FROM people GROUP BY county UNION ALL "+
		"SELECT gender, count(*) FROM people GROUP BY gender ORDER BY n DESC LIMIT 2")
	if len(top) != 2 {
		t.Fatalf("limit 2 gave %v", top)
	}
	r := f.run(t, "SELECT county, count(*) AS n FROM people GROUP BY county UNION ALL SELECT gender, count(*) FROM people GROUP BY gender ORDER BY 2 DESC")
	for i := 1; i < len(r.Rows); i++ {
		if compareValues(r.Rows[i-1][1], r.Rows[i][1]) < 0 {
			t.Errorf("ORDER BY 2 DESC: row %d %v after %v", i, r.Rows[i], r.Rows[i-1])
		}
	}
	// UNION removes duplicate released rows; INTERSECT and EXCEPT compare them.
	one := rowsOf(t, f, "SELECT county FROM people GROUP BY county ORDER BY county")
	sameRows(t, "union", rowsOf(t, f, "SELECT county FROM people GROUP BY county UNION SELECT county FROM people GROUP BY county ORDER BY county"), one)
	sameRows(t, "intersect", rowsOf(t, f, "SELECT county FROM people GROUP BY county INTERSECT SELECT county FROM people GROUP BY county ORDER BY 1"), one)
	if got := rowsOf(t, f, "SELECT county FROM people GROUP BY county EXCEPT SELECT county FROM people GROUP BY county"); len(got) != 0 {
		t.Errorf("except of equal parts gave %v", got)
	}
	// A WITH clause serves every part.
	sameRows(t, "with", rowsOf(t, f, "WITH p AS (SELECT county, income FROM people) SELECT county, count(*) AS n FROM p GROUP BY county "+
		"UNION ALL SELECT '合计', count(*) FROM p ORDER BY county"),
		rowsOf(t, f, "SELECT county, count(*) AS n FROM people GROUP BY county UNION ALL SELECT '合计', count(*) FROM people ORDER BY county"))
}

// ROLLUP, CUBE and GROUPING SETS are one part per grouping set; keys a set
// leaves out are NULL, grouping() says which.
func TestCompoundGroupingSets_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	detail := rowsOf(t, f, "SELECT county, gender, count(*) AS n FROM people GROUP BY county, gender")
	perCounty := rowsOf(t, f, "SELECT county, NULL AS gender, count(*) AS n FROM people GROUP BY county")
	total := rowsOf(t, f, "SELECT NULL AS county, NULL AS gender, count(*) AS n FROM people")
	want := append(append(append([]string{}, detail...), perCounty...), total...)
	sameRows(t, "rollup", rowsOf(t, f, "SELECT county, gender, count(*) AS n FROM people GROUP BY ROLLUP (county, gender)"), want)
	sameRows(t, "grouping sets", rowsOf(t, f, "SELECT county, gender, count(*) AS n FROM people GROUP BY GROUPING SETS ((county, gender), (county), ())"), want)
	r := f.run(t, "SELECT county, gender, grouping(county, gender) AS g, count(*) AS n FROM people GROUP BY CUBE (county, gender) ORDER BY g, county, gender")
	if r.Status != Released {
		t.Fatalf("cube: %s %v", r.Status, r.Reasons)
	}
	levels := map[int64]int{}
	for _, row := range r.Rows {
		g, _ := row[2].(int64)
		levels[g]++
		if (g&2 != 0) != (row[0] == nil) || (g&1 != 0) != (row[1] == nil) {
			t.Errorf("cube row %v: grouping %d does not match its NULL keys", row, g)
		}
	}
	if levels[3] != 1 || levels[1] == 0 || levels[2] == 0 || levels[0] == 0 {
		t.Errorf("cube levels %v, want detail, both subtotals and one total", levels)
	}
	if r.Columns[2] != "g" || len(r.Columns) != 4 {
		t.Errorf("columns %v", r.Columns)
	}
}

// Every part is checked like a query of its own, before anything runs: a
// part the rules refuse refuses the whole, and so does a row-level part,
// whose rows would otherwise leave the domain.
func TestCompoundPartsAreCheckedAlone_R28_3_R4_2(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []struct{ q, code string }{
		{"SELECT id, income FROM people UNION ALL SELECT id, income FROM people", "compound_part"},
		{"SELECT county, count(*) AS n FROM people GROUP BY county UNION ALL SELECT name, 1 FROM people", "compound_part"},
		{"SELECT county, count(*) AS n FROM people GROUP BY county UNION ALL SELECT county, count(*) FROM people WHERE birth_date = DATE '1980-05-05' GROUP BY county", "date_grain"},
		{"SELECT county, count(*) AS n FROM people GROUP BY county UNION ALL SELECT county, max(name) FROM people GROUP BY county", ""},
		{"SELECT county, count(*) AS n FROM people GROUP BY county UNION ALL SELECT county FROM people GROUP BY county", "compound_width"},
		{"SELECT county, count(*) AS n FROM people GROUP BY county UNION ALL SELECT gender, count(*) FROM people GROUP BY gender ORDER BY sum(income)", "compound_order"},
		{"SELECT county, count(*) AS n FROM people GROUP BY county UNION BY NAME SELECT gender AS county, count(*) AS n FROM people GROUP BY gender", "set_operation"},
		{"SELECT county, gender, year(birth_date) AS y, income // 10000 AS b, id_kind, count(*) FROM (SELECT *, 'x' AS id_kind FROM people) GROUP BY CUBE (county, gender, year(birth_date), income // 10000, id_kind)", "compound_parts"},
		{"SELECT county, count(*) AS n FROM people WHERE county IN (SELECT county FROM people UNION SELECT gender FROM people) GROUP BY county", ""},
	}
	for _, c := range cases {
		r := f.run(t, c.q)
		if r.Status != Rejected || (c.code != "" && !hasReason(r, c.code)) {
			t.Errorf("%q: %s %v, want refused (%s)", c.q, r.Status, r.Reasons, c.code)
		}
	}
	// A part with a condition that singles one person out gets exactly
	// the answer it gets alone (low-effect detection, the low-count filter).
	byCounty := rowsOf(t, f, "SELECT county, count(*) AS n FROM people GROUP BY county")
	alone := rowsOf(t, f, "SELECT county, count(*) AS n FROM people WHERE income >= 500000 GROUP BY county")
	sameRows(t, "a singling-out part", rowsOf(t, f, "SELECT county, count(*) AS n FROM people GROUP BY county UNION ALL "+
		"SELECT county, count(*) FROM people WHERE income >= 500000 GROUP BY county"), append(append([]string{}, byCounty...), alone...))
}

// Differential-privacy workspaces spend budget per release; a compound
// statement is asked as its parts instead.
func TestCompoundRefusedInDPMode_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.ws.Epsilon = 1
	r := f.run(t, "SELECT county, count(*) AS n FROM people GROUP BY county UNION ALL SELECT '合计', count(*) FROM people")
	if r.Status != Rejected || !hasReason(r, "compound_part") {
		t.Errorf("DP mode: %s %v, want refused", r.Status, r.Reasons)
	}
}

// The parts of a combined query share one statement's condition budget
// (red team, round six: 8 parts of 16 FILTERs each were 128 conditions).
func TestCompoundPartsShareTheConditionBudget_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	part := func(lo int) string {
		var figs []string
		for x := lo; x < lo+9; x++ {
			figs = append(figs, fmt.Sprintf("count(*) FILTER (WHERE income >= %d)", x*10000))
		}
		return "SELECT gender, " + strings.Join(figs, ", ") + " FROM people GROUP BY gender"
	}
	if r := f.run(t, part(1)); r.Status != Released {
		t.Fatalf("one part: %s %v", r.Status, r.Reasons)
	}
	r := f.run(t, part(1)+" UNION ALL "+part(10))
	if r.Status != Rejected || !hasReason(r, "conditions") {
		t.Errorf("two parts of 9 conditions: %s %v, want refused", r.Status, r.Reasons)
	}
	r = f.run(t, "SELECT county, count(*) FILTER (WHERE income >= 10000) * 1.0 / (SELECT "+
		"count(*) FILTER (WHERE income >= 20000 AND income < 30000 AND gender = '女' AND county <> 'x' AND income <> 25000 AND income <> 26000 AND income <> 27000 AND income <> 28000 AND income <> 29000 AND income <> 21000 AND income <> 22000 AND income <> 23000 AND income <> 24000 AND income <> 21500 AND income <> 22500 AND income <> 23500) FROM people) AS x FROM people GROUP BY county")
	if r.Status != Rejected || !hasReason(r, "conditions") {
		t.Errorf("scalar subquery over the budget together: %s %v, want refused", r.Status, r.Reasons)
	}
}
