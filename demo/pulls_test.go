package demo

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/supply"
)

// The demo's daily enterprise entry has a registered pull source pointing
// at the demo's own stand-in of the sharing platform; the first pull makes
// a reconciled version, and a restart points the source at the new
// stand-in without a second source (issue 18; R10.1, R10.2).
func TestDemoPull_R10_2_DailyEntryPulledFromStandIn(t *testing.T) {
	t.Parallel()
	env := sqltest.Seeded(t, "sqlite")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := env.DB
	domainCatalog(t, db, env.Actors["dept-gongan"])
	v := demoVault(t, t.TempDir(), env.Clock)
	if _, err := seedDomain(ctx, db, v, 500); err != nil {
		t.Fatal(err)
	}
	svc := supply.New(db, v, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	for start := 0; start < 2; start++ {
		url, err := SharingPlatform(ctx, env.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := PullSource(ctx, db, svc, url); err != nil {
			t.Fatal(err)
		}
	}
	e, err := db.DomainEntryByCode(ctx, demoPullEntry)
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := db.PullSources(ctx, shuyu.System, e.ID)
	if err != nil || len(srcs) != 1 || srcs[0].Status != sqlstore.PullStatusOK {
		t.Fatalf("sources: %+v %v", srcs, err)
	}
	runs, _ := db.PullRuns(ctx, shuyu.System, srcs[0].ID, 10)
	if len(runs) != 1 || !runs[0].Reconciled || runs[0].VersionRows < 1000 || runs[0].Version != 2 {
		t.Fatalf("runs: %+v", runs)
	}
}
