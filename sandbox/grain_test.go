package sandbox

import (
	"fmt"
	"math"
	"strings"
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
		// An exact age splits every birth year at the reference date's day:
		// with year(birth_date) it tells whether a person was born before
		// today's day of the year (red team, round five: one query per bit).
		"SELECT county, count(*) AS n FROM people WHERE date_sub('year', birth_date, current_date) >= 60 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE birth_date <= DATE '1965-06-30' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE age_band(birth_date, 10) = '60-69' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE age_band(birth_date, 1) <> concat(2025 - year(birth_date), '-', 2025 - year(birth_date)) GROUP BY county",
		"SELECT county, count(*) FILTER (WHERE concat(county, '|', age_band(birth_date, 1)) = '640502|45-45') AS n FROM people GROUP BY county",
		"SELECT t.county, count(*) AS n FROM (SELECT county, age_band(birth_date, 1) AS a FROM people) t WHERE t.a = '45-45' GROUP BY t.county",
		// ISO years begin on a Monday: they split a calendar year at a day.
		"SELECT county, count(*) AS n FROM people WHERE date_part('isoyear', birth_date) = year(birth_date) + 1 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE date_trunc('isoyear', birth_date) >= DATE '1980-01-01' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE strftime(birth_date, '%G') = '1980' GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE strftime(birth_date, '%Y-%m') = '1980-05' GROUP BY county",
		// A birth date joined to another date is a condition on it by the day.
		"SELECT p.county, count(*) AS n FROM people p JOIN people q ON q.birth_date = p.birth_date GROUP BY p.county",
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
		// "60 or older" in calendar years (year boundaries crossed).
		"SELECT county, count(*) AS n FROM people WHERE date_diff('year', birth_date, current_date) >= 60 GROUP BY county",
		// Ages and age bands as group keys: each group is held to K.
		"SELECT age_band(birth_date, 10) AS a, count(*) AS n FROM people GROUP BY 1",
		"SELECT date_sub('year', birth_date, current_date) // 10 * 10 AS a, count(*) AS n FROM people GROUP BY 1",
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

// A condition true for nobody, joined to a conjunction that singles out the
// victim and to the secret, is decisive for the victim exactly when the
// secret holds; low-effect detection then lets the victim in. The release
// memory answers a set one person away from an earlier release like that
// release, so the padded query says nothing about the secret (rule 5).
func TestSwitchedOnConditionLearnsNothing_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Six victims born in 1980 or later and six before: a constant guess
	// gets six right.
	var vs []victim
	young, old := 0, 0
	for _, v := range victims(f, 300, false) {
		if y := v.p.Birth.Year() >= 1980; y && young < 6 {
			young++
			vs = append(vs, v)
		} else if !y && old < 6 {
			old++
			vs = append(vs, v)
		}
	}
	right, tried := 0, 0
	for _, v := range vs {
		other := counties[0]
		if other == v.p.County {
			other = counties[1]
		}
		all := f.run(t, fmt.Sprintf("SELECT count(*) AS n, sum(p.income) AS s FROM people p WHERE p.county = '%s'", other))
		padded := f.run(t, fmt.Sprintf("SELECT count(*) AS n, sum(p.income) AS s FROM people p WHERE p.county = '%s' OR (%s AND p.birth_date >= DATE '1980-01-01' AND p.income < 0)", other, v.pred))
		if all.Status != Released || padded.Status != Released {
			t.Fatalf("baseline not released: %s %v / %s %v", all.Status, all.Reasons, padded.Status, padded.Reasons)
		}
		a, _ := toFloat(all.Rows[0][0])
		b, _ := toFloat(padded.Rows[0][0])
		tried++
		if (b-a >= 0.5) == (v.p.Birth.Year() >= 1980) {
			right++
		}
	}
	t.Logf("%d of %d guessed right (a constant guess gets %d)", right, tried, tried/2)
	if tried < 12 || right >= tried-2 {
		t.Errorf("LEAK the switched-on condition told whether %d of %d victims were born in 1980 or later", right, tried)
	}
}

// Red team, round five: the switched-on condition with fresh decoy blocks.
// Each sample is three figures in one query — F1 = A ∪ trick, F2 = B,
// F3 = A ∪ B — where the trick is the victim's description, the secret and a
// condition true for nobody; F1 + F2 − F3 is the secret plus noise, and
// blocks never asked before keep the release memory out of it. A branch
// under an OR that could only ever hold the victim is now gone whatever the
// victim's values (rule 5a), so the average says nothing.
func TestSwitchedOnConditionWithDecoysLearnsNothing_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var vs []victim
	hi, lo := 0, 0
	for _, v := range victims(f, 400, false) {
		if up := v.p.Income >= float64(band(v.p)+5000); up && hi < 6 {
			hi++
			vs = append(vs, v)
		} else if !up && lo < 6 {
			lo++
			vs = append(vs, v)
		}
	}
	if len(vs) < 12 {
		t.Fatalf("only %d victims", len(vs))
	}
	// Blocks are (county, birth year) cells, each used once, so that no
	// figure is near an earlier release.
	cell := func(n int) string {
		return fmt.Sprintf("(p.county = '%s' AND year(p.birth_date) = %d)", counties[n%3], 1940+n/3)
	}
	sub := false
	block := func(n int) string {
		if sub { // pairs of cells, none released before as such
			return "(" + cell(n%192) + " OR " + cell((n%192+96)%192) + ")"
		}
		return cell(n)
	}
	// In one query as FILTERed counts, or with the trick in a subquery.
	estimate := func(desc string, round int) (float64, int) {
		var sum float64
		n := 0
		for s := 0; s < 4; s++ {
			a, b := block(round*8+2*s), block(round*8+2*s+1)
			r := f.run(t, fmt.Sprintf("SELECT count(*) FILTER (WHERE %s OR (%s)) AS f1, count(*) FILTER (WHERE %s) AS f2, count(*) FILTER (WHERE %s OR %s) AS f3 FROM people p",
				a, desc, b, a, b))
			if sub {
				r = f.run(t, fmt.Sprintf("SELECT count(*) FILTER (WHERE %s) AS f2, count(*) FILTER (WHERE %s OR %s) AS f3 FROM people p", b, a, b))
				r1 := f.run(t, fmt.Sprintf("SELECT count(*) AS f1 FROM (SELECT p.id FROM people p WHERE %s OR (%s)) t", a, desc))
				if r1.Status != Released || r.Status != Released || len(r1.Rows) != 1 || len(r.Rows) != 1 {
					continue
				}
				r.Rows = [][]any{{r1.Rows[0][0], r.Rows[0][0], r.Rows[0][1]}}
			}
			if r.Status != Released || len(r.Rows) != 1 {
				continue
			}
			f1, ok1 := toFloat(r.Rows[0][0])
			f2, ok2 := toFloat(r.Rows[0][1])
			f3, ok3 := toFloat(r.Rows[0][2])
			if !ok1 || !ok2 || !ok3 {
				continue
			}
			sum += f1 + f2 - f3
			n++
		}
		return sum / math.Max(1, float64(n)), n
	}
	for _, form := range []string{"filter", "subquery"} {
		sub = form == "subquery"
		tryForm(t, vs, estimate, form)
	}
}

func tryForm(t *testing.T, vs []victim, estimate func(string, int) (float64, int), form string) {
	right := 0
	for i, v := range vs {
		secret := fmt.Sprintf(" AND p.income >= %d AND p.income < 0", band(v.p)+5000)
		mv, n1 := estimate(v.pred+secret, 2*i)
		control := strings.Replace(v.pred, fmt.Sprintf("year(p.birth_date) = %d", v.p.Birth.Year()), "year(p.birth_date) = 1801", 1)
		mc, n2 := estimate(control+secret, 2*i+1)
		if n1 < 3 || n2 < 3 {
			t.Fatalf("baseline not released: %d and %d samples answered", n1, n2)
		}
		if (mv-mc >= 0.5) == (v.p.Income >= float64(band(v.p)+5000)) {
			right++
		}
	}
	t.Logf("%s: %d of %d guessed right (a constant guess gets %d)", form, right, len(vs), len(vs)/2)
	if right >= len(vs)-2 {
		t.Errorf("LEAK %s: the switched-on condition with decoys told the income half-band of %d of %d victims", form, right, len(vs))
	}
}
