package outcheck

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"shuyu/synth"
)

var testNow = time.Date(2025, 6, 16, 10, 0, 0, 0, time.UTC)

const testPeople = 3000

// domain is a real DuckDB standing for the sealed domain: the synthetic
// population, an income table derived from it, and a public-source table
// (R4.3).
type domain struct {
	db  *sql.DB
	idx *MemIndex
}

// testDomains are built once per size and shared by the (parallel) tests,
// which only read them.
var testDomains = struct {
	sync.Mutex
	m map[int]*domain
}{m: map[int]*domain{}}

func openDomain(t testing.TB, people int) *domain {
	t.Helper()
	testDomains.Lock()
	defer testDomains.Unlock()
	if d, ok := testDomains.m[people]; ok {
		return d
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one in-memory database
	var buf bytes.Buffer
	if err := synth.WriteCSV(&buf, "population", people, 7, testNow); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "outcheck")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "population.csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE population AS SELECT * FROM read_csv('" + path + "', header=true, types={'id_number':'VARCHAR','phone':'VARCHAR','county_code':'VARCHAR'})",
		// Incomes with cents, spread so that no two people share one.
		`CREATE TABLE income AS SELECT id_number, township, birth_date, gender, county,
			CAST(3000 + (hash(id_number) % 9000000) / 100.0 AS DECIMAL(12,2)) AS income FROM population`,
		`CREATE TABLE stops (line VARCHAR, stop VARCHAR, county VARCHAR)`,
		`INSERT INTO stops VALUES ('1路','鼓楼','沙坡头区'), ('1路','中卫火车站','沙坡头区'), ('2路','应理广场','沙坡头区')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := BuildDuckDB(ctx, db, []DuckTable{
		{Name: "population", Identifiers: []string{"id_number", "name", "phone", "address"}},
		{Name: "income", Identifiers: []string{"id_number"}},
		{Name: "stops", Public: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := &domain{db: db, idx: idx}
	testDomains.m[people] = d
	return d
}

// query returns the rows of q as text, for building test products inside
// the domain.
func (d *domain) query(t testing.TB, q string) (cols []string, rows [][]string) {
	t.Helper()
	r, err := d.db.Query("SELECT COLUMNS(*)::VARCHAR FROM (" + q + ")")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cols, _ = r.Columns()
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for r.Next() {
		if err := r.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		rows = append(rows, row)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, rows
}

func (d *domain) table(t testing.TB, name, q string) Table {
	cols, rows := d.query(t, q)
	return Table{Name: name, Columns: cols, Rows: rows}
}

var testRules = RuleSet{Version: 1, QuasiColumns: map[string][]string{"*": {"county", "township", "age_band", "gender", "ethnicity", "birth_date"}}}

func check(t testing.TB, d *domain, tables ...Table) *Report {
	t.Helper()
	r, err := Check(context.Background(), &Product{ID: "p1", Tables: tables}, testRules, d.idx)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustFail asserts the named check failed and reports its findings on error.
func mustFail(t *testing.T, r *Report, name string) Result {
	t.Helper()
	res := r.Check(name)
	if res.Status != Fail || r.Passed {
		t.Fatalf("check %s = %s (passed=%v), want fail; failed: %v; findings: %+v", name, res.Status, r.Passed, r.Failed(), res.Findings)
	}
	return res
}

// ageBand is the SQL for five 20-year age bands as of testNow.
const ageBand = `CASE WHEN date_diff('year', birth_date, DATE '2025-06-16') < 20 THEN '0-19'
	WHEN date_diff('year', birth_date, DATE '2025-06-16') < 40 THEN '20-39'
	WHEN date_diff('year', birth_date, DATE '2025-06-16') < 60 THEN '40-59'
	ELSE '60+' END`
