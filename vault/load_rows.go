package vault

import (
	"context"
	"crypto/rand"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/emmansun/gmsm/sm3"

	"shuyu"
)

// Rows streamed into the domain (issue 18, R10.1): a puller writes the rows
// of a source, as text in the spec's column order, into a RowWriter; the
// domain converts them to the spec's types (load_rows_types.go) and appends
// them through DuckDB's appender, batch by batch, into a private staging
// table — no file, no lock of the domain, no second copy — which Build
// renames into the new version (or merges onto the current one), then
// applies the quality rules and switches atomically like every load. Memory is bounded
// by rowBatches batches of at most batchRows rows or batchBytes bytes, and
// by DuckDB's memory limit; a killed pull leaves a _vault_stage_ table that
// Open drops.

const (
	batchRows  = 8192
	batchBytes = 4 << 20
	// In flight: one being filled, one queued for SM3, one being hashed,
	// one queued for the appender, one being appended.
	rowBatches = 5
)

// rowBatch is a batch of rows in the canonical encoding both checksums
// cover: per value its length plus one as a uvarint followed by its bytes,
// or a single 0 byte for NULL.
type rowBatch struct {
	seq  int64  // the batch's place in the stream, from 0
	crc  uint32 // CRC-32C of buf as the puller sealed it
	buf  []byte
	offs []int32        // start of each value's length prefix in buf
	vals []driver.Value // the values converted to the spec's types (strings point into buf)
	rows int
	// hashOnly marks a batch of a stream already refused: it is hashed
	// like every batch but not appended.
	hashOnly bool
	// The values behind vals' integers, strings and times (box).
	ints  []int64
	strs  []string
	times []time.Time
}

func (b *rowBatch) reset() {
	clear(b.vals)
	clear(b.strs)
	b.buf, b.offs, b.vals, b.rows, b.hashOnly = b.buf[:0], b.offs[:0], b.vals[:0], 0, false
	b.ints, b.strs, b.times = b.ints[:0], b.strs[:0], b.times[:0]
}

// Boxing. The appender takes each value as a driver.Value; converting an
// int64, a string or a time.Time to an interface allocates a copy on the
// heap, some 8 million allocations for 2 million rows of 5 columns. The
// batch keeps the values in slices it reuses instead, and each interface
// points at its element: built by hand from the type's word and the
// element's address (the layout of an empty interface). An element is
// written once, before its interface exists, and the slices are reused
// only after the batch was appended (reset), when no interface to them is
// left; an append that grows a slice leaves the earlier elements, and the
// interfaces to them, in the old array, which the interfaces keep alive.

// eface is the layout of an empty interface: its type word and a pointer
// to the value.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	int64Word  = typeWord(int64(0))
	stringWord = typeWord("")
	timeWord   = typeWord(time.Time{})
)

func boxed(typ, data unsafe.Pointer) driver.Value {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, data
	return v
}

func (b *rowBatch) int64Value(n int64) driver.Value {
	b.ints = append(b.ints, n)
	return boxed(int64Word, unsafe.Pointer(&b.ints[len(b.ints)-1]))
}

func (b *rowBatch) stringValue(s string) driver.Value {
	b.strs = append(b.strs, s)
	return boxed(stringWord, unsafe.Pointer(&b.strs[len(b.strs)-1]))
}

func (b *rowBatch) timeValue(t time.Time) driver.Value {
	b.times = append(b.times, t)
	return boxed(timeWord, unsafe.Pointer(&b.times[len(b.times)-1]))
}

// RowWriter receives a pull's rows (StageRows). It is used by one
// goroutine, the puller's.
type RowWriter struct {
	cols    int
	cur     *rowBatch
	rowVals int   // values of the current row so far
	rowLen  int64 // bytes of the current row so far
	rows    int64
	bytes   int64
	max     int64
	sum     hash.Hash
	free    chan *rowBatch
	sealed  chan *rowBatch // puller → hasher
	full    chan *rowBatch // hasher → appender
	done    <-chan struct{}

	conv []converter // per column
	sent int64       // rows converted (sealed in batches)
	seq  int64       // batches handed over

	expected func(int64)      // LoadOptions.Expected
	bad      []shuyu.RowError // values that do not parse (up to maxRowErrors)
	nbad     int64
}

// errRowsStopped is returned to a puller when the domain stopped taking
// rows (it refused one, or the pull was canceled): the domain's own error
// is StageRows' answer.
var errRowsStopped = errors.New("vault: row stream stopped")

// Value adds the next value of the current row; an empty value is NULL, as
// an empty cell of an uploaded CSV is.
func (w *RowWriter) Value(v []byte) {
	if len(v) == 0 {
		w.Null()
		return
	}
	b := w.cur
	b.offs = append(b.offs, int32(len(b.buf)))
	if n := len(v) + 1; n < 0x80 { // the uvarint of most values: one byte
		b.buf = append(b.buf, byte(n))
	} else {
		b.buf = binary.AppendUvarint(b.buf, uint64(n))
	}
	b.buf = append(b.buf, v...)
	w.rowVals++
	w.rowLen += int64(len(v)) + 1
}

// String is Value of a string.
func (w *RowWriter) String(v string) {
	w.Value(unsafe.Slice(unsafe.StringData(v), len(v)))
}

// Null adds a NULL.
func (w *RowWriter) Null() {
	b := w.cur
	b.offs = append(b.offs, int32(len(b.buf)))
	b.buf = append(b.buf, 0)
	w.rowVals++
	w.rowLen++
}

// Strings writes a whole row.
func (w *RowWriter) Strings(rec []string) error {
	for _, v := range rec {
		w.String(v)
	}
	return w.EndRow()
}

// EndRow ends the current row. It refuses a row of the wrong width, a row
// longer than an uploaded CSV line may be, and a stream past the size cap
// (R10.1).
func (w *RowWriter) EndRow() error {
	if w.rowVals != w.cols {
		return fmt.Errorf("vault: row %d has %d values, want %d", w.rows+1, w.rowVals, w.cols)
	}
	w.rows++
	if w.rowLen > maxCSVLine {
		return shuyu.Errorf(shuyu.EUNPROCESSABLE, "第 %d 行超过 %d 字节的长度上限，已整体拒收 (row %d longer than %d bytes; refused)", w.rows, maxCSVLine, w.rows, maxCSVLine).
			WithDetails([]shuyu.RowError{{Row: int(w.rows), Message: "行过长 (line too long)"}})
	}
	w.bytes += w.rowLen
	if w.bytes > w.max {
		return shuyu.Errorf(shuyu.ETOOLARGE, "拉取的数据超过大小上限 %d 字节 (pull too large)", w.max)
	}
	w.rowVals, w.rowLen = 0, 0
	w.cur.rows++
	if w.cur.rows >= batchRows || len(w.cur.buf) >= batchBytes {
		return w.send()
	}
	return nil
}

// send converts the current batch to the spec's types, seals it (its
// sequence number and CRC-32C) and hands it on to be hashed with SM3 and
// then appended, and takes a free one. The conversion runs here, on the
// puller's goroutine; SM3 runs on a goroutine of its own between the
// puller and the appender (StageRows), so the three overlap. Once a value
// failed to parse, nothing more is appended: the rest is only checked (and
// hashed), so the refusal lists every bad value (up to maxRowErrors) as an
// upload's.
func (w *RowWriter) send() error {
	b := w.cur
	c := 0
	for i, off := range b.offs {
		l, k := binary.Uvarint(b.buf[off:])
		if l == 0 {
			b.vals = append(b.vals, nil)
			if c++; c == w.cols {
				c = 0
			}
			continue
		}
		v := b.buf[int(off)+k : int(off)+k+int(l-1)]
		col := &w.conv[c]
		if c++; c == w.cols {
			c = 0
		}
		if col.col.Type == TypeString && !utf8.Valid(v) {
			row := w.rowOf(i)
			return shuyu.Errorf(shuyu.EUNPROCESSABLE, "第 %d 行的值不是有效的UTF-8编码，已整体拒收 (row %d: invalid UTF-8; refused)", row, row).
				WithDetails([]shuyu.RowError{{Row: int(row), Column: col.col.Name, Message: "字符编码无效 (invalid encoding)"}})
		}
		val, ok, err := col.value(b, v)
		if err != nil {
			return err
		}
		if !ok {
			w.nbad++
			if len(w.bad) < maxRowErrors {
				w.bad = append(w.bad, shuyu.RowError{Row: int(w.rowOf(i)), Column: col.col.Name,
					Message: "值不能解析为" + typeLabel(col.col.Type) + " (value does not parse as " + string(col.col.Type) + ")"})
			}
		}
		b.vals = append(b.vals, val)
	}
	w.sent += int64(b.rows)
	if w.nbad > 0 {
		b.hashOnly = true
	} else {
		b.seq, b.crc = w.seq, crc32.Checksum(b.buf, castagnoli)
		w.seq++
	}
	select {
	case w.sealed <- b:
	case <-w.done:
		return errRowsStopped
	}
	select {
	case w.cur = <-w.free:
	case <-w.done:
		return errRowsStopped
	}
	return nil
}

// rowOf is the stream's row number (from 1) of the current batch's i-th
// value, for a refusal (a division per value otherwise).
func (w *RowWriter) rowOf(i int) int64 { return w.sent + int64(i/w.cols) + 1 }

// refusal is the error of a stream with values that do not parse.
func (w *RowWriter) refusal() error {
	if w.nbad == 0 {
		return nil
	}
	return shuyu.Errorf(shuyu.EUNPROCESSABLE, "有%d个值不能解析为所需类型，已整体拒收 (%d unparsable values; refused)", w.nbad, w.nbad).WithDetails(w.bad)
}

// Expect tells the progress bar how many rows the puller expects (the
// source's count or an estimate); it checks nothing.
func (w *RowWriter) Expect(n int64) {
	if w.expected != nil && n > 0 {
		w.expected(n)
	}
}

// Rows is the number of rows written so far.
func (w *RowWriter) Rows() int64 { return w.rows }

// Checksum is the SM3 of the rows as the puller wrote them (canonical
// encoding, see rowBatch), computed batch by batch, in order, by the
// hasher goroutine of StageRows; complete once StageRows returned.
func (w *RowWriter) Checksum() []byte { return w.sum.Sum(nil) }

// StageRows streams the rows fill writes into a private staging table of the
// domain (no lock held: a slow source delays no other supply), checking
// each value's UTF-8 and type, the row length and the size cap; Build then
// renames, checks and switches. fill runs on its own goroutine; when it
// returns an error, or the domain refuses a row, nothing is kept and the
// error is returned (fill's own, unchanged, unless the domain refused
// first).
//
// The rows are hashed once, with SM3, by the puller as it seals each batch
// (RowWriter.Checksum). The hand-over is checked by the appender instead of
// hashed again: each batch carries its sequence number and a CRC-32C of its
// bytes, verified after the append, so a batch lost, repeated, reordered or
// overwritten on the way fails the pull. Only then does the Staged carry the
// SM3 as its checksum (the version's).
func (d *Domain) StageRows(ctx context.Context, spec Spec, opt LoadOptions, fill func(ctx context.Context, w *RowWriter) error) (*Staged, error) {
	st, err := d.stageRows(ctx, spec, opt, fill)
	if err != nil {
		var pe *fillError
		if errors.As(err, &pe) {
			return nil, pe.err // the puller's own error, as it made it
		}
		return nil, fmt.Errorf("vault.StageRows: %w", SanitizeError(err))
	}
	return st, nil
}

// fillError carries the puller's error through StageRows untouched.
type fillError struct{ err error }

func (e *fillError) Error() string { return e.err.Error() }

func (d *Domain) stageRows(ctx context.Context, spec Spec, opt LoadOptions, fill func(ctx context.Context, w *RowWriter) error) (*Staged, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = defaultMaxBytes
	}
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	// The _vault_stage_ prefix: Open drops what a killed pull left.
	table := "_vault_stage_rows_" + hex.EncodeToString(rnd[:])
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	cols := make([]string, len(spec.Columns))
	for i, c := range spec.Columns {
		cols[i] = ident(c.Name) + " " + sqlType(c.Type)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", ident(table), strings.Join(cols, ", "))); err != nil {
		return nil, err
	}
	drop := func() { d.db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+ident(table)) }
	st := &staged{drop: drop}

	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slow := &slowCast{ctx: fctx, db: d.db, cache: map[string]slowAnswer{}}
	defer slow.close()
	w := &RowWriter{cols: len(spec.Columns), max: opt.MaxBytes, sum: sm3.New(),
		free: make(chan *rowBatch, rowBatches), sealed: make(chan *rowBatch, 1), full: make(chan *rowBatch, 1),
		done: fctx.Done(), conv: make([]converter, len(spec.Columns)), expected: opt.Expected}
	for i, c := range spec.Columns {
		w.conv[i] = converter{col: c, slow: slow}
	}
	for i := 0; i < rowBatches-1; i++ {
		w.free <- &rowBatch{}
	}
	w.cur = &rowBatch{}
	var ferr error
	filled := make(chan struct{})
	// The hasher: SM3 over each sealed batch, in the order sealed, before
	// the batch goes on to the appender (a refused stream's batches are
	// hashed and dropped). It closes full when the puller is done or the
	// pull stopped; StageRows returns only after that, so Checksum is
	// complete.
	go func() {
		defer close(w.full)
		for b := range w.sealed {
			w.sum.Write(b.buf)
			if b.hashOnly {
				b.reset()
				w.free <- b // never blocks: free holds every batch
				continue
			}
			select {
			case w.full <- b:
			case <-w.done:
				return
			}
		}
	}()
	go func() {
		defer close(filled)
		defer close(w.sealed)
		if ferr = fill(fctx, w); ferr == nil && w.rowVals != 0 {
			ferr = fmt.Errorf("vault: row %d not ended", w.rows+1)
		}
		if ferr == nil && w.cur.rows > 0 {
			ferr = w.send()
		}
		if ferr == nil {
			ferr = w.refusal()
		}
	}()

	// One transaction for the whole stream: DuckDB writes the rows straight
	// into the file's blocks as row groups fill, not through its WAL, and a
	// failure or a kill leaves nothing committed but the empty table.
	aerr := func() error {
		if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
			return err
		}
		err := conn.Raw(func(dc any) error {
			cat := ""
			if d.encrypted {
				cat = catalog
			}
			a, err := duckdb.NewAppender(dc.(driver.Conn), cat, "", table)
			if err != nil {
				return err
			}
			err = appendBatches(fctx, a, w, st, opt.Progress)
			if cerr := a.Close(); err == nil {
				err = cerr
			}
			return err
		})
		if err != nil {
			conn.ExecContext(context.Background(), "ROLLBACK")
			return err
		}
		_, err = conn.ExecContext(ctx, "COMMIT")
		return err
	}()
	if aerr != nil {
		cancel()
	}
	for range w.full { // let the hasher end (it unblocks the puller)
	}
	<-filled
	// The appender's refusal comes first: the puller's error after it is
	// only the consequence of being stopped.
	switch {
	case aerr != nil:
		drop()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, aerr
	case errors.Is(ferr, errRowsStopped):
		drop()
		return nil, ferr
	case ferr != nil:
		drop()
		return nil, &fillError{ferr}
	}
	st.table = table
	st.checksum = w.Checksum() // every batch verified (appendBatches)
	return &Staged{st: st, format: fileRows, rowBase: 1}, nil
}

// appendBatches appends every batch the puller sends, checks its sequence
// number and CRC-32C after the append, and hands the batch back.
func appendBatches(ctx context.Context, a *duckdb.Appender, w *RowWriter, st *staged, progress func(int64)) error {
	var next int64
	for b := range w.full {
		if err := ctx.Err(); err != nil {
			return err
		}
		if b.seq != next {
			return fmt.Errorf("vault: rows hand-over: batch %d arrived as %d", b.seq, next)
		}
		next++
		for r := 0; r < b.rows; r++ {
			if err := a.AppendRow(b.vals[r*w.cols : (r+1)*w.cols]...); err != nil {
				return err
			}
		}
		// Checked after the append: a buffer the puller overwrote meanwhile
		// does not match.
		if crc32.Checksum(b.buf, castagnoli) != b.crc {
			return fmt.Errorf("vault: rows hand-over: batch %d changed in transit", b.seq)
		}
		st.lines += int64(b.rows)
		st.bytes += int64(len(b.buf))
		if progress != nil {
			progress(st.lines)
		}
		b.reset()
		w.free <- b
	}
	if next != w.seq {
		return fmt.Errorf("vault: rows hand-over: %d of %d batches arrived", next, w.seq)
	}
	return nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)
