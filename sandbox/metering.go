package sandbox

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"syscall"
	"time"
	"weak"
)

// scanTTL is how long a source's catalog row estimate is reused. Reading
// duckdb_tables() costs about a millisecond, a visible share of a governed
// query's overhead (issue 6 benchmark); a reload shows within scanTTL.
const scanTTL = 10 * time.Second

type scanKey struct {
	conn   weak.Pointer[sql.Conn]
	source string
}

type scanEstimate struct {
	rows int64
	at   time.Time
}

// scanCache remembers sources' estimated sizes per connection.
type scanCache struct {
	mu sync.Mutex
	m  map[scanKey]scanEstimate
}

// rowsScanned estimates the rows a query reads from its sources' catalog
// sizes (R14.2, best effort: views and filters are not accounted for; a
// table joined to itself counts twice; withheld results count nothing).
func (e *Engine) rowsScanned(ctx context.Context, conn *sql.Conn, scope []scopeEntry) int64 {
	now := time.Now() // metering only (R14.2), no rule depends on it
	wp := weak.Make(conn)
	var total int64
	for _, s := range scope {
		if s.table.Source == "" || strings.HasPrefix(s.table.Source, withheldPrefix) {
			// A subquery is metered through its own tables; a withheld
			// result's size is itself a figure about people (R28.3).
			continue
		}
		key := scanKey{wp, s.table.Source}
		e.scans.mu.Lock()
		est, ok := e.scans.m[key]
		e.scans.mu.Unlock()
		if !ok || now.Sub(est.at) > scanTTL {
			schema, table, found := strings.Cut(s.table.Source, ".")
			if !found {
				schema, table = "main", s.table.Source
			}
			var n sql.NullInt64
			err := conn.QueryRowContext(ctx,
				"SELECT estimated_size FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", schema, table).Scan(&n)
			if err != nil || !n.Valid {
				continue
			}
			est = scanEstimate{rows: n.Int64, at: now}
			e.scans.mu.Lock()
			if e.scans.m == nil {
				e.scans.m = map[scanKey]scanEstimate{}
			}
			e.scans.m[key] = est
			e.scans.mu.Unlock()
		}
		total += est.rows
	}
	return total
}

// cpuTime is the process's user+system CPU time. DuckDB works on its own
// threads, so per-goroutine accounting is impossible; concurrent work in the
// process is included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
