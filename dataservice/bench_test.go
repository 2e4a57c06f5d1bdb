package dataservice

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"shuyu"
	"shuyu/workspace"
	"shuyu/workspace/wstest"
)

// The API-service benchmark of docs/performance.md (issue 17): one
// enterprise verification call end to end — parameter validation, key
// authentication, rate, quota and per-subject limits, suspension check, the
// governed answer inside the domain, and the audited, metered record, in
// one durable SQLite transaction — against the same lookup on the raw
// DuckDB connection in the same run (one pass by the key index). Serial p50s and their ratio, then
// calls/s with GOMAXPROCS callers in parallel.
//
//	go test ./dataservice -run '^$' -bench ServiceCall -benchtime 2000x -timeout 30m
func BenchmarkServiceCall(b *testing.B) {
	const enterprises = 20_000
	f := wstest.New(b, "sqlite", 100)
	f.AddEntry(b, wstest.EnterpriseCode, wstest.EnterpriseTable, "enterprise", "企业登记信息", shuyu.GradeGeneral, enterprises)
	ws, err := f.DB.OpenWorkspace(ctx, f.Actors["operator-admin"], shuyu.WorkspaceGrant{
		OrgID: f.Actors["merchant-a"].OrgID, Name: "核验", StartsAt: wstest.Now, EndsAt: wstest.Now.AddDate(1, 0, 0),
		Entries: []shuyu.GrantEntry{{EntryCode: wstest.EnterpriseCode}}})
	if err != nil {
		b.Fatal(err)
	}
	ver := &DemoVerifier{}
	svc := New(f.DB, f.Vault, workspace.New(f.DB, f.Vault, "", f.Clock.Now), ver, f.Clock.Now)
	in := enterpriseService(ws.ID)
	in.QuotaDay, in.RateMinute, in.SubjectDay = 10_000_000, 1_000_000, 10
	s, err := svc.Define(ctx, f.Actors["merchant-a"], in)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Request(ctx, f.Actors["merchant-a"], s.ID); err != nil {
		b.Fatal(err)
	}
	if _, err := f.DB.FileService(ctx, f.Actors["authority"], s.ID, ""); err != nil {
		b.Fatal(err)
	}
	var keys []string
	for range 8 {
		k, err := f.DB.IssueServiceKey(ctx, f.Actors["merchant-b"], s.ID, "")
		if err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k.Secret)
	}
	rows := f.Raw[wstest.EnterpriseTable][1:]
	conn, err := f.Vault.Locked(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var view string
	for _, g := range ws.Grants {
		view = g.VaultName
	}
	// The baseline is the best the raw connection does: one pass over the
	// subject's rows found by the same key index the service uses (the
	// first call below builds it).
	rawSQL := fmt.Sprintf(`SELECT coalesce(bool_or(name = ?), false), max(status) FROM %q WHERE uscc = ?`, view)
	next := atomic.Int64{}
	call := func(k string) time.Duration {
		i := int(next.Add(1)) % len(rows)
		t0 := time.Now()
		if _, err := svc.Call(context.Background(), k, s.ID, map[string]string{"uscc": rows[i][0], "name": rows[i][1]}); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	raw := func() time.Duration {
		i := int(next.Add(1)) % len(rows)
		t0 := time.Now()
		var m bool
		var st string
		if err := conn.QueryRowContext(ctx, rawSQL, rows[i][1], rows[i][0]).Scan(&m, &st); err != nil || !m {
			b.Fatal("raw lookup:", err, m)
		}
		return time.Since(t0)
	}
	call(keys[0]) // compile and cache the template
	var gov, base []time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		base = append(base, raw())
		gov = append(gov, call(keys[n%len(keys)]))
	}
	b.StopTimer()
	p50 := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2].Microseconds()) / 1000
	}
	g, r := p50(gov), p50(base)
	b.ReportMetric(g, "call-p50-ms")
	b.ReportMetric(r, "raw-p50-ms")
	b.ReportMetric(g/r, "ratio")
	// Throughput: callers shared out over the keys, for two seconds each,
	// with the process's CPU time (user + system) per call: on a shared
	// machine the wall time depends on the other processes.
	for _, callers := range []int{8, 32} {
		var done atomic.Int64
		var wg sync.WaitGroup
		b0, c0 := f.DB.CallBatches()
		cpu0 := cpuTime()
		t0 := time.Now()
		stop := t0.Add(2 * time.Second)
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					call(keys[i%len(keys)])
					done.Add(1)
				}
			}()
		}
		wg.Wait()
		wall := time.Since(t0)
		cpu := cpuTime() - cpu0
		b1, c1 := f.DB.CallBatches()
		n := float64(done.Load())
		b.ReportMetric(n/wall.Seconds(), fmt.Sprintf("calls/s-%d", callers))
		b.ReportMetric(float64(cpu.Microseconds())/1000/n, fmt.Sprintf("cpu-ms/call-%d", callers))
		b.ReportMetric(float64(c1-c0)/float64(max(b1-b0, 1)), fmt.Sprintf("calls/batch-%d", callers))
	}
	cpuRaw := cpuTime()
	start := time.Now()
	stopRaw := start.Add(2 * time.Second)
	var rawDone int64
	for time.Now().Before(stopRaw) {
		raw()
		rawDone++
	}
	b.ReportMetric(float64(rawDone)/time.Since(start).Seconds(), "raw-serial-lookups/s")
	b.ReportMetric(float64((cpuTime()-cpuRaw).Microseconds())/1000/float64(rawDone), "raw-cpu-ms/lookup")
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
