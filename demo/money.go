package demo

import (
	"context"
	"fmt"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// The money demo (issue 14; docs/money.md): a priced year and the months
// since. Last year's cost ledger and the approved maximum allowed revenue,
// caps and prices (a trial year), one public-welfare service priced 0 by
// rule, governed queries of merchant-a and merchant-b in workspaces over
// last year's data, the gateway's call counts, monthly statements, the
// year's close with its excess deducted in January's statements, the
// sharing rule and the distribution statement; then this year's ledger
// and approval.
//
// The history is made by the real store methods with the store's injected
// clock (sqlstore.DB.Now, the clock tests set) moved to each past day,
// then put back. seedMoney runs inside Seed, before the server is built
// and before any background job starts, so nothing else uses the store
// while its clock is moved.

// moneyHistory is the clock seedMoney moves through.
type moneyHistory struct {
	db  *sqlstore.DB
	at  time.Time
	act map[string]*shuyu.Actor
}

func (h *moneyHistory) set(t time.Time) { h.at = t.UTC() }

// day is 10:00 Beijing on y-m-d.
func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 10, 0, 0, 0, shuyu.MoneyZone)
}

// demoPrices are the catalogue of the demo (caps and prices in fen).
var demoPrices = []struct {
	in    shuyu.PriceItemInput
	price int64
}{
	{shuyu.PriceItemInput{Service: shuyu.ServiceCompute, Name: "开发利用环境计算资源", Class: "开发环境", Unit: shuyu.UnitCPUHour,
		Purpose: shuyu.PurposeIndustry, CapFen: 1200}, 1000},
	{shuyu.PriceItemInput{Service: shuyu.ServiceQuery, Name: "真实数据受控查询", Class: "开发环境", Unit: shuyu.UnitQuery,
		Purpose: shuyu.PurposeIndustry, CapFen: 2000}, 1500},
	{shuyu.PriceItemInput{Service: shuyu.ServiceRows, Name: "真实数据扫描量", Class: "开发环境", Unit: shuyu.UnitRows,
		Purpose: shuyu.PurposeIndustry, CapFen: 50}, 40},
	{shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "企业身份核验接口", Class: "数据接口", Unit: shuyu.UnitCall,
		Purpose: shuyu.PurposeIndustry, CapFen: 10}, 8},
	{shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "数据合规咨询服务", Class: "专业服务", Unit: shuyu.UnitMonth,
		Purpose: shuyu.PurposeIndustry, CapFen: 300000}, 250000},
	{shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "惠民就医查询服务（公益）", Class: "公益服务", Unit: shuyu.UnitCall,
		Purpose: shuyu.PurposeWelfare, CapFen: 0}, 0},
}

// seedMoney makes the priced history. It does nothing when the catalogue
// has an item already.
func seedMoney(ctx context.Context, db *sqlstore.DB) (err error) {
	op, err := demoActor(ctx, db, "operator-admin")
	if err != nil {
		return fmt.Errorf("demo: money: %w", err)
	}
	if items, err := db.PriceCatalogue(ctx, op); err != nil || len(items) > 0 {
		return err
	}
	h := &moneyHistory{db: db, act: map[string]*shuyu.Actor{}}
	for _, u := range []string{"authority", "operator-admin", "merchant-a", "merchant-b"} {
		if h.act[u], err = demoActor(ctx, db, u); err != nil {
			return fmt.Errorf("demo: money: %w", err)
		}
	}
	real := db.Now
	db.Now = func() time.Time { return h.at }
	err = h.run(ctx, real().In(shuyu.MoneyZone))
	db.Now = real
	if err != nil {
		return fmt.Errorf("demo: money: %w", err)
	}
	// The history's events carry past dates: anchor them in a signed
	// checkpoint now, so the health check does not report them as events
	// left unanchored for a year.
	if _, err := db.Checkpoint(ctx, shuyu.System); err != nil {
		return fmt.Errorf("demo: money: checkpoint: %w", err)
	}
	return nil
}

func (h *moneyHistory) run(ctx context.Context, now time.Time) error {
	db, a := h.db, h.act
	last := now.Year() - 1
	h.set(day(last, 1, 2))
	if err := h.ledger(ctx, last, []int64{52_000_00, 28_000_00, 36_000_00, 4_000_00}, 40_000_00,
		"中卫发改价〔"+fmt.Sprint(last)+"〕12号"); err != nil {
		return err
	}
	trial := fmt.Sprintf("%d-12-31", last) // the first operating year is a trial (NPRC.3)
	items := map[string]int64{}
	for _, p := range demoPrices {
		in := p.in
		if !shuyu.FreePurpose(in.Purpose) {
			in.TrialUntil = trial
		}
		in.Note = "首个运营年度试行价格"
		it, err := db.CreatePriceItem(ctx, a["authority"], in)
		if err != nil {
			return err
		}
		items[in.Name] = it.ID
		if p.price > 0 {
			if _, err := db.SetPrice(ctx, a["operator-admin"], it.ID, p.price, "试行价格"); err != nil {
				return err
			}
		}
	}
	if _, err := db.ApproveShare(ctx, a["authority"], shuyu.ShareInput{Year: last, CityBP: 3000, DeptBP: 2000,
		Note: "市级统筹三成，数源部门二成（按数据贡献），运营机构五成"}); err != nil {
		return err
	}
	// Workspaces over last year's data, opened by the operator for the
	// priced year; they end with last month.
	end := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, shuyu.MoneyZone)
	wsA, err := h.workspace(ctx, "merchant-a", "县域客流与就医需求分析（上年度）", end, "ZW-YB-0001", "ZW-GA-0001")
	if err != nil {
		return err
	}
	wsB, err := h.workspace(ctx, "merchant-b", "市场主体用工分析（上年度）", end, "ZW-RS-0001", "ZW-SC-0001")
	if err != nil {
		return err
	}
	for m := time.Date(last, 1, 1, 0, 0, 0, 0, shuyu.MoneyZone); m.Before(end); m = m.AddDate(0, 1, 0) {
		if m.Year() == now.Year() && m.Month() == 1 {
			// This year's ledger and approval, a little higher; prices stay.
			h.set(day(m.Year(), 1, 5))
			if err := h.ledger(ctx, m.Year(), []int64{55_000_00, 30_000_00, 38_000_00, 3_000_00}, 30_000_00,
				"中卫发改价〔"+fmt.Sprint(m.Year())+"〕3号"); err != nil {
				return err
			}
		}
		if err := h.month(ctx, m, wsA, wsB, items); err != nil {
			return fmt.Errorf("%s: %w", m.Format("2006-01"), err)
		}
		// 08:10 on the 1st of the next month: the system's tick charges,
		// issues the month's statements and, in January, closes the year.
		h.set(m.AddDate(0, 1, 0).Add(10 * time.Minute))
		if err := db.MoneyTick(ctx); err != nil {
			return err
		}
		if m.Year() == last && m.Month() == 12 {
			h.set(day(now.Year(), 1, 6))
			if _, err := db.Distribute(ctx, a["operator-admin"], last); err != nil {
				return err
			}
		}
	}
	return nil
}

// ledger records a year's costs (platform, data, staff, other; one subsidy
// against the platform) and has the authority approve the maximum.
func (h *moneyHistory) ledger(ctx context.Context, year int, costs []int64, subsidy int64, ref string) error {
	var net int64
	for i, cat := range shuyu.CostCategories {
		sub := int64(0)
		if cat == shuyu.CostPlatform {
			sub = subsidy
		}
		c, err := h.db.RecordCost(ctx, h.act["operator-admin"], shuyu.CostInput{Year: year, Category: cat, AmountFen: costs[i],
			SubsidyFen: sub, Note: "按年度预算与决算登记"})
		if err != nil {
			return err
		}
		net += c.NetFen
	}
	_, err := h.db.ApproveAllowedRevenue(ctx, h.act["authority"], shuyu.AllowedInput{Year: year, AllowedCostFen: net,
		ProfitRateBP: 600, TaxFen: net * 6 / 100, ApprovalRef: ref, Note: "会同市发展改革委核定"})
	return err
}

func (h *moneyHistory) workspace(ctx context.Context, merchant, name string, end time.Time, codes ...string) (int64, error) {
	g := shuyu.WorkspaceGrant{OrgID: h.act[merchant].OrgID, Name: name, StartsAt: h.at, EndsAt: end}
	for _, c := range codes {
		g.Entries = append(g.Entries, shuyu.GrantEntry{EntryCode: c})
	}
	ws, err := h.db.OpenWorkspace(ctx, h.act["operator-admin"], g)
	if err != nil {
		return 0, err
	}
	return ws.ID, h.db.SetWorkspacePurpose(ctx, h.act["operator-admin"], ws.ID, shuyu.PurposeIndustry)
}

// month: each merchant's governed queries on four working days, the
// gateway's call counts at the month's end, merchant-b's consulting.
func (h *moneyHistory) month(ctx context.Context, m time.Time, wsA, wsB int64, items map[string]int64) error {
	n := int(m.Month()) + 12*(m.Year()%10)
	for i, d := range []int{3, 10, 17, 24} {
		for _, q := range []struct {
			who  string
			ws   int64
			sql  string
			cpu  int64
			rows int64
		}{
			{"merchant-a", wsA, "SELECT hospital, count(*) AS visits FROM zw_yb_0001 GROUP BY hospital", int64(1800+97*((n+i)%13)) * 1_000_000, 900_000},
			{"merchant-b", wsB, "SELECT industry, count(*) AS firms FROM zw_sc_0001 GROUP BY industry", int64(1200+61*((n+2*i)%11)) * 1_000_000, 400_000},
		} {
			h.set(day(m.Year(), m.Month(), d).Add(time.Duration(i) * time.Hour))
			wq := &shuyu.WorkspaceQuery{WorkspaceID: q.ws, SQL: q.sql, Data: shuyu.DataReal, Status: "released",
				CPUMicros: q.cpu, WallMicros: q.cpu, RowsScanned: q.rows + int64(n*1000), RowsReturned: 12}
			if err := h.db.RecordWorkspaceQuery(ctx, h.act[q.who], wq, nil, nil); err != nil {
				return err
			}
		}
	}
	h.set(day(m.Year(), m.Month(), 28))
	ref := m.Format("200601")
	for _, u := range []struct {
		who, item string
		qty       int64
	}{
		{"merchant-a", "企业身份核验接口", int64(42_000 + 1_700*(n%9))},
		{"merchant-a", "惠民就医查询服务（公益）", int64(8_000 + 400*(n%5))},
		{"merchant-b", "企业身份核验接口", int64(25_000 + 900*(n%7))},
		{"merchant-b", "数据合规咨询服务", 1},
	} {
		if _, err := h.db.RecordUsage(ctx, h.act["operator-admin"], sqlstore.UsageInput{OrgID: h.act[u.who].OrgID,
			ItemID: items[u.item], Quantity: u.qty, At: h.at, Ref: "网关-" + ref + "-" + u.who}); err != nil {
			return err
		}
	}
	return nil
}

// Money prices merchant-a's live demo workspace and its released product
// (issue 14): the workspace, opened by the operator without an agreement,
// is recorded as industry use, so its governed queries are charged at the
// catalogue's prices, and the released product gets a delivery price. Call
// it after Output; it does nothing when the product is priced already.
func Money(ctx context.Context, db *sqlstore.DB) error {
	act := map[string]*shuyu.Actor{}
	for _, u := range []string{"merchant-a", "operator-admin", "authority"} {
		a, err := demoActor(ctx, db, u)
		if err != nil {
			return fmt.Errorf("demo: money: %w", err)
		}
		act[u] = a
	}
	all, err := db.Workspaces(ctx, act["merchant-a"])
	if err != nil || len(all) == 0 {
		return fmt.Errorf("demo: money: merchant-a has no workspace (%v)", err)
	}
	// Every workspace the demo opened by hand (the analysis workspace, the
	// services' workspace) serves industry use; one opened by an agreement
	// takes its application's purpose. A product in a workspace without a
	// purpose cannot be priced.
	for _, ws := range all {
		if ws.AgreementID == 0 {
			if err := db.SetWorkspacePurpose(ctx, act["operator-admin"], ws.ID, shuyu.PurposeIndustry); err != nil {
				return fmt.Errorf("demo: money: %w", err)
			}
		}
	}
	products, err := db.Products(ctx, act["merchant-a"], shuyu.ProductReleased)
	if err != nil {
		return fmt.Errorf("demo: money: %w", err)
	}
	items, err := db.PriceCatalogue(ctx, act["operator-admin"])
	if err != nil {
		return fmt.Errorf("demo: money: %w", err)
	}
	for _, p := range products {
		priced := false
		for _, it := range items {
			priced = priced || it.ProductID == p.ID
		}
		if priced {
			continue
		}
		it, err := db.CreatePriceItem(ctx, act["authority"], shuyu.PriceItemInput{Service: shuyu.ServiceDelivery, ProductID: p.ID,
			Name: "产品交付：" + p.Name, Class: "数据产品", Unit: shuyu.UnitDelivery, CapFen: 80000, Note: "按次交付"})
		if err != nil {
			return fmt.Errorf("demo: money: %w", err)
		}
		if _, err := db.SetPrice(ctx, act["operator-admin"], it.ID, 60000, "上架定价"); err != nil {
			return fmt.Errorf("demo: money: %w", err)
		}
	}
	return nil
}
