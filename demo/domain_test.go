package demo

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/synth"
	"shuyu/vault"
)

// domainCatalog publishes one entry per synthetic dataset directly with SQL,
// with the dataset's columns as fields (as the demo catalog does).
func domainCatalog(t testing.TB, db *sqlstore.DB, owner *shuyu.Actor) {
	t.Helper()
	ctx := context.Background()
	for _, ds := range synth.Datasets() {
		var id, rev int64
		if err := db.SQL().QueryRowContext(ctx, db.Rebind(`INSERT INTO catalog_entries (code, org_id, region, created_at) VALUES (?, ?, ?, 0) RETURNING id`),
			DatasetEntryCodes[ds.Name], owner.OrgID, owner.Region).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL().QueryRowContext(ctx, db.Rebind(`INSERT INTO catalog_revisions (entry_id, version, status, name, summary, grade,
			open_attr, public_source, auth_mode, update_freq, created_by, created_at, updated_at)
			VALUES (?, 1, 'published', ?, ?, 'important', 'conditional', ?, 'scenario', 'monthly', 0, 0, 0) RETURNING id`),
			id, ds.Label, ds.Description, false).Scan(&rev); err != nil {
			t.Fatal(err)
		}
		for i, c := range ds.Columns {
			if _, err := db.SQL().ExecContext(ctx, db.Rebind(`INSERT INTO catalog_fields (revision_id, position, name, label, data_type, pi,
				sensitive_pi, trade_secret, grade) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'general')`), rev, i, c.Name, c.Label, c.Type, c.PI, c.SensitivePI, false); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.SQL().ExecContext(ctx, db.Rebind(`UPDATE catalog_entries SET published_rev_id = ? WHERE id = ?`), rev, id); err != nil {
			t.Fatal(err)
		}
		// Written around the store: the public catalog's caches must hear of it.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE catalog_generation SET gen = gen + 1 WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSeedDomain_R10_1_R10_2_SyntheticDatasetsMountedIdempotent(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, clock, as := env.DB, env.Clock, env.Actors
		domainCatalog(t, db, as["dept-gongan"])
		v := demoVault(t, t.TempDir(), clock)
		loads, err := seedDomain(ctx, db, v, 2000)
		if err != nil {
			t.Fatal(err)
		}
		if len(loads) != len(synth.Datasets()) {
			t.Fatalf("loads = %+v", loads)
		}
		ms, err := db.Mounts(ctx, as["authority"])
		if err != nil || len(ms) != len(synth.Datasets()) {
			t.Fatalf("mounts: %v %v", ms, err)
		}
		for _, m := range ms {
			// Synthetic identifiers are valid: a perfect score, no issue.
			if !m.Mounted || m.Version != 1 || m.Rows != 2000 || m.Quality != 100 || m.OpenIssues != 0 {
				t.Errorf("mount %s = %+v", m.Code, m)
			}
		}
		pop, _ := db.DomainEntryByCode(ctx, "ZW-GA-0001")
		if pop.Fields[0].Format != "citizen_id" || !pop.Fields[0].Unique {
			t.Fatalf("population id rule = %+v", pop.Fields[0])
		}
		p, err := v.Profile(ctx, "zw_ga_0001")
		if err != nil || p.Rows != 2000 {
			t.Fatalf("profile: %+v %v", p, err)
		}
		again, err := seedDomain(ctx, db, v, 2000)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range again {
			if !l.Skipped {
				t.Errorf("second seed reloaded %s", l.Dataset)
			}
		}
		if vs, _ := v.Versions(ctx, "zw_ga_0001"); len(vs) != 1 {
			t.Fatalf("versions after a second seed = %d", len(vs))
		}
	})
}

// BenchmarkSeedDomain_Full loads every demo dataset at its demo size
// (population 200,000 people…) as --demo does at start-up.
func BenchmarkSeedDomain_Full(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, clock := sqltest.Open(b, "sqlite")
		as := sqltest.Seed(b, db)
		domainCatalog(b, db, as["dept-gongan"])
		v, err := vault.Open(filepath.Join(b.TempDir(), "domain"), vault.Options{Now: clock.Now})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		loads, err := SeedDomain(context.Background(), db, v)
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		for _, l := range loads {
			rows += l.Rows
			b.Logf("%-20s %8d rows %v", l.Dataset, l.Rows, l.Took.Round(time.Millisecond))
		}
		b.ReportMetric(float64(rows), "rows")
		b.ReportMetric(time.Since(start).Seconds(), "s/seed")
		v.Close()
	}
}

// With the real demo catalog (its published entries and field types, e.g.
// "month" and "datetime"), every dataset mounts under its entry.
func TestSeedDomain_R10_2_DemoCatalogEntries(t *testing.T) {
	ctx := context.Background()
	db, clock := sqltest.Open(t, "sqlite")
	if _, err := Seed(ctx, db, DefaultPassword); err != nil {
		t.Fatal(err)
	}
	v := demoVault(t, t.TempDir(), clock)
	loads, err := seedDomain(ctx, db, v, 300)
	if err != nil {
		t.Fatal(err)
	}
	if len(loads) != len(DatasetEntryCodes) {
		t.Fatalf("loaded %+v, want every dataset", loads)
	}
	for _, l := range loads {
		e, err := db.DomainEntryByCode(ctx, l.Entry)
		if err != nil {
			t.Fatal(err)
		}
		cur, err := v.Current(ctx, e.VaultName)
		if err != nil || cur.Rows != 300 || cur.Quality != 100 {
			t.Errorf("%s (%s): %+v %v", l.Dataset, l.Entry, cur, err)
		}
	}
}
