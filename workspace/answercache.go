package workspace

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"shuyu"
	"shuyu/sandbox"
)

// The answer cache (docs/disclosure.md, "Repeated questions"; issue 10,
// item 8). A released answer is a function of the question, the
// workspace's view of the data (tables, versions, column policies, K) and
// the day's reference date: sticky noise is seeded by the sets of persons
// behind each figure, never by chance, and the release memory answers a
// figure with the oldest remembered near figure, which a second asking of
// the same figure finds again. Asking the same SQL of the same view
// therefore gets the same figures, whether it is computed again or
// remembered, and the cache only spares the domain the work.
//
// What it keys on is everything the engine reads: the workspace, its noise
// secret, every table it may name with its content version and column
// policies, K, and the reference date. A new data version, a grant, a
// withdrawn field, a new withheld table or the next day all give new keys.
// Not cached: differential-privacy workspaces (each answer spends budget
// and draws fresh noise), refusals and withheld results (cheap, or with
// effects inside the domain), answers larger than maxCachedRows.
//
// Every asking is still recorded and audited (R27.1): a hit skips the
// engine, never the record.

const (
	answerCacheSize = 2048
	maxCachedRows   = 5000
)

type cachedAnswer struct {
	key string
	res sandbox.Result
}

type answerCache struct {
	hits atomic.Int64
	mu   sync.Mutex
	ll   *list.List // most recent first
	idx  map[string]*list.Element
}

func newAnswerCache() *answerCache {
	return &answerCache{ll: list.New(), idx: map[string]*list.Element{}}
}

// answerKey names a question asked of one view of the data; "" when the
// view may not be cached.
func answerKey(sw *sandbox.Workspace, unavailable []string, refDate time.Time, sqlText string) string {
	if sw.Epsilon > 0 {
		return ""
	}
	for _, t := range sw.Tables {
		if t.Version == "" {
			return ""
		}
	}
	view, err := json.Marshal(struct {
		ID          string
		K           int
		Secret      []byte
		Tables      []sandbox.Table
		Unavailable []string
		Day         string
	}{sw.ID, sw.K, sw.Secret, sw.Tables, unavailable, refDate.In(shanghai).Format(time.DateOnly)})
	if err != nil {
		return ""
	}
	h := sha256.New()
	h.Write(view)
	h.Write([]byte{0})
	h.Write([]byte(sqlText))
	return string(h.Sum(nil))
}

func (c *answerCache) get(key string) (*sandbox.Result, bool) {
	if key == "" {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.idx[key]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(e)
	c.hits.Add(1)
	r := e.Value.(*cachedAnswer).res
	return &r, true
}

// put keeps a released answer; the rows are shared read-only.
func (c *answerCache) put(key string, res *sandbox.Result) {
	if key == "" || res == nil || res.Status != sandbox.Released || len(res.Rows) > maxCachedRows {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.idx[key]; ok {
		c.ll.MoveToFront(e)
		return
	}
	c.idx[key] = c.ll.PushFront(&cachedAnswer{key: key, res: *res})
	for c.ll.Len() > answerCacheSize {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.idx, old.Value.(*cachedAnswer).key)
	}
}

// cachedReal answers a real-data question from the cache when the same
// view was asked it before, recording the asking; ok is false on a miss.
func (s *Service) cachedReal(ctx context.Context, actor *shuyu.Actor, ws *shuyu.Workspace, sqlText string) (*Result, bool, error) {
	if s.Vault == nil || ws.ByConsent {
		return nil, false, nil // by consent: every asking reads the live grants and counts its uses (consent.go)
	}
	sw, unavailable, err := s.sandboxWorkspace(ctx, actor, ws)
	if err != nil {
		return nil, false, err
	}
	res, ok := s.answers.get(answerKey(sw, unavailable, s.Engine.Now(), sqlText))
	if !ok {
		return nil, false, nil
	}
	start := time.Now()
	res.Metering.CPU, res.Metering.Wall = 0, time.Since(start)
	out, err := s.record(ctx, actor, ws, sw, unavailable, sqlText, res, nil, 0)
	return out, err == nil, err
}

// AnswersRepeated counts the real-data questions this process answered
// from the answer cache, for operators' metrics and tests.
func (s *Service) AnswersRepeated() int64 { return s.answers.hits.Load() }
