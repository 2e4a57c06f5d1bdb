package demo

import (
	"context"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// Issue 7: --demo shows one product at each stage of the output check, the
// released one filed and delivered once; a second run changes nothing.
func TestDemo_R23_2_ProductsAtEachStage(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		v, dir := demoWithDomain(t, env)
		db, clock, ctx := env.DB, env.Clock, context.Background()
		if _, err := Workspace(ctx, db, v, dir, clock.Now); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := Output(ctx, db, v, dir, clock.Now); err != nil {
				t.Fatal(err)
			}
		}
		ps, err := db.Products(ctx, shuyu.System, "")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, p := range ps {
			got[p.Status]++
		}
		for _, st := range []string{shuyu.ProductDraft, shuyu.ProductChecked, shuyu.ProductApproved, shuyu.ProductFiled, shuyu.ProductReleased} {
			if got[st] != 1 {
				t.Errorf("stage %s: %d products (%v)", st, got[st], got)
			}
		}
		pub, err := db.ReleasedProducts(ctx)
		if err != nil || len(pub) != 1 || pub[0].FilingNo == "" {
			t.Fatalf("public list %v %+v", err, pub)
		}
		dl, err := db.ProductDeliveries(ctx, shuyu.System, pub[0].ID)
		if err != nil || len(dl) != 1 || !dl[0].Fingerprint {
			t.Fatalf("deliveries %v %+v", err, dl)
		}
	})
}
