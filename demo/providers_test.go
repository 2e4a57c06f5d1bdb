package demo

import (
	"context"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestDemo_R6_3_DelegationsAtEachStage: the demo has a delegation in force
// with a simulated query the provider ran for merchant-a (recorded on its
// behalf), and a revoked one; a second run changes nothing.
func TestDemo_R6_3_DelegationsAtEachStage(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		v, dir := demoWithDomain(t, env)
		db, clock, ctx := env.DB, env.Clock, context.Background()
		if _, err := Workspace(ctx, db, v, dir, clock.Now); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := Providers(ctx, db, v, dir, clock.Now); err != nil {
				t.Fatal(err)
			}
		}
		l, err := db.Delegations(ctx, shuyu.System)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, g := range l {
			got[g.Status]++
		}
		if got[shuyu.DelegationActive] < 1 || got[shuyu.DelegationRevoked] != 1 {
			t.Fatalf("delegations: %v", got)
		}
		var detail string
		if err := db.SQL().QueryRow(db.Rebind(`SELECT detail FROM audit_events WHERE action = ? AND actor_name = 'provider'`),
			string(shuyu.AuditWorkspaceQuery)).Scan(&detail); err != nil || !strings.Contains(detail, "on_behalf_of") {
			t.Fatalf("the provider's query for merchant-a: %v %s", err, detail)
		}
		// R6.3: the provider's requests for merchant-a are recorded, reads and an act.
		reads, err := db.ProviderActivity(ctx, shuyu.System, 0, 0)
		if err != nil || len(reads) != 5 {
			t.Fatalf("recorded provider requests: %v %d", err, len(reads))
		}
		writes := 0
		for _, r := range reads {
			if r.Write() {
				writes++
			}
		}
		if writes != 1 {
			t.Fatalf("%d recorded acts", writes)
		}
	})
}
