package vault

import (
	"context"
	"testing"
)

// A key index is built on the current version's table, found again at no
// cost, and built anew for the next version; it never changes what the
// entry's view answers. Issue 17 speed (docs/performance.md §11).
func TestKeyIndex_R28_4_PerVersionSameAnswers(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	ctx := context.Background()
	if _, _, err := load(t, d, peopleSpec(), goodCSV(), FileCSV); err != nil {
		t.Fatal(err)
	}
	c, err := d.Locked(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	indexes := func() map[string]string {
		out := map[string]string{}
		rows, err := c.QueryContext(ctx, `SELECT table_name, index_name FROM duckdb_indexes()`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var tb, ix string
			if err := rows.Scan(&tb, &ix); err != nil {
				t.Fatal(err)
			}
			out[tb] = ix
		}
		return out
	}
	names := func() []string {
		rows, err := c.QueryContext(ctx, `SELECT name FROM people WHERE id_no = (SELECT min(id_no) FROM people) ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			out = append(out, n)
		}
		return out
	}
	before := names()
	if ok, err := d.KeyIndex(ctx, "people", "id_no"); err != nil || !ok {
		t.Fatalf("KeyIndex = %v, %v", ok, err)
	}
	if ix := indexes(); ix["v_people_1"] == "" {
		t.Fatalf("no index on version 1: %v", ix)
	}
	if got := names(); len(got) != len(before) || len(got) == 0 || got[0] != before[0] {
		t.Errorf("answers changed with the index: %v, was %v", got, before)
	}
	if ok, err := d.KeyIndex(ctx, "people", "no_such_column"); err != nil || ok {
		t.Errorf("unknown column: %v, %v", ok, err)
	}
	ids := genIDs(6)
	if _, _, err := load(t, d, peopleSpec(), "id_no,name,age,county,income,born,mobile\n"+ids[4]+",新版,1,,,,\n", FileCSV); err != nil {
		t.Fatal(err)
	}
	if ix := indexes(); ix["v_people_2"] != "" {
		t.Fatalf("version 2 indexed before its first keyed read: %v", ix)
	}
	if ok, err := d.KeyIndex(ctx, "people", "id_no"); err != nil || !ok {
		t.Fatalf("KeyIndex v2 = %v, %v", ok, err)
	}
	if ix := indexes(); ix["v_people_2"] == "" {
		t.Fatalf("no index on version 2: %v", ix)
	}
	if got := names(); len(got) != 1 || got[0] != "新版" {
		t.Errorf("the view reads %v after the switch, want the new version's row", got)
	}
	// A domain with key indexes is still copied whole (backups).
	if _, err := d.Snapshot(ctx, "with-index.duckdb", []byte("vault-test-data-key-32-bytes-ok!")); err != nil {
		t.Errorf("snapshot with key indexes: %v", err)
	}
	if err := d.CopyFile(ctx, t.TempDir()+"/copy.duckdb", []byte("vault-test-data-key-32-bytes-ok!")); err != nil {
		t.Errorf("file copy with key indexes: %v", err)
	}
}
