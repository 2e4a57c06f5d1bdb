package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shuyu"
	"shuyu/workday"
)

// RegistryObligation is a first registration still to be applied for
// (NREG.4): a resource whose data was first mounted (supplied) or a product
// released (delivered), with no registration application that was not
// refused and no registration that was not revoked (NREG.8). It is due 20 working days after that day.
type RegistryObligation struct {
	Kind         string    `json:"kind"` // resource or product
	EntryID      int64     `json:"entry_id,omitempty"`
	ProductID    int64     `json:"product_id,omitempty"`
	OrgID        int64     `json:"org_id"` // the registering party
	Name         string    `json:"name"`
	Since        time.Time `json:"since"` // data first mounted / product released
	Due          time.Time `json:"due"`
	WorkdaysLeft int       `json:"workdays_left"`
	Overdue      bool      `json:"overdue"`
}

// RgyFirstSoonWorkdays: the "due soon" reminder is sent when this many
// working days or fewer are left.
const RgyFirstSoonWorkdays = 5

// rgyObligations lists the first registrations not yet applied for, of
// one registering party (org > 0) or of all (org == 0). Rows are read
// first and the calendar afterwards (one open statement on PostgreSQL).
func (tx *Tx) rgyObligations(org int64) ([]RegistryObligation, error) {
	q := `SELECT 'resource', e.id, 0, e.org_id, COALESCE(v.name, e.code), e.mounted_at FROM catalog_entries e
		LEFT JOIN catalog_revisions v ON v.id = e.published_rev_id
		WHERE e.mounted_at IS NOT NULL AND e.published_rev_id IS NOT NULL AND (? = 0 OR e.org_id = ?)
		AND NOT EXISTS (SELECT 1 FROM registry_records r WHERE r.kind = 'resource' AND r.entry_id = e.id AND r.status NOT IN (?, ?))
		UNION ALL
		SELECT 'product', 0, p.id, p.org_id, p.name, p.released_at FROM products p
		WHERE p.released_at IS NOT NULL AND (? = 0 OR p.org_id = ?)
		AND NOT EXISTS (SELECT 1 FROM registry_records r WHERE r.kind = 'product' AND r.product_id = p.id AND r.status NOT IN (?, ?))
		ORDER BY 6, 2, 3`
	rows, err := tx.query(q, org, org, shuyu.RgyRefused, shuyu.RgyRevoked, org, org, shuyu.RgyRefused, shuyu.RgyRevoked)
	if err != nil {
		return nil, err
	}
	var out []RegistryObligation
	for rows.Next() {
		var o RegistryObligation
		var since sql.NullInt64
		if err := rows.Scan(&o.Kind, &o.EntryID, &o.ProductID, &o.OrgID, &o.Name, &since); err != nil {
			rows.Close()
			return nil, err
		}
		o.Since = fromMicros(since.Int64)
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cal, err := tx.calendar()
	if err != nil {
		return nil, err
	}
	for i := range out {
		// NREG.4: first registration within 20 working days after supply or delivery.
		if out[i].Due, err = cal.Due(out[i].Since, shuyu.RgyFirstWithinDays); err != nil {
			return nil, err
		}
		out[i].Overdue = workday.Overdue(out[i].Due, tx.now)
		out[i].WorkdaysLeft = cal.WorkdaysLeft(tx.now, out[i].Due)
	}
	return out, nil
}

// RegistryObligations lists the first registrations still to be applied
// for: a department's resources, the operator's products; the registry
// and the regulators see all (NREG.4).
func (d *DB) RegistryObligations(ctx context.Context, actor *shuyu.Actor) ([]RegistryObligation, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRegistryDue, shuyu.Resource{Kind: "registry"}); err != nil {
		return nil, err
	}
	org := actor.OrgID
	if shuyu.Can(actor, shuyu.ActRegistryDue, shuyu.Resource{Kind: "registry", OrgID: -1, Exists: true}) {
		org = 0
	}
	out := []RegistryObligation{}
	err := d.view(ctx, func(tx *Tx) error {
		all, err := tx.rgyObligations(org)
		if all != nil {
			out = all
		}
		return err
	})
	return out, err
}

// sweepRegistryDue reminds the registering party of a first registration
// not yet applied for (NREG.4): once when RgyFirstSoonWorkdays working days
// or fewer are left, once when overdue (only the overdue one when the first
// sweep to see it is already late). The notices are the record that a stage
// was sent, read in the transaction that writes them, so two sweepers send
// it once; each reminder is audited.
func (d *DB) sweepRegistryDue(ctx context.Context) (int, error) {
	sent := 0
	err := d.update(ctx, shuyu.System, func(tx *Tx) error {
		sent = 0
		all, err := tx.rgyObligations(0)
		if err != nil {
			return err
		}
		for _, o := range all {
			kind := "registry.first_soon"
			if o.Overdue {
				kind = "registry.first_overdue"
			} else if o.WorkdaysLeft > RgyFirstSoonWorkdays {
				continue
			}
			objType, objID := "catalog_entry", o.EntryID
			if o.Kind == shuyu.RgyProduct {
				objType, objID = "product", o.ProductID
			}
			var n int
			if err := tx.queryRow(`SELECT count(*) FROM notices WHERE kind = ? AND object_type = ? AND object_id = ?`,
				kind, objType, fmt.Sprint(objID)).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			due := o.Due.In(workday.Zone).Format(time.DateOnly)
			msg := fmt.Sprintf("“%s”须在 %s 前申请首次登记（剩余 %d 个工作日）", o.Name, due, o.WorkdaysLeft)
			if o.Overdue {
				msg = fmt.Sprintf("“%s”未在 %s 前申请首次登记，已超期", o.Name, due)
			}
			if err := tx.notify(Notice{OrgID: o.OrgID, Kind: kind, Title: msg, ObjectType: objType, ObjectID: fmt.Sprint(objID),
				Link: "/registry"}); err != nil {
				return err
			}
			if err := tx.audit(Change{Action: shuyu.AuditRegistryFirstRemind, ObjectType: objType, ObjectID: objID,
				Detail: map[string]any{"stage": kind, "since": o.Since, "due": due, "org_id": o.OrgID, "rule": "NREG.4"}}); err != nil {
				return err
			}
			sent++
		}
		if sent == 0 {
			return errSweepNothing
		}
		return nil
	})
	if errors.Is(err, errSweepNothing) {
		err = nil
	}
	return sent, err
}
