package supply

import (
	"context"
	"sync"
)

// fairQueue runs the build step of supply jobs (parsing, checking and
// switching versions inside the domain, which the vault serializes) one at
// a time, taking departments in turn: each department has its own queue,
// and the next build comes from the department after the one that ran
// last, so a department that queued ten large files waits its turn between
// other departments' files instead of in front of them (R10.1). Receiving
// files (vault.Stage) happens before a job enters the queue and holds
// nothing, so a slow upload never delays another.
type fairQueue struct {
	mu      sync.Mutex
	queues  map[int64][]*ticket // department (org id) → waiting builds, oldest first
	order   []int64             // departments with waiting builds, in turn order
	running bool
}

type ticket struct {
	ready chan struct{} // closed when the build may run
}

func newFairQueue() *fairQueue { return &fairQueue{queues: map[int64][]*ticket{}} }

// run waits for dept's turn, runs fn, and hands the turn on. If ctx ends
// while waiting, fn does not run and ctx's error is returned.
func (q *fairQueue) run(ctx context.Context, dept int64, fn func()) error {
	t := &ticket{ready: make(chan struct{})}
	q.mu.Lock()
	if len(q.queues[dept]) == 0 {
		q.order = append(q.order, dept)
	}
	q.queues[dept] = append(q.queues[dept], t)
	q.dispatch()
	q.mu.Unlock()
	select {
	case <-t.ready:
	case <-ctx.Done():
		q.mu.Lock()
		select {
		case <-t.ready: // granted meanwhile: give the turn back
			q.running = false
			q.dispatch()
		default:
			q.remove(dept, t)
		}
		q.mu.Unlock()
		return ctx.Err()
	}
	defer func() {
		q.mu.Lock()
		q.running = false
		q.dispatch()
		q.mu.Unlock()
	}()
	fn()
	return nil
}

// dispatch starts the head of the next department's queue when nothing
// runs (q.mu held): the department goes to the back of the turn order if
// it has more waiting.
func (q *fairQueue) dispatch() {
	if q.running || len(q.order) == 0 {
		return
	}
	dept := q.order[0]
	q.order = q.order[1:]
	waiting := q.queues[dept]
	t := waiting[0]
	if len(waiting) == 1 {
		delete(q.queues, dept)
	} else {
		q.queues[dept] = waiting[1:]
		q.order = append(q.order, dept)
	}
	q.running = true
	close(t.ready)
}

func (q *fairQueue) remove(dept int64, t *ticket) {
	waiting := q.queues[dept]
	for i, w := range waiting {
		if w == t {
			waiting = append(waiting[:i:i], waiting[i+1:]...)
			break
		}
	}
	if len(waiting) > 0 {
		q.queues[dept] = waiting
		return
	}
	delete(q.queues, dept)
	for i, d := range q.order {
		if d == dept {
			q.order = append(q.order[:i:i], q.order[i+1:]...)
			break
		}
	}
}

// waiting reports how many builds wait, per department (for tests and the
// job page).
func (q *fairQueue) waiting() map[int64]int {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := map[int64]int{}
	for d, w := range q.queues {
		out[d] = len(w)
	}
	return out
}
