package demo

import (
	"context"
	"testing"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore/sqltest"
)

// TestRecords_NREG_7_EveryStage: after the demo's Seed and Records there is
// a registration on public notice, one with a valid code, and one inside its
// renewal window; the evidence of each verifies; a second run adds nothing.
func TestRecords_NREG_7_EveryStage(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		demoSeeded(t, env)
		if err := Records(ctx, env.DB); err != nil {
			t.Fatal(err)
		}
		authority, err := demoActor(ctx, env.DB, "authority")
		if err != nil {
			t.Fatal(err)
		}
		list, err := env.DB.Registries(ctx, authority, "")
		if err != nil {
			t.Fatal(err)
		}
		var notice, coded, renewal int
		for _, g := range list {
			switch {
			case g.Status == shuyu.RgyNotice:
				notice++
			case g.Status == shuyu.RgyRegistered && ident.ValidRegistryCode(g.Code) && g.RenewalDue:
				renewal++
			case g.Status == shuyu.RgyRegistered && ident.ValidRegistryCode(g.Code):
				coded++
			}
			c, err := env.DB.VerifyRegistryEvidence(ctx, authority, g.ID)
			if err != nil || !c.Valid {
				t.Errorf("evidence of %s: %+v %v", g.Name, c, err)
			}
		}
		if notice != 1 || coded != 1 || renewal != 1 {
			t.Fatalf("notice %d, coded %d, renewal due %d; want one each", notice, coded, renewal)
		}
		if err := Records(ctx, env.DB); err != nil {
			t.Fatal(err)
		}
		if again, _ := env.DB.Registries(ctx, authority, ""); len(again) != len(list) {
			t.Fatalf("a second run added registrations: %d → %d", len(list), len(again))
		}
	})
}
