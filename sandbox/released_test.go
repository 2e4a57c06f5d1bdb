package sandbox

import (
	"fmt"
	"math"
	"testing"
)

// A statement over aggregating subqueries grouped by ordinary keys reads
// released tables: each subquery is released alone, and the statement
// computes over the released rows only (rule 10).
func TestStatementsOverReleasedTables_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pop := f.run(t, "SELECT county, count(*) AS n FROM people GROUP BY county ORDER BY county")
	rich := f.run(t, "SELECT county, count(*) AS n FROM people WHERE gender = '女' GROUP BY county ORDER BY county")
	if pop.Status != Released || rich.Status != Released {
		t.Fatalf("%v %v", pop.Reasons, rich.Reasons)
	}
	r := f.run(t, "WITH a AS (SELECT county, count(*) AS n FROM people GROUP BY county), "+
		"b AS (SELECT county, count(*) AS n FROM people WHERE gender = '女' GROUP BY county) "+
		"SELECT a.county, b.n * 1000.0 / a.n AS per_1000 FROM a JOIN b ON a.county = b.county ORDER BY a.county")
	if r.Status != Released {
		t.Fatalf("join of released tables: %s %v", r.Status, r.Reasons)
	}
	want := map[string]float64{}
	for _, row := range pop.Rows {
		want[fmt.Sprint(row[0])] = 0
	}
	rn := map[string]float64{}
	for _, row := range rich.Rows {
		v, _ := toFloat(row[1])
		rn[fmt.Sprint(row[0])] = v
	}
	got := 0
	for _, row := range pop.Rows {
		k := fmt.Sprint(row[0])
		n, _ := toFloat(row[1])
		if b, ok := rn[k]; ok {
			want[k] = b * 1000 / n
		} else {
			delete(want, k)
		}
	}
	for _, row := range r.Rows {
		v, _ := toFloat(row[1])
		if w, ok := want[fmt.Sprint(row[0])]; !ok || math.Abs(v-w) > 1e-9 {
			t.Errorf("%v: %v, want %v from the released figures", row[0], v, w)
		}
		got++
	}
	if got != len(want) || got == 0 {
		t.Errorf("%d rows, want %d", got, len(want))
	}
	// A released table with no rows still has its columns' types.
	empty := f.run(t, "SELECT a.county, b.n * 1.0 / a.n AS share FROM (SELECT county, count(*) AS n FROM people GROUP BY county) a "+
		"LEFT JOIN (SELECT county, count(*) AS n FROM people WHERE income >= 100000000 GROUP BY county) b ON a.county = b.county")
	if empty.Status != Released || len(empty.Rows) != len(pop.Rows) {
		t.Errorf("left join to an empty released table: %s %v %v", empty.Status, empty.Reasons, empty.Rows)
	}
	// Per-person subqueries keep the ordinary path; row-level subqueries,
	// base tables beside released ones, and files stay refused.
	for _, q := range []string{
		"SELECT a.county, a.n, b.id FROM (SELECT county, count(*) AS n FROM people GROUP BY county) a JOIN (SELECT id, county FROM people) b ON a.county = b.county",
		"SELECT a.county, a.n, p.income FROM (SELECT county, count(*) AS n FROM people GROUP BY county) a JOIN people p ON a.county = p.county",
		"SELECT a.county, a.n FROM (SELECT county, count(*) AS n FROM people GROUP BY county) a JOIN (SELECT county, count(*) AS n FROM people WHERE birth_date = DATE '1980-05-05' GROUP BY county) b ON a.county = b.county",
		"SELECT a.county, (SELECT count(*) FROM read_csv('/etc/passwd')) AS x FROM (SELECT county, count(*) AS n FROM people GROUP BY county) a JOIN (SELECT county, count(*) AS n FROM people GROUP BY county) b ON a.county = b.county",
		"SELECT a.county, b.n FROM (SELECT county, count(*) AS n FROM people GROUP BY county) a JOIN (SELECT county, count(*) AS n FROM people GROUP BY county) b ON a.county = b.county WHERE a.county IN (SELECT county FROM people)",
	} {
		if r := f.run(t, q); r.Status != Rejected {
			t.Errorf("%q: %s %v, want refused", q, r.Status, r.Reasons)
		}
	}
}
