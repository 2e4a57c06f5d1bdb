package sqlstore

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Migrations are numbered SQL files per dialect, embedded in the binary and
// applied in order, each in its own transaction together with its row in
// schema_migrations, so a crash leaves either all or none of a migration.
//
//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func migrations(d Dialect) ([]migration, error) {
	dir := "migrations/" + string(d)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", name)
		}
		b, err := fs.ReadFile(migrationFS, dir+"/"+name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, name, string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a number", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// MigrationsDigest is a SHA-256 over the names and contents of dialect d's
// embedded migrations. sqltest keys its migrated template database by it,
// so that a changed migration is never served from a stale template.
func MigrationsDigest(d Dialect) (string, error) {
	ms, err := migrations(d)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%d %s %d\n%s\n", m.version, m.name, len(m.sql), m.sql)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// migrate applies pending migrations. On PostgreSQL an advisory lock makes
// concurrent starts of several servers safe.
func (d *DB) migrate(ctx context.Context) error {
	ms, err := migrations(d.dialect)
	if err != nil {
		return fmt.Errorf("sqlstore: migrations: %w", err)
	}
	create := `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`
	if _, err := d.db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("sqlstore: migrations: %w", err)
	}
	for _, m := range ms {
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
		if d.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7466337)`); err != nil {
				tx.Rollback()
				return fmt.Errorf("sqlstore: migration lock: %w", err)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, d.Rebind(`SELECT count(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
		if n > 0 {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.version, m.name, micros(d.now())); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
	}
	return nil
}
