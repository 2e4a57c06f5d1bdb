package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"shuyu"
)

// CatalogEntry returns an entry as the actor may see it: the published
// version is public (actor may be nil); the open revision is shown only to
// those who may see the entry's work. An entry never published is absent
// for everyone else.
func (d *DB) CatalogEntry(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.CatalogEntry, error) {
	var e *shuyu.CatalogEntry
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		e, err = tx.catalogEntry(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if actor == nil || !shuyu.Can(actor, shuyu.ActCatalogWorkRead, e.Resource()) {
		e.Working = nil
		if e.Revision == nil {
			return nil, notFound("目录")
		}
	}
	return e, nil
}

// PublishedEntry returns the published version of an entry (public: actor
// may be nil). Other capabilities use it to learn a column's grade and
// flags; an entry not (yet) published is ENOTFOUND.
func (d *DB) PublishedEntry(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.CatalogEntry, error) {
	e, err := d.CatalogEntry(ctx, nil, id)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// PublishedEntryByCode is PublishedEntry by resource code.
func (d *DB) PublishedEntryByCode(ctx context.Context, actor *shuyu.Actor, code string) (*shuyu.CatalogEntry, error) {
	var id int64
	err := d.view(ctx, func(tx *Tx) error {
		err := tx.queryRow(`SELECT id FROM catalog_entries WHERE code = ? AND published_rev_id IS NOT NULL`,
			strings.ToUpper(strings.TrimSpace(code))).Scan(&id)
		if isNoRows(err) {
			return notFound("目录")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return d.PublishedEntry(ctx, actor, id)
}

// CatalogWork lists entries whose open revision is in one of the statuses
// and that the actor may see: a department's drafts, a county authority's
// queue, the city authority's queue, the operator's publication queue.
// No status means every open revision.
func (d *DB) CatalogWork(ctx context.Context, actor *shuyu.Actor, statuses ...shuyu.RevisionStatus) ([]*shuyu.CatalogEntry, error) {
	if err := shuyu.Authorize(actor, shuyu.ActCatalogWorkRead, shuyu.Resource{Kind: "catalog_revision"}); err != nil {
		return nil, err
	}
	if len(statuses) == 0 {
		statuses = []shuyu.RevisionStatus{shuyu.StatusDraft, shuyu.StatusReturned, shuyu.StatusCountyReview,
			shuyu.StatusCityReview, shuyu.StatusApproved}
	}
	ph := make([]string, len(statuses))
	args := make([]any, len(statuses))
	for i, s := range statuses {
		if !s.Valid() || !s.Open() {
			return nil, shuyu.Errorf(shuyu.EINVALID, "状态 %q 无效 (invalid status)", s)
		}
		ph[i], args[i] = "?", string(s)
	}
	var out []*shuyu.CatalogEntry
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT e.id, e.org_id, e.region FROM catalog_entries e JOIN catalog_revisions r ON r.entry_id = e.id
			WHERE r.status IN (`+strings.Join(ph, ",")+`) ORDER BY r.updated_at, e.id`, args...)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id, org int64
			var region string
			if err := rows.Scan(&id, &org, &region); err != nil {
				rows.Close()
				return err
			}
			if shuyu.Can(actor, shuyu.ActCatalogWorkRead, shuyu.Resource{Kind: "catalog_revision", OrgID: org, Region: region, Exists: true}) {
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			e, err := tx.catalogEntry(id)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: catalog work: %w", err)
	}
	return out, nil
}

// CatalogHistory returns every step of the entry's flow, oldest first.
func (d *DB) CatalogHistory(ctx context.Context, actor *shuyu.Actor, id int64) ([]shuyu.CatalogHistoryItem, error) {
	var out []shuyu.CatalogHistoryItem
	err := d.view(ctx, func(tx *Tx) error {
		e, err := tx.catalogEntry(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActCatalogWorkRead, e.Resource()); err != nil {
			return err
		}
		rows, err := tx.query(`SELECT h.revision_id, r.version, h.action, h.from_status, h.to_status, h.actor_name,
			COALESCE(o.name, ''), h.reason, h.at FROM catalog_history h JOIN catalog_revisions r ON r.id = h.revision_id
			LEFT JOIN orgs o ON o.id = h.org_id WHERE h.entry_id = ? ORDER BY h.id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h shuyu.CatalogHistoryItem
			var at int64
			if err := rows.Scan(&h.RevisionID, &h.Version, &h.Action, &h.From, &h.To, &h.ActorName, &h.OrgName, &h.Reason, &at); err != nil {
				return err
			}
			h.At = fromMicros(at)
			out = append(out, h)
		}
		return rows.Err()
	})
	return out, err
}

// CatalogRevisions lists every version of an entry (fields included). Those
// who may not see the entry's work get the published and superseded ones.
func (d *DB) CatalogRevisions(ctx context.Context, actor *shuyu.Actor, id int64) ([]*shuyu.CatalogRevision, error) {
	e, err := d.CatalogEntry(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	work := actor != nil && shuyu.Can(actor, shuyu.ActCatalogWorkRead, e.Resource())
	var out []*shuyu.CatalogRevision
	err = d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT r.id, r.status FROM catalog_revisions r WHERE r.entry_id = ? ORDER BY r.version`, id)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var rid int64
			var st shuyu.RevisionStatus
			if err := rows.Scan(&rid, &st); err != nil {
				rows.Close()
				return err
			}
			if work || !st.Open() {
				ids = append(ids, rid)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, rid := range ids {
			r, err := tx.catalogRevisionByID(rid)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// SetCatalogMounted records that a published entry is (or no longer is)
// mounted to actual data in the domain (R10.2); the notice on departments
// counts it (R31.1).
func (d *DB) SetCatalogMounted(ctx context.Context, actor *shuyu.Actor, id int64, mounted bool) error {
	return d.update(ctx, actor, func(tx *Tx) error {
		e, err := tx.catalogEntry(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActCatalogMount, e.Resource()); err != nil {
			return err
		}
		if e.Revision == nil {
			return shuyu.Errorf(shuyu.ECONFLICT, "目录尚未发布，不能挂接数据 (not published)")
		}
		if mounted { // R2.1: secret data is never mounted
			if err := tx.secretRefuse(id, e.Code, revisionFieldNames(e.Revision), "挂接到数据域"); err != nil {
				return err
			}
		}
		var at any
		if mounted {
			at = micros(tx.now)
		}
		if _, err := tx.exec(`UPDATE catalog_entries SET mounted = ?, mounted_at = ? WHERE id = ?`, mounted, at, id); err != nil {
			return err
		}
		if err := tx.catalogChanged(); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditCatalogMount, ObjectType: "catalog_entry", ObjectID: id,
			Detail: map[string]any{"mounted": mounted, "code": e.Code}})
	})
}

// CatalogCategories returns the whole category tree (public), parents
// before children.
func (d *DB) CatalogCategories(ctx context.Context) ([]shuyu.CatalogCategory, error) {
	var out []shuyu.CatalogCategory
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.catalogCategories()
		return err
	})
	return out, err
}

func (tx *Tx) catalogCategories() ([]shuyu.CatalogCategory, error) {
	rows, err := tx.query(`SELECT id, COALESCE(parent_id, 0), code, name, created_at FROM catalog_categories ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: catalog categories: %w", err)
	}
	defer rows.Close()
	var out []shuyu.CatalogCategory
	for rows.Next() {
		var c shuyu.CatalogCategory
		var at int64
		if err := rows.Scan(&c.ID, &c.ParentID, &c.Code, &c.Name, &at); err != nil {
			return nil, err
		}
		c.CreatedAt = fromMicros(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CreateCatalogCategory adds a node to the category tree (R8.3).
func (d *DB) CreateCatalogCategory(ctx context.Context, actor *shuyu.Actor, c *shuyu.CatalogCategory) error {
	if err := shuyu.Authorize(actor, shuyu.ActCategoryManage, shuyu.Resource{Kind: "category"}); err != nil {
		return err
	}
	c.Code, c.Name = strings.TrimSpace(c.Code), strings.TrimSpace(c.Name)
	var fe []shuyu.FieldError
	if c.Code == "" || len(c.Code) > 20 || strings.ContainsAny(c.Code, " \t") {
		fe = append(fe, shuyu.FieldError{Field: "code", Message: "分类编码须为 1 至 20 个字符且不含空格"})
	}
	if n := len([]rune(c.Name)); n < 2 || n > 50 {
		fe = append(fe, shuyu.FieldError{Field: "name", Message: "分类名称须为 2 至 50 个字符"})
	}
	if len(fe) > 0 {
		return shuyu.Errorf(shuyu.EINVALID, "分类信息有误 (invalid category)").WithDetails(fe)
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		var parent any
		if c.ParentID != 0 {
			var n int
			if err := tx.queryRow(`SELECT count(*) FROM catalog_categories WHERE id = ?`, c.ParentID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return shuyu.Errorf(shuyu.EINVALID, "上级分类不存在 (unknown parent)")
			}
			parent = c.ParentID
		}
		c.CreatedAt = tx.now
		id, err := tx.insert(`INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (?, ?, ?, ?)`,
			parent, c.Code, c.Name, micros(tx.now))
		if isUnique(err) {
			return shuyu.Errorf(shuyu.ECONFLICT, "分类编码“%s”已存在 (duplicate category code)", c.Code)
		}
		if err != nil {
			return err
		}
		c.ID = id
		if err := tx.catalogChanged(); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditCategoryCreate, ObjectType: "catalog_category", ObjectID: id,
			Detail: map[string]any{"code": c.Code, "name": c.Name, "parent_id": c.ParentID}})
	})
}
