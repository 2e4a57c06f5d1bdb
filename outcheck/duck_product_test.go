package outcheck

import (
	"context"
	"database/sql"
	"testing"
)

// Product tables round-trip through DuckDB as delivered text: numbers in
// plain notation (never 1e+06), NULL as the empty cell; only prod_<id>_<n>
// names are accepted, so no caller can write or read a raw table this way.
func TestDuckProductTable_R4_2_RoundTripAndNames(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	rows := [][]any{{"沙坡头区", int64(1200000), 1234567.5}, {"海原县", nil, 0.25}}
	if err := DuckWriteTable(ctx, db, "prod_7_1", []string{"county", "n", "avg"}, rows); err != nil {
		t.Fatal(err)
	}
	tb, err := DuckProductTable(ctx, db, "prod_7_1", "stats")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Materialize(tb)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"沙坡头区", "1200000", "1234567.5"}, {"海原县", "", "0.25"}}
	if len(m.Rows) != 2 || m.Name != "stats" {
		t.Fatalf("rows %v", m.Rows)
	}
	for i := range want {
		for j := range want[i] {
			if m.Rows[i][j] != want[i][j] {
				t.Errorf("cell %d,%d: %q, want %q", i, j, m.Rows[i][j], want[i][j])
			}
		}
	}
	for _, bad := range []string{"population", "v_zw_ga_0001_1", "prod_1_1; DROP TABLE x", ""} {
		if err := DuckWriteTable(ctx, db, bad, []string{"a"}, nil); err == nil {
			t.Errorf("write %q accepted", bad)
		}
		if _, err := DuckProductTable(ctx, db, bad, "x"); err == nil {
			t.Errorf("read %q accepted", bad)
		}
	}
}
