package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
)

// The store's side of the governed queries' cost limits (docs/limits.md):
// the withheld-result quota counts live results, the expiry sweep lists the
// results past their retention and marks each one expired once the domain
// has dropped it, and an overseer's cancellation of a running query is an
// audited event (R27.1).

// WithheldCount counts the workspace's live withheld results (the quota).
// Like WorkspaceReleases it is the engine's read, made while a query the
// caller has authorized runs, so it takes no actor.
func (d *DB) WithheldCount(ctx context.Context, id int64) (int, error) {
	var n int
	err := d.view(ctx, func(tx *Tx) error {
		return tx.queryRow(`SELECT count(*) FROM workspace_tables WHERE workspace_id = ? AND kind = ? AND expired_at IS NULL`,
			id, TableWithheld).Scan(&n)
	})
	return n, err
}

// WithheldNames lists the name of every withheld result the workspace has
// kept, expired ones included, so the engine never gives a name twice.
func (d *DB) WithheldNames(ctx context.Context, id int64) ([]string, error) {
	var out []string
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT name FROM workspace_tables WHERE workspace_id = ? AND kind = ? ORDER BY id`, id, TableWithheld)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			out = append(out, n)
		}
		return rows.Err()
	})
	return out, err
}

// DueTable is a withheld result past its retention.
type DueTable struct {
	WorkspaceID int64
	WorkspaceTable
}

// DueWithheld lists live withheld results of every workspace created
// before before, oldest first, at most limit (the expiry sweep's read).
func (d *DB) DueWithheld(ctx context.Context, before time.Time, limit int) ([]DueTable, error) {
	if limit <= 0 {
		limit = 500
	}
	var out []DueTable
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id, workspace_id, name, source, rows_count, query_id, created_at FROM workspace_tables
			WHERE kind = ? AND expired_at IS NULL AND created_at < ? ORDER BY created_at, id LIMIT ?`, TableWithheld, micros(before), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t DueTable
			var q *int64
			var at int64
			if err := rows.Scan(&t.ID, &t.WorkspaceID, &t.Name, &t.Source, &t.Rows, &q, &at); err != nil {
				return err
			}
			t.Kind, t.CreatedAt = TableWithheld, fromMicros(at)
			if q != nil {
				t.QueryID = *q
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

var errExpireNothing = errors.New("expire: already expired")

// ExpireWithheld marks one withheld result expired after the domain has
// dropped it, audited as the system's act with the retention that applied.
// It reports false when the result was already marked (another sweeper, or
// a repeat), which is not an error.
func (d *DB) ExpireWithheld(ctx context.Context, actor *shuyu.Actor, t DueTable, ttl time.Duration) (bool, error) {
	if actor == nil || !actor.IsSystem() {
		return false, shuyu.Errorf(shuyu.EFORBIDDEN, "明细结果表到期清理由系统执行 (expiry is the system's)")
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE workspace_tables SET expired_at = ? WHERE id = ? AND workspace_id = ? AND kind = ? AND expired_at IS NULL`,
			micros(tx.now), t.ID, t.WorkspaceID, TableWithheld)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errExpireNothing
		}
		return tx.audit(Change{Action: "workspace.table_expire", ObjectType: "workspace", ObjectID: t.WorkspaceID,
			Reason: fmt.Sprintf("明细结果表 %s 保留期 %s 届满，已从数据域删除", t.Name, ttlText(ttl)),
			Detail: map[string]any{"table": t.Name, "query_id": t.QueryID, "rows": t.Rows,
				"created_at": t.CreatedAt, "ttl_seconds": int64(ttl / time.Second)}})
	})
	if errors.Is(err, errExpireNothing) {
		return false, nil
	}
	return err == nil, err
}

func ttlText(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d 天", d/(24*time.Hour))
	}
	return d.String()
}

// QueryCancel is an overseer's cancellation of a running (or queued)
// governed query: which query, whose, and why.
type QueryCancel struct {
	Token       string
	WorkspaceID int64
	OrgID       int64
	UserID      int64 // the merchant's user who ran it
	Username    string
	SQLHash     string // SM3 of the query text
	State       string // queued, running
	StartedAt   time.Time
	Reason      string
}

// RecordQueryCancel authorizes an overseer's cancellation and audits it
// (R27.1): who cancelled, why, and which query. The caller cancels the
// query only once this has committed.
func (d *DB) RecordQueryCancel(ctx context.Context, actor *shuyu.Actor, c QueryCancel) error {
	if err := shuyu.Authorize(actor, shuyu.ActQueryOversee, shuyu.Resource{Kind: "query"}); err != nil {
		return err
	}
	c.Reason = strings.TrimSpace(c.Reason)
	if utf8.RuneCountInString(c.Reason) < 4 || utf8.RuneCountInString(c.Reason) > 500 {
		return shuyu.Errorf(shuyu.EINVALID, "取消查询须说明理由（4 至 500 字） (reason required)").
			WithDetails([]shuyu.FieldError{{Field: "reason", Message: "请填写理由"}})
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		return tx.audit(Change{Action: "workspace.query_cancel", ObjectType: "workspace", ObjectID: c.WorkspaceID, Reason: c.Reason,
			Detail: map[string]any{"token": c.Token, "org_id": c.OrgID, "user_id": c.UserID, "username": c.Username,
				"sql_sm3": c.SQLHash, "state": c.State, "started_at": c.StartedAt}})
	})
}
