package workspace

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"shuyu"
	"shuyu/workspace/wstest"
)

// The governed-query benchmarks of docs/performance.md (issue 10, item 8):
// a whole governed query — authorization, parse, check, the anonymizing
// statement, and the audited record of the query in the store — against the
// same question asked of the raw DuckDB connection over the same tables in
// the same run.
//
//	go test ./workspace -run '^$' -bench 'Governed' -benchtime 20x -timeout 30m

type benchQuery struct{ name, governed, raw string }

// benchMix is five interactive questions over the demo-sized tables:
// single-table group-bys on persons and on settlements, a join with avg
// and median, and a per-person pre-aggregation.
var benchMix = []benchQuery{
	{"county_count",
		"SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county",
		"SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county"},
	{"visits_by_diagnosis",
		"SELECT diagnosis_category, count(*) AS visits FROM zw_yb_0001 GROUP BY diagnosis_category",
		"SELECT diagnosis_category, count(*) AS visits FROM zw_yb_0001 GROUP BY diagnosis_category"},
	{"avg_by_hospital",
		"SELECT hospital, avg(total_amount) AS a FROM zw_yb_0001 GROUP BY hospital",
		"SELECT hospital, avg(total_amount) AS a FROM zw_yb_0001 GROUP BY hospital"},
	{"join_avg_median_by_gender",
		"SELECT p.gender, avg(s.total_amount) AS a, median(s.total_amount) AS m FROM zw_yb_0001 s JOIN zw_ga_0001 p ON s.id_number = p.id_number GROUP BY p.gender",
		"SELECT p.gender, avg(s.total_amount) AS a, median(s.total_amount) AS m FROM zw_yb_0001 s JOIN zw_ga_0001 p ON s.id_number = p.id_number GROUP BY p.gender"},
	{"visits_per_person",
		"SELECT visits, count(*) AS persons FROM (SELECT id_number, count(*) AS visits FROM zw_yb_0001 GROUP BY id_number) t GROUP BY visits",
		"SELECT visits, count(*) AS persons FROM (SELECT id_number, count(*) AS visits FROM zw_yb_0001 GROUP BY id_number) t GROUP BY visits"},
}

func benchService(b *testing.B, n int) (*wstest.Fixture, *Service, *shuyu.Workspace) {
	b.Helper()
	f := wstest.New(b, "sqlite", n)
	ws := f.Open(b)
	svc := New(f.DB, f.Vault, f.Dir, f.Clock.Now)
	b.Cleanup(func() { svc.Close() })
	return f, svc, ws
}

// BenchmarkGovernedVsRaw alternates raw and governed runs of each question
// and reports each question's ratio of medians and their geometric mean,
// twice: "cold" asks each round in a spelling never asked before (a comment
// with the round's number), so the engine computes it; "warm" asks the same
// text again, which the answer cache serves (answercache.go).
func BenchmarkGovernedVsRaw(b *testing.B) {
	ctx := context.Background()
	f, svc, ws := benchService(b, 200_000)
	actor := f.Actors["merchant-a"]
	conn, err := f.Vault.Locked(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	raw := make([][]time.Duration, len(benchMix))
	cold := make([][]time.Duration, len(benchMix))
	warm := make([][]time.Duration, len(benchMix))
	round := 0
	governed := func(sqlText string) time.Duration {
		t0 := time.Now()
		res, err := svc.Query(ctx, actor, ws.ID, sqlText, shuyu.DataReal)
		if err != nil || res.Status != "released" {
			b.Fatalf("%s: %v %+v", sqlText, err, res)
		}
		return time.Since(t0)
	}
	run := func(i int) {
		q := benchMix[i]
		t0 := time.Now()
		rows, err := conn.QueryContext(ctx, q.raw)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
		raw[i] = append(raw[i], time.Since(t0))
		round++
		cold[i] = append(cold[i], governed(fmt.Sprintf("/* round %d */ %s", round, q.governed)))
		warm[i] = append(warm[i], governed(q.governed))
	}
	for i := range benchMix { // warm both paths once
		run(i)
	}
	for i := range raw {
		raw[i], cold[i], warm[i] = nil, nil, nil
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i := range benchMix {
			run(i)
		}
	}
	b.StopTimer()
	logCold, logWarm := 0.0, 0.0
	for i, q := range benchMix {
		r, c, w := median(raw[i]), median(cold[i]), median(warm[i])
		logCold += math.Log(float64(c) / float64(r))
		logWarm += math.Log(float64(w) / float64(r))
		b.ReportMetric(float64(r.Microseconds())/1000, q.name+"_raw_ms")
		b.ReportMetric(float64(c.Microseconds())/1000, q.name+"_cold_ms")
		b.ReportMetric(float64(w.Microseconds())/1000, q.name+"_warm_ms")
	}
	b.ReportMetric(math.Exp(logCold/float64(len(benchMix))), "geomean_ratio_cold")
	b.ReportMetric(math.Exp(logWarm/float64(len(benchMix))), "geomean_ratio_warm")
}

// BenchmarkGovernedConcurrentCounts runs 50 merchant sessions, five in
// each of ten workspaces, asking governed counts at once, and reports the
// latency percentiles: "cold" with each asking in a spelling never asked
// before (computed by the engine), "warm" with the same question asked
// again (served by the answer cache, still authorized and recorded).
func BenchmarkGovernedConcurrentCounts(b *testing.B) {
	ctx := context.Background()
	f, svc, first := benchService(b, 200_000)
	actor := f.Actors["merchant-a"]
	wss := []*shuyu.Workspace{first}
	for i := 1; i < 10; i++ {
		ws, err := f.DB.OpenWorkspace(ctx, f.Actors["operator-admin"], shuyu.WorkspaceGrant{
			OrgID: actor.OrgID, Name: fmt.Sprintf("并发会话 %d", i), StartsAt: wstest.Now, EndsAt: wstest.Now.AddDate(1, 0, 0),
			Entries: []shuyu.GrantEntry{{EntryCode: wstest.PopulationCode}, {EntryCode: wstest.MedicalCode}}})
		if err != nil {
			b.Fatal(err)
		}
		wss = append(wss, ws)
	}
	const sessions = 50
	q := "SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county"
	for _, ws := range wss { // the warm question, once per workspace
		if _, err := svc.Query(ctx, actor, ws.ID, q, shuyu.DataReal); err != nil {
			b.Fatal(err)
		}
	}
	round := 0
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			var mu sync.Mutex
			var lat []time.Duration
			for n := 0; n < b.N; n++ {
				round++
				var wg sync.WaitGroup
				for s := 0; s < sessions; s++ {
					wg.Add(1)
					ws := wss[s%len(wss)]
					sqlText := q
					if mode == "cold" {
						sqlText = fmt.Sprintf("/* round %d session %d */ %s", round, s, q)
					}
					go func() {
						defer wg.Done()
						t0 := time.Now()
						res, err := svc.Query(ctx, actor, ws.ID, sqlText, shuyu.DataReal)
						d := time.Since(t0)
						if err != nil || res.Status != "released" {
							b.Errorf("%v %+v", err, res)
							return
						}
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}()
				}
				wg.Wait()
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			if len(lat) == 0 {
				b.Fatal("no query answered")
			}
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95_ms")
		})
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
