package vault

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// backupDir is where the running server writes consistent copies of the
// domain for `shuyu backup`; the lockdown lets DuckDB write only there and
// in staging.
func (d *Domain) backupDir() string { return filepath.Join(d.dir, "backup") }

// Snapshot writes a consistent copy of the whole domain (one transaction of
// DuckDB's COPY FROM DATABASE, taken while the server keeps serving) to a
// new file and returns its path; the caller moves it away and removes it.
// With key the copy is encrypted under it like the domain itself; an
// encrypted domain is never copied in clear.
func (d *Domain) Snapshot(ctx context.Context, name string, key []byte) (string, error) {
	const op = "vault.Snapshot"
	if d.encrypted && key == nil {
		return "", fmt.Errorf("%s: an encrypted domain is copied encrypted only", op)
	}
	if err := os.MkdirAll(d.backupDir(), 0o700); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	path := filepath.Join(d.backupDir(), filepath.Base(name))
	os.Remove(path)
	os.Remove(path + ".wal")
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, SanitizeError(err))
	}
	defer conn.Close()
	attach := fmt.Sprintf("ATTACH %s AS backup_copy", sqlString(path))
	if key != nil {
		attach = fmt.Sprintf("ATTACH %s AS backup_copy (ENCRYPTION_KEY %s)", sqlString(path), keyLiteral(key))
	}
	if _, err := conn.ExecContext(ctx, attach); err != nil {
		return "", fmt.Errorf("%s: cannot create the copy", op)
	}
	_, err = conn.ExecContext(ctx, "COPY FROM DATABASE "+catalog+" TO backup_copy")
	if _, derr := conn.ExecContext(context.Background(), "DETACH backup_copy"); err == nil && derr != nil {
		err = derr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("%s: %w", op, SanitizeError(err))
	}
	return path, syncFile(path)
}

// FileName is the domain file's name inside its directory.
const FileName = dbFile
