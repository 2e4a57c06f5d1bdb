package sandbox

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// BenchmarkGovernedAggregate runs the same aggregate over a 10M-row table raw
// and governed, alternating, and reports governed/raw (issue goal ≤ 1.10).
func BenchmarkGovernedAggregate(b *testing.B) {
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	mustExec(b, conn, `CREATE TABLE big AS SELECT
		'64' || lpad(CAST(i AS VARCHAR), 16, '0') AS id,
		CASE i % 3 WHEN 0 THEN '640502' WHEN 1 THEN '640521' ELSE '640522' END AS county,
		CASE i % 2 WHEN 0 THEN '男' ELSE '女' END AS gender,
		20000 + (i * 7919) % 80000 AS income
		FROM range(10000000) t(i)`)
	if err := Lockdown(ctx, conn); err != nil {
		b.Fatal(err)
	}
	ws := &Workspace{ID: "bench", Secret: []byte("0123456789abcdef"), Tables: []Table{{
		Name: "people", Source: "big", PersonKey: "id", OnePerPerson: true, Columns: []Column{
			{Name: "id", Type: "VARCHAR", Policy: Identifier},
			{Name: "county", Type: "VARCHAR", Policy: Quasi},
			{Name: "gender", Type: "VARCHAR", Policy: Quasi},
			{Name: "income", Type: "BIGINT", Policy: Sensitive},
		}}}}
	eng := NewEngine(func() time.Time { return refDate })
	const governed = "SELECT county, gender, count(*) AS n, avg(income) AS a FROM people GROUP BY county, gender"
	const raw = "SELECT county, gender, count(*) AS n, avg(income) AS a FROM big GROUP BY county, gender"
	var rawT, govT time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, _, _, err := query(ctx, conn, raw); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		res, err := eng.Run(ctx, conn, ws, governed)
		if err != nil || res.Status != Released || len(res.Rows) != 6 {
			b.Fatalf("%v %+v", err, res)
		}
		t2 := time.Now()
		rawT += t1.Sub(t0)
		govT += t2.Sub(t1)
	}
	b.ReportMetric(float64(rawT.Microseconds())/float64(b.N)/1000, "raw-ms/op")
	b.ReportMetric(float64(govT.Microseconds())/float64(b.N)/1000, "governed-ms/op")
	b.ReportMetric(float64(govT)/float64(rawT), "governed/raw")
}
