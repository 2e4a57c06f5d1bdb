package sqlstore

import (
	"context"
	"slices"

	"shuyu"
)

// Consent-gated workspaces (R28.5, issue 17). A workspace opened "by
// consent" (workspaces.by_consent) reads, in every real-data query, only the
// rows of subjects with a live grant to its merchant — for that workspace,
// or for every use (a grant naming neither a service nor a workspace). The
// grants are read again for every query (WorkspaceConsents), so a
// revocation committed before a query stops it; the domain side is
// workspace/consent.go. Each query that read a subject's rows counts one
// use of the grant (consent_uses), which the subject sees on its page.

// LiveGrant is one live grant of a consent-gated workspace: the grant and
// its subject's keyed digest (never the subject's ID).
type LiveGrant struct {
	ID      int64
	Subject string
}

// consentWorkspace checks the workspace a consent request names: one of the
// merchant's own, opened by consent, and not together with a service.
func (tx *Tx) consentWorkspace(actor *shuyu.Actor, in ConsentInput) (*int64, error) {
	if in.WorkspaceID == 0 {
		return nil, nil
	}
	bad := func(msg string) error {
		return shuyu.Errorf(shuyu.EINVALID, "只能为本机构按授权使用的工作区申请授权 (workspace not consent-gated)").
			WithDetails([]shuyu.FieldError{{Field: "workspace_id", Message: msg}})
	}
	if in.ServiceID != 0 {
		return nil, bad("授权只能针对一项服务或一个工作区")
	}
	var org, byConsent int64
	err := tx.queryRow(`SELECT org_id, by_consent FROM workspaces WHERE id = ?`, in.WorkspaceID).Scan(&org, &byConsent)
	if isNoRows(err) || err == nil && org != actor.OrgID {
		return nil, bad("不是本机构的工作区")
	}
	if err != nil {
		return nil, err
	}
	if byConsent == 0 {
		return nil, bad("该工作区不是按授权使用的工作区")
	}
	return &in.WorkspaceID, nil
}

// WorkspaceConsents lists the live grants that open workspace id's rows:
// to its merchant, confirmed, not revoked, in term, and for this workspace
// or for every use. The caller (workspace.Service) has authorized the
// query; the list holds digests only.
func (d *DB) WorkspaceConsents(ctx context.Context, id int64) ([]LiveGrant, error) {
	out := []LiveGrant{}
	err := d.view(ctx, func(tx *Tx) error {
		now := micros(tx.now)
		rows, err := tx.query(`SELECT c.id, c.subject_digest FROM consents c JOIN workspaces w ON w.id = ?
			WHERE c.grantee_org_id = w.org_id AND c.status = ? AND c.starts_at <= ? AND c.ends_at > ?
			AND (c.workspace_id = w.id OR c.workspace_id IS NULL AND c.service_id IS NULL) ORDER BY c.id`,
			id, shuyu.ConsentLive, now, now)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var g LiveGrant
			if err := rows.Scan(&g.ID, &g.Subject); err != nil {
				return err
			}
			out = append(out, g)
		}
		return rows.Err()
	})
	return out, err
}

// countConsentUses counts one use of each grant by a query of workspace ws,
// in the query's transaction (R28.5: the subject sees every use).
func (tx *Tx) countConsentUses(ws int64, grants []int64) error {
	if len(grants) == 0 {
		return nil
	}
	grants = slices.Clone(grants)
	slices.Sort(grants)
	grants = slices.Compact(grants)
	day := beijingDay(tx.now)
	for _, g := range grants {
		res, err := tx.exec(`UPDATE consent_uses SET queries = queries + 1, last_at = ? WHERE consent_id = ? AND workspace_id = ? AND day = ?`,
			micros(tx.now), g, ws, day)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if _, err := tx.exec(`INSERT INTO consent_uses (consent_id, workspace_id, day, queries, last_at) VALUES (?, ?, ?, 1, ?)`,
				g, ws, day, micros(tx.now)); err != nil {
				return err
			}
		}
	}
	return nil
}

// subjectQueryUses adds the workspace queries that read the subject's rows,
// one line per grant, workspace and day.
func (tx *Tx) subjectQueryUses(subject string, v *SubjectView) error {
	rows, err := tx.query(`SELECT u.last_at, w.name, o.name, u.queries, u.consent_id FROM consent_uses u
		JOIN consents c ON c.id = u.consent_id JOIN workspaces w ON w.id = u.workspace_id JOIN orgs o ON o.id = w.org_id
		WHERE c.subject_digest = ? ORDER BY u.last_at DESC LIMIT 200`, subject)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		u := SubjectUse{Kind: "query", Outcome: "queried"}
		var at int64
		if err := rows.Scan(&at, &u.Service, &u.Consumer, &u.Count, &u.ConsentID); err != nil {
			return err
		}
		u.At = fromMicros(at)
		v.Uses = append(v.Uses, u)
	}
	return rows.Err()
}
