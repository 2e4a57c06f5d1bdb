//go:build shuyu_fastaudit

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// Reading the trail on SQLite for verification, the fast way; built only
// with -tags shuyu_fastaudit (the default build reads through database/sql,
// audit_read_sqlite_portable.go). It calls SQLite's C API through
// modernc.org/sqlite/lib and modernc.org/libc with unsafe pointer casts, so
// it depends on those modules' generated internals: the versions it was
// checked with are written in audit_read_sqlite_test.go, whose
// TestAuditRead_FastReaderPairing fails (under the same tag) when go.mod
// moves away from them.
//
// database/sql over
// modernc.org/sqlite costs 3-4 times as much per event as hashing it: the
// driver opens its connections with SQLITE_OPEN_FULLMUTEX, so each of the 15
// column reads takes and releases the connection mutex, and it copies every
// value into a fresh Go allocation. The verifier needs neither: it opens its
// own read-only connection without the mutex (used by one goroutine only),
// steps through the rows with the SQLite C API and copies each column
// straight from SQLite's memory into the canonical encoding
// (docs/performance.md, BenchmarkVerifyFromDB).
//
// It reads the very columns a reader sees. A value of a type other than the
// schema's (a float in an integer column, a NULL) is not converted here:
// the row is refused and VerifyAudit falls back to database/sql, whose
// report is the authoritative one.

const auditRawPragma = `PRAGMA mmap_size = 1073741824`

// auditRawConn is a private read-only SQLite connection and one statement.
type auditRawConn struct {
	tls  *libc.TLS
	db   uintptr
	stmt uintptr
}

// auditOpenRaw opens the database file of pool read-only and prepares the
// trail query.
func auditOpenRaw(ctx context.Context, pool *sql.DB) (c *auditRawConn, err error) {
	var path string
	if err := pool.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("sqlstore: audit read: in-memory database")
	}
	c = &auditRawConn{tls: libc.NewTLS()}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	zPath, err := libc.CString(path)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, zPath)
	pp := c.tls.Alloc(8)
	defer c.tls.Free(8)
	rc := sqlite3.Xsqlite3_open_v2(c.tls, zPath, pp, sqlite3.SQLITE_OPEN_READONLY|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	c.db = auditCPtr(pp)
	if rc != sqlite3.SQLITE_OK {
		return nil, c.err("open", rc)
	}
	sqlite3.Xsqlite3_busy_timeout(c.tls, c.db, 15000)
	// Map the file instead of a pread per page: the connection lives for
	// one scan of the whole table, so its page cache would not be reused.
	zPragma, err := libc.CString(auditRawPragma)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, zPragma)
	if rc := sqlite3.Xsqlite3_exec(c.tls, c.db, zPragma, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return nil, c.err("pragma", rc)
	}
	zSQL, err := libc.CString(auditRawSQL)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, zSQL)
	if rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, zSQL, -1, pp, 0); rc != sqlite3.SQLITE_OK {
		return nil, c.err("prepare", rc)
	}
	c.stmt = auditCPtr(pp)
	return c, nil
}

// start runs the query anew for the chunk's seqs.
func (c *auditRawConn) start(ch auditChunk) error {
	sqlite3.Xsqlite3_reset(c.tls, c.stmt)
	if rc := sqlite3.Xsqlite3_bind_int64(c.tls, c.stmt, 1, ch.lo); rc != sqlite3.SQLITE_OK {
		return c.err("bind", rc)
	}
	if rc := sqlite3.Xsqlite3_bind_int64(c.tls, c.stmt, 2, ch.hi); rc != sqlite3.SQLITE_OK {
		return c.err("bind", rc)
	}
	return nil
}

func (c *auditRawConn) err(op string, rc int32) error {
	msg := "unknown"
	if c.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))
	}
	return fmt.Errorf("sqlstore: audit read: %s: %s (%d)", op, msg, rc)
}

func (c *auditRawConn) close() {
	if c.stmt != 0 {
		sqlite3.Xsqlite3_finalize(c.tls, c.stmt)
	}
	if c.db != 0 {
		sqlite3.Xsqlite3_close_v2(c.tls, c.db)
	}
	c.tls.Close()
}

// next steps to the next row and appends its canonical encoding and then
// its hash to dst; more is false at the end of the rows.
func (c *auditRawConn) next(dst []byte) (out []byte, encEnd int, more bool, err error) {
	switch rc := sqlite3.Xsqlite3_step(c.tls, c.stmt); rc {
	case sqlite3.SQLITE_ROW:
	case sqlite3.SQLITE_DONE:
		return dst, 0, false, nil
	default:
		return dst, 0, false, c.err("step", rc)
	}
	dst = append(dst, auditHeader...)
	for i, f := range auditCanonicalFields {
		t := sqlite3.Xsqlite3_column_type(c.tls, c.stmt, int32(i))
		if f.kind == 'i' {
			if t != sqlite3.SQLITE_INTEGER {
				return dst, 0, false, errAuditRawRow
			}
			dst = binary.BigEndian.AppendUint64(dst, uint64(sqlite3.Xsqlite3_column_int64(c.tls, c.stmt, int32(i))))
			continue
		}
		if dst, err = c.appendBytes(dst, i, t, true); err != nil {
			return dst, 0, false, err
		}
	}
	n := len(auditCanonicalFields)
	if dst, err = c.appendBytes(dst, n, sqlite3.Xsqlite3_column_type(c.tls, c.stmt, int32(n)), true); err != nil {
		return dst, 0, false, err
	}
	encEnd = len(dst)
	dst, err = c.appendBytes(dst, n+1, sqlite3.Xsqlite3_column_type(c.tls, c.stmt, int32(n+1)), false)
	return dst, encEnd, err == nil, err
}

// appendBytes appends column i, of SQLite type t, as it is stored (text and
// blob alike, as database/sql hands them to a []byte or a string),
// preceded by its 4-byte length when prefix is set.
func (c *auditRawConn) appendBytes(dst []byte, i int, t int32, prefix bool) ([]byte, error) {
	if t != sqlite3.SQLITE_TEXT && t != sqlite3.SQLITE_BLOB {
		return dst, errAuditRawRow
	}
	p := sqlite3.Xsqlite3_column_blob(c.tls, c.stmt, int32(i))
	n := int(sqlite3.Xsqlite3_column_bytes(c.tls, c.stmt, int32(i)))
	if prefix {
		dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	}
	if n > 0 {
		dst = append(dst, auditCMem(p, n)...)
	}
	return dst, nil
}

// readSQLiteRaw reads its chunks through a private connection.
func (d *DB) readSQLiteRaw(ctx context.Context, chunks []auditChunk, p *auditPipe, out chan<- *auditPackedBatch) error {
	c, err := auditOpenRaw(ctx, d.db)
	if err != nil {
		return err
	}
	defer c.close()
	for _, ch := range chunks {
		if err := c.start(ch); err != nil {
			return err
		}
		for more := true; more; {
			b := p.take()
			for more && len(b.ends) < 2*auditPackedRows {
				var encEnd int
				if b.buf, encEnd, more, err = c.next(b.buf); err != nil {
					return err
				}
				if more {
					b.ends = append(b.ends, encEnd, len(b.buf))
				}
			}
			b.last = !more
			if !p.emit(b, out) {
				return ctx.Err()
			}
		}
	}
	return nil
}

// auditCPtr reads the pointer that SQLite stored at pp. SQLite's memory is
// not Go memory: the garbage collector neither moves nor frees it.
func auditCPtr(pp uintptr) uintptr { return **(**uintptr)(unsafe.Pointer(&pp)) }

// auditCMem views n bytes of SQLite's memory at p, valid until the next
// step of the statement.
func auditCMem(p uintptr, n int) []byte { return unsafe.Slice(*(**byte)(unsafe.Pointer(&p)), n) }
