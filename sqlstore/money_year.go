package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/xuri/excelize/v2"

	"shuyu"
)

// Money, part three: the year's revenue against the maximum allowed
// revenue and the excess carried into next year's statements (NPRC.5), the
// sharing rules and the yearly distribution statement (R25.1), and the
// separate account of authorized operation (NIMP.7) with the figures the
// charts draw.

// yearRevenue is the year's revenue per merchant: lines owed (billed or
// disputed, not waived, not free) of statements of the year's months.
func (tx *Tx) yearRevenue(year int) (map[int64]int64, error) {
	rows, err := tx.query(`SELECT org_id, coalesce(sum(gross_fen - waived_fen), 0) FROM money_statements
		WHERE period >= ? AND period <= ? GROUP BY org_id ORDER BY org_id`, fmt.Sprintf("%d-01", year), fmt.Sprintf("%d-12", year))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var org, fen int64
		if err := rows.Scan(&org, &fen); err != nil {
			return nil, err
		}
		out[org] = fen
	}
	return out, rows.Err()
}

// CloseYear closes a year that has ended: every month's statements are
// issued, the year's revenue is set against the newest approved maximum,
// and an excess is apportioned to the merchants in proportion to what each
// paid (largest remainder, so the parts sum exactly to the excess) and
// deducted from their next statements automatically (NPRC.5). The
// authority is notified of the result. A year without an approved maximum
// cannot be closed; a year is closed once.
func (d *DB) CloseYear(ctx context.Context, actor *shuyu.Actor, year int) (*shuyu.YearClose, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyOperate, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	_, end := shuyu.YearBounds(year)
	if d.now().Before(end) {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "%d 年度尚未结束 (the year has not ended)", year)
	}
	for m := 1; m <= 12; m++ {
		if _, err := d.IssueStatements(ctx, actor, shuyu.Period(fmt.Sprintf("%d-%02d", year, m))); err != nil {
			return nil, err
		}
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM money_years WHERE year = ?`, year).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "%d 年度已结算 (the year is closed)", year)
		}
		al, err := tx.allowed(year)
		if err != nil {
			return err
		}
		if len(al) == 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "%d 年度尚未核定最高准许收入 (no allowed revenue approved)", year)
		}
		max := al[0].MaxRevenueFen
		per, err := tx.yearRevenue(year)
		if err != nil {
			return err
		}
		orgs := make([]int64, 0, len(per))
		var revenue int64
		for o, f := range per {
			orgs = append(orgs, o)
			revenue += f
		}
		slices.Sort(orgs)
		excess := max64(0, revenue-max)
		if excess > 0 {
			weights := make([]int64, len(orgs))
			for i, o := range orgs {
				weights[i] = per[o]
			}
			// Largest remainder: the merchants' deductions sum exactly to the excess.
			for i, part := range shuyu.Apportion(excess, weights) {
				if part == 0 {
					continue
				}
				if _, err := tx.exec(`INSERT INTO money_deductions (year, org_id, amount_fen, remaining_fen) VALUES (?, ?, ?, ?)`,
					year, orgs[i], part, part); err != nil {
					return err
				}
			}
		}
		if _, err := tx.exec(`INSERT INTO money_years (year, revenue_fen, max_revenue_fen, excess_fen, closed_by, closed_at)
			VALUES (?, ?, ?, ?, ?, ?)`, year, revenue, max, excess, actor.UserID, micros(tx.now)); err != nil {
			return err
		}
		body := fmt.Sprintf("%d 年度收入 %s 元，最高准许收入 %s 元。", year, shuyu.FormatFen(revenue), shuyu.FormatFen(max))
		if excess > 0 {
			body += fmt.Sprintf("超出 %s 元，已按各数据商缴费比例在下一期对账单中自动扣减。", shuyu.FormatFen(excess))
		} else {
			body += "未超出。"
		}
		if err := tx.notifyKind(shuyu.OrgAuthority, Notice{Kind: "money.year_close", Title: fmt.Sprintf("%d 年度授权运营收入结算", year),
			Body: body, Link: fmt.Sprintf("/money?year=%d", year)}); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditMoneyYearClose, ObjectType: "money_year", ObjectID: year,
			Detail: map[string]any{"revenue_fen": revenue, "max_revenue_fen": max, "excess_fen": excess, "merchants": len(orgs)}})
	})
	if err != nil {
		return nil, err
	}
	return d.YearClosed(ctx, actor, year)
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// YearClosed returns the close of a year, or not found.
func (d *DB) YearClosed(ctx context.Context, actor *shuyu.Actor, year int) (*shuyu.YearClose, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyRead, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	var y *shuyu.YearClose
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		y, err = tx.yearClosed(year)
		return err
	})
	return y, err
}

func (tx *Tx) yearClosed(year int) (*shuyu.YearClose, error) {
	var y shuyu.YearClose
	var at int64
	err := tx.queryRow(`SELECT y.year, y.revenue_fen, y.max_revenue_fen, y.excess_fen, coalesce(u.username, 'system'), y.closed_at
		FROM money_years y LEFT JOIN users u ON u.id = y.closed_by WHERE y.year = ?`, year).
		Scan(&y.Year, &y.RevenueFen, &y.MaxRevenueFen, &y.ExcessFen, &y.ClosedBy, &at)
	if isNoRows(err) {
		return nil, notFound("year")
	}
	y.ClosedAt = fromMicros(at)
	return &y, err
}

// Deduction is a merchant's part of a year's excess.
type Deduction struct {
	Year         int    `json:"year"`
	OrgID        int64  `json:"org_id"`
	OrgName      string `json:"org_name"`
	AmountFen    int64  `json:"amount_fen"`
	RemainingFen int64  `json:"remaining_fen"`
}

func (tx *Tx) deductions(year int) ([]Deduction, error) {
	rows, err := tx.query(`SELECT x.year, x.org_id, o.name, x.amount_fen, x.remaining_fen FROM money_deductions x
		JOIN orgs o ON o.id = x.org_id WHERE x.year = ? ORDER BY x.amount_fen DESC, x.org_id`, year)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Deduction{}
	for rows.Next() {
		var x Deduction
		if err := rows.Scan(&x.Year, &x.OrgID, &x.OrgName, &x.AmountFen, &x.RemainingFen); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ApproveShare records the authority's revenue-sharing rule for a year
// (R25.1) as a new version.
func (d *DB) ApproveShare(ctx context.Context, actor *shuyu.Actor, in shuyu.ShareInput) (*shuyu.Share, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyApprove, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM money_distributions WHERE year = ?`, in.Year).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "该年度收益已分配 (the year is distributed)")
		}
		var v int
		if err := tx.queryRow(`SELECT coalesce(max(version), 0) FROM money_shares WHERE year = ?`, in.Year).Scan(&v); err != nil {
			return err
		}
		id, err := tx.insert(`INSERT INTO money_shares (year, version, city_bp, dept_bp, note, approved_by, approved_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			in.Year, v+1, in.CityBP, in.DeptBP, in.Note, actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditMoneyShare, ObjectType: "money_share", ObjectID: id, Reason: in.Note,
			Detail: map[string]any{"year": in.Year, "version": v + 1, "city_bp": in.CityBP, "dept_bp": in.DeptBP}})
	})
	if err != nil {
		return nil, err
	}
	var s *shuyu.Share
	err = d.view(ctx, func(tx *Tx) error {
		var err error
		s, err = tx.share(in.Year)
		return err
	})
	return s, err
}

func (tx *Tx) share(year int) (*shuyu.Share, error) {
	var s shuyu.Share
	var at int64
	err := tx.queryRow(`SELECT s.id, s.version, s.year, s.city_bp, s.dept_bp, s.note, coalesce(u.username, ''), s.approved_at
		FROM money_shares s LEFT JOIN users u ON u.id = s.approved_by WHERE s.year = ? ORDER BY s.version DESC LIMIT 1`, year).
		Scan(&s.ID, &s.Version, &s.Year, &s.CityBP, &s.DeptBP, &s.Note, &s.ApprovedBy, &at)
	if isNoRows(err) {
		return nil, nil
	}
	s.OperatorBP, s.ApprovedAt = 10000-s.CityBP-s.DeptBP, fromMicros(at)
	return &s, err
}

// lineageWeights: each department's weight is the fen of the year's
// billed lines traced to its entries. A line built from entries of several
// departments is split between them equally by the largest remainder.
func (tx *Tx) lineageWeights(year int) (map[int64]int64, error) {
	rows, err := tx.query(`SELECT c.workspace_id, c.product_id, sum(c.amount_fen) FROM money_charges c
		JOIN money_statements s ON s.org_id = c.org_id AND s.period = c.period
		WHERE c.period >= ? AND c.period <= ? AND c.status IN ('open', 'disputed') AND c.amount_fen > 0
		GROUP BY c.workspace_id, c.product_id ORDER BY c.workspace_id, c.product_id`, fmt.Sprintf("%d-01", year), fmt.Sprintf("%d-12", year))
	if err != nil {
		return nil, err
	}
	type group struct{ ws, product, fen int64 }
	var gs []group
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.ws, &g.product, &g.fen); err != nil {
			rows.Close()
			return nil, err
		}
		gs = append(gs, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c := &chargeCtx{tx: tx, entries: map[string][]suspEntry{}}
	out := map[int64]int64{}
	for _, g := range gs {
		es, err := c.lineage(g.ws, g.product)
		if err != nil {
			return nil, err
		}
		var depts []int64
		for _, e := range es {
			if !slices.Contains(depts, e.org) {
				depts = append(depts, e.org)
			}
		}
		if len(depts) == 0 {
			continue
		}
		slices.Sort(depts)
		eq := make([]int64, len(depts))
		for i := range eq {
			eq[i] = 1
		}
		for i, part := range shuyu.Apportion(g.fen, eq) {
			out[depts[i]] += part
		}
	}
	return out, nil
}

// Distribute makes the yearly distribution statement (R25.1) of a closed
// year: the base is the year's revenue less the excess returned to the
// merchants; it is split by the approved rule between the city, the
// departments' pool and the operator, and the pool between the
// departments by the lineage of the charged lines. Every split uses the
// largest remainder, so the lines sum exactly to the base. With no
// department in the lineage the pool goes to the city.
func (d *DB) Distribute(ctx context.Context, actor *shuyu.Actor, year int) (*shuyu.Distribution, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyOperate, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		y, err := tx.yearClosed(year)
		if shuyu.ErrorCode(err) == shuyu.ENOTFOUND {
			return shuyu.Errorf(shuyu.ECONFLICT, "%d 年度尚未结算 (close the year first)", year)
		} else if err != nil {
			return err
		}
		sh, err := tx.share(year)
		if err != nil {
			return err
		}
		if sh == nil {
			return shuyu.Errorf(shuyu.ECONFLICT, "%d 年度尚未核定收益分配规则 (no sharing rule approved)", year)
		}
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM money_distributions WHERE year = ?`, year).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "%d 年度收益已分配 (already distributed)", year)
		}
		base := y.RevenueFen - y.ExcessFen
		parts := shuyu.Apportion(base, []int64{sh.OperatorBP, sh.CityBP, sh.DeptBP})
		weights, err := tx.lineageWeights(year)
		if err != nil {
			return err
		}
		var depts []int64
		for o := range weights {
			depts = append(depts, o)
		}
		slices.Sort(depts)
		city, pool := parts[1], parts[2]
		var lines []shuyu.DistributionLine
		if len(depts) == 0 {
			city, pool = city+pool, 0
		}
		operator, err := tx.queryOrgOfKind(shuyu.OrgOperator)
		if err != nil {
			return err
		}
		authority, err := tx.queryOrgOfKind(shuyu.OrgAuthority)
		if err != nil {
			return err
		}
		lines = append(lines, shuyu.DistributionLine{Party: shuyu.PartyCity, OrgID: authority, AmountFen: city},
			shuyu.DistributionLine{Party: shuyu.PartyOperator, OrgID: operator, AmountFen: parts[0]})
		if pool > 0 {
			ws := make([]int64, len(depts))
			for i, o := range depts {
				ws[i] = weights[o]
			}
			for i, part := range shuyu.Apportion(pool, ws) {
				lines = append(lines, shuyu.DistributionLine{Party: shuyu.PartyDept, OrgID: depts[i], WeightFen: ws[i], AmountFen: part})
			}
		}
		id, err := tx.insert(`INSERT INTO money_distributions (year, share_version, base_fen, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			year, sh.Version, base, actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		var sum int64
		for i, l := range lines {
			sum += l.AmountFen
			if _, err := tx.exec(`INSERT INTO money_distribution_lines (distribution_id, n, party, org_id, weight_fen, amount_fen)
				VALUES (?, ?, ?, ?, ?, ?)`, id, i+1, l.Party, l.OrgID, l.WeightFen, l.AmountFen); err != nil {
				return err
			}
		}
		if sum != base {
			return fmt.Errorf("sqlstore: distribution of %d sums to %d", base, sum) // cannot happen: Apportion is exact
		}
		return tx.audit(Change{Action: shuyu.AuditMoneyDistribute, ObjectType: "money_distribution", ObjectID: id,
			Detail: map[string]any{"year": year, "share_version": sh.Version, "base_fen": base, "lines": len(lines)}})
	})
	if err != nil {
		return nil, err
	}
	return d.Distribution(ctx, actor, year)
}

func (tx *Tx) queryOrgOfKind(kind shuyu.OrgKind) (int64, error) {
	var id int64
	err := tx.queryRow(`SELECT id FROM orgs WHERE kind = ? ORDER BY id LIMIT 1`, string(kind)).Scan(&id)
	if isNoRows(err) {
		return 0, nil
	}
	return id, err
}

// Distribution returns a year's distribution statement.
func (d *DB) Distribution(ctx context.Context, actor *shuyu.Actor, year int) (*shuyu.Distribution, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyDistRead, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	var out *shuyu.Distribution
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.distribution(year)
		return err
	})
	return out, err
}

func (tx *Tx) distribution(year int) (*shuyu.Distribution, error) {
	var x shuyu.Distribution
	var at int64
	err := tx.queryRow(`SELECT x.id, x.year, x.share_version, x.base_fen, coalesce(u.username, 'system'), x.created_at
		FROM money_distributions x LEFT JOIN users u ON u.id = x.created_by WHERE x.year = ?`, year).
		Scan(&x.ID, &x.Year, &x.ShareVersion, &x.BaseFen, &x.CreatedBy, &at)
	if isNoRows(err) {
		return nil, notFound("distribution")
	}
	if err != nil {
		return nil, err
	}
	x.CreatedAt = fromMicros(at)
	rows, err := tx.query(`SELECT l.party, l.org_id, coalesce(o.name, ''), l.weight_fen, l.amount_fen FROM money_distribution_lines l
		LEFT JOIN orgs o ON o.id = l.org_id WHERE l.distribution_id = ? ORDER BY l.n`, x.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	x.Lines = []shuyu.DistributionLine{}
	for rows.Next() {
		var l shuyu.DistributionLine
		if err := rows.Scan(&l.Party, &l.OrgID, &l.OrgName, &l.WeightFen, &l.AmountFen); err != nil {
			return nil, err
		}
		x.Lines = append(x.Lines, l)
	}
	return &x, rows.Err()
}

// MonthRevenue is one month's revenue by product class.
type MonthRevenue struct {
	Period  shuyu.Period     `json:"period"`
	ByClass map[string]int64 `json:"by_class"`
	Fen     int64            `json:"fen"`
}

// YearAccount is the separate account of authorized operation for a year
// (NIMP.7 单独核算): costs, the allowed maximum, revenue by month and class
// against it, the close and its deductions, the sharing rule and the
// distribution.
type YearAccount struct {
	Year          int                 `json:"year"`
	Costs         []*shuyu.Cost       `json:"costs"`
	CostFen       int64               `json:"cost_fen"`    // gross
	SubsidyFen    int64               `json:"subsidy_fen"` // received
	NetCostFen    int64               `json:"net_cost_fen"`
	Allowed       []*shuyu.Allowed    `json:"allowed"` // newest first
	MaxRevenueFen int64               `json:"max_revenue_fen"`
	Months        []MonthRevenue      `json:"months"`
	Classes       []string            `json:"classes"`
	RevenueFen    int64               `json:"revenue_fen"` // lines owed so far this year
	FreeLines     int64               `json:"free_lines"`  // uses charged 0 by rule or suspension
	Closed        *shuyu.YearClose    `json:"closed,omitempty"`
	Deductions    []Deduction         `json:"deductions"`
	Share         *shuyu.Share        `json:"share,omitempty"`
	Distribution  *shuyu.Distribution `json:"distribution,omitempty"`
}

// Account returns the year's separate account (NIMP.7) to the authority,
// the operator and regulators.
func (d *DB) Account(ctx context.Context, actor *shuyu.Actor, year int) (*YearAccount, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMoneyRead, shuyu.Resource{Kind: "money"}); err != nil {
		return nil, err
	}
	if year < 2000 || year > 2100 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "年度无效 (invalid year)")
	}
	a := &YearAccount{Year: year, Deductions: []Deduction{}}
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if a.Costs, err = tx.costs(year); err != nil {
			return err
		}
		for _, c := range a.Costs {
			a.CostFen += c.AmountFen
			a.SubsidyFen += c.SubsidyFen
			a.NetCostFen += c.NetFen
		}
		if a.Allowed, err = tx.allowed(year); err != nil {
			return err
		}
		if len(a.Allowed) > 0 {
			a.MaxRevenueFen = a.Allowed[0].MaxRevenueFen
		}
		classes := map[string]bool{}
		for m := 1; m <= 12; m++ {
			p := shuyu.Period(fmt.Sprintf("%d-%02d", year, m))
			mr := MonthRevenue{Period: p, ByClass: map[string]int64{}}
			// By statement month (the indexed period a line is billed in).
			rows, err := tx.query(`SELECT i.class, sum(c.amount_fen) FROM money_charges c JOIN money_items i ON i.id = c.item_id
				WHERE c.period = ? AND c.status IN ('open', 'disputed') GROUP BY i.class ORDER BY i.class`, string(p))
			if err != nil {
				return err
			}
			for rows.Next() {
				var cl string
				var fen int64
				if err := rows.Scan(&cl, &fen); err != nil {
					rows.Close()
					return err
				}
				mr.ByClass[cl] = fen
				mr.Fen += fen
				classes[cl] = true
			}
			rows.Close()
			a.RevenueFen += mr.Fen
			a.Months = append(a.Months, mr)
		}
		for c := range classes {
			a.Classes = append(a.Classes, c)
		}
		slices.Sort(a.Classes)
		if err := tx.queryRow(`SELECT count(*) FROM money_charges WHERE period >= ? AND period <= ? AND status = 'free'`,
			fmt.Sprintf("%d-01", year), fmt.Sprintf("%d-12", year)).
			Scan(&a.FreeLines); err != nil {
			return err
		}
		if y, err := tx.yearClosed(year); err == nil {
			a.Closed = y
			if a.Deductions, err = tx.deductions(year); err != nil {
				return err
			}
		} else if shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			return err
		}
		if a.Share, err = tx.share(year); err != nil {
			return err
		}
		if x, err := tx.distribution(year); err == nil {
			a.Distribution = x
		} else if shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			return err
		}
		return nil
	})
	return a, err
}

// MerchantSpend is a merchant's statement totals by month, oldest first
// (its spend chart), from its own statements only.
func (d *DB) MerchantSpend(ctx context.Context, actor *shuyu.Actor, orgID int64) ([]*shuyu.Statement, error) {
	bills, err := d.Bills(ctx, actor, orgID)
	if err != nil {
		return nil, err
	}
	out := []*shuyu.Statement{}
	for i := len(bills) - 1; i >= 0; i-- {
		if bills[i].OrgID == orgID {
			out = append(out, bills[i])
		}
	}
	if len(out) > 24 {
		out = out[len(out)-24:]
	}
	return out, nil
}

// StatementXLSX renders a statement as an .xlsx workbook: the header with
// the totals and every line.
func StatementXLSX(s *shuyu.StatementDetail) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "对账单"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	yuan := shuyu.FormatFen
	rows := [][]any{
		{"公共数据授权运营服务费对账单"},
		{"数据商", s.OrgName, "账期", string(s.Period)},
		{"应收合计（元）", yuan(s.GrossFen), "异议减免（元）", yuan(s.WaivedFen)},
		{"上年超收扣减（元）", yuan(s.DeductionFen), "本期应付（元）", yuan(s.TotalFen)},
		{"出具时间", s.IssuedAt.In(shuyu.MoneyZone).Format("2006-01-02 15:04")},
		{},
		{"序号", "发生时间", "价目", "计费单位", "数量", "单价（元）", "金额（元）", "状态", "说明"},
	}
	for i, c := range s.Charges {
		rows = append(rows, []any{i + 1, c.At.In(shuyu.MoneyZone).Format("2006-01-02 15:04:05"), c.ItemName, shuyu.UnitLabel(c.Unit),
			shuyu.QuantityText(c.Unit, c.Quantity), yuan(c.PriceFen), yuan(c.AmountFen), shuyu.ChargeStatusLabel(c.Status), c.Note})
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	_ = f.SetColWidth(sheet, "A", "A", 16)
	_ = f.SetColWidth(sheet, "B", "C", 24)
	_ = f.SetColWidth(sheet, "D", "H", 14)
	_ = f.SetColWidth(sheet, "I", "I", 30)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MoneyTick is the system's periodic money work: charge new metering,
// issue the statements of months that have ended (nothing for a month
// already issued), and close the previous year when its maximum is
// approved. Errors of one step do not stop the others.
func (d *DB) MoneyTick(ctx context.Context) error {
	now := d.now()
	var errs []error
	if _, err := d.Charge(ctx, shuyu.System); err != nil {
		errs = append(errs, err)
	}
	prev := shuyu.PeriodOf(now.In(shuyu.MoneyZone).AddDate(0, 0, -now.In(shuyu.MoneyZone).Day()))
	if _, err := d.IssueStatements(ctx, shuyu.System, prev); err != nil {
		errs = append(errs, err)
	}
	y := now.In(shuyu.MoneyZone).Year() - 1
	err := d.view(ctx, func(tx *Tx) error {
		var closed, approved int
		if err := tx.queryRow(`SELECT count(*) FROM money_years WHERE year = ?`, y).Scan(&closed); err != nil {
			return err
		}
		if err := tx.queryRow(`SELECT count(*) FROM money_allowed WHERE year = ?`, y).Scan(&approved); err != nil {
			return err
		}
		if closed > 0 || approved == 0 {
			return errNothing
		}
		return nil
	})
	if err == nil {
		_, err = d.CloseYear(ctx, shuyu.System, y)
	}
	if err != nil && err != errNothing {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("sqlstore: money tick: %v", errs)
	}
	return nil
}
