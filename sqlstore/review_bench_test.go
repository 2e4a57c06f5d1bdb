package sqlstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// reviewBulk inserts apps applications in review with reviewers reviews
// each (one per reviewer organization), all open; the first overdue
// applications' reviews are due at due, the others 1,000 hours later.
func reviewBulk(b *testing.B, db *sqlstore.DB, merchant int64, apps, overdue, reviewers int, due time.Time) {
	b.Helper()
	sqlDB := db.SQL()
	tx, err := sqlDB.Begin()
	if err != nil {
		b.Fatal(err)
	}
	exec := func(q string, args ...any) {
		if _, err := tx.Exec(db.Rebind(q), args...); err != nil {
			b.Fatal(err)
		}
	}
	var orgs []int64
	for i := range reviewers {
		var id int64
		if err := tx.QueryRow(db.Rebind(`INSERT INTO orgs (kind, name, region, created_at) VALUES ('source_dept', ?, '640500', 0) RETURNING id`),
			fmt.Sprintf("压测部门%03d", i)).Scan(&id); err != nil {
			b.Fatal(err)
		}
		orgs = append(orgs, id)
	}
	for a := 1; a <= apps; a++ {
		exec(`INSERT INTO applications (id, merchant_org_id, round, status, created_by, created_at, updated_at) VALUES (?, ?, 1, 'reviewing', 0, 0, 0)`, a, merchant)
		exec(`INSERT INTO application_rounds (application_id, round, title, scenario, tags, purpose, method, term_start, term_end,
			security, submitted_by, submitted_at, check_due) VALUES (?, 1, '压测申请', '场景', '', 'industry', 'sandbox', '2027-01-01', '2027-12-31', '措施', 0, 0, 0)`, a)
		var sb strings.Builder
		args := []any{}
		sb.WriteString(`INSERT INTO reviews (application_id, round, kind, org_id, status, opened_at, due_at) VALUES `)
		for i, o := range orgs {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(`(?, 1, 'source_dept', ?, 'open', 0, ?)`)
			d := due
			if a > overdue {
				d = due.Add(1000 * time.Hour)
			}
			args = append(args, a, o, d.UnixMicro())
		}
		exec(sb.String(), args...)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSweep_R21_3 measures the sweep over 100,000 open reviews
// (1,000 applications × 100 reviewers): "idle" when none is due (the
// every-minute case), "deem" when 1% (1,000 reviews of 10 applications)
// are overdue and each must be deemed approved, audited, announced and its
// application settled.
func BenchmarkSweep_R21_3(b *testing.B) {
	// Not sqltest.Each: a benchmark is a *testing.B, and its backends run
	// one after the other so that neither times the other's load.
	for _, backend := range sqltest.Backends(b) {
		b.Run(backend, func(b *testing.B) {
			db, clock := sqltest.Open(b, backend)
			a := sqltest.Seed(b, db)
			reviewBulk(b, db, a["merchant-a"].OrgID, reviewBenchApps, reviewBenchApps/100, 100, sqltest.Start.Add(time.Hour))
			b.Run("idle-100k", func(b *testing.B) {
				for b.Loop() {
					rep, err := db.Sweep(ctx)
					if err != nil || rep.Deemed != 0 {
						b.Fatal(rep, err)
					}
				}
			})
			b.Run("deem-1k-of-100k", func(b *testing.B) {
				clock.Set(sqltest.Start.Add(2 * time.Hour))
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					for _, q := range []string{`UPDATE reviews SET status = 'open' WHERE status <> 'open'`, `UPDATE applications SET status = 'reviewing' WHERE status <> 'reviewing'`} {
						if _, err := db.SQL().Exec(q); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
					rep, err := db.Sweep(ctx)
					if err != nil || rep.Deemed != reviewBenchApps || rep.Approved != reviewBenchApps/100 {
						b.Fatal(rep, err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(reviewBenchApps), "µs/review")
			})
		})
	}
}

var _ = shuyu.ReviewOpen

// reviewBenchApps × 100 reviewers is the number of open reviews swept.
var reviewBenchApps = 1000
