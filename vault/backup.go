package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
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

// CopyFile writes a consistent byte copy of the domain file to dst, fast
// (a plain file copy) and still consistent while the server writes:
// CHECKPOINT puts everything committed into the main file, an open
// transaction keeps DuckDB from checkpointing again during the copy (commits
// meanwhile go to the WAL, which the copy does not need), and the copy is
// kept only if the file's headers — which DuckDB rewrites last, after
// writing a checkpoint's blocks into free space, never over blocks in use —
// are byte-identical before and after it. Otherwise it retries, and after
// three tries it falls back to Snapshot (a logical copy, slower). An
// encrypted domain's copy is encrypted under the same data key. The copy is
// scratch: it is not fsynced (the caller archives it and syncs the archive).
func (d *Domain) CopyFile(ctx context.Context, dst string, key []byte) error {
	const op = "vault.CopyFile"
	for try := 0; try < 3; try++ {
		ok, err := d.copyOnce(ctx, dst)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if ok {
			return nil
		}
	}
	p, err := d.Snapshot(ctx, fmt.Sprintf("fallback-%d.duckdb", time.Now().UnixNano()), key)
	if err != nil {
		return err
	}
	defer os.Remove(p)
	return copyBytes(p, dst)
}

// headerSize covers DuckDB's file header and both database headers.
const headerSize = 3 * 4096

func (d *Domain) copyOnce(ctx context.Context, dst string) (bool, error) {
	err := d.StreamFile(ctx, func(r io.Reader, size int64) error {
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, r); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if errors.Is(err, ErrCopyChanged) {
		return false, nil
	}
	return err == nil, err
}

// ErrCopyChanged means StreamFile got no consistent copy: DuckDB rewrote
// the file's headers while the reader was being read (what was read must
// be thrown away), or it could not checkpoint first. Try again.
var ErrCopyChanged = errors.New("vault: the domain file changed while it was copied")

var errBusy = fmt.Errorf("%w (checkpoint refused: writers active)", ErrCopyChanged)

// StreamFile hands fn a reader of exactly size bytes over the checkpointed
// domain file, the same consistent byte copy CopyFile writes, without a
// scratch file: the caller (`shuyu backup`) streams it straight into the
// archive. It runs CHECKPOINT, holds a transaction open while fn reads (so
// DuckDB does not checkpoint again; commits meanwhile go to the WAL), and
// compares the file's headers before and after: ErrCopyChanged when they
// differ — then what fn wrote is not a consistent copy and the caller must
// discard it and try again. The bytes stay encrypted under the domain's
// data key (they are the file's own bytes). R28.1.
func (d *Domain) StreamFile(ctx context.Context, fn func(r io.Reader, size int64) error) error {
	src := filepath.Join(d.dir, dbFile)
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return SanitizeError(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return errBusy // other writers are active: try again
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return SanitizeError(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_tables()").Scan(&n); err != nil {
		return SanitizeError(err)
	}
	before, err := readHead(src)
	if err != nil {
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := fn(io.NewSectionReader(f, 0, fi.Size()), fi.Size()); err != nil {
		return err
	}
	after, err := readHead(src)
	if err != nil {
		return err
	}
	if !bytes.Equal(before, after) {
		return ErrCopyChanged
	}
	return nil
}

func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, headerSize)
	n, err := io.ReadFull(f, b)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	return b[:n], nil
}

// copyBytes copies src to dst without fsync (scratch copies).
func copyBytes(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// FileName is the domain file's name inside its directory.
const FileName = dbFile
