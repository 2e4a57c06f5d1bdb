package sandbox

import "testing"

// Rule 3c (docs/disclosure.md): sensitive numbers split at round numbers
// only — in conditions, group keys, and values passed out of a subquery or a
// withheld result — so no threshold can be moved by one cent onto one
// person's amount.
func TestAmountsSplitOnlyAtRoundNumbers_R28_3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	refused := []string{
		"SELECT county, count(*) AS n FROM people WHERE income = 45678 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE income BETWEEN 0 AND 45678.5 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE income > 45678 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE income IN (45678, 50000) GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE income * 1.2345 > 50000 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE income + 0.37 > 50000 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE income % 100 = 56 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE CAST(income AS VARCHAR) LIKE '%78' GROUP BY county",
		"SELECT county, count(*) FILTER (WHERE income < 45678) AS n FROM people GROUP BY county",
		"SELECT CASE WHEN income BETWEEN 0 AND 45678 THEN 'a' ELSE 'b' END AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT floor(income / 1234) * 1234 AS b, count(*) AS n FROM people GROUP BY 1",
		"SELECT floor((income + 37) / 500) * 500 AS b, count(*) AS n FROM people GROUP BY 1",
		"SELECT width_bucket(income, 0, 100000, 81) AS b, count(*) AS n FROM people GROUP BY 1",
		"SELECT county, count(*) AS n FROM people WHERE least(income, 45678) = 45678 GROUP BY county",
		"SELECT t.n, count(*) AS k FROM (SELECT s.id, sum(s.amount) * 1.2345 AS x, count(*) AS n FROM settlements s GROUP BY s.id) t GROUP BY t.n",
		"SELECT t.n, count(*) AS k FROM (SELECT s.id, count(*) AS n FROM settlements s GROUP BY s.id HAVING sum(s.amount) > 1234.56) t GROUP BY t.n",
		"SELECT t.n, count(*) AS k FROM (SELECT s.id, count(*) AS n, sum(s.amount) AS total FROM settlements s GROUP BY s.id) t WHERE t.total > 1234.56 GROUP BY t.n",
		"SELECT county, income * 1.2345 AS y FROM people",
		"SELECT county, CAST(income AS VARCHAR) AS y FROM people",
		"SELECT county, count(*) AS n FROM people WHERE income = '45678' GROUP BY county",
		"SELECT t.county, count(*) AS n FROM (SELECT county, CAST(income AS VARCHAR) AS s FROM people) t WHERE t.s LIKE '4567%' GROUP BY t.county",
		"SELECT t.n, count(*) AS k FROM (SELECT s.id, count(*) AS n, CAST(sum(s.amount) AS VARCHAR) AS total FROM settlements s GROUP BY s.id) t GROUP BY t.n",
	}
	for _, q := range refused {
		r := f.run(t, q)
		if r.Status != Rejected || !hasReason(r, "amount_grain") {
			t.Errorf("%q: %s %v, want refused for a threshold that is not round", q, r.Status, r.Reasons)
		}
	}
	expectStatus(t, f, Released,
		"SELECT county, count(*) AS n FROM people WHERE income > 60000 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE income BETWEEN 50000 AND 59999 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE income >= 12500 AND income < 37500 GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE income * 2 > 100000 GROUP BY county",
		"SELECT county, count(*) FILTER (WHERE income < 30000) AS low FROM people GROUP BY county",
		"SELECT floor(income / 5000) * 5000 AS b, count(*) AS n FROM people GROUP BY 1",
		"SELECT width_bucket(income, 0, 100000, 20) AS b, count(*) AS n FROM people GROUP BY 1",
		"SELECT CASE WHEN income < 40000 THEN '低' WHEN income < 70000 THEN '中' ELSE '高' END AS g, count(*) AS n FROM people GROUP BY 1",
		"SELECT t.n, count(*) AS k FROM (SELECT s.id, count(*) AS n, sum(s.amount) AS total FROM settlements s GROUP BY s.id) t WHERE t.total >= 1000 GROUP BY t.n",
		"SELECT county, sum(income * 1.2345) AS s FROM people GROUP BY county",
		"SELECT county, count(*) AS n FROM people WHERE CAST(income AS INTEGER) >= 50000 GROUP BY county",
	)
	for _, v := range []float64{0, 1, 5, 10, 12, 99, 125, 1250, 3750, 10000, 0.5, 0.25, 999, 59999, 99.99} {
		if !roundNumber(v) {
			t.Errorf("%v should be round", v)
		}
	}
	for _, v := range []float64{123, 1234, 45678, 1234.56, 0.123, 997} {
		if roundNumber(v) {
			t.Errorf("%v should not be round", v)
		}
	}
}
