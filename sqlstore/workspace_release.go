package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// WorkspaceRelease is one entry of a workspace's release record (the
// sandbox's ReleaseLog): when, which statement (digest), the differential-
// privacy epsilon spent, and the released figures with their sketches for
// the engine's release memory (sandbox/memory.go): values the merchant was
// shown and hashes, never unit keys (R28.3).
type WorkspaceRelease struct {
	At      time.Time       `json:"at"`
	SQLHash string          `json:"sql_hash"`
	Epsilon float64         `json:"epsilon"`
	Cells   json.RawMessage `json:"cells"`
}

// WorkspaceReleases returns a workspace's release record, oldest first. It
// is the engine's read, made while a query is checked, so it takes no actor:
// the caller has authorized the query.
func (d *DB) WorkspaceReleases(ctx context.Context, id int64) ([]WorkspaceRelease, error) {
	var out []WorkspaceRelease
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT at, sql_hash, epsilon, cells_json FROM workspace_releases WHERE workspace_id = ? ORDER BY id`, id)
		if err != nil {
			return fmt.Errorf("sqlstore: workspace releases: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r WorkspaceRelease
			var at int64
			var cells string
			if err := rows.Scan(&at, &r.SQLHash, &r.Epsilon, &cells); err != nil {
				return err
			}
			r.At, r.Cells = fromMicros(at), json.RawMessage(cells)
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// workspaceReleasesInsert appends release entries in the query's own
// transaction, so the record and the audited query commit together.
func (tx *Tx) workspaceReleasesInsert(wsID, queryID int64, rs []WorkspaceRelease) error {
	for _, r := range rs {
		cells := string(r.Cells)
		if cells == "" {
			cells = "[]"
		}
		if _, err := tx.exec(`INSERT INTO workspace_releases (workspace_id, query_id, at, sql_hash, epsilon, cells_json)
			VALUES (?, ?, ?, ?, ?, ?)`, wsID, queryID, micros(r.At), r.SQLHash, r.Epsilon, cells); err != nil {
			return fmt.Errorf("sqlstore: workspace release: %w", err)
		}
	}
	return nil
}
