package demo

import (
	"context"
	"testing"

	"shuyu"
	"shuyu/dataservice"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/synth"
	"shuyu/workspace"
	"shuyu/workspace/wstest"
)

// Issue 17, R28.5: --demo has a workspace opened by consent with live grants
// for it, a released count over the consenting people only, and a use each
// subject sees; a second run adds nothing.
func TestDemo_R28_5_ConsentWorkspace(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		v, dir := demoWithDomain(t, env)
		db, clock, ctx := env.DB, env.Clock, context.Background()
		// The register as the demo loads it: the consenting people are in it.
		wstest.LoadDatasetSeed(t, ctx, v, sqlstore.VaultName("ZW-GA-0001"), "population", 1500, DomainSeed)
		ver := &dataservice.DemoVerifier{Now: clock.Now}
		for range 2 {
			if err := ConsentWorkspace(ctx, db, v, dir, clock.Now, ver); err != nil {
				t.Fatal(err)
			}
		}
		m, err := demoActor(ctx, db, "merchant-a")
		if err != nil {
			t.Fatal(err)
		}
		var ws *shuyu.Workspace
		all, _ := db.Workspaces(ctx, m)
		for _, w := range all {
			if w.Name == ConsentWorkspaceName {
				ws = w
			}
		}
		if ws == nil {
			t.Fatal("no consent workspace")
		}
		if ws, err = db.Workspace(ctx, m, ws.ID); err != nil || !ws.ByConsent {
			t.Fatalf("workspace by consent: %v %+v", err, ws)
		}
		cs, err := db.Consents(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		live := 0
		for _, c := range cs {
			if c.Status == shuyu.ConsentLive && c.WorkspaceID == ws.ID && c.Uses == 1 {
				live++
			}
		}
		if live != ConsentWorkspacePeople {
			qs, _ := db.WorkspaceQueries(ctx, m, ws.ID, 10)
			t.Fatalf("%d live grants used once, want %d (of %d): %+v %+v", live, ConsentWorkspacePeople, len(cs), cs[0], qs)
		}
		qs, err := db.WorkspaceQueries(ctx, m, ws.ID, 10)
		if err != nil || len(qs) != 1 || qs[0].Status != "released" {
			t.Fatalf("demo query: %v %+v", err, qs)
		}
		// The same count now, through the governed path: about 24, not 1,500.
		wsSvc := workspace.New(db, v, dir, clock.Now)
		defer wsSvc.Close()
		r, err := wsSvc.Query(ctx, m, ws.ID, "SELECT count(*) AS n FROM "+ws.Grants[0].Table, shuyu.DataReal)
		if err != nil || r.Status != "released" || len(r.Rows) != 1 {
			t.Fatalf("count: %v %+v", err, r)
		}
		if n, ok := r.Rows[0][0].(int64); !ok || n < ConsentWorkspacePeople-5 || n > ConsentWorkspacePeople+5 {
			t.Fatalf("count over the consenting people = %v (%T)", r.Rows[0][0], r.Rows[0][0])
		}
		// A consenting person proves itself and sees its grant and its uses.
		p := synth.PersonAt(DomainSeed, 10, clock.Now())
		mobile := p.Phone
		if mobile == "" {
			mobile = "13995520010"
		}
		svc := dataservice.New(db, v, wsSvc, ver, clock.Now)
		ch, err := svc.StartLookup(ctx, dataservice.Subject{Kind: shuyu.SubjectPerson, ID: p.IDNumber, Name: p.Name, Mobile: mobile})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := svc.VerifyLookup(ctx, ch, ver.Last("lookup"))
		if err != nil {
			t.Fatal(err)
		}
		sv, err := db.SubjectConsents(ctx, tok)
		if err != nil || len(sv.Consents) != 1 || sv.Total != 2 || len(sv.Uses) != 1 || sv.Uses[0].Count != 2 {
			t.Fatalf("subject's view: %v %+v", err, sv)
		}
	})
}
