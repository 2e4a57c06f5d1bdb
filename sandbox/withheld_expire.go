package sandbox

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"shuyu"
)

// Withheld results cost space in the shared domain, so the platform bounds
// them (docs/limits.md): a workspace keeps at most a quota of them, and each
// one expires after a retention period. The engine enforces neither number
// itself: the caller asks RowLevel before running a query at the quota,
// passes a gate in the query's context that the engine consults before it
// stores a row-level result, and drops expired results with DropWithheld.

type withheldGateKey struct{}

// WithWithheldGate returns ctx carrying gate. Just before the engine
// stores a row-level result it calls gate; a non-nil error stops the query
// with the engine's uniform failure outcome. The gate must decide from
// metadata only (how many results the workspace keeps), never from data.
// It is the quota's backstop against concurrent queries and its
// reservation; the caller refuses a row-level query over the quota with a
// reason of its own before the query runs (RowLevel).
func WithWithheldGate(ctx context.Context, gate func() error) context.Context {
	return context.WithValue(ctx, withheldGateKey{}, gate)
}

// withheldGate asks the gate in ctx, if any.
func withheldGate(ctx context.Context) error {
	if g, ok := ctx.Value(withheldGateKey{}).(func() error); ok && g != nil {
		return g()
	}
	return nil
}

// RowLevel reports whether sqlText, checked against ws, would be kept as a
// withheld row-level result: it passes the checks and does not aggregate.
// It runs nothing over data: it parses and checks only, as Run begins, so
// the caller can refuse a row-level query (the result quota) before
// anything runs. A query the checks refuse is not row-level here; Run
// gives its reasons.
func (e *Engine) RowLevel(ctx context.Context, conn *sql.Conn, ws *Workspace, sqlText string) (bool, error) {
	const op = "sandbox.RowLevel"
	if err := validWorkspace(ws); err != nil {
		return false, shuyu.Wrap(op, err)
	}
	c, p, why, err := e.check(ctx, conn, ws, sqlText)
	if err != nil {
		return false, shuyu.Wrap(op, err)
	}
	return why == nil && p != nil && !c.failed() && !p.aggregate, nil
}

// WithheldSeq parses a withheld result's merchant-facing name result_N.
func WithheldSeq(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, "result_")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// ReserveWithheld makes the workspace's next withheld result number larger
// than n, so that a name once used (and perhaps dropped since, or recorded
// by a previous process) is never given to another result.
func (e *Engine) ReserveWithheld(workspaceID string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seq == nil {
		e.seq = map[string]int{}
	}
	if n > e.seq[workspaceID] {
		e.seq[workspaceID] = n
	}
}

// DropWithheld removes one withheld result (result_N) of a workspace from
// the domain, for its expiry. Dropping a table that is already gone is not
// an error, so a sweep interrupted between the domain and the store can be
// repeated. The number stays reserved: no later result reuses the name.
func (e *Engine) DropWithheld(ctx context.Context, conn *sql.Conn, workspaceID, table string) error {
	const op = "sandbox.DropWithheld"
	if err := validWorkspaceID(workspaceID); err != nil {
		return shuyu.Wrap(op, err)
	}
	n, ok := WithheldSeq(table)
	if !ok {
		return shuyu.Wrap(op, shuyu.Errorf(shuyu.EINVALID, "不是明细结果表 %q (not a withheld result)", table))
	}
	e.ReserveWithheld(workspaceID, n)
	schema := withheldSchema(workspaceID)
	var have int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name = ? AND table_name = ?`, schema, table).Scan(&have); err != nil {
		return shuyu.Wrap(op, err)
	}
	if have == 0 {
		return nil
	}
	if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteIdent(schema)+"."+quoteIdent(table)); err != nil {
		return shuyu.Wrap(op, err)
	}
	return nil
}
