package vault

import (
	"context"
	"fmt"
	"strings"
)

// Digest tables (R28.5, consent-gated workspaces). The store knows a
// subject that granted consent only as a keyed digest of its ID; the domain
// holds the IDs themselves. DigestTable gives the current version of an
// entry a side table (k, d): each distinct value k of the subject key column
// and its digest d, computed by the caller's function (the store's keyed
// SM3). A consent-gated workspace then reads the rows whose key's digest is
// among the live grants' (workspace/consent.go). The table lives in the
// domain next to the version it maps, is built once per version, key and
// column (the name carries a fingerprint of the digest key, so a new key
// builds a new table), and never leaves the domain.

// DigestTable returns the name of the digest table of entry's current
// version and column, building it first if needed; tag is a short
// fingerprint of the digest function's key.
func (d *Domain) DigestTable(ctx context.Context, entry, column, tag string, digest func(string) (string, error)) (string, error) {
	const op = "vault.DigestTable"
	v, _, err := d.current(ctx, entry)
	if err != nil {
		return "", err
	}
	table := tableName(entry, v.N)
	kd := "_kd_" + table + "_" + column + "_" + tag
	d.idx.mu.Lock()
	defer d.idx.mu.Unlock()
	if d.idx.done[kd] {
		return kd, nil
	}
	var have int
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?`, kd).
		Scan(&have); err != nil {
		return "", fmt.Errorf("%s: %w", op, SanitizeError(err))
	}
	if have == 0 {
		if err := d.buildDigests(ctx, table, column, kd, digest); err != nil {
			return "", fmt.Errorf("%s: %w", op, err)
		}
	}
	if d.idx.done == nil {
		d.idx.done = map[string]bool{}
	}
	d.idx.done[kd] = true
	return kd, nil
}

// buildDigests creates kd in one transaction: a crash leaves no half table.
func (d *Domain) buildDigests(ctx context.Context, table, column, kd string, digest func(string) (string, error)) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return SanitizeError(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT DISTINCT CAST(%s AS VARCHAR) FROM %s WHERE %s IS NOT NULL", ident(column), ident(table), ident(column)))
	if err != nil {
		return SanitizeError(err)
	}
	var keys, digests []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return SanitizeError(err)
		}
		h, err := digest(k)
		if err != nil {
			rows.Close()
			return err
		}
		keys, digests = append(keys, k), append(digests, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return SanitizeError(err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return SanitizeError(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s (k VARCHAR NOT NULL, d VARCHAR NOT NULL)", ident(kd))); err != nil {
		return SanitizeError(err)
	}
	const batch = 500
	for i := 0; i < len(keys); i += batch {
		j := min(i+batch, len(keys))
		args := make([]any, 0, 2*(j-i))
		for n := i; n < j; n++ {
			args = append(args, keys[n], digests[n])
		}
		q := fmt.Sprintf("INSERT INTO %s VALUES %s", ident(kd), strings.TrimSuffix(strings.Repeat("(?, ?), ", j-i), ", "))
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return SanitizeError(err)
		}
	}
	return SanitizeError(tx.Commit())
}
