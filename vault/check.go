package vault

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// File is the path of the domain's DuckDB file.
func (d *Domain) File() string { return filepath.Join(d.dir, dbFile) }

// Want is a version the metadata store says is mounted for an entry.
type Want struct {
	Entry string
	N     int
}

// Missing returns the wanted versions the domain does not hold: no
// recorded version or no physical table (a deleted domain file, or one
// replaced by an older copy). A deleted domain.duckdb is re-created empty by
// Open, so every wanted version is missing then; the server refuses to
// start on that (docs/operations.md, "Health and monitoring").
func (d *Domain) Missing(ctx context.Context, want []Want) ([]Want, error) {
	if _, err := os.Stat(d.File()); err != nil {
		return want, nil // the file itself is gone (deleted under a running server)
	}
	have := map[string]bool{}
	// A version counts while its table is there, current or not: during a
	// new load the domain switches before the metadata does.
	rows, err := d.db.QueryContext(ctx, `SELECT v.entry, v.n FROM _vault_versions v
		JOIN duckdb_tables() t ON t.schema_name = 'main' AND t.table_name = v.tbl`)
	if err != nil {
		return nil, fmt.Errorf("vault.Missing: %w", SanitizeError(err))
	}
	for rows.Next() {
		var e string
		var n int
		if err := rows.Scan(&e, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("vault.Missing: %w", SanitizeError(err))
		}
		have[fmt.Sprintf("%s/%d", e, n)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("vault.Missing: %w", SanitizeError(err))
	}
	var out []Want
	for _, w := range want {
		if !have[fmt.Sprintf("%s/%d", w.Entry, w.N)] {
			out = append(out, w)
		}
	}
	return out, nil
}
