package sqlstore_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"shuyu"
	"shuyu/audit"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// Tampering tests (R27.1, R28.1): an attacker with database access first
// disables the append-only triggers, then edits the trail directly. Each kind
// of tampering must make VerifyAudit name the first bad event.

// proofTrail is the trail every tampering case starts from: the seed,
// checkpoint 1, ten writes, checkpoint 2, five unanchored writes.
type proofTrail struct {
	db       *sqlstore.DB
	cp1, cp2 int64 // the events the two checkpoints sign
	last     int64
}

func proofBuildTrail(t *testing.T, db *sqlstore.DB) *proofTrail {
	t.Helper()
	a := sqltest.Seed(t, db)
	cp1, err := db.Checkpoint(ctx, shuyu.System)
	if err != nil || cp1 == nil {
		t.Fatalf("checkpoint 1: %v", err)
	}
	mk := func(n int, prefix string) {
		for i := 0; i < n; i++ {
			o := &shuyu.Org{Kind: shuyu.OrgMerchant, Name: fmt.Sprintf("%s数据公司%02d", prefix, i), Region: shuyu.RegionShapotou}
			if err := db.CreateOrg(ctx, a["secadmin"], o); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk(10, "丁")
	cp2, err := db.Checkpoint(ctx, shuyu.System)
	if err != nil || cp2 == nil {
		t.Fatalf("checkpoint 2: %v", err)
	}
	mk(5, "戊")
	last, _ := db.LastSeq(ctx)
	rep, err := db.VerifyAudit(ctx, nil, nil)
	if err != nil || !rep.OK || rep.Checkpoints != 2 || rep.LastSeq != last || rep.Unanchored != last-cp2.Seq {
		t.Fatalf("intact trail does not verify: %+v %v", rep, err)
	}
	return &proofTrail{db: db, cp1: cp1.Seq, cp2: cp2.Seq, last: last}
}

// proofDisableTriggers is the attacker's first step.
func proofDisableTriggers(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	stmts := []string{`DROP TRIGGER IF EXISTS audit_events_no_update`, `DROP TRIGGER IF EXISTS audit_events_no_delete`}
	if db.Dialect() == sqlstore.Postgres {
		stmts = []string{`ALTER TABLE audit_events DISABLE TRIGGER USER`}
	}
	for _, q := range stmts {
		proofExec(t, db, q)
	}
}

func proofExec(t *testing.T, db *sqlstore.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.SQL().Exec(db.Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// proofRows reads the trail as stored.
func proofRows(t *testing.T, db *sqlstore.DB) []shuyu.Event {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT seq, time, actor_id, actor_name, actor_role, actor_org_id, action, object_type,
		object_id, reason, detail, request_id, client_ip, prev_hash, hash FROM audit_events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []shuyu.Event
	for rows.Next() {
		var e shuyu.Event
		var us int64
		if err := rows.Scan(&e.Seq, &us, &e.ActorID, &e.ActorName, &e.ActorRole, &e.ActorOrgID, &e.Action, &e.ObjectType,
			&e.ObjectID, &e.Reason, &e.Detail, &e.RequestID, &e.ClientIP, &e.PrevHash, &e.Hash); err != nil {
			t.Fatal(err)
		}
		e.Time = proofMicros(us)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func proofInsert(t *testing.T, db *sqlstore.DB, e *shuyu.Event) {
	t.Helper()
	proofExec(t, db, `INSERT INTO audit_events (seq, time, actor_id, actor_name, actor_role, actor_org_id, action,
		object_type, object_id, reason, detail, request_id, client_ip, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.Time.UnixMicro(), e.ActorID, e.ActorName, e.ActorRole, e.ActorOrgID, e.Action,
		e.ObjectType, e.ObjectID, e.Reason, e.Detail, e.RequestID, e.ClientIP, e.PrevHash, e.Hash)
}

// proofShift moves the events from seq on by delta (two steps, so that no
// intermediate row collides with the primary key).
func proofShift(t *testing.T, db *sqlstore.DB, from, delta int64) {
	t.Helper()
	proofExec(t, db, `UPDATE audit_events SET seq = -seq WHERE seq >= ?`, from)
	proofExec(t, db, `UPDATE audit_events SET seq = -seq + ? WHERE seq < 0`, delta)
}

func TestAuditStore_R28_1_TamperingFound(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		tamper func(t *testing.T, tr *proofTrail) // returns nothing; the trail is changed in place
		bad    func(tr *proofTrail) int64
		kind   string
	}{
		{"edit a field of an anchored event", func(t *testing.T, tr *proofTrail) {
			proofExec(t, tr.db, `UPDATE audit_events SET reason = '篡改' WHERE seq = ?`, tr.cp1+3)
		}, func(tr *proofTrail) int64 { return tr.cp1 + 3 }, audit.KindHash},
		{"edit the actor of an unanchored event", func(t *testing.T, tr *proofTrail) {
			proofExec(t, tr.db, `UPDATE audit_events SET actor_name = 'someone-else' WHERE seq = ?`, tr.last-1)
		}, func(tr *proofTrail) int64 { return tr.last - 1 }, audit.KindHash},
		{"delete a row", func(t *testing.T, tr *proofTrail) {
			proofExec(t, tr.db, `DELETE FROM audit_events WHERE seq = ?`, tr.cp1+3)
		}, func(tr *proofTrail) int64 { return tr.cp1 + 3 }, audit.KindGap},
		{"insert a well-formed row and shift the rest", func(t *testing.T, tr *proofTrail) {
			evs := proofRows(t, tr.db)
			at := tr.cp1 + 3 // the forged event goes right after this one
			forged := evs[at-1]
			forged.Seq, forged.Action, forged.ObjectID, forged.Reason = at+1, "user.update", "7", "补录"
			audit.Seal(evs[at-1].Hash, &forged)
			proofShift(t, tr.db, at+1, 1)
			proofInsert(t, tr.db, &forged)
		}, func(tr *proofTrail) int64 { return tr.cp1 + 5 }, audit.KindHash}, // the forged row links; the displaced one does not
		{"swap the seq of two rows", func(t *testing.T, tr *proofTrail) {
			s := tr.cp1 + 4
			proofExec(t, tr.db, `UPDATE audit_events SET seq = -1 WHERE seq = ?`, s)
			proofExec(t, tr.db, `UPDATE audit_events SET seq = ? WHERE seq = ?`, s, s+1)
			proofExec(t, tr.db, `UPDATE audit_events SET seq = ? WHERE seq = -1`, s+1)
		}, func(tr *proofTrail) int64 { return tr.cp1 + 4 }, audit.KindHash},
		{"cut the tail behind a checkpoint", func(t *testing.T, tr *proofTrail) {
			proofExec(t, tr.db, `DELETE FROM audit_events WHERE seq > ?`, tr.cp2-4)
		}, func(tr *proofTrail) int64 { return tr.cp2 - 3 }, audit.KindTailCut},
		{"rewrite the chain with every hash recomputed", func(t *testing.T, tr *proofTrail) {
			proofRewriteFrom(t, tr.db, tr.cp1+3, func(e *shuyu.Event) { e.Reason = "改写" })
		}, func(tr *proofTrail) int64 { return tr.cp2 }, audit.KindCheckpointHead},
		{"delete a checkpoint row (and its file copy)", func(t *testing.T, tr *proofTrail) {
			proofExec(t, tr.db, `DELETE FROM audit_checkpoints WHERE seq = ?`, tr.cp1)
			if err := os.Remove(filepath.Join(tr.db.DataDir(), sqlstore.CheckpointFile)); err != nil {
				t.Fatal(err)
			}
		}, func(tr *proofTrail) int64 { return tr.cp2 }, audit.KindCheckpointChain},
		{"cut the tail and its checkpoints: the file still holds them", func(t *testing.T, tr *proofTrail) {
			proofExec(t, tr.db, `DELETE FROM audit_events WHERE seq > ?`, tr.cp2-4)
			proofExec(t, tr.db, `DELETE FROM audit_checkpoints WHERE seq > ?`, tr.cp2-4)
		}, func(tr *proofTrail) int64 { return tr.cp2 - 3 }, audit.KindTailCut},
	}
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				db, _ := sqltest.Open(t, b)
				tr := proofBuildTrail(t, db)
				proofDisableTriggers(t, db)
				c.tamper(t, tr)
				rep, err := db.VerifyAudit(ctx, nil, nil)
				if err == nil || rep.OK {
					t.Fatalf("tampering not found: %+v", rep)
				}
				if rep.FirstBad != c.bad(tr) || rep.Kind != c.kind {
					t.Fatalf("first bad = %d (%s: %s), want %d (%s)", rep.FirstBad, rep.Kind, rep.Problem, c.bad(tr), c.kind)
				}
				if rep.Problem == "" {
					t.Fatal("report names no problem")
				}
			})
		}
	})
}

// proofRewriteFrom edits every event from seq on with fn and recomputes the
// whole chain after it, as an attacker who knows the hash would.
func proofRewriteFrom(t *testing.T, db *sqlstore.DB, seq int64, fn func(*shuyu.Event)) {
	t.Helper()
	evs := proofRows(t, db)
	prev := evs[seq-2].Hash
	for i := seq - 1; i < int64(len(evs)); i++ {
		e := &evs[i]
		if e.Seq == seq {
			fn(e)
		}
		audit.Seal(prev, e)
		prev = e.Hash
		proofExec(t, db, `UPDATE audit_events SET reason = ?, prev_hash = ?, hash = ? WHERE seq = ?`, e.Reason, e.PrevHash, e.Hash, e.Seq)
	}
}

// The checkpoint file is what makes deleting checkpoints useless: a copy
// kept outside the database restores them. Without it, a tail cut together
// with its checkpoints cannot be told from a shorter trail; the test says
// so, to keep the threat model honest (docs/performance.md, "audit").
func TestAuditStore_R28_1_CheckpointFileIsTheAnchor(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		db := env.DB
		tr := proofBuildTrail(t, db)
		proofDisableTriggers(t, db)
		// A checkpoint row deleted from the database alone changes nothing.
		proofExec(t, db, `DELETE FROM audit_checkpoints WHERE seq = ?`, tr.cp1)
		rep, err := db.VerifyAudit(ctx, nil, nil)
		if err != nil || !rep.OK || rep.Checkpoints != 2 {
			t.Fatalf("file copy did not stand in for the deleted row: %+v %v", rep, err)
		}
		// Tail and checkpoints deleted, file moved away: undetectable...
		file := filepath.Join(db.DataDir(), sqlstore.CheckpointFile)
		kept := file + ".offsite"
		if err := os.Rename(file, kept); err != nil {
			t.Fatal(err)
		}
		proofExec(t, db, `DELETE FROM audit_events WHERE seq > ?`, tr.cp2-4)
		proofExec(t, db, `DELETE FROM audit_checkpoints WHERE seq > ?`, tr.cp2-4)
		if rep, err := db.VerifyAudit(ctx, nil, nil); err != nil || rep.LastSeq != tr.cp2-4 {
			t.Fatalf("without any anchor the shorter trail should read as intact: %+v %v", rep, err)
		}
		// ...until the off-site copy is presented.
		offsite, err := audit.ReadCheckpointFile(kept)
		if err != nil {
			t.Fatal(err)
		}
		rep, err = db.VerifyAudit(ctx, nil, offsite)
		if err == nil || rep.Kind != audit.KindTailCut || rep.FirstBad != tr.cp2-3 {
			t.Fatalf("off-site checkpoints did not reveal the cut: %+v %v", rep, err)
		}
	})
}

// A checkpoint signed by another key is refused when the key is pinned.
func TestAuditStore_R29_1_PinnedKey(t *testing.T) {
	t.Parallel()
	db, _ := sqltest.Open(t, "sqlite")
	proofBuildTrail(t, db)
	other, _ := sqltest.Open(t, "sqlite")
	rep, err := db.VerifyAudit(ctx, other.PublicKey(), nil)
	if err == nil || rep.Kind != audit.KindCheckpointKey {
		t.Fatalf("checkpoints accepted under a foreign key: %+v %v", rep, err)
	}
}

func proofMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }
