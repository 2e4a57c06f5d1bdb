package sandbox

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Engine-level attacks by class (docs/disclosure.md, "Threat model"). The
// HTTP-level suite in package web plays the same classes against the API.

// expectStatus runs each query and fails if it did not end with want or if
// any value reached the merchant without being released.
func expectStatus(t *testing.T, f *fixture, want Status, qs ...string) {
	t.Helper()
	for _, q := range qs {
		res, err := f.eng.Run(f.ctx, f.conn, f.ws, q)
		if err != nil {
			t.Errorf("%q: error %v", q, err)
			continue
		}
		if res.Status != want {
			t.Errorf("%q: status %s (%v), want %s", q, res.Status, res.Reasons, want)
		}
		if res.Status != Released && len(res.Rows) > 0 {
			t.Errorf("%q: rows leaked with status %s", q, res.Status)
		}
		if res.Status == Rejected && len(res.Reasons) == 0 {
			t.Errorf("%q: rejected without a reason", q)
		}
	}
}

func hasReason(r *Result, code string) bool {
	for _, x := range r.Reasons {
		if x.Code == code {
			return true
		}
	}
	return false
}

// victim is a resident singled out by county, gender, birth year and income
// band of 10,000: the only such person in the fixture. (A birth date splits
// persons by whole years only, rule 3b, and an income at round numbers only,
// rule 3c: this is the sharpest description left.)
type victim struct {
	p    person
	pred string // SQL true for the victim's row only (people table, alias p)
}

func victims(f *fixture, n int, withSettlements bool) []victim {
	key := func(p person) string { return fmt.Sprintf("%s|%s|%d|%d", p.County, p.Gender, p.Birth.Year(), band(p)) }
	count := map[string]int{}
	for _, p := range f.people {
		count[key(p)]++
	}
	has := map[string]bool{}
	for _, s := range f.settles {
		has[s.ID] = true
	}
	var out []victim
	for _, p := range f.people {
		if count[key(p)] != 1 || p.ID == tycoonID || (withSettlements && !has[p.ID]) {
			continue
		}
		out = append(out, victim{p, fmt.Sprintf("p.county = '%s' AND p.gender = '%s' AND year(p.birth_date) = %d AND p.income >= %d AND p.income < %d",
			p.County, p.Gender, p.Birth.Year(), band(p), band(p)+10000)})
		if len(out) == n {
			break
		}
	}
	return out
}

// band is the lower edge of a person's income band of 10,000.
func band(p person) int { return int(p.Income) / 10000 * 10000 }

// nobody is a predicate true for no row.
const nobody = "p.income = -1"

func same(a, b *Result) bool {
	return a.Status == b.Status && reflect.DeepEqual(a.Reasons, b.Reasons) && reflect.DeepEqual(a.Rows, b.Rows) &&
		reflect.DeepEqual(a.Columns, b.Columns)
}

func TestEngineEscapes_R4_2(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	expectStatus(t, f, Rejected,
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT count(*) FROM read_csv_auto('/etc/passwd')",
		"SELECT count(*) FROM read_parquet('s3://bucket/x.parquet')",
		"SELECT count(*) FROM glob('/etc/*')",
		"SELECT count(*) FROM '/etc/passwd'",
		"SELECT count(*) FROM 'https://example.com/x.csv'",
		"ATTACH '/tmp/x.db' AS x",
		"COPY src_people TO '/tmp/out.csv'",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET enable_external_access = true",
		"PRAGMA database_list",
		"SELECT count(*) FROM duckdb_settings()",
		"SELECT county, count(*) FROM people WHERE getenv('HOME') <> '' GROUP BY county",
		"SELECT current_setting('threads') AS s, count(*) FROM people GROUP BY s",
		"SELECT count(*) FROM people; SELECT count(*) FROM people",
		"SELECT count(*) FROM people /* hide */; DROP TABLE src_people",
		"SELECT count(*) FROM people -- x\n; CREATE TABLE y AS SELECT 1",
		"SELECT count(*) FROM src_people",
		"SELECT count(*) FROM information_schema.tables",
		"SELECT count(*) FROM main.src_people",
		"SELECT count(*) FROM sqlite_master",
		"CALL pragma_version()",
		"EXPORT DATABASE '/tmp/x'",
		"CREATE TABLE z AS SELECT 1",
		"WITH t AS (SELECT * FROM read_csv('/etc/passwd')) SELECT count(*) FROM t",
		"SELECT count(*) FROM (SELECT id FROM src_people) t",
		"SELECT count(*) FROM people WHERE county IN (SELECT county FROM people)",
	)
	// The lock itself holds even for SQL that bypasses the checker.
	if _, err := f.conn.ExecContext(f.ctx, "SET enable_external_access = true"); err == nil {
		t.Error("configuration was changeable after Lockdown")
	}
	if _, err := f.conn.QueryContext(f.ctx, "SELECT * FROM read_csv('/etc/passwd')"); err == nil {
		t.Error("file access after Lockdown")
	}
}

func TestIdentifiersOnlyJoinAndCount_R28_5(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	expectStatus(t, f, Rejected,
		"SELECT left(id, 6) AS k, count(*) FROM people GROUP BY k",
		"SELECT substr(id, 7, 8) AS k, count(*) FROM people GROUP BY k",
		"SELECT hash(id) AS k, count(*) FROM people GROUP BY k",
		"SELECT length(name) AS k, count(*) FROM people GROUP BY k",
		"SELECT concat(county, id) AS k, count(*) FROM people GROUP BY k",
		"SELECT CASE WHEN id LIKE '640502%' THEN 1 ELSE 0 END AS k, count(*) FROM people GROUP BY k",
		"SELECT id = '"+tycoonID+"' AS k, count(*) FROM people GROUP BY k",
		"SELECT count(CASE WHEN id LIKE '6405221950%' THEN 1 END) FROM people",
		"SELECT sum(length(id)) FROM people",
		"SELECT max(id) FROM people",
		"SELECT county, count(*) FROM people WHERE id = '"+tycoonID+"' GROUP BY county",
		"SELECT county, count(*) FROM people WHERE id IN ('"+tycoonID+"') GROUP BY county",
		"SELECT county, count(*) FROM people WHERE left(id, 10) = '6405221950' GROUP BY county",
		"SELECT county, count(*) FROM people WHERE name LIKE '钱%' GROUP BY county",
		"SELECT mask_partial(id, 6, 0) AS k, count(*) FROM people GROUP BY k",
		"SELECT county, count(*) FILTER (WHERE id = '"+tycoonID+"') FROM people GROUP BY county",
		"SELECT id, count(*) FROM people GROUP BY id",
		"SELECT count(*) FROM people GROUP BY name",
		"SELECT mask_hash(id) AS h, count(*) FROM people GROUP BY h",
		"SELECT p.name AS n, count(*) FROM settlements s JOIN people p ON s.id = p.id GROUP BY n",
		"SELECT count(*) FROM settlements s JOIN people p ON s.id = p.id AND p.id = '"+tycoonID+"'",
		"SELECT count(*) FROM settlements s JOIN people p ON left(s.id, 6) = p.county",
		"SELECT count(*) FROM settlements s JOIN people p ON s.id LIKE p.id",
		"SELECT v, count(*) FROM (SELECT id, name AS v FROM people) t GROUP BY v",
		"SELECT t.id, count(*) FROM (SELECT id, count(*) AS v FROM settlements GROUP BY id) t GROUP BY t.id",
	)
	// A pre-aggregation that is not per person is a released table
	// (released.go): the statement above it counts released groups, never
	// a group the low-count filter hid.
	counties := f.run(t, "SELECT county, count(*) AS n FROM people GROUP BY county")
	per := f.run(t, "SELECT n, count(*) AS c FROM (SELECT county, count(*) AS n FROM people GROUP BY county) t GROUP BY n")
	total := 0
	for _, row := range per.Rows {
		c, _ := toFloat(row[1])
		total += int(c)
	}
	if per.Status != Released || total != len(counties.Rows) {
		t.Errorf("counties per count: %s %v %v, want the %d released counties", per.Status, per.Reasons, per.Rows, len(counties.Rows))
	}
	// A row-level result may carry identifiers as themselves or masked (it
	// stays in the domain); any other function of one would be counted
	// outside to test it (red team, 2026-12-03).
	expectStatus(t, f, Rejected,
		"SELECT left(id, 6) AS k FROM people",
		"SELECT name || county AS x FROM people",
		"SELECT CASE WHEN id LIKE '64%' THEN name END AS x FROM people")
	expectStatus(t, f, Withheld,
		"SELECT p.name, s.amount FROM settlements s JOIN people p ON s.id = p.id",
		"SELECT mask_hash(id) AS h, county_of(id) AS c FROM people",
		"SELECT income FROM people ORDER BY income DESC",
	)
}

// Execution-outcome oracles: a predicate that makes evaluation fail for one
// person must not change anything the merchant sees (R28.3).
func TestOutcomeOracleGivesNothing_R28_3_R4_2(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	templates := []string{
		"SELECT p.county, count(*) AS n FROM people p WHERE (CASE WHEN %s THEN CAST('x' AS INTEGER) ELSE 1 END) = 1 GROUP BY p.county",
		"SELECT p.county, count(*) AS n FROM people p WHERE CASE WHEN %s THEN CAST(9223372036854775807 AS BIGINT) + CAST(p.income AS BIGINT) ELSE 0 END >= 0 GROUP BY p.county",
		"SELECT p.county, count(*) AS n FROM people p WHERE CASE WHEN %s THEN 1 // 0 ELSE 1 END = 1 GROUP BY p.county",
		"SELECT p.county, count(*) AS n FROM people p WHERE CASE WHEN %s THEN make_date(2020, 13, 40) ELSE DATE '2020-01-01' END IS NOT NULL GROUP BY p.county",
		"SELECT p.county, count(*) AS n FROM people p WHERE regexp_matches(p.gender, CASE WHEN %s THEN '(' ELSE '.' END) GROUP BY p.county",
		"SELECT CASE WHEN %s THEN CAST(p.gender AS INTEGER) ELSE 0 END AS x, count(*) FROM people p GROUP BY x",
		"SELECT p.county, sum(CAST(CASE WHEN p.income > 0 THEN p.income END AS DOUBLE)) AS s FROM people p WHERE NOT (%s) GROUP BY p.county",
		"SELECT p.county, CASE WHEN %s THEN CAST(p.name AS INTEGER) ELSE 0 END AS x FROM people p",
		"SELECT p.county FROM people p ORDER BY CASE WHEN %s THEN CAST('x' AS INTEGER) ELSE 0 END",
		"SELECT t.v, count(*) FROM (SELECT s.id, sum(CASE WHEN s.amount > 0 THEN 1 ELSE 0 END) AS v FROM settlements s GROUP BY s.id) t JOIN people p ON t.id = p.id WHERE (CASE WHEN %s THEN CAST('y' AS INTEGER) ELSE 0 END) = 0 GROUP BY t.v",
	}
	for _, v := range victims(f, 3, true) {
		for _, tpl := range templates {
			a, err := f.eng.Run(f.ctx, f.conn, f.ws, fmt.Sprintf(tpl, v.pred))
			if err != nil {
				t.Fatalf("%s: %v", tpl, err)
			}
			b, err := f.eng.Run(f.ctx, f.conn, f.ws, fmt.Sprintf(tpl, nobody))
			if err != nil {
				t.Fatalf("%s: %v", tpl, err)
			}
			if a.Status == Withheld && b.Status == Withheld {
				a.Reasons, b.Reasons = nil, nil // they name their own result tables
			}
			if !same(a, b) {
				t.Errorf("outcome depends on the victim's row:\n%s\n victim: %s %v %v\n nobody: %s %v %v",
					tpl, a.Status, a.Reasons, a.Rows, b.Status, b.Reasons, b.Rows)
			}
		}
	}
}

// Shape oracles: nothing about a withheld result's size, and reasons that
// never count what was hidden.
func TestShapeOracleGivesNothing_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := victims(f, 1, false)[0]
	a := f.run(t, "SELECT p.county, p.gender FROM people p WHERE "+v.pred)
	b := f.run(t, "SELECT p.county, p.gender FROM people p WHERE "+nobody)
	if a.Status != Withheld || b.Status != Withheld || a.Shape.Rows != 0 || b.Shape.Rows != 0 || a.Metering.RowsReturned != 0 {
		t.Errorf("withheld results show a size: %+v / %+v", a.Shape, b.Shape)
	}
	a = f.run(t, fmt.Sprintf("SELECT p.county, p.gender, count(*) FROM people p WHERE year(p.birth_date) = %d AND p.income >= %d AND p.income < %d GROUP BY p.county, p.gender", v.p.Birth.Year(), band(v.p), band(v.p)+10000))
	// The conditions as written describe one or two persons per group.
	// Conditions that take out fewer than about K people are of low effect
	// (rules 5, 5b), so a group can come back whole — the persons of that
	// year in the county and gender, at least K of them — but never as the
	// few the conditions describe, and the reasons count nothing hidden.
	if a.Status != Released || a.Shape.Suppressed != 0 || len(a.Reasons) != 1 || a.Reasons[0] != releaseNotice(f.ws.k()) {
		t.Errorf("%s %+v %v", a.Status, a.Shape, a.Reasons)
	}
	for _, row := range a.Rows {
		if n, _ := toFloat(row[2]); n < float64(f.ws.k()-3) {
			t.Errorf("a group of %v persons is visible: %v", n, row)
		}
	}
}

// Padding: a cross join with a large population must not make one
// person's figures look like a crowd's (R28.3).
func TestPaddingCountsEveryRelation_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tested := 0
	for _, v := range victims(f, 40, true) {
		if tested == 3 {
			break
		}
		// Low-effect detection lets in the persons one condition away from
		// the victim's description; when they are K or more, the answer is
		// about them all, which padding did not cause. Only a victim whose
		// neighbourhood is well below K tests the padding.
		if n := neighbourhood(f, v.p); n >= 8 {
			continue
		}
		tested++
		for _, q := range []string{
			"SELECT count(*), sum(s.amount) FROM settlements s JOIN people p ON s.id = p.id CROSS JOIN people pad WHERE " + v.pred,
			"SELECT pad.county, count(*), sum(s.amount) FROM settlements s JOIN people p ON s.id = p.id CROSS JOIN people pad WHERE " + v.pred + " GROUP BY pad.county",
			"SELECT count(*), avg(p.income) FROM people p JOIN people q ON p.county = q.county WHERE " + v.pred,
			"SELECT count(DISTINCT pad.id), sum(p.income) FROM people p CROSS JOIN people pad WHERE " + v.pred,
			"WITH w AS (SELECT p.income FROM people p WHERE " + v.pred + ") SELECT count(*), sum(w.income) FROM w CROSS JOIN settlements s",
		} {
			res := f.run(t, q)
			if res.Status == Released && len(res.Rows) > 0 {
				t.Errorf("padding released %v for %q", res.Rows, q)
			}
		}
	}
	if tested < 3 {
		t.Fatalf("only %d victims with a small neighbourhood", tested)
	}
}

// neighbourhood counts the persons low-effect detection may let in with p:
// for each condition of p's description (county, gender, birth year, the
// income band's two edges), those who fail that one only, where they are
// few enough for the condition to be of low effect (up to K + 1).
func neighbourhood(f *fixture, p person) int {
	by := make([]int, 5)
	n := 1
	for _, q := range f.people {
		miss, which := 0, 0
		for i, ok := range []bool{q.County == p.County, q.Gender == p.Gender, q.Birth.Year() == p.Birth.Year(),
			q.Income >= float64(band(p)), q.Income < float64(band(p)+10000)} {
			if !ok {
				miss++
				which = i
			}
		}
		if miss == 1 {
			by[which]++
		}
	}
	for _, c := range by {
		if c <= int(f.ws.K)+1 {
			n += c
		}
	}
	return n
}

// Differencing: conditions that single out a person have no effect, however
// they are spelled, and the noise does not change with the spelling (R28.3).
func TestDifferencingNeutralized_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, v := range victims(f, 4, true) {
		y, g, lo, hi := v.p.Birth.Year(), v.p.Gender, band(v.p), band(v.p)+10000
		base := fmt.Sprintf("SELECT count(*) AS n, sum(s.amount) AS total, count(DISTINCT s.id) AS persons FROM settlements s JOIN people p ON s.id = p.id WHERE p.county = '%s'", v.p.County)
		want := f.run(t, base)
		if want.Status != Released || len(want.Rows) != 1 {
			t.Fatalf("baseline not released: %v %v", want.Status, want.Reasons)
		}
		for _, extra := range []string{
			fmt.Sprintf(" AND NOT (year(p.birth_date) = %d AND p.income >= %d AND p.income < %d AND p.gender = '%s')", y, lo, hi, g),
			fmt.Sprintf(" AND (year(p.birth_date) <> %d OR p.income < %d OR p.income >= %d OR p.gender <> '%s')", y, lo, hi, g),
			fmt.Sprintf(" AND NOT (p.birth_date BETWEEN DATE '%d-01-01' AND DATE '%d-12-31' AND p.income BETWEEN %d AND %d AND p.gender IN ('%s'))", y, y, lo, hi-1, g),
			fmt.Sprintf(" AND NOT (extract(year FROM p.birth_date) = %d AND floor(p.income / 10000) * 10000 = %d AND p.gender = '%s') AND 1 = 1", y, lo, g),
			fmt.Sprintf(" AND NOT (to_year(p.birth_date) = %d AND p.income * 2 >= %d AND p.income * 2 < %d AND NOT p.gender <> '%s')", y, 2*lo, 2*hi, g),
		} {
			q := base + extra
			got := f.run(t, q)
			if got.Status != Released || !reflect.DeepEqual(got.Rows, want.Rows) {
				t.Errorf("all-but-one differs from all:\n%s\n got %v want %v (%v)", q, got.Rows, want.Rows, got.Reasons)
			}
		}
		// Cosmetics and repetition change nothing either.
		for _, q := range []string{
			base,
			strings.Replace(base, "SELECT ", "SELECT 1 AS one, 'x' AS label, ", 1),
			base + " ORDER BY 1 DESC",
			strings.Replace(base, " AS n,", " AS how_many,", 1),
		} {
			got := f.run(t, q)
			n := len(got.Rows[0])
			if !reflect.DeepEqual(got.Rows[0][n-3:], want.Rows[0]) {
				t.Errorf("rephrasing changed the figures: %q got %v want %v", q, got.Rows, want.Rows)
			}
		}
	}
}

// Extremes and order statistics never reveal one person's value: the
// tycoon's income stays hidden whatever the function is called.
func TestExtremesNeverOnePerson_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	incomes := map[float64]bool{}
	for _, p := range f.people {
		incomes[p.Income] = true
	}
	res := f.run(t, `SELECT county, max(income) AS a, min(income) AS b, quantile_disc(income, 1.0) AS c,
		quantile_cont(income, 0.999) AS d, quantile_disc(income, 0.0) AS e, median(income) AS m FROM people GROUP BY county`)
	if res.Status != Released || len(res.Rows) != 3 {
		t.Fatalf("%s %v", res.Status, res.Reasons)
	}
	for _, r := range res.Rows {
		for i, v := range r[1:] {
			x, _ := toFloat(v)
			if incomes[x] {
				t.Errorf("%v column %d released a person's exact income %v", r[0], i+1, x)
			}
			if x > 1e6 {
				t.Errorf("%v column %d reveals the tycoon: %v", r[0], i+1, x)
			}
		}
		med, _ := toFloat(r[6])
		if med < 45000 || med > 75000 {
			t.Errorf("median %v far from the truth (~60000)", med)
		}
	}
	// Top-N over released groups works and still hides the tycoon.
	res = f.run(t, "SELECT county, sum(income) AS s FROM people GROUP BY county ORDER BY s DESC LIMIT 1")
	if res.Status != Released || len(res.Rows) != 1 {
		t.Fatalf("%s %v", res.Status, res.Reasons)
	}
	if s, _ := toFloat(res.Rows[0][1]); s > 2e8 {
		t.Errorf("a sum carries the tycoon's income: %v", s)
	}
}

// Averaging: asking again, or asking the same thing differently, gives the
// same noise, so nothing averages away (R28.3).
func TestNoiseIsSticky_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spellings := []string{
		"SELECT count(*) FROM people WHERE county = '640502' AND gender = '女'",
		"SELECT count(*) AS x FROM people WHERE gender = '女' AND county = '640502'",
		"SELECT count(1) FROM people WHERE NOT (gender <> '女' OR county <> '640502')",
		"SELECT count(id) FROM people WHERE county IN ('640502') AND gender IN ('女', '女')",
		"SELECT count(*) FROM people WHERE county = '640502' AND gender = '女' AND income > -1",
		"SELECT count(*) FROM people WHERE county || '' = '640502' AND lower(gender) = '女'",
	}
	var first any
	truth := 0
	for _, p := range f.people {
		if p.County == "640502" && p.Gender == "女" {
			truth++
		}
	}
	for i, q := range spellings {
		for range 2 {
			res := f.run(t, q)
			if res.Status != Released || len(res.Rows) != 1 {
				t.Fatalf("%q: %s %v", q, res.Status, res.Reasons)
			}
			if i == 0 && first == nil {
				first = res.Rows[0][0]
			}
			if !reflect.DeepEqual(res.Rows[0][0], first) {
				t.Errorf("%q: %v, first spelling %v", q, res.Rows[0][0], first)
			}
		}
	}
	if n, _ := toFloat(first); math.Abs(n-float64(truth)) > 10 {
		t.Errorf("count %v far from truth %d", n, truth)
	}
	// A distinct count draws noise of its own (its value is not the sum of
	// the contributions), seeded by its units and exact value: every
	// spelling of the same distinct count gets the same answer.
	var firstDistinct any
	for _, q := range []string{
		"SELECT count(DISTINCT id) FROM people WHERE county = '640502' AND gender = '女'",
		"SELECT count(DISTINCT mask_hash(id)) FROM people WHERE gender = '女' AND county = '640502'",
		"SELECT approx_count_distinct(id) FROM people WHERE county IN ('640502') AND gender = '女'",
	} {
		res := f.run(t, q)
		if res.Status != Released || len(res.Rows) != 1 {
			t.Fatalf("%q: %s %v", q, res.Status, res.Reasons)
		}
		if firstDistinct == nil {
			firstDistinct = res.Rows[0][0]
		}
		if !reflect.DeepEqual(res.Rows[0][0], firstDistinct) {
			t.Errorf("%q: %v, first distinct spelling %v", q, res.Rows[0][0], firstDistinct)
		}
	}
}

// Differencing across queries (docs/disclosure.md, "Sticky noise"): ranges
// that each select many people, but whose sets differ by one victim, are
// answered like the first of them, so averaging many such pairs (range
// creep) learns nothing about the victim's attribute.
func TestRangeCreepAveraging_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	right, tried := 0, 0
	for _, v := range victims(f, 60, false) {
		if tried == 10 {
			break
		}
		lo := band(v.p)
		rich := v.p.Income >= float64(lo+5000) // the secret: the upper half of the band
		base := "SELECT count(*) AS n FROM people p WHERE p.county = '%s' AND p.gender = '%s' AND p.income >= %d AND p.income < %d AND p.income >= %d AND year(p.birth_date) BETWEEN %d AND %d"
		var sum float64
		pairs := 0
		y := v.p.Birth.Year()
		for i := 0; i < 12; i++ {
			from := y - 25 - 2*i
			with := f.run(t, fmt.Sprintf(base, v.p.County, v.p.Gender, lo, lo+10000, lo+5000, from, y))
			without := f.run(t, fmt.Sprintf(base, v.p.County, v.p.Gender, lo, lo+10000, lo+5000, from, y-1))
			if with.Status != Released || without.Status != Released || len(with.Rows) != 1 || len(without.Rows) != 1 {
				continue
			}
			a, _ := toFloat(with.Rows[0][0])
			b, _ := toFloat(without.Rows[0][0])
			sum += a - b
			pairs++
		}
		if pairs < 6 {
			continue // too few persons of the victim's kind for releases
		}
		tried++
		mean := sum / float64(pairs)
		if (mean >= 0.5) == rich {
			right++
		}
		t.Logf("victim with income %.0f (upper half of the band: %v): mean of %d differences %.2f", v.p.Income, rich, pairs, mean)
	}
	if tried < 8 {
		t.Fatalf("baseline not released: pairs of ranges answered for only %d victims", tried)
	}
	// Guessing the majority class gets about half right; the attack must
	// do no better than chance with some slack.
	if right >= tried-1 {
		t.Errorf("LEAK range creep: income half-band of %d of %d victims guessed by averaging pairs of ranges", right, tried)
	}
}

// Order statistics across queries: a median over a range with the victim
// and the same range without are answered alike, so whether the answers
// are equal says nothing about where the victim's income lies (R28.3).
func TestRangeCreepQuantiles_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	q := "SELECT median(p.income) AS m, quantile_cont(p.income, 0.9) AS q9 FROM people p WHERE p.county = '%s' AND p.gender = '%s' AND p.income >= %d AND p.income < %d AND year(p.birth_date) BETWEEN %d AND %d"
	for _, v := range victims(f, 8, false) {
		y, lo := v.p.Birth.Year(), band(v.p)
		with := f.run(t, fmt.Sprintf(q, v.p.County, v.p.Gender, lo, lo+10000, y-30, y))
		without := f.run(t, fmt.Sprintf(q, v.p.County, v.p.Gender, lo, lo+10000, y-30, y-1))
		if with.Status != Released || without.Status != Released {
			t.Fatalf("not released: %s %v / %s %v", with.Status, with.Reasons, without.Status, without.Reasons)
		}
		if !reflect.DeepEqual(with.Rows, without.Rows) {
			t.Errorf("LEAK median and 90th percentile with and without the victim with income %.0f differ: %v vs %v", v.p.Income, with.Rows, without.Rows)
		}
	}
}

// Invisible transformations of contributions cannot buy fresh noise
// (linear.go): scaled, shifted or padded spellings of one sum reach the
// same remembered figures, and parameterized functions inside aggregates
// are refused, so a victim's amount cannot be averaged out of pairs of
// ranges that differ by the victim's birthday (R28.3).
func TestTransformedSumsCannotAverage_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	num := func(r *Result) float64 {
		if r.Status != Released || len(r.Rows) != 1 {
			t.Fatalf("not released: %s %v", r.Status, r.Reasons)
		}
		v, _ := toFloat(r.Rows[0][0])
		return v
	}
	for _, v := range victims(f, 3, true) {
		y, b := v.p.Birth.Year(), band(v.p)
		// Birth years up to the victim's and up to the year before: the
		// two sets differ by the victim only.
		from := fmt.Sprintf("FROM settlements s JOIN people p ON s.id = p.id WHERE p.county = '%s' AND p.income >= %d AND p.income < %d", v.p.County, b, b+10000) +
			" AND year(p.birth_date) BETWEEN %d AND %d"
		lo, d, d1 := y-35, y, y-1
		base := num(f.run(t, fmt.Sprintf("SELECT sum(s.amount) "+from, lo, d)))
		for i, spelled := range []string{
			"sum(s.amount * 1.0001) / 1.0001",
			"sum(s.amount / 3) * 3",
			"sum(2 * s.amount - s.amount)",
			"sum(s.amount + 7) - 7 * count(s.amount)",
			"avg(s.amount * 1.5) * count(s.amount) / 1.5",
		} {
			for _, hi := range []int{d, d1} {
				got := num(f.run(t, fmt.Sprintf("SELECT "+spelled+" "+from, lo, hi)))
				want := base
				if spelled[:3] == "avg" {
					// avg·count is a ratio of noisy figures times a noisy
					// figure: the same figures, so the same value every time.
					want = num(f.run(t, fmt.Sprintf("SELECT avg(s.amount) * count(s.amount) "+from, lo, d)))
				}
				if math.Abs(got-want) > 1e-6*math.Abs(want)+0.01 {
					t.Errorf("LEAK victim born %d, spelling %d %q up to %d: %.4f, the plain sum was %.4f", d, i, spelled, hi, got, want)
				}
			}
		}
	}
	expectStatus(t, f, Rejected,
		"SELECT sum(round(s.amount, 2)) FROM settlements s",
		"SELECT sum(floor(s.amount / 500) * 500) FROM settlements s",
		"SELECT avg(s.amount + abs(s.amount - 1)) FROM settlements s",
		"SELECT median(s.amount * 2 + p.income * 3) FROM settlements s JOIN people p ON s.id = p.id")
}

// Found by attacking the demo (red team, 2026-12-03): a distinct count
// drew the same noise as the plain count over the same persons, so
// count(*) − count(DISTINCT gender) came out exact for every group, and
// every distinct count over one set of persons got the first one's
// remembered value. Now a distinct count's noise is seeded by its units
// and its exact value under its own label, and the memory keeps each
// argument apart.
func TestDistinctCountsDrawTheirOwnNoise_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	truth := map[string]int{}
	genders := map[string]map[string]bool{}
	for _, p := range f.people {
		truth[p.County]++
		if genders[p.County] == nil {
			genders[p.County] = map[string]bool{}
		}
		genders[p.County][p.Gender] = true
	}
	r := f.run(t, "SELECT county, count(*) - count(DISTINCT gender) AS d, count(DISTINCT id) AS ids, count(DISTINCT gender) AS g FROM people GROUP BY county")
	if r.Status != Released || len(r.Rows) < 3 {
		t.Fatalf("not released: %s %v", r.Status, r.Reasons)
	}
	exact := 0
	for _, row := range r.Rows {
		county, _ := row[0].(string)
		d, _ := toFloat(row[1])
		if int(d) == truth[county]-len(genders[county]) {
			exact++
		}
		ids, _ := toFloat(row[2])
		g, _ := toFloat(row[3])
		if ids == g {
			t.Errorf("county %s: count(DISTINCT id) and count(DISTINCT gender) both %v", county, ids)
		}
		if g > 5 {
			t.Errorf("county %s: %v distinct genders (the memory answered with another figure)", county, g)
		}
	}
	if exact == len(r.Rows) {
		t.Errorf("LEAK: count(*) − count(DISTINCT gender) exact in all %d counties", exact)
	}
}

// Found by the red team: an identifier tested inside a CASE in a subquery
// or row-level column (CASE WHEN substr(phone, 4, 1) IN (…) THEN gender
// END), then counted outside, read a phone number bit by bit. An
// identifier reaches a row expression only as itself or masked; per-person
// select lists follow the row rule with their aggregates as the values, and
// conditions inside a per-person subquery's aggregates (FILTER) are refused
// (they would escape low-effect detection); its WHERE is tested.
func TestIdentifiersNeverTestedInRowExpressions_R28_5(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	expectStatus(t, f, Rejected,
		"SELECT count(t.c) FROM (SELECT county, CASE WHEN substr(name, 1, 1) IN ('王', '李') THEN gender END AS c FROM people) t",
		"SELECT count(DISTINCT t.c) FROM (SELECT county, CASE WHEN substr(id, 18, 1) = 'X' THEN id END AS c FROM people) t",
		"SELECT CASE WHEN substr(id, 17, 1) IN ('1', '3') THEN gender END AS c FROM people",
		"SELECT count(t.c) FROM (SELECT county, substr(id, 17, 1) || gender AS c FROM people) t",
		"SELECT count(t.c) FROM (SELECT id, nullif(greatest(sum(amount) - 1000, 0), 0) AS c FROM settlements GROUP BY id) t",
		"SELECT count(t.c) FROM (SELECT id, CASE WHEN sum(amount) > 1000 THEN 1 END AS c FROM settlements GROUP BY id) t",
		"SELECT sum(t.c) FROM (SELECT id, least(sum(amount), 1000) AS c FROM settlements GROUP BY id) t",
		"SELECT sum(t.c) FROM (SELECT p.id, count(*) FILTER (WHERE p.county = '中宁县') AS c FROM people p JOIN settlements s ON s.id = p.id GROUP BY p.id) t")
	expectStatus(t, f, Released,
		"SELECT t.visits, count(*) FROM (SELECT id, count(*) AS visits FROM settlements GROUP BY id) t GROUP BY t.visits",
		"SELECT t.b, count(*) FROM (SELECT id, floor(sum(amount) / 500) * 500 AS b FROM settlements GROUP BY id) t GROUP BY t.b",
		"SELECT count(DISTINCT t.h) FROM (SELECT mask_hash(id) AS h, county FROM people) t",
		"SELECT avg(t.total) FROM (SELECT id, sum(amount) AS total FROM settlements WHERE amount > 200 GROUP BY id) t")
}

// Binning a value, with open bins at the ends, is a reshape like floor(x /
// w) * w (issue 10, item 5): PostgreSQL's width_bucket and a clamp of one
// value to constants are allowed as group keys; a clamp of two values, or
// width_bucket with bounds that are not constants, still tests values.
func TestBinsWithOpenEnds_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	expectStatus(t, f, Released,
		"SELECT width_bucket(amount, 0, 1000, 10) AS b, count(*) AS n FROM settlements GROUP BY b",
		"SELECT least(floor(amount / 100) * 100, 800) AS b, count(*) AS n, sum(amount) AS s FROM settlements GROUP BY b",
		"SELECT greatest(year(birth_date), 1950) AS y, count(*) AS n FROM people GROUP BY y",
		"SELECT t.b, count(*) AS n FROM (SELECT id, width_bucket(sum(amount), 0, 5000, 10) AS b FROM settlements GROUP BY id) t GROUP BY t.b")
	expectStatus(t, f, Rejected,
		"SELECT width_bucket(amount, 0, amount, 10) AS b, count(*) AS n FROM settlements GROUP BY b",
		"SELECT width_bucket(amount, 0, 1000, 0) AS b, count(*) AS n FROM settlements GROUP BY b",
		"SELECT least(amount, year(birth_date)) AS b, count(*) AS n FROM settlements s JOIN people p ON p.id = s.id GROUP BY b")
	// The buckets are PostgreSQL's: 0 below the range, n + 1 at or above it.
	r := f.run(t, "SELECT width_bucket(amount, 0, 1000, 10) AS b, count(*) AS n FROM settlements GROUP BY b ORDER BY b")
	truth := map[int64]int{}
	for _, s := range f.settles {
		b := int64(0)
		switch {
		case s.Amount >= 1000:
			b = 11
		case s.Amount >= 0:
			b = int64(math.Floor(s.Amount/100)) + 1
		}
		truth[b]++
	}
	for _, row := range r.Rows {
		b, _ := toFloat(row[0])
		n, _ := toFloat(row[1])
		if want := truth[int64(b)]; want < 50 || math.Abs(n-float64(want)) > 0.1*float64(want) {
			t.Errorf("bucket %v: %v visits, truth %d", b, n, want)
		}
	}
	if len(r.Rows) == 0 {
		t.Fatalf("no bucket released: %s %v", r.Status, r.Reasons)
	}
}

// Standard spellings analysts write are read as the forms the rules know
// (issue 10, item 5): extract and substring (which the parser qualifies
// with a schema), count_if, percentile_cont … WITHIN GROUP, current_date as
// the reference date; a person's first date in a per-person subquery keeps
// its type.
func TestStandardSpellings_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	expectStatus(t, f, Released,
		"SELECT extract(year FROM birth_date) AS y, count(*) AS n FROM people GROUP BY 1",
		"SELECT substring(county FROM 1 FOR 2) AS c, count(*) AS n FROM people GROUP BY 1",
		"SELECT county, count_if(income > 1000) AS rich FROM people GROUP BY county",
		"SELECT county, percentile_cont(0.5) WITHIN GROUP (ORDER BY income) AS med FROM people GROUP BY county",
		"SELECT county, avg(date_diff('year', birth_date, current_date)) AS age FROM people GROUP BY county",
		"SELECT year(t.first) AS y, count(*) AS n FROM (SELECT id, min(birth_date) AS first FROM people GROUP BY id) t GROUP BY 1",
		"SELECT county, sum((income > 1000)::INTEGER) AS rich, avg(CAST(gender = '女' AS DOUBLE)) AS share FROM people GROUP BY county",
		"SELECT county, gender, count(*) AS n FROM people GROUP BY ALL")
	// count_if is count(*) FILTER: the same figure.
	a := f.run(t, "SELECT county, count_if(income > 1000) AS n FROM people GROUP BY county ORDER BY county")
	b := f.run(t, "SELECT county, count(*) FILTER (WHERE income > 1000) AS n FROM people GROUP BY county ORDER BY county")
	if fmt.Sprint(a.Rows) != fmt.Sprint(b.Rows) {
		t.Errorf("count_if %v, count FILTER %v", a.Rows, b.Rows)
	}
	// WITHIN GROUP … DESC is the mirrored fraction.
	c := f.run(t, "SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY income DESC) AS q FROM people")
	d := f.run(t, "SELECT quantile_cont(income, 0.75) AS q FROM people")
	if fmt.Sprint(c.Rows) != fmt.Sprint(d.Rows) {
		t.Errorf("WITHIN GROUP DESC %v, quantile_cont 0.75 %v", c.Rows, d.Rows)
	}
	// A date other than today inside an aggregate would make a family of
	// nearly equal figures (one per date); numbers need numeric columns.
	expectStatus(t, f, Rejected,
		"SELECT avg(date_diff('day', birth_date, DATE '2020-01-01')) AS a FROM people",
		"SELECT avg(DATE '2026-01-01' - birth_date) AS a FROM people",
		"SELECT min(birth_date) AS a FROM people",
		"SELECT sum(county) AS a FROM people")
}

// Analysts recode a value into their own labels — custom age groups,
// hospital levels, NULL as "unknown" (issue 10, item 5). As a group key a
// CASE over one value with constant results is a set of bins; as a row
// value counted or summed further out it would be a condition no
// low-effect test sees, so it stays refused there, and so does a CASE
// mixing two columns or returning a column.
func TestRecodingGroupKeys_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	expectStatus(t, f, Released,
		"SELECT CASE WHEN birth_date >= DATE '2000-01-01' THEN 'young' WHEN birth_date >= DATE '1970-01-01' THEN 'adult' ELSE 'old' END AS grp, count(*) AS n FROM people GROUP BY 1",
		"SELECT CASE WHEN county LIKE '6405%' THEN 'A' ELSE 'B' END AS c, avg(income) AS a FROM people GROUP BY 1",
		"SELECT coalesce(gender, '未知') AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT CASE WHEN income BETWEEN 0 AND 1000 THEN 'low' WHEN income IS NULL THEN 'none' ELSE 'high' END AS b, count(*) AS n FROM people GROUP BY 1")
	expectStatus(t, f, Rejected,
		"SELECT CASE WHEN birth_date > DATE '2000-01-01' AND gender = '女' THEN 'x' ELSE 'y' END AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT CASE WHEN income > 1000 THEN county ELSE 'other' END AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT CASE WHEN substr(id, 18, 1) = 'X' THEN 'x' ELSE 'y' END AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT sum(t.flag) AS s FROM (SELECT county, CASE WHEN birth_date = DATE '1980-01-01' THEN 0 ELSE 1 END AS flag FROM people) t",
		"SELECT t.flag, count(*) AS n FROM (SELECT id, CASE WHEN sum(income) > 1000 THEN 1 ELSE 0 END AS flag FROM people GROUP BY id) t GROUP BY 1")
	// The labels are the truth's: custom age groups add up to everyone.
	r := f.run(t, "SELECT CASE WHEN birth_date > DATE '1979-12-31' THEN 'young' ELSE 'old' END AS grp, count(*) AS n FROM people GROUP BY 1")
	cut := time.Date(1979, 12, 31, 0, 0, 0, 0, time.UTC)
	young := 0
	for _, p := range f.people {
		if p.Birth.After(cut) {
			young++
		}
	}
	for _, row := range r.Rows {
		n, _ := toFloat(row[1])
		want := young
		if row[0] == "old" {
			want = len(f.people) - young
		}
		if math.Abs(n-float64(want)) > 5 {
			t.Errorf("%v: %v, truth %d", row[0], n, want)
		}
	}
}

// Found by the red team (2026-12-03, second round): a distinct count's
// noise seeded by its exact value made equal noise an oracle for equal
// counts, and arithmetic (sign of a difference from one person's birth
// date) made a value only the victim holds. A distinct count of values now
// counts the values at least a noisy K units hold, exactly: a value one
// person holds never moves it. A distinct count of the units is a count
// of persons.
func TestDistinctCountsCountValuesHeldByK_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Arithmetic with constants that gives one person a value of their
	// own is not a distinct count's argument (nor a subquery column's
	// value counted outside).
	expectStatus(t, f, Rejected,
		"SELECT county, count(DISTINCT sign(date_diff('day', DATE '1980-01-01', birth_date))) AS n FROM people GROUP BY county",
		"SELECT t.county, count(DISTINCT t.s) AS n FROM (SELECT county, sign(date_diff('day', DATE '1980-01-01', birth_date)) AS s FROM people) t GROUP BY t.county")
	// Birth dates held by fewer than K persons are not counted; those held
	// by K + 3 or more always are.
	held := map[string]map[string]int{}
	for _, p := range f.people {
		if held[p.County] == nil {
			held[p.County] = map[string]int{}
		}
		held[p.County][p.Birth.Format("2006-01")]++
	}
	r := f.run(t, "SELECT county, count(DISTINCT to_month(birth_date)) AS n FROM people GROUP BY county")
	if r.Status != Released || len(r.Rows) == 0 {
		t.Fatalf("not released: %s %v", r.Status, r.Reasons)
	}
	for _, row := range r.Rows {
		county, _ := row[0].(string)
		lo, hi := 0, 0
		for _, n := range held[county] {
			if n >= f.ws.K+3 {
				lo++
			}
			if n >= f.ws.K {
				hi++
			}
		}
		if n, _ := toFloat(row[1]); int(n) < lo || int(n) > hi {
			t.Errorf("%s: %v months, want between %d (held by K+3 or more) and %d (held by K or more)", county, n, lo, hi)
		}
	}
	// Distinct persons are persons: the same figure as count(*) over one
	// row per person.
	a := f.run(t, "SELECT county, count(DISTINCT id) AS n FROM people GROUP BY county ORDER BY county")
	b := f.run(t, "SELECT county, count(*) AS n FROM people GROUP BY county ORDER BY county")
	if fmt.Sprint(a.Rows) != fmt.Sprint(b.Rows) {
		t.Errorf("count(DISTINCT id) %v, count(*) %v", a.Rows, b.Rows)
	}
}

// Found by the red team: a per-person subquery aggregated an identifier
// (floor(max(CAST(phone AS BIGINT)) / C)) and read it digit by digit; a
// string padded to a width taken from the data made one person's row fail
// or slow down (an outcome and a timing oracle); a subquery column computed
// with constants (an indicator of one person) multiplied into a sum.
func TestRedTeamRoundTwo_R28_5(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	expectStatus(t, f, Rejected,
		"SELECT count(DISTINCT t.c) AS n FROM (SELECT id, floor(max(CAST(id AS BIGINT)) / 1000) AS c FROM people GROUP BY id) t",
		"SELECT county, count(*) AS n FROM people WHERE length(rpad('a', CAST(income AS INTEGER), 'b')) > 0 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE length(replace(county, '6', 'aaaaaaaa')) > 0 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE length(regexp_replace(county, '6', 'xx')) > 0 GROUP BY county",
		"SELECT sum(t.a * t.f) AS s FROM (SELECT s.id, s.amount AS a, abs(sign(date_diff('day', DATE '1980-01-01', p.birth_date))) AS f FROM settlements s JOIN people p ON p.id = s.id) t",
		"SELECT max(t.a) AS m FROM (SELECT id, amount - amount * 0 AS a FROM settlements) t",
		// A date of birth as a group key describes persons by the day.
		"SELECT birth_date, count(*) AS n FROM people GROUP BY birth_date",
		"SELECT t.birth_date, count(*) AS n FROM (SELECT id, birth_date FROM people) t GROUP BY 1")
	expectStatus(t, f, Released,
		"SELECT county, count(*) AS n FROM people WHERE length(replace(county, '640', '')) > 0 GROUP BY county",
		"SELECT t.b, count(*) AS n FROM (SELECT id, floor(sum(amount) / 500) * 500 AS b FROM settlements GROUP BY id) t GROUP BY t.b",
		"SELECT avg(t.total) AS a FROM (SELECT id, sum(amount) AS total FROM settlements GROUP BY id) t",
		"SELECT to_month(birth_date) AS m, count(*) AS n FROM people GROUP BY 1")
}

// Analysts write figures in a CTE and read them further (issue 10, item 5):
// SELECT … FROM (an aggregating query) t WHERE … ORDER BY … LIMIT is the
// aggregating query with the outer WHERE as HAVING, so the answer is the
// same figures. A per-person subquery stays what it is.
func TestFiguresReadFurther_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	direct := f.run(t, "SELECT county, count(*) AS n FROM people GROUP BY county ORDER BY county")
	viaCTE := f.run(t, "WITH a AS (SELECT county, count(*) AS n FROM people GROUP BY 1) SELECT a.county, a.n FROM a ORDER BY a.county")
	if viaCTE.Status != Released || fmt.Sprint(viaCTE.Rows) != fmt.Sprint(direct.Rows) {
		t.Errorf("CTE of figures: %s %v %v, direct %v", viaCTE.Status, viaCTE.Reasons, viaCTE.Rows, direct.Rows)
	}
	top := f.run(t, "WITH a AS (SELECT county, count(*) AS n, avg(income) AS inc FROM people GROUP BY county) "+
		"SELECT county, round(inc, 0) AS inc, n * 100.0 / 5000 AS pct FROM a WHERE n > 10 ORDER BY pct DESC LIMIT 2")
	if top.Status != Released || len(top.Rows) != 2 {
		t.Errorf("figures read further: %s %v %v", top.Status, top.Reasons, top.Rows)
	}
	if r := f.run(t, "SELECT t.c FROM (SELECT id, count(*) AS c FROM settlements GROUP BY id) t"); r.Status != Withheld {
		t.Errorf("a per-person subquery read row by row: %s %v", r.Status, r.Reasons)
	}
}

// Red team, round three: recoding that unites a large group with one chosen
// person under one label (two tests sharing a label, or a test that is a
// union), an equality on a date, and a join key computed with constants.
func TestRedTeamRoundThree_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	expectStatus(t, f, Rejected,
		"SELECT CASE WHEN birth_date < DATE '1970-01-01' THEN 'A' WHEN birth_date = DATE '1980-05-05' THEN 'A' ELSE 'B' END AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT CASE WHEN birth_date < DATE '1970-01-01' OR birth_date = DATE '1980-05-05' THEN 'A' ELSE 'B' END AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT CASE WHEN birth_date = DATE '1980-05-05' THEN 'A' ELSE 'B' END AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT CASE WHEN income < 100 THEN 'A' ELSE 'A' END AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT t.county, count(*) AS n FROM (SELECT county, substr('6405', 1, CAST(sign(income - 1000) + 2 AS INTEGER)) AS k FROM people) t JOIN people p2 ON p2.county = t.k GROUP BY t.county")
	expectStatus(t, f, Released,
		"SELECT CASE WHEN birth_date < DATE '1970-01-01' THEN 'A' WHEN birth_date < DATE '1990-01-01' THEN 'B' ELSE 'C' END AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT CASE WHEN county IN ('640502', '640521') THEN '甲' ELSE '乙' END AS g, count(*) AS n FROM people GROUP BY 1")
}
