package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"shuyu"
)

const orgCols = `id, kind, name, name_en, code, region, status, created_at`

func scanOrg(r interface{ Scan(...any) error }) (*shuyu.Org, error) {
	var o shuyu.Org
	var t int64
	if err := r.Scan(&o.ID, &o.Kind, &o.Name, &o.NameEN, &o.Code, &o.Region, &o.Status, &t); err != nil {
		return nil, err
	}
	o.CreatedAt = fromMicros(t)
	return &o, nil
}

func orgResource(o *shuyu.Org) shuyu.Resource {
	return shuyu.Resource{Kind: "org", OrgID: o.ID, Region: o.Region, Exists: true}
}

// CreateOrg registers an organization.
func (d *DB) CreateOrg(ctx context.Context, actor *shuyu.Actor, o *shuyu.Org) error {
	if err := shuyu.Authorize(actor, shuyu.ActOrgCreate, shuyu.Resource{Kind: "org"}); err != nil {
		return err
	}
	o.Name = strings.TrimSpace(o.Name)
	if o.Status == "" {
		o.Status = "active"
	}
	if err := o.Validate(); err != nil {
		return err
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		o.CreatedAt = tx.now
		id, err := tx.insert(`INSERT INTO orgs (kind, name, name_en, code, region, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			o.Kind, o.Name, o.NameEN, o.Code, o.Region, o.Status, micros(o.CreatedAt))
		if isUnique(err) {
			return shuyu.Errorf(shuyu.ECONFLICT, "机构名称“%s”已存在 (organization exists)", o.Name)
		}
		if err != nil {
			return fmt.Errorf("sqlstore: create org: %w", err)
		}
		o.ID = id
		return tx.audit(Change{Action: shuyu.AuditOrgCreate, ObjectType: "org", ObjectID: id,
			Detail: map[string]any{"kind": o.Kind, "name": o.Name, "region": o.Region}})
	})
}

// Org returns one organization the actor may see.
func (d *DB) Org(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Org, error) {
	var o *shuyu.Org
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		o, err = tx.org(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, shuyu.ActOrgRead, orgResource(o)); err != nil {
		return nil, err
	}
	return o, nil
}

func (tx *Tx) org(id int64) (*shuyu.Org, error) {
	o, err := scanOrg(tx.queryRow(`SELECT `+orgCols+` FROM orgs WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("机构")
	}
	return o, err
}

// Orgs lists the organizations the actor may see, optionally of one kind.
func (d *DB) Orgs(ctx context.Context, actor *shuyu.Actor, kind shuyu.OrgKind) ([]*shuyu.Org, error) {
	if err := shuyu.Authorize(actor, shuyu.ActOrgRead, shuyu.Resource{Kind: "org"}); err != nil {
		return nil, err
	}
	var out []*shuyu.Org
	err := d.view(ctx, func(tx *Tx) error {
		q := `SELECT ` + orgCols + ` FROM orgs`
		var args []any
		if kind != "" {
			q += ` WHERE kind = ?`
			args = append(args, kind)
		}
		rows, err := tx.query(q+` ORDER BY id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanOrg(rows)
			if err != nil {
				return err
			}
			if shuyu.Can(actor, shuyu.ActOrgRead, orgResource(o)) {
				out = append(out, o)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: orgs: %w", err)
	}
	return out, nil
}

// OrgByName finds an organization by its exact name (used by imports and
// the demo; no authorization: names are public).
func (d *DB) OrgByName(ctx context.Context, name string) (*shuyu.Org, error) {
	var o *shuyu.Org
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		o, err = scanOrg(tx.queryRow(`SELECT `+orgCols+` FROM orgs WHERE name = ?`, name))
		if isNoRows(err) {
			return notFound("机构")
		}
		return err
	})
	return o, err
}

// SetOrgStatus enables or disables an organization (with a reason).
func (d *DB) SetOrgStatus(ctx context.Context, actor *shuyu.Actor, id int64, status, reason string) error {
	if status != "active" && status != "disabled" {
		return shuyu.Errorf(shuyu.EINVALID, "状态须为 active 或 disabled")
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		o, err := tx.org(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActOrgUpdate, orgResource(o)); err != nil {
			return err
		}
		if strings.TrimSpace(reason) == "" {
			return shuyu.Errorf(shuyu.EINVALID, "须填写原因 (reason required)")
		}
		if _, err := tx.exec(`UPDATE orgs SET status = ? WHERE id = ?`, status, id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditOrgStatus, ObjectType: "org", ObjectID: id, Reason: reason,
			Detail: map[string]any{"from": o.Status, "to": status}})
	})
}
