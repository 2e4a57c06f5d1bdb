package sandbox

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestGoodCountByCounty_R4_2(t *testing.T) {
	f := newFixture(t)
	res := f.run(t, "SELECT county, count(*) AS n FROM people GROUP BY county ORDER BY county")
	if res.Status != Released {
		t.Fatalf("status %s, reasons %v", res.Status, res.Reasons)
	}
	want := map[string]int64{}
	for _, p := range f.people {
		want[p.County]++
	}
	if len(res.Rows) != len(want) {
		t.Fatalf("rows %v, want %d counties", res.Rows, len(want))
	}
	for _, r := range res.Rows {
		n, _ := toFloat(r[1])
		if int64(n) != want[r[0].(string)] {
			t.Errorf("county %v: got %v want %d", r[0], r[1], want[r[0].(string)])
		}
	}
	if strings.Join(res.Columns, ",") != "county,n" {
		t.Errorf("columns %v leak hidden ones", res.Columns)
	}
	if res.Metering.RowsScanned < int64(len(f.people)) || res.Metering.RowsReturned != 3 || res.Metering.Wall <= 0 {
		t.Errorf("metering %+v", res.Metering)
	}
	// R27.1: the shape for the audit has names and types, never values.
	b, _ := json.Marshal(res.Shape)
	if strings.Contains(string(b), "640502") || res.Shape.Rows != 3 || res.Shape.SQLHash == "" {
		t.Errorf("shape %s", b)
	}
}

func TestGoodAvgIncomeByAgeBandGender_R28_5(t *testing.T) {
	f := newFixture(t)
	res := f.run(t, `SELECT age_band(birth_date, 10) AS band, gender, avg(income) AS avg_income, count(*) AS n
		FROM people WHERE county <> '640522' GROUP BY band, gender`)
	if res.Status != Released {
		t.Fatalf("status %s, reasons %v", res.Status, res.Reasons)
	}
	type key struct{ band, g string }
	sum, cnt := map[key]float64{}, map[key]int{}
	for _, p := range f.people {
		if p.County == "640522" {
			continue
		}
		k := key{ageBand(p.Birth, 10), p.Gender}
		sum[k] += p.Income
		cnt[k]++
	}
	wantRows, small := 0, 0
	for k := range cnt {
		if cnt[k] >= 10 {
			wantRows++
		} else {
			small++
		}
	}
	if len(res.Rows) != wantRows || res.Shape.Suppressed != small {
		t.Fatalf("rows %d suppressed %d, want %d and %d", len(res.Rows), res.Shape.Suppressed, wantRows, small)
	}
	for _, r := range res.Rows {
		k := key{r[0].(string), r[1].(string)}
		avg, _ := toFloat(r[2])
		if want := sum[k] / float64(cnt[k]); math.Abs(avg-want) > 1e-6 {
			t.Errorf("%v: avg %v want %v", k, avg, want)
		}
	}
}

func TestGoodJoinOnIDAggregated_R4_2(t *testing.T) {
	f := newFixture(t)
	res := f.run(t, `SELECT p.county, count(DISTINCT p.id) AS persons, sum(s.amount) AS total
		FROM settlements s JOIN people p ON s.id = p.id GROUP BY p.county`)
	if res.Status != Released {
		t.Fatalf("status %s, reasons %v", res.Status, res.Reasons)
	}
	county := map[string]string{}
	for _, p := range f.people {
		county[p.ID] = p.County
	}
	total, persons := map[string]float64{}, map[string]map[string]bool{}
	for _, s := range f.settles {
		c := county[s.ID]
		total[c] += s.Amount
		if persons[c] == nil {
			persons[c] = map[string]bool{}
		}
		persons[c][s.ID] = true
	}
	if len(res.Rows) != len(total) {
		t.Fatalf("rows %v", res.Rows)
	}
	for _, r := range res.Rows {
		c := r[0].(string)
		n, _ := toFloat(r[1])
		tot, _ := toFloat(r[2])
		if int(n) != len(persons[c]) || math.Abs(tot-total[c]) > 1e-6 {
			t.Errorf("%s: got %v/%v want %d/%v", c, n, tot, len(persons[c]), total[c])
		}
	}
}

func TestGoodSmallCellsSuppressed_R28_3(t *testing.T) {
	f := newFixture(t)
	res := f.run(t, "SELECT county, to_month(birth_date) AS m, count(*) AS n FROM people GROUP BY county, m")
	if res.Status != Released {
		t.Fatalf("status %s %v", res.Status, res.Reasons)
	}
	cnt := map[string]int{}
	for _, p := range f.people {
		cnt[p.County+"|"+p.Birth.Format("2006-01")]++
	}
	small := 0
	for _, n := range cnt {
		if n < 10 {
			small++
		}
	}
	if small == 0 || res.Shape.Suppressed != small || len(res.Rows) != len(cnt)-small {
		t.Fatalf("suppressed %d rows %d, want %d and %d", res.Shape.Suppressed, len(res.Rows), small, len(cnt)-small)
	}
	for _, r := range res.Rows {
		if n, _ := toFloat(r[2]); n < 10 {
			t.Errorf("released a row of %v persons", n)
		}
	}
}
