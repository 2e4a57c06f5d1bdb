package sqlstore_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"shuyu"
	"shuyu/audit"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// The database-assembled encoding must be byte for byte what audit.Canonical
// makes of the columns a reader sees (R27.1, R28.1): otherwise the fast path
// would hash something other than what is displayed.
func TestAuditRead_R28_1_SQLEncodingEqualsCanonical(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		// Awkward content: empty reason, multi-byte text, quotes, NUL-free
		// but long detail, negative and large integers.
		o := &shuyu.Org{Kind: shuyu.OrgMerchant, Name: "宁夏\"沙坡头\"数据'科技'有限公司", Region: shuyu.RegionShapotou}
		if err := db.CreateOrg(ctx, a["secadmin"], o); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Checkpoint(ctx, shuyu.System); err != nil {
			t.Fatal(err)
		}
		evs := proofRows(t, db)
		// A forged row with extreme integers, inserted after the trail.
		last := evs[len(evs)-1]
		odd := last
		odd.Seq, odd.ActorID, odd.ActorOrgID = last.Seq+1, -1, 1<<62
		odd.Time = proofMicros(-5)
		odd.Reason, odd.Detail, odd.ClientIP = "", string(bytes.Repeat([]byte("数"), 5000)), "::1"
		audit.Seal(last.Hash, &odd)
		proofInsert(t, db, &odd)
		evs = append(evs, odd)

		enc, hash, err := sqlstore.AuditReadEncodings(ctx, db)
		if err != nil || len(enc) != len(evs) {
			t.Fatalf("rebuilt %d of %d rows: %v", len(enc), len(evs), err)
		}
		for i := range evs {
			want := audit.Canonical(nil, &evs[i])
			if !bytes.Equal(enc[i], want) || !bytes.Equal(hash[i], evs[i].Hash) {
				t.Fatalf("event %d: rebuilt\n%x\nwant\n%x", evs[i].Seq, enc[i], want)
			}
		}
	})
}

// The fast readers never vouch for a tampered trail, and whatever they
// refuse, VerifyAudit reports exactly what reading the columns one by one
// reports (R27.1, R28.1).
func TestAuditRead_R28_1_FastPathNeverVouchesForTampering(t *testing.T) {
	type tamper struct {
		name   string
		sqlite string // the statement on SQLite; "" to skip
		pg     string
	}
	cases := []tamper{
		{"edit a field", `UPDATE audit_events SET reason = '篡改' WHERE seq = 5`, `UPDATE audit_events SET reason = '篡改' WHERE seq = 5`},
		{"turn a text field into a longer blob", `UPDATE audit_events SET actor_role = CAST(actor_role AS BLOB) || x'00' WHERE seq = 6`, ""},
		{"delete a row", `DELETE FROM audit_events WHERE seq = 7`, `DELETE FROM audit_events WHERE seq = 7`},
		{"move the last row to seq -3", auditReadMoveLast, auditReadMoveLast},
		{"move the first row to seq 0", `UPDATE audit_events SET seq = 0 WHERE seq = 1`, `UPDATE audit_events SET seq = 0 WHERE seq = 1`},
		{"delete the first row of a chunk", `DELETE FROM audit_events WHERE seq = 9`, `DELETE FROM audit_events WHERE seq = 9`},
		{"delete a whole chunk", `DELETE FROM audit_events WHERE seq > 12 AND seq <= 16`, `DELETE FROM audit_events WHERE seq > 12 AND seq <= 16`},
		{"swap two rows across a chunk boundary", auditReadSwap, auditReadSwap},
		{"float in an integer column", `UPDATE audit_events SET time = time + 0.5 WHERE seq = 8`, ""},
		{"text in an integer column", `UPDATE audit_events SET actor_id = 'x' || actor_id WHERE seq = 9`, ""},
		{"NULL in a text column", `UPDATE audit_events SET detail = NULL WHERE seq = 10`, ""},
		{"shorter prev-hash", `UPDATE audit_events SET prev_hash = substr(prev_hash, 1, 31) WHERE seq = 11`,
			`UPDATE audit_events SET prev_hash = substring(prev_hash from 1 for 31) WHERE seq = 11`},
	}
	// Chunks of 4 seqs: every case crosses chunk boundaries, read by
	// several readers at once. The test itself is not parallel: it sets the
	// package's chunk size, restored when its subtests are done.
	t.Cleanup(sqlstore.SetAuditChunkSeqs(4))
	sqltest.EachBackend(t, func(t *testing.T, backend string) {
		for _, c := range cases {
			q := c.sqlite
			if backend == "postgres" {
				q = c.pg
			}
			if q == "" {
				continue // PostgreSQL's types rule the case out
			}
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				db, _ := sqltest.Open(t, backend)
				proofBuildTrail(t, db)
				rep, err := sqlstore.AuditVerifyFast(ctx, db)
				cols, cerr := sqlstore.AuditVerifyColumns(ctx, db)
				if err != nil || !rep.OK || cerr != nil || fmt.Sprint(rep) != fmt.Sprint(cols) {
					t.Fatalf("intact trail: fast path %+v %v, columns %+v %v", rep, err, cols, cerr)
				}
				proofDisableTriggers(t, db)
				if backend == "sqlite" && strings.Contains(c.name, "NULL") {
					proofSQLiteAllowNull(t, db)
				}
				for _, stmt := range strings.Split(q, ";") {
					proofExec(t, db, stmt)
				}
				if rep, err := sqlstore.AuditVerifyFast(ctx, db); err == nil && rep.OK {
					t.Fatalf("fast path vouches for a tampered trail: %+v", rep)
				}
				want, werr := sqlstore.AuditVerifyColumns(ctx, db)
				got, gerr := db.VerifyAudit(ctx, nil, nil)
				if fmt.Sprint(got, gerr) != fmt.Sprint(want, werr) || got.OK {
					t.Fatalf("VerifyAudit %+v %v\nwant (columns) %+v %v", got, gerr, want, werr)
				}
			})
		}
	})
}

const auditReadMoveLast = `UPDATE audit_events SET seq = -3 WHERE seq = (SELECT MAX(seq) FROM audit_events)`

const auditReadSwap = `UPDATE audit_events SET seq = -1 WHERE seq = 8;
	UPDATE audit_events SET seq = 8 WHERE seq = 9;
	UPDATE audit_events SET seq = 9 WHERE seq = -1`

// proofSQLiteAllowNull rebuilds audit_events without NOT NULL, as an
// attacker with the file could.
func proofSQLiteAllowNull(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	proofExec(t, db, `CREATE TABLE audit_events_copy AS SELECT * FROM audit_events`)
	proofExec(t, db, `DROP TABLE audit_events`)
	proofExec(t, db, `ALTER TABLE audit_events_copy RENAME TO audit_events`)
}
