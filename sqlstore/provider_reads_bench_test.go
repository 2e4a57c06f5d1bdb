package sqlstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// BenchmarkProviderReads_R6_3 measures what recording an acting provider's
// request costs (docs/performance.md §13). Each op runs, interleaved so
// that all see the same machine load: 32 concurrent ActFor (each records
// its request; the records are group-committed), the same 32 without the
// record (sqlstore.ActingActorUnrecorded: the delegation checks alone), and
// 32 bare durable SQLite commits one after the other (WAL,
// synchronous=FULL: the price of recording each request in a transaction of
// its own). The record's cost per request is the difference of the first
// two; it is reported as a ratio to one bare commit. Then one request alone,
// with and without its record: the latency the record adds when nothing
// else arrives (its batch waits readGather, then commits). records/batch
// counts the concurrent rounds' batches only.
//
//	go test ./sqlstore/ -run '^$' -bench ProviderReads -benchtime 200x
//
// Goal: with 32 concurrent requests the record costs less per request than
// one bare commit (ratio < 1).
func BenchmarkProviderReads_R6_3(b *testing.B) {
	env := sqltest.Seeded(b, "sqlite")
	db, a := env.DB, env.Actors
	g, err := db.CreateDelegation(ctx, a["merchant-a"], shuyu.DelegationInput{ProviderOrgID: a["provider"].OrgID,
		Tasks: []shuyu.DelegationTask{shuyu.TaskSimQuery}, From: delegationDay(env, 0), To: delegationDay(env, 30)})
	if err != nil {
		b.Fatal(err)
	}
	bare := proofBareSQLite(b)
	prov := a["provider"]
	const callers = 32
	round := func(f func(k int)) time.Duration {
		t0 := time.Now()
		var wg sync.WaitGroup
		for k := range callers {
			wg.Add(1)
			go func() { defer wg.Done(); f(k) }()
		}
		wg.Wait()
		return time.Since(t0)
	}
	var tRecorded, tUnrecorded, tBare, tAlone, tAloneUnrec time.Duration
	i := 0
	b0, r0 := db.ProviderReadBatches()
	for b.Loop() {
		tRecorded += round(func(k int) {
			if _, err := db.ActFor(ctx, prov, g.ID, sqlstore.ActingRequest{Method: "GET", Path: fmt.Sprintf("/workspaces/1?i=%d", i*callers+k)}); err != nil {
				b.Error(err)
			}
		})
		tUnrecorded += round(func(int) {
			if _, err := sqlstore.ActingActorUnrecorded(ctx, db, prov, g.ID); err != nil {
				b.Error(err)
			}
		})
		t0 := time.Now()
		if _, err := db.ActFor(ctx, prov, g.ID, sqlstore.ActingRequest{Method: "GET", Path: "/workspaces"}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := sqlstore.ActingActorUnrecorded(ctx, db, prov, g.ID); err != nil {
			b.Fatal(err)
		}
		tAlone += t1.Sub(t0)
		tAloneUnrec += time.Since(t1)
		t0 = time.Now()
		for k := range callers {
			proofBareCommit(b, bare, i*callers+k)
		}
		tBare += time.Since(t0)
		i++
	}
	b1, r1 := db.ProviderReadBatches()
	n := float64(i * callers)
	rec, unrec, bc := float64(tRecorded.Nanoseconds())/n, float64(tUnrecorded.Nanoseconds())/n, float64(tBare.Nanoseconds())/n
	b.ReportMetric(rec/1e3, "µs/req-recorded")
	b.ReportMetric(unrec/1e3, "µs/req-unrecorded")
	b.ReportMetric(bc/1e3, "µs/bare-commit")
	b.ReportMetric((rec-unrec)/bc, "record/bare-commit")
	b.ReportMetric(float64(r1-r0-int64(i))/float64(b1-b0-int64(i)), "records/batch")
	b.ReportMetric(float64((tAlone-tAloneUnrec).Nanoseconds())/float64(i)/1e3, "µs-added-alone")
}
