package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
)

// Money, part two: charge lines from metering (R14.2, NPRC.4), monthly
// statements, and disputes.
//
// Charging reads the metering sources past a cursor: governed queries over
// real data (workspace_queries: CPU time, rows scanned, the query itself)
// and product deliveries (product_deliveries); API calls, metered by the
// gateway, arrive through RecordUsage. Each use becomes one line per item
// that prices it, at the price version in force when the use happened (not
// when charging runs). A line is 0 and marked free when the use served a
// public governance or welfare purpose (NPRC.1, R24.2) or an unknown one,
// or when a suspension covered it (R27.3).

// Charge sources.
const (
	sourceQuery    = "workspace_query"
	sourceDelivery = "product_delivery"
	sourceAPI      = "api_call"
)

// chargeBatch bounds one charging transaction.
const chargeBatch = 2000

// priceBook is the catalogue with every version, for pricing past uses.
type priceBook struct {
	items    map[int64]*bookItem
	byKey    map[string][]*bookItem // service/product → items
	versions map[int64][]bookVersion
}

type bookItem struct {
	id        int64
	service   string
	productID int64
	unit      string
	purpose   string
}

type bookVersion struct {
	id            int64
	version       int
	from, to      int64 // to 0: in force
	price         int64
	set           bool
	capFen        int64
	trialUntilDay string
}

func bookKey(service string, product int64) string { return fmt.Sprintf("%s/%d", service, product) }

func (tx *Tx) loadPriceBook() (*priceBook, error) {
	b := &priceBook{items: map[int64]*bookItem{}, byKey: map[string][]*bookItem{}, versions: map[int64][]bookVersion{}}
	rows, err := tx.query(`SELECT id, service, product_id, unit, purpose FROM money_items ORDER BY id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var it bookItem
		if err := rows.Scan(&it.id, &it.service, &it.productID, &it.unit, &it.purpose); err != nil {
			rows.Close()
			return nil, err
		}
		b.items[it.id] = &it
		k := bookKey(it.service, it.productID)
		b.byKey[k] = append(b.byKey[k], &it)
	}
	rows.Close()
	rows, err = tx.query(`SELECT id, item_id, version, from_at, coalesce(to_at, 0), price_fen, price_set, cap_fen, trial_until
		FROM money_prices ORDER BY item_id, version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var v bookVersion
		var item int64
		var set int
		if err := rows.Scan(&v.id, &item, &v.version, &v.from, &v.to, &v.price, &set, &v.capFen, &v.trialUntilDay); err != nil {
			return nil, err
		}
		v.set = set == 1
		b.versions[item] = append(b.versions[item], v)
	}
	return b, rows.Err()
}

// at is the version of item in force at t (µs), if any.
func (b *priceBook) at(item int64, t int64) (bookVersion, bool) {
	for _, v := range b.versions[item] {
		if v.from <= t && (v.to == 0 || t < v.to) {
			return v, true
		}
	}
	return bookVersion{}, false
}

// use is one metered use to price.
type use struct {
	source    string
	sourceID  int64
	orgID     int64
	wsID      int64
	productID int64
	at        int64
	qty       map[string]int64 // service → quantity
}

// chargeCtx caches per workspace facts during a run.
type chargeCtx struct {
	tx       *Tx
	book     *priceBook
	issued   shuyu.Period // the newest issued month ("" none): a line goes on a later one
	purposes map[int64]string
	entries  map[string][]suspEntry // "w<id>" or "p<id>" → entries and their orgs
	susp     []suspension
}

type suspEntry struct{ entry, org int64 }

type suspension struct {
	scope      string
	entry, org int64
	from, to   int64 // to 0: not resumed
}

func (tx *Tx) newChargeCtx() (*chargeCtx, error) {
	b, err := tx.loadPriceBook()
	if err != nil {
		return nil, err
	}
	c := &chargeCtx{tx: tx, book: b, purposes: map[int64]string{}, entries: map[string][]suspEntry{}}
	if c.issued, err = tx.issuedThrough(); err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT scope, coalesce(entry_id, 0), coalesce(org_id, 0), created_at, coalesce(resumed_at, 0) FROM domain_suspensions`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s suspension
		if err := rows.Scan(&s.scope, &s.entry, &s.org, &s.from, &s.to); err != nil {
			return nil, err
		}
		c.susp = append(c.susp, s)
	}
	return c, rows.Err()
}

// issuedThrough is the newest month whose statements are issued ("" none).
// Months are issued in order, so every month up to it is issued.
func (tx *Tx) issuedThrough() (shuyu.Period, error) {
	var p string
	err := tx.queryRow(`SELECT coalesce(max(period), '') FROM money_periods`).Scan(&p)
	return shuyu.Period(p), err
}

// statementMonth is the month whose statement takes a line used at t (µs):
// its own month, or the first month not yet issued if its own was (a late
// line goes on the next statement). It is fixed when the line is written,
// so issuing a month never rewrites a line.
func (c *chargeCtx) statementMonth(t int64) shuyu.Period {
	p := shuyu.PeriodOf(fromMicros(t))
	if c.issued != "" && p <= c.issued {
		p = c.issued.Next()
	}
	return p
}

func (c *chargeCtx) purpose(ws int64) (string, error) {
	if p, ok := c.purposes[ws]; ok {
		return p, nil
	}
	p, err := c.tx.workspacePurpose(ws)
	c.purposes[ws] = p
	return p, err
}

// lineage: the entries (and their departments) a use was built from: a
// product's sources, else the workspace's grants.
func (c *chargeCtx) lineage(ws, product int64) ([]suspEntry, error) {
	key, q, arg := fmt.Sprint("w", ws), `SELECT g.entry_id, e.org_id FROM workspace_grants g JOIN catalog_entries e ON e.id = g.entry_id
		WHERE g.workspace_id = ? ORDER BY g.entry_id`, ws
	if product != 0 {
		key, q, arg = fmt.Sprint("p", product), `SELECT DISTINCT s.entry_id, e.org_id FROM product_sources s
			JOIN catalog_entries e ON e.id = s.entry_id WHERE s.product_id = ? ORDER BY s.entry_id`, product
	}
	if es, ok := c.entries[key]; ok {
		return es, nil
	}
	rows, err := c.tx.query(q, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	es := []suspEntry{}
	for rows.Next() {
		var e suspEntry
		if err := rows.Scan(&e.entry, &e.org); err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	c.entries[key] = es
	return es, rows.Err()
}

// suspended: a suspension covering one of the use's entries (or the whole
// platform) was in effect when the use happened (R27.3).
func (c *chargeCtx) suspended(u *use) (bool, error) {
	if len(c.susp) == 0 {
		return false, nil
	}
	es, err := c.lineage(u.wsID, u.productID)
	if err != nil {
		return false, err
	}
	for _, s := range c.susp {
		if s.from > u.at || (s.to != 0 && s.to <= u.at) {
			continue
		}
		if s.scope == "platform" {
			return true, nil
		}
		for _, e := range es {
			if (s.scope == "entry" && s.entry == e.entry) || (s.scope == "dept" && s.org == e.org) {
				return true, nil
			}
		}
	}
	return false, nil
}

// price writes the lines of one use; it answers how many lines and fen.
func (c *chargeCtx) price(u *use) (lines int, fen int64, err error) {
	var purpose string
	if u.wsID != 0 {
		if purpose, err = c.purpose(u.wsID); err != nil {
			return 0, 0, err
		}
	}
	susp, err := c.suspended(u)
	if err != nil {
		return 0, 0, err
	}
	for service, qty := range u.qty {
		product := int64(0)
		if shuyu.ServiceIsProduct(service) {
			product = u.productID
		}
		for _, it := range c.book.byKey[bookKey(service, product)] {
			v, ok := c.book.at(it.id, u.at)
			if !ok || !v.set {
				continue // no price in force then: nothing is charged
			}
			amount, err := shuyu.LineAmount(v.price, qty, shuyu.UnitDivisor(it.unit))
			if err != nil {
				return 0, 0, err
			}
			status, note := shuyu.ChargeOpen, ""
			purpose := purpose
			if u.wsID == 0 {
				purpose = it.purpose // a service used outside any workspace serves the item's purpose
			}
			switch {
			case shuyu.FreePurpose(it.purpose):
				status, note, amount = shuyu.ChargeFree, "公益、公共治理服务免费", 0
			case purpose == "":
				status, note, amount = shuyu.ChargeFree, "用途未确定，不计费", 0
			case shuyu.FreePurpose(purpose):
				// NPRC.1, R24.2: a public governance or welfare use is never charged.
				status, note, amount = shuyu.ChargeFree, "公益、公共治理用途免费", 0
			case susp:
				// R27.3: a suspension stops charging for what it covers.
				status, note, amount = shuyu.ChargeFree, "暂停期间不计费", 0
			}
			_, err = c.tx.exec(`INSERT INTO money_charges (org_id, item_id, price_id, source, source_id, workspace_id, product_id,
				quantity, price_fen, amount_fen, status, note, at, period, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				u.orgID, it.id, v.id, u.source, u.sourceID, u.wsID, u.productID, qty, v.price, amount, status, note, u.at,
				string(c.statementMonth(u.at)), micros(c.tx.now))
			if isUnique(err) {
				continue // charged already
			}
			if err != nil {
				return 0, 0, err
			}
			lines++
			fen += amount
		}
	}
	return lines, fen, nil
}

// ChargeReport is what a charging run did.
type ChargeReport struct {
	Uses  int   `json:"uses"`
	Lines int   `json:"lines"`
	Fen   int64 `json:"fen"`
}

// Charge turns the metering recorded since the last run into charge
// lines (R14.2, NPRC.4). The system runs it every minute; the operator may
// run it at once. Each batch is one audited transaction; a run with nothing
// new writes nothing.
func (d *DB) Charge(ctx context.Context, actor *shuyu.Actor) (ChargeReport, error) {
	var total ChargeReport
	if err := shuyu.Authorize(actor, shuyu.ActMoneyOperate, shuyu.Resource{Kind: "money"}); err != nil {
		return total, err
	}
	for _, src := range []string{sourceQuery, sourceDelivery} {
		for {
			var rep ChargeReport
			more := false
			err := d.update(ctx, actor, func(tx *Tx) error {
				rep = ChargeReport{}
				var last int64
				if err := tx.queryRow(`SELECT last_id FROM money_cursors WHERE source = ?`, src).Scan(&last); err != nil && !isNoRows(err) {
					return err
				}
				uses, read, next, err := tx.meteredUses(src, last)
				if err != nil {
					return err
				}
				if read == 0 {
					return errNothing
				}
				more = read == chargeBatch
				c, err := tx.newChargeCtx()
				if err != nil {
					return err
				}
				for i := range uses {
					n, fen, err := c.price(&uses[i])
					if err != nil {
						return err
					}
					rep.Uses++
					rep.Lines += n
					rep.Fen += fen
				}
				if _, err := tx.exec(`DELETE FROM money_cursors WHERE source = ?`, src); err != nil {
					return err
				}
				if _, err := tx.exec(`INSERT INTO money_cursors (source, last_id) VALUES (?, ?)`, src, next); err != nil {
					return err
				}
				return tx.audit(Change{Action: shuyu.AuditMoneyCharge, ObjectType: "money_charges", ObjectID: src,
					Detail: map[string]any{"from_id": last, "to_id": next, "uses": rep.Uses, "lines": rep.Lines, "fen": rep.Fen}})
			})
			if err == errNothing {
				break
			}
			if err != nil {
				return total, err
			}
			total.Uses += rep.Uses
			total.Lines += rep.Lines
			total.Fen += rep.Fen
			if !more {
				break
			}
		}
	}
	return total, nil
}

var errNothing = fmt.Errorf("sqlstore: nothing to do")

// meteredUses reads up to chargeBatch rows of src after id last: the uses
// to price, how many rows it read and the highest id read.
func (tx *Tx) meteredUses(src string, last int64) ([]use, int, int64, error) {
	var q string
	switch src {
	case sourceQuery:
		// Simulated data is free (R6.1); a rejected query ran nothing.
		q = `SELECT q.id, w.org_id, q.workspace_id, 0, q.created_at, q.data, q.status, q.cpu_us, q.rows_scanned
			FROM workspace_queries q JOIN workspaces w ON w.id = q.workspace_id WHERE q.id > ? ORDER BY q.id LIMIT ?`
	case sourceDelivery:
		q = `SELECT d.id, p.org_id, p.workspace_id, d.product_id, d.created_at, 'real', 'released', 0, d.rows_count
			FROM product_deliveries d JOIN products p ON p.id = d.product_id WHERE d.id > ? ORDER BY d.id LIMIT ?`
	}
	rows, err := tx.query(q, last, chargeBatch)
	if err != nil {
		return nil, 0, last, err
	}
	defer rows.Close()
	var out []use
	next, read := last, 0
	for rows.Next() {
		read++
		u := use{source: src}
		var data, status string
		var cpu, scanned int64
		if err := rows.Scan(&u.sourceID, &u.orgID, &u.wsID, &u.productID, &u.at, &data, &status, &cpu, &scanned); err != nil {
			return nil, 0, last, err
		}
		next = u.sourceID
		if data != shuyu.DataReal || status == "rejected" {
			continue
		}
		if src == sourceQuery {
			u.qty = map[string]int64{shuyu.ServiceCompute: cpu, shuyu.ServiceRows: scanned, shuyu.ServiceQuery: 1}
		} else {
			u.qty = map[string]int64{shuyu.ServiceDelivery: 1}
		}
		out = append(out, u)
	}
	return out, read, next, rows.Err()
}

// UsageInput is usage metered outside the platform's own records: calls of
// a product's API counted by the gateway, or a service by period or count.
type UsageInput struct {
	OrgID     int64     `json:"org_id"`
	Service   string    `json:"service"` // api_call or service
	ItemID    int64     `json:"item_id"`
	ProductID int64     `json:"product_id,omitempty"`
	Quantity  int64     `json:"quantity"`
	At        time.Time `json:"at"`
	Ref       string    `json:"ref"` // the gateway's batch id, unique per item
}

// RecordUsage records usage metered outside the platform (the gateway's
// call counts) as a charge line priced like any other: at the version in
// force at At. A use in a month already on a statement is refused, as is a
// use in the future; a repeated Ref is a conflict.
func (d *DB) RecordUsage(ctx context.Context, actor *shuyu.Actor, in UsageInput) (*shuyu.Charge, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyOperate, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	in.Ref = strings.TrimSpace(in.Ref)
	var fe []shuyu.FieldError
	if in.Quantity <= 0 || in.Quantity > 1_000_000_000 {
		fe = append(fe, shuyu.FieldError{Field: "quantity", Message: "数量须为正整数"})
	}
	if n := utf8.RuneCountInString(in.Ref); n < 1 || n > 100 {
		fe = append(fe, shuyu.FieldError{Field: "ref", Message: "须填写计量批次号"})
	}
	if in.At.IsZero() {
		fe = append(fe, shuyu.FieldError{Field: "at", Message: "须填写发生时间"})
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "计量信息有误 (invalid usage)").WithDetails(fe)
	}
	var id int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		if in.At.After(tx.now) {
			return shuyu.Errorf(shuyu.EINVALID, "发生时间不能晚于现在 (usage in the future)")
		}
		c, err := tx.newChargeCtx()
		if err != nil {
			return err
		}
		it := c.book.items[in.ItemID]
		if it == nil || (it.service != shuyu.ServiceAPICall && it.service != shuyu.ServiceOther) {
			return shuyu.Errorf(shuyu.EINVALID, "价目不存在或不按外部计量计费 (no such item for external usage)")
		}
		org, err := tx.org(in.OrgID)
		if err != nil || org.Kind != shuyu.OrgMerchant {
			return shuyu.Errorf(shuyu.EINVALID, "计费对象须为数据商 (usage is a merchant's)")
		}
		if c.issued != "" && shuyu.PeriodOf(in.At) <= c.issued {
			return shuyu.Errorf(shuyu.ECONFLICT, "该账期的对账单已出具，不能补录 (the period is billed)")
		}
		var ref int64
		if err := tx.queryRow(`SELECT count(*) FROM money_charges WHERE source = ? AND item_id = ? AND note = ?`, sourceAPI, in.ItemID,
			"批次 "+in.Ref).Scan(&ref); err != nil {
			return err
		}
		if ref > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "该计量批次已录入 (the batch is recorded)")
		}
		u := use{source: sourceAPI, orgID: in.OrgID, productID: it.productID, at: micros(in.At.UTC()),
			qty: map[string]int64{it.service: in.Quantity}}
		if it.productID != 0 {
			if err := tx.queryRow(`SELECT workspace_id FROM products WHERE id = ? AND org_id = ?`, it.productID, in.OrgID).Scan(&u.wsID); isNoRows(err) {
				return shuyu.Errorf(shuyu.EINVALID, "该产品不属于此数据商 (the product is another merchant's)")
			} else if err != nil {
				return err
			}
		}
		if err := tx.queryRow(`SELECT coalesce(max(source_id), 0) + 1 FROM money_charges WHERE source = ?`, sourceAPI).Scan(&u.sourceID); err != nil {
			return err
		}
		n, fen, err := c.priceOnly(&u, it)
		if err != nil {
			return err
		}
		if n == 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "发生时该价目尚无运营价格，不计费 (no price in force then)")
		}
		if err := tx.queryRow(`SELECT id FROM money_charges WHERE source = ? AND source_id = ?`, sourceAPI, u.sourceID).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE money_charges SET note = CASE WHEN note = '' THEN ? ELSE note || '；' || ? END WHERE id = ?`,
			"批次 "+in.Ref, "批次 "+in.Ref, id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditMoneyUsage, ObjectType: "money_charge", ObjectID: id,
			Detail: map[string]any{"org_id": in.OrgID, "item_id": in.ItemID, "quantity": in.Quantity, "at": in.At, "ref": in.Ref, "fen": fen}})
	})
	if err != nil {
		return nil, err
	}
	return d.charge(ctx, id)
}

// priceOnly prices u for one item only.
func (c *chargeCtx) priceOnly(u *use, it *bookItem) (int, int64, error) {
	saved := c.book.byKey
	c.book.byKey = map[string][]*bookItem{bookKey(it.service, it.productID): {it}}
	defer func() { c.book.byKey = saved }()
	return c.price(u)
}

// A line is on the statement of its merchant and period; an open line of
// an issued month reads as billed.
const chargeCols = `c.id, c.org_id, coalesce(st.id, 0), c.item_id, i.name, i.unit, v.version, c.source, c.source_id,
	c.workspace_id, c.product_id, c.quantity, c.price_fen, c.amount_fen,
	CASE WHEN c.status = 'open' AND st.id IS NOT NULL THEN 'billed' ELSE c.status END, c.note, c.at`

const chargeFrom = ` FROM money_charges c JOIN money_items i ON i.id = c.item_id JOIN money_prices v ON v.id = c.price_id
	LEFT JOIN money_statements st ON st.org_id = c.org_id AND st.period = c.period `

func scanCharge(r interface{ Scan(...any) error }) (shuyu.Charge, error) {
	var c shuyu.Charge
	var at int64
	err := r.Scan(&c.ID, &c.OrgID, &c.StatementID, &c.ItemID, &c.ItemName, &c.Unit, &c.Version, &c.Source, &c.SourceID,
		&c.WorkspaceID, &c.ProductID, &c.Quantity, &c.PriceFen, &c.AmountFen, &c.Status, &c.Note, &at)
	c.At = fromMicros(at)
	return c, err
}

func (d *DB) charge(ctx context.Context, id int64) (*shuyu.Charge, error) {
	var c shuyu.Charge
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		c, err = scanCharge(tx.queryRow(`SELECT `+chargeCols+chargeFrom+`WHERE c.id = ?`, id))
		if isNoRows(err) {
			return notFound("charge")
		}
		return err
	})
	return &c, err
}

// OpenCharges lists a merchant's lines not yet on a statement, newest
// first (what the current month will bill), at most limit.
func (d *DB) OpenCharges(ctx context.Context, actor *shuyu.Actor, orgID int64, limit int) ([]shuyu.Charge, error) {
	if err := shuyu.Authorize(actor, shuyu.ActBillRead, shuyu.Resource{Kind: "bill", OrgID: orgID, Exists: true}); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	out := []shuyu.Charge{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT `+chargeCols+chargeFrom+`WHERE c.org_id = ? AND c.period > (SELECT coalesce(max(period), '') FROM money_periods)
			ORDER BY c.at DESC, c.id DESC LIMIT ?`, orgID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCharge(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// IssueReport is what issuing a month's statements did.
type IssueReport struct {
	Period     shuyu.Period `json:"period"`
	Statements int          `json:"statements"`
	Lines      int          `json:"lines"`
	TotalFen   int64        `json:"total_fen"`
}

// IssueStatements issues the monthly statements (对账单) of a month that
// has ended, and of any earlier month not yet issued, in order: for each
// month, one statement per merchant with lines of that month. A line's
// month is fixed when it is charged (statementMonth: a line that arrives
// after its month was issued goes on the next statement), so a month is
// one set-based INSERT … SELECT … GROUP BY over the index on
// (period, org_id, amount_fen) and no line is rewritten. The
// previous year's excess, apportioned to the merchant, is deducted
// automatically (NPRC.5). Charging runs first. A month is issued once:
// issuing it again, or a month before the newest issued, does nothing.
// Each month issued is one audit event naming the month and its totals,
// in the same transaction as its statements and the money_periods row.
func (d *DB) IssueStatements(ctx context.Context, actor *shuyu.Actor, period shuyu.Period) (IssueReport, error) {
	rep := IssueReport{Period: period}
	if err := shuyu.Authorize(actor, shuyu.ActMoneyOperate, shuyu.Resource{Kind: "money"}); err != nil {
		return rep, err
	}
	if _, err := shuyu.ParsePeriod(string(period)); err != nil {
		return rep, err
	}
	_, to := period.Bounds()
	if d.now().Before(to) {
		return rep, shuyu.Errorf(shuyu.ECONFLICT, "账期 %s 尚未结束 (the month has not ended)", period)
	}
	if _, err := d.Charge(ctx, actor); err != nil {
		return rep, err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		rep = IssueReport{Period: period}
		issued, err := tx.issuedThrough()
		if err != nil {
			return err
		}
		if issued != "" && period <= issued {
			return errNothing
		}
		// The first month to issue: the one after the newest issued, or
		// the month of the oldest line (a fresh system).
		first := period
		if issued != "" {
			first = issued.Next()
		} else {
			var oldest string
			if err := tx.queryRow(`SELECT coalesce(min(period), '') FROM money_charges`).Scan(&oldest); err != nil {
				return err
			}
			if oldest != "" && shuyu.Period(oldest) < first {
				first = shuyu.Period(oldest)
			}
		}
		for m := first; m <= period; m = m.Next() {
			mo, err := tx.issueMonth(m)
			if err != nil {
				return err
			}
			rep.Statements += mo.Statements
			rep.Lines += mo.Lines
			rep.TotalFen += mo.TotalFen
			if err := tx.notifyOrgs(mo.orgs, Notice{Kind: "bill.issued", Title: fmt.Sprintf("%s 对账单已出具", m),
				Body: "请在“费用账单”中核对明细；对有异议的明细可提出异议。", Link: "/bills"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == errNothing {
		return rep, nil
	}
	return rep, err
}

type monthIssue struct {
	IssueReport
	orgs []int64
}

// issueMonth writes month m's statements: one INSERT … SELECT … GROUP BY
// over m's lines, then the deductions of the merchants that have any left
// (few: only those a closed year's excess was apportioned to), the
// money_periods row and one audit event for the month.
func (tx *Tx) issueMonth(m shuyu.Period) (monthIssue, error) {
	out := monthIssue{IssueReport: IssueReport{Period: m}}
	// Before its month is issued a line is open or free, and a free line is
	// 0 (price); disputes and waivers come after. So the gross is the sum of
	// the amounts, read from the index alone.
	if _, err := tx.exec(`INSERT INTO money_statements (org_id, period, lines, gross_fen, waived_fen, deduction_fen, total_fen, issued_at)
		SELECT org_id, ?, n, fen, 0, 0, fen, ? FROM
			(SELECT org_id, count(*) AS n, sum(amount_fen) AS fen FROM money_charges WHERE period = ? GROUP BY org_id) AS m`,
		string(m), micros(tx.now), string(m)); err != nil {
		return out, err
	}
	rows, err := tx.query(`SELECT s.id, s.org_id, s.gross_fen FROM money_statements s
		WHERE s.period = ? AND s.gross_fen > 0 AND EXISTS (SELECT 1 FROM money_deductions d WHERE d.org_id = s.org_id AND d.remaining_fen > 0)
		ORDER BY s.org_id`, string(m))
	if err != nil {
		return out, err
	}
	type owed struct{ id, org, gross int64 }
	var ds []owed
	for rows.Next() {
		var o owed
		if err := rows.Scan(&o.id, &o.org, &o.gross); err != nil {
			rows.Close()
			return out, err
		}
		ds = append(ds, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	for _, o := range ds {
		ded, err := tx.takeDeduction(o.org, o.gross)
		if err != nil {
			return out, err
		}
		if _, err := tx.exec(`UPDATE money_statements SET deduction_fen = ?, total_fen = gross_fen - ? WHERE id = ?`, ded, ded, o.id); err != nil {
			return out, err
		}
	}
	if err := tx.queryRow(`SELECT count(*), coalesce(sum(lines), 0), coalesce(sum(total_fen), 0) FROM money_statements WHERE period = ?`,
		string(m)).Scan(&out.Statements, &out.Lines, &out.TotalFen); err != nil {
		return out, err
	}
	orgRows, err := tx.query(`SELECT org_id FROM money_statements WHERE period = ? ORDER BY org_id`, string(m))
	if err != nil {
		return out, err
	}
	for orgRows.Next() {
		var o int64
		if err := orgRows.Scan(&o); err != nil {
			orgRows.Close()
			return out, err
		}
		out.orgs = append(out.orgs, o)
	}
	orgRows.Close()
	if err := orgRows.Err(); err != nil {
		return out, err
	}
	if _, err := tx.exec(`INSERT INTO money_periods (period, statements, lines, total_fen, issued_by, issued_at) VALUES (?, ?, ?, ?, ?, ?)`,
		string(m), out.Statements, out.Lines, out.TotalFen, tx.actor.UserID, micros(tx.now)); err != nil {
		return out, err
	}
	return out, tx.audit(Change{Action: shuyu.AuditMoneyStatements, ObjectType: "money_period", ObjectID: string(m),
		Detail: map[string]any{"statements": out.Statements, "lines": out.Lines, "total_fen": out.TotalFen}})
}

// takeDeduction takes up to gross from the merchant's remaining
// deductions, oldest year first (NPRC.5).
func (tx *Tx) takeDeduction(org, gross int64) (int64, error) {
	if gross <= 0 {
		return 0, nil
	}
	rows, err := tx.query(`SELECT year, remaining_fen FROM money_deductions WHERE org_id = ? AND remaining_fen > 0 ORDER BY year`, org)
	if err != nil {
		return 0, err
	}
	type rem struct{ year, fen int64 }
	var rs []rem
	for rows.Next() {
		var r rem
		if err := rows.Scan(&r.year, &r.fen); err != nil {
			rows.Close()
			return 0, err
		}
		rs = append(rs, r)
	}
	rows.Close()
	var took int64
	for _, r := range rs {
		t := min(r.fen, gross-took)
		if t <= 0 {
			break
		}
		if _, err := tx.exec(`UPDATE money_deductions SET remaining_fen = remaining_fen - ? WHERE year = ? AND org_id = ?`, t, r.year, org); err != nil {
			return 0, err
		}
		took += t
	}
	return took, nil
}

const statementCols = `s.id, s.org_id, o.name, s.period, s.lines, s.gross_fen, s.waived_fen, s.deduction_fen, s.total_fen,
	(SELECT count(*) FROM money_disputes x JOIN money_charges c ON c.id = x.charge_id
		WHERE x.org_id = s.org_id AND c.period = s.period AND x.status = 'open'),
	s.issued_at`

func scanStatement(r interface{ Scan(...any) error }) (*shuyu.Statement, error) {
	var s shuyu.Statement
	var at int64
	if err := r.Scan(&s.ID, &s.OrgID, &s.OrgName, &s.Period, &s.Lines, &s.GrossFen, &s.WaivedFen, &s.DeductionFen, &s.TotalFen,
		&s.Disputes, &at); err != nil {
		return nil, err
	}
	s.IssuedAt = fromMicros(at)
	return &s, nil
}

// Bills lists the statements the actor may read, newest first: a merchant
// its own only (ScopeOrg), the operator, the authority and regulators all.
// orgID narrows the list (0: all the actor may see).
func (d *DB) Bills(ctx context.Context, actor *shuyu.Actor, orgID int64) ([]*shuyu.Statement, error) {
	if err := shuyu.Authorize(actor, shuyu.ActBillRead, shuyu.Resource{Kind: "bill"}); err != nil {
		return nil, err
	}
	if !shuyu.Can(actor, shuyu.ActBillRead, shuyu.Resource{Kind: "bill", OrgID: -1, Exists: true}) {
		orgID = actor.OrgID // ScopeOrg only: never another merchant's
	}
	out := []*shuyu.Statement{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT `+statementCols+` FROM money_statements s JOIN orgs o ON o.id = s.org_id
			WHERE (? = 0 OR s.org_id = ?) ORDER BY s.period DESC, o.name, s.id LIMIT 2000`, orgID, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			s, err := scanStatement(rows)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	return out, err
}

// PeriodStatements lists every statement of one month, by merchant (the
// operator's export); a merchant sees only its own (ScopeOrg).
func (d *DB) PeriodStatements(ctx context.Context, actor *shuyu.Actor, period shuyu.Period) ([]*shuyu.Statement, error) {
	if err := shuyu.Authorize(actor, shuyu.ActBillRead, shuyu.Resource{Kind: "bill"}); err != nil {
		return nil, err
	}
	if _, err := shuyu.ParsePeriod(string(period)); err != nil {
		return nil, err
	}
	orgID := int64(0)
	if !shuyu.Can(actor, shuyu.ActBillRead, shuyu.Resource{Kind: "bill", OrgID: -1, Exists: true}) {
		orgID = actor.OrgID
	}
	out := []*shuyu.Statement{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT `+statementCols+` FROM money_statements s JOIN orgs o ON o.id = s.org_id
			WHERE s.period = ? AND (? = 0 OR s.org_id = ?) ORDER BY s.org_id`, string(period), orgID, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			s, err := scanStatement(rows)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	return out, err
}

// Bill returns one statement with its lines; another merchant's is not
// found (invariant 3).
func (d *DB) Bill(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.StatementDetail, error) {
	var out *shuyu.StatementDetail
	err := d.view(ctx, func(tx *Tx) error {
		s, err := scanStatement(tx.queryRow(`SELECT `+statementCols+` FROM money_statements s JOIN orgs o ON o.id = s.org_id WHERE s.id = ?`, id))
		if isNoRows(err) {
			return notFound("statement")
		}
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActBillRead, shuyu.Resource{Kind: "bill", OrgID: s.OrgID, Exists: true}); err != nil {
			return err
		}
		out = &shuyu.StatementDetail{Statement: *s, Charges: []shuyu.Charge{}}
		rows, err := tx.query(`SELECT `+chargeCols+chargeFrom+`WHERE c.org_id = ? AND c.period = ? ORDER BY c.at, c.id`, s.OrgID, string(s.Period))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCharge(rows)
			if err != nil {
				return err
			}
			out.Charges = append(out.Charges, c)
		}
		return rows.Err()
	})
	return out, err
}

// DisputeCharge is the merchant's dispute of a billed line, with a reason;
// the operator is notified. Only a billed line with an amount can be
// disputed, once at a time.
func (d *DB) DisputeCharge(ctx context.Context, actor *shuyu.Actor, chargeID int64, reason string) error {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 4 || n > 1000 {
		return shuyu.Errorf(shuyu.EINVALID, "请写明异议理由（4 至 1000 字）(reason required)").
			WithDetails([]shuyu.FieldError{{Field: "reason", Message: "异议理由须为 4 至 1000 字"}})
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		var org, amount int64
		var status string
		if err := tx.queryRow(`SELECT c.org_id, c.amount_fen, CASE WHEN c.status = 'open' AND st.id IS NOT NULL THEN 'billed' ELSE c.status END
			FROM money_charges c LEFT JOIN money_statements st ON st.org_id = c.org_id AND st.period = c.period WHERE c.id = ?`,
			chargeID).Scan(&org, &amount, &status); isNoRows(err) {
			return notFound("charge")
		} else if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActBillDispute, shuyu.Resource{Kind: "bill", OrgID: org, Exists: true}); err != nil {
			return err
		}
		if status != shuyu.ChargeBilled || amount == 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "只能对已出账且有金额的明细提出异议 (only a billed line can be disputed)")
		}
		id, err := tx.insert(`INSERT INTO money_disputes (charge_id, org_id, reason, status, created_by, created_at) VALUES (?, ?, ?, 'open', ?, ?)`,
			chargeID, org, reason, actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE money_charges SET status = 'disputed' WHERE id = ?`, chargeID); err != nil {
			return err
		}
		if err := tx.notifyKind(shuyu.OrgOperator, Notice{Kind: "bill.disputed", Title: "数据商对账单明细提出异议",
			Body: reason, ObjectType: "money_charge", ObjectID: fmt.Sprint(chargeID), Link: "/money/disputes"}); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditBillDispute, ObjectType: "money_charge", ObjectID: chargeID, Reason: reason,
			Detail: map[string]any{"dispute_id": id, "amount_fen": amount}})
	})
}

// notifyKind notifies every organization of a kind.
func (tx *Tx) notifyKind(kind shuyu.OrgKind, n Notice) error {
	rows, err := tx.query(`SELECT id FROM orgs WHERE kind = ?`, string(kind))
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	return tx.notifyOrgs(ids, n)
}

// Dispute is a merchant's dispute of a line.
type Dispute struct {
	ID          int64     `json:"id"`
	ChargeID    int64     `json:"charge_id"`
	StatementID int64     `json:"statement_id"`
	OrgID       int64     `json:"org_id"`
	OrgName     string    `json:"org_name"`
	ItemName    string    `json:"item_name"`
	AmountFen   int64     `json:"amount_fen"`
	Reason      string    `json:"reason"`
	Status      string    `json:"status"` // open, upheld, rejected
	Resolution  string    `json:"resolution,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Disputes lists disputes the actor may read (a merchant its own), open
// first.
func (d *DB) Disputes(ctx context.Context, actor *shuyu.Actor) ([]Dispute, error) {
	if err := shuyu.Authorize(actor, shuyu.ActBillRead, shuyu.Resource{Kind: "bill"}); err != nil {
		return nil, err
	}
	org := int64(0)
	if !shuyu.Can(actor, shuyu.ActBillRead, shuyu.Resource{Kind: "bill", OrgID: -1, Exists: true}) {
		org = actor.OrgID
	}
	out := []Dispute{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT x.id, x.charge_id, coalesce(st.id, 0), x.org_id, o.name, i.name, c.amount_fen, x.reason,
			x.status, x.resolution, x.created_at FROM money_disputes x JOIN money_charges c ON c.id = x.charge_id
			LEFT JOIN money_statements st ON st.org_id = c.org_id AND st.period = c.period
			JOIN money_items i ON i.id = c.item_id JOIN orgs o ON o.id = x.org_id
			WHERE (? = 0 OR x.org_id = ?) ORDER BY CASE WHEN x.status = 'open' THEN 0 ELSE 1 END, x.id DESC LIMIT 500`, org, org)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var x Dispute
			var at int64
			if err := rows.Scan(&x.ID, &x.ChargeID, &x.StatementID, &x.OrgID, &x.OrgName, &x.ItemName, &x.AmountFen, &x.Reason,
				&x.Status, &x.Resolution, &at); err != nil {
				return err
			}
			x.CreatedAt = fromMicros(at)
			out = append(out, x)
		}
		return rows.Err()
	})
	return out, err
}

// ResolveDispute is the operator's answer: uphold waives the line (the
// statement's total drops by it; a deduction it no longer needs goes back
// to the merchant's remaining deduction), reject keeps it. The merchant is
// notified.
func (d *DB) ResolveDispute(ctx context.Context, actor *shuyu.Actor, disputeID int64, outcome, resolution string) error {
	if err := shuyu.Authorize(actor, shuyu.ActBillResolve, shuyu.Resource{Kind: "bill"}); err != nil {
		return err
	}
	resolution = strings.TrimSpace(resolution)
	if outcome != shuyu.DisputeUphold && outcome != shuyu.DisputeReject {
		return shuyu.Errorf(shuyu.EINVALID, "处理结果须为支持或驳回 (outcome must be uphold or reject)").
			WithDetails([]shuyu.FieldError{{Field: "outcome", Message: "处理结果无效"}})
	}
	if n := utf8.RuneCountInString(resolution); n < 4 || n > 1000 {
		return shuyu.Errorf(shuyu.EINVALID, "请写明处理意见（4 至 1000 字）(resolution required)").
			WithDetails([]shuyu.FieldError{{Field: "resolution", Message: "处理意见须为 4 至 1000 字"}})
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		var charge, org, amount, stmt int64
		var status string
		err := tx.queryRow(`SELECT x.charge_id, x.org_id, x.status, c.amount_fen, coalesce(st.id, 0) FROM money_disputes x
			JOIN money_charges c ON c.id = x.charge_id
			LEFT JOIN money_statements st ON st.org_id = c.org_id AND st.period = c.period WHERE x.id = ?`, disputeID).Scan(&charge, &org, &status, &amount, &stmt)
		if isNoRows(err) {
			return notFound("dispute")
		} else if err != nil {
			return err
		}
		if status != "open" {
			return shuyu.Errorf(shuyu.ECONFLICT, "该异议已处理 (already resolved)")
		}
		newStatus, chargeStatus := "rejected", shuyu.ChargeOpen // open on an issued month: billed again
		if outcome == shuyu.DisputeUphold {
			newStatus, chargeStatus = "upheld", shuyu.ChargeWaived
			var gross, waived, ded int64
			if err := tx.queryRow(`SELECT gross_fen, waived_fen, deduction_fen FROM money_statements WHERE id = ?`, stmt).
				Scan(&gross, &waived, &ded); err != nil {
				return err
			}
			waived += amount
			if back := ded - max(0, gross-waived); back > 0 {
				ded -= back
				if _, err := tx.exec(`UPDATE money_deductions SET remaining_fen = remaining_fen + ? WHERE org_id = ? AND year =
					(SELECT max(year) FROM money_deductions WHERE org_id = ?)`, back, org, org); err != nil {
					return err
				}
			}
			if _, err := tx.exec(`UPDATE money_statements SET waived_fen = ?, deduction_fen = ?, total_fen = ? WHERE id = ?`,
				waived, ded, gross-waived-ded, stmt); err != nil {
				return err
			}
		}
		if _, err := tx.exec(`UPDATE money_disputes SET status = ?, resolution = ?, resolved_by = ?, resolved_at = ? WHERE id = ?`,
			newStatus, resolution, actor.UserID, micros(tx.now), disputeID); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE money_charges SET status = ? WHERE id = ?`, chargeStatus, charge); err != nil {
			return err
		}
		title := "对账单异议已处理：支持，该明细不再收费"
		if outcome == shuyu.DisputeReject {
			title = "对账单异议已处理：驳回"
		}
		if err := tx.notify(Notice{OrgID: org, Kind: "bill.resolved", Title: title, Body: resolution,
			Link: fmt.Sprintf("/bills/%d", stmt)}); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditBillResolve, ObjectType: "money_dispute", ObjectID: disputeID, Reason: resolution,
			Detail: map[string]any{"outcome": outcome, "charge_id": charge, "amount_fen": amount}})
	})
}
