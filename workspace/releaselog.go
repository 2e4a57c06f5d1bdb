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
// never shown. The service's per-workspace lock makes load, decide, append
// and record one step within a process.
type releaseLog struct {
	db      *sqlstore.DB
	mu      sync.Mutex
	pending map[string][]sandbox.ReleaseEntry
}

func newReleaseLog(db *sqlstore.DB) *releaseLog {
	return &releaseLog{db: db, pending: map[string][]sandbox.ReleaseEntry{}}
}

// workspaceNumber parses the engine's workspace name "w<id>".
func workspaceNumber(name string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(name, "w"), 10, 64)
	if err != nil || !strings.HasPrefix(name, "w") {
		return 0, shuyu.Errorf(shuyu.EINTERNAL, "unknown engine workspace %q", name)
	}
	return n, nil
}

// Load implements sandbox.ReleaseLog.
func (l *releaseLog) Load(ctx context.Context, name string) ([]sandbox.ReleaseEntry, error) {
	id, err := workspaceNumber(name)
	if err != nil {
		return nil, err
	}
	rs, err := l.db.WorkspaceReleases(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]sandbox.ReleaseEntry, 0, len(rs))
	for _, r := range rs {
		e := sandbox.ReleaseEntry{At: r.At, SQLHash: r.SQLHash, Epsilon: r.Epsilon}
		if err := json.Unmarshal(r.Cells, &e.Cells); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	l.mu.Lock()
	out = append(out, l.pending[name]...)
	l.mu.Unlock()
	return out, nil
}

// Append implements sandbox.ReleaseLog: entries wait for the query's record.
func (l *releaseLog) Append(_ context.Context, name string, entries []sandbox.ReleaseEntry) error {
	if _, err := workspaceNumber(name); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending[name] = append(l.pending[name], entries...)
	return nil
}

// take removes and returns the pending entries of workspace id, ready for
// RecordWorkspaceQuery.
func (l *releaseLog) take(id int64) ([]sqlstore.WorkspaceRelease, error) {
	l.mu.Lock()
	es := l.pending[engineID(id)]
	delete(l.pending, engineID(id))
	l.mu.Unlock()
	out := make([]sqlstore.WorkspaceRelease, 0, len(es))
	for _, e := range es {
		cells, err := json.Marshal(e.Cells)
		if err != nil {
			return nil, err
		}
		out = append(out, sqlstore.WorkspaceRelease{At: e.At, SQLHash: e.SQLHash, Epsilon: e.Epsilon, Cells: cells})
	}
	return out, nil
}
