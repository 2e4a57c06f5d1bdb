package workspace

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"time"

	"shuyu"
)

// Cost limits of governed queries (docs/limits.md). Real-data queries share
// one sealed domain: one DuckDB database with one memory limit and one
// thread pool. Without limits, one merchant's cross joins would queue its
// own cheap counts behind them for minutes and slow every other merchant.
// So a real-data query first waits for a slot: at most PerWorkspace of one
// workspace and Total in the process run at once; waiting queries are
// served round-robin between workspaces and in arrival order within one;
// nobody waits longer than QueueWait. Once admitted, a query runs under a
// wall-clock budget (Service.Timeout) and can be cancelled by an overseer
// (running.go). Simulated-data queries keep the per-workspace lock: they
// run on the workspace's own small DuckDB file, not on the domain.

// Limits bounds the cost of real-data queries. Zero values pick the
// defaults; set them before the service serves queries.
type Limits struct {
	// PerWorkspace is how many real-data queries of one workspace run at
	// once; 0 means 2. It is also held under Total-1 (when Total > 1), so
	// one workspace never takes every slot of the process.
	PerWorkspace int
	// PerOrganization is how many real-data queries of one merchant (all
	// its workspaces together) run at once; 0 means Total-1 (when Total >
	// 1), so that one merchant's heavy queries in several workspaces never
	// hold every slot and other merchants' cheap ones still start (red
	// team, round five: a count waited 27.7 s behind four heavy joins from
	// two workspaces of one merchant).
	PerOrganization int
	// Total is how many real-data queries run at once in the process;
	// 0 means max(4, GOMAXPROCS).
	Total int
	// QueueWait is the longest a query waits for a slot; 0 means 30s.
	QueueWait time.Duration
	// QueueLen is how many queries of one workspace may wait at once; 0
	// means 8. One more is refused at once.
	QueueLen int
	// WithheldQuota is how many withheld row-level results a workspace
	// keeps in the domain at once; 0 means 20.
	WithheldQuota int
	// WithheldTTL is how long a withheld result is kept, counted on the
	// service's clock from its creation; 0 means 7 days.
	WithheldTTL time.Duration
}

// Defaults of Limits and Service.Timeout.
const (
	DefaultPerWorkspace  = 2
	DefaultQueueWait     = 30 * time.Second
	DefaultQueueLen      = 8
	DefaultWithheldQuota = 20
	DefaultWithheldTTL   = 7 * 24 * time.Hour
	DefaultTimeout       = 30 * time.Second
)

// DefaultTotal is the default process-wide limit: max(4, GOMAXPROCS).
// DuckDB runs each query on its own thread pool, so the limit bounds memory
// and contention rather than parallelism; four lets two workspaces run two
// queries each.
func DefaultTotal() int { return max(4, runtime.GOMAXPROCS(0)) }

func (l Limits) total() int { return cmpPos(l.Total, DefaultTotal()) }

func (l Limits) perWorkspace() int {
	n := cmpPos(l.PerWorkspace, DefaultPerWorkspace)
	if t := l.total(); t > 1 {
		n = min(n, t-1)
	}
	return max(1, n)
}

func (l Limits) perOrganization() int {
	t := l.total()
	if l.PerOrganization > 0 {
		return max(1, min(l.PerOrganization, t))
	}
	return max(1, t-1)
}

func (l Limits) queueWait() time.Duration {
	if l.QueueWait > 0 {
		return l.QueueWait
	}
	return DefaultQueueWait
}

func (l Limits) queueLen() int { return cmpPos(l.QueueLen, DefaultQueueLen) }

func (l Limits) withheldQuota() int { return cmpPos(l.WithheldQuota, DefaultWithheldQuota) }

func (l Limits) withheldTTL() time.Duration {
	if l.WithheldTTL > 0 {
		return l.WithheldTTL
	}
	return DefaultWithheldTTL
}

func cmpPos(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// timeout is one real or simulated query's wall-clock budget.
func (s *Service) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

// errQueueFull refuses a query that found its workspace's queue full or
// waited QueueWait without a slot. It is an error, not a recorded result:
// the query never started, like a request refused for bad input.
func errQueueFull(wait time.Duration) error {
	return shuyu.Errorf(shuyu.ECONFLICT, "查询排队已满，请稍后再试（最长排队 %d 秒） (query queue full, try again later)", int(wait/time.Second))
}

// scheduler admits real-data queries: per-workspace and process-wide
// limits, round-robin between workspaces, FIFO within one. Its zero value
// is ready.
type scheduler struct {
	mu      sync.Mutex
	running map[int64]int       // admitted queries per workspace
	byOrg   map[int64]int       // admitted queries per organization
	orgOf   map[int64]int64     // the organization of each workspace seen
	total   int                 // admitted queries in all
	queues  map[int64][]*waiter // waiting queries per workspace, oldest first
	ring    []int64             // workspaces with waiting queries, in serving order
	turn    int                 // index in ring of the workspace served next
}

type waiter struct {
	ws      int64
	ready   chan struct{} // closed when admitted
	granted bool
}

// acquire waits for a slot for a query of workspace ws and returns the
// function that frees it (safe to call more than once). It fails with
// errQueueFull when the workspace's queue is full or the wait exceeds
// lim.QueueWait, and with ctx's error when ctx ends first.
func (s *scheduler) acquire(ctx context.Context, ws int64, lim Limits) (func(), error) {
	return s.acquireFor(ctx, ws, 0, lim)
}

// acquireFor is acquire for a workspace of organization org (0: the
// workspace counts as an organization of its own).
func (s *scheduler) acquireFor(ctx context.Context, ws, org int64, lim Limits) (func(), error) {
	w := &waiter{ws: ws, ready: make(chan struct{})}
	s.mu.Lock()
	if s.running == nil {
		s.running, s.queues, s.byOrg, s.orgOf = map[int64]int{}, map[int64][]*waiter{}, map[int64]int{}, map[int64]int64{}
	}
	if org == 0 {
		org = -ws
	}
	s.orgOf[ws] = org
	if len(s.queues[ws]) >= lim.queueLen() {
		s.mu.Unlock()
		return nil, errQueueFull(lim.queueWait())
	}
	if len(s.queues[ws]) == 0 {
		s.ring = append(s.ring, ws) // joins the round after everyone already waiting
	}
	s.queues[ws] = append(s.queues[ws], w)
	s.dispatch(lim)
	s.mu.Unlock()

	var once sync.Once
	release := func() { once.Do(func() { s.release(ws, lim) }) }
	t := time.NewTimer(lim.queueWait())
	defer t.Stop()
	select {
	case <-w.ready:
		return release, nil
	case <-ctx.Done():
	case <-t.C:
	}
	s.mu.Lock()
	if w.granted { // admitted while giving up: hand the slot on
		s.mu.Unlock()
		if ctx.Err() == nil {
			return release, nil
		}
		release()
		return nil, context.Cause(ctx)
	}
	s.remove(w)
	s.mu.Unlock()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return nil, errQueueFull(lim.queueWait())
}

// release frees a slot of workspace ws and admits whoever is next.
func (s *scheduler) release(ws int64, lim Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.running[ws]--; s.running[ws] <= 0 {
		delete(s.running, ws)
	}
	if org := s.orgOf[ws]; s.byOrg[org] > 0 {
		if s.byOrg[org]--; s.byOrg[org] == 0 {
			delete(s.byOrg, org)
		}
	}
	s.dispatch(lim)
}

// dispatch admits waiting queries while there is room: it walks the ring
// from the workspace whose turn it is, admits the first one under its own
// limit, and passes the turn to the workspace after it. Called with mu held.
func (s *scheduler) dispatch(lim Limits) {
	total, per, perOrg := lim.total(), lim.perWorkspace(), lim.perOrganization()
	for s.total < total && len(s.ring) > 0 {
		admitted := false
		for i := range s.ring {
			idx := (s.turn + i) % len(s.ring)
			ws := s.ring[idx]
			if s.running[ws] >= per || s.byOrg[s.orgOf[ws]] >= perOrg {
				continue
			}
			w := s.queues[ws][0]
			s.queues[ws] = s.queues[ws][1:]
			w.granted = true
			s.running[ws]++
			s.byOrg[s.orgOf[ws]]++
			s.total++
			close(w.ready)
			if len(s.queues[ws]) == 0 {
				delete(s.queues, ws)
				s.ring = slices.Delete(s.ring, idx, idx+1)
				s.turn = idx // the next workspace moved into idx
			} else {
				s.turn = idx + 1
			}
			if len(s.ring) > 0 {
				s.turn %= len(s.ring)
			} else {
				s.turn = 0
			}
			admitted = true
			break
		}
		if !admitted {
			return
		}
	}
}

// remove takes a waiter that gave up out of its queue. Called with mu held.
func (s *scheduler) remove(w *waiter) {
	q := s.queues[w.ws]
	i := slices.Index(q, w)
	if i < 0 {
		return
	}
	q = slices.Delete(q, i, i+1)
	if len(q) > 0 {
		s.queues[w.ws] = q
		return
	}
	delete(s.queues, w.ws)
	if r := slices.Index(s.ring, w.ws); r >= 0 {
		s.ring = slices.Delete(s.ring, r, r+1)
		if r < s.turn {
			s.turn--
		}
		if len(s.ring) > 0 {
			s.turn %= len(s.ring)
		} else {
			s.turn = 0
		}
	}
}

// load reports how many queries of ws wait and run.
func (s *scheduler) load(ws int64) (waiting, running int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queues[ws]), s.running[ws]
}
