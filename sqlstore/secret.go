package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"shuyu"
)

// Secret marks (R2.1). State secrets and work secrets never enter the
// authorized catalog, applications, workspaces, the data domain or
// products. A mark is recorded by the department that owns the entry or by
// an authority of its region and takes effect in the transaction that
// records it; only the city authority lifts it, with a reason. The refusal
// is enforced here, in the store, at every door data passes through, the
// same doors that refuse prohibited data (R4.5) and suspended supply
// (R27.3):
//
//   - CatalogStep: submitting, approving and publishing a revision
//     (catalog.go);
//   - appResolveItem: applying for the entry or the field (application.go);
//   - DecideReview: approving an application round (review.go);
//   - workspaceForAgreement: the grant a signed agreement opens
//     (workspace_agreement.go), and the workspace read every query starts
//     from (workspace_read.go: a marked entry's table is unavailable, a
//     marked field is no longer granted);
//   - StartSupply and SetCatalogMounted: data entering the domain;
//   - productHeld: a product whose source is marked cannot be reviewed,
//     filed, released or delivered.

const secretMarkCols = `m.id, m.entry_id, e.code, coalesce(r.name, w.name, ''), e.org_id, e.region, m.field_name, m.class, m.basis,
	coalesce(u.username, ''), m.marked_at, coalesce(l.username, ''), m.lifted_at, m.lift_reason`

const secretMarkFrom = ` FROM secret_marks m JOIN catalog_entries e ON e.id = m.entry_id
	LEFT JOIN catalog_revisions r ON r.id = e.published_rev_id
	LEFT JOIN catalog_revisions w ON w.id = (SELECT max(id) FROM catalog_revisions WHERE entry_id = e.id)
	LEFT JOIN users u ON u.id = m.marked_by LEFT JOIN users l ON l.id = m.lifted_by`

func scanSecretMark(r interface{ Scan(...any) error }) (*shuyu.SecretMark, error) {
	var m shuyu.SecretMark
	var at int64
	var lifted *int64
	if err := r.Scan(&m.ID, &m.EntryID, &m.EntryCode, &m.EntryName, &m.OrgID, &m.Region, &m.Field, &m.Class, &m.Basis,
		&m.MarkedBy, &at, &m.LiftedBy, &lifted, &m.LiftReason); err != nil {
		return nil, err
	}
	m.MarkedAt = fromMicros(at)
	if lifted != nil {
		t := fromMicros(*lifted)
		m.LiftedAt = &t
	}
	return &m, nil
}

// secretMarks returns the active marks on entry: the entry's own class (""
// when the entry as a whole is not marked) and its marked fields, by
// lower-case name.
func (tx *Tx) secretMarks(entryID int64) (shuyu.SecretClass, map[string]shuyu.SecretClass, error) {
	rows, err := tx.query(`SELECT field_name, class FROM secret_marks WHERE entry_id = ? AND lifted_at IS NULL ORDER BY id`, entryID)
	if err != nil {
		return "", nil, fmt.Errorf("sqlstore: secret marks: %w", err)
	}
	defer rows.Close()
	var entry shuyu.SecretClass
	fields := map[string]shuyu.SecretClass{}
	for rows.Next() {
		var f string
		var c shuyu.SecretClass
		if err := rows.Scan(&f, &c); err != nil {
			return "", nil, err
		}
		if f == "" {
			if entry != shuyu.SecretState {
				entry = c
			}
		} else if fields[strings.ToLower(f)] != shuyu.SecretState {
			fields[strings.ToLower(f)] = c
		}
	}
	return entry, fields, rows.Err()
}

// secretRefusal answers why entry (named name) or one of fields may not
// pass step (R2.1), or "" when none of them is marked. step completes the
// sentence "不得…", e.g. "纳入授权运营目录".
func (tx *Tx) secretRefusal(entryID int64, name string, fields []string, step string) (string, error) {
	entry, marked, err := tx.secretMarks(entryID)
	if err != nil {
		return "", err
	}
	if entry != "" {
		return shuyu.SecretRefusal("目录 "+name, entry, step), nil
	}
	for _, f := range fields {
		if c := marked[strings.ToLower(f)]; c != "" {
			return shuyu.SecretRefusal(name+" 的信息项 "+f, c, step), nil
		}
	}
	return "", nil
}

// secretRefuse is secretRefusal as an error (EINVALID, naming the field
// "secret"), nil when nothing is marked.
func (tx *Tx) secretRefuse(entryID int64, name string, fields []string, step string) error {
	why, err := tx.secretRefusal(entryID, name, fields, step)
	if err != nil || why == "" {
		return err
	}
	return shuyu.Errorf(shuyu.EINVALID, "%s", why).WithDetails([]shuyu.FieldError{{Field: "secret", Message: why}})
}

// revisionFieldNames lists the fields of a revision.
func revisionFieldNames(r *shuyu.CatalogRevision) []string {
	if r == nil {
		return nil
	}
	out := make([]string, len(r.Fields))
	for i, f := range r.Fields {
		out[i] = f.Name
	}
	return out
}

// MarkSecret records a state- or work-secret mark on an entry or one of its
// fields (R2.1). It takes effect at once: from this transaction on, every
// door listed above refuses the data. The department, the operator and the
// authority are told.
func (d *DB) MarkSecret(ctx context.Context, actor *shuyu.Actor, entryID int64, in shuyu.SecretMarkInput) (*shuyu.SecretMark, error) {
	if err := shuyu.Authorize(actor, shuyu.ActSecretMark, shuyu.Resource{Kind: "secret_mark"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		e, err := tx.catalogEntry(entryID)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActSecretMark, shuyu.Resource{Kind: "secret_mark", OrgID: e.OrgID,
			Region: e.Region, Exists: true}); err != nil {
			return err
		}
		name := e.Code
		if in.Field != "" {
			known := slices.ContainsFunc(append(revisionFieldNames(e.Revision), revisionFieldNames(e.Working)...),
				func(f string) bool { return strings.EqualFold(f, in.Field) })
			if !known {
				return shuyu.Errorf(shuyu.EINVALID, "目录 %s 没有信息项 %s (no such field)", e.Code, in.Field).
					WithDetails([]shuyu.FieldError{{Field: "field", Message: "目录中没有该信息项"}})
			}
		}
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM secret_marks WHERE entry_id = ? AND lower(field_name) = lower(?) AND lifted_at IS NULL`,
			entryID, in.Field).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "该目录或信息项已有有效的定密标记 (already marked)")
		}
		id, err = tx.insert(`INSERT INTO secret_marks (entry_id, field_name, class, basis, marked_by, marked_org, marked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, entryID, in.Field, string(in.Class), in.Basis, actor.UserID, actor.OrgID, micros(tx.now))
		if err != nil {
			return fmt.Errorf("sqlstore: mark secret: %w", err)
		}
		if err := tx.audit(Change{Action: shuyu.AuditSecretMark, ObjectType: "secret_mark", ObjectID: id, Reason: in.Basis,
			Detail: map[string]any{"entry_id": entryID, "code": e.Code, "field": in.Field, "class": in.Class, "rule": "R2.1"}}); err != nil {
			return err
		}
		what := "目录 " + name
		if in.Field != "" {
			what += " 的信息项 " + in.Field
		}
		return tx.secretNotify(e.OrgID, "secret.marked", what+" 已标记为"+shuyu.SecretClassLabels[in.Class]+"，相关申请、开发利用和产品出域一律停止")
	})
	if err != nil {
		return nil, err
	}
	return d.secretMark(ctx, id)
}

// LiftSecret lifts a mark (解密): the city authority only, with a reason
// (R2.1). The data is then treated as its catalog entry says again.
func (d *DB) LiftSecret(ctx context.Context, actor *shuyu.Actor, id int64, reason string) (*shuyu.SecretMark, error) {
	reason, err := shuyu.CheckReason("reason", reason, 4)
	if err != nil {
		return nil, err
	}
	err = d.update(ctx, actor, func(tx *Tx) error {
		m, err := scanSecretMark(tx.queryRow(`SELECT `+secretMarkCols+secretMarkFrom+` WHERE m.id = ?`, id))
		if isNoRows(err) {
			return notFound("定密标记")
		} else if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActSecretLift, m.Resource()); err != nil {
			return err
		}
		if !m.Active() {
			return shuyu.Errorf(shuyu.ECONFLICT, "该定密标记已解除 (already lifted)")
		}
		if _, err := tx.exec(`UPDATE secret_marks SET lifted_by = ?, lifted_at = ?, lift_reason = ? WHERE id = ? AND lifted_at IS NULL`,
			actor.UserID, micros(tx.now), reason, id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditSecretLift, ObjectType: "secret_mark", ObjectID: id, Reason: reason,
			Detail: map[string]any{"entry_id": m.EntryID, "code": m.EntryCode, "field": m.Field, "class": m.Class, "rule": "R2.1"}}); err != nil {
			return err
		}
		what := "目录 " + m.EntryCode
		if m.Field != "" {
			what += " 的信息项 " + m.Field
		}
		return tx.secretNotify(m.OrgID, "secret.lifted", what+" 的"+shuyu.SecretClassLabels[m.Class]+"标记已解除")
	})
	if err != nil {
		return nil, err
	}
	return d.secretMark(ctx, id)
}

// secretNotify tells the owning department, the operator and the city
// authority.
func (tx *Tx) secretNotify(orgID int64, kind, title string) error {
	to := []int64{orgID}
	for _, k := range []shuyu.OrgKind{shuyu.OrgOperator, shuyu.OrgAuthority} {
		ids, err := tx.orgsOfKind(k)
		if err != nil {
			return err
		}
		to = append(to, ids...)
	}
	return tx.notifyOrgs(to, Notice{Kind: kind, Title: title, ObjectType: "secret_mark", Link: "/oversight/secrets"})
}

func (d *DB) secretMark(ctx context.Context, id int64) (*shuyu.SecretMark, error) {
	var m *shuyu.SecretMark
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		m, err = scanSecretMark(tx.queryRow(`SELECT `+secretMarkCols+secretMarkFrom+` WHERE m.id = ?`, id))
		if isNoRows(err) {
			return notFound("定密标记")
		}
		return err
	})
	return m, err
}

// SecretMarks lists the marks the actor may read, active first, newest
// first; entryID > 0 keeps one entry's; activeOnly hides lifted marks.
func (d *DB) SecretMarks(ctx context.Context, actor *shuyu.Actor, entryID int64, activeOnly bool) ([]*shuyu.SecretMark, error) {
	if err := shuyu.Authorize(actor, shuyu.ActSecretRead, shuyu.Resource{Kind: "secret_mark"}); err != nil {
		return nil, err
	}
	out := []*shuyu.SecretMark{}
	err := d.view(ctx, func(tx *Tx) error {
		q := `SELECT ` + secretMarkCols + secretMarkFrom + ` WHERE (? = 0 OR m.entry_id = ?)`
		if activeOnly {
			q += ` AND m.lifted_at IS NULL`
		}
		rows, err := tx.query(q+` ORDER BY CASE WHEN m.lifted_at IS NULL THEN 0 ELSE 1 END, m.marked_at DESC, m.id DESC`, entryID, entryID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanSecretMark(rows)
			if err != nil {
				return err
			}
			if shuyu.Can(actor, shuyu.ActSecretRead, m.Resource()) {
				out = append(out, m)
			}
		}
		return rows.Err()
	})
	return out, err
}

// roundSecretRefuse refuses when data of application round is marked
// (R2.1): at the reviewers' approval and when the agreement opens the
// workspace, since a mark may arrive at any time after submission.
func (tx *Tx) roundSecretRefuse(appID int64, round int, step string) error {
	type item struct {
		entry  int64
		name   string
		fields []string
	}
	rows, err := tx.query(`SELECT entry_id, entry_name, fields FROM application_items WHERE application_id = ? AND round = ? ORDER BY id`,
		appID, round)
	if err != nil {
		return fmt.Errorf("sqlstore: round secrets: %w", err)
	}
	var items []item
	for rows.Next() {
		var it item
		var fields string
		if err := rows.Scan(&it.entry, &it.name, &fields); err != nil {
			rows.Close()
			return err
		}
		for _, f := range strings.Split(fields, ",") {
			if f = strings.TrimSpace(f); f != "" {
				it.fields = append(it.fields, f)
			}
		}
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, it := range items {
		if len(it.fields) == 0 {
			if it.fields, err = tx.publishedFieldNames(it.entry); err != nil {
				return err
			}
		}
		if err := tx.secretRefuse(it.entry, it.name, it.fields, step); err != nil {
			return err
		}
	}
	return nil
}

// publishedFieldNames lists the fields of entry's published revision.
func (tx *Tx) publishedFieldNames(entryID int64) ([]string, error) {
	rows, err := tx.query(`SELECT f.name FROM catalog_fields f JOIN catalog_entries e ON e.published_rev_id = f.revision_id
		WHERE e.id = ? ORDER BY f.position`, entryID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FieldNames lists the entry's field names.
func (e *DomainEntry) FieldNames() []string {
	out := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f.Name
	}
	return out
}
