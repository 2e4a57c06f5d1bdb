package demo

import (
	"context"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/vault"
	"shuyu/workspace"
	"shuyu/workspace/wstest"
)

// Issue 6 item 7: --demo gives merchant-a an active workspace over the
// population register and the medical settlements, simulated data ready,
// where a governed query answers at once.
func TestDemo_R14_1_MerchantAHasAWorkspace(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			db, clock := sqltest.Open(t, b)
			clock.Set(wstest.Now)
			db.PasswordIterations = 1000
			ctx := context.Background()
			if _, err := Seed(ctx, db, ""); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			v, err := vault.Open(dir+"/domain", vault.Options{Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			wstest.LoadDataset(t, ctx, v, sqlstore.VaultName("ZW-GA-0001"), "population", 1500)
			wstest.LoadDataset(t, ctx, v, sqlstore.VaultName("ZW-YB-0001"), "medical_settlement", 1500)
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
}
