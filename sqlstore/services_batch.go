package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"shuyu"
)

// Group commit of API-service calls (R28.4; docs/performance.md §11).
//
// Every call is recorded durably before it is answered (invariant 7), and a
// durable commit costs one fsync: one transaction per call caps a server at
// the disk's commits per second. Instead, calls that arrive while a batch is
// being written wait in a queue; the next batch takes all of them (up to
// maxCallBatch) into one write transaction. Inside it each call is checked
// and recorded in arrival order under its own savepoint, exactly as it would
// be alone: it reads the counters the calls before it in the batch wrote, so
// quotas, rate and per-subject limits are as exact as with one transaction
// per call; a call that is refused (or fails) rolls back to its savepoint
// and leaves the batch's other calls and the audit chain untouched. No
// caller gets its answer before the batch's commit returned, so an
// acknowledged call survives kill -9 like any other write; a batch that
// fails to commit fails all its calls.

// maxCallBatch bounds one batch, so that a batch's transaction stays short
// and callers behind it do not wait for an unbounded one.
const maxCallBatch = 256

// pendingCall is one call waiting for (or in) a batch.
type pendingCall struct {
	ctx                     context.Context
	req                     CallRequest
	run                     CallRun
	keyID, secret           string
	subject, params, prefix string // keyed digests
	call                    *shuyu.ServiceCall
	refused, err            error
	done                    chan struct{}
}

// callQueue holds the calls waiting for the next batch; running says a
// goroutine is writing batches (at most one per store).
type callQueue struct {
	mu      sync.Mutex
	pending []*pendingCall
	running bool
	batches atomic.Int64 // batches committed or failed
	calls   atomic.Int64 // calls in them
}

// CallBatches reports how many batches recorded how many calls since the
// store was opened (for tests and the benchmark).
func (d *DB) CallBatches() (batches, calls int64) {
	return d.callq.batches.Load(), d.callq.calls.Load()
}

// submitCall queues p and starts the batch writer if none runs; p.done is
// closed once p's batch has committed or failed.
func (d *DB) submitCall(p *pendingCall) {
	q := &d.callq
	q.mu.Lock()
	q.pending = append(q.pending, p)
	if q.running {
		q.mu.Unlock()
		return
	}
	q.running = true
	q.mu.Unlock()
	go d.writeCalls()
}

// writeCalls writes batches until the queue is empty.
func (d *DB) writeCalls() {
	q := &d.callq
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		n := min(len(q.pending), maxCallBatch)
		batch := slices.Clone(q.pending[:n])
		q.pending = slices.Delete(q.pending, 0, n)
		q.mu.Unlock()
		d.writeCallBatch(batch)
	}
}

// errNothingRecorded ends a batch in which every call was refused before
// anything was written: there is nothing to commit.
var errNothingRecorded = errors.New("sqlstore: no call of the batch was recorded")

func (d *DB) writeCallBatch(batch []*pendingCall) {
	live := batch[:0:0]
	for _, p := range batch {
		if err := p.ctx.Err(); err != nil {
			p.err = err // the caller gave up before its call was recorded
			close(p.done)
			continue
		}
		live = append(live, p)
	}
	if len(live) == 0 {
		return
	}
	d.callq.batches.Add(1)
	d.callq.calls.Add(int64(len(live)))
	// The batch's transaction is not bound to any one caller's context: a
	// caller that leaves must not roll back the others' calls.
	err := d.update(context.Background(), &shuyu.Actor{Username: "apikey"}, func(tx *Tx) (err error) {
		// The batch runs on its own goroutine, where no HTTP server would
		// recover a panic: fail the batch (rolled back) instead of the process.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("sqlstore: service call batch: panic: %v", r)
			}
		}()
		tx.stmts = map[string]*sql.Stmt{} // the calls of a batch share their statements
		for _, p := range live {
			if err := tx.savepointCall(p); err != nil {
				return err
			}
		}
		if tx.events == 0 {
			return errNothingRecorded
		}
		return nil
	})
	for _, p := range live {
		if err != nil && !errors.Is(err, errNothingRecorded) && p.err == nil {
			p.call, p.refused, p.err = nil, nil, err
		}
		close(p.done)
	}
}

// savepointCall runs one call under a savepoint: a call that fails is
// rolled back to it (its rows and its audit events) and keeps its error in
// p.err; an error returned fails the whole batch.
func (tx *Tx) savepointCall(p *pendingCall) error {
	if _, err := tx.exec(`SAVEPOINT service_call`); err != nil {
		return fmt.Errorf("sqlstore: savepoint: %w", err)
	}
	seq, head, events, actor := tx.seq, tx.head, tx.events, tx.actor
	// The caller's request id and address go into its audit event.
	tx.ctx = context.WithoutCancel(p.ctx)
	if err := tx.serviceCall(p); err != nil {
		p.call, p.refused, p.err = nil, nil, err
		tx.seq, tx.head, tx.events, tx.actor = seq, head, events, actor
		if _, err := tx.exec(`ROLLBACK TO SAVEPOINT service_call`); err != nil {
			return fmt.Errorf("sqlstore: rollback to savepoint: %w", err)
		}
	}
	if _, err := tx.exec(`RELEASE SAVEPOINT service_call`); err != nil {
		return fmt.Errorf("sqlstore: release savepoint: %w", err)
	}
	return nil
}
