package sandbox

import (
	"testing"
)

func TestMaskingFunctions_R28_5(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// An age band is a group key only (rule 3b: as a row value it could be
	// tested further out); the withheld birth date is banded here with the
	// engine's own function over the raw connection.
	res := f.run(t, "SELECT mask_hash(id) AS h, mask_partial(name, 1, 0) AS nm, birth_date AS bd, to_year(birth_date) AS y, county_of(id) AS c, income FROM people")
	if res.Status != Withheld || len(res.Rows) != 0 {
		t.Fatalf("row-level masked output must stay in the domain: %s %v", res.Status, res.Reasons)
	}
	tbl := res.Shape.Table
	wt, ok := f.ws.table(tbl)
	if !ok || wt.Source != "ws_w1."+tbl {
		t.Fatalf("withheld table %q not granted to the workspace in its schema: %+v", tbl, wt)
	}
	want := map[string]person{}
	for _, p := range f.people {
		want[MaskHash(f.ws.Secret, p.ID)] = p
	}
	rows, err := f.conn.QueryContext(f.ctx, "SELECT h, nm, shuyu_age_band(bd, 5, '"+refDate.Format("2006-01-02")+"') AS band, y, c, __aid0 FROM "+wt.Source)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var h, nm, band, c, pk string
		var y int64
		if err := rows.Scan(&h, &nm, &band, &y, &c, &pk); err != nil {
			t.Fatal(err)
		}
		p, ok := want[h]
		if !ok || p.ID != pk {
			t.Fatalf("hash %s is not HMAC-SM3 of the ID", h)
		}
		r := []rune(p.Name)
		if nm != string(r[0])+"**" && len(r) == 3 {
			t.Errorf("mask_partial(%s) = %s", p.Name, nm)
		}
		if band != ageBand(p.Birth, 5) || int(y) != p.Birth.Year() || c != p.ID[:6] {
			t.Errorf("%s: band %s year %d county %s", p.ID, band, y, c)
		}
		n++
	}
	if n != len(f.people) {
		t.Fatalf("%d rows", n)
	}
	// The withheld table keeps its policies: identifiers count, never show.
	res = f.run(t, "SELECT age_band(bd, 5) AS band, count(DISTINCT h) AS persons, avg(income) FROM "+tbl+" GROUP BY band")
	if res.Status != Released || len(res.Rows) == 0 {
		t.Fatalf("aggregate over withheld table: %s %v", res.Status, res.Reasons)
	}
	expectStatus(t, f, Rejected,
		"SELECT h, count(*) FROM "+tbl+" GROUP BY h",
		"SELECT nm AS x, count(*) FROM "+tbl+" GROUP BY x",
	)
	// A different workspace secret gives different hashes (keyed, R28.5).
	if MaskHash([]byte("another-secret-0000"), f.people[0].ID) == MaskHash(f.ws.Secret, f.people[0].ID) {
		t.Error("hash is not keyed")
	}
}

func TestJoinOnMaskedHash_R28_5(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res := f.run(t, "SELECT county, count(*) AS n FROM people p JOIN settlements s ON mask_hash(p.id) = mask_hash(s.id) GROUP BY county")
	if res.Status != Released || len(res.Rows) != 3 {
		t.Fatalf("%s %v", res.Status, res.Reasons)
	}
}
