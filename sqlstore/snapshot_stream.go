package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"shuyu"
)

// StreamSnapshot hands fn a reader of exactly size bytes: a consistent copy
// of the SQLite metadata store, read page by page (the sqlite_dbpage table,
// which reads through SQLite's pager and so sees the WAL) inside one read
// transaction — the same consistency as SnapshotTo (every transaction
// committed before it began, none after; writers go on meanwhile, WAL) but
// without a scratch file: `shuyu backup` streams it straight into the
// archive (R28.1; docs/performance.md §7). The copy is a valid database
// file (in WAL mode, with no WAL beside it). On PostgreSQL it refuses like
// SnapshotTo.
func (d *DB) StreamSnapshot(ctx context.Context, fn func(r io.Reader, size int64) error) error {
	if d.dialect != SQLite {
		return shuyu.Errorf(shuyu.EINVALID, "PostgreSQL 元数据请用 pg_dump 备份 (back up PostgreSQL with pg_dump)")
	}
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: snapshot: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: snapshot: %w", err)
	}
	defer tx.Rollback()
	// The first read starts the read transaction: page_count, page_size
	// and every page below come from one snapshot.
	var pages, pageSize int64
	if err := tx.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return fmt.Errorf("sqlstore: snapshot: %w", err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return fmt.Errorf("sqlstore: snapshot: %w", err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT pgno, data FROM sqlite_dbpage('main') ORDER BY pgno")
	if err != nil {
		return fmt.Errorf("sqlstore: snapshot: %w", err)
	}
	defer rows.Close()
	pr := &pageReader{rows: rows, pages: pages, size: int(pageSize)}
	if err := fn(pr, pages*pageSize); err != nil {
		return err
	}
	if pr.err != nil {
		return fmt.Errorf("sqlstore: snapshot: %w", pr.err)
	}
	if pr.next != pages+1 {
		return fmt.Errorf("sqlstore: snapshot: %d of %d pages read", pr.next-1, pages)
	}
	return nil
}

// pageReader reads the pages of sqlite_dbpage in order, checking that they
// are 1…pages, each exactly one page long.
type pageReader struct {
	rows  *sql.Rows
	pages int64
	size  int
	next  int64 // the page expected next, from 1
	page  []byte
	buf   []byte // the unread rest of page
	err   error
}

func (p *pageReader) Read(b []byte) (int, error) {
	if p.next == 0 {
		p.next = 1
	}
	for len(p.buf) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		if !p.rows.Next() {
			if err := p.rows.Err(); err != nil {
				p.err = err
			} else if p.next <= p.pages {
				p.err = fmt.Errorf("page %d of %d missing", p.next, p.pages)
			} else {
				return 0, io.EOF
			}
			continue
		}
		var pgno int64
		var data sql.RawBytes
		if err := p.rows.Scan(&pgno, &data); err != nil {
			p.err = err
			continue
		}
		if pgno != p.next || pgno > p.pages || len(data) != p.size {
			p.err = errors.New("pages out of order or of the wrong size")
			continue
		}
		p.next++
		p.page = append(p.page[:0], data...)
		p.buf = p.page
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	return n, nil
}
