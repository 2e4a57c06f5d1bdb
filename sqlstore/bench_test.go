package sqlstore_test

import (
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/audit"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// Benchmarks of the foundation's two costs, each reported as a ratio to a
// baseline measured in the same run, on the same disk and CPU, interleaved
// so that both see the same machine load (docs/performance.md):
//
//	go test ./sqlstore/ -run '^$' -bench 'AuditedWrite|BareCommit|VerifyFromDB' -benchtime 2000x
//
// Goals: durable audited writes ≥ 0.7 of bare SQLite commits; verification
// from the database ≥ 0.6 of bare SM3 over the same canonical bytes.

// proofBareSQLite opens a bare SQLite file with the store's durability
// pragmas (WAL, synchronous=FULL, IMMEDIATE transactions) and one table.
func proofBareSQLite(b *testing.B) *sql.DB {
	b.Helper()
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(15000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "bare.db")+"?"+q.Encode())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	return db
}

// proofBareCommit is one durable INSERT transaction.
func proofBareCommit(b *testing.B, db *sql.DB, i int) {
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO t (name, created_at) VALUES (?, ?)`, fmt.Sprintf("bare-%d", i), time.Now().UnixMicro()); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBareCommit is the baseline alone: one INSERT commit per op.
func BenchmarkBareCommit(b *testing.B) {
	db := proofBareSQLite(b)
	i := 0
	for b.Loop() {
		proofBareCommit(b, db, i)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "commits/s")
}

// BenchmarkAuditedWrite is one durable audited store write per op
// (CreateOrg: authorize, validate, insert, chained SM3 event, head update,
// one commit), interleaved with one bare commit per op on the same disk;
// it reports both rates and audited/bare as "ratio" (goal ≥ 0.7).
func BenchmarkAuditedWrite(b *testing.B) {
	db, _ := sqltest.Open(b, "sqlite")
	bare := proofBareSQLite(b)
	var tBare, tAudited time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		proofBareCommit(b, bare, i)
		t1 := time.Now()
		o := &shuyu.Org{Kind: shuyu.OrgMerchant, Name: fmt.Sprintf("基准测试公司%07d", i), Region: shuyu.RegionShapotou}
		if err := db.CreateOrg(ctx, shuyu.System, o); err != nil {
			b.Fatal(err)
		}
		tAudited += time.Since(t1)
		tBare += t1.Sub(t0)
		i++
	}
	b.ReportMetric(float64(i)/tAudited.Seconds(), "audited-writes/s")
	b.ReportMetric(float64(i)/tBare.Seconds(), "bare-commits/s")
	b.ReportMetric(tBare.Seconds()/tAudited.Seconds(), "ratio")
}

// BenchmarkAuditedWritePostgres is the same write on PostgreSQL, for the
// record (no bare baseline: the server's commit is the floor).
func BenchmarkAuditedWritePostgres(b *testing.B) {
	if len(sqltest.Backends(b)) < 2 {
		b.Skip("SHUYU_TEST_POSTGRES not set")
	}
	db, _ := sqltest.Open(b, "postgres")
	i := 0
	for b.Loop() {
		o := &shuyu.Org{Kind: shuyu.OrgMerchant, Name: fmt.Sprintf("基准测试公司%07d", i), Region: shuyu.RegionShapotou}
		if err := db.CreateOrg(ctx, shuyu.System, o); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "audited-writes/s")
}

const proofVerifyEvents = 100_000

// proofFillTrail writes n sealed events shaped like the platform's own
// straight into audit_events (the store would take minutes of fsyncs to
// write them one by one), with a signed checkpoint every 10,000.
func proofFillTrail(b *testing.B, db *sqlstore.DB, n int) {
	b.Helper()
	const batch, every = 500, 10_000
	t0 := sqltest.Start.UTC()
	var h audit.Hasher
	var prev []byte
	seq, written := int64(0), 0
	for written < n {
		tx, err := db.SQL().Begin()
		if err != nil {
			b.Fatal(err)
		}
		for k := 0; k < every/batch && written < n; k++ {
			var ph []string
			var args []any
			for j := 0; j < batch && written < n; j++ {
				seq++
				written++
				e := shuyu.Event{Seq: seq, Time: t0.Add(time.Duration(seq) * time.Second),
					ActorID: 1000 + seq%37, ActorName: fmt.Sprintf("merchant_%03d", seq%37), ActorRole: "merchant",
					ActorOrgID: 7 + seq%3, Action: "application.submit", ObjectType: "application",
					ObjectID: fmt.Sprintf("APP-2026-%06d", seq), Reason: "沙坡头区文旅客流分析场景申请",
					Detail:    fmt.Sprintf(`{"catalog_entries":[%d,%d],"fields":7,"term_days":365,"county":"640502"}`, seq%90, seq%90+1),
					RequestID: fmt.Sprintf("%016x", seq*7919), ClientIP: "10.64.5.21"}
				h.Seal(prev, &e)
				prev = e.Hash
				ph = append(ph, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				args = append(args, e.Seq, e.Time.UnixMicro(), e.ActorID, e.ActorName, e.ActorRole, e.ActorOrgID, e.Action,
					e.ObjectType, e.ObjectID, e.Reason, e.Detail, e.RequestID, e.ClientIP, e.PrevHash, e.Hash)
			}
			q := `INSERT INTO audit_events (seq, time, actor_id, actor_name, actor_role, actor_org_id, action,
				object_type, object_id, reason, detail, request_id, client_ip, prev_hash, hash) VALUES ` + strings.Join(ph, ", ")
			if _, err := tx.Exec(db.Rebind(q), args...); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := tx.Exec(db.Rebind(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`), seq, prev); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		// The checkpoint is itself an event; the chain continues from it.
		if _, err := db.Checkpoint(ctx, shuyu.System); err != nil {
			b.Fatal(err)
		}
		if err := db.SQL().QueryRow(`SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &prev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyFromDB runs db.VerifyAudit over a trail of 100,000 events
// (plus ten signed checkpoints, each an event), interleaved with bare SM3 over the canonical
// bytes of the same events, and reports verify/bare speed as "ratio" (goal
// ≥ 0.6).
func BenchmarkVerifyFromDB(b *testing.B) {
	// Not sqltest.Each: a benchmark is a *testing.B, and its backends run
	// one after the other so that neither times the other's load.
	for _, backend := range sqltest.Backends(b) {
		b.Run(backend, func(b *testing.B) {
			db, _ := sqltest.Open(b, backend)
			proofFillTrail(b, db, proofVerifyEvents)
			var enc [][]byte
			var total int64
			rows, err := db.SQL().Query(`SELECT seq, time, actor_id, actor_name, actor_role, actor_org_id, action, object_type,
				object_id, reason, detail, request_id, client_ip, prev_hash, hash FROM audit_events ORDER BY seq`)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
				var e shuyu.Event
				var us int64
				if err := rows.Scan(&e.Seq, &us, &e.ActorID, &e.ActorName, &e.ActorRole, &e.ActorOrgID, &e.Action, &e.ObjectType,
					&e.ObjectID, &e.Reason, &e.Detail, &e.RequestID, &e.ClientIP, &e.PrevHash, &e.Hash); err != nil {
					b.Fatal(err)
				}
				e.Time = proofMicros(us)
				c := audit.Canonical(nil, &e)
				enc = append(enc, c)
				total += int64(len(c))
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			var tBare, tVerify time.Duration
			var sink [sm3.Size]byte
			var rep audit.Report
			loops := 0
			for b.Loop() {
				loops++
				t0 := time.Now()
				for _, c := range enc {
					sink = sm3.Sum(c)
				}
				t1 := time.Now()
				rep, err = db.VerifyAudit(ctx, nil, nil)
				tVerify += time.Since(t1)
				tBare += t1.Sub(t0)
				if err != nil || !rep.OK || rep.Events != int64(len(enc)) {
					b.Fatalf("verify: %+v %v", rep, err)
				}
			}
			_ = sink
			b.ReportMetric(float64(len(enc)*loops)/tVerify.Seconds(), "events/s")
			b.ReportMetric(float64(len(enc)*loops)/tBare.Seconds(), "bare-sm3-events/s")
			b.ReportMetric(float64(total)/float64(len(enc)), "bytes/event")
			b.ReportMetric(tBare.Seconds()/tVerify.Seconds(), "ratio")
			b.ReportMetric(float64(rep.Checkpoints), "checkpoints")
		})
	}
}

// BenchmarkCheckpoint_PerEvent measures what a checkpoint adds to the
// writes it anchors: each round writes 1,000 audited changes (the default
// --checkpoint-events) through the store, then signs one checkpoint over
// them. It reports the checkpoint's time per anchored event and as a
// fraction of the time the 1,000 writes took in the same run ("ratio").
func BenchmarkCheckpoint_PerEvent(b *testing.B) {
	for _, backend := range sqltest.Backends(b) {
		b.Run(backend, func(b *testing.B) {
			db, _ := sqltest.Open(b, backend)
			const events = 1000
			var writes, cps time.Duration
			i := 0
			for b.Loop() {
				t0 := time.Now()
				for k := 0; k < events; k++ {
					o := &shuyu.Org{Kind: shuyu.OrgMerchant, Name: fmt.Sprintf("检查点基准公司%07d", i), Region: shuyu.RegionShapotou}
					if err := db.CreateOrg(ctx, shuyu.System, o); err != nil {
						b.Fatal(err)
					}
					i++
				}
				t1 := time.Now()
				if cp, err := db.Checkpoint(ctx, shuyu.System); err != nil || cp == nil {
					b.Fatalf("checkpoint: %v", err)
				}
				writes, cps = writes+t1.Sub(t0), cps+time.Since(t1)
			}
			rounds := float64(i / events)
			b.ReportMetric(float64(cps.Microseconds())/rounds, "checkpoint-µs")
			b.ReportMetric(float64(cps.Microseconds())/rounds/events, "µs/event")
			b.ReportMetric(float64(writes.Microseconds())/rounds/events, "write-µs/event")
			b.ReportMetric(cps.Seconds()/writes.Seconds(), "ratio")
		})
	}
}
