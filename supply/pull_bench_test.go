package supply

import (
	"context"
	"database/sql/driver"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"

	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/vault"
)

// BenchmarkPull_PostgresVsCopy pulls a PostgreSQL table of
// SHUYU_BENCH_PULL_ROWS rows (default 200000) into a new domain version —
// connect, COPY out, decode, convert, SM3 once, the hand-over check,
// DuckDB's appender, quality rules, atomic switch, store records — and, in
// the same run, times
// `psql -c "COPY … TO STDOUT"` of the same table into /dev/null as the
// baseline (docs/performance.md §9). Reported: rows/s of both and their
// ratio, and two floors timed in the same run, each as the ratio the pull
// would reach if it took only that long: stage_floor_ratio, the same rows
// written from memory through vault.StageRows (conversion, SM3, hand-over,
// appender; no source, no decoding), and append_floor_ratio, the same rows,
// already typed, through DuckDB's bare appender in one transaction. The
// pull does strictly more work than either, so neither ratio can be beaten
// on the same machine at the same moment (SHUYU_BENCH_PULL_FLOORS=0 leaves
// them out, to profile the pull alone). pull_cpu_s is the CPU time of this
// process (Go and DuckDB's threads) during the pull, per pull.
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
	floors := os.Getenv("SHUYU_BENCH_PULL_FLOORS") != "0" // 0: the pull alone, for a profile
	var copyTime, pullTime, stageTime, appendTime, pullCPU time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		cmd := exec.Command(psql, u, "-X", "-q", "-c", "COPY (SELECT * FROM public.qzk_company) TO STDOUT WITH (FORMAT csv)")
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("psql: %v", err)
		}
		copyTime += time.Since(start)

		start, cpu := time.Now(), processCPU()
		_, p, err := w.svc.RunPull(ctx, w.dept, s.ID, sqlstore.PullByHand)
		if err != nil {
			b.Fatal(err)
		}
		p.Wait(ctx)
		pullTime += time.Since(start)
		pullCPU += processCPU() - cpu
		runs, _ := w.db.PullRuns(ctx, w.dept, s.ID, 1)
		if runs[0].Status != sqlstore.PullRunDone || runs[0].VersionRows != int64(n) {
			b.Fatalf("pull: %+v", runs[0])
		}

		if !floors {
			continue
		}
		// The floors' rows are made after the timed pull and let go
		// before the next iteration, so neither psql's COPY nor the pull
		// shares the machine with their making or their garbage collection.
		b.StopTimer()
		rows := benchRows(n)
		runtime.GC()
		b.StartTimer()
		start = time.Now()
		stageFloor(b, w.v, rows)
		stageTime += time.Since(start)

		start = time.Now()
		appendFloor(b, w.v, rows)
		appendTime += time.Since(start)
		b.StopTimer()
		runtime.GC() // rows is dead here
		b.StartTimer()
	}
	b.StopTimer()
	copyRate := float64(n*b.N) / copyTime.Seconds()
	pullRate := float64(n*b.N) / pullTime.Seconds()
	b.ReportMetric(copyRate, "copy_rows/s")
	b.ReportMetric(pullRate, "pull_rows/s")
	b.ReportMetric(pullRate/copyRate, "ratio")
	if floors {
		b.ReportMetric(copyTime.Seconds()/stageTime.Seconds(), "stage_floor_ratio")
		b.ReportMetric(copyTime.Seconds()/appendTime.Seconds(), "append_floor_ratio")
	}
	b.ReportMetric(pullCPU.Seconds()/float64(b.N), "pull_cpu_s")
}

// benchFloorRows are the benchmark table's rows held in memory: as the
// text COPY sends (the session's time zone is Asia/Shanghai) and typed as
// the entry's columns.
type benchFloorRows struct {
	text  []byte
	ends  []int32 // end of each value in text, 5 per row
	names []string
}

func benchRows(n int) *benchFloorRows {
	r := &benchFloorRows{text: make([]byte, 0, 80*n), ends: make([]int32, 0, 5*n), names: make([]string, n)}
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		r.names[i-1] = "中卫市第" + strconv.Itoa(i) + "商贸有限公司"
		r.text = strconv.AppendInt(r.text, int64(i), 10)
		r.ends = append(r.ends, int32(len(r.text)))
		r.text = append(r.text, r.names[i-1]...)
		r.ends = append(r.ends, int32(len(r.text)))
		r.text = append(strconv.AppendInt(r.text, int64(100+i%100000), 10), ".00"...)
		r.ends = append(r.ends, int32(len(r.text)))
		if i%3 != 0 {
			r.text = append(r.text, 't')
		} else {
			r.text = append(r.text, 'f')
		}
		r.ends = append(r.ends, int32(len(r.text)))
		r.text = base.Add(time.Duration(i)*time.Second).AppendFormat(r.text, "2006-01-02 15:04:05")
		r.ends = append(r.ends, int32(len(r.text)))
	}
	return r
}

var benchFloorSpec = vault.Spec{Entry: "bench_floor", Columns: []vault.Column{
	{Name: "id", Type: vault.TypeInteger}, {Name: "name", Type: vault.TypeString},
	{Name: "capital", Type: vault.TypeDecimal}, {Name: "active", Type: vault.TypeBoolean},
	{Name: "updated_at", Type: vault.TypeTimestamp}}}

// stageFloor writes the rows from memory through vault.StageRows, as a
// pull's decoder would, and discards the staged table.
func stageFloor(b *testing.B, d *vault.Domain, r *benchFloorRows) {
	st, err := d.StageRows(context.Background(), benchFloorSpec, vault.LoadOptions{}, func(ctx context.Context, w *vault.RowWriter) error {
		start := int32(0)
		for i, end := range r.ends {
			w.Value(r.text[start:end])
			start = end
			if i%5 == 4 {
				if err := w.EndRow(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if st.Rows() != int64(len(r.names)) {
		b.Fatalf("stage floor: %d rows", st.Rows())
	}
	st.Remove()
}

// appendFloor appends the rows, typed, through DuckDB's appender into a
// scratch table of the domain in one transaction, and drops it.
func appendFloor(b *testing.B, d *vault.Domain, r *benchFloorRows) {
	ctx := context.Background()
	conn, err := d.Locked(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "CREATE TABLE bench_append_floor (id BIGINT, name VARCHAR, capital DECIMAL(18,6), active BOOLEAN, updated_at TIMESTAMP)"); err != nil {
		b.Fatal(err)
	}
	defer conn.ExecContext(ctx, "DROP TABLE bench_append_floor")
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		b.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppender(dc.(driver.Conn), "", "", "bench_append_floor")
		if err != nil {
			return err
		}
		for i := 1; i <= len(r.names); i++ {
			if err := a.AppendRow(int64(i), r.names[i-1], int64(100+i%100000)*1000000, i%3 != 0,
				base.Add(time.Duration(i)*time.Second)); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		b.Fatal(err)
	}
}

// processCPU is this process's user and system CPU time so far.
func processCPU() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
