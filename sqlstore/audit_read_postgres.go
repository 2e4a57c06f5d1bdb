package sqlstore

import (
	"context"
	"encoding/binary"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// Reading the trail on PostgreSQL for verification. Through database/sql
// every column of every row becomes a fresh Go value, and bytea travels as
// hex text that the server encodes and the client decodes. The verifier asks
// pgx for the binary format instead and copies the wire bytes straight into
// the canonical encoding: a bigint is 8 bytes big-endian (audit.Canonical's
// integer encoding), text is its UTF-8 bytes, bytea its raw bytes
// (docs/performance.md, BenchmarkVerifyFromDB). A column whose type is not
// the schema's is refused, and VerifyAudit falls back to database/sql.

const auditPostgresSQL = `SELECT seq, time, actor_id, actor_name, actor_role, actor_org_id, action, object_type,
	object_id, reason, detail, request_id, client_ip, prev_hash, hash
	FROM audit_events WHERE seq >= $1 AND seq <= $2 ORDER BY seq`

var errAuditPostgresRow = errors.New("sqlstore: audit row with a NULL or a column of an unexpected type")

// readPostgresRaw reads its chunks on one pooled connection.
func (d *DB) readPostgresRaw(ctx context.Context, chunks []auditChunk, p *auditPipe, out chan<- *auditPackedBatch) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("sqlstore: audit read: not a pgx connection")
		}
		for _, ch := range chunks {
			if err := auditPostgresChunk(ctx, sc.Conn(), ch, p, out); err != nil {
				return err
			}
		}
		return nil
	})
}

func auditPostgresChunk(ctx context.Context, conn *pgx.Conn, ch auditChunk, p *auditPipe, out chan<- *auditPackedBatch) error {
	formats := make(pgx.QueryResultFormats, len(auditCanonicalFields)+2)
	for i := range formats {
		formats[i] = pgx.BinaryFormatCode
	}
	rows, err := conn.Query(ctx, auditPostgresSQL, formats, ch.lo, ch.hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := auditPostgresCheckTypes(rows.FieldDescriptions()); err != nil {
		return err
	}
	for more := true; more; {
		b := p.take()
		for len(b.ends) < 2*auditPackedRows {
			if more = rows.Next(); !more {
				break
			}
			var ok bool
			if b.buf, ok = auditPostgresAppend(b, rows.RawValues()); !ok {
				return errAuditPostgresRow
			}
		}
		if !more {
			if err := rows.Err(); err != nil {
				return err
			}
		}
		b.last = !more
		if !p.emit(b, out) {
			return ctx.Err()
		}
	}
	return nil
}

// auditPostgresCheckTypes refuses a table whose columns are not the
// schema's types, whose binary forms auditPostgresAppend relies on.
func auditPostgresCheckTypes(fds []pgconn.FieldDescription) error {
	if len(fds) != len(auditCanonicalFields)+2 {
		return errAuditPostgresRow
	}
	for i, fd := range fds {
		want := uint32(pgtype.ByteaOID)
		if i < len(auditCanonicalFields) {
			want = pgtype.TextOID
			if auditCanonicalFields[i].kind == 'i' {
				want = pgtype.Int8OID
			}
		}
		if fd.DataTypeOID != want || fd.Format != pgx.BinaryFormatCode {
			return errAuditPostgresRow
		}
	}
	return nil
}

// auditPostgresAppend appends one row's canonical encoding and hash to b.
func auditPostgresAppend(b *auditPackedBatch, vals [][]byte) ([]byte, bool) {
	dst := b.buf
	if len(vals) != len(auditCanonicalFields)+2 {
		return dst, false
	}
	dst = append(dst, auditHeader...)
	for i, f := range auditCanonicalFields {
		v := vals[i]
		if v == nil { // NULL
			return dst, false
		}
		if f.kind == 'i' {
			if len(v) != 8 {
				return dst, false
			}
			dst = append(dst, v...)
			continue
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
		dst = append(dst, v...)
	}
	prev, hash := vals[len(vals)-2], vals[len(vals)-1]
	if prev == nil || hash == nil {
		return dst, false
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(prev)))
	dst = append(dst, prev...)
	b.ends = append(b.ends, len(dst))
	dst = append(dst, hash...)
	b.ends = append(b.ends, len(dst))
	return dst, true
}
