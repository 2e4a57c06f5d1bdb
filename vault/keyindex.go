package vault

import (
	"context"
	"fmt"
	"sync"
)

// Key indexes (issue 17, docs/performance.md §11). An API-service call reads
// one subject's rows by its key (a citizen ID or credit code); without an
// index DuckDB scans the whole version for every call. KeyIndex gives the
// current version's table an ART index on the key column, once: versions
// never change after their switch, so an index built for one stays right
// until the version is replaced, and a new version gets its own at its first
// keyed read. The index only changes how rows are found, never which rows
// a statement sees: suspension, consent and every check stay where they
// are (the store's call transaction).

type keyIndexes struct {
	mu   sync.Mutex // held while an index is built: one build per table and column
	done map[string]bool
}

// KeyIndex makes sure the current version of entry has an index on column
// and reports whether it has one. The first call per version builds it
// (seconds for millions of rows); later calls cost a map lookup.
func (d *Domain) KeyIndex(ctx context.Context, entry, column string) (bool, error) {
	v, _, err := d.current(ctx, entry)
	if err != nil {
		return false, err
	}
	table := tableName(entry, v.N)
	k := table + "\x00" + column
	d.idx.mu.Lock()
	defer d.idx.mu.Unlock()
	if d.idx.done[k] {
		return true, nil
	}
	var n int
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ? AND column_name = ?`,
		table, column).Scan(&n); err != nil {
		return false, fmt.Errorf("vault.KeyIndex: %w", SanitizeError(err))
	}
	if n != 1 {
		return false, nil // not a column of the version: nothing to index
	}
	q := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s)", ident("kx_"+table+"_"+column), ident(table), ident(column))
	if _, err := d.db.ExecContext(ctx, q); err != nil {
		return false, fmt.Errorf("vault.KeyIndex: %w", SanitizeError(err))
	}
	if d.idx.done == nil {
		d.idx.done = map[string]bool{}
	}
	d.idx.done[k] = true
	return true, nil
}
