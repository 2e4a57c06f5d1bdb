package sandbox

import (
	"math"
	"testing"
)

// Window functions over released groups (rule 10): shares of a total,
// ranks, running totals, moving averages and lag are arithmetic over the
// released figures of the groups HAVING kept, nothing else.
func TestWindowsOverReleasedGroups_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := f.run(t, "SELECT county, gender, count(*) AS n, sum(income) AS s FROM people GROUP BY county, gender ORDER BY county, gender")
	if base.Status != Released || len(base.Rows) < 4 {
		t.Fatalf("base: %s %v", base.Status, base.Reasons)
	}
	r := f.run(t, "SELECT county, gender, count(*) AS n, "+
		"count(*) * 100.0 / sum(count(*)) OVER () AS pct, "+
		"count(*) * 1.0 / sum(count(*)) OVER (PARTITION BY county) AS share_in_county, "+
		"rank() OVER (ORDER BY count(*) DESC) AS rk, "+
		"row_number() OVER (PARTITION BY county ORDER BY gender) AS rn, "+
		"sum(count(*)) OVER (ORDER BY county, gender) AS running, "+
		"avg(sum(income)) OVER (ORDER BY county, gender ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS moving, "+
		"lag(count(*), 1, 0) OVER (ORDER BY county, gender) AS prev "+
		"FROM people GROUP BY county, gender ORDER BY county, gender")
	if r.Status != Released {
		t.Fatalf("windows: %s %v", r.Status, r.Reasons)
	}
	if len(r.Rows) != len(base.Rows) {
		t.Fatalf("%d rows, base %d", len(r.Rows), len(base.Rows))
	}
	num := func(v any) float64 { x, _ := toFloat(v); return x }
	var total float64
	for _, row := range base.Rows {
		total += num(row[2])
	}
	perCounty := map[any]float64{}
	for _, row := range base.Rows {
		perCounty[row[0]] += num(row[2])
	}
	var running float64
	for i, row := range r.Rows {
		n := num(base.Rows[i][2])
		if num(row[2]) != n {
			t.Fatalf("row %d: count %v, base %v (the same figure)", i, row[2], n)
		}
		if want := n * 100 / total; math.Abs(num(row[3])-want) > 1e-9 {
			t.Errorf("row %d pct %v, want %v", i, row[3], want)
		}
		if want := n / perCounty[row[0]]; math.Abs(num(row[4])-want) > 1e-9 {
			t.Errorf("row %d share in county %v, want %v", i, row[4], want)
		}
		higher := 0
		for _, o := range base.Rows {
			if num(o[2]) > n {
				higher++
			}
		}
		if num(row[5]) != float64(higher+1) {
			t.Errorf("row %d rank %v, want %d", i, row[5], higher+1)
		}
		running += n
		if num(row[7]) != running {
			t.Errorf("row %d running %v, want %v", i, row[7], running)
		}
		want := num(base.Rows[i][3])
		if i > 0 {
			want = (want + num(base.Rows[i-1][3])) / 2
		}
		if math.Abs(num(row[8])-want) > 1e-6*math.Abs(want) {
			t.Errorf("row %d moving avg %v, want %v", i, row[8], want)
		}
		prev := 0.0
		if i > 0 {
			prev = num(base.Rows[i-1][2])
		}
		if num(row[9]) != prev {
			t.Errorf("row %d lag %v, want %v", i, row[9], prev)
		}
	}
	// The same over figures read further (a CTE of released groups).
	cte := f.run(t, "WITH a AS (SELECT county, count(*) AS n FROM people GROUP BY county) SELECT county, n * 100.0 / sum(n) OVER () AS pct FROM a")
	if cte.Status != Released {
		t.Fatalf("window over a CTE: %s %v", cte.Status, cte.Reasons)
	}
	var pct float64
	for _, row := range cte.Rows {
		pct += num(row[1])
	}
	if math.Abs(pct-100) > 1e-9 {
		t.Errorf("shares over a CTE add up to %v", pct)
	}
	// Top 2 per county by a window over released groups, with the rank in
	// ORDER BY of the statement.
	top := f.run(t, "SELECT county, gender, count(*) AS n FROM people GROUP BY county, gender ORDER BY dense_rank() OVER (PARTITION BY county ORDER BY count(*) DESC), county")
	if top.Status != Released {
		t.Errorf("window in ORDER BY: %s %v", top.Status, top.Reasons)
	}
}

// Windows over rows stay refused: in a row-level statement, in conditions,
// in group keys and inside aggregates they would compute over persons.
func TestWindowsOverRowsRefused_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, q := range []string{
		"SELECT county, row_number() OVER (ORDER BY income) AS r FROM people",
		"SELECT county, income - avg(income) OVER (PARTITION BY county) AS d FROM people",
		"SELECT county, count(*) AS n FROM people GROUP BY county HAVING rank() OVER (ORDER BY count(*)) = 1",
		"SELECT county, sum(rn) AS s FROM (SELECT county, row_number() OVER (ORDER BY income) AS rn FROM people) t GROUP BY county",
		"SELECT row_number() OVER (ORDER BY income) AS r, count(*) AS n FROM people GROUP BY r",
		"SELECT county, sum(sum(income)) OVER (ORDER BY county RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS x FROM people GROUP BY county",
		"SELECT county, ntile(2) OVER (ORDER BY count(*)) AS x FROM people GROUP BY county",
		"SELECT county, sum(sum(income) OVER ()) OVER () AS x FROM people GROUP BY county",
	} {
		if r := f.run(t, q); r.Status != Rejected {
			t.Errorf("%q: %s %v, want refused", q, r.Status, r.Reasons)
		}
	}
}
