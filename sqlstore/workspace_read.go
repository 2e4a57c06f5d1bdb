package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"shuyu"
)

const workspaceCols = `w.id, w.org_id, o.name, w.agreement_id, w.name, w.status, w.status_reason, w.k, w.epsilon,
	w.starts_at, w.ends_at, w.created_at, w.updated_at, w.by_consent`

// workspace loads a workspace with its grants and its effective status:
// closed and frozen as stored, frozen too when every granted entry's supply
// is suspended (R27.3), expired once the term has ended (R34.1).
func (tx *Tx) workspace(id int64) (*shuyu.Workspace, error) {
	var w shuyu.Workspace
	var agreement sql.NullInt64
	var starts, ends, created, updated, byConsent int64
	err := tx.queryRow(`SELECT `+workspaceCols+` FROM workspaces w JOIN orgs o ON o.id = w.org_id WHERE w.id = ?`, id).
		Scan(&w.ID, &w.OrgID, &w.OrgName, &agreement, &w.Name, &w.Status, &w.StatusReason, &w.K, &w.Epsilon,
			&starts, &ends, &created, &updated, &byConsent)
	if isNoRows(err) {
		return nil, notFound("工作区")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: workspace: %w", err)
	}
	w.AgreementID, w.ByConsent = agreement.Int64, byConsent != 0
	w.StartsAt, w.EndsAt, w.CreatedAt, w.UpdatedAt = fromMicros(starts), fromMicros(ends), fromMicros(created), fromMicros(updated)
	rows, err := tx.query(`SELECT g.entry_id, e.code, coalesce(r.name, ''), coalesce(r.grade, ''), e.org_id, g.table_name, g.fields_json
		FROM workspace_grants g JOIN catalog_entries e ON e.id = g.entry_id
		LEFT JOIN catalog_revisions r ON r.id = e.published_rev_id
		WHERE g.workspace_id = ? ORDER BY g.table_name`, id)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: workspace grants: %w", err)
	}
	for rows.Next() {
		var e shuyu.WorkspaceEntry
		var js string
		if err := rows.Scan(&e.EntryID, &e.EntryCode, &e.EntryName, &e.Grade, &e.OrgID, &e.Table, &js); err != nil {
			rows.Close()
			return nil, err
		}
		var g workspaceGrantRow
		if err := json.Unmarshal([]byte(js), &g); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlstore: workspace grants: %w", err)
		}
		e.Fields, e.PersonKey, e.OneEach, e.VaultName = g.Fields, g.PersonKey, g.OneEach, e.Table
		w.Grants = append(w.Grants, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// An agreement that was terminated ends its workspace (R19.1).
	if w.AgreementID != 0 && w.Status != shuyu.WorkspaceClosed {
		var st, why string
		err := tx.queryRow(`SELECT status, end_reason FROM agreements WHERE id = ?`, w.AgreementID).Scan(&st, &why)
		if err != nil && !isNoRows(err) {
			return nil, err
		}
		if st == shuyu.AgrTerminated {
			w.Status, w.StatusReason = shuyu.WorkspaceClosed, "开发利用协议已解除："+why
		}
	}
	suspended := 0
	for i := range w.Grants {
		s, err := tx.domainSuspended(w.Grants[i].EntryID)
		if err != nil {
			return nil, err
		}
		// R2.1: a table whose entry is marked secret is unavailable, like a
		// suspended one; a marked field is no longer granted.
		entry, marked, err := tx.secretMarks(w.Grants[i].EntryID)
		if err != nil {
			return nil, err
		}
		if entry != "" {
			s = true
			w.Grants[i].Secret = true
		}
		if len(marked) > 0 {
			kept := w.Grants[i].Fields[:0:0]
			for _, f := range w.Grants[i].Fields {
				if marked[strings.ToLower(f.Name)] != "" {
					w.Grants[i].SecretFields = append(w.Grants[i].SecretFields, f.Name)
				} else {
					kept = append(kept, f)
				}
			}
			w.Grants[i].Fields = kept
		}
		w.Grants[i].Suspended = s
		if s {
			suspended++
		}
	}
	switch {
	case w.Status != shuyu.WorkspaceActive:
	case len(w.Grants) > 0 && suspended == len(w.Grants):
		w.Status, w.StatusReason = shuyu.WorkspaceFrozen, "授权数据的供给已被主管部门暂停 (R27.3 supply suspended)"
	case !tx.now.Before(w.EndsAt):
		w.Status, w.StatusReason = shuyu.WorkspaceExpired, "协议约定的使用期限已届满" // R34.1; shown on pages as is
	case tx.now.Before(w.StartsAt):
		// R14.1: the workspace serves the agreement's term, not before it.
		w.Status, w.StatusReason = shuyu.WorkspaceNotStarted, fmt.Sprintf("使用期限自 %s 开始，届时方可查询",
			w.StartsAt.In(reviewCST).Format("2006-01-02 15:04"))
	}
	return &w, nil
}

// Workspace returns one workspace the actor may read; another merchant's
// answers ENOTFOUND (invariant 3).
func (d *DB) Workspace(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Workspace, error) {
	return d.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceRead, id)
}

// WorkspaceFor loads a workspace and authorizes action on it.
func (d *DB) WorkspaceFor(ctx context.Context, actor *shuyu.Actor, action shuyu.Action, id int64) (*shuyu.Workspace, error) {
	var w *shuyu.Workspace
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		w, err = tx.workspace(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, action, w.Resource()); err != nil {
		return nil, err
	}
	return w, nil
}

// Workspaces lists the workspaces the actor may read: a merchant its own,
// the operator, the authority and regulators all.
func (d *DB) Workspaces(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.Workspace, error) {
	if err := shuyu.Authorize(actor, shuyu.ActWorkspaceRead, shuyu.Resource{Kind: "workspace"}); err != nil {
		return nil, err
	}
	var out []*shuyu.Workspace
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id, org_id FROM workspaces ORDER BY id DESC`)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id, org int64
			if err := rows.Scan(&id, &org); err != nil {
				rows.Close()
				return err
			}
			if shuyu.Can(actor, shuyu.ActWorkspaceRead, shuyu.Resource{Kind: "workspace", OrgID: org, Exists: true}) {
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			w, err := tx.workspace(id)
			if err != nil {
				return err
			}
			out = append(out, w)
		}
		return nil
	})
	return out, err
}

// WorkspaceSecret returns the workspace's masking key (HMAC-SM3, R28.5) for
// the query engine; only those who may query get it, and it is never shown.
func (d *DB) WorkspaceSecret(ctx context.Context, actor *shuyu.Actor, id int64) ([]byte, error) {
	if _, err := d.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceQuery, id); err != nil {
		return nil, err
	}
	var s string
	if err := d.view(ctx, func(tx *Tx) error {
		return tx.queryRow(`SELECT secret FROM workspaces WHERE id = ?`, id).Scan(&s)
	}); err != nil {
		return nil, err
	}
	return hex.DecodeString(s)
}

// SetWorkspaceStatus freezes, unfreezes or closes a workspace (R27.3). The
// event must be allowed from the stored state, and freezing and closing must
// say why.
func (d *DB) SetWorkspaceStatus(ctx context.Context, actor *shuyu.Actor, id int64, event, reason string) (*shuyu.Workspace, error) {
	action, audited := shuyu.ActWorkspaceFreeze, shuyu.AuditWorkspaceFreeze
	switch event {
	case "freeze":
	case "unfreeze":
		audited = shuyu.AuditWorkspaceUnfreeze
	case "close":
		action, audited = shuyu.ActWorkspaceClose, shuyu.AuditWorkspaceClose
	default:
		return nil, shuyu.Errorf(shuyu.EINVALID, "操作须为 freeze、unfreeze 或 close (unknown action)")
	}
	reason = strings.TrimSpace(reason)
	if event != "unfreeze" && utf8.RuneCountInString(reason) < 4 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "冻结或关闭工作区须说明理由（至少 4 个字） (reason required)").
			WithDetails([]shuyu.FieldError{{Field: "reason", Message: "请填写理由"}})
	}
	if _, err := d.WorkspaceFor(ctx, actor, action, id); err != nil {
		return nil, err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		var from string
		if err := tx.queryRow(`SELECT status FROM workspaces WHERE id = ?`, id).Scan(&from); err != nil {
			return err
		}
		to, err := shuyu.WorkspaceMachine.Next(from, event)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE workspaces SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?`,
			to, reason, micros(tx.now), id); err != nil {
			return err
		}
		return tx.audit(Change{Action: audited, ObjectType: "workspace", ObjectID: id, Reason: reason,
			Detail: map[string]any{"from": from, "to": to}})
	})
	if err != nil {
		return nil, err
	}
	return d.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceRead, id)
}
