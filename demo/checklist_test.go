package demo

import (
	"context"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestDemo_R17_1_ChecklistsAtEachStage: the demo has checklist versions in
// force, retired and proposed; a registration registered and an application
// returned item by item; a product from personal data approved by one
// reviewer and waiting for the second (four eyes); a second run changes
// nothing.
func TestDemo_R17_1_ChecklistsAtEachStage(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		v, dir := demoWithDomain(t, env)
		db, clock, ctx := env.DB, env.Clock, context.Background()
		if err := Applications(ctx, db); err != nil {
			t.Fatal(err)
		}
		if _, err := Workspace(ctx, db, v, dir, clock.Now); err != nil {
			t.Fatal(err)
		}
		if err := Output(ctx, db, v, dir, clock.Now); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := Checklists(ctx, db, v, dir, clock.Now); err != nil {
				t.Fatal(err)
			}
		}
		l, err := db.Checklists(ctx, shuyu.System, "")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, rs := range l {
			got[string(rs.Kind)+"/"+rs.Status]++
		}
		want := map[string]int{"onboarding/approved": 1, "onboarding/retired": 1, "application/approved": 1, "application/proposed": 1, "output/approved": 1}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("versions %s: %d (%v)", k, got[k], got)
			}
		}
		ps, err := db.Products(ctx, shuyu.System, shuyu.ProductUnderReview)
		if err != nil || len(ps) != 1 {
			t.Fatalf("a product awaiting its second reviewer: %v %d", err, len(ps))
		}
		res, err := db.ChecklistResults(ctx, shuyu.System, shuyu.ChecklistOutput, ps[0].ID)
		if err != nil || len(res) != 1 || !res[0].Passed {
			t.Fatalf("output checklist: %v %+v", err, res)
		}
		// The authority's dashboard figure: the waiting product, a failed application checklist.
		st, err := db.ChecklistStatistics(ctx, shuyu.System)
		if err != nil || len(st.SecondReviews) != 1 || st.SecondReviews[0].ProductID != ps[0].ID {
			t.Fatalf("dashboard: second reviews %v %+v", err, st)
		}
		for _, k := range st.Kinds {
			if k.Kind == shuyu.ChecklistApplication && k.Failed < 1 || k.Kind == shuyu.ChecklistOutput && k.Passed != 1 {
				t.Fatalf("dashboard counts: %+v", st.Kinds)
			}
		}
		apps, err := db.Applications(ctx, shuyu.System, shuyu.AppReturned)
		if err != nil {
			t.Fatal(err)
		}
		returned := 0
		for _, a := range apps {
			if rs, err := db.ChecklistResults(ctx, shuyu.System, shuyu.ChecklistApplication, a.ID); err == nil && len(rs) == 1 && !rs[0].Passed {
				returned++
			}
		}
		if returned != 1 {
			t.Fatalf("applications returned by a checklist: %d", returned)
		}
		regs, err := db.Registrations(ctx, shuyu.System, shuyu.RegAccepted)
		if err != nil || len(regs) == 0 {
			t.Fatalf("a registration waiting for its checklist: %v", err)
		}
	})
}
