package demo

import (
	"context"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workspace"
)

// Issue 6 item 7: --demo gives merchant-a an active workspace over the
// population register and the medical settlements, simulated data ready,
// where a governed query answers at once.
func TestDemo_R14_1_MerchantAHasAWorkspace(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		v, dir := demoWithDomain(t, env)
		db, clock, ctx := env.DB, env.Clock, context.Background()
		ws, err := Workspace(ctx, db, v, dir, clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Workspace(ctx, db, v, dir, clock.Now)
		if err != nil || again.ID != ws.ID {
			t.Fatalf("second call: %v %v", again, err)
		}
		m, err := db.Login(ctx, sqlstore.LoginRequest{Username: "merchant-a", Password: DefaultPassword})
		if err != nil {
			t.Fatal(err)
		}
		svc := workspace.New(db, v, dir, clock.Now)
		defer svc.Close()
		d, err := svc.Describe(ctx, m.Actor, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != shuyu.WorkspaceActive || len(d.Tables) != 2 || d.Tables[0].Rows == 0 || d.Tables[1].Rows == 0 ||
			!d.EndsAt.After(clock.Now().Add(300*24*time.Hour)) {
			t.Fatalf("demo workspace %+v", d)
		}
		res, err := svc.Query(ctx, m.Actor, ws.ID, "SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county", "real")
		if err != nil || res.Status != "released" || len(res.Rows) != 3 {
			t.Fatalf("query %+v %v", res, err)
		}
	})
}
