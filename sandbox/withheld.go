package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"shuyu"
)

// Withheld results (R4.2, R28.3) live in a schema of their own per
// workspace, ws_<id>, as result_1, result_2…: one workspace's results can
// never be named by another (the checker refuses schema-qualified names and
// grants only the workspace's tables), and closing a workspace drops them all
// at once. The ws_ schema prefix is reserved for this.

const withheldPrefix = "ws_"

// withheldSchema is the schema holding a workspace's withheld results.
// Workspace IDs are [A-Za-z0-9_]; DuckDB folds identifier case.
func withheldSchema(workspaceID string) string {
	return withheldPrefix + strings.ToLower(workspaceID)
}

// createWithheld stores q's rows as the workspace's next result table and
// returns its merchant-facing name and quoted physical name.
func (e *Engine) createWithheld(ctx context.Context, conn *sql.Conn, ws *Workspace, q string) (string, string, error) {
	const op = "sandbox.withhold"
	if err := withheldGate(ctx); err != nil { // the workspace's result quota (withheld_expire.go)
		return "", "", err
	}
	schema := withheldSchema(ws.ID)
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(schema)); err != nil {
		return "", "", shuyu.Wrap(op, err)
	}
	// Resume numbering from the catalog, so results kept in a file-backed
	// domain survive a restart without being overwritten.
	var last int
	err := conn.QueryRowContext(ctx, `SELECT coalesce(max(TRY_CAST(substr(table_name, 8) AS INTEGER)), 0)
		FROM duckdb_tables() WHERE schema_name = ? AND starts_with(table_name, 'result_')`, schema).Scan(&last)
	if err != nil {
		return "", "", shuyu.Wrap(op, err)
	}
	e.mu.Lock()
	if e.seq == nil {
		e.seq = map[string]int{}
	}
	n := max(e.seq[ws.ID], last) + 1
	name := fmt.Sprintf("result_%d", n)
	for {
		if _, taken := ws.table(name); !taken {
			break
		}
		n++
		name = fmt.Sprintf("result_%d", n)
	}
	e.seq[ws.ID] = n
	e.mu.Unlock()
	source := quoteIdent(schema) + "." + quoteIdent(name)
	if _, err := conn.ExecContext(ctx, "CREATE TABLE "+source+" AS "+q); err != nil {
		return "", "", engineError(op, err)
	}
	return name, source, nil
}

// DropWorkspace removes every withheld result of a closed or expired
// workspace from the domain and forgets its masking key. The release record
// stays: it is part of the audit trail (R27.1).
func (e *Engine) DropWorkspace(ctx context.Context, conn *sql.Conn, workspaceID string) error {
	const op = "sandbox.DropWorkspace"
	if err := validWorkspaceID(workspaceID); err != nil {
		return shuyu.Wrap(op, err)
	}
	if _, err := conn.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+quoteIdent(withheldSchema(workspaceID))+" CASCADE"); err != nil {
		return shuyu.Wrap(op, err)
	}
	e.keys.remove(workspaceID)
	e.mu.Lock()
	delete(e.seq, workspaceID)
	e.mu.Unlock()
	return nil
}

// DropClosed removes the withheld results of every workspace for which open
// answers false (it receives the lower-case workspace ID of the schema), for
// a periodic cleanup after closures or a crash. It returns the IDs dropped.
func (e *Engine) DropClosed(ctx context.Context, conn *sql.Conn, open func(workspaceID string) bool) ([]string, error) {
	const op = "sandbox.DropClosed"
	rows, err := conn.QueryContext(ctx, `SELECT schema_name FROM duckdb_schemas()
		WHERE database_name = current_database() AND starts_with(schema_name, ?) ORDER BY schema_name`, withheldPrefix)
	if err != nil {
		return nil, shuyu.Wrap(op, err)
	}
	var ids []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, shuyu.Wrap(op, err)
		}
		if id := strings.TrimPrefix(s, withheldPrefix); !open(id) {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, shuyu.Wrap(op, err)
	}
	for _, id := range ids {
		if err := e.DropWorkspace(ctx, conn, id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
