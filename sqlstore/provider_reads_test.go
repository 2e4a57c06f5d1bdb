package sqlstore_test

import (
	"fmt"
	"sync"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// TestProviderReads_R6_3_EveryActingRequestRecorded: every actor made for a
// provider acting for a merchant comes with a committed record of the
// request (who, for whom, under which delegation, what) — 40 concurrent
// requests give 40 rows, group-committed; the merchant, the provider and the
// authority see them, another merchant and the acting provider itself do
// not; a refused ActFor (a merchant account, a revoked delegation) records
// nothing and yields no actor.
func TestProviderReads_R6_3_EveryActingRequestRecorded(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		m, prov := a["merchant-a"], a["provider"]
		g, err := db.CreateDelegation(ctx, m, shuyu.DelegationInput{ProviderOrgID: prov.OrgID, Tasks: []shuyu.DelegationTask{shuyu.TaskSimQuery},
			From: delegationDay(env, 0), To: delegationDay(env, 30), Note: "代为编写仿真数据查询"})
		if err != nil {
			t.Fatal(err)
		}
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				acting, err := db.ActFor(ctx, prov, g.ID, sqlstore.ActingRequest{Method: "get", Path: fmt.Sprintf("/workspaces/1?page=%d", i),
					RequestID: fmt.Sprintf("req-%d", i)})
				if err == nil && acting.Acting == nil {
					err = fmt.Errorf("request %d: no acting actor", i)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		rows, err := db.ProviderActivity(ctx, m, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != n {
			t.Fatalf("the merchant sees %d requests, want %d", len(rows), n)
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if r.DelegationID != g.ID || r.MerchantOrg != m.OrgID || r.ProviderOrg != prov.OrgID || r.User != prov.Username ||
				r.Method != "GET" || r.Write() {
				t.Fatalf("record: %+v", r)
			}
			seen[r.Path+" "+r.RequestID] = true
		}
		for i := range n {
			if !seen[fmt.Sprintf("/workspaces/1?page=%d req-%d", i, i)] {
				t.Fatalf("request %d not recorded", i)
			}
		}
		if batches, recorded := db.ProviderReadBatches(); recorded != n || batches < 1 || batches > n {
			t.Fatalf("%d records in %d batches", recorded, batches)
		}
		for who, want := range map[string]int{"provider": n, "authority": n, "regulator": n, "operator-admin": n, "merchant-b": 0} {
			l, err := db.ProviderActivity(ctx, a[who], 0, 0)
			if err != nil || len(l) != want {
				t.Fatalf("%s sees %d (%v), want %d", who, len(l), err, want)
			}
		}
		if l, err := db.ProviderActivity(ctx, m, g.ID+1000, 0); err != nil || len(l) != 0 {
			t.Fatalf("another delegation's filter: %d %v", len(l), err)
		}
		acting, err := db.ActFor(ctx, prov, g.ID, sqlstore.ActingRequest{Method: "GET", Path: "/providers/activity"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ProviderActivity(ctx, acting, 0, 0); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("the acting provider reads the records: %v", err)
		}

		// Refused: nothing recorded.
		if _, err := db.ActFor(ctx, m, g.ID, sqlstore.ActingRequest{Method: "GET", Path: "/x"}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant acts: %v", err)
		}
		if _, err := db.RevokeDelegation(ctx, m, g.ID, "委托事项已办结"); err != nil {
			t.Fatal(err)
		}
		if a, err := db.ActFor(ctx, prov, g.ID, sqlstore.ActingRequest{Method: "GET", Path: "/after-revocation"}); err == nil || a != nil {
			t.Fatalf("acting after revocation: %v", err)
		}
		if l, _ := db.ProviderActivity(ctx, m, g.ID, 0); len(l) != n+1 {
			t.Fatalf("%d records after the refusals, want %d", len(l), n+1)
		}
	})
}
