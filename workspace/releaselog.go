package workspace

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"shuyu"
	"shuyu/sandbox"
	"shuyu/sqlstore"
)

// releaseLog persists the engine's release record (R28.3 differencing, DP
// budget) in the metadata store. Entries the engine appends during a query
// are held until the query is recorded, then written in the same audited
// transaction as the query (invariant 2): a release that is not recorded is
// never shown.
//
// Queries of one workspace run concurrently (scheduler.go), so pending
// entries are kept per query, under the token of the registered query its
// context carries (running.go): each query records exactly the entries it
// appended. Load, which the engine calls under its per-workspace release
// lock, returns the stored record and every query's pending entries (a
// concurrent release counts as released, the safe side), and a query holds
// the workspace's record lock from take until done, so a Load never sees
// an entry both stored and still pending, nor neither.
type releaseLog struct {
	db      *sqlstore.DB
	mu      sync.Mutex
	pending map[string][]pendingRelease // engine workspace name → entries, in append order
	rec     map[string]*sync.Mutex      // engine workspace name → record lock
	held    map[string]*sync.Mutex      // query token → record lock it holds
}

type pendingRelease struct {
	token string // the query's token; "" outside a registered query
	entry sandbox.ReleaseEntry
}

func newReleaseLog(db *sqlstore.DB) *releaseLog {
	return &releaseLog{db: db, pending: map[string][]pendingRelease{}, rec: map[string]*sync.Mutex{}, held: map[string]*sync.Mutex{}}
}

// workspaceNumber parses the engine's workspace name "w<id>".
func workspaceNumber(name string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(name, "w"), 10, 64)
	if err != nil || !strings.HasPrefix(name, "w") {
		return 0, shuyu.Errorf(shuyu.EINTERNAL, "unknown engine workspace %q", name)
	}
	return n, nil
}

// recLock is the record lock of workspace name.
func (l *releaseLog) recLock(name string) *sync.Mutex {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.rec[name]
	if m == nil {
		m = &sync.Mutex{}
		l.rec[name] = m
	}
	return m
}

// Load implements sandbox.ReleaseLog.
func (l *releaseLog) Load(ctx context.Context, name string) ([]sandbox.ReleaseEntry, error) {
	id, err := workspaceNumber(name)
	if err != nil {
		return nil, err
	}
	rl := l.recLock(name)
	rl.Lock()
	defer rl.Unlock()
	rs, err := l.db.WorkspaceReleases(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]sandbox.ReleaseEntry, 0, len(rs))
	for _, r := range rs {
		e := sandbox.ReleaseEntry{At: r.At, SQLHash: r.SQLHash, Epsilon: r.Epsilon}
		if len(r.Cells) > 2 {
			// Records written before the release memory hold other cells;
			// they remember no figure.
			_ = json.Unmarshal(r.Cells, &e.Figures)
		}
		out = append(out, e)
	}
	l.mu.Lock()
	for _, p := range l.pending[name] {
		out = append(out, p.entry)
	}
	l.mu.Unlock()
	return out, nil
}

// Append implements sandbox.ReleaseLog: entries wait for the query's record.
func (l *releaseLog) Append(ctx context.Context, name string, entries []sandbox.ReleaseEntry) error {
	if _, err := workspaceNumber(name); err != nil {
		return err
	}
	token := queryToken(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range entries {
		l.pending[name] = append(l.pending[name], pendingRelease{token: token, entry: e})
	}
	return nil
}

// take returns the pending entries of the query ctx belongs to in workspace
// id, ready for RecordWorkspaceQuery. For a registered query they stay
// pending, and the workspace's record lock stays held, until done(token)
// after the record; outside a registered query they are removed at once.
func (l *releaseLog) take(ctx context.Context, id int64) ([]sqlstore.WorkspaceRelease, error) {
	name, token := engineID(id), queryToken(ctx)
	var es []sandbox.ReleaseEntry
	l.mu.Lock()
	ps := l.pending[name]
	keep := ps[:0:0]
	for _, p := range ps {
		if p.token == token {
			es = append(es, p.entry)
		}
		if p.token != token || token != "" {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		delete(l.pending, name)
	} else {
		l.pending[name] = keep
	}
	_, holding := l.held[token]
	l.mu.Unlock()
	if token != "" && len(es) > 0 && !holding {
		rl := l.recLock(name)
		rl.Lock()
		l.mu.Lock()
		l.held[token] = rl
		l.mu.Unlock()
	}
	out := make([]sqlstore.WorkspaceRelease, 0, len(es))
	for _, e := range es {
		cells := json.RawMessage("[]")
		if len(e.Figures) > 0 {
			b, err := json.Marshal(e.Figures)
			if err != nil {
				return nil, shuyu.Wrap("workspace.releaseLog", err)
			}
			cells = b
		}
		out = append(out, sqlstore.WorkspaceRelease{At: e.At, SQLHash: e.SQLHash, Epsilon: e.Epsilon, Cells: cells})
	}
	return out, nil
}

// done forgets the pending entries of query token (recorded or not: an
// unrecorded release was never shown) and frees the record lock it holds.
func (l *releaseLog) done(token string) {
	if token == "" {
		return
	}
	l.mu.Lock()
	for name, ps := range l.pending {
		keep := ps[:0:0]
		for _, p := range ps {
			if p.token != token {
				keep = append(keep, p)
			}
		}
		if len(keep) == 0 {
			delete(l.pending, name)
		} else {
			l.pending[name] = keep
		}
	}
	rl := l.held[token]
	delete(l.held, token)
	l.mu.Unlock()
	if rl != nil {
		rl.Unlock()
	}
}
