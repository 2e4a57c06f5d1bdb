package sandbox

import (
	"fmt"
	"testing"
)

// addTable creates a source table from rows of (id, county, amount) and
// grants it to the fixture's workspace.
func addTable(t *testing.T, f *fixture, name string, onePerPerson bool, rows [][3]any) {
	t.Helper()
	src := "src_" + name
	mustExec(t, f.conn, "CREATE TABLE "+src+" (id VARCHAR, county VARCHAR, amount DOUBLE)")
	insertBatches(t, f.conn, src, len(rows), 3, func(i int) []any { return rows[i][:] })
	f.ws.Tables = append(f.ws.Tables, Table{Name: name, Source: src, PersonKey: "id", OnePerPerson: onePerPerson,
		Columns: []Column{
			{Name: "id", Type: "VARCHAR", Policy: Identifier},
			{Name: "county", Type: "VARCHAR", Policy: Quasi},
			{Name: "amount", Type: "DOUBLE", Policy: Sensitive},
		}})
}

func cellOf(t *testing.T, res *Result, county string) (any, bool) {
	t.Helper()
	for _, r := range res.Rows {
		if r[0] == county {
			return r[1], true
		}
	}
	return nil, false
}

// Someone with many settlements is one contributor: no single record
// dominates 640521, but one person's records together hold 87% of it.
func TestDominancePerPerson_R28_3(t *testing.T) {
	f := newFixture(t)
	var rows [][3]any
	for i := 0; i < 30; i++ {
		rows = append(rows, [3]any{fmt.Sprintf("p%02d", i), "640521", 100.0})
	}
	for j := 0; j < 200; j++ {
		rows = append(rows, [3]any{"whale", "640521", 100.0})
	}
	for i := 0; i < 30; i++ {
		for j := 0; j < 10; j++ {
			rows = append(rows, [3]any{fmt.Sprintf("q%02d", i), "640502", 50.0 + float64(j)})
		}
	}
	addTable(t, f, "claims", false, rows)
	for _, q := range []string{
		"SELECT county, sum(amount) AS s FROM claims GROUP BY county",
		"SELECT county, avg(amount) AS s FROM claims GROUP BY county",
		"SELECT county, round(sum(amount) / 1000, 1) AS s FROM claims GROUP BY county",
	} {
		res := f.run(t, q)
		if res.Status != Released {
			t.Fatalf("%q: %s %v", q, res.Status, res.Reasons)
		}
		if v, ok := cellOf(t, res, "640521"); !ok || v != nil {
			t.Errorf("%q: cell dominated by one person released: %v (present %v)", q, v, ok)
		}
		if v, ok := cellOf(t, res, "640502"); !ok || v == nil {
			t.Errorf("%q: undominated cell suppressed: %v", q, res.Rows)
		}
		if !hasReason(res, "dominance") {
			t.Errorf("%q: reasons %v", q, res.Reasons)
		}
	}
	// The undominated cell is exact: 30 persons × Σ(50..59).
	res := f.run(t, "SELECT county, sum(amount) AS s FROM claims WHERE county = '640502' GROUP BY county")
	if v, _ := cellOf(t, res, "640502"); v != 30.0*545 {
		t.Errorf("sum %v, want %v", v, 30.0*545)
	}
	// The same rows declared one per person would wrongly count 230
	// contributors of 100 each: the flag is what makes dominance per record.
	addTable(t, f, "claims_flat", true, rows)
	res = f.run(t, "SELECT county, sum(amount) AS s FROM claims_flat GROUP BY county")
	if v, _ := cellOf(t, res, "640521"); v == nil {
		t.Errorf("per-record dominance hid equal records: %v", res.Rows)
	}
}

// Cells the same-pass bound cannot decide go to the exact query: the top
// record holds 40% (under Top1 = 50%, over Top2/2 = 35%), so the second one
// decides.
func TestDominanceExactTopTwo_R28_3(t *testing.T) {
	f := newFixture(t)
	var rows [][3]any
	add := func(county string, amounts ...float64) {
		for _, a := range amounts {
			rows = append(rows, [3]any{fmt.Sprintf("x%03d", len(rows)), county, a})
		}
	}
	// 640502: 40 + 35 + ten of 2.5 → top two hold 75% > 70%: hidden.
	add("640502", 40, 35, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5)
	// 640521: 40 + eleven of 60/11 → top two hold 45%: released.
	add("640521", 40)
	for i := 0; i < 11; i++ {
		add("640521", 60.0/11)
	}
	// 640522: mixed signs; -1000 dwarfs twenty of +10 in absolute terms: hidden.
	add("640522", -1000)
	for i := 0; i < 20; i++ {
		add("640522", 10)
	}
	addTable(t, f, "grants", true, rows)
	res := f.run(t, "SELECT county, sum(amount) AS s FROM grants GROUP BY county")
	if res.Status != Released || len(res.Rows) != 3 {
		t.Fatalf("%s %v %v", res.Status, res.Rows, res.Reasons)
	}
	want := map[string]bool{"640502": true, "640521": false, "640522": true}
	for c, hidden := range want {
		v, _ := cellOf(t, res, c)
		if (v == nil) != hidden {
			t.Errorf("%s: cell %v, want hidden=%v", c, v, hidden)
		}
	}
}

// K counts persons, not rows, also behind a FILTER; rows without a person
// key count as nobody.
func TestKCountsPersonsNotRows_R28_3(t *testing.T) {
	f := newFixture(t)
	var rows [][3]any
	for i := 0; i < 3; i++ {
		for j := 0; j < 10; j++ {
			rows = append(rows, [3]any{fmt.Sprintf("a%d", i), "640502", 900.0})
		}
	}
	for j := 0; j < 20; j++ {
		rows = append(rows, [3]any{nil, "640502", 100.0})
	}
	for i := 0; i < 12; i++ {
		rows = append(rows, [3]any{fmt.Sprintf("b%02d", i), "640521", 100.0}, [3]any{fmt.Sprintf("b%02d", i), "640521", 100.0})
	}
	// Three persons with many large rows in 640521 too.
	for i := 0; i < 3; i++ {
		for j := 0; j < 10; j++ {
			rows = append(rows, [3]any{fmt.Sprintf("c%d", i), "640521", 900.0})
		}
	}
	addTable(t, f, "claims", false, rows)
	res := f.run(t, `SELECT county, count(*) AS n, count(*) FILTER (WHERE amount > 500) AS big
		FROM claims GROUP BY county`)
	if res.Status != Released || len(res.Rows) != 1 || res.Shape.Suppressed != 1 {
		t.Fatalf("%s %v %v", res.Status, res.Rows, res.Reasons)
	}
	if r := res.Rows[0]; r[0] != "640521" || r[1] != int64(54) || r[2] != nil {
		t.Errorf("row %v: want 640521 with 54 rows and the 3-person FILTER count hidden", r)
	}
}
