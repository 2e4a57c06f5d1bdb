package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
)

// Money (issue 14), part one: the operator's cost ledger, the authority's
// approval of the maximum allowed revenue, the price catalogue with caps
// and prices, and the purpose of workspaces opened without an agreement.
// Charges, statements and disputes are in money_charge.go; the year's
// close, sharing and the accounts in money_year.go. Amounts are fen.

// RecordCost records (or replaces) the operator's cost of a year and
// category, net of subsidies (NPRC.2). A replacement keeps the old values
// in the trail.
func (d *DB) RecordCost(ctx context.Context, actor *shuyu.Actor, in shuyu.CostInput) (*shuyu.Cost, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyCost, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		var old struct{ amount, subsidy int64 }
		err := tx.queryRow(`SELECT amount_fen, subsidy_fen FROM money_costs WHERE year = ? AND category = ?`, in.Year, in.Category).
			Scan(&old.amount, &old.subsidy)
		switch {
		case isNoRows(err):
			_, err = tx.insert(`INSERT INTO money_costs (year, category, amount_fen, subsidy_fen, note, created_by, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, in.Year, in.Category, in.AmountFen, in.SubsidyFen, in.Note, actor.UserID, micros(tx.now))
		case err == nil:
			_, err = tx.exec(`UPDATE money_costs SET amount_fen = ?, subsidy_fen = ?, note = ?, created_by = ?, created_at = ?
				WHERE year = ? AND category = ?`, in.AmountFen, in.SubsidyFen, in.Note, actor.UserID, micros(tx.now), in.Year, in.Category)
		}
		if err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditMoneyCost, ObjectType: "money_cost", ObjectID: fmt.Sprintf("%d/%s", in.Year, in.Category),
			Detail: map[string]any{"amount_fen": in.AmountFen, "subsidy_fen": in.SubsidyFen, "old_amount_fen": old.amount,
				"old_subsidy_fen": old.subsidy}})
	})
	if err != nil {
		return nil, err
	}
	costs, err := d.Costs(ctx, actor, in.Year)
	if err != nil {
		return nil, err
	}
	for _, c := range costs {
		if c.Category == in.Category {
			return c, nil
		}
	}
	return nil, notFound("cost")
}

// Costs lists a year's costs by category.
func (d *DB) Costs(ctx context.Context, actor *shuyu.Actor, year int) ([]*shuyu.Cost, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyRead, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	out := []*shuyu.Cost{}
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.costs(year)
		return err
	})
	return out, err
}

func (tx *Tx) costs(year int) ([]*shuyu.Cost, error) {
	rows, err := tx.query(`SELECT c.id, c.year, c.category, c.amount_fen, c.subsidy_fen, c.note, coalesce(u.username, ''), c.created_at
		FROM money_costs c LEFT JOIN users u ON u.id = c.created_by WHERE c.year = ? ORDER BY c.id`, year)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byCat := map[string]*shuyu.Cost{}
	for rows.Next() {
		var c shuyu.Cost
		var at int64
		if err := rows.Scan(&c.ID, &c.Year, &c.Category, &c.AmountFen, &c.SubsidyFen, &c.Note, &c.CreatedBy, &at); err != nil {
			return nil, err
		}
		c.NetFen, c.CreatedAt = c.AmountFen-c.SubsidyFen, fromMicros(at)
		byCat[c.Category] = &c
	}
	out := []*shuyu.Cost{}
	for _, cat := range shuyu.CostCategories {
		if c := byCat[cat]; c != nil {
			out = append(out, c)
		}
	}
	return out, rows.Err()
}

// ApproveAllowedRevenue records the authority's approval of a year's
// maximum allowed revenue = allowed cost + allowed profit + taxes (NPRC.2)
// as a new version; the newest version applies.
func (d *DB) ApproveAllowedRevenue(ctx context.Context, actor *shuyu.Actor, in shuyu.AllowedInput) (*shuyu.Allowed, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyApprove, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	profit := in.Profit()
	max := in.AllowedCostFen + profit + in.TaxFen
	err := d.update(ctx, actor, func(tx *Tx) error {
		var closed int
		if err := tx.queryRow(`SELECT count(*) FROM money_years WHERE year = ?`, in.Year).Scan(&closed); err != nil {
			return err
		}
		if closed > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "该年度已结算，不能再核定 (the year is closed)")
		}
		var v int
		if err := tx.queryRow(`SELECT coalesce(max(version), 0) FROM money_allowed WHERE year = ?`, in.Year).Scan(&v); err != nil {
			return err
		}
		id, err := tx.insert(`INSERT INTO money_allowed (year, version, allowed_cost_fen, profit_rate_bp, profit_fen, tax_fen,
			max_revenue_fen, approval_ref, note, approved_by, approved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.Year, v+1, in.AllowedCostFen, in.ProfitRateBP, profit, in.TaxFen, max, in.ApprovalRef, in.Note, actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditMoneyAllowed, ObjectType: "money_allowed", ObjectID: id, Reason: in.Note,
			Detail: map[string]any{"year": in.Year, "version": v + 1, "allowed_cost_fen": in.AllowedCostFen,
				"profit_rate_bp": in.ProfitRateBP, "profit_fen": profit, "tax_fen": in.TaxFen, "max_revenue_fen": max,
				"approval_ref": in.ApprovalRef}})
	})
	if err != nil {
		return nil, err
	}
	all, err := d.AllowedRevenue(ctx, actor, in.Year)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return all[0], nil
}

// AllowedRevenue lists a year's approvals, newest version first.
func (d *DB) AllowedRevenue(ctx context.Context, actor *shuyu.Actor, year int) ([]*shuyu.Allowed, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyRead, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	var out []*shuyu.Allowed
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.allowed(year)
		return err
	})
	return out, err
}

func (tx *Tx) allowed(year int) ([]*shuyu.Allowed, error) {
	rows, err := tx.query(`SELECT a.id, a.version, a.year, a.allowed_cost_fen, a.profit_rate_bp, a.profit_fen, a.tax_fen,
		a.max_revenue_fen, a.approval_ref, a.note, coalesce(u.username, ''), a.approved_at
		FROM money_allowed a LEFT JOIN users u ON u.id = a.approved_by WHERE a.year = ? ORDER BY a.version DESC`, year)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*shuyu.Allowed{}
	for rows.Next() {
		var a shuyu.Allowed
		var at int64
		if err := rows.Scan(&a.ID, &a.Version, &a.Year, &a.AllowedCostFen, &a.ProfitRateBP, &a.ProfitFen, &a.TaxFen,
			&a.MaxRevenueFen, &a.ApprovalRef, &a.Note, &a.ApprovedBy, &at); err != nil {
			return nil, err
		}
		a.ApprovedAt = fromMicros(at)
		out = append(out, &a)
	}
	return out, rows.Err()
}

// workspacePurpose is the purpose a workspace serves (R24.2): its
// agreement's application's, else the one the operator recorded for a
// workspace opened by hand, else "" (unknown: nothing is charged).
func (tx *Tx) workspacePurpose(wsID int64) (string, error) {
	var p string
	err := tx.queryRow(`SELECT r.purpose FROM workspaces w JOIN agreements a ON a.id = w.agreement_id
		JOIN application_rounds r ON r.application_id = a.application_id AND r.round = a.round WHERE w.id = ?`, wsID).Scan(&p)
	if err == nil || !isNoRows(err) {
		return p, err
	}
	err = tx.queryRow(`SELECT purpose FROM money_purposes WHERE workspace_id = ?`, wsID).Scan(&p)
	if isNoRows(err) {
		return "", nil
	}
	return p, err
}

// SetWorkspacePurpose records the purpose of a workspace the operator
// opened without an agreement (a trial, the demo). A workspace opened by an
// agreement takes its application's purpose, which nobody can override.
func (d *DB) SetWorkspacePurpose(ctx context.Context, actor *shuyu.Actor, wsID int64, purpose string) error {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyPurpose, shuyu.Resource{Kind: "money"}); err != nil {
		return err
	}
	if purpose != shuyu.PurposeGovernance && purpose != shuyu.PurposeWelfare && purpose != shuyu.PurposeIndustry {
		return shuyu.Errorf(shuyu.EINVALID, "用途须为公共治理、公益事业或产业发展 (R24.2)")
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		var agr *int64
		if err := tx.queryRow(`SELECT agreement_id FROM workspaces WHERE id = ?`, wsID).Scan(&agr); isNoRows(err) {
			return notFound("workspace")
		} else if err != nil {
			return err
		}
		if agr != nil {
			return shuyu.Errorf(shuyu.ECONFLICT, "该工作区依协议开通，用途以申请为准 (the agreement's application decides the purpose)")
		}
		if _, err := tx.exec(`DELETE FROM money_purposes WHERE workspace_id = ?`, wsID); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO money_purposes (workspace_id, purpose, set_by, set_at) VALUES (?, ?, ?, ?)`,
			wsID, purpose, actor.UserID, micros(tx.now)); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditMoneyPurpose, ObjectType: "workspace", ObjectID: wsID,
			Detail: map[string]any{"purpose": purpose}})
	})
}

// CreatePriceItem adds a catalogue item with the authority's cap (NPRC.3).
// A product's item takes the purpose of the product's workspace; a public
// governance or welfare item is free by rule (NPRC.1, R24.2): its cap and
// price are 0 and a cap above 0 is refused.
func (d *DB) CreatePriceItem(ctx context.Context, actor *shuyu.Actor, in shuyu.PriceItemInput) (*shuyu.PriceItem, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyApprove, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		if in.ProductID != 0 {
			var wsID int64
			var status string
			if err := tx.queryRow(`SELECT workspace_id, status FROM products WHERE id = ?`, in.ProductID).Scan(&wsID, &status); isNoRows(err) {
				return shuyu.Errorf(shuyu.EINVALID, "产品不存在 (no such product)").WithDetails([]shuyu.FieldError{{Field: "product_id", Message: "产品不存在"}})
			} else if err != nil {
				return err
			}
			p, err := tx.workspacePurpose(wsID)
			if err != nil {
				return err
			}
			if p == "" {
				return shuyu.Errorf(shuyu.EINVALID, "该产品的用途尚未确定，不能定价 (the product's purpose is unknown)").
					WithDetails([]shuyu.FieldError{{Field: "product_id", Message: "产品所在工作区的用途未确定"}})
			}
			in.Purpose = p
		} else if in.Purpose != shuyu.PurposeGovernance && in.Purpose != shuyu.PurposeWelfare && in.Purpose != shuyu.PurposeIndustry {
			return shuyu.Errorf(shuyu.EINVALID, "价目信息有误 (invalid price item)").
				WithDetails([]shuyu.FieldError{{Field: "purpose", Message: "用途须为公共治理、公益事业或产业发展"}})
		}
		free := shuyu.FreePurpose(in.Purpose)
		if free && in.CapFen != 0 {
			// NPRC.1, R24.2: free by rule, not by a discount someone types.
			return shuyu.Errorf(shuyu.EINVALID, "公共治理、公益事业用途依规则免费，上限只能为 0 (public purposes are free by rule)").
				WithDetails([]shuyu.FieldError{{Field: "cap_fen", Message: "公益、公共治理用途不收费"}})
		}
		var err error
		id, err = tx.insert(`INSERT INTO money_items (service, product_id, name, class, unit, purpose, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, in.Service, in.ProductID, in.Name, in.Class, in.Unit, in.Purpose, actor.UserID, micros(tx.now))
		if isUnique(err) {
			return shuyu.Errorf(shuyu.ECONFLICT, "同名同单位的价目已存在 (the item exists)")
		}
		if err != nil {
			return err
		}
		if err := tx.priceVersion("item", id, 1, in.CapFen, 0, free, in.TrialUntil, in.Note); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditPriceItem, ObjectType: "price_item", ObjectID: id, Reason: in.Note,
			Detail: map[string]any{"service": in.Service, "product_id": in.ProductID, "name": in.Name, "unit": in.Unit,
				"purpose": in.Purpose, "cap_fen": in.CapFen, "trial_until": in.TrialUntil, "free": free}})
	})
	if err != nil {
		return nil, err
	}
	return d.PriceItem(ctx, id)
}

// priceVersion closes the version in force and opens version v.
func (tx *Tx) priceVersion(kind string, item int64, v int, capFen, priceFen int64, set bool, trial, reason string) error {
	if _, err := tx.exec(`UPDATE money_prices SET to_at = ? WHERE item_id = ? AND to_at IS NULL`, micros(tx.now), item); err != nil {
		return err
	}
	_, err := tx.insert(`INSERT INTO money_prices (item_id, version, kind, cap_fen, price_fen, price_set, trial_until, from_at, by_user,
		by_name, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, item, v, kind, capFen, priceFen, boolInt(set), trial, micros(tx.now),
		tx.actor.UserID, tx.actor.Username, reason)
	return err
}

// SetPriceCap is the authority's new cap (and trial date) for an item. An
// operator price above the new cap comes down to it in the same version.
func (d *DB) SetPriceCap(ctx context.Context, actor *shuyu.Actor, item int64, capFen int64, trialUntil, reason string) (*shuyu.PriceItem, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyApprove, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	in := shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "xx", Class: "xx", Unit: shuyu.UnitCall, CapFen: capFen, TrialUntil: trialUntil}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		cur, err := tx.priceItem(item)
		if err != nil {
			return err
		}
		if cur.Free && capFen != 0 {
			return shuyu.Errorf(shuyu.EINVALID, "公共治理、公益事业用途依规则免费，上限只能为 0 (public purposes are free by rule)").
				WithDetails([]shuyu.FieldError{{Field: "cap_fen", Message: "公益、公共治理用途不收费"}})
		}
		price := min(cur.PriceFen, capFen)
		note := strings.TrimSpace(reason)
		if price < cur.PriceFen {
			note = strings.TrimSpace(note + "（运营价格随上限下调）")
		}
		if err := tx.priceVersion("cap", item, cur.Version+1, capFen, price, cur.PriceSet, trialUntil, note); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditPriceCap, ObjectType: "price_item", ObjectID: item, Reason: reason,
			Detail: map[string]any{"version": cur.Version + 1, "cap_fen": capFen, "old_cap_fen": cur.CapFen, "price_fen": price,
				"trial_until": trialUntil}})
	})
	if err != nil {
		return nil, err
	}
	return d.PriceItem(ctx, item)
}

// SetPrice is the operator's price for an item: at most the cap in force
// (NPRC.3), 0 for a free item (NPRC.1). A refusal changes nothing.
func (d *DB) SetPrice(ctx context.Context, actor *shuyu.Actor, item int64, priceFen int64, reason string) (*shuyu.PriceItem, error) {
	if err := shuyu.Authorize(actor, shuyu.ActPriceSet, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	if priceFen < 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "价格不能为负 (negative price)").WithDetails([]shuyu.FieldError{{Field: "price_fen", Message: "价格不能为负"}})
	}
	if utf8.RuneCountInString(reason) > 500 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "说明过长 (reason too long)")
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		cur, err := tx.priceItem(item)
		if err != nil {
			return err
		}
		if cur.Free && priceFen != 0 {
			return shuyu.Errorf(shuyu.EINVALID, "公共治理、公益事业用途依规则免费 (public purposes are free by rule)").
				WithDetails([]shuyu.FieldError{{Field: "price_fen", Message: "公益、公共治理用途不收费"}})
		}
		if priceFen > cur.CapFen {
			// NPRC.3: the operator's price must not exceed the authority's cap.
			return shuyu.Errorf(shuyu.EINVALID, "价格 %s 元高于上限收费标准 %s 元 (price above the cap)",
				shuyu.FormatFen(priceFen), shuyu.FormatFen(cur.CapFen)).
				WithDetails([]shuyu.FieldError{{Field: "price_fen", Message: "不得高于上限收费标准 " + shuyu.FormatFen(cur.CapFen) + " 元"}})
		}
		if err := tx.priceVersion("price", item, cur.Version+1, cur.CapFen, priceFen, true, cur.TrialUntil, strings.TrimSpace(reason)); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditPriceSet, ObjectType: "price_item", ObjectID: item, Reason: reason,
			Detail: map[string]any{"version": cur.Version + 1, "price_fen": priceFen, "old_price_fen": cur.PriceFen, "cap_fen": cur.CapFen}})
	})
	if err != nil {
		return nil, err
	}
	return d.PriceItem(ctx, item)
}

const priceItemCols = `i.id, i.service, i.product_id, coalesce(p.name, ''), coalesce(p.status, ''), i.name, i.class, i.unit, i.purpose,
	v.version, v.cap_fen, v.price_fen, v.price_set, v.trial_until, v.from_at, v.reason,
	coalesce((SELECT c.by_name FROM money_prices c WHERE c.item_id = i.id AND c.kind <> 'price' ORDER BY c.version DESC LIMIT 1), ''),
	coalesce((SELECT c.by_name FROM money_prices c WHERE c.item_id = i.id AND c.kind = 'price' ORDER BY c.version DESC LIMIT 1), '')`

const priceItemFrom = ` FROM money_items i JOIN money_prices v ON v.item_id = i.id AND v.to_at IS NULL
	LEFT JOIN products p ON p.id = i.product_id `

func (tx *Tx) scanPriceItem(r interface{ Scan(...any) error }) (*shuyu.PriceItem, string, error) {
	var it shuyu.PriceItem
	var status string
	var set int
	var from int64
	if err := r.Scan(&it.ID, &it.Service, &it.ProductID, &it.ProductName, &status, &it.Name, &it.Class, &it.Unit, &it.Purpose,
		&it.Version, &it.CapFen, &it.PriceFen, &set, &it.TrialUntil, &from, &it.Note, &it.CapBy, &it.PriceBy); err != nil {
		return nil, "", err
	}
	it.PriceSet, it.From, it.Free = set == 1, fromMicros(from), shuyu.FreePurpose(it.Purpose)
	if it.TrialUntil != "" {
		it.Trial = tx.now.In(shuyu.MoneyZone).Format(time.DateOnly) <= it.TrialUntil
	}
	if !it.PriceSet {
		it.PriceBy = ""
	}
	return &it, status, nil
}

func (tx *Tx) priceItem(id int64) (*shuyu.PriceItem, error) {
	it, _, err := tx.scanPriceItem(tx.queryRow(`SELECT `+priceItemCols+priceItemFrom+`WHERE i.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("price item")
	}
	return it, err
}

// PriceItem returns one item with the version in force.
func (d *DB) PriceItem(ctx context.Context, id int64) (*shuyu.PriceItem, error) {
	var it *shuyu.PriceItem
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		it, err = tx.priceItem(id)
		return err
	})
	return it, err
}

// Prices is the public price list (NPRC.5: prices are posted publicly):
// every item in force whose product, if any, is released. It needs no
// actor and shows nothing that is not public anyway.
func (d *DB) Prices(ctx context.Context) ([]*shuyu.PriceItem, error) {
	return d.priceList(ctx, true)
}

// PriceCatalogue is the whole catalogue for the authority and the operator
// (items of products not yet released included).
func (d *DB) PriceCatalogue(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.PriceItem, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyRead, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	return d.priceList(ctx, false)
}

func (d *DB) priceList(ctx context.Context, public bool) ([]*shuyu.PriceItem, error) {
	out := []*shuyu.PriceItem{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT ` + priceItemCols + priceItemFrom + `ORDER BY i.class, i.service, i.name, i.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, status, err := tx.scanPriceItem(rows)
			if err != nil {
				return err
			}
			if public && it.ProductID != 0 && status != shuyu.ProductReleased {
				continue
			}
			out = append(out, it)
		}
		return rows.Err()
	})
	return out, err
}

// PriceHistory lists an item's versions, newest first.
func (d *DB) PriceHistory(ctx context.Context, actor *shuyu.Actor, item int64) ([]shuyu.PriceVersion, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyRead, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	out := []shuyu.PriceVersion{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT version, cap_fen, price_fen, price_set, from_at, to_at, by_name, reason FROM money_prices
			WHERE item_id = ? ORDER BY version DESC`, item)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v shuyu.PriceVersion
			var set int
			var from int64
			var to *int64
			if err := rows.Scan(&v.Version, &v.CapFen, &v.PriceFen, &set, &from, &to, &v.By, &v.Reason); err != nil {
				return err
			}
			v.PriceSet, v.From = set == 1, fromMicros(from)
			if to != nil {
				t := fromMicros(*to)
				v.To = &t
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 {
			return notFound("price item")
		}
		return nil
	})
	return out, err
}
