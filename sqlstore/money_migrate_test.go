package sqlstore_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// Migration 0023 gives the lines already in a store their statement month:
// a billed line its statement's, an open line its own Beijing month or, if
// that month was issued, the month after the newest issued one; "billed"
// becomes an open line of an issued month. Run on a store migrated to 0022
// with lines written the old way.
func TestMoney_R14_2_Migration0023BackfillsStatementMonths(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, backend string) {
		dialect := sqlstore.SQLite
		var db *sql.DB
		var err error
		if backend == "postgres" {
			dialect = sqlstore.Postgres
			db, err = sql.Open("pgx", sqltest.FreshPostgres(t))
		} else {
			db, err = sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "old.db"))
		}
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		versions, sqls, err := sqlstore.MigrationSQL(dialect)
		if err != nil {
			t.Fatal(err)
		}
		exec := func(q string) {
			t.Helper()
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%v\n%s", err, q)
			}
		}
		apply := func(from, to int) {
			for i, v := range versions {
				if v >= from && v <= to {
					exec(sqls[i])
				}
			}
		}
		apply(0, 22)
		// One merchant; March 2026 issued with two lines (one billed, one
		// waived after a dispute); three open lines (µs since the epoch):
		// 5 April, 1 May 01:00 Beijing (30 April UTC), and 20 March, late.
		exec(`INSERT INTO orgs (id, kind, name, region, created_at) VALUES (7, 'merchant', '迁移测试数据商', '640500', 0)`)
		exec(`INSERT INTO money_items (id, service, product_id, name, class, unit, purpose, created_by, created_at)
			VALUES (1, 'other', 0, '服务', '服务', 'call', 'industry', 1, 0)`)
		exec(`INSERT INTO money_prices (id, item_id, version, kind, cap_fen, price_fen, price_set, from_at, by_user, by_name)
			VALUES (1, 1, 1, 'item', 100, 50, 1, 0, 1, '运营')`)
		exec(`INSERT INTO money_statements (id, org_id, period, lines, gross_fen, waived_fen, deduction_fen, total_fen, issued_at)
			VALUES (3, 7, '2026-03', 2, 100, 50, 0, 50, 1775000000000000)`)
		exec(`INSERT INTO money_charges (id, org_id, item_id, price_id, source, source_id, quantity, price_fen, amount_fen, status, at,
			statement_id, created_at) VALUES
			(1, 7, 1, 1, 'api_call', 1, 1, 50, 50, 'billed', 1772700000000000, 3, 0),
			(2, 7, 1, 1, 'api_call', 2, 1, 50, 50, 'waived', 1772700000000000, 3, 0),
			(3, 7, 1, 1, 'api_call', 3, 1, 50, 50, 'open', 1775350000000000, NULL, 0),
			(4, 7, 1, 1, 'api_call', 4, 1, 50, 50, 'open', 1777568400000000, NULL, 0),
			(5, 7, 1, 1, 'api_call', 5, 1, 50, 50, 'open', 1773960000000000, NULL, 0)`)
		apply(23, 23)
		want := map[int64][2]string{1: {"open", "2026-03"}, 2: {"waived", "2026-03"}, 3: {"open", "2026-04"},
			4: {"open", "2026-05"}, 5: {"open", "2026-04"}}
		rows, err := db.Query(`SELECT id, status, period FROM money_charges ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id int64
			var status, period string
			if err := rows.Scan(&id, &status, &period); err != nil {
				t.Fatal(err)
			}
			if w := want[id]; status != w[0] || period != w[1] {
				t.Errorf("line %d: %s %s, want %s %s", id, status, period, w[0], w[1])
			}
			n++
		}
		if n != len(want) {
			t.Fatalf("%d lines", n)
		}
		var period string
		var statements, lines, total int64
		if err := db.QueryRow(`SELECT period, statements, lines, total_fen FROM money_periods`).Scan(&period, &statements, &lines, &total); err != nil ||
			period != "2026-03" || statements != 1 || lines != 2 || total != 50 {
			t.Fatalf("issued months: %s %d %d %d %v", period, statements, lines, total, err)
		}
	})
}
