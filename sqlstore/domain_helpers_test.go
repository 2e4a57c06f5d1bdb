package sqlstore_test

import (
	"context"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
)

// domainField is a catalog field for test entries.
type domainField struct {
	name, label, typ string
	pi, spi          bool
}

// domainPeopleFields is a small population-like entry.
var domainPeopleFields = []domainField{
	{"id_no", "公民身份号码", "string", true, true},
	{"name", "姓名", "string", true, false},
	{"age", "年龄", "integer", false, false},
	{"county", "县区代码", "string", false, false},
}

// domainInsertEntry inserts a catalog entry owned by org directly with SQL
// (the catalog capability's API is not needed here); published=false leaves
// it a draft. It returns the entry id.
func domainInsertEntry(t testing.TB, db *sqlstore.DB, code string, org *shuyu.Actor, published bool, freq string, fields []domainField) int64 {
	t.Helper()
	ctx := context.Background()
	q := func(s string) string { return db.Rebind(s) }
	var id, rev int64
	if err := db.SQL().QueryRowContext(ctx, q(`INSERT INTO catalog_entries (code, org_id, region, created_at) VALUES (?, ?, ?, 0) RETURNING id`),
		code, org.OrgID, org.Region).Scan(&id); err != nil {
		t.Fatal(err)
	}
	status := "draft"
	if published {
		status = "published"
	}
	if err := db.SQL().QueryRowContext(ctx, q(`INSERT INTO catalog_revisions (entry_id, version, status, name, summary, grade,
		open_attr, public_source, auth_mode, update_freq, created_by, created_at, updated_at)
		VALUES (?, 1, ?, ?, '测试', 'important', 'conditional', ?, 'whole', ?, ?, 0, 0) RETURNING id`),
		id, status, "测试目录"+code, false, freq, org.UserID).Scan(&rev); err != nil {
		t.Fatal(err)
	}
	for i, f := range fields {
		if _, err := db.SQL().ExecContext(ctx, q(`INSERT INTO catalog_fields (revision_id, position, name, label, data_type, pi,
			sensitive_pi, trade_secret, grade) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'general')`),
			rev, i, f.name, f.label, f.typ, f.pi, f.spi, false); err != nil {
			t.Fatal(err)
		}
	}
	if published {
		if _, err := db.SQL().ExecContext(ctx, q(`UPDATE catalog_entries SET published_rev_id = ? WHERE id = ?`), rev, id); err != nil {
			t.Fatal(err)
		}
		// Written around the store: the public catalog's caches must hear of it.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE catalog_generation SET gen = gen + 1 WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// domainCount counts rows of a table (for "nothing changed" checks).
func domainCount(t testing.TB, db *sqlstore.DB, table string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
