package sandbox

import (
	"math"
	"strings"
	"testing"
)

// dpFixture turns the fixture's workspace into DP mode with income bounded
// to [0, 100000] (the tycoon's 5e8 lies far outside).
func dpFixture(t *testing.T, budget, perQuery float64) *fixture {
	f := newFixture(t)
	f.ws.Epsilon = budget
	f.ws.DP = DPSettings{QueryEpsilon: perQuery}
	for i := range f.ws.Tables {
		for j := range f.ws.Tables[i].Columns {
			c := &f.ws.Tables[i].Columns[j]
			if c.Name == "income" || c.Name == "amount" {
				c.Bounds = &Bounds{Lower: 0, Upper: 100000}
			}
		}
	}
	return f
}

func byCounty(t *testing.T, f *fixture) map[string]int {
	m := map[string]int{}
	for _, p := range f.people {
		m[p.County]++
	}
	return m
}

func TestDPBudgetExhausted_R28_3(t *testing.T) {
	t.Parallel()
	f := dpFixture(t, 1, 0.25)
	const q = "SELECT county, count(*) AS n FROM people GROUP BY county"
	for i := 0; i < 4; i++ {
		res := f.run(t, q)
		if res.Status != Released || len(res.Rows) != 3 || !hasReason(res, "dp_noise") {
			t.Fatalf("release %d: %s %v %v", i+1, res.Status, res.Rows, res.Reasons)
		}
	}
	res := f.run(t, q)
	if res.Status != Rejected || len(res.Rows) != 0 || !hasReason(res, "dp_budget") {
		t.Fatalf("fifth release: %s %v %v", res.Status, res.Rows, res.Reasons)
	}
	if msg := res.Reasons[0].Message; !strings.Contains(msg, "差分隐私预算已用完") || !strings.Contains(msg, "已使用 1") {
		t.Errorf("reason %q", msg)
	}
	entries, _ := f.eng.Releases.Load(f.ctx, f.ws.ID)
	if len(entries) != 4 || newHistory(entries).spent != 1 {
		t.Errorf("budget record %+v", entries)
	}
	// Row-level work stays possible: it releases nothing and spends nothing.
	if r := f.run(t, "SELECT county, income FROM people"); r.Status != Withheld {
		t.Errorf("withheld query: %s %v", r.Status, r.Reasons)
	}
}

func TestDPNoiseUnbiased_R28_3(t *testing.T) {
	t.Parallel()
	const runs = 150
	f := dpFixture(t, runs, 1)
	want := byCounty(t, f)
	sums := map[string]float64{}
	distinct := map[string]map[int64]bool{}
	for i := 0; i < runs; i++ {
		res := f.run(t, "SELECT county, count(*) AS n FROM people GROUP BY county")
		if res.Status != Released || len(res.Rows) != 3 {
			t.Fatalf("run %d: %s %v", i, res.Status, res.Reasons)
		}
		for _, r := range res.Rows {
			c, n := r[0].(string), r[1].(int64)
			sums[c] += float64(n)
			if distinct[c] == nil {
				distinct[c] = map[int64]bool{}
			}
			distinct[c][n] = true
		}
	}
	// ε = 1 split over selection and the count: Laplace scale 2, std 2.83;
	// the mean of 150 draws has std 0.23.
	for c, n := range want {
		mean := sums[c] / runs
		if math.Abs(mean-float64(n)) > 1 {
			t.Errorf("%s: mean %.2f, true %d", c, mean, n)
		}
		if len(distinct[c]) < 5 {
			t.Errorf("%s: only %d distinct answers in %d runs: no noise?", c, len(distinct[c]), runs)
		}
	}
}

// Values clamp to the declared bounds: the tycoon's 5e8 income counts as
// 100000, so it cannot stand out in a sum or an average.
func TestDPBoundsEnforced_R28_3(t *testing.T) {
	t.Parallel()
	f := dpFixture(t, 100, 1)
	clamped, n := 0.0, 0
	for _, p := range f.people {
		if p.County == "640522" {
			clamped += math.Min(p.Income, 100000)
			n++
		}
	}
	res := f.run(t, "SELECT county, sum(income) AS s, avg(income) AS a FROM people GROUP BY county")
	if res.Status != Released || len(res.Rows) != 3 {
		t.Fatalf("%s %v", res.Status, res.Reasons)
	}
	for _, r := range res.Rows {
		if r[0] != "640522" {
			continue
		}
		// ε = 1/4 per draw, sensitivity 1e5: scale 4e5; 5e6 is over 12 scales.
		if s := r[1].(float64); math.Abs(s-clamped) > 5e6 {
			t.Errorf("sum %.0f, clamped truth %.0f (tycoon not clamped?)", s, clamped)
		}
		if a := r[2].(float64); a < 0 || a > 100000 {
			t.Errorf("avg %.0f outside the bounds", a)
		}
	}
	// Contribution limit: with MaxRows 1 a person counts once per group, so
	// settlements count persons, not rows.
	persons, rows := map[string]bool{}, 0
	for _, s := range f.settles {
		persons[s.ID] = true
		rows++
	}
	res = f.run(t, "SELECT count(*) AS n FROM settlements")
	if res.Status != Released || len(res.Rows) != 1 {
		t.Fatalf("%s %v", res.Status, res.Reasons)
	}
	if got := float64(res.Rows[0][0].(int64)); math.Abs(got-float64(len(persons))) > 40 || rows-len(persons) < 500 {
		t.Errorf("count %v, persons %d, rows %d", got, len(persons), rows)
	}
	// A group isolating one person is not released at all.
	res = f.run(t, "SELECT county, count(*) AS n FROM people WHERE income > 1000000 GROUP BY county")
	if len(res.Rows) != 0 {
		t.Errorf("single-person group released: %v", res.Rows)
	}
}

func TestDPRefusals_R28_3(t *testing.T) {
	t.Parallel()
	f := dpFixture(t, 10, 1)
	f.ws.Tables[0].Columns[5].Bounds = nil // income without bounds
	for q, code := range map[string]string{
		"SELECT county, sum(income) FROM people GROUP BY county":                          "dp_bounds",
		"SELECT county, avg(income * income) FROM people GROUP BY county":                 "dp_bounds",
		"SELECT county, median(income) FROM people GROUP BY county":                       "dp_item",
		"SELECT county, count(*) FILTER (WHERE gender = '男') FROM people GROUP BY county": "dp_item",
		"SELECT county, count(*) + 1 AS n FROM people GROUP BY county":                    "dp_item",
		"SELECT county, count(*) FROM people GROUP BY county HAVING count(*) > 10":        "dp_having",
		"SELECT county, count(*) AS n FROM people GROUP BY county ORDER BY n LIMIT 1":     "dp_modifier",
	} {
		res := f.run(t, q)
		if res.Status != Rejected || !hasReason(res, code) {
			t.Errorf("%q: %s %v, want %s", q, res.Status, res.Reasons, code)
		}
	}
	// Refusals spend nothing.
	if entries, _ := f.eng.Releases.Load(f.ctx, f.ws.ID); len(entries) != 0 {
		t.Errorf("refusals charged the budget: %+v", entries)
	}
}
