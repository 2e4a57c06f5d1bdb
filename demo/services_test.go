package demo

import (
	"context"
	"strings"
	"testing"

	"shuyu"
	"shuyu/dataservice"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workspace"
	"shuyu/workspace/wstest"
)

// Issue 17: --demo offers an enterprise verification and a consent-gated
// personal service, filed, with a consumer key in the demo outbox and a few
// live consents; a second run adds fresh keys and nothing else.
func TestDemo_R28_4_R28_5_ServicesKeysAndConsents(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		v, dir := demoWithDomain(t, env)
		db, clock, ctx := env.DB, env.Clock, context.Background()
		ent := wstest.LoadDataset(t, ctx, v, sqlstore.VaultName("ZW-SC-0001"), "enterprise", 300)
		wstest.LoadDataset(t, ctx, v, sqlstore.VaultName("ZW-RS-0001"), "social_insurance", 1500)
		ver := &dataservice.DemoVerifier{Now: clock.Now}
		for range 2 {
			if err := Services(ctx, db, v, dir, clock.Now, ver); err != nil {
				t.Fatal(err)
			}
		}
		pub, err := db.PublicServices(ctx)
		if err != nil || len(pub) != 2 {
			t.Fatalf("filed services: %v %d", err, len(pub))
		}
		cs, err := db.Consents(ctx, shuyu.System)
		if err != nil {
			t.Fatal(err)
		}
		live := 0
		for _, c := range cs {
			if c.Status == shuyu.ConsentLive {
				live++
			}
		}
		if live != ConsentPeople {
			t.Fatalf("%d live consents of %d", live, len(cs))
		}
		notes := ver.Notes()
		if len(notes) != 4 {
			t.Fatalf("outbox notes: %+v", notes)
		}
		var key string
		var svcID int64
		for _, s := range pub {
			if s.Name == EnterpriseServiceName {
				svcID = s.ID
			}
		}
		for _, n := range notes {
			if strings.Contains(n.Purpose, EnterpriseServiceName) {
				key = n.Code
				break
			}
		}
		wsSvc := workspace.New(db, v, dir, clock.Now)
		defer wsSvc.Close()
		svc := dataservice.New(db, v, wsSvc, ver, clock.Now)
		a, err := svc.Call(ctx, key, svcID, map[string]string{"uscc": ent[1][0], "name": ent[1][1]})
		if err != nil || a.Answer["name_match"] != true {
			t.Fatalf("demo key call: %v %+v", err, a)
		}
	})
}
