package sandbox

import (
	"fmt"
	"testing"
)

// Analysts' spellings of dates, ages and sums are read as the forms the
// rules know, and checked like them (docs/disclosure.md, "Standard
// spellings"); the fixture's reference date is 2025-06-30.
func TestAnalystSpellings_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	same := [][2]string{
		// Interval arithmetic on constant dates.
		{"SELECT county, count(*) AS n FROM people WHERE birth_date >= DATE '2025-01-01' - INTERVAL 45 YEAR GROUP BY county ORDER BY county",
			"SELECT county, count(*) AS n FROM people WHERE birth_date >= DATE '1980-01-01' GROUP BY county ORDER BY county"},
		{"SELECT county, count(*) AS n FROM people WHERE birth_date < DATE '1979-02-28' + INTERVAL '10 months' + INTERVAL 4 DAY GROUP BY county ORDER BY county",
			"SELECT county, count(*) AS n FROM people WHERE birth_date < DATE '1980-01-01' GROUP BY county ORDER BY county"},
		// Completed years of age(d) are date_sub('year', d, current_date).
		{"SELECT extract(year FROM age(birth_date)) // 10 * 10 AS decade, count(*) AS n FROM people GROUP BY 1 ORDER BY 1",
			"SELECT date_sub('year', birth_date, current_date) // 10 * 10 AS decade, count(*) AS n FROM people GROUP BY 1 ORDER BY 1"},
		{"SELECT county, avg(date_part('year', age(birth_date))) AS a FROM people GROUP BY county ORDER BY county",
			"SELECT county, avg(date_sub('year', birth_date, current_date)) AS a FROM people GROUP BY county ORDER BY county"},
		// Custom age groups on exact age: a recoding of age group keys.
		{"SELECT CASE WHEN extract(year FROM age(birth_date)) < 18 THEN '0-17' WHEN extract(year FROM age(birth_date)) < 60 THEN '18-59' ELSE '60+' END AS g, count(*) AS n FROM people GROUP BY 1 ORDER BY 1",
			"SELECT CASE WHEN date_sub('year', birth_date, DATE '2025-06-30') < 18 THEN '0-17' WHEN date_sub('year', birth_date, DATE '2025-06-30') < 60 THEN '18-59' ELSE '60+' END AS g, count(*) AS n FROM people GROUP BY 1 ORDER BY 1"},
		// sum(coalesce(x, 0)) is sum(x).
		{"SELECT county, sum(coalesce(income, 0)) AS s FROM people GROUP BY county ORDER BY county",
			"SELECT county, sum(income) AS s FROM people GROUP BY county ORDER BY county"},
		// replace with constants reshapes a text key.
		{"SELECT replace(county, '64', 'X') AS c, count(*) AS n FROM people GROUP BY 1 ORDER BY 1", ""},
		// Whether an identifier is recorded is an attribute.
		{"SELECT county, count(*) AS n FROM people WHERE name IS NOT NULL GROUP BY county ORDER BY county",
			"SELECT county, count(name) AS n FROM people GROUP BY county ORDER BY county"},
		// A CASE returning the category it tested is a recoding with labels.
		{"SELECT CASE WHEN county IN ('640502', '640521') THEN county ELSE '其他' END AS c, count(*) AS n FROM people GROUP BY 1 ORDER BY 1",
			"SELECT CASE WHEN county = '640502' THEN '640502' WHEN county = '640521' THEN '640521' ELSE '其他' END AS c, count(*) AS n FROM people GROUP BY 1 ORDER BY 1"},
		// PostgreSQL's to_char of a date is strftime.
		{"SELECT to_char(birth_date, 'YYYY') AS y, count(*) AS n FROM people GROUP BY 1 ORDER BY 1",
			"SELECT strftime(birth_date, '%Y') AS y, count(*) AS n FROM people GROUP BY 1 ORDER BY 1"},
		// JOIN … USING is JOIN … ON.
		{"SELECT p.county, count(*) AS n, sum(s.amount) AS spend FROM settlements s JOIN people p USING (id) GROUP BY p.county ORDER BY 1",
			"SELECT p.county, count(*) AS n, sum(s.amount) AS spend FROM settlements s JOIN people p ON s.id = p.id GROUP BY p.county ORDER BY 1"},
		{"SELECT county, count(DISTINCT id) AS persons FROM settlements JOIN people USING (id) GROUP BY county ORDER BY 1",
			"SELECT county, count(DISTINCT settlements.id) AS persons FROM settlements JOIN people ON settlements.id = people.id GROUP BY county ORDER BY 1"},
		// Quantiles at several fractions, as one list.
		{"SELECT county, quantile_cont(income, [0.25, 0.5, 0.75]) AS q FROM people GROUP BY county ORDER BY county",
			"SELECT county, list_value(quantile_cont(income, 0.25), quantile_cont(income, 0.5), quantile_cont(income, 0.75)) AS q FROM people GROUP BY county ORDER BY county"},
		// QUALIFY over released groups: the top gender per county.
		{"SELECT county, gender, count(*) AS n FROM people GROUP BY county, gender QUALIFY row_number() OVER (PARTITION BY county ORDER BY count(*) DESC) = 1 ORDER BY county", ""},
	}
	for _, c := range same {
		a := f.run(t, c[0])
		if a.Status != Released {
			t.Errorf("%q: %s %v, want released", c[0], a.Status, a.Reasons)
			continue
		}
		if c[1] == "" {
			continue
		}
		b := f.run(t, c[1])
		if fmt.Sprint(a.Rows) != fmt.Sprint(b.Rows) {
			t.Errorf("%q\n gave %v\n%q\n gave %v", c[0], a.Rows, c[1], b.Rows)
		}
	}
	// The spellings change nothing about what is refused: an exact age
	// still splits birth dates by the day in a condition (rule 3b), and an
	// identifier's value is still not testable.
	for _, q := range []string{
		"SELECT county, count(*) AS n FROM people WHERE birth_date > current_date - INTERVAL 6 YEAR GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE age(birth_date) >= INTERVAL '65 years' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE extract(year FROM age(birth_date)) >= 65 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date = DATE '1980-05-01' + INTERVAL 4 DAY GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE name IS NOT NULL AND name <> 'x' GROUP BY county",
		"SELECT to_char(birth_date, 'YYYY-MM-DD') AS d, count(*) AS n FROM people GROUP BY 1",
		"SELECT CASE WHEN birth_date < DATE '1980-05-05' THEN 'a' ELSE 'b' END AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT county, id, count(*) AS n FROM people GROUP BY county, id QUALIFY count(*) > 0",
		"SELECT county, income FROM people QUALIFY row_number() OVER (ORDER BY income DESC) = 1",
	} {
		if r := f.run(t, q); r.Status != Rejected {
			t.Errorf("%q: %s %v, want refused", q, r.Status, r.Reasons)
		}
	}
	// The age() refusal says how to write it.
	r := f.run(t, "SELECT county, count(*) AS n FROM people WHERE age(birth_date) > INTERVAL '65 years' GROUP BY county")
	if r.Status != Rejected || !hasReason(r, "function") || hasReason(r, "identifier_filter") {
		t.Errorf("age() with >: %s %v", r.Status, r.Reasons)
	}
}
