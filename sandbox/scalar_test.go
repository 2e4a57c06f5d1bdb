package sandbox

import (
	"math"
	"testing"
)

// A scalar subquery in the select list, HAVING or ORDER BY of an
// aggregating query is a released figure: the same value as asking it
// alone, used as a constant over released figures (rule 10).
func TestScalarSubqueriesAreReleasedFigures_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	total := f.run(t, "SELECT count(*) AS n FROM people")
	byCounty := f.run(t, "SELECT county, count(*) AS n FROM people GROUP BY county ORDER BY county")
	if total.Status != Released || byCounty.Status != Released {
		t.Fatalf("%v %v", total.Reasons, byCounty.Reasons)
	}
	tot, _ := toFloat(total.Rows[0][0])
	r := f.run(t, "SELECT county, count(*) * 100.0 / (SELECT count(*) FROM people) AS pct FROM people GROUP BY county ORDER BY county")
	if r.Status != Released || len(r.Rows) != len(byCounty.Rows) {
		t.Fatalf("share: %s %v", r.Status, r.Reasons)
	}
	for i, row := range r.Rows {
		n, _ := toFloat(byCounty.Rows[i][1])
		if got, _ := toFloat(row[1]); math.Abs(got-n*100/tot) > 1e-9 {
			t.Errorf("%v: %v, want %v (the released figures)", row[0], got, n*100/tot)
		}
	}
	avg := f.run(t, "SELECT avg(income) AS a FROM people")
	a, _ := toFloat(avg.Rows[0][0])
	above := f.run(t, "SELECT county, avg(income) AS a FROM people GROUP BY county HAVING avg(income) > (SELECT avg(income) FROM people)")
	if above.Status != Released {
		t.Fatalf("HAVING: %s %v", above.Status, above.Reasons)
	}
	for _, row := range above.Rows {
		if v, _ := toFloat(row[1]); v <= a {
			t.Errorf("HAVING kept %v below the released average %v", row, a)
		}
	}
	for _, q := range []string{
		// A threshold applied to rows, not to released figures.
		"SELECT county, count(*) AS n FROM people WHERE income > (SELECT avg(income) FROM people) GROUP BY county",
		"SELECT county, sum(income - (SELECT avg(income) FROM people)) AS d FROM people GROUP BY county",
		// Not one figure.
		"SELECT county, count(*) / (SELECT count(*) FROM people GROUP BY gender) AS x FROM people GROUP BY county",
		"SELECT county, (SELECT income FROM people) AS x, count(*) AS n FROM people GROUP BY county",
		"SELECT county, (SELECT count(*) FROM people WHERE birth_date = DATE '1980-05-05') AS x, count(*) AS n FROM people GROUP BY county",
		// A row-level outer statement.
		"SELECT id, income / (SELECT avg(income) FROM people) AS r FROM people",
	} {
		if r := f.run(t, q); r.Status != Rejected {
			t.Errorf("%q: %s %v, want refused", q, r.Status, r.Reasons)
		}
	}
}
