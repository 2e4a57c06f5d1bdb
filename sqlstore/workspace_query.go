package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"shuyu"
)

// WorkspaceTable is a table made inside a workspace: a simulated twin (R6.1,
// free to see) or a withheld row-level result kept in the domain (R4.2).
type WorkspaceTable struct {
	ID        int64             `json:"id"`
	Kind      string            `json:"kind"` // simulated, withheld
	Name      string            `json:"name"`
	Source    string            `json:"-"` // physical table
	PersonKey string            `json:"-"`
	Columns   []WorkspaceColumn `json:"columns"`
	Rows      int64             `json:"rows"`
	QueryID   int64             `json:"query_id,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
}

// WorkspaceColumn is one column of a workspace table.
type WorkspaceColumn struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Policy string `json:"policy"`
	// Derived: computed with constants; never an aggregate's argument
	// (sandbox.Column.Derived).
	Derived bool `json:"derived,omitempty"`
}

// Kinds of workspace tables.
const (
	TableSimulated = "simulated"
	TableWithheld  = "withheld"
)

// WorkspaceTables lists the tables made in a workspace, oldest first;
// withheld results dropped at their expiry are left out (workspace_limits.go).
func (d *DB) WorkspaceTables(ctx context.Context, actor *shuyu.Actor, id int64) ([]WorkspaceTable, error) {
	if _, err := d.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceRead, id); err != nil {
		return nil, err
	}
	var out []WorkspaceTable
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id, kind, name, source, person_key, columns_json, rows_count, query_id, created_at
			FROM workspace_tables WHERE workspace_id = ? AND expired_at IS NULL ORDER BY id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t WorkspaceTable
			var js string
			var q sql.NullInt64
			var at int64
			if err := rows.Scan(&t.ID, &t.Kind, &t.Name, &t.Source, &t.PersonKey, &js, &t.Rows, &q, &at); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(js), &t.Columns); err != nil {
				return fmt.Errorf("sqlstore: workspace table columns: %w", err)
			}
			t.QueryID, t.CreatedAt = q.Int64, fromMicros(at)
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// SaveSimulatedTable records (or replaces) the simulated twin of a granted
// table (R6.1), audited as the twin's generation: its shape, never values.
func (d *DB) SaveSimulatedTable(ctx context.Context, actor *shuyu.Actor, id int64, t WorkspaceTable) error {
	if _, err := d.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceSimulate, id); err != nil {
		return err
	}
	t.Kind = TableSimulated
	return d.update(ctx, actor, func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM workspace_tables WHERE workspace_id = ? AND kind = ? AND name = ?`, id, t.Kind, t.Name); err != nil {
			return err
		}
		if err := tx.workspaceTableInsert(id, &t, nil); err != nil {
			return err
		}
		return tx.audit(Change{Action: "workspace.simulate", ObjectType: "workspace", ObjectID: id,
			Detail: map[string]any{"table": t.Name, "rows": t.Rows, "columns": len(t.Columns)}})
	})
}

func (tx *Tx) workspaceTableInsert(wsID int64, t *WorkspaceTable, queryID any) error {
	b, err := json.Marshal(t.Columns)
	if err != nil {
		return err
	}
	t.CreatedAt = tx.now
	t.ID, err = tx.insert(`INSERT INTO workspace_tables (workspace_id, kind, name, source, person_key, columns_json, rows_count,
		query_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		wsID, t.Kind, t.Name, t.Source, t.PersonKey, string(b), t.Rows, queryID, micros(tx.now))
	if isUnique(err) {
		return shuyu.Errorf(shuyu.ECONFLICT, "工作区表 %s 已存在 (table exists)", t.Name)
	}
	return err
}

// RecordWorkspaceQuery records one query with its decision, reasons, rules
// hit, result shape and metering (R14.2), and audits the same in the same
// transaction: text, decision, rules and shape, never values (R27.1). A
// withheld result's table joins the workspace with it, and the release
// record grows by the entries the engine appended for this query.
func (d *DB) RecordWorkspaceQuery(ctx context.Context, actor *shuyu.Actor, q *shuyu.WorkspaceQuery, withheld *WorkspaceTable,
	releases []WorkspaceRelease) error {
	if _, err := d.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceQuery, q.WorkspaceID); err != nil {
		return err
	}
	if q.Reasons == nil {
		q.Reasons = []shuyu.QueryReason{}
	}
	if q.Rules == nil {
		q.Rules = []string{}
	}
	reasons, _ := json.Marshal(q.Reasons)
	rules, _ := json.Marshal(q.Rules)
	shape, err := json.Marshal(q.Shape)
	if err != nil {
		return err
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		q.UserID, q.Username, q.CreatedAt = actor.UserID, actor.Username, tx.now
		id, err := tx.insert(`INSERT INTO workspace_queries (workspace_id, user_id, username, sql_text, data, status, reasons_json,
			rules_json, shape_json, cpu_us, wall_us, rows_scanned, rows_returned, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			q.WorkspaceID, q.UserID, q.Username, q.SQL, q.Data, q.Status, string(reasons), string(rules), string(shape),
			q.CPUMicros, q.WallMicros, q.RowsScanned, q.RowsReturned, micros(tx.now))
		if err != nil {
			return fmt.Errorf("sqlstore: record query: %w", err)
		}
		q.ID = id
		if err := tx.workspaceReleasesInsert(q.WorkspaceID, id, releases); err != nil {
			return err
		}
		if withheld != nil {
			withheld.Kind = TableWithheld
			if err := tx.workspaceTableInsert(q.WorkspaceID, withheld, id); err != nil {
				return err
			}
		}
		if err := tx.countConsentUses(q.WorkspaceID, q.ConsentUses); err != nil {
			return err
		}
		return tx.audit(Change{Action: "workspace.query", ObjectType: "workspace_query", ObjectID: id,
			Detail: map[string]any{"workspace_id": q.WorkspaceID, "sql": q.SQL, "data": q.Data, "status": q.Status,
				"rules": q.Rules, "shape": q.Shape, "cpu_us": q.CPUMicros, "rows_scanned": q.RowsScanned,
				"rows_returned": q.RowsReturned, "releases": len(releases)}})
	})
}

// WorkspaceQueries lists a workspace's queries, newest first, at most limit.
func (d *DB) WorkspaceQueries(ctx context.Context, actor *shuyu.Actor, id int64, limit int) ([]shuyu.WorkspaceQuery, error) {
	if _, err := d.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceRead, id); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	out := []shuyu.WorkspaceQuery{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id, workspace_id, user_id, username, sql_text, data, status, reasons_json, rules_json,
			shape_json, cpu_us, wall_us, rows_scanned, rows_returned, created_at
			FROM workspace_queries WHERE workspace_id = ? ORDER BY id DESC LIMIT ?`, id, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var q shuyu.WorkspaceQuery
			var reasons, rules, shape string
			var at int64
			if err := rows.Scan(&q.ID, &q.WorkspaceID, &q.UserID, &q.Username, &q.SQL, &q.Data, &q.Status, &reasons, &rules,
				&shape, &q.CPUMicros, &q.WallMicros, &q.RowsScanned, &q.RowsReturned, &at); err != nil {
				return err
			}
			q.CreatedAt = fromMicros(at)
			for _, p := range []struct {
				s string
				v any
			}{{reasons, &q.Reasons}, {rules, &q.Rules}, {shape, &q.Shape}} {
				if err := json.Unmarshal([]byte(p.s), p.v); err != nil {
					return fmt.Errorf("sqlstore: workspace query: %w", err)
				}
			}
			out = append(out, q)
		}
		return rows.Err()
	})
	return out, err
}

// WorkspaceUsage sums a workspace's metering for fees (R14.2).
func (d *DB) WorkspaceUsage(ctx context.Context, actor *shuyu.Actor, id int64) (shuyu.WorkspaceUsage, error) {
	var u shuyu.WorkspaceUsage
	if _, err := d.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceRead, id); err != nil {
		return u, err
	}
	err := d.view(ctx, func(tx *Tx) error {
		err := tx.queryRow(`SELECT count(*), coalesce(sum(cpu_us), 0), coalesce(sum(rows_scanned), 0), coalesce(sum(rows_returned), 0)
			FROM workspace_queries WHERE workspace_id = ?`, id).Scan(&u.Queries, &u.CPUMicros, &u.RowsScanned, &u.RowsReturned)
		if err != nil {
			return err
		}
		// The differential-privacy ledger (R28.3): what the releases spent.
		return tx.queryRow(`SELECT coalesce(sum(epsilon), 0) FROM workspace_releases WHERE workspace_id = ?`, id).Scan(&u.EpsilonSpent)
	})
	return u, err
}
