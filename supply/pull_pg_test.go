package supply

import (
	"context"
	"fmt"
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
		if run.Status != sqlstore.PullRunFailed || run.ErrorKind != sqlstore.PullErrMapping || !strings.Contains(run.ErrorMessage, "缺少 capital") ||
			!strings.Contains(run.ErrorMessage, "多出 capital_old") {
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

// Values that COPY's text format escapes (tab, newline, carriage return,
// backslash) arrive unchanged, NULL and the empty string arrive as NULL (as
// in an uploaded CSV), a source row count of 20,000 spans several appender
// batches, and a value of the wrong type refuses the pull with its row
// while the previous version stays current (issue 18; R10.1).
func TestPull_R10_1_PostgresEscapesBatchesAndBadValue(t *testing.T) {
	u, cfg := pgSourceDB(t)
	ctx := context.Background()
	src, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close(context.Background()) })
	for _, q := range []string{
		`CREATE TABLE qzk_text (id bigint PRIMARY KEY, name text, capital text, active boolean, updated_at timestamp)`,
		`INSERT INTO qzk_text SELECT i, '公司' || i, (i * 1.5)::text, i % 2 = 0, timestamp '2026-03-01 08:00:00' + i * interval '1 second'
			FROM generate_series(1, 20000) i`,
		`UPDATE qzk_text SET name = E'制表\t换行\n回车\r反斜杠\\ 引号"''' WHERE id = 1`,
		`UPDATE qzk_text SET name = NULL WHERE id = 2`,
		`UPDATE qzk_text SET name = '' WHERE id = 3`,
		`UPDATE qzk_text SET capital = ' 12.5 ' WHERE id = 4`,
	} {
		if _, err := src.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	env := sqltest.Seeded(t, "sqlite")
	w, _ := newPullWorld(t, env)
	c := cfg
	// A query source with an order, so that row numbers are the ids.
	c.Query, c.Mode, c.Key = "SELECT * FROM public.qzk_text ORDER BY id", sqlstore.PullSnapshot, []string{"id"}
	s, err := w.svc.RegisterPullSource(ctx, w.dept, w.entry, sqlstore.PullSourceInput{Name: "文本前置库",
		Kind: sqlstore.PullPostgres, Secret: "x", Config: c})
	if err != nil {
		t.Fatal(err)
	}
	run := w.pull(t, s.ID)
	if run.Status != sqlstore.PullRunDone || run.SourceRows != 20000 || run.VersionRows != 20000 || !run.Reconciled {
		t.Fatalf("pull: %+v", run)
	}
	_, rows, _, err := w.v.Preview(ctx, "zw_sc_0001", 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][1] != "制表\t换行\n回车\r反斜杠\\ 引号\"'" || rows[1][1] != nil || rows[2][1] != nil || fmt.Sprint(rows[3][2]) != "12.5" {
		t.Fatalf("first rows: %q", rows)
	}
	before := w.current(t)

	if _, err := src.Exec(ctx, `UPDATE qzk_text SET capital = '十二万' WHERE id = 15000`); err != nil {
		t.Fatal(err)
	}
	run = w.pull(t, s.ID)
	if run.Status != sqlstore.PullRunFailed || run.ErrorKind != sqlstore.PullErrQuality {
		t.Fatalf("bad value: %+v", run)
	}
	job, err := w.db.SupplyJob(ctx, w.dept, run.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if len(job.Errors) != 1 || job.Errors[0].Row != 15000 || job.Errors[0].Column != "capital" || strings.Contains(fmt.Sprint(job.Errors), "十二万") {
		t.Fatalf("job errors: %+v", job.Errors)
	}
	if after := w.current(t); after.N != before.N {
		t.Fatalf("failed pull switched the version: %d → %d", before.N, after.N)
	}
}
