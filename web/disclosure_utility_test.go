package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"shuyu/workspace/wstest"
)

// Utility of the disclosure-control engine (R4.2 "usable but invisible",
// R28.3): the ordinary questions an analyst asks of the demo-sized domain are
// answered, and what is answered is close to the truth.
//
// The truth is computed with raw SQL inside the domain (the vault's own
// connection, the platform's view of each entry), and cross-checked in Go
// against the raw rows the fixture loaded. Each group's person count is the
// truth's count of distinct id_number in the group.
//
// Accuracy rule (from the issue):
//   - counts and sums ("additive" figures) within 5% of the truth for groups
//     of >= 100 persons and within 1% for groups of >= 10,000 persons, in at
//     least 95% of such groups over all questions;
//   - averages, ratios, medians and quantiles ("statistics") within 5% for
//     groups of >= 1,000 persons, in at least 95% of such groups. A statistic
//     of a group of n persons is a function of a handful of additive figures
//     (a ratio of two sums, a mean of a sum and a count) or of ranks; noise
//     that keeps each additive figure within 1-2.5% at n >= 1,000 keeps their
//     ratio within about 5%, and a rank error of a few percent of n moves a
//     quartile of these smooth amount distributions by a few percent;
//   - groups of fewer than K = 15 persons are absent.
//
// Shares are over figures: one per released (or missing) group and value
// column. A group the truth holds with >= 100 persons that an answer leaves
// out counts as a miss (not within any bound), except where the question
// itself drops it (LIMIT, HAVING); one of >= 1,000 persons left out fails on
// its own. Refused questions (withheld, rejected, an HTTP error) fail the
// test, listed with their reasons, except a question marked optional: another
// spelling of a question that is answered (CASE where FILTER is asked for,
// width_bucket, which DuckDB does not have, where floor(x/500)*500 bins).
//
// Set SHUYU_ACCURACY_OUT=/path/file.md to write the accuracy table to a file.

const (
	// utilityPersons is the demo size: persons in zw_ga_0001 and
	// settlements in zw_yb_0001.
	utilityPersons = 200_000
	utilityK       = 15
	// utilityRef is the fixture's date, the reference of age bands.
	utilityRef = "2026-03-02"
)

// valueKind says which accuracy bound a released figure answers to.
type valueKind int

const (
	additive  valueKind = iota // count, count DISTINCT, sum
	statistic                  // avg, ratio, median, quantile
)

// utilityQuestion is one analyst question. The merchant's SQL answers with
// keys key columns then one column per kind; truth is raw SQL over the domain
// answering with the same key columns, the same value columns (unrounded) and
// last the distinct persons of the group.
type utilityQuestion struct {
	id, title string
	sql       string
	truth     string
	keys      int
	kinds     []valueKind
	// topN > 0: ORDER BY the first value DESC LIMIT topN; groups of the true
	// top N that lead the (N+1)-th by more than 5% are expected.
	topN int
	// having > 0: HAVING first value > having; groups whose true first value
	// exceeds it by more than 5% are expected, and a released group whose true
	// value is below 95% of it is an error.
	having float64
	// optional names the question whose answer makes this spelling
	// unnecessary: its refusal is reported, not failed.
	optional string
}

// Join and person-count snippets shared by the questions.
const (
	joinPM     = " FROM zw_ga_0001 p JOIN zw_yb_0001 m ON p.id_number = m.id_number "
	personsM   = ", count(DISTINCT m.id_number) AS persons"
	personsYB  = ", count(DISTINCT id_number) AS persons"
	ageBandSQL = "CAST(floor(date_sub('year', p.birth_date, DATE '" + utilityRef + "') / 10) * 10 AS INTEGER)::VARCHAR || '-' || " +
		"CAST(floor(date_sub('year', p.birth_date, DATE '" + utilityRef + "') / 10) * 10 + 9 AS INTEGER)::VARCHAR"
)

func utilityQuestions() []utilityQuestion {
	A, S := additive, statistic
	return []utilityQuestion{
		{id: "Q1", title: "visits by diagnosis category",
			sql:   "SELECT diagnosis_category, count(*) AS visits FROM zw_yb_0001 GROUP BY diagnosis_category",
			truth: "SELECT diagnosis_category, count(*)" + personsYB + " FROM zw_yb_0001 GROUP BY 1",
			keys:  1, kinds: []valueKind{A}},
		{id: "Q2", title: "visits by hospital and visit type",
			sql:   "SELECT hospital, visit_type, count(*) AS visits FROM zw_yb_0001 GROUP BY hospital, visit_type",
			truth: "SELECT hospital, visit_type, count(*)" + personsYB + " FROM zw_yb_0001 GROUP BY 1, 2",
			keys:  2, kinds: []valueKind{A}},
		{id: "Q3a", title: "spend by month (to_month)",
			sql:   "SELECT to_month(visit_date) AS month, count(*) AS visits, sum(total_amount) AS spend FROM zw_yb_0001 GROUP BY month",
			truth: "SELECT strftime(visit_date, '%Y-%m'), count(*), sum(total_amount)" + personsYB + " FROM zw_yb_0001 GROUP BY 1",
			keys:  1, kinds: []valueKind{A, A}},
		{id: "Q3b", title: "spend by month (date_trunc)",
			sql:   "SELECT date_trunc('month', visit_date) AS month, sum(total_amount) AS spend FROM zw_yb_0001 GROUP BY month",
			truth: "SELECT strftime(visit_date, '%Y-%m-01'), sum(total_amount)" + personsYB + " FROM zw_yb_0001 GROUP BY 1",
			keys:  1, kinds: []valueKind{A}},
		{id: "Q3c", title: "spend by month (strftime)",
			sql:   "SELECT strftime(visit_date, '%Y-%m') AS month, sum(total_amount) AS spend FROM zw_yb_0001 GROUP BY month",
			truth: "SELECT strftime(visit_date, '%Y-%m'), sum(total_amount)" + personsYB + " FROM zw_yb_0001 GROUP BY 1",
			keys:  1, kinds: []valueKind{A}},
		{id: "Q4", title: "fund share by diagnosis (ratio of sums)",
			sql:   "SELECT diagnosis_category, sum(fund_paid) / sum(total_amount) AS fund_share FROM zw_yb_0001 GROUP BY diagnosis_category",
			truth: "SELECT diagnosis_category, sum(fund_paid) / sum(total_amount)" + personsYB + " FROM zw_yb_0001 GROUP BY 1",
			keys:  1, kinds: []valueKind{S}},
		{id: "Q5", title: "visits-per-person distribution (aggregate of per-person aggregates)",
			sql: "SELECT visits, count(*) AS people FROM (SELECT id_number, count(*) AS visits FROM zw_yb_0001 GROUP BY id_number) t GROUP BY visits",
			truth: "SELECT visits, count(*), count(*) AS persons FROM " +
				"(SELECT id_number, count(*) AS visits FROM zw_yb_0001 GROUP BY id_number) t GROUP BY 1",
			keys: 1, kinds: []valueKind{A}},
		{id: "Q6a", title: "spend histogram, 500-yuan bins (floor)",
			sql:   "SELECT floor(total_amount / 500) * 500 AS bin, count(*) AS visits FROM zw_yb_0001 GROUP BY bin",
			truth: "SELECT CAST(floor(total_amount / 500) * 500 AS BIGINT), count(*)" + personsYB + " FROM zw_yb_0001 GROUP BY 1",
			keys:  1, kinds: []valueKind{A}},
		{id: "Q6b", title: "spend histogram, 500-yuan bins capped at 10,000 (LEAST/CASE)",
			sql: "SELECT least(floor(total_amount / 500) * 500, 10000) AS bin, count(*) AS visits, sum(total_amount) AS spend " +
				"FROM zw_yb_0001 GROUP BY bin",
			truth: "SELECT CAST(least(floor(total_amount / 500) * 500, 10000) AS BIGINT), count(*), sum(total_amount)" + personsYB +
				" FROM zw_yb_0001 GROUP BY 1",
			// A clamp to a constant maps an interval to one bin, like any
			// bin: the open last bin is a group and needs K persons.
			keys: 1, kinds: []valueKind{A, A}},
		{id: "Q6c", title: "spend histogram, 20 bins of 500 yuan (width_bucket)",
			sql: "SELECT width_bucket(total_amount, 0, 10000, 20) AS bucket, count(*) AS visits FROM zw_yb_0001 GROUP BY bucket",
			// PostgreSQL's width_bucket: 0 below the range, n+1 at or above it.
			truth: "SELECT CASE WHEN total_amount < 0 THEN 0 WHEN total_amount >= 10000 THEN 21 " +
				"ELSE CAST(floor(total_amount / 500) AS BIGINT) + 1 END, count(*)" + personsYB + " FROM zw_yb_0001 GROUP BY 1",
			keys: 1, kinds: []valueKind{A}},
		{id: "Q6d", title: "visits and spend of 10,000 yuan or more (the histogram's tail, WHERE)",
			sql:   "SELECT count(*) AS visits, sum(total_amount) AS spend FROM zw_yb_0001 WHERE total_amount >= 10000",
			truth: "SELECT count(*), sum(total_amount)" + personsYB + " FROM zw_yb_0001 WHERE total_amount >= 10000",
			kinds: []valueKind{A, A}},
		{id: "Q7", title: "diagnosis mix by gender (join)",
			sql:   "SELECT p.gender, m.diagnosis_category, count(*) AS visits" + joinPM + "GROUP BY p.gender, m.diagnosis_category",
			truth: "SELECT p.gender, m.diagnosis_category, count(*)" + personsM + joinPM + "GROUP BY 1, 2",
			keys:  2, kinds: []valueKind{A}},
		{id: "Q8", title: "yearly visits by county (join)",
			sql:   "SELECT year(m.visit_date) AS year, p.county, count(*) AS visits" + joinPM + "GROUP BY year, p.county",
			truth: "SELECT year(m.visit_date), p.county, count(*)" + personsM + joinPM + "GROUP BY 1, 2",
			keys:  2, kinds: []valueKind{A}},
		{id: "Q9", title: "distinct patients per hospital",
			sql:   "SELECT hospital, count(DISTINCT id_number) AS patients FROM zw_yb_0001 GROUP BY hospital",
			truth: "SELECT hospital, count(DISTINCT id_number)" + personsYB + " FROM zw_yb_0001 GROUP BY 1",
			keys:  1, kinds: []valueKind{A}},
		{id: "Q10", title: "avg, median, quartiles of total_amount by visit type",
			sql: "SELECT visit_type, avg(total_amount) AS mean, median(total_amount) AS med, quantile_cont(total_amount, 0.25) AS q1, " +
				"quantile_cont(total_amount, 0.75) AS q3 FROM zw_yb_0001 GROUP BY visit_type",
			truth: "SELECT visit_type, avg(total_amount), median(total_amount), quantile_cont(total_amount, 0.25), " +
				"quantile_cont(total_amount, 0.75)" + personsYB + " FROM zw_yb_0001 GROUP BY 1",
			keys: 1, kinds: []valueKind{S, S, S, S}},
		{id: "Q11a", title: "people by county and gender",
			sql:   "SELECT county, gender, count(*) AS people FROM zw_ga_0001 GROUP BY county, gender",
			truth: "SELECT county, gender, count(*)" + personsYB + " FROM zw_ga_0001 GROUP BY 1, 2",
			keys:  2, kinds: []valueKind{A}},
		{id: "Q11b", title: "people by age band (age_band)",
			sql:   "SELECT age_band(birth_date, 10) AS band, count(*) AS people FROM zw_ga_0001 GROUP BY band",
			truth: "SELECT " + ageBandSQL + ", count(*), count(DISTINCT p.id_number) AS persons FROM zw_ga_0001 p GROUP BY 1",
			keys:  1, kinds: []valueKind{A}},
		{id: "Q11c", title: "people by county and age band (date_diff // 10 * 10)",
			sql: "SELECT county, date_diff('year', birth_date, DATE '" + utilityRef + "') // 10 * 10 AS band, count(*) AS people " +
				"FROM zw_ga_0001 GROUP BY county, band",
			truth: "SELECT county, date_diff('year', birth_date, DATE '" + utilityRef + "') // 10 * 10, count(*)" + personsYB +
				" FROM zw_ga_0001 GROUP BY 1, 2",
			keys: 2, kinds: []valueKind{A}},
		{id: "Q12", title: "top 5 hospitals by visits (ORDER BY ... LIMIT 5)",
			sql:   "SELECT hospital, count(*) AS visits FROM zw_yb_0001 GROUP BY hospital ORDER BY visits DESC LIMIT 5",
			truth: "SELECT hospital, count(*)" + personsYB + " FROM zw_yb_0001 GROUP BY 1",
			keys:  1, kinds: []valueKind{A}, topN: 5},
		{id: "Q13a", title: "inpatient stays and spend by diagnosis (CTE)",
			sql: "WITH t AS (SELECT diagnosis_category, total_amount FROM zw_yb_0001 WHERE visit_type = '住院') " +
				"SELECT diagnosis_category, count(*) AS stays, sum(total_amount) AS spend FROM t GROUP BY diagnosis_category",
			truth: "SELECT diagnosis_category, count(*), sum(total_amount)" + personsYB +
				" FROM zw_yb_0001 WHERE visit_type = '住院' GROUP BY 1",
			keys: 1, kinds: []valueKind{A, A}},
		{id: "Q13b", title: "visits by hospital and diagnosis, HAVING count(*) > 100",
			sql: "SELECT hospital, diagnosis_category, count(*) AS visits FROM zw_yb_0001 " +
				"GROUP BY hospital, diagnosis_category HAVING count(*) > 100",
			truth: "SELECT hospital, diagnosis_category, count(*)" + personsYB + " FROM zw_yb_0001 GROUP BY 1, 2",
			keys:  2, kinds: []valueKind{A}, having: 100},
		{id: "Q14", title: "self-paid share and mean by age band (join)",
			sql: "SELECT age_band(p.birth_date, 10) AS band, sum(m.self_paid) / sum(m.total_amount) AS self_share, " +
				"avg(m.self_paid) AS mean_self" + joinPM + "GROUP BY band",
			truth: "SELECT " + ageBandSQL + ", sum(m.self_paid) / sum(m.total_amount), avg(m.self_paid)" + personsM + joinPM + "GROUP BY 1",
			keys:  1, kinds: []valueKind{S, S}},
		{id: "Q15a", title: "outpatient share per county (FILTER)",
			sql: "SELECT p.county, count(*) FILTER (WHERE m.visit_type = '门诊') / count(*) AS outpatient_share" +
				joinPM + "GROUP BY p.county",
			truth: "SELECT p.county, count(*) FILTER (WHERE m.visit_type = '门诊') / count(*)" + personsM + joinPM + "GROUP BY 1",
			keys:  1, kinds: []valueKind{S}},
		{id: "Q15b", title: "outpatient share per county (avg of CASE)",
			sql: "SELECT p.county, avg(CASE WHEN m.visit_type = '门诊' THEN 1.0 ELSE 0.0 END) AS outpatient_share" +
				joinPM + "GROUP BY p.county",
			truth: "SELECT p.county, avg(CASE WHEN m.visit_type = '门诊' THEN 1.0 ELSE 0.0 END)" + personsM + joinPM + "GROUP BY 1",
			keys:  1, kinds: []valueKind{S}, optional: "Q15a"},
		{id: "Q16", title: "inpatient stays and spend by county and diagnosis (join, WHERE)",
			sql: "SELECT p.county, m.diagnosis_category, count(*) AS stays, sum(m.total_amount) AS spend" + joinPM +
				"WHERE m.visit_type = '住院' GROUP BY p.county, m.diagnosis_category",
			truth: "SELECT p.county, m.diagnosis_category, count(*), sum(m.total_amount)" + personsM + joinPM +
				"WHERE m.visit_type = '住院' GROUP BY 1, 2",
			keys: 2, kinds: []valueKind{A, A}},
		{id: "Q17", title: "visits and spend by township (join, many small groups)",
			sql:   "SELECT p.township, count(*) AS visits, sum(m.total_amount) AS spend" + joinPM + "GROUP BY p.township",
			truth: "SELECT p.township, count(*), sum(m.total_amount)" + personsM + joinPM + "GROUP BY 1",
			keys:  1, kinds: []valueKind{A, A}},
		{id: "Q18", title: "mean spend by household type and visit type (join)",
			sql: "SELECT p.household_type, m.visit_type, count(*) AS visits, avg(m.total_amount) AS mean_spend" + joinPM +
				"GROUP BY p.household_type, m.visit_type",
			truth: "SELECT p.household_type, m.visit_type, count(*), avg(m.total_amount)" + personsM + joinPM + "GROUP BY 1, 2",
			keys:  2, kinds: []valueKind{A, S}},
		{id: "Q19", title: "people by custom age group (CASE over one column)",
			sql: "SELECT CASE WHEN birth_date >= DATE '2008-01-01' THEN '未成年' WHEN birth_date >= DATE '1966-01-01' THEN '成年' ELSE '老年' END AS grp, " +
				"count(*) AS people FROM zw_ga_0001 GROUP BY 1",
			truth: "SELECT CASE WHEN birth_date >= DATE '2008-01-01' THEN '未成年' WHEN birth_date >= DATE '1966-01-01' THEN '成年' ELSE '老年' END, " +
				"count(*)" + personsYB + " FROM zw_ga_0001 GROUP BY 1",
			keys: 1, kinds: []valueKind{A}},
		{id: "Q20", title: "fund share by hospital level (CASE … LIKE)",
			sql: "SELECT CASE WHEN hospital LIKE '%卫生院' THEN '乡镇卫生院' ELSE '县级及以上' END AS level, count(*) AS visits, " +
				"sum(fund_paid) / sum(total_amount) AS fund_share FROM zw_yb_0001 GROUP BY 1",
			truth: "SELECT CASE WHEN hospital LIKE '%卫生院' THEN '乡镇卫生院' ELSE '县级及以上' END, count(*), sum(fund_paid) / sum(total_amount)" +
				personsYB + " FROM zw_yb_0001 GROUP BY 1",
			keys: 1, kinds: []valueKind{A, S}},
		{id: "Q21", title: "spend and fund paid by hospital and diagnosis (many mid-size groups, skewed amounts)",
			sql: "SELECT hospital, diagnosis_category, count(*) AS visits, sum(total_amount) AS spend, sum(fund_paid) AS fund " +
				"FROM zw_yb_0001 GROUP BY hospital, diagnosis_category",
			truth: "SELECT hospital, diagnosis_category, count(*), sum(total_amount), sum(fund_paid)" + personsYB +
				" FROM zw_yb_0001 GROUP BY 1, 2",
			keys: 2, kinds: []valueKind{A, A, A}},
		{id: "Q31", title: "visits and spend by county with subtotals and a total (ROLLUP)",
			sql: "SELECT p.county, p.gender, count(*) AS visits, sum(m.total_amount) AS spend" + joinPM +
				"GROUP BY ROLLUP (p.county, p.gender)",
			truth: "SELECT p.county, p.gender, count(*), sum(m.total_amount)" + personsM + joinPM + "GROUP BY ROLLUP (p.county, p.gender)",
			keys:  2, kinds: []valueKind{A, A}},
		{id: "Q32", title: "visits by visit type with a totals row (UNION ALL)",
			sql: "SELECT visit_type, count(*) AS visits, sum(self_paid) AS self_paid FROM zw_yb_0001 GROUP BY visit_type " +
				"UNION ALL SELECT '合计', count(*), sum(self_paid) FROM zw_yb_0001",
			truth: "SELECT visit_type, count(*), sum(self_paid)" + personsYB + " FROM zw_yb_0001 GROUP BY 1 " +
				"UNION ALL SELECT '合计', count(*), sum(self_paid)" + personsYB + " FROM zw_yb_0001",
			keys: 1, kinds: []valueKind{A, A}},
		{id: "Q33", title: "each hospital's share of all visits (a window over released groups)",
			sql:   "SELECT hospital, count(*) AS visits, count(*) * 1.0 / sum(count(*)) OVER () AS share FROM zw_yb_0001 GROUP BY hospital",
			truth: "SELECT hospital, count(*), count(*) * 1.0 / sum(count(*)) OVER ()" + personsYB + " FROM zw_yb_0001 GROUP BY 1",
			keys:  1, kinds: []valueKind{A, S}},
		{id: "Q34", title: "inpatient stays per 1,000 residents by county (two released tables joined)",
			sql: "WITH r AS (SELECT county, count(*) AS residents FROM zw_ga_0001 GROUP BY county), " +
				"s AS (SELECT p.county, count(*) AS stays" + joinPM + "WHERE m.visit_type = '住院' GROUP BY p.county) " +
				"SELECT r.county, s.stays, s.stays * 1000.0 / r.residents AS per_1000 FROM r JOIN s ON r.county = s.county",
			truth: "WITH r AS (SELECT county, count(*) AS residents FROM zw_ga_0001 GROUP BY county), " +
				"s AS (SELECT p.county, count(*) AS stays, count(DISTINCT m.id_number) AS persons" + joinPM + "WHERE m.visit_type = '住院' GROUP BY p.county) " +
				"SELECT r.county, s.stays, s.stays * 1000.0 / r.residents, s.persons FROM r JOIN s ON r.county = s.county",
			keys: 1, kinds: []valueKind{A, S}},
	}
}

// truthGroup is one group of the truth.
type truthGroup struct {
	key     string
	values  []float64
	persons int64
}

// queryTruth runs a truth query inside the domain.
func queryTruth(ctx context.Context, f *wstest.Fixture, q utilityQuestion) (map[string]truthGroup, error) {
	conn, err := f.Vault.Locked(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, q.truth)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if len(cols) != q.keys+len(q.kinds)+1 {
		return nil, fmt.Errorf("truth has %d columns, want %d", len(cols), q.keys+len(q.kinds)+1)
	}
	out := map[string]truthGroup{}
	for rows.Next() {
		cells := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		g := truthGroup{key: groupKey(cells[:q.keys])}
		for _, c := range cells[q.keys : len(cells)-1] {
			v, ok := toFloat(c)
			if !ok {
				return nil, fmt.Errorf("truth value %T %v is not a number", c, c)
			}
			g.values = append(g.values, v)
		}
		p, ok := toFloat(cells[len(cells)-1])
		if !ok {
			return nil, fmt.Errorf("truth persons %T is not a number", cells[len(cells)-1])
		}
		g.persons = int64(p)
		if _, dup := out[g.key]; dup {
			return nil, fmt.Errorf("truth repeats group %s", g.key)
		}
		out[g.key] = g
	}
	return out, rows.Err()
}

// groupKey is the canonical text of a tuple of group-key cells, the same for
// a cell of the JSON answer and of the truth: numbers in shortest form,
// midnight times and timestamps as dates.
func groupKey(cells []any) string {
	parts := make([]string, len(cells))
	for i, c := range cells {
		parts[i] = keyCell(c)
	}
	return strings.Join(parts, " | ")
}

func keyCell(c any) string {
	switch v := c.(type) {
	case nil:
		return "NULL"
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 && v.Nanosecond() == 0 {
			return v.Format(time.DateOnly)
		}
		return v.Format(time.RFC3339)
	case string:
		if f, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXpP") {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
			if t, err := time.Parse(layout, v); err == nil {
				return keyCell(t)
			}
		}
		return v
	case []byte:
		return keyCell(string(v))
	}
	if f, ok := toFloat(c); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(c)
}

// toFloat reads a number of the JSON answer or of the DuckDB driver.
func toFloat(c any) (float64, bool) {
	switch v := c.(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case int:
		return float64(v), true
	case uint64:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	case *big.Int:
		f, _ := new(big.Float).SetInt(v).Float64()
		return f, true
	case interface{ Float64() float64 }: // duckdb.Decimal
		return v.Float64(), true
	}
	return 0, false
}

// relErr is |got-want|/|want|; 0 if both are 0.
func relErr(got, want float64) float64 {
	if want == 0 {
		if got == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// utilityOutcome is what one question scored.
type utilityOutcome struct {
	q        utilityQuestion
	status   string
	reasons  []string
	released int
	elapsed  time.Duration
	// Additive figures of groups >= 100 persons (and >= 10,000).
	add100, add100Within5, add10k, add10kWithin1 int
	maxAdd                                       float64
	// Statistics of groups >= 1,000 persons.
	stat1k, stat1kWithin5 int
	maxStat               float64
	truth100              int // truth groups with >= 100 persons expected in the answer
	truthSmall            int // truth groups of fewer than K persons
	small                 int // released groups of fewer than K persons
	missing               int // expected groups of >= 100 persons left out
	errors                []string
}

func TestDisclosureUtility_R4_2_R28_3_AnalystQuestionsAnswered(t *testing.T) {
	if testing.Short() {
		t.Skip("utility measurement over a 200,000-person fixture skipped under -short")
	}
	t.Parallel() // its own world, no timing asserted
	ctx := context.Background()
	start := time.Now()
	f := wstest.New(t, "sqlite", utilityPersons)
	t.Logf("fixture: %d persons and %d settlements loaded in %v", utilityPersons, utilityPersons, time.Since(start).Round(time.Millisecond))
	ws := f.Open(t)
	s := New(Config{DB: f.DB, Vault: f.Vault, Data: f.Dir, Now: f.Clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	h := &harness{t: t, db: f.DB, clock: f.Clock, srv: srv, actors: f.Actors, tokens: map[string]string{}}
	tok := h.token("merchant-a")
	path := fmt.Sprintf("/api/v1/workspaces/%d/queries", ws.ID)

	questions := utilityQuestions()
	truths := make([]map[string]truthGroup, len(questions))
	for i, q := range questions {
		tr, err := queryTruth(ctx, f, q)
		if err != nil {
			t.Fatalf("%s truth: %v\n%s", q.id, err, q.truth)
		}
		truths[i] = tr
	}
	checkTruthAgainstRaw(t, f, questions, truths)

	var outcomes []*utilityOutcome
	for i, q := range questions {
		o := &utilityOutcome{q: q}
		outcomes = append(outcomes, o)
		t0 := time.Now()
		resp, body := h.do(tok, "POST", path, map[string]string{"sql": q.sql, "data": "real"})
		o.elapsed = time.Since(t0)
		for _, g := range truths[i] {
			if g.persons < utilityK {
				o.truthSmall++
			}
		}
		var res sandboxResult
		switch {
		case resp.StatusCode != 200:
			o.status = fmt.Sprintf("HTTP %d", resp.StatusCode)
			o.reasons = []string{strings.TrimSpace(string(body))}
		case json.Unmarshal(body, &res) != nil:
			o.status = "undecodable"
			o.reasons = []string{string(body)}
		default:
			o.status = res.Status
			for _, r := range res.Reasons {
				o.reasons = append(o.reasons, r.Code+": "+r.Message)
			}
		}
		if o.status == "released" {
			o.score(res, truths[i])
		}
	}

	report := utilityTable(outcomes)
	t.Log("\n" + report)
	if out := os.Getenv("SHUYU_ACCURACY_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
			t.Errorf("write %s: %v", out, err)
		}
	}

	var refused []string
	var add100, add100ok, add10k, add10kok, stat1k, stat1kok int
	for _, o := range outcomes {
		if o.status != "released" && o.q.optional != "" {
			t.Logf("%s %s [%s], an alternative to %s: %s", o.q.id, o.q.title, o.status, o.q.optional, strings.Join(o.reasons, "; "))
			continue
		}
		if o.status != "released" {
			refused = append(refused, fmt.Sprintf("  %s %s [%s]: %s\n      %s", o.q.id, o.q.title, o.status, strings.Join(o.reasons, "; "), o.q.sql))
			continue
		}
		for _, e := range o.errors {
			t.Errorf("%s %s: %s", o.q.id, o.q.title, e)
		}
		if o.missing > 0 {
			t.Logf("%s %s: %d groups of >= 100 persons left out (misses in the shares)", o.q.id, o.q.title, o.missing)
		}
		add100, add100ok = add100+o.add100, add100ok+o.add100Within5
		add10k, add10kok = add10k+o.add10k, add10kok+o.add10kWithin1
		stat1k, stat1kok = stat1k+o.stat1k, stat1kok+o.stat1kWithin5
	}
	check := func(what string, ok, n int) {
		t.Helper()
		if n == 0 {
			t.Logf("%s: no such figures released", what)
			return
		}
		share := float64(ok) / float64(n)
		t.Logf("%s: %d of %d (%.1f%%)", what, ok, n, 100*share)
		if share < 0.95 {
			t.Errorf("%s: %d of %d (%.1f%%), want at least 95%%", what, ok, n, 100*share)
		}
	}
	check("counts and sums within 5% (groups >= 100 persons)", add100ok, add100)
	check("counts and sums within 1% (groups >= 10,000 persons)", add10kok, add10k)
	check("statistics within 5% (groups >= 1,000 persons)", stat1kok, stat1k)
	if len(refused) > 0 {
		t.Errorf("%d of %d analyst questions were not answered (want all released):\n%s",
			len(refused), len(questions), strings.Join(refused, "\n"))
	}
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// score compares a released answer with the truth.
func (o *utilityOutcome) score(res sandboxResult, truth map[string]truthGroup) {
	q := o.q
	o.released = len(res.Rows)
	if len(res.Columns) != q.keys+len(q.kinds) {
		o.errors = append(o.errors, fmt.Sprintf("answer has columns %v, want %d keys and %d values", res.Columns, q.keys, len(q.kinds)))
		return
	}
	expected := expectedGroups(q, truth)
	seen := map[string]bool{}
	missing, missing1k := 0, 0
	for _, row := range res.Rows {
		if len(row) != len(res.Columns) {
			o.errors = append(o.errors, fmt.Sprintf("row %v has %d cells", row, len(row)))
			continue
		}
		key := groupKey(row[:q.keys])
		if seen[key] {
			o.errors = append(o.errors, fmt.Sprintf("group %s released twice", key))
			continue
		}
		seen[key] = true
		g, ok := truth[key]
		if !ok {
			o.errors = append(o.errors, fmt.Sprintf("released group %s is not in the truth", key))
			continue
		}
		if g.persons < utilityK {
			o.small++
			o.errors = append(o.errors, fmt.Sprintf("group %s of %d persons (< K=%d) released", key, g.persons, utilityK))
		}
		if q.having > 0 && g.values[0] < 0.95*q.having {
			o.errors = append(o.errors, fmt.Sprintf("group %s with true value %.0f passed HAVING > %.0f", key, g.values[0], q.having))
		}
		for j, kind := range q.kinds {
			got, ok := toFloat(row[q.keys+j])
			e := math.Inf(1)
			if ok {
				e = relErr(got, g.values[j])
			}
			o.tally(kind, g.persons, e)
		}
	}
	for key, g := range truth {
		if seen[key] {
			continue
		}
		if expected[key] && g.persons >= 100 {
			missing++
			if g.persons >= 1000 {
				missing1k++
			}
			for _, kind := range q.kinds {
				o.tally(kind, g.persons, math.Inf(1))
			}
		}
	}
	for key := range expected {
		if truth[key].persons >= 100 {
			o.truth100++
		}
	}
	// Every group of >= 100 persons left out is a miss in the shares; one of
	// >= 1,000 persons is an error of its own.
	if missing1k > 0 {
		o.errors = append(o.errors, fmt.Sprintf("%d groups of >= 1,000 persons left out", missing1k))
	}
	o.missing = missing
	if q.topN > 0 && len(res.Rows) != q.topN {
		o.errors = append(o.errors, fmt.Sprintf("%d rows, want the top %d", len(res.Rows), q.topN))
	}
}

// tally counts one figure of a group of persons persons with relative error e.
func (o *utilityOutcome) tally(kind valueKind, persons int64, e float64) {
	switch kind {
	case additive:
		if persons >= 100 {
			o.add100++
			if e <= 0.05 {
				o.add100Within5++
			}
			o.maxAdd = math.Max(o.maxAdd, e)
		}
		if persons >= 10_000 {
			o.add10k++
			if e <= 0.01 {
				o.add10kWithin1++
			}
		}
	case statistic:
		if persons >= 1000 {
			o.stat1k++
			if e <= 0.05 {
				o.stat1kWithin5++
			}
			o.maxStat = math.Max(o.maxStat, e)
		}
	}
}

// expectedGroups are the truth groups the answer should hold: those of at
// least K persons, narrowed by the question's LIMIT or HAVING.
func expectedGroups(q utilityQuestion, truth map[string]truthGroup) map[string]bool {
	out := map[string]bool{}
	var all []truthGroup
	for _, g := range truth {
		if g.persons >= utilityK {
			all = append(all, g)
		}
	}
	switch {
	case q.topN > 0:
		sort.Slice(all, func(i, j int) bool { return all[i].values[0] > all[j].values[0] })
		cut := 0.0
		if len(all) > q.topN {
			cut = all[q.topN].values[0]
		}
		for _, g := range all[:min(q.topN, len(all))] {
			if g.values[0] > 1.05*cut {
				out[g.key] = true
			}
		}
	case q.having > 0:
		for _, g := range all {
			if g.values[0] > 1.05*q.having {
				out[g.key] = true
			}
		}
	default:
		for _, g := range all {
			out[g.key] = true
		}
	}
	return out
}

// utilityTable renders the outcomes as a markdown table.
func utilityTable(outcomes []*utilityOutcome) string {
	pct := func(ok, n int) string {
		if n == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f%% (%d/%d)", 100*float64(ok)/float64(n), ok, n)
	}
	maxe := func(e float64, n int) string {
		if n == 0 {
			return "–"
		}
		if math.IsInf(e, 1) {
			return "missing"
		}
		return fmt.Sprintf("%.3f%%", 100*e)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Disclosure utility: %d persons, %d settlements, K = %d. Shares count figures "+
		"(one per group and value column); a group of >= 100 persons left out counts as a miss.\n\n", utilityPersons, utilityPersons, utilityK)
	b.WriteString("| Question | Status | Groups released | Truth groups ≥ 100 persons | Counts/sums within 5% (≥ 100 persons) | " +
		"Within 1% (≥ 10,000 persons) | Max rel. error, counts/sums | Statistics within 5% (≥ 1,000 persons) | " +
		"Max rel. error, statistics | Truth groups < K | Groups < K released | Time |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var add100, add100ok, add10k, add10kok, stat1k, stat1kok, answered int
	for _, o := range outcomes {
		if o.status != "released" {
			status := "**" + o.status + "**"
			if o.q.optional != "" {
				status = o.status + " (alternative to " + o.q.optional + ")"
			}
			fmt.Fprintf(&b, "| %s %s | %s | – | – | – | – | – | – | – | %d | – | %v |\n", o.q.id, o.q.title, status,
				o.truthSmall, o.elapsed.Round(time.Millisecond))
			continue
		}
		answered++
		add100, add100ok = add100+o.add100, add100ok+o.add100Within5
		add10k, add10kok = add10k+o.add10k, add10kok+o.add10kWithin1
		stat1k, stat1kok = stat1k+o.stat1k, stat1kok+o.stat1kWithin5
		fmt.Fprintf(&b, "| %s %s | released | %d | %d | %s | %s | %s | %s | %s | %d | %d | %v |\n", o.q.id, o.q.title, o.released, o.truth100,
			pct(o.add100Within5, o.add100), pct(o.add10kWithin1, o.add10k), maxe(o.maxAdd, o.add100),
			pct(o.stat1kWithin5, o.stat1k), maxe(o.maxStat, o.stat1k), o.truthSmall, o.small, o.elapsed.Round(time.Millisecond))
	}
	fmt.Fprintf(&b, "| **All answered (%d of %d)** | | | | %s | %s | | %s | | | | |\n", answered, len(outcomes),
		pct(add100ok, add100), pct(add10kok, add10k), pct(stat1kok, stat1k))
	return b.String()
}

// checkTruthAgainstRaw recomputes a few truths in Go from the raw rows the
// fixture loaded, so that a mistake in the truth SQL (or a view reading other
// data) cannot make a wrong answer look right.
func checkTruthAgainstRaw(t *testing.T, f *wstest.Fixture, questions []utilityQuestion, truths []map[string]truthGroup) {
	t.Helper()
	col := func(table, name string) int {
		for i, h := range f.Raw[table][0] {
			if h == name {
				return i
			}
		}
		t.Fatalf("%s has no column %s", table, name)
		return -1
	}
	pop, med := f.Raw[wstest.PopulationTable][1:], f.Raw[wstest.MedicalTable][1:]
	if len(pop) != utilityPersons || len(med) != utilityPersons {
		t.Fatalf("raw rows: %d persons, %d settlements", len(pop), len(med))
	}
	pid, gender, county := col(wstest.PopulationTable, "id_number"), col(wstest.PopulationTable, "gender"), col(wstest.PopulationTable, "county")
	mid, diag, amount := col(wstest.MedicalTable, "id_number"), col(wstest.MedicalTable, "diagnosis_category"), col(wstest.MedicalTable, "total_amount")
	genderOf := map[string]string{}
	for _, r := range pop {
		genderOf[r[pid]] = r[gender]
	}
	type acc struct {
		n, sum  float64
		persons map[string]bool
	}
	add := func(m map[string]*acc, key, person string, v float64) {
		a := m[key]
		if a == nil {
			a = &acc{persons: map[string]bool{}}
			m[key] = a
		}
		a.n++
		a.sum += v
		a.persons[person] = true
	}
	byDiag, byGenderDiag, byCountyGender, visits := map[string]*acc{}, map[string]*acc{}, map[string]*acc{}, map[string]int{}
	for _, r := range med {
		v, err := strconv.ParseFloat(r[amount], 64)
		if err != nil {
			t.Fatalf("amount %q: %v", r[amount], err)
		}
		add(byDiag, r[diag], r[mid], v)
		if g, ok := genderOf[r[mid]]; ok {
			add(byGenderDiag, g+" | "+r[diag], r[mid], v)
		}
		visits[r[mid]]++
	}
	for _, r := range pop {
		add(byCountyGender, r[county]+" | "+r[gender], r[pid], 1)
	}
	byVisits := map[string]*acc{}
	for person, n := range visits {
		add(byVisits, strconv.Itoa(n), person, 1)
	}
	truthOf := func(id string) map[string]truthGroup {
		for i, q := range questions {
			if q.id == id {
				return truths[i]
			}
		}
		t.Fatalf("no question %s", id)
		return nil
	}
	compare := func(id string, raw map[string]*acc, sumCol int) {
		t.Helper()
		tr := truthOf(id)
		if len(tr) != len(raw) {
			t.Errorf("%s: truth has %d groups, raw rows %d", id, len(tr), len(raw))
		}
		for key, a := range raw {
			g, ok := tr[key]
			switch {
			case !ok:
				t.Errorf("%s: raw group %s missing from the truth", id, key)
			case g.values[0] != a.n || g.persons != int64(len(a.persons)):
				t.Errorf("%s %s: truth %v/%d persons, raw %v/%d", id, key, g.values[0], g.persons, a.n, len(a.persons))
			case sumCol > 0 && math.Abs(g.values[sumCol]-a.sum) > 0.005*a.n:
				t.Errorf("%s %s: truth sum %v, raw %v", id, key, g.values[sumCol], a.sum)
			}
		}
	}
	compare("Q1", byDiag, 0)
	compare("Q7", byGenderDiag, 0)
	compare("Q11a", byCountyGender, 0)
	compare("Q5", byVisits, 0)
	// Q13a: inpatient stays and spend, from the raw rows.
	vt := col(wstest.MedicalTable, "visit_type")
	inpatient := map[string]*acc{}
	for _, r := range med {
		if r[vt] == "住院" {
			v, _ := strconv.ParseFloat(r[amount], 64)
			add(inpatient, r[diag], r[mid], v)
		}
	}
	compare("Q13a", inpatient, 1)
	// Q3a: visits and spend by month, the month being the date's prefix.
	vd := col(wstest.MedicalTable, "visit_date")
	byMonth := map[string]*acc{}
	for _, r := range med {
		v, _ := strconv.ParseFloat(r[amount], 64)
		add(byMonth, r[vd][:7], r[mid], v)
	}
	compare("Q3a", byMonth, 1)
	if t.Failed() {
		t.FailNow()
	}
}

// The scorer itself: noise inside and outside the bounds, a big group left
// out, a small group released, a group that is not in the truth, HAVING and
// LIMIT narrowing what is expected.
func TestDisclosureUtility_R4_2_R28_3_ScorerCountsMissesAndLeaks(t *testing.T) {
	truth := map[string]truthGroup{
		"a": {key: "a", values: []float64{20000, 0.5}, persons: 20000},
		"b": {key: "b", values: []float64{500, 0.4}, persons: 500},
		"c": {key: "c", values: []float64{300, 0.3}, persons: 300},
		"d": {key: "d", values: []float64{12, 0.2}, persons: 12},
		"e": {key: "e", values: []float64{2000, 0.1}, persons: 1500},
	}
	q := utilityQuestion{id: "T", keys: 1, kinds: []valueKind{additive, statistic}}
	res := sandboxResult{Status: "released", Columns: []string{"k", "n", "share"}, Rows: [][]any{
		{"a", 20300.0, 0.5},  // 1.5% off: within 5%, not within 1%
		{"b", "510", 0.4},    // 2% off, as text
		{"d", 12.0, 0.2},     // fewer than K persons
		{"e", 2000.0, 0.104}, // statistic 4% off
		{"zz", 1.0, 1.0},     // not in the truth
	}}
	o := &utilityOutcome{q: q}
	o.score(res, truth)
	// Additive figures of >= 100 persons: a, b, e released, c missing.
	if o.add100 != 4 || o.add100Within5 != 3 || o.add10k != 1 || o.add10kWithin1 != 0 {
		t.Errorf("additive tally %+v", o)
	}
	if !math.IsInf(o.maxAdd, 1) {
		t.Errorf("a missing group must make the maximum error infinite, got %v", o.maxAdd)
	}
	// Statistics of >= 1,000 persons: a (exact) and e (4% off).
	if o.stat1k != 2 || o.stat1kWithin5 != 2 || math.Abs(o.maxStat-0.04) > 1e-9 {
		t.Errorf("statistic tally %+v", o)
	}
	if o.small != 1 || o.truth100 != 4 || o.missing != 1 || len(o.errors) != 2 {
		t.Errorf("small %d, truth100 %d, missing %d, errors %q", o.small, o.truth100, o.missing, o.errors)
	}

	// HAVING n > 400: c (300) is not expected, and releasing it is an error.
	q.having = 400
	o = &utilityOutcome{q: q}
	o.score(sandboxResult{Columns: res.Columns, Rows: [][]any{{"a", 20000.0, 0.5}, {"b", 500.0, 0.4}, {"e", 2000.0, 0.1}}}, truth)
	if len(o.errors) != 0 || o.add100 != 3 || o.add100Within5 != 3 || o.truth100 != 3 {
		t.Errorf("HAVING: %+v", o)
	}
	o = &utilityOutcome{q: q}
	o.score(sandboxResult{Columns: res.Columns, Rows: [][]any{{"a", 20000.0, 0.5}, {"b", 500.0, 0.4}, {"c", 300.0, 0.3}, {"e", 2000.0, 0.1}}}, truth)
	if len(o.errors) != 1 {
		t.Errorf("HAVING let c through unnoticed: %q", o.errors)
	}

	// LIMIT 2 by n: a and e are the top 2 and lead b by more than 5%; e,
	// of 1,500 persons, left out is an error.
	q.having, q.topN = 0, 2
	o = &utilityOutcome{q: q}
	o.score(sandboxResult{Columns: res.Columns, Rows: [][]any{{"a", 20000.0, 0.5}, {"b", 500.0, 0.4}}}, truth)
	if o.truth100 != 2 || o.add100 != 3 || o.add100Within5 != 2 || len(o.errors) != 1 {
		t.Errorf("LIMIT: %+v", o)
	}

	// Keys: JSON numbers, numeric text, midnight timestamps and dates agree.
	for _, c := range []struct {
		cell any
		want string
	}{{500.0, "500"}, {"500", "500"}, {int64(2025), "2025"}, {"2025-03-01T00:00:00Z", "2025-03-01"},
		{time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), "2025-03-01"}, {"2025-03", "2025-03"}, {nil, "NULL"}} {
		if got := keyCell(c.cell); got != c.want {
			t.Errorf("keyCell(%#v) = %q, want %q", c.cell, got, c.want)
		}
	}
}
