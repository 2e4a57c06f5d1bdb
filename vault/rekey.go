package vault

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"shuyu"
)

// Rotation of the domain's data key (docs/operations.md, "Rotating the
// domain's data key"). DuckDB cannot change a file's key in place, so the
// whole domain is copied into a new file encrypted under the new key
// (ATTACH both, COPY FROM DATABASE: tables, views, sequences and macros)
// and the caller swaps the copy in (cmd/shuyu, rotate.go, which makes the
// swap crash-safe).

// RotatingFile is the name of the copy under the new key while a rotation
// runs; it exists only until it replaces the domain file.
const RotatingFile = dbFile + ".rotating"

// Rekey copies the closed domain in dir, encrypted under oldKey, into
// dir/RotatingFile encrypted under newKey, checks that the copy holds the
// same tables with the same rows (count and content hash per table), the
// same views and sequences, and fsyncs it. The domain must not be open
// (DuckDB's file lock refuses a second writer: a running server). The old
// file is checkpointed (its WAL folded in) and otherwise left as it was.
// started, when set, is called once the copy has begun.
func Rekey(ctx context.Context, dir string, oldKey, newKey []byte, started func()) (string, error) {
	const op = "vault.Rekey"
	if len(oldKey) < 16 || len(newKey) < 16 {
		return "", fmt.Errorf("%s: data key too short", op)
	}
	src := filepath.Join(dir, dbFile)
	if _, err := os.Stat(src); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	dst := filepath.Join(dir, RotatingFile)
	os.Remove(dst)
	os.Remove(dst + ".wal")
	conn, err := duckdb.NewConnector("", func(driver.ExecerContext) error { return nil })
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, SanitizeError(err))
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := loadCrypto(ctx, db); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	// The statements hold keys: their errors are never passed on as they are.
	if _, err := db.ExecContext(ctx, fmt.Sprintf("ATTACH %s AS rekey_src (ENCRYPTION_KEY %s)", sqlString(src), keyLiteral(oldKey))); err != nil {
		if strings.Contains(err.Error(), "lock") {
			return "", fmt.Errorf("%s: %w", op, shuyu.Errorf(shuyu.ECONFLICT, "数据域正被另一进程使用，请先停止服务 (the domain is in use by another process: stop the server first)"))
		}
		return "", fmt.Errorf("%s: %w", op, shuyu.Errorf(shuyu.EINTERNAL, "无法以当前数据密钥打开数据域 (cannot open the domain under its current data key)"))
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf("ATTACH %s AS rekey_dst (ENCRYPTION_KEY %s)", sqlString(dst), keyLiteral(newKey))); err != nil {
		return "", fmt.Errorf("%s: cannot create the copy under the new key", op)
	}
	fail := func(err error) (string, error) {
		db.ExecContext(context.Background(), "DETACH rekey_dst")
		os.Remove(dst)
		os.Remove(dst + ".wal")
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if started != nil {
		started()
	}
	if _, err := db.ExecContext(ctx, "COPY FROM DATABASE rekey_src TO rekey_dst"); err != nil {
		return fail(SanitizeError(err))
	}
	want, err := fingerprint(ctx, db, "rekey_src")
	if err != nil {
		return fail(err)
	}
	got, err := fingerprint(ctx, db, "rekey_dst")
	if err != nil {
		return fail(err)
	}
	if want != got {
		return fail(errors.New("the copy under the new key differs from the domain"))
	}
	if _, err := db.ExecContext(ctx, "DETACH rekey_dst"); err != nil {
		return fail(SanitizeError(err))
	}
	if _, err := db.ExecContext(ctx, "DETACH rekey_src"); err != nil {
		return fail(SanitizeError(err))
	}
	if _, err := os.Stat(dst + ".wal"); err == nil {
		return fail(errors.New("the copy kept a WAL after it was closed"))
	}
	if err := syncFile(dst); err != nil {
		return fail(err)
	}
	return dst, syncFile(dir)
}

// loadCrypto gives db a crypto module for encrypted files (encrypt.go).
func loadCrypto(ctx context.Context, db *sql.DB) (string, error) {
	if _, err := db.ExecContext(ctx, "LOAD httpfs"); err == nil {
		return "openssl", nil
	}
	if _, err := db.ExecContext(ctx, "SET force_mbedtls_unsafe='true'"); err != nil {
		return "", fmt.Errorf("no crypto module for the encrypted domain: %w", SanitizeError(err))
	}
	return "mbedtls", nil
}

// fingerprint describes an attached database's content: every table with
// its row count and an order-independent hash of its rows, every view and
// sequence by name.
func fingerprint(ctx context.Context, db *sql.DB, cat string) (string, error) {
	var lines []string
	rows, err := db.QueryContext(ctx, `SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? AND NOT temporary`, cat)
	if err != nil {
		return "", SanitizeError(err)
	}
	var tables [][2]string
	for rows.Next() {
		var s, t string
		if err := rows.Scan(&s, &t); err != nil {
			rows.Close()
			return "", err
		}
		tables = append(tables, [2]string{s, t})
	}
	rows.Close()
	for _, t := range tables {
		var n int64
		var h string
		q := fmt.Sprintf(`SELECT count(*), coalesce(bit_xor(hash(r)), 0)::VARCHAR FROM %s.%s.%s AS r`, ident(cat), ident(t[0]), ident(t[1]))
		if err := db.QueryRowContext(ctx, q).Scan(&n, &h); err != nil {
			return "", SanitizeError(err)
		}
		lines = append(lines, fmt.Sprintf("table %s.%s %d %s", t[0], t[1], n, h))
	}
	for _, q := range []string{
		`SELECT 'view ' || schema_name || '.' || view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal`,
		`SELECT 'sequence ' || schema_name || '.' || sequence_name FROM duckdb_sequences() WHERE database_name = ?`,
	} {
		rows, err := db.QueryContext(ctx, q, cat)
		if err != nil {
			return "", SanitizeError(err)
		}
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				rows.Close()
				return "", err
			}
			lines = append(lines, l)
		}
		rows.Close()
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n"), nil
}

// Fingerprint describes the open domain's content like Rekey's check
// (tables with row counts and content hashes, views, sequences), for
// comparing a domain before and after an operation.
func (d *Domain) Fingerprint(ctx context.Context) (string, error) {
	var cat string
	if err := d.db.QueryRowContext(ctx, "SELECT current_database()").Scan(&cat); err != nil {
		return "", SanitizeError(err)
	}
	return fingerprint(ctx, d.db, cat)
}
