package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// moneyStart is the money tests' clock start: 10:00 on 2 March 2026, Beijing.
var moneyStart = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)

type moneyWorld struct {
	env      *sqltest.Env
	ctx      context.Context
	wsA, wsB int64
	entry    int64
	auth     *shuyu.Actor
	op       *shuyu.Actor
	a, b     *shuyu.Actor
}

// newMoneyWorld: one published entry of 中卫市公安局, a workspace over it
// for merchant-a (industry use) and one for merchant-b (industry use), both
// opened by the operator without an agreement.
func newMoneyWorld(t *testing.T, env *sqltest.Env) *moneyWorld {
	t.Helper()
	env.Clock.Set(moneyStart)
	w := &moneyWorld{env: env, ctx: context.Background(), auth: env.Actors["authority"], op: env.Actors["operator-admin"],
		a: env.Actors["merchant-a"], b: env.Actors["merchant-b"]}
	w.entry = domainInsertEntry(t, env.DB, "ZW-GA-9001", env.Actors["dept-gongan"], true, "monthly",
		[]domainField{{name: "county", label: "县区", typ: "string"}})
	for _, m := range []struct {
		who *shuyu.Actor
		ws  *int64
	}{{w.a, &w.wsA}, {w.b, &w.wsB}} {
		ws, err := env.DB.OpenWorkspace(w.ctx, w.op, shuyu.WorkspaceGrant{OrgID: m.who.OrgID, Name: "计费测试工作区",
			StartsAt: moneyStart.Add(-time.Hour), EndsAt: moneyStart.AddDate(2, 0, 0), Entries: []shuyu.GrantEntry{{EntryID: w.entry}}})
		if err != nil {
			t.Fatal(err)
		}
		*m.ws = ws.ID
		if err := env.DB.SetWorkspacePurpose(w.ctx, w.op, ws.ID, shuyu.PurposeIndustry); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// query records a governed query over real data with its metering, as the
// workspace service does after running one.
func (w *moneyWorld) query(t *testing.T, who *shuyu.Actor, ws int64, cpu time.Duration, rows int64) {
	t.Helper()
	q := &shuyu.WorkspaceQuery{WorkspaceID: ws, SQL: "SELECT county, count(*) FROM t GROUP BY county", Data: shuyu.DataReal,
		Status: "released", CPUMicros: cpu.Microseconds(), RowsScanned: rows}
	if err := w.env.DB.RecordWorkspaceQuery(w.ctx, who, q, nil, nil); err != nil {
		t.Fatal(err)
	}
}

// computeItem: the authority caps workspace compute at capYuan per CPU-hour
// and the operator prices it at priceFen.
func (w *moneyWorld) computeItem(t *testing.T, capFen, priceFen int64) *shuyu.PriceItem {
	t.Helper()
	it, err := w.env.DB.CreatePriceItem(w.ctx, w.auth, shuyu.PriceItemInput{Service: shuyu.ServiceCompute, Name: "开发环境计算",
		Class: "开发环境", Unit: shuyu.UnitCPUHour, Purpose: shuyu.PurposeIndustry, CapFen: capFen, TrialUntil: "2026-12-31"})
	if err != nil {
		t.Fatal(err)
	}
	if it, err = w.env.DB.SetPrice(w.ctx, w.op, it.ID, priceFen, "首次定价"); err != nil {
		t.Fatal(err)
	}
	return it
}

func TestMoney_NPRC_3_PriceOverCapRefused(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newMoneyWorld(t, env)
		db := env.DB
		it, err := db.CreatePriceItem(w.ctx, w.auth, shuyu.PriceItemInput{Service: shuyu.ServiceQuery, Name: "真实数据查询",
			Class: "开发环境", Unit: shuyu.UnitQuery, Purpose: shuyu.PurposeIndustry, CapFen: 500})
		if err != nil {
			t.Fatal(err)
		}
		if it.PriceSet || it.CapFen != 500 || it.Version != 1 {
			t.Fatalf("new item: %+v", it)
		}
		// Over the cap: refused with the field named, nothing changes.
		_, err = db.SetPrice(w.ctx, w.op, it.ID, 501, "")
		if shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("price over cap: %v", err)
		}
		if got, _ := db.PriceItem(w.ctx, it.ID); got.Version != 1 || got.PriceSet {
			t.Fatalf("refused price changed the item: %+v", got)
		}
		// At the cap: accepted.
		if got, err := db.SetPrice(w.ctx, w.op, it.ID, 500, "按上限"); err != nil || got.PriceFen != 500 || got.Version != 2 {
			t.Fatalf("price at cap: %+v %v", got, err)
		}
		// Only the operator prices, only the authority caps.
		if _, err := db.SetPrice(w.ctx, w.a, it.ID, 1, ""); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant sets a price: %v", err)
		}
		if _, err := db.SetPriceCap(w.ctx, w.op, it.ID, 10000, "", ""); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("operator sets a cap: %v", err)
		}
		// A lower cap brings the price down with it.
		got, err := db.SetPriceCap(w.ctx, w.auth, it.ID, 300, "", "下调上限")
		if err != nil || got.CapFen != 300 || got.PriceFen != 300 {
			t.Fatalf("lower cap: %+v %v", got, err)
		}
		// The public list shows it, with the cap.
		ps, err := db.Prices(w.ctx)
		if err != nil || len(ps) != 1 || ps[0].CapFen != 300 {
			t.Fatalf("public prices: %+v %v", ps, err)
		}
	})
}

func TestMoney_NPRC_1_R24_2_PublicWelfareNeverCharged(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newMoneyWorld(t, env)
		db := env.DB
		w.computeItem(t, 2000, 1500)
		// merchant-b's workspace serves public welfare.
		if err := db.SetWorkspacePurpose(w.ctx, w.op, w.wsB, shuyu.PurposeWelfare); err != nil {
			t.Fatal(err)
		}
		w.query(t, w.a, w.wsA, time.Hour, 0)
		w.query(t, w.b, w.wsB, 10*time.Hour, 0)
		if _, err := db.Charge(w.ctx, shuyu.System); err != nil {
			t.Fatal(err)
		}
		env.Clock.Set(time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC))
		if _, err := db.IssueStatements(w.ctx, shuyu.System, "2026-03"); err != nil {
			t.Fatal(err)
		}
		billA, billB := onlyBill(t, db, w.a), onlyBill(t, db, w.b)
		if billA.TotalFen != 1500 {
			t.Fatalf("industry use: %d fen, want 1500", billA.TotalFen)
		}
		if billB.TotalFen != 0 || billB.GrossFen != 0 || len(billB.Charges) != 1 || billB.Charges[0].Status != shuyu.ChargeFree {
			t.Fatalf("welfare use charged: %+v", billB)
		}
		// A free item cannot be given a price or a cap by anyone.
		it, err := db.CreatePriceItem(w.ctx, w.auth, shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "惠民查询服务",
			Class: "公益服务", Unit: shuyu.UnitCall, Purpose: shuyu.PurposeWelfare, CapFen: 0})
		if err != nil || !it.Free || !it.PriceSet || it.PriceFen != 0 {
			t.Fatalf("free item: %+v %v", it, err)
		}
		if _, err := db.SetPrice(w.ctx, w.op, it.ID, 1, ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("price on a free item: %v", err)
		}
		if _, err := db.SetPriceCap(w.ctx, w.auth, it.ID, 100, "", ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("cap on a free item: %v", err)
		}
		if _, err := db.CreatePriceItem(w.ctx, w.auth, shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "公益分析",
			Class: "公益服务", Unit: shuyu.UnitCall, Purpose: shuyu.PurposeGovernance, CapFen: 100}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("governance item with a cap: %v", err)
		}
	})
}

func onlyBill(t *testing.T, db *sqlstore.DB, who *shuyu.Actor) *shuyu.StatementDetail {
	t.Helper()
	bills, err := db.Bills(context.Background(), who, 0)
	if err != nil || len(bills) != 1 {
		t.Fatalf("%s bills: %d %v", who.Username, len(bills), err)
	}
	d, err := db.Bill(context.Background(), who, bills[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMoney_NPRC_4_ChargeUsesPriceInForce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newMoneyWorld(t, env)
		db := env.DB
		it := w.computeItem(t, 2000, 1000)
		env.Clock.Advance(time.Minute)
		w.query(t, w.a, w.wsA, 90*time.Minute, 0) // 1.5 CPU-hours at 10.00 元
		env.Clock.Advance(time.Hour)
		if _, err := db.SetPrice(w.ctx, w.op, it.ID, 600, "降价"); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Minute)
		w.query(t, w.a, w.wsA, time.Second, 0) // 1/3600 CPU-hour at 6.00 元: 0.17 fen → 0
		w.query(t, w.a, w.wsA, 20*time.Minute, 0)
		// Charging runs only now, after the change: each use keeps its price.
		rep, err := db.Charge(w.ctx, shuyu.System)
		if err != nil || rep.Lines != 3 {
			t.Fatalf("charge: %+v %v", rep, err)
		}
		open, err := db.OpenCharges(w.ctx, w.a, w.a.OrgID, 0)
		if err != nil || len(open) != 3 {
			t.Fatalf("open lines: %v %v", open, err)
		}
		// Newest first.
		want := []struct{ price, amount int64 }{{600, 200}, {600, 0}, {1000, 1500}}
		for i, c := range open {
			if c.PriceFen != want[i].price || c.AmountFen != want[i].amount {
				t.Fatalf("line %d: price %d amount %d, want %+v", i, c.PriceFen, c.AmountFen, want[i])
			}
		}
		// A second run charges nothing twice.
		if rep, err := db.Charge(w.ctx, shuyu.System); err != nil || rep.Lines != 0 {
			t.Fatalf("second run: %+v %v", rep, err)
		}
	})
}

func TestMoney_R27_3_SuspensionStopsCharging(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newMoneyWorld(t, env)
		db := env.DB
		w.computeItem(t, 2000, 1000)
		s, err := db.Suspend(w.ctx, w.auth, sqlstore.SuspendInput{Scope: sqlstore.SuspendEntry, EntryID: w.entry, Reason: "整改"})
		if err != nil {
			t.Fatal(err)
		}
		w.query(t, w.a, w.wsA, time.Hour, 0)
		env.Clock.Advance(time.Minute)
		if _, err := db.Resume(w.ctx, w.auth, s.ID, "整改完成"); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Minute)
		w.query(t, w.a, w.wsA, time.Hour, 0)
		if _, err := db.Charge(w.ctx, shuyu.System); err != nil {
			t.Fatal(err)
		}
		open, _ := db.OpenCharges(w.ctx, w.a, w.a.OrgID, 0)
		if len(open) != 2 || open[0].AmountFen != 1000 || open[1].AmountFen != 0 || open[1].Status != shuyu.ChargeFree {
			t.Fatalf("lines: %+v", open)
		}
	})
}

func TestMoney_R14_2_BillsOwnOnlyAndDisputes(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newMoneyWorld(t, env)
		db := env.DB
		w.computeItem(t, 2000, 1000)
		w.query(t, w.a, w.wsA, time.Hour, 0)
		w.query(t, w.a, w.wsA, 2*time.Hour, 0)
		w.query(t, w.b, w.wsB, time.Hour, 0)
		// The month has not ended: no statement yet.
		if _, err := db.IssueStatements(w.ctx, w.op, "2026-03"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("early statement: %v", err)
		}
		env.Clock.Set(time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC))
		rep, err := db.IssueStatements(w.ctx, w.op, "2026-03")
		if err != nil || rep.Statements != 2 || rep.TotalFen != 4000 {
			t.Fatalf("issue: %+v %v", rep, err)
		}
		billA := onlyBill(t, db, w.a)
		if billA.TotalFen != 3000 || len(billA.Charges) != 2 {
			t.Fatalf("A's bill: %+v", billA)
		}
		// merchant-b sees only its own and cannot open or dispute A's.
		billsB, _ := db.Bills(w.ctx, w.b, w.a.OrgID)
		for _, s := range billsB {
			if s.OrgID != w.b.OrgID {
				t.Fatalf("merchant-b sees %+v", s)
			}
		}
		if _, err := db.Bill(w.ctx, w.b, billA.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("B reads A's bill: %v", err)
		}
		if err := db.DisputeCharge(w.ctx, w.b, billA.Charges[0].ID, "不是我们的用量"); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("B disputes A's line: %v", err)
		}
		// Issuing again does nothing.
		if rep, err := db.IssueStatements(w.ctx, w.op, "2026-03"); err != nil || rep.Statements != 0 {
			t.Fatalf("second issue: %+v %v", rep, err)
		}
		// A disputes, a reason is required; the operator upholds.
		if err := db.DisputeCharge(w.ctx, w.a, billA.Charges[1].ID, ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("dispute without reason: %v", err)
		}
		if err := db.DisputeCharge(w.ctx, w.a, billA.Charges[1].ID, "该查询因平台故障重复执行"); err != nil {
			t.Fatal(err)
		}
		ds, err := db.Disputes(w.ctx, w.op)
		if err != nil || len(ds) != 1 || ds[0].Status != "open" {
			t.Fatalf("disputes: %+v %v", ds, err)
		}
		if err := db.ResolveDispute(w.ctx, w.a, ds[0].ID, shuyu.DisputeUphold, "自己支持自己"); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant resolves: %v", err)
		}
		if err := db.ResolveDispute(w.ctx, w.op, ds[0].ID, shuyu.DisputeUphold, "经核实系平台重复执行，予以减免"); err != nil {
			t.Fatal(err)
		}
		billA = onlyBill(t, db, w.a)
		if billA.TotalFen != 1000 || billA.WaivedFen != 2000 || billA.Charges[1].Status != shuyu.ChargeWaived {
			t.Fatalf("after uphold: %+v", billA.Statement)
		}
		if err := db.ResolveDispute(w.ctx, w.op, ds[0].ID, shuyu.DisputeReject, "再处理一次"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("resolved twice: %v", err)
		}
	})
}

func TestMoney_NPRC_2_AllowedRevenueVersioned(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newMoneyWorld(t, env)
		db := env.DB
		if _, err := db.RecordCost(w.ctx, w.op, shuyu.CostInput{Year: 2026, Category: shuyu.CostPlatform, AmountFen: 100, SubsidyFen: 200}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("subsidy above cost: %v", err)
		}
		c, err := db.RecordCost(w.ctx, w.op, shuyu.CostInput{Year: 2026, Category: shuyu.CostPlatform, AmountFen: 500_000_00, SubsidyFen: 100_000_00})
		if err != nil || c.NetFen != 400_000_00 {
			t.Fatalf("cost: %+v %v", c, err)
		}
		if _, err := db.RecordCost(w.ctx, w.a, shuyu.CostInput{Year: 2026, Category: shuyu.CostStaff, AmountFen: 1}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant records a cost: %v", err)
		}
		in := shuyu.AllowedInput{Year: 2026, AllowedCostFen: 400_000_00, ProfitRateBP: 650, TaxFen: 12_345, ApprovalRef: "卫发改价〔2026〕3号"}
		a, err := db.ApproveAllowedRevenue(w.ctx, w.auth, in)
		if err != nil || a.Version != 1 || a.ProfitFen != 26_000_00 || a.MaxRevenueFen != 400_000_00+26_000_00+12_345 {
			t.Fatalf("allowed: %+v %v", a, err)
		}
		if _, err := db.ApproveAllowedRevenue(w.ctx, w.op, in); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("operator approves: %v", err)
		}
		in.ProfitRateBP = 500
		a, err = db.ApproveAllowedRevenue(w.ctx, w.auth, in)
		if err != nil || a.Version != 2 || a.ProfitFen != 20_000_00 {
			t.Fatalf("second version: %+v %v", a, err)
		}
		all, _ := db.AllowedRevenue(w.ctx, env.Actors["regulator"], 2026)
		if len(all) != 2 || all[0].Version != 2 {
			t.Fatalf("versions: %+v", all)
		}
	})
}

func TestMoney_NPRC_5_ExcessBecomesNextPeriodDeduction(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newMoneyWorld(t, env)
		db := env.DB
		w.computeItem(t, 2000, 1000)
		if _, err := db.ApproveAllowedRevenue(w.ctx, w.auth, shuyu.AllowedInput{Year: 2026, AllowedCostFen: 2000,
			ApprovalRef: "卫发改价〔2026〕1号"}); err != nil {
			t.Fatal(err)
		}
		w.query(t, w.a, w.wsA, 3*time.Hour, 0) // 3000 fen
		w.query(t, w.b, w.wsB, time.Hour, 0)   // 1000 fen
		if _, err := db.CloseYear(w.ctx, w.op, 2026); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("close before the year ended: %v", err)
		}
		env.Clock.Set(time.Date(2027, 1, 1, 0, 30, 0, 0, time.UTC)) // 08:30 on 1 January, Beijing
		// The system's tick issues the months and closes the year.
		if err := db.MoneyTick(w.ctx); err != nil {
			t.Fatal(err)
		}
		y, err := db.YearClosed(w.ctx, w.auth, 2026)
		if err != nil || y.RevenueFen != 4000 || y.ExcessFen != 2000 {
			t.Fatalf("close: %+v %v", y, err)
		}
		if !inboxHas(t, db, w.auth, "money.year_close", "2026") {
			t.Fatal("the authority was not told")
		}
		acc, err := db.Account(w.ctx, w.auth, 2026)
		if err != nil || len(acc.Deductions) != 2 || acc.Deductions[0].AmountFen != 1500 || acc.Deductions[1].AmountFen != 500 {
			t.Fatalf("deductions: %+v %v", acc.Deductions, err)
		}
		// January 2027: A uses 1000 fen; 1000 of its 1500 are deducted.
		w.query(t, w.a, w.wsA, time.Hour, 0)
		env.Clock.Set(time.Date(2027, 2, 1, 1, 0, 0, 0, time.UTC))
		if err := db.MoneyTick(w.ctx); err != nil {
			t.Fatal(err)
		}
		w.query(t, w.a, w.wsA, time.Hour, 0)
		env.Clock.Set(time.Date(2027, 3, 1, 1, 0, 0, 0, time.UTC))
		if _, err := db.IssueStatements(w.ctx, w.op, "2027-02"); err != nil {
			t.Fatal(err)
		}
		bills, _ := db.Bills(w.ctx, w.a, 0)
		if len(bills) != 3 {
			t.Fatalf("A's bills: %d", len(bills))
		}
		feb, jan := bills[0], bills[1]
		if jan.Period != "2027-01" || jan.GrossFen != 1000 || jan.DeductionFen != 1000 || jan.TotalFen != 0 {
			t.Fatalf("January: %+v", jan)
		}
		if feb.Period != "2027-02" || feb.DeductionFen != 500 || feb.TotalFen != 500 {
			t.Fatalf("February: %+v", feb)
		}
		if _, err := db.CloseYear(w.ctx, w.op, 2026); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("closed twice: %v", err)
		}
	})
}

func TestMoney_R25_1_DistributionSumsExactlyInFen(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newMoneyWorld(t, env)
		db := env.DB
		haiyuan := env.Actors["dept-haiyuan-weijian"]
		e2 := domainInsertEntry(t, db, "ZW-WJ-9002", haiyuan, true, "monthly", []domainField{{name: "town", label: "乡镇", typ: "string"}})
		ws, err := db.OpenWorkspace(w.ctx, w.op, shuyu.WorkspaceGrant{OrgID: w.a.OrgID, Name: "两部门数据工作区",
			StartsAt: moneyStart.Add(-time.Hour), EndsAt: moneyStart.AddDate(2, 0, 0),
			Entries: []shuyu.GrantEntry{{EntryID: w.entry}, {EntryID: e2}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetWorkspacePurpose(w.ctx, w.op, ws.ID, shuyu.PurposeIndustry); err != nil {
			t.Fatal(err)
		}
		w.computeItem(t, 2000, 1001)
		w.query(t, w.a, ws.ID, time.Hour, 0) // 1001 fen from both departments
		w.query(t, w.b, w.wsB, time.Hour, 0) // 1001 fen from 公安 only
		if _, err := db.ApproveAllowedRevenue(w.ctx, w.auth, shuyu.AllowedInput{Year: 2026, AllowedCostFen: 1_000_000,
			ApprovalRef: "卫发改价〔2026〕1号"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ApproveShare(w.ctx, w.auth, shuyu.ShareInput{Year: 2026, CityBP: 3333, DeptBP: 4000}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ApproveShare(w.ctx, w.op, shuyu.ShareInput{Year: 2026, CityBP: 1}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("operator approves a share: %v", err)
		}
		if _, err := db.ApproveShare(w.ctx, w.auth, shuyu.ShareInput{Year: 2026, CityBP: 6000, DeptBP: 4001}); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("shares over 100%%: %v", err)
		}
		if _, err := db.ApproveShare(w.ctx, w.auth, shuyu.ShareInput{Year: 2026, CityBP: 3333, DeptBP: 3333}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Set(time.Date(2027, 1, 2, 1, 0, 0, 0, time.UTC))
		if _, err := db.Distribute(w.ctx, w.op, 2026); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("distribute before close: %v", err)
		}
		if _, err := db.CloseYear(w.ctx, w.op, 2026); err != nil {
			t.Fatal(err)
		}
		x, err := db.Distribute(w.ctx, w.op, 2026)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		got := map[string]int64{}
		for _, l := range x.Lines {
			sum += l.AmountFen
			got[l.Party+"/"+l.OrgName] = l.AmountFen
		}
		if x.BaseFen != 2002 || sum != x.BaseFen {
			t.Fatalf("base %d, lines sum to %d", x.BaseFen, sum)
		}
		// The stated rule by hand: 2002 × (operator 33.34 %, city 33.33 %,
		// departments 33.33 %) = 667.47, 667.27, 667.27 → 668, 667, 667
		// (the leftover fen to the largest remainder). Lineage weights: 公安
		// 501 (half of 1001, the odd fen first) + 1001 = 1502, 卫健 500; the
		// pool 667 → 500.41, 166.58 → 500, 167.
		want := map[string]int64{"operator/中卫市数据运营有限公司": 668, "city/中卫市数据局": 667, "dept/中卫市公安局": 500, "dept/海原县卫生健康局": 167}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s: %d, want %d (all: %v)", k, got[k], v, got)
			}
		}
		// Departments see it; merchants do not.
		if _, err := db.Distribution(w.ctx, haiyuan, 2026); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Distribution(w.ctx, w.a, 2026); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant reads the distribution: %v", err)
		}
	})
}

// The operator's evaluation reads the year's revenue against the approved
// maximum (R33.1, NPRC.5): no figure before a maximum is approved; within
// it, full marks; above it, maximum ÷ revenue — from the statements issued,
// the sum CloseYear sets against the maximum.
// liveIndicator opens the 2026 evaluation with in beside a manual
// indicator and returns a function reading in's pre-filled figures afresh.
func (w *moneyWorld) liveIndicator(t *testing.T, in shuyu.IndicatorInput) func() shuyu.Indicator {
	t.Helper()
	ev, err := w.env.DB.CreateEvaluation(w.ctx, w.auth, shuyu.EvaluationInput{Year: 2026, Indicators: []shuyu.IndicatorInput{
		in, {Name: "服务满意度", Weight: 60, Rule: shuyu.RuleManual},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return func() shuyu.Indicator {
		t.Helper()
		e, err := w.env.DB.PrefillEvaluation(w.ctx, w.auth, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		return e.Indicators[0]
	}
}

func TestEvaluation_R33_1_NPRC_5_RevenueAgainstTheMaximum(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newMoneyWorld(t, env)
		db := env.DB
		w.computeItem(t, 2000, 1000)
		indicator := w.liveIndicator(t, shuyu.IndicatorInput{Name: "收入未超出最高准许收入", Weight: 40, Rule: shuyu.RuleRatio, Metric: "revenue_cap"})
		if in := indicator(); in.AutoValue != nil || !strings.Contains(in.AutoEvidence, "尚未核定") {
			t.Fatalf("no maximum approved yet: %v %q", in.AutoValue, in.AutoEvidence)
		}
		if _, err := db.ApproveAllowedRevenue(w.ctx, w.auth, shuyu.AllowedInput{Year: 2026, AllowedCostFen: 2000,
			ApprovalRef: "卫发改价〔2026〕1号"}); err != nil {
			t.Fatal(err)
		}
		w.query(t, w.a, w.wsA, time.Hour, 0) // 1000 fen in the first month
		month := moneyStart.In(cst).Format("2006-01")
		env.Clock.Set(moneyStart.AddDate(0, 1, 0))
		if _, err := db.IssueStatements(w.ctx, w.op, shuyu.Period(month)); err != nil {
			t.Fatal(err)
		}
		if in := indicator(); in.AutoValue == nil || *in.AutoValue != 1 || in.AutoScore == nil || *in.AutoScore != 100 ||
			!strings.Contains(in.AutoEvidence, "收入 10.00 元") || !strings.Contains(in.AutoEvidence, "未超出") {
			t.Fatalf("within the maximum: %v %v %q", in.AutoValue, in.AutoScore, in.AutoEvidence)
		}
		w.query(t, w.a, w.wsA, 2*time.Hour, 0) // 2000 fen
		w.query(t, w.b, w.wsB, time.Hour, 0)   // 1000 fen
		// Not yet on a statement: not yet revenue.
		if in := indicator(); *in.AutoValue != 1 {
			t.Fatalf("usage not yet billed counted: %v", *in.AutoValue)
		}
		next := env.Clock.Now().In(cst).Format("2006-01")
		env.Clock.Set(env.Clock.Now().AddDate(0, 1, 0))
		if _, err := db.IssueStatements(w.ctx, w.op, shuyu.Period(next)); err != nil {
			t.Fatal(err)
		}
		in := indicator()
		want := 2000.0 / 4000.0
		if in.AutoValue == nil || *in.AutoValue != want || in.AutoScore == nil || *in.AutoScore != 100*want ||
			!strings.Contains(in.AutoEvidence, "收入 40.00 元") || !strings.Contains(in.AutoEvidence, "超出 20.00 元") {
			t.Fatalf("above the maximum: %v %v %q", in.AutoValue, in.AutoScore, in.AutoEvidence)
		}
	})
}

// R33.1: the evaluation's complaints indicator is pre-filled from the
// complaints the platform records about the operator: fee disputes (and
// registry objections) of the year, those upheld counting against it.
func TestEvaluation_R33_1_ComplaintsFromDisputes(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newMoneyWorld(t, env)
		db := env.DB
		w.computeItem(t, 2000, 1000)
		w.query(t, w.a, w.wsA, time.Hour, 0)
		w.query(t, w.a, w.wsA, 2*time.Hour, 0)
		month := moneyStart.In(cst).Format("2006-01")
		env.Clock.Set(moneyStart.AddDate(0, 1, 0))
		if _, err := db.IssueStatements(w.ctx, w.op, shuyu.Period(month)); err != nil {
			t.Fatal(err)
		}
		indicator := w.liveIndicator(t, shuyu.IndicatorInput{Name: "投诉处理", Weight: 40, Rule: shuyu.RulePenalty, Metric: "complaints", Points: 10})
		if in := indicator(); in.AutoValue == nil || *in.AutoValue != 0 || *in.AutoScore != 100 || !strings.Contains(in.AutoEvidence, "收费异议 0 件") {
			t.Fatalf("no complaints: %v %q", in.AutoValue, in.AutoEvidence)
		}
		bill := onlyBill(t, db, w.a)
		for _, c := range bill.Charges {
			if err := db.DisputeCharge(w.ctx, w.a, c.ID, "该查询因平台故障重复执行"); err != nil {
				t.Fatal(err)
			}
		}
		ds, err := db.Disputes(w.ctx, w.op)
		if err != nil || len(ds) != 2 {
			t.Fatalf("disputes: %+v %v", ds, err)
		}
		if err := db.ResolveDispute(w.ctx, w.op, ds[0].ID, shuyu.DisputeUphold, "经核实系平台重复执行，予以减免"); err != nil {
			t.Fatal(err)
		}
		if err := db.ResolveDispute(w.ctx, w.op, ds[1].ID, shuyu.DisputeReject, "经核实用量属实"); err != nil {
			t.Fatal(err)
		}
		in := indicator()
		if in.AutoValue == nil || *in.AutoValue != 1 || in.AutoScore == nil || *in.AutoScore != 90 ||
			!strings.Contains(in.AutoEvidence, "收费异议 2 件，成立 1 件") {
			t.Fatalf("one of two disputes upheld: %v %v %q", in.AutoValue, in.AutoScore, in.AutoEvidence)
		}
	})
}
