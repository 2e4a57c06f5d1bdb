package sqlstore_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// Every migration exists for both dialects under the same name, so that a
// change to the schema cannot be made for one backend and forgotten for the
// other.
func TestMigrations_SameFilesPerDialect(t *testing.T) {
	t.Parallel()
	names := func(d string) []string {
		entries, err := os.ReadDir("migrations/" + d)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".sql") {
				out = append(out, e.Name())
			}
		}
		return out
	}
	lite, pg := names("sqlite"), names("postgres")
	if len(lite) == 0 || !slices.Equal(lite, pg) {
		t.Fatalf("migration files differ:\n sqlite:   %v\n postgres: %v", lite, pg)
	}
}

// column is what the parity test compares of a column: its name (types
// differ by dialect: INTEGER/BIGINT, BLOB/BYTEA) and whether it may be NULL.
// The columns of an SQLite virtual table (FTS5) cannot be declared NOT
// NULL, so there only names are compared.
type column struct {
	name    string
	notNull bool
	virtual bool
}

func sameColumns(a, b []column) bool {
	return slices.EqualFunc(a, b, func(x, y column) bool {
		return x.name == y.name && (x.virtual || y.virtual || x.notNull == y.notNull)
	})
}

// dialectColumns are the known, intended differences: on SQLite the catalog
// search is an FTS5 virtual table whose rowid is the entry id, so the
// column PostgreSQL names entry_id is implicit there.
var dialectColumns = map[sqlstore.Dialect][]string{
	sqlstore.Postgres: {"catalog_search.entry_id"},
}

// The SQLite and PostgreSQL migrations create the same tables with the same
// columns, and a column that is NOT NULL on one is NOT NULL on the other.
// Runs when PostgreSQL is configured (always in CI).
func TestMigrations_SameSchemaOnSQLiteAndPostgres(t *testing.T) {
	t.Parallel()
	if !slices.Contains(sqltest.Backends(t), "postgres") {
		t.Skip("needs PostgreSQL: set SHUYU_TEST_POSTGRES (scripts/pg-throwaway start prints a URL)")
	}
	schemas := map[sqlstore.Dialect]map[string][]column{}
	// Not sqltest.Each: the test compares the two schemas, so it needs both
	// stores in one function, not one per subtest.
	for _, b := range []string{"sqlite", "postgres"} {
		db, _ := sqltest.Open(t, b)
		s, err := schemaOf(db)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		for _, tc := range dialectColumns[db.Dialect()] {
			table, col, _ := strings.Cut(tc, ".")
			i := slices.IndexFunc(s[table], func(c column) bool { return c.name == col })
			if i < 0 {
				t.Errorf("%s: the known difference %s is gone; remove it from dialectColumns", b, tc)
				continue
			}
			s[table] = slices.Delete(s[table], i, i+1)
		}
		schemas[db.Dialect()] = s
	}
	lite, pg := schemas[sqlstore.SQLite], schemas[sqlstore.Postgres]
	if len(lite) < 10 {
		t.Fatalf("sqlite schema has %d tables; the schema query is broken", len(lite))
	}
	for _, table := range sortedKeys(lite, pg) {
		l, lok := lite[table]
		p, pok := pg[table]
		switch {
		case !pok:
			t.Errorf("table %s exists on SQLite only", table)
		case !lok:
			t.Errorf("table %s exists on PostgreSQL only", table)
		default:
			if !sameColumns(l, p) {
				t.Errorf("table %s differs (name, NOT NULL, virtual):\n sqlite:   %v\n postgres: %v", table, l, p)
			}
		}
	}
}

// schemaOf lists the store's tables (without the schema_migrations
// bookkeeping, SQLite's internal tables and FTS5 shadow tables) and each
// table's columns sorted by name. A primary-key column counts as NOT NULL
// (SQLite's INTEGER PRIMARY KEY does not say so but cannot be NULL).
func schemaOf(db *sqlstore.DB) (map[string][]column, error) {
	var q string
	switch db.Dialect() {
	case sqlstore.SQLite:
		q = `SELECT t.name, c.name, c."notnull" OR c.pk > 0, t.type = 'virtual' FROM pragma_table_list t, pragma_table_info(t.name) c
			WHERE t.schema = 'main' AND t.type IN ('table', 'virtual') AND t.name NOT LIKE 'sqlite\_%' ESCAPE '\'`
	case sqlstore.Postgres:
		q = `SELECT c.table_name, c.column_name, c.is_nullable = 'NO', false FROM information_schema.columns c
			JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
			WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'`
	default:
		return nil, fmt.Errorf("unknown dialect %q", db.Dialect())
	}
	rows, err := db.SQL().Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]column{}
	for rows.Next() {
		var table string
		var c column
		if err := rows.Scan(&table, &c.name, &c.notNull, &c.virtual); err != nil {
			return nil, err
		}
		if table == "schema_migrations" {
			continue
		}
		out[table] = append(out[table], c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, cols := range out {
		sort.Slice(cols, func(i, j int) bool { return cols[i].name < cols[j].name })
	}
	return out, nil
}

func sortedKeys(ms ...map[string][]column) []string {
	var out []string
	for _, m := range ms {
		for k := range m {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}
