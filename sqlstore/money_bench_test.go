package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// BenchmarkStatements measures issuing one month's statements for many
// merchants with many charge lines each (issue 14 asks for 1,000 merchants
// × 10,000 lines in under 5 s) against a baseline measured in the same
// run on the same file: the bare set-based work any statement run must do,
// one GROUP BY over the month's open lines and one UPDATE that marks them
// billed, in one transaction, with no audit, no deductions and no notices
// (docs/performance.md §10):
//
//	SHUYU_BENCH_MERCHANTS=1000 SHUYU_BENCH_LINES=1000 go test ./sqlstore/ -run '^$' -bench Statements -benchtime 1x
//
// The lines are written with plain INSERTs (setup, not measured). SQLite
// only: the statement run is one write transaction on either backend.
func BenchmarkStatements(b *testing.B) {
	merchants, lines := benchEnv("SHUYU_BENCH_MERCHANTS", 1000), benchEnv("SHUYU_BENCH_LINES", 1000)
	var issue, bare time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := benchBills(b, merchants, lines)
		// Baseline: the bare aggregate and update, on a copy of the same lines.
		if _, err := db.SQL().Exec(`CREATE TABLE bare_charges AS SELECT * FROM money_charges`); err != nil {
			b.Fatal(err)
		}
		if _, err := db.SQL().Exec(`CREATE INDEX bare_open ON bare_charges(org_id, statement_id, at)`); err != nil {
			b.Fatal(err)
		}
		_, to := shuyu.Period("2026-03").Bounds()
		t0 := time.Now()
		tx, err := db.SQL().Begin()
		if err != nil {
			b.Fatal(err)
		}
		rows, err := tx.Query(`SELECT org_id, count(*), sum(amount_fen) FROM bare_charges WHERE statement_id IS NULL AND at < ? GROUP BY org_id`, to.UnixMicro())
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if _, err := tx.Exec(`UPDATE bare_charges SET statement_id = org_id, status = 'billed' WHERE statement_id IS NULL AND at < ?`, to.UnixMicro()); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		bare += time.Since(t0)
		if n != merchants {
			b.Fatalf("baseline saw %d merchants", n)
		}
		b.StartTimer()
		t1 := time.Now()
		rep, err := db.IssueStatements(context.Background(), shuyu.System, "2026-03")
		issue += time.Since(t1)
		if err != nil || rep.Statements != merchants || rep.Lines != merchants*lines {
			b.Fatalf("issue: %+v %v", rep, err)
		}
	}
	b.ReportMetric(issue.Seconds()/float64(b.N), "issue_s")
	b.ReportMetric(bare.Seconds()/float64(b.N), "bare_s")
	b.ReportMetric(issue.Seconds()/bare.Seconds(), "issue/bare")
	b.ReportMetric(float64(merchants*lines), "lines")
}

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchBills is a fresh SQLite store with one priced item, merchants
// merchants and lines charge lines each in March 2026, clocked in April.
func benchBills(b *testing.B, merchants, lines int) *sqlstore.DB {
	b.Helper()
	db, clock := sqltest.Open(b, "sqlite")
	clock.Set(time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC))
	ctx := context.Background()
	auth := &shuyu.Actor{Username: "bench", Roles: []shuyu.Role{shuyu.RoleAuthority}}
	it, err := db.CreatePriceItem(ctx, auth, shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "基准服务", Class: "基准",
		Unit: shuyu.UnitCall, Purpose: shuyu.PurposeIndustry, CapFen: 100})
	if err != nil {
		b.Fatal(err)
	}
	var price int64
	if err := db.SQL().QueryRow(`SELECT id FROM money_prices WHERE item_id = ?`, it.ID).Scan(&price); err != nil {
		b.Fatal(err)
	}
	tx, err := db.SQL().Begin()
	if err != nil {
		b.Fatal(err)
	}
	org, err := tx.Prepare(`INSERT INTO orgs (kind, name, region, created_at) VALUES ('merchant', ?, '640500', 0)`)
	if err != nil {
		b.Fatal(err)
	}
	line, err := tx.Prepare(`INSERT INTO money_charges (org_id, item_id, price_id, source, source_id, quantity, price_fen, amount_fen,
		status, at, created_at) VALUES (?, ?, ?, 'api_call', ?, 1, 37, 37, 'open', ?, 0)`)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, shuyu.MoneyZone).UnixMicro()
	src := 0
	for m := 0; m < merchants; m++ {
		res, err := org.Exec(fmt.Sprintf("基准数据商%04d", m))
		if err != nil {
			b.Fatal(err)
		}
		id, _ := res.LastInsertId()
		for l := 0; l < lines; l++ {
			src++
			if _, err := line.Exec(id, it.ID, price, src, start+int64(l)*1_000_000); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	clock.Set(time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC))
	return db
}
