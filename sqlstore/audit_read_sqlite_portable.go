//go:build !shuyu_fastaudit

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
)

// Reading the trail on SQLite for verification, portably: each reader
// takes one pooled connection and steps through its chunks with
// database/sql, and every column reaches auditSQLiteValue.Scan exactly as
// the driver returns it, so its SQLite type is checked here and its bytes
// are copied straight into the canonical encoding. Nothing depends on the
// driver's internals. The reader that drives SQLite's C API directly
// (audit_read_sqlite.go, about twice as fast per event; docs/performance.md)
// is built with -tags shuyu_fastaudit.
//
// It reads the very columns a reader sees. A value of a type other than the
// schema's (a float in an integer column, a NULL) is not converted: the row
// is refused and VerifyAudit falls back to the column path, whose report is
// the authoritative one.

// auditSQLiteValue holds one column as the driver returned it.
type auditSQLiteValue struct{ v any }

// Scan implements sql.Scanner; it keeps src without converting it.
func (c *auditSQLiteValue) Scan(src any) error { c.v = src; return nil }

// readSQLiteRaw reads its chunks on one pooled connection.
func (d *DB) readSQLiteRaw(ctx context.Context, chunks []auditChunk, p *auditPipe, out chan<- *auditPackedBatch) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	stmt, err := conn.PrepareContext(ctx, auditRawSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	vals := make([]auditSQLiteValue, len(auditCanonicalFields)+2)
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	for _, ch := range chunks {
		if err := auditSQLiteChunk(ctx, stmt, ch, vals, dest, p, out); err != nil {
			return err
		}
	}
	return nil
}

func auditSQLiteChunk(ctx context.Context, stmt *sql.Stmt, ch auditChunk, vals []auditSQLiteValue, dest []any,
	p *auditPipe, out chan<- *auditPackedBatch) error {
	rows, err := stmt.QueryContext(ctx, ch.lo, ch.hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for more := true; more; {
		b := p.take()
		for len(b.ends) < 2*auditPackedRows {
			if more = rows.Next(); !more {
				if err := rows.Err(); err != nil {
					return err
				}
				break
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			var encEnd int
			if b.buf, encEnd, err = auditAppendSQLiteRow(b.buf, vals); err != nil {
				return err
			}
			b.ends = append(b.ends, encEnd, len(b.buf))
		}
		b.last = !more
		if !p.emit(b, out) {
			return ctx.Err()
		}
	}
	return nil
}

// auditAppendSQLiteRow appends the row's canonical encoding and then its
// stored hash to dst, and returns where the encoding ends.
func auditAppendSQLiteRow(dst []byte, vals []auditSQLiteValue) (out []byte, encEnd int, err error) {
	dst = append(dst, auditHeader...)
	for i, f := range auditCanonicalFields {
		if f.kind == 'i' {
			n, ok := vals[i].v.(int64)
			if !ok {
				return dst, 0, errAuditRawRow
			}
			dst = binary.BigEndian.AppendUint64(dst, uint64(n))
			continue
		}
		if dst, err = auditAppendSQLiteBytes(dst, vals[i].v, true); err != nil {
			return dst, 0, err
		}
	}
	n := len(auditCanonicalFields)
	if dst, err = auditAppendSQLiteBytes(dst, vals[n].v, true); err != nil { // prev_hash
		return dst, 0, err
	}
	encEnd = len(dst)
	dst, err = auditAppendSQLiteBytes(dst, vals[n+1].v, false) // the stored hash
	return dst, encEnd, err
}

// auditAppendSQLiteBytes appends a text or blob value as it is stored,
// preceded by its 4-byte length when prefix is set; any other type (a
// NULL, a number) refuses the row.
func auditAppendSQLiteBytes(dst []byte, v any, prefix bool) ([]byte, error) {
	switch v := v.(type) {
	case string:
		if prefix {
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
		}
		return append(dst, v...), nil
	case []byte:
		if prefix {
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
		}
		return append(dst, v...), nil
	}
	return dst, errAuditRawRow
}
