package outcheck

import "context"

// Progress is how far a running Check has come, for a progress display:
// the stage, the table being checked (1-based) of how many, and the rows of
// that table scanned so far. It carries counts only, never values.
type Progress struct {
	Stage  string // StageScan or StageLinkage
	Table  int    // 1-based
	Tables int
	Rows   int64 // rows of the current table scanned so far
}

// Stages a Check reports.
const (
	StageScan    = "scan"    // one pass over a table: counts and sketches
	StageLinkage = "linkage" // can its records be linked back to raw data
)

type progressKey struct{}

// WithProgress returns a context under which Check calls fn as it goes: at
// the start of each table and stage, and every 65,536 rows of a scan. fn
// runs on the checking goroutine and must return quickly.
func WithProgress(ctx context.Context, fn func(Progress)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

func progressOf(ctx context.Context) func(Progress) {
	if fn, ok := ctx.Value(progressKey{}).(func(Progress)); ok && fn != nil {
		return fn
	}
	return func(Progress) {}
}
