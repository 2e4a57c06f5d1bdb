package sandbox

import (
	"fmt"
	"testing"
)

func hasReason(r *Result, code string) bool {
	for _, x := range r.Reasons {
		if x.Code == code {
			return true
		}
	}
	return false
}

// rareBirth finds a birth date shared by 1..3 men born before 1980 and by
// nobody else, so adding or removing it changes a count by fewer than K.
func rareBirth(f *fixture) string {
	cnt := map[string]int{}
	for _, p := range f.people {
		if p.Gender == "女" {
			cnt[p.Birth.Format("2006-01-02")] += 100
		}
		if p.Birth.Year() < 1980 {
			cnt[p.Birth.Format("2006-01-02")]++
		}
	}
	for d, n := range cnt {
		if n >= 1 && n <= 3 {
			return d
		}
	}
	return ""
}

func TestDifferencing_R28_3(t *testing.T) {
	variants := []struct{ first, second string }{
		{"SELECT count(*) FROM people WHERE birth_date < '1980-01-01'",
			"SELECT count(*) FROM people WHERE birth_date < '1980-01-01' AND birth_date <> '%s'"},
		{"SELECT county, count(*) AS n FROM people WHERE birth_date < '1980-01-01' GROUP BY county",
			"SELECT county, count(*) AS n FROM people WHERE birth_date < '1980-01-01' AND NOT (birth_date = '%s') GROUP BY county"},
		{"SELECT gender, avg(income) FROM people WHERE birth_date < '1980-01-01' GROUP BY gender",
			"SELECT gender, avg(income) FROM people WHERE birth_date < '1980-01-01' AND birth_date NOT IN ('%s') GROUP BY gender"},
	}
	for i, v := range variants {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			f := newFixture(t)
			d := rareBirth(f)
			r1 := f.run(t, v.first)
			if r1.Status != Released || len(r1.Rows) == 0 {
				t.Fatalf("first: %s %v", r1.Status, r1.Reasons)
			}
			r2 := f.run(t, fmt.Sprintf(v.second, d))
			if !hasReason(r2, "differencing") {
				t.Fatalf("second released %v with reasons %v", r2.Rows, r2.Reasons)
			}
			// Only groups that really differ are hidden; the rest stay equal.
			if len(r2.Rows) >= len(r1.Rows) {
				t.Errorf("no row withheld: %v vs %v", r2.Rows, r1.Rows)
			}
		})
	}
	// Filtering on an identifier is refused outright.
	f := newFixture(t)
	expectStatus(t, f, Rejected, "SELECT count(*) FROM people WHERE birth_date < '1980-01-01' AND id <> '"+tycoonID+"'")
}

func TestTrackers_R28_3(t *testing.T) {
	for i, pad := range []string{
		"gender = '女' OR birth_date = '%s'",
		"(gender = '女' OR birth_date = '%s') AND income >= 0",
		"NOT (gender <> '女' AND birth_date <> '%s')",
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			f := newFixture(t)
			d := rareBirth(f)
			r1 := f.run(t, "SELECT count(*) AS n FROM people WHERE gender = '女'")
			if r1.Status != Released || len(r1.Rows) != 1 {
				t.Fatalf("tracker base: %s %v", r1.Status, r1.Reasons)
			}
			r2 := f.run(t, "SELECT count(*) AS n FROM people WHERE "+fmt.Sprintf(pad, d))
			if len(r2.Rows) != 0 || !hasReason(r2, "differencing") {
				t.Fatalf("padded query released %v (%v)", r2.Rows, r2.Reasons)
			}
		})
	}
}

func TestDominanceAndOutliers_R28_3(t *testing.T) {
	f := newFixture(t)
	for _, q := range []string{
		"SELECT county, sum(income) AS s FROM people GROUP BY county",
		"SELECT county, avg(income) AS s FROM people GROUP BY county",
		"SELECT county, sum(income) FILTER (WHERE gender = '男') AS s FROM people GROUP BY county",
	} {
		res := f.run(t, q)
		if res.Status != Released || len(res.Rows) != 3 {
			t.Fatalf("%q: %s %v", q, res.Status, res.Reasons)
		}
		for _, r := range res.Rows {
			if r[0] == "640522" && r[1] != nil {
				t.Errorf("%q: dominated cell released: %v", q, r[1])
			}
			if r[0] != "640522" && r[1] == nil {
				t.Errorf("%q: undominated cell %v suppressed", q, r[0])
			}
		}
		if !hasReason(res, "dominance") {
			t.Errorf("%q: reasons %v", q, res.Reasons)
		}
	}
	// Isolating the outlier with a filter leaves fewer than K persons.
	res := f.run(t, "SELECT county, count(*) AS n, sum(income) FROM people WHERE income > 1000000 GROUP BY county")
	if len(res.Rows) != 0 || res.Shape.Suppressed != 1 {
		t.Errorf("outlier isolated: %v %v", res.Rows, res.Reasons)
	}
	// A small FILTER count is hidden even in a large group (zero cells too).
	res = f.run(t, "SELECT county, count(*) FILTER (WHERE income > 1000000) AS rich FROM people GROUP BY county")
	for _, r := range res.Rows {
		if r[1] != nil {
			t.Errorf("small filtered count released: %v", r)
		}
	}
}
