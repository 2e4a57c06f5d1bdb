package sandbox

import (
	"fmt"
	"testing"
)

// Rule 3b (docs/disclosure.md): a birth date splits persons in conditions by
// whole years only, however the split is spelled and at whatever level of
// the query it sits; months and days stay usable as group keys.
func TestBirthDatesSplitOnlyByYear_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	refused := []string{
		"SELECT county, count(*) AS n FROM people WHERE birth_date = DATE '1980-05-05' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date BETWEEN DATE '1980-05-01' AND DATE '1980-05-31' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date > DATE '1980-01-01' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date < DATE '1980-08-01' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE month(birth_date) = 5 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE to_month(birth_date) = '1980-05' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE date_part('day', birth_date) = 5 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE extract(doy FROM birth_date) = 125 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE strftime(birth_date, '%Y%m%d') = '19800505' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE date_diff('day', DATE '1900-01-01', birth_date) = 29345 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE year(birth_date + INTERVAL 100 DAY) = 1980 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE CAST(birth_date AS VARCHAR) LIKE '1980-05%' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date IN (DATE '1980-05-05', DATE '1981-01-01') GROUP BY county",
		"SELECT county, count(*) FILTER (WHERE birth_date = DATE '1980-05-05') AS n FROM people GROUP BY county",
		"SELECT county, sum(CASE WHEN month(birth_date) = 5 THEN 1 ELSE 0 END) AS n FROM people GROUP BY county",
		"SELECT CASE WHEN birth_date < DATE '1980-05-05' THEN 'a' ELSE 'b' END AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT strftime(birth_date, '%Y%m%d') AS d, count(*) AS n FROM people GROUP BY 1",
		"SELECT day(birth_date) AS d, count(*) AS n FROM people GROUP BY 1",
		"SELECT t.county, count(*) AS n FROM (SELECT id, county, min(birth_date) AS bd FROM people GROUP BY id, county) t WHERE t.bd = DATE '1980-05-05' GROUP BY t.county",
		"SELECT t.county, count(*) AS n FROM (SELECT id, county FROM people GROUP BY id, county HAVING min(birth_date) = DATE '1980-05-05') t GROUP BY t.county",
		"SELECT t.county, count(*) AS n FROM (SELECT county, strftime(birth_date, '%Y%m%d') AS d FROM people) t WHERE t.d = '19800505' GROUP BY t.county",
		"SELECT t.county, count(*) AS n FROM (SELECT county, to_month(birth_date) AS m FROM people) t WHERE t.m = '1980-05' GROUP BY t.county",
		"SELECT county, strftime(birth_date, '%m%d') AS d FROM people",
		// Ages split on the reference date's day only (the fixture's is 2025-06-30).
		"SELECT county, count(*) AS n FROM people WHERE birth_date <= DATE '1965-06-29' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date = DATE '1965-06-30' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE date_sub('year', birth_date, DATE '2025-06-29') >= 60 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE date_sub('day', birth_date, current_date) >= 20000 GROUP BY county",
	}
	for _, q := range refused {
		r := f.run(t, q)
		if r.Status != Rejected || !hasReason(r, "date_grain") && !hasReason(r, "generalize") {
			t.Errorf("%q: %s %v, want refused for splitting by day or month", q, r.Status, r.Reasons)
		}
	}
	expectStatus(t, f, Released,
		"SELECT county, count(*) AS n FROM people WHERE year(birth_date) = 1980 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date >= DATE '1980-01-01' AND birth_date < DATE '1990-01-01' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date BETWEEN DATE '1980-01-01' AND DATE '1989-12-31' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date <= DATE '1979-12-31' OR birth_date > DATE '1999-12-31' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE extract(year FROM birth_date) >= 1980 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE date_diff('year', birth_date, DATE '2025-06-30') >= 18 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date IS NOT NULL GROUP BY county",
		// "60 or older" on the reference date: an age in whole years.
		"SELECT county, count(*) AS n FROM people WHERE date_sub('year', birth_date, current_date) >= 60 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date <= DATE '1965-06-30' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date < DATE '1965-07-01' GROUP BY county",
		"SELECT county, count(*) FILTER (WHERE to_year(birth_date) < 1970) AS old FROM people GROUP BY county",
		"SELECT to_month(birth_date) AS m, count(*) AS n FROM people WHERE year(birth_date) = 1980 GROUP BY 1",
		"SELECT year(birth_date) AS y, month(birth_date) AS m, count(*) AS n FROM people GROUP BY 1, 2",
		"SELECT to_year(t.bd) AS y, count(*) AS n FROM (SELECT id, min(birth_date) AS bd FROM people GROUP BY id) t WHERE t.bd >= DATE '1960-01-01' GROUP BY 1",
	)
	// A withheld result keeps the date as a date: a follow-up query over it
	// is held to the same rule.
	w := f.run(t, "SELECT county, birth_date FROM people WHERE year(birth_date) >= 1960")
	if w.Status != Withheld {
		t.Fatalf("row-level result: %s %v", w.Status, w.Reasons)
	}
	r := f.run(t, fmt.Sprintf("SELECT county, count(*) AS n FROM %s WHERE birth_date = DATE '1980-05-05' GROUP BY county", w.Shape.Table))
	if r.Status != Rejected || !hasReason(r, "date_grain") {
		t.Errorf("follow-up on a withheld result split by day: %s %v", r.Status, r.Reasons)
	}
	expectStatus(t, f, Released, fmt.Sprintf("SELECT county, count(*) AS n FROM %s WHERE year(birth_date) < 1990 GROUP BY county", w.Shape.Table))
}
