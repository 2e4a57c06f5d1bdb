package sandbox

import (
	"context"
	"database/sql"
	"fmt"
)

// Limits bounds the resources of a locked connection (Invariant 6).
type Limits struct {
	MemoryLimit string // e.g. "2GB"; empty keeps DuckDB's default
	Threads     int    // 0 keeps DuckDB's default
}

// Lockdown closes every door of a DuckDB connection a query could use to
// leave the domain (R4.2, R28.3): no file or network access, no extension
// installs or loads, and no further configuration changes. It is one-way:
// the settings cannot be changed back on this database afterwards.
func Lockdown(ctx context.Context, conn *sql.Conn) error {
	return LockdownLimits(ctx, conn, Limits{})
}

// LockdownLimits is Lockdown with resource limits applied before the lock.
func LockdownLimits(ctx context.Context, conn *sql.Conn, lim Limits) error {
	stmts := []string{}
	if lim.MemoryLimit != "" {
		stmts = append(stmts, fmt.Sprintf("SET memory_limit = '%s'", quoteLiteral(lim.MemoryLimit)))
	}
	if lim.Threads > 0 {
		stmts = append(stmts, fmt.Sprintf("SET threads = %d", lim.Threads))
	}
	stmts = append(stmts,
		"SET enable_external_access = false",
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET lock_configuration = true", // last: it freezes everything above
	)
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("sandbox.Lockdown %q: %w", s, err)
		}
	}
	return nil
}

// quoteLiteral doubles single quotes for a SQL string literal.
func quoteLiteral(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// quoteIdent quotes an identifier for DuckDB.
func quoteIdent(s string) string {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(append(out, '"'))
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
