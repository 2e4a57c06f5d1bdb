package vault

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// BenchmarkLoad_R10_1_1MRows loads a generated 1M-row, 10-column CSV with a
// validated citizen ID column through Load, and reports its speed as a ratio
// against DuckDB's bare CREATE TABLE AS read_csv of the same file measured in
// the same run (goal: ratio >= 0.5).
func BenchmarkLoad_R10_1_1MRows(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "big.csv")
	ids := genIDs(1000)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id_no,name,age,county,income,born,mobile,c8,c9,c10")
	counties := []string{"640502", "640521", "640522"}
	for i := 0; i < 1_000_000; i++ {
		fmt.Fprintf(w, "%s,name%d,%d,%s,%d.%02d,19%02d-%02d-%02d,1%d%09d,%d,text%d,%d\n",
			ids[i%1000], i, i%100, counties[i%3], i%50000, i%100, 50+i%50, 1+i%12, 1+i%28, 3+i%7, i, i*7, i%97, i%2)
	}
	w.Flush()
	f.Close()
	spec := peopleSpec()
	spec.Columns[0].Unique = false // the generator repeats IDs
	spec.Columns = append(spec.Columns, Column{Name: "c8", Type: TypeInteger}, Column{Name: "c9", Type: TypeString}, Column{Name: "c10", Type: TypeInteger})
	var base, ours time.Duration
	for i := 0; i < b.N; i++ {
		// Baseline: bare DuckDB, fresh file database, no restrictions.
		c, err := duckdb.NewConnector(filepath.Join(dir, fmt.Sprintf("base%d.duckdb", i)), nil)
		if err != nil {
			b.Fatal(err)
		}
		db := sql.OpenDB(c)
		db.Exec("SET threads=2")
		t0 := time.Now()
		if _, err := db.Exec("CREATE TABLE t AS SELECT * FROM read_csv(" + sqlString(path) + ")"); err != nil {
			b.Fatal(err)
		}
		base += time.Since(t0)
		db.Close()

		d, err := Open(filepath.Join(dir, fmt.Sprintf("dom%d", i)), Options{Threads: 2, MemoryLimit: "2GB"})
		if err != nil {
			b.Fatal(err)
		}
		src, _ := os.Open(path)
		t0 = time.Now()
		v, rep, err := d.Load(context.Background(), spec, src, FileCSV, LoadOptions{})
		ours += time.Since(t0)
		src.Close()
		if err != nil {
			b.Fatal(err)
		}
		if v.Rows != 1_000_000 || rep.Rules[0].Failed != 0 {
			b.Fatalf("rows %d, citizen id failures %d", v.Rows, rep.Rules[0].Failed)
		}
		d.Close()
	}
	b.ReportMetric(base.Seconds()/float64(b.N), "baseline-s/op")
	b.ReportMetric(ours.Seconds()/float64(b.N), "load-s/op")
	b.ReportMetric(base.Seconds()/ours.Seconds(), "ratio")
}
