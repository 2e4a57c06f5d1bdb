package sqlstore

import (
	"context"
	"fmt"
	"time"

	"shuyu"
)

// Lineage is the whole path of a product (R27.1: 来源可溯、去向可查、行为留痕、
// 责任可究): sources with versions, the workspace and queries, the checks,
// the reviewers, the filing and every recipient.
type Lineage struct {
	Product    *shuyu.Product          `json:"product"`
	Workspace  LineageWorkspace        `json:"workspace"`
	Checks     []shuyu.ProductCheck    `json:"checks"`
	Reviews    []shuyu.ProductReview   `json:"reviews"`
	Filing     *LineageStep            `json:"filing,omitempty"`
	Release    *LineageStep            `json:"release,omitempty"`
	Deliveries []shuyu.ProductDelivery `json:"deliveries"`
}

// LineageWorkspace names the workspace a product was built in.
type LineageWorkspace struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	AgreementID int64  `json:"agreement_id,omitempty"`
}

// LineageStep is who did a step and when.
type LineageStep struct {
	Actor string    `json:"actor"`
	At    time.Time `json:"at"`
	Note  string    `json:"note,omitempty"`
}

// ProductLineage returns a product's lineage to the authority, the
// operator and regulators (R27.1, R30.1).
func (d *DB) ProductLineage(ctx context.Context, actor *shuyu.Actor, id int64) (*Lineage, error) {
	p, err := d.ProductFor(ctx, actor, shuyu.ActProductLineage, id)
	if err != nil {
		return nil, err
	}
	l := &Lineage{Product: p}
	err = d.view(ctx, func(tx *Tx) error {
		var agr *int64
		if err := tx.queryRow(`SELECT id, name, agreement_id FROM workspaces WHERE id = ?`, p.WorkspaceID).
			Scan(&l.Workspace.ID, &l.Workspace.Name, &agr); err != nil {
			return err
		}
		if agr != nil {
			l.Workspace.AgreementID = *agr
		}
		var err error
		if l.Checks, l.Reviews, err = tx.productHistory(id); err != nil {
			return err
		}
		if l.Filing, err = tx.lineageStep(id, "product.file"); err != nil {
			return err
		}
		if l.Release, err = tx.lineageStep(id, "product.release"); err != nil {
			return err
		}
		l.Deliveries, err = tx.productDeliveries(`product_id = ?`, id)
		return err
	})
	return l, err
}

func (tx *Tx) lineageStep(id int64, action string) (*LineageStep, error) {
	var s LineageStep
	var at int64
	err := tx.queryRow(`SELECT actor_name, time, reason FROM audit_events WHERE object_type = 'product' AND object_id = ? AND action = ?
		ORDER BY seq DESC LIMIT 1`, fmt.Sprint(id), action).Scan(&s.Actor, &at, &s.Note)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.At = fromMicros(at)
	return &s, nil
}

// EntryUse is one product built on an entry and where it went.
type EntryUse struct {
	ProductID  int64                   `json:"product_id"`
	Product    string                  `json:"product"`
	Merchant   string                  `json:"merchant"`
	Status     string                  `json:"status"`
	FilingNo   string                  `json:"filing_no,omitempty"`
	Versions   []int                   `json:"versions"`
	Deliveries []shuyu.ProductDelivery `json:"deliveries"`
}

// EntryLineage lists every product built on catalog entry id and every
// delivery of it (R27.1 去向可查), for the authority, the operator and
// regulators.
func (d *DB) EntryLineage(ctx context.Context, actor *shuyu.Actor, entryID int64) ([]EntryUse, error) {
	if err := shuyu.Authorize(actor, shuyu.ActProductLineage, shuyu.Resource{Kind: "product"}); err != nil {
		return nil, err
	}
	out := []EntryUse{}
	err := d.view(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM catalog_entries WHERE id = ?`, entryID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("目录")
		}
		rows, err := tx.query(`SELECT DISTINCT p.id, p.name, o.name, p.status, coalesce(p.filing_no, ''), s.version
			FROM product_sources s JOIN products p ON p.id = s.product_id JOIN orgs o ON o.id = p.org_id
			WHERE s.entry_id = ? ORDER BY p.id, s.version`, entryID)
		if err != nil {
			return err
		}
		idx := map[int64]int{}
		for rows.Next() {
			var u EntryUse
			var v int
			if err := rows.Scan(&u.ProductID, &u.Product, &u.Merchant, &u.Status, &u.FilingNo, &v); err != nil {
				rows.Close()
				return err
			}
			if i, ok := idx[u.ProductID]; ok {
				out[i].Versions = append(out[i].Versions, v)
				continue
			}
			u.Versions = []int{v}
			idx[u.ProductID] = len(out)
			out = append(out, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if out[i].Deliveries, err = tx.productDeliveries(`product_id = ?`, out[i].ProductID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
