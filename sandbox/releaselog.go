package sandbox

import (
	"context"
	"encoding/hex"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// ReleaseLog is a workspace's record of released results: what the
// differential-privacy budget is charged to (R28.3). The engine keeps it behind this
// interface so the metadata store can persist it; MemoryReleaseLog serves
// tests and a single process. It holds counts and SM3 digests, never values.
//
// The engine serializes Load and Append per workspace within one process; an
// implementation shared by several processes must do the same across them
// (for example a row lock on the workspace) or two concurrent releases could
// each pass the checks against the other.
type ReleaseLog interface {
	// Load returns every entry recorded for the workspace, oldest first.
	Load(ctx context.Context, workspaceID string) ([]ReleaseEntry, error)
	// Append records entries after the earlier ones.
	Append(ctx context.Context, workspaceID string, entries []ReleaseEntry) error
}

// ReleaseEntry is one released result.
type ReleaseEntry struct {
	At      time.Time `json:"at"`
	SQLHash string    `json:"sql_hash"`          // SM3 of the statement that ran
	Epsilon float64   `json:"epsilon,omitempty"` // differential-privacy budget spent
	// Figures are the released counts and sums with their sketches, for
	// the release memory (memory.go); never unit keys.
	Figures []Figure `json:"figures,omitempty"`
}

// MemoryReleaseLog keeps release records in memory.
type MemoryReleaseLog struct {
	mu sync.Mutex
	m  map[string][]ReleaseEntry
}

// NewMemoryReleaseLog returns an empty in-memory log.
func NewMemoryReleaseLog() *MemoryReleaseLog {
	return &MemoryReleaseLog{m: map[string][]ReleaseEntry{}}
}

// Load implements ReleaseLog.
func (l *MemoryReleaseLog) Load(_ context.Context, workspaceID string) ([]ReleaseEntry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ReleaseEntry(nil), l.m[workspaceID]...), nil
}

// Append implements ReleaseLog.
func (l *MemoryReleaseLog) Append(_ context.Context, workspaceID string, entries []ReleaseEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string][]ReleaseEntry{}
	}
	l.m[workspaceID] = append(l.m[workspaceID], entries...)
	return nil
}

// history is the budget view of a release log.
type history struct {
	spent float64 // differential-privacy epsilon spent so far
}

func newHistory(entries []ReleaseEntry) *history {
	h := &history{}
	for _, e := range entries {
		h.spent += e.Epsilon
	}
	return h
}

func digest(s string) string {
	sum := sm3.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
