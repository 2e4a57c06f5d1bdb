package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// BenchmarkStatements measures issuing one month's statements for many
// merchants with many charge lines each (issue 14 asks for 1,000 merchants
// × 10,000 lines in under 5 s) against a baseline measured in the same
// run on the same file: the bare aggregate any statement run must do, one
// GROUP BY org_id over the month's lines (read only: no statement written,
// no audit, no deductions, no notices) (docs/performance.md §10):
//
//	SHUYU_BENCH_MERCHANTS=1000 SHUYU_BENCH_LINES=10000 go test ./sqlstore/ -run '^$' -bench Statements -benchtime 1x
//
// The lines are written with set-based INSERTs (setup, not measured), with
// their statement month set as DB.Charge sets it. SQLite unless
// SHUYU_BENCH_BACKEND=postgres (with SHUYU_TEST_POSTGRES); on PostgreSQL
// the work is in the server, so only wall times are reported.
func BenchmarkStatements(b *testing.B) {
	merchants, lines := benchEnv("SHUYU_BENCH_MERCHANTS", 1000), benchEnv("SHUYU_BENCH_LINES", 1000)
	backend := "sqlite"
	if os.Getenv("SHUYU_BENCH_BACKEND") == "postgres" {
		backend = "postgres"
	}
	var issue, bare, issueCPU, bareCPU time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := benchBills(b, backend, merchants, lines)
		// Baseline: the bare aggregate over the same lines.
		t0, c0 := time.Now(), cpuTime(b)
		rows, err := db.SQL().Query(`SELECT org_id, count(*), sum(amount_fen) FROM money_charges WHERE period = '2026-03' GROUP BY org_id`)
		if err != nil {
			b.Fatal(err)
		}
		n, sumLines := 0, 0
		for rows.Next() {
			var org, c, fen int64
			if err := rows.Scan(&org, &c, &fen); err != nil {
				b.Fatal(err)
			}
			n++
			sumLines += int(c)
		}
		rows.Close()
		bare += time.Since(t0)
		bareCPU += cpuTime(b) - c0
		if n != merchants || sumLines != merchants*lines {
			b.Fatalf("baseline saw %d merchants, %d lines", n, sumLines)
		}
		b.StartTimer()
		t1, c1 := time.Now(), cpuTime(b)
		rep, err := db.IssueStatements(context.Background(), shuyu.System, "2026-03")
		issue += time.Since(t1)
		issueCPU += cpuTime(b) - c1
		if err != nil || rep.Statements != merchants || rep.Lines != merchants*lines || rep.TotalFen != int64(merchants*lines*37) {
			b.Fatalf("issue: %+v %v", rep, err)
		}
	}
	b.ReportMetric(issue.Seconds()/float64(b.N), "issue_s")
	b.ReportMetric(bare.Seconds()/float64(b.N), "bare_s")
	b.ReportMetric(issue.Seconds()/bare.Seconds(), "issue/bare")
	// CPU time (user + system) of the process during each phase: what the
	// wall time would be on an otherwise idle machine, both being one
	// SQLite statement stream on one core.
	if backend == "sqlite" {
		b.ReportMetric(issueCPU.Seconds()/float64(b.N), "issue_cpu_s")
		b.ReportMetric(bareCPU.Seconds()/float64(b.N), "bare_cpu_s")
	}
	b.ReportMetric(float64(merchants*lines), "lines")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchBills is a fresh store with one priced item, merchants merchants
// and lines charge lines each in March 2026, clocked in April.
func benchBills(b *testing.B, backend string, merchants, lines int) *sqlstore.DB {
	b.Helper()
	db, clock := sqltest.Open(b, backend)
	clock.Set(time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC))
	ctx := context.Background()
	auth := &shuyu.Actor{Username: "bench", Roles: []shuyu.Role{shuyu.RoleAuthority}}
	it, err := db.CreatePriceItem(ctx, auth, shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "基准服务", Class: "基准",
		Unit: shuyu.UnitCall, Purpose: shuyu.PurposeIndustry, CapFen: 100})
	if err != nil {
		b.Fatal(err)
	}
	var price int64
	if err := db.SQL().QueryRow(db.Rebind(`SELECT id FROM money_prices WHERE item_id = ?`), it.ID).Scan(&price); err != nil {
		b.Fatal(err)
	}
	tx, err := db.SQL().Begin()
	if err != nil {
		b.Fatal(err)
	}
	org, err := tx.Prepare(db.Rebind(`INSERT INTO orgs (kind, name, region, created_at) VALUES ('merchant', ?, '640500', 0) RETURNING id`))
	if err != nil {
		b.Fatal(err)
	}
	// One merchant's lines in one statement: line l at March 1st + l
	// seconds, source ids numbered on from base.
	line, err := tx.Prepare(db.Rebind(`INSERT INTO money_charges (org_id, item_id, price_id, source, source_id, quantity, price_fen,
		amount_fen, status, at, period, created_at)
		WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
		SELECT ?, ?, ?, 'api_call', ? + i, 1, 37, 37, 'open', ? + CAST(i AS BIGINT) * 1000000, '2026-03', 0 FROM n`))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, shuyu.MoneyZone).UnixMicro()
	for m := 0; m < merchants; m++ {
		var id int64
		if err := org.QueryRow(fmt.Sprintf("基准数据商%04d", m)).Scan(&id); err != nil {
			b.Fatal(err)
		}
		if _, err := line.Exec(lines, id, it.ID, price, m*lines+1, start); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if backend == "postgres" {
		// As autovacuum does over a month of charging: the statistics and
		// the visibility map an index-only scan needs.
		if _, err := db.SQL().Exec(`VACUUM ANALYZE money_charges`); err != nil {
			b.Fatal(err)
		}
	}
	clock.Set(time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC))
	return db
}
