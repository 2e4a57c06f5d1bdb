package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
)

// DeliverableProduct authorizes a delivery of product id: it must be
// released (filed first, R23.2) and no source suspended (R27.3). Before
// filing the answer is ECONFLICT (409) for those who can see the product,
// ENOTFOUND (404) for others: nothing leaves before filing.
func (d *DB) DeliverableProduct(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Product, error) {
	p, err := d.ProductFor(ctx, actor, shuyu.ActProductDeliver, id)
	if err != nil {
		return nil, err
	}
	if err := productDeliverable(p); err != nil {
		return nil, err
	}
	return p, nil
}

func productDeliverable(p *shuyu.Product) error {
	if p.StoredStatus != shuyu.ProductReleased || p.FilingNo == "" {
		return shuyu.Errorf(shuyu.ECONFLICT, "产品尚未完成出域核查、备案和上架，不能下载或交付 (not filed and released, R23.2)")
	}
	if p.HeldReason != "" {
		return shuyu.Errorf(shuyu.ECONFLICT, "%s", p.HeldReason)
	}
	return nil
}

// RecordDelivery records one download or API delivery with its recipient
// (R27.1 去向可查) in the same transaction that re-checks the product may
// leave; the caller writes the file only after it returns.
func (d *DB) RecordDelivery(ctx context.Context, actor *shuyu.Actor, id int64, dl *shuyu.ProductDelivery) error {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductDeliver, id); err != nil {
		return err
	}
	dl.Recipient = strings.TrimSpace(dl.Recipient)
	if n := utf8.RuneCountInString(dl.Recipient); n < 1 || n > 100 {
		return shuyu.Errorf(shuyu.EINVALID, "请填写接收方（1 至 100 个字） (recipient required)").
			WithDetails([]shuyu.FieldError{{Field: "recipient", Message: "请填写接收方"}})
	}
	if dl.Channel != "download" && dl.Channel != "api" {
		return shuyu.Errorf(shuyu.EINVALID, "交付方式须为 download 或 api (bad channel)")
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		p, err := tx.product(id)
		if err != nil {
			return err
		}
		if err := productDeliverable(p); err != nil {
			return err
		}
		dl.UserID, dl.Username, dl.OrgID, dl.At = actor.UserID, actor.Username, actor.OrgID, tx.now
		dl.ID, err = tx.insert(`INSERT INTO product_deliveries (product_id, recipient, mark, fingerprint, channel, table_name, rows_count,
			sha256, user_id, username, org_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, dl.Recipient, dl.Mark, dl.Fingerprint, dl.Channel, dl.Table, dl.Rows, dl.SHA256, dl.UserID, dl.Username,
			dl.OrgID, micros(tx.now))
		if err != nil {
			return fmt.Errorf("sqlstore: delivery: %w", err)
		}
		return tx.audit(Change{Action: shuyu.AuditProductDeliver, ObjectType: "product", ObjectID: id,
			Detail: map[string]any{"delivery_id": dl.ID, "recipient": dl.Recipient, "channel": dl.Channel, "table": dl.Table,
				"rows": dl.Rows, "sha256": dl.SHA256, "fingerprinted": dl.Fingerprint}})
	})
}

// ProductDeliveries lists a product's deliveries, oldest first: to its
// merchant, and to the authority, the operator and regulators.
func (d *DB) ProductDeliveries(ctx context.Context, actor *shuyu.Actor, id int64) ([]shuyu.ProductDelivery, error) {
	if _, err := d.Product(ctx, actor, id); err != nil {
		return nil, err
	}
	var out []shuyu.ProductDelivery
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.productDeliveries(`product_id = ?`, id)
		return err
	})
	return out, err
}

func (tx *Tx) productDeliveries(where string, args ...any) ([]shuyu.ProductDelivery, error) {
	rows, err := tx.query(`SELECT id, recipient, mark, fingerprint, channel, table_name, rows_count, sha256, user_id, username,
		org_id, created_at FROM product_deliveries WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []shuyu.ProductDelivery{}
	for rows.Next() {
		var dl shuyu.ProductDelivery
		var at int64
		if err := rows.Scan(&dl.ID, &dl.Recipient, &dl.Mark, &dl.Fingerprint, &dl.Channel, &dl.Table, &dl.Rows, &dl.SHA256,
			&dl.UserID, &dl.Username, &dl.OrgID, &at); err != nil {
			return nil, err
		}
		dl.At = fromMicros(at)
		out = append(out, dl)
	}
	return out, rows.Err()
}

// DeliveryMarks returns the distinct fingerprint keys a product was
// delivered under: the candidates of an attribution.
func (d *DB) DeliveryMarks(ctx context.Context, actor *shuyu.Actor, id int64) ([]shuyu.ProductDelivery, error) {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductAttribute, id); err != nil {
		return nil, err
	}
	var out []shuyu.ProductDelivery
	err := d.view(ctx, func(tx *Tx) error {
		all, err := tx.productDeliveries(`product_id = ? AND fingerprint = ?`, id, true)
		seen := map[string]bool{}
		for _, dl := range all {
			if !seen[dl.Mark] {
				seen[dl.Mark] = true
				out = append(out, dl)
			}
		}
		return err
	})
	return out, err
}

// RecordAttribution audits an attribution of a leaked copy: who asked,
// about which product, and the answer (R27.1 责任可究).
func (d *DB) RecordAttribution(ctx context.Context, actor *shuyu.Actor, id int64, detail map[string]any) error {
	if _, err := d.ProductFor(ctx, actor, shuyu.ActProductAttribute, id); err != nil {
		return err
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		return tx.audit(Change{Action: shuyu.AuditProductAttribute, ObjectType: "product", ObjectID: id, Detail: detail})
	})
}

// PublicProduct is what the public list shows of a released product.
type PublicProduct struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Merchant   string    `json:"merchant"`
	Scenario   string    `json:"scenario"`
	Type       string    `json:"type"`
	FilingNo   string    `json:"filing_no"`
	ReleasedAt time.Time `json:"released_at"`
}

// ReleasedProducts lists released products for the public (no login): name,
// merchant, scenario and filing number (R23.2, R32.1).
func (d *DB) ReleasedProducts(ctx context.Context) ([]PublicProduct, error) {
	out := []PublicProduct{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT p.id, p.name, o.name, p.scenario, p.type, p.filing_no, p.released_at
			FROM products p JOIN orgs o ON o.id = p.org_id WHERE p.status = ? ORDER BY p.released_at DESC, p.id DESC LIMIT 500`,
			shuyu.ProductReleased)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p PublicProduct
			var at int64
			if err := rows.Scan(&p.ID, &p.Name, &p.Merchant, &p.Scenario, &p.Type, &p.FilingNo, &at); err != nil {
				return err
			}
			p.ReleasedAt = fromMicros(at)
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}
