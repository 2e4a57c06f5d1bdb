package vault

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	identpkg "shuyu/ident"
)

// The SQL format macros must agree with package ident, the Go oracle, on
// valid values, near misses and garbage (R11.1).
func TestFormatMacros_R11_1_AgreeWithIdent(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	ctx := context.Background()
	c, err := d.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := createMacros(ctx, c); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	var cids, usccs, mobiles []string
	for i := 0; i < 100; i++ {
		id := identpkg.GenCitizenID(r, []string{"640502", "640521", "110101", "820000"}[i%4],
			time.Date(1900+r.IntN(120), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC), i%2 == 0)
		u := identpkg.GenUSCC(r, "640500")
		m := identpkg.GenMobile(r)
		cids = append(cids, id, mutate(r, id), id[:17]+"x", "99"+id[2:], id[:6]+"18000230"+id[14:])
		usccs = append(usccs, u, mutate(r, u), strings.ToLower(u), u[:17]+"I")
		mobiles = append(mobiles, m, "+86 "+m, "0086"+m, "86-"+m[:3]+"-"+m[3:], m[:10], "12"+m[2:], "+"+m, " "+m+" ", m+"a")
	}
	cids = append(cids, "", "abc", "11010519491231002X", "440524188001010014")
	usccs = append(usccs, "", "91350100M000100Y43", "9135010")
	// One query per macro over all the values (a query per value made this
	// the slowest test of the package); each value is a row, as in a load.
	check := func(macro string, vals []string, oracle func(string) bool) {
		t.Helper()
		rowsSQL := make([]string, len(vals))
		for i, v := range vals {
			rowsSQL[i] = fmt.Sprintf("(%d, '%s')", i, strings.ReplaceAll(v, "'", "''"))
		}
		rows, err := c.QueryContext(ctx, fmt.Sprintf("SELECT i, coalesce(%s(v), false) FROM (VALUES %s) AS t(i, v) ORDER BY i",
			macro, strings.Join(rowsSQL, ", ")))
		if err != nil {
			t.Fatalf("%s: %v", macro, err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var i int
			var got bool
			if err := rows.Scan(&i, &got); err != nil {
				t.Fatalf("%s: %v", macro, err)
			}
			if want := oracle(vals[i]); got != want {
				t.Errorf("%s(%q) = %v, ident says %v", macro, vals[i], got, want)
			}
			n++
		}
		if err := rows.Err(); err != nil || n != len(vals) {
			t.Fatalf("%s: %d of %d values checked: %v", macro, n, len(vals), err)
		}
	}
	check("sy_citizen_id_ok", cids, identpkg.ValidCitizenID)
	check("sy_uscc_ok", usccs, identpkg.ValidUSCC)
	check("sy_mobile_ok", mobiles, identpkg.ValidMobile)
}

func mutate(r *rand.Rand, s string) string {
	b := []byte(s)
	i := r.IntN(len(b))
	if b[i] >= '0' && b[i] <= '8' {
		b[i]++
	} else {
		b[i] = '0'
	}
	return string(b)
}

func TestQuality_R11_1_DateFormatAndUniqueCounted(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	spec := Spec{Entry: "licences", Columns: []Column{
		{Name: "code", Type: TypeString, Unique: true},
		{Name: "issued", Type: TypeString, Format: FormatDate},
	}}
	_, rep, err := load(t, d, spec, "code,issued\na,2024-01-31\na,2024-02-30\nb,31/01/2024\nc,\n", FileCSV)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range rep.Rules {
		got[r.Rule] = r.Failed
	}
	if got["unique"] != 1 || got["date"] != 2 || rep.Rows != 4 {
		t.Errorf("report = %+v", rep)
	}
	if rep.Score != 100*5.0/8 {
		t.Errorf("score = %v", rep.Score)
	}
}

func TestSpec_R2_1_ValidateRejectsUnsafeSpecs(t *testing.T) {
	t.Parallel()
	bad := []Spec{
		{Entry: "Bad-Name", Columns: []Column{{Name: "a", Type: TypeString}}},
		{Entry: "_vault_x", Columns: []Column{{Name: "a", Type: TypeString}}},
		{Entry: "x", Columns: nil},
		{Entry: "x", Columns: []Column{{Name: "a;drop", Type: TypeString}}},
		{Entry: "x", Columns: []Column{{Name: "a", Type: "blob"}}},
		{Entry: "x", Columns: []Column{{Name: "a", Type: TypeInteger, Format: FormatMobile}}},
		{Entry: "x", Columns: []Column{{Name: "a", Type: TypeInteger, Min: fp(5), Max: fp(1)}}},
		{Entry: "x", Columns: []Column{{Name: "a", Type: TypeString}, {Name: "A", Type: TypeString}}},
		{Entry: "x", PublicSource: true, NonPublic: true, Columns: []Column{{Name: "a", Type: TypeString}}},
	}
	for i, s := range bad {
		if err := s.Validate(); err == nil {
			t.Errorf("spec %d accepted", i)
		}
	}
	if err := peopleSpec().Validate(); err != nil {
		t.Errorf("good spec refused: %v", err)
	}
}
