package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"shuyu"
)

// Notice is one message in the in-app inbox (R20.2, R21.1: every result
// reaches the parties). It addresses an organization (all its users see
// it) or one user; each user reads it separately.
type Notice struct {
	ID         int64     `json:"id"`
	OrgID      int64     `json:"org_id,omitempty"`
	UserID     int64     `json:"user_id,omitempty"`
	Kind       string    `json:"kind"`  // e.g. application.checked, review.decided
	Title      string    `json:"title"` // Chinese, one line
	Body       string    `json:"body,omitempty"`
	ObjectType string    `json:"object_type,omitempty"`
	ObjectID   string    `json:"object_id,omitempty"`
	Link       string    `json:"link,omitempty"` // a page path, e.g. /applications/12
	CreatedAt  time.Time `json:"created_at"`
	Read       bool      `json:"read"`
}

// notify puts n in the inbox of its organization or user, in the caller's
// transaction: the message exists exactly when the change it reports does.
// Any capability may call it; the change itself is audited by the caller.
func (tx *Tx) notify(n Notice) error {
	if n.OrgID == 0 && n.UserID == 0 {
		return fmt.Errorf("sqlstore: notify %s: no addressee", n.Kind)
	}
	if n.OrgID != 0 && n.UserID != 0 {
		n.OrgID = 0 // a user address is the narrower one
	}
	_, err := tx.exec(`INSERT INTO notices (org_id, user_id, kind, title, body, object_type, object_id, link, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.OrgID, n.UserID, n.Kind, truncate(n.Title, 200), truncate(n.Body, 4000),
		n.ObjectType, n.ObjectID, n.Link, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: notify %s: %w", n.Kind, err)
	}
	return nil
}

// notifyOrgs sends n to each organization once.
func (tx *Tx) notifyOrgs(orgIDs []int64, n Notice) error {
	seen := map[int64]bool{}
	for _, id := range orgIDs {
		if id == 0 || seen[id] {
			continue
		}
		seen[id] = true
		n.OrgID, n.UserID = id, 0
		if err := tx.notify(n); err != nil {
			return err
		}
	}
	return nil
}

// orgsOfKind lists the organizations of a kind (the authority, the operator).
func (tx *Tx) orgsOfKind(kind shuyu.OrgKind) ([]int64, error) {
	rows, err := tx.query(`SELECT id FROM orgs WHERE kind = ? AND status = 'active' ORDER BY id`, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

const noticeVisible = `(n.user_id = ? OR (n.user_id = 0 AND n.org_id = ?))`

// Inbox returns the actor's messages (its own and its organization's),
// newest first, and the number unread.
func (d *DB) Inbox(ctx context.Context, actor *shuyu.Actor, limit int, unreadOnly bool) ([]Notice, int, error) {
	if actor == nil || actor.IsSystem() {
		return nil, 0, shuyu.Errorf(shuyu.EUNAUTHORIZED, "请先登录 (login required)")
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []Notice
	unread := 0
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if unread, err = tx.unreadCount(actor); err != nil {
			return err
		}
		q := `SELECT n.id, n.org_id, n.user_id, n.kind, n.title, n.body, n.object_type, n.object_id, n.link, n.created_at,
			r.read_at FROM notices n LEFT JOIN notice_reads r ON r.notice_id = n.id AND r.user_id = ?
			WHERE ` + noticeVisible
		if unreadOnly {
			q += ` AND r.read_at IS NULL`
		}
		rows, err := tx.query(q+` ORDER BY n.id DESC LIMIT ?`, actor.UserID, actor.UserID, actor.OrgID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n Notice
			var at int64
			var readAt *int64
			if err := rows.Scan(&n.ID, &n.OrgID, &n.UserID, &n.Kind, &n.Title, &n.Body, &n.ObjectType, &n.ObjectID,
				&n.Link, &at, &readAt); err != nil {
				return err
			}
			n.CreatedAt, n.Read = fromMicros(at), readAt != nil
			out = append(out, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: inbox: %w", err)
	}
	return out, unread, nil
}

func (tx *Tx) unreadCount(actor *shuyu.Actor) (int, error) {
	var n int
	err := tx.queryRow(`SELECT count(*) FROM notices n WHERE `+noticeVisible+`
		AND NOT EXISTS (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.user_id = ?)`,
		actor.UserID, actor.OrgID, actor.UserID).Scan(&n)
	return n, err
}

// UnreadCount is the badge number.
func (d *DB) UnreadCount(ctx context.Context, actor *shuyu.Actor) (int, error) {
	if actor == nil || actor.IsSystem() {
		return 0, nil
	}
	var n int
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.unreadCount(actor)
		return err
	})
	return n, err
}

// MarkRead marks the listed messages (or, with none listed, all) read for
// the actor. Messages the actor cannot see are ignored, never revealed.
func (d *DB) MarkRead(ctx context.Context, actor *shuyu.Actor, ids []int64) (int, error) {
	if actor == nil || actor.IsSystem() {
		return 0, shuyu.Errorf(shuyu.EUNAUTHORIZED, "请先登录 (login required)")
	}
	if len(ids) > 500 {
		return 0, shuyu.Errorf(shuyu.EINVALID, "一次最多标记 500 条 (at most 500 at once)")
	}
	marked := 0
	err := d.update(ctx, actor, func(tx *Tx) error {
		q := `SELECT n.id FROM notices n WHERE ` + noticeVisible + `
			AND NOT EXISTS (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.user_id = ?)`
		args := []any{actor.UserID, actor.OrgID, actor.UserID}
		if len(ids) > 0 {
			q += ` AND n.id IN (?` + strings.Repeat(`, ?`, len(ids)-1) + `)`
			for _, id := range ids {
				args = append(args, id)
			}
		}
		rows, err := tx.query(q, args...)
		if err != nil {
			return err
		}
		var todo []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range todo {
			if _, err := tx.exec(`INSERT INTO notice_reads (notice_id, user_id, read_at) VALUES (?, ?, ?)`,
				id, actor.UserID, micros(tx.now)); err != nil {
				return err
			}
		}
		marked = len(todo)
		return tx.audit(Change{Action: shuyu.AuditInboxRead, ObjectType: "user", ObjectID: actor.UserID,
			Detail: map[string]any{"count": marked}})
	})
	return marked, err
}
