package outcheck

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
)

func TestBuildDuckDB_R4_3_R28_3_IndexesProtectedTablesOnly(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	cols := map[string]RawColumn{}
	for _, c := range d.idx.Columns() {
		cols[c.Table+"."+c.Name] = c
		if c.Table == "stops" {
			t.Fatalf("public-source table indexed (R4.3): %+v", c)
		}
	}
	if c := cols["population.id_number"]; !c.Identifier || c.Distinct != testPeople || c.Rows != testPeople {
		t.Errorf("id_number: %+v", c)
	}
	if c := cols["population.birth_date"]; c.Identifier {
		t.Errorf("birth dates detected as an identifier: %+v", c)
	}
	if c := cols["income.income"]; !c.Numeric || c.Identifier {
		t.Errorf("income column: %+v", c)
	}
	_, rows := d.query(t, `SELECT id_number, phone, gender FROM population WHERE phone <> '' LIMIT 1`)
	id, phone, gender := rows[0][0], rows[0][1], rows[0][2]
	if _, set := d.idx.Lookup(" +86 " + phone[:3] + "-" + phone[3:7] + "-" + phone[7:]); !hasCol(d.idx, set, "population.phone") {
		t.Error("a decorated raw phone number is not found")
	}
	if _, set := d.idx.Lookup(id); !hasCol(d.idx, set, "population.id_number") || !hasCol(d.idx, set, "income.id_number") {
		t.Error("a raw ID number is not found in both tables")
	}
	if _, set := d.idx.Lookup("鼓楼"); set != 0 {
		t.Error("a value only in public-source data is indexed")
	}
	s256, m5, s3 := sha256.Sum256([]byte(id)), md5.Sum([]byte(gender)), sm3.Sum([]byte(strings.ToLower(id)))
	if !d.idx.MatchDigest(s256[:]) || !d.idx.MatchDigest(m5[:]) {
		t.Error("digests of a raw identifier and of a category value not found")
	}
	if strings.ContainsRune(id, 'X') && !d.idx.MatchDigest(s3[:]) {
		t.Error("digest of the lower-case spelling of an ID number not found")
	}
	other := sha256.Sum256([]byte("not in the domain"))
	if d.idx.MatchDigest(other[:]) {
		t.Error("a foreign digest matched")
	}
}

func TestBuildDuckDB_R28_3_BadInput(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	ctx := context.Background()
	if _, err := BuildDuckDB(ctx, d.db, []DuckTable{{Name: "no_such_table"}}); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
		t.Errorf("unknown table: %v", err)
	}
	err := d.idx.Scan(ctx, "population", []string{"id_number; DROP TABLE population"}, func([]string) error { return nil })
	if shuyu.ErrorCode(err) != shuyu.EINVALID {
		t.Errorf("unknown column: %v", err)
	}
	if err := d.idx.Scan(ctx, "stops", []string{"line"}, func([]string) error { return nil }); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
		t.Errorf("public table scanned through the index: %v", err)
	}
}

func hasCol(x RawIndex, set ColSet, name string) bool {
	cols := x.Columns()
	for _, c := range x.ColSet(set) {
		if cols[c].Table+"."+cols[c].Name == name {
			return true
		}
	}
	return false
}

// Invariant 1: a report carries counts and names, never a value of the
// product it judged.
func TestCheck_R28_3_ReportLeaksNoValues(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	products := []Table{
		d.table(t, "copy", `SELECT * FROM population LIMIT 30`),
		d.table(t, "incomes", `SELECT township, birth_date, gender, income FROM income`),
	}
	for _, tb := range products {
		out, err := json.Marshal(check(t, d, tb))
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range tb.Rows {
			for j, v := range row {
				if len(v) >= 8 && strings.Contains(string(out), v) {
					t.Fatalf("report on %s shows a value of column %s", tb.Name, tb.Columns[j])
				}
			}
		}
	}
}

func TestCheck_R28_3_StreamedTableAndCancel(t *testing.T) {
	t.Parallel()
	d := openDomain(t, testPeople)
	src := d.table(t, "people", `SELECT county, `+ageBand+` AS age_band, gender FROM population`)
	streamed := Table{Name: "people", Columns: src.Columns, Scan: func(yield func([]string) bool) error {
		row := make([]string, 3)
		for _, r := range src.Rows {
			copy(row, r) // the producer reuses its slice
			if !yield(row) {
				return nil
			}
		}
		return nil
	}}
	a, b := check(t, d, src), check(t, d, streamed)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("streamed and in-memory reports differ:\n%s\n%s", ja, jb)
	}
	big := benchTable(200_000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Check(ctx, &Product{Tables: []Table{big}}, testRules, d.idx); err == nil {
		t.Error("a canceled check returned a report")
	}
}
