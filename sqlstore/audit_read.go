package sqlstore

import (
	"context"
	"errors"
	"math"
	"runtime"
	"sync"

	"github.com/emmansun/gmsm/sm3"

	"shuyu/audit"
)

// The verification pipeline. Readers, one connection each, read the trail
// in chunks of seq (reader r takes chunks r, r+k, r+2k...) into batches of
// canonical encodings; a pool hashes the batches in parallel (each event's
// hash depends on its own bytes only); the caller's goroutine takes the
// chunks back in seq order and checks links, Merkle roots and checkpoints,
// the only part that must be sequential. Reading and hashing are nearly all
// the work, so both run on every core (docs/performance.md,
// BenchmarkVerifyFromDB).

// auditCanonicalFields are the columns of audit.Canonical, in its order
// ('i' an 8-byte integer, 's' a length-prefixed string); prev_hash follows
// as length-prefixed bytes, then the readers select the stored hash.
var auditCanonicalFields = []struct {
	col  string
	kind byte
}{
	{"seq", 'i'}, {"time", 'i'}, {"actor_id", 'i'}, {"actor_name", 's'}, {"actor_role", 's'},
	{"actor_org_id", 'i'}, {"action", 's'}, {"object_type", 's'}, {"object_id", 's'}, {"reason", 's'},
	{"detail", 's'}, {"request_id", 's'}, {"client_ip", 's'},
}

var auditHeader = audit.CanonicalHeader()

// auditRawSQL is the SQLite readers' query: the columns in audit.Canonical's
// order, then the hash.
const auditRawSQL = `SELECT seq, time, actor_id, actor_name, actor_role, actor_org_id, action, object_type,
	object_id, reason, detail, request_id, client_ip, prev_hash, hash
	FROM audit_events WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq`

// errAuditRawRow refuses a row the SQLite readers cannot encode as the
// schema says; VerifyAudit then falls back to the column path.
var errAuditRawRow = errors.New("sqlstore: audit row holds a value of an unexpected type")

// auditPackedBatch carries rows through the pipe: row i is
// buf[ends[2i-1]:ends[2i]] (the encoding; from 0 for i = 0) followed by
// buf[ends[2i]:ends[2i+1]] (the stored hash); sums[i] is SM3 of the
// encoding once done has a token. last marks a chunk's final batch.
type auditPackedBatch struct {
	buf  []byte
	ends []int
	sums [][audit.HashSize]byte
	done chan struct{}
	last bool
}

const auditPackedRows = 512 // rows per batch

// auditChunkSeqs is the number of seqs per chunk (a variable so that tests
// can cross many chunk boundaries on a short trail).
var auditChunkSeqs int64 = 16 * 1024

type auditPipe struct {
	ctx    context.Context
	free   chan *auditPackedBatch // verified batches, for reuse
	toHash chan *auditPackedBatch
}

// auditChunk is the seq range [lo, hi] of one read. The first chunk starts
// at math.MinInt64 and the last ends at math.MaxInt64: a row with a seq of
// zero or below, or beyond the last seq seen when the read began, is read
// and judged too, as the column path would.
type auditChunk struct{ lo, hi int64 }

// auditChunkReader reads its chunks in order on one connection, sending
// each chunk's batches to out (the last one marked) through p.emit.
type auditChunkReader func(ctx context.Context, chunks []auditChunk, p *auditPipe, out chan<- *auditPackedBatch) error

// take recycles a verified batch, or makes one.
func (p *auditPipe) take() *auditPackedBatch {
	select {
	case b := <-p.free:
		b.buf, b.ends, b.last = b.buf[:0], b.ends[:0], false
		return b
	default:
		return &auditPackedBatch{buf: make([]byte, 0, auditPackedRows*400), ends: make([]int, 0, 2*auditPackedRows),
			done: make(chan struct{}, 1)}
	}
}

// emit hands a batch to the hashers and then to the verifier through out;
// it reports false if the verification was cancelled. Hashers first: a
// batch the verifier waits for is then always being hashed.
func (p *auditPipe) emit(b *auditPackedBatch, out chan<- *auditPackedBatch) bool {
	select {
	case p.toHash <- b:
	case <-p.ctx.Done():
		return false
	}
	select {
	case out <- b:
		return true
	case <-p.ctx.Done():
		return false
	}
}

func auditHashWorker(in <-chan *auditPackedBatch) {
	for b := range in {
		b.sums = b.sums[:0]
		start := 0
		for i := 0; i+1 < len(b.ends); i += 2 {
			b.sums = append(b.sums, sm3.Sum(b.buf[start:b.ends[i]]))
			start = b.ends[i+1]
		}
		b.done <- struct{}{}
	}
}

// verifyPacked verifies the whole trail with v. It returns a non-nil error
// when the fast path cannot vouch for it: a tamper error, a row it refuses
// or any read error; the caller then falls back to verifyColumns.
func (d *DB) verifyPacked(ctx context.Context, v *audit.Verifier) error {
	last, err := d.LastSeq(ctx)
	if err != nil {
		return err
	}
	var chunks []auditChunk
	lo := int64(math.MinInt64)
	for hi := auditChunkSeqs; hi < last; hi += auditChunkSeqs {
		chunks = append(chunks, auditChunk{lo, hi})
		lo = hi + 1
	}
	chunks = append(chunks, auditChunk{lo, math.MaxInt64})
	read := auditChunkReader(d.readPostgresRaw)
	if d.dialect == SQLite {
		read = d.readSQLiteRaw
	}
	procs := max(1, runtime.GOMAXPROCS(0))
	readers := min(procs, len(chunks))

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &auditPipe{ctx: rctx, free: make(chan *auditPackedBatch, 8*readers+8), toHash: make(chan *auditPackedBatch, 4)}
	outs := make([]chan *auditPackedBatch, readers)
	errs := make([]error, readers)
	var wg sync.WaitGroup
	for r := range readers {
		outs[r] = make(chan *auditPackedBatch, 4)
		var mine []auditChunk
		for i := r; i < len(chunks); i += readers {
			mine = append(mine, chunks[i])
		}
		wg.Go(func() {
			defer close(outs[r])
			errs[r] = read(rctx, mine, p, outs[r])
		})
	}
	go func() {
		wg.Wait()
		close(p.toHash)
	}()
	for range procs {
		go auditHashWorker(p.toHash)
	}
	verr := d.auditCheckChunks(v, len(chunks), outs, p)
	cancel() // on failure, stop the readers; at the end, a no-op
	wg.Wait()
	if verr != nil && verr != errAuditReadStopped {
		return verr
	}
	return errors.Join(append(errs, verr)...)
}

// auditCheckChunks feeds the verifier chunk after chunk in seq order,
// taking chunk i from reader i mod len(outs).
func (d *DB) auditCheckChunks(v *audit.Verifier, chunks int, outs []chan *auditPackedBatch, p *auditPipe) error {
	for c := range chunks {
		for {
			b, ok := <-outs[c%len(outs)]
			if !ok {
				return errAuditReadStopped // the reader failed; its error says why
			}
			<-b.done
			start := 0
			for i := 0; i+1 < len(b.ends); i += 2 {
				if err := v.AddCanonicalSum(b.buf[start:b.ends[i]], b.buf[b.ends[i]:b.ends[i+1]], &b.sums[i/2]); err != nil {
					return err
				}
				start = b.ends[i+1]
			}
			last := b.last
			select {
			case p.free <- b:
			default:
			}
			if last {
				break
			}
		}
	}
	return nil
}

var errAuditReadStopped = errors.New("sqlstore: audit read stopped")
