package demo

import (
	"context"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// Issue 14: --demo shows a priced year. Last year has its cost ledger, the
// approved maximum, caps and prices (one public-welfare service at 0),
// monthly statements for merchant-a, a close whose excess is deducted in
// January, and a distribution statement that sums exactly; this year has
// its approval and statements up to last month. A second Seed adds nothing.
func TestDemo_NPRC_2_NPRC_5_R25_1_APricedYear(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		env.Clock.Set(time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC))
		demoSeeded(t, env)
		demoSeeded(t, env)
		db, ctx := env.DB, context.Background()
		if !db.Now().Equal(env.Clock.Now()) {
			t.Fatalf("the store's clock was not put back: %v", db.Now())
		}
		auth, _ := demoActor(ctx, db, "authority")
		a, _ := demoActor(ctx, db, "merchant-a")
		prices, err := db.Prices(ctx)
		if err != nil || len(prices) != len(demoPrices) {
			t.Fatalf("prices: %d %v", len(prices), err)
		}
		free := 0
		for _, p := range prices {
			if p.Free {
				free++
				if p.PriceFen != 0 || p.CapFen != 0 {
					t.Fatalf("free item priced: %+v", p)
				}
			} else if !p.PriceSet || p.PriceFen > p.CapFen {
				t.Fatalf("item: %+v", p)
			}
		}
		if free != 1 {
			t.Fatalf("%d free items", free)
		}
		bills, err := db.Bills(ctx, a, 0)
		if err != nil || len(bills) != 23 || bills[0].Period != "2026-11" || bills[len(bills)-1].Period != "2025-01" {
			t.Fatalf("merchant-a statements: %d %v", len(bills), err)
		}
		last, err := db.Account(ctx, auth, 2025)
		if err != nil || last.Closed == nil || last.Closed.ExcessFen <= 0 || len(last.Deductions) != 2 || last.Distribution == nil {
			t.Fatalf("2025 account: %+v %v", last, err)
		}
		var sum int64
		depts := 0
		for _, l := range last.Distribution.Lines {
			sum += l.AmountFen
			if l.Party == shuyu.PartyDept {
				depts++
			}
		}
		if sum != last.Distribution.BaseFen || depts != 4 || last.Distribution.BaseFen != last.Closed.RevenueFen-last.Closed.ExcessFen {
			t.Fatalf("distribution: %+v", last.Distribution)
		}
		var jan *shuyu.Statement
		for _, b := range bills {
			if b.Period == "2026-01" {
				jan = b
			}
		}
		if jan == nil || jan.DeductionFen == 0 || jan.TotalFen != jan.GrossFen-jan.DeductionFen {
			t.Fatalf("January deduction: %+v", jan)
		}
		this, err := db.Account(ctx, auth, 2026)
		if err != nil || this.MaxRevenueFen == 0 || this.RevenueFen == 0 || this.Closed != nil {
			t.Fatalf("2026 account: %+v %v", this, err)
		}
	})
}
