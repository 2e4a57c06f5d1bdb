package supply

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// BenchmarkPull_PostgresVsCopy pulls a PostgreSQL table of
// SHUYU_BENCH_PULL_ROWS rows (default 200000) into a new domain version —
// connect, COPY out, decode, convert, SM3 on both sides of the hand-over,
// DuckDB's appender, quality rules, atomic switch, store records — and, in
// the same run, times
// `psql -c "COPY … TO STDOUT"` of the same table into /dev/null as the
// baseline (docs/performance.md, "Pulls"). Reported: rows/s of both and
// their ratio.
//
//	SHUYU_TEST_POSTGRES=… go test ./supply -run '^$' -bench Pull_PostgresVsCopy -benchtime 1x
func BenchmarkPull_PostgresVsCopy(b *testing.B) {
	if os.Getenv("SHUYU_TEST_POSTGRES") == "" {
		b.Skip("SHUYU_TEST_POSTGRES not set")
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		b.Skip("no psql")
	}
	n := 200000
	if v, err := strconv.Atoi(os.Getenv("SHUYU_BENCH_PULL_ROWS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	u := sqltest.FreshPostgres(b)
	src, err := pgx.Connect(ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close(ctx)
	if _, err := src.Exec(ctx, `CREATE TABLE qzk_company (id bigint PRIMARY KEY, name text, capital numeric(18,2), active boolean, updated_at timestamptz)`); err != nil {
		b.Fatal(err)
	}
	if _, err := src.Exec(ctx, `INSERT INTO qzk_company SELECT i, '中卫市第' || i || '商贸有限公司', 100 + i % 100000, i % 3 <> 0,
		timestamptz '2026-03-01 08:00:00+08' + i * interval '1 second' FROM generate_series(1, $1) i`, n); err != nil {
		b.Fatal(err)
	}
	src.Exec(ctx, "VACUUM ANALYZE qzk_company")
	_, cfg := pgSourceDBFrom(b, u)
	env := sqltest.Seeded(b, "sqlite")
	w, _ := newPullWorld(b, env)
	c := cfg
	c.Table, c.Mode, c.Key = "public.qzk_company", sqlstore.PullSnapshot, []string{"id"}
	s, err := w.svc.RegisterPullSource(ctx, w.dept, w.entry, sqlstore.PullSourceInput{Name: "基准", Kind: sqlstore.PullPostgres,
		Secret: "x", Config: c})
	if err != nil {
		b.Fatal(err)
	}
	var copyTime, pullTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		cmd := exec.Command(psql, u, "-X", "-q", "-c", "COPY (SELECT * FROM public.qzk_company) TO STDOUT WITH (FORMAT csv)")
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("psql: %v", err)
		}
		copyTime += time.Since(start)

		start = time.Now()
		_, p, err := w.svc.RunPull(ctx, w.dept, s.ID, sqlstore.PullByHand)
		if err != nil {
			b.Fatal(err)
		}
		p.Wait(ctx)
		pullTime += time.Since(start)
		runs, _ := w.db.PullRuns(ctx, w.dept, s.ID, 1)
		if runs[0].Status != sqlstore.PullRunDone || runs[0].VersionRows != int64(n) {
			b.Fatalf("pull: %+v", runs[0])
		}
	}
	b.StopTimer()
	copyRate := float64(n*b.N) / copyTime.Seconds()
	pullRate := float64(n*b.N) / pullTime.Seconds()
	b.ReportMetric(copyRate, "copy_rows/s")
	b.ReportMetric(pullRate, "pull_rows/s")
	b.ReportMetric(pullRate/copyRate, "ratio")
}
