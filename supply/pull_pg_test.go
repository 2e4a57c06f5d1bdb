package supply

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// A PostgreSQL front-end database: a first full pull, an incremental pull
// by watermark that upserts changed rows by key, and a source column
// dropped, which fails with a mapping error naming it while the previous
// version stays current (issue 18; R10.1, R10.2).
func TestPull_R10_1_PostgresFullIncrementalDroppedColumn(t *testing.T) {
	u, cfg := pgSourceDB(t)
	src, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close(context.Background()) })
	var srcMu sync.Mutex
	exec := func(t *testing.T, q string, args ...any) {
		t.Helper()
		srcMu.Lock()
		defer srcMu.Unlock()
		if _, err := src.Exec(context.Background(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(t, `CREATE TABLE qzk_company (id bigint PRIMARY KEY, name text, capital numeric(18,2), active boolean, updated_at timestamptz)`)
	exec(t, `INSERT INTO qzk_company SELECT i, '中卫市第' || i || '商贸有限公司', 100 + i, i % 3 <> 0,
		timestamptz '2026-03-01 08:00:00+08' + i * interval '1 minute' FROM generate_series(1, 500) i`)
	var mu chan struct{} = make(chan struct{}, 1) // the backends share the source table: one at a time
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		mu <- struct{}{}
		defer func() { <-mu }()
		w, _ := newPullWorld(t, env)
		ctx := context.Background()
		c := cfg
		c.Table, c.Mode, c.Watermark, c.Key = "public.qzk_company", sqlstore.PullIncremental, "updated_at", []string{"id"}
		s, err := w.svc.RegisterPullSource(ctx, w.dept, w.entry, sqlstore.PullSourceInput{Name: "市场监管前置库",
			Kind: sqlstore.PullPostgres, Secret: "trust-but-sealed", Config: c})
		if err != nil {
			t.Fatalf("register: %v", err)
		}
		run := w.pull(t, s.ID)
		if run.Status != sqlstore.PullRunDone || run.SourceRows != 500 || run.VersionRows != 500 || !run.Reconciled ||
			run.WatermarkTo == "" {
			t.Fatalf("first pull: %+v", run)
		}
		// Five rows change and two arrive: the next pull reads only those.
		exec(t, `UPDATE qzk_company SET name = name || '（变更）', updated_at = now() WHERE id <= 5`)
		exec(t, `INSERT INTO qzk_company VALUES (501, '新设公司甲', 10, true, now()), (502, '新设公司乙', 20, false, now())`)
		defer exec(t, `DELETE FROM qzk_company WHERE id > 500`)
		defer exec(t, `UPDATE qzk_company SET name = replace(name, '（变更）', ''),
			updated_at = timestamptz '2026-03-01 08:00:00+08' + id * interval '1 minute' WHERE id <= 5`)
		run = w.pull(t, s.ID)
		if run.Status != sqlstore.PullRunDone || run.PulledRows != 7 || run.LoadedRows != 7 || run.VersionRows != 502 || !run.Reconciled {
			t.Fatalf("incremental pull: %+v", run)
		}
		changed := 0
		for _, r := range w.rows(t) {
			if strings.Contains(r, "（变更）") {
				changed++
			}
		}
		if changed != 5 {
			t.Fatalf("changed rows in the domain: %d", changed)
		}
		// Nothing new: the pull reads nothing and the version holds the same rows.
		run = w.pull(t, s.ID)
		if run.Status != sqlstore.PullRunDone || run.PulledRows != 0 || run.VersionRows != 502 {
			t.Fatalf("empty incremental pull: %+v", run)
		}
		before := w.current(t)
		// The department renames a column away: a mapping error naming
		// the field, and the version stays.
		exec(t, `ALTER TABLE qzk_company RENAME COLUMN capital TO capital_old`)
		defer exec(t, `ALTER TABLE qzk_company RENAME COLUMN capital_old TO capital`)
		run = w.pull(t, s.ID)
		if run.Status != sqlstore.PullRunFailed || run.ErrorKind != sqlstore.PullErrMapping || !strings.Contains(run.ErrorMessage, "不符") {
			t.Fatalf("dropped column: %+v", run)
		}
		job, err := w.db.SupplyJob(ctx, w.dept, run.JobID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range job.Errors {
			found = found || e.Column == "capital"
		}
		if !found {
			t.Fatalf("the job does not name the missing field: %+v", job.Errors)
		}
		if after := w.current(t); after.N != before.N {
			t.Fatalf("failed pull switched the version: %d → %d", before.N, after.N)
		}
	})
}
