package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"shuyu"
)

// The catalog (授权运营目录): entries, their versioned revisions and the
// approval flow (R8.1-R8.6, R9.1). Reads are in catalog_read.go, search in
// catalog_search.go, demands in catalog_demand.go, bulk import in
// catalog_import.go.

const catalogRevCols = `r.id, r.entry_id, r.version, r.status, r.name, r.summary, r.category_id, r.grade, r.grade_level,
	r.open_attr, r.public_source, r.auth_mode, r.update_freq, r.time_span, r.volume, r.return_reason, r.consent_by,
	r.consent_at, r.published_at, r.created_by, r.created_at, r.updated_at`

func scanCatalogRevision(s interface{ Scan(...any) error }) (*shuyu.CatalogRevision, error) {
	var r shuyu.CatalogRevision
	var cat, consentAt, publishedAt sql.NullInt64
	var created, updated int64
	if err := s.Scan(&r.ID, &r.EntryID, &r.Version, &r.Status, &r.Name, &r.Summary, &cat, &r.Grade, &r.GradeLevel,
		&r.OpenAttr, &r.PublicSource, &r.AuthMode, &r.UpdateFreq, &r.TimeSpan, &r.Volume, &r.ReturnReason, &r.ConsentBy,
		&consentAt, &publishedAt, &r.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	r.CategoryID = cat.Int64
	r.ConsentAt = fromNullMicros(consentAt)
	r.PublishedAt = fromNullMicros(publishedAt)
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &r, nil
}

const catalogEntryCols = `e.id, e.code, e.org_id, o.name, e.region, e.mounted, e.mounted_at, e.created_at, e.published_rev_id`

func scanCatalogEntry(s interface{ Scan(...any) error }) (*shuyu.CatalogEntry, sql.NullInt64, error) {
	var e shuyu.CatalogEntry
	var mountedAt, pub sql.NullInt64
	var created int64
	if err := s.Scan(&e.ID, &e.Code, &e.OrgID, &e.OrgName, &e.Region, &e.Mounted, &mountedAt, &created, &pub); err != nil {
		return nil, pub, err
	}
	e.MountedAt = fromNullMicros(mountedAt)
	e.CreatedAt = fromMicros(created)
	return &e, pub, nil
}

// catalogEntry loads the entry row with its published revision (fields
// included) and its open revision, if any. Authorization is the caller's.
func (tx *Tx) catalogEntry(id int64) (*shuyu.CatalogEntry, error) {
	e, pub, err := scanCatalogEntry(tx.queryRow(`SELECT `+catalogEntryCols+`
		FROM catalog_entries e JOIN orgs o ON o.id = e.org_id WHERE e.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("目录")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: catalog entry: %w", err)
	}
	if pub.Valid {
		if e.Revision, err = tx.catalogRevisionByID(pub.Int64); err != nil {
			return nil, err
		}
	}
	open, err := scanCatalogRevision(tx.queryRow(`SELECT `+catalogRevCols+` FROM catalog_revisions r
		WHERE r.entry_id = ? AND r.status NOT IN ('published', 'superseded')`, id))
	switch {
	case isNoRows(err):
	case err != nil:
		return nil, fmt.Errorf("sqlstore: catalog entry: %w", err)
	default:
		if open.Fields, err = tx.catalogFields(open.ID); err != nil {
			return nil, err
		}
		e.Working = open
	}
	cur := e.Revision
	if cur == nil {
		cur = e.Working
	}
	if cur != nil && cur.CategoryID != 0 {
		tx.queryRow(`SELECT name FROM catalog_categories WHERE id = ?`, cur.CategoryID).Scan(&e.CategoryName)
	}
	return e, nil
}

func (tx *Tx) catalogRevisionByID(id int64) (*shuyu.CatalogRevision, error) {
	r, err := scanCatalogRevision(tx.queryRow(`SELECT `+catalogRevCols+` FROM catalog_revisions r WHERE r.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("目录版本")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: catalog revision: %w", err)
	}
	if r.Fields, err = tx.catalogFields(r.ID); err != nil {
		return nil, err
	}
	return r, nil
}

const catalogFieldCols = `name, label, data_type, description, pi, sensitive_pi, trade_secret, grade`

func scanCatalogField(s interface{ Scan(...any) error }, f *shuyu.CatalogField) error {
	return s.Scan(&f.Name, &f.Label, &f.DataType, &f.Description, &f.PI, &f.SensitivePI, &f.TradeSecret, &f.Grade)
}

func (tx *Tx) catalogFields(revID int64) ([]shuyu.CatalogField, error) {
	rows, err := tx.query(`SELECT `+catalogFieldCols+` FROM catalog_fields WHERE revision_id = ? ORDER BY position`, revID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: catalog fields: %w", err)
	}
	defer rows.Close()
	out := []shuyu.CatalogField{}
	for rows.Next() {
		var f shuyu.CatalogField
		if err := scanCatalogField(rows, &f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// NewCatalogEntry is what a department registers (R8.1).
type NewCatalogEntry struct {
	Code     string                `json:"code"`
	OrgID    int64                 `json:"org_id"` // 0: the actor's own organization
	Revision shuyu.CatalogRevision `json:"revision"`
}

// catalogCheck validates content against the store: the category must
// exist. (Content rules are shuyu.CatalogRevision.Validate.)
func (tx *Tx) catalogCheck(r *shuyu.CatalogRevision) error {
	r.Normalize()
	if err := r.Validate(); err != nil {
		return err
	}
	if r.CategoryID != 0 {
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM catalog_categories WHERE id = ?`, r.CategoryID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return shuyu.Errorf(shuyu.EINVALID, "分类不存在 (unknown category)").
				WithDetails([]shuyu.FieldError{{Field: "category_id", Message: "分类不存在"}})
		}
	}
	return nil
}

// CreateCatalogEntry registers an entry with its first revision as a draft.
func (d *DB) CreateCatalogEntry(ctx context.Context, actor *shuyu.Actor, in NewCatalogEntry) (*shuyu.CatalogEntry, error) {
	if actor == nil {
		return nil, shuyu.Errorf(shuyu.EUNAUTHORIZED, "请先登录 (login required)")
	}
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	if in.OrgID == 0 {
		in.OrgID = actor.OrgID
	}
	if err := shuyu.ValidateCode(in.Code); err != nil {
		return nil, err
	}
	var id int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		id, err = tx.createCatalogEntry(in, shuyu.ActCatalogCreate)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d.CatalogEntry(ctx, actor, id)
}

func (tx *Tx) createCatalogEntry(in NewCatalogEntry, act shuyu.Action) (int64, error) {
	org, err := tx.org(in.OrgID)
	if err != nil {
		return 0, shuyu.Errorf(shuyu.EINVALID, "信息资源提供方不存在 (unknown department)").
			WithDetails([]shuyu.FieldError{{Field: "org_id", Message: "部门不存在"}})
	}
	if err := shuyu.Authorize(tx.actor, act, shuyu.Resource{Kind: "catalog_revision"}); err != nil {
		return 0, err
	}
	// Departments are public, so registering for another one is "forbidden",
	// not "not found".
	if !shuyu.Can(tx.actor, act, shuyu.Resource{Kind: "catalog_revision", OrgID: org.ID, Region: org.Region, Exists: true}) {
		return 0, shuyu.Errorf(shuyu.EFORBIDDEN, "只能为本部门登记目录 (register entries for your own department only)")
	}
	if org.Kind != shuyu.OrgSourceDept {
		return 0, shuyu.Errorf(shuyu.EINVALID, "只有数源部门可以登记目录 (only source departments register entries)").
			WithDetails([]shuyu.FieldError{{Field: "org_id", Message: "“" + org.Name + "”不是数源部门"}})
	}
	r := in.Revision
	if err := tx.catalogCheck(&r); err != nil {
		return 0, err
	}
	id, err := tx.insert(`INSERT INTO catalog_entries (code, org_id, region, created_at) VALUES (?, ?, ?, ?)`,
		in.Code, org.ID, org.Region, micros(tx.now))
	if isUnique(err) {
		return 0, shuyu.Errorf(shuyu.ECONFLICT, "资源代码“%s”已被使用 (duplicate resource code)", in.Code).
			WithDetails([]shuyu.FieldError{{Field: "code", Message: "资源代码重复"}})
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: create catalog entry: %w", err)
	}
	r.EntryID, r.Version, r.Status = id, 1, shuyu.StatusDraft
	if err := tx.insertCatalogRevision(&r); err != nil {
		return 0, err
	}
	if err := tx.catalogHistory(id, &r, "create", "", ""); err != nil {
		return 0, err
	}
	return id, tx.audit(Change{Action: shuyu.AuditCatalogCreate, ObjectType: "catalog_entry", ObjectID: id,
		Detail: map[string]any{"code": in.Code, "org_id": org.ID, "revision": r.ID, "fields": len(r.Fields)}})
}

func (tx *Tx) insertCatalogRevision(r *shuyu.CatalogRevision) error {
	var cat any
	if r.CategoryID != 0 {
		cat = r.CategoryID
	}
	r.CreatedBy, r.CreatedAt, r.UpdatedAt = tx.actor.UserID, tx.now, tx.now
	id, err := tx.insert(`INSERT INTO catalog_revisions (entry_id, version, status, name, summary, category_id, grade,
		grade_level, open_attr, public_source, auth_mode, update_freq, time_span, volume, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.EntryID, r.Version, r.Status, r.Name, r.Summary, cat, r.Grade, r.GradeLevel, r.OpenAttr, r.PublicSource,
		r.AuthMode, r.UpdateFreq, r.TimeSpan, r.Volume, r.CreatedBy, micros(r.CreatedAt), micros(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: insert catalog revision: %w", err)
	}
	r.ID = id
	return tx.insertCatalogFields(r)
}

func (tx *Tx) insertCatalogFields(r *shuyu.CatalogRevision) error {
	for i, f := range r.Fields {
		if _, err := tx.exec(`INSERT INTO catalog_fields (revision_id, position, name, label, data_type, description, pi,
			sensitive_pi, trade_secret, grade) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, i+1, f.Name, f.Label, f.DataType, f.Description, f.PI, f.SensitivePI, f.TradeSecret, f.Grade); err != nil {
			return fmt.Errorf("sqlstore: insert catalog field: %w", err)
		}
	}
	return nil
}

func (tx *Tx) catalogHistory(entryID int64, r *shuyu.CatalogRevision, action string, from shuyu.RevisionStatus, reason string) error {
	name := tx.actor.Username
	_, err := tx.exec(`INSERT INTO catalog_history (entry_id, revision_id, action, from_status, to_status, actor_id, actor_name,
		org_id, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		entryID, r.ID, action, string(from), string(r.Status), tx.actor.UserID, name, tx.actor.OrgID, reason, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: catalog history: %w", err)
	}
	return nil
}

// UpdateCatalogEntry changes an entry's content. An open draft (or a
// returned revision) is edited in place; a published entry with no open
// revision gets a new version, while the published one stays public until
// the new one is published (R9.1). A revision under review cannot change.
func (d *DB) UpdateCatalogEntry(ctx context.Context, actor *shuyu.Actor, id int64, rev shuyu.CatalogRevision) (*shuyu.CatalogEntry, error) {
	err := d.update(ctx, actor, func(tx *Tx) error {
		e, err := tx.catalogEntry(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActCatalogUpdate, e.Resource()); err != nil {
			return err
		}
		if err := tx.catalogCheck(&rev); err != nil {
			return err
		}
		w := e.Working
		switch {
		case w == nil:
			rev.EntryID, rev.Status = id, shuyu.StatusDraft
			rev.Version = e.Revision.Version + 1
			if err := tx.insertCatalogRevision(&rev); err != nil {
				return err
			}
			if err := tx.catalogHistory(id, &rev, "revise", "", ""); err != nil {
				return err
			}
			return tx.audit(Change{Action: shuyu.AuditCatalogRevise, ObjectType: "catalog_entry", ObjectID: id,
				Detail: map[string]any{"revision": rev.ID, "version": rev.Version, "fields": len(rev.Fields)}})
		case !w.Status.Editable():
			return shuyu.Errorf(shuyu.ECONFLICT, "目录“%s”正在审核中，不能修改 (under review)", w.Name)
		}
		var cat any
		if rev.CategoryID != 0 {
			cat = rev.CategoryID
		}
		if _, err := tx.exec(`UPDATE catalog_revisions SET name = ?, summary = ?, category_id = ?, grade = ?, grade_level = ?,
			open_attr = ?, public_source = ?, auth_mode = ?, update_freq = ?, time_span = ?, volume = ?, updated_at = ?
			WHERE id = ?`, rev.Name, rev.Summary, cat, rev.Grade, rev.GradeLevel, rev.OpenAttr, rev.PublicSource,
			rev.AuthMode, rev.UpdateFreq, rev.TimeSpan, rev.Volume, micros(tx.now), w.ID); err != nil {
			return fmt.Errorf("sqlstore: update catalog revision: %w", err)
		}
		if _, err := tx.exec(`DELETE FROM catalog_fields WHERE revision_id = ?`, w.ID); err != nil {
			return err
		}
		rev.ID, rev.Status, rev.Version = w.ID, w.Status, w.Version
		if err := tx.insertCatalogFields(&rev); err != nil {
			return err
		}
		if err := tx.catalogHistory(id, &rev, "update", w.Status, ""); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditCatalogUpdate, ObjectType: "catalog_entry", ObjectID: id,
			Detail: map[string]any{"revision": w.ID, "changes": len(shuyu.DiffRevisions(w, &rev))}})
	})
	if err != nil {
		return nil, err
	}
	return d.CatalogEntry(ctx, actor, id)
}

// catalogStepActions is what the trail records for each step of
// shuyu.CatalogFlow.
var catalogStepActions = map[shuyu.CatalogStep]shuyu.AuditAction{
	shuyu.StepSubmit:        shuyu.AuditCatalogSubmit,
	shuyu.StepApproveCounty: shuyu.AuditCatalogApproveCounty,
	shuyu.StepReturnCounty:  shuyu.AuditCatalogReturnCounty,
	shuyu.StepApproveCity:   shuyu.AuditCatalogApproveCity,
	shuyu.StepReturnCity:    shuyu.AuditCatalogReturnCity,
	shuyu.StepPublish:       shuyu.AuditCatalogPublish,
}

// CatalogStep moves the entry's open revision one step through the flow
// (R8.4-R8.6); see shuyu.CatalogFlow.
func (d *DB) CatalogStep(ctx context.Context, actor *shuyu.Actor, id int64, step shuyu.CatalogStep, reason string) (*shuyu.CatalogEntry, error) {
	reason = strings.TrimSpace(reason)
	err := d.update(ctx, actor, func(tx *Tx) error {
		e, err := tx.catalogEntry(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActCatalogWorkRead, e.Resource()); err != nil {
			return err
		}
		w := e.Working
		if w == nil {
			return shuyu.Errorf(shuyu.ECONFLICT, "目录没有待处理的版本 (no open revision)")
		}
		act, to, t, err := shuyu.CatalogNext(step, w.Status, e.Region)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, act, e.Resource()); err != nil {
			return err
		}
		if t.NeedsReason && reason == "" {
			return shuyu.Errorf(shuyu.EINVALID, "退回须写明理由 (a return must give reasons)").
				WithDetails([]shuyu.FieldError{{Field: "reason", Message: "请填写退回理由"}})
		}
		// R4.5: prohibited data never enters the catalog, whichever way it
		// tries (a draft may record it; it cannot be sent up).
		if step == shuyu.StepSubmit && w.OpenAttr == shuyu.OpenProhibited {
			return shuyu.Errorf(shuyu.EINVALID, "开放属性为“禁止开放”的数据不得纳入授权运营目录，不能提交 (R4.5: prohibited data cannot enter the catalog)").
				WithDetails([]shuyu.FieldError{{Field: "open_attr", Message: "禁止开放的数据不得提交"}})
		}
		// R2.1: nor does data marked a state or work secret; a mark may
		// arrive while the revision is under review, so every forward step
		// asks.
		switch step {
		case shuyu.StepSubmit, shuyu.StepApproveCounty, shuyu.StepApproveCity, shuyu.StepPublish:
			if err := tx.secretRefuse(id, e.Code, revisionFieldNames(w), "纳入授权运营目录"); err != nil {
				return err
			}
		}
		if step == shuyu.StepSubmit {
			// Content may have been valid under older rules; check again.
			if err := w.Validate(); err != nil {
				return err
			}
		}
		from := w.Status
		w.Status = to
		set := `status = ?, updated_at = ?`
		args := []any{string(to), micros(tx.now)}
		switch step {
		case shuyu.StepReturnCounty, shuyu.StepReturnCity:
			set += `, return_reason = ?`
			args = append(args, reason)
		case shuyu.StepSubmit:
			set += `, return_reason = '', consent_by = '', consent_at = NULL`
		case shuyu.StepApproveCity:
			// R8.6: the city authority's approval is its consent to push.
			set += `, consent_by = ?, consent_at = ?`
			args = append(args, actor.Username, micros(tx.now))
		case shuyu.StepPublish:
			set += `, published_at = ?`
			args = append(args, micros(tx.now))
		}
		if _, err := tx.exec(`UPDATE catalog_revisions SET `+set+` WHERE id = ?`, append(args, w.ID)...); err != nil {
			return fmt.Errorf("sqlstore: catalog step: %w", err)
		}
		detail := map[string]any{"revision": w.ID, "version": w.Version, "from": from, "to": to}
		if step == shuyu.StepPublish {
			if err := tx.publishCatalogRevision(e, w); err != nil {
				return err
			}
			detail["consent_by"], detail["consent_at"] = w.ConsentBy, w.ConsentAt
		}
		if err := tx.catalogHistory(id, w, string(step), from, reason); err != nil {
			return err
		}
		return tx.audit(Change{Action: catalogStepActions[step], ObjectType: "catalog_entry", ObjectID: id,
			Reason: reason, Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	return d.CatalogEntry(ctx, actor, id)
}

// publishCatalogRevision makes w the public version: the previous one is
// superseded in the same transaction, so there is always exactly one (R9.1).
func (tx *Tx) publishCatalogRevision(e *shuyu.CatalogEntry, w *shuyu.CatalogRevision) error {
	if w.ConsentBy == "" {
		return shuyu.Errorf(shuyu.ECONFLICT, "缺少市数据主管部门的同意记录，不能发布 (R8.6: no consent recorded)")
	}
	if e.Revision != nil {
		if _, err := tx.exec(`UPDATE catalog_revisions SET status = 'superseded', updated_at = ? WHERE id = ?`,
			micros(tx.now), e.Revision.ID); err != nil {
			return err
		}
	}
	if _, err := tx.exec(`UPDATE catalog_entries SET published_rev_id = ? WHERE id = ?`, w.ID, e.ID); err != nil {
		return err
	}
	if err := tx.catalogChanged(); err != nil {
		return err
	}
	return tx.catalogIndex(e.ID)
}
