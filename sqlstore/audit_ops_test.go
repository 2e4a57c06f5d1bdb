package sqlstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"shuyu"
	"shuyu/audit"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// opsWrites adds n audited writes (organizations) as the security admin.
func opsWrites(t *testing.T, db *sqlstore.DB, a map[string]*shuyu.Actor, n int, prefix string) {
	t.Helper()
	for i := 0; i < n; i++ {
		o := &shuyu.Org{Kind: shuyu.OrgMerchant, Name: fmt.Sprintf("%s数据公司%03d", prefix, i), Region: shuyu.RegionShapotou}
		if err := db.CreateOrg(context.Background(), a["secadmin"], o); err != nil {
			t.Fatal(err)
		}
	}
}

// opsCutTail is the attack of issue 12 item 7: with the triggers dropped,
// every event after seq keep is deleted, with the checkpoints beyond it and
// the audit head moved back so the store looks consistent.
func opsCutTail(t *testing.T, db *sqlstore.DB, keep int64) {
	t.Helper()
	proofDisableTriggers(t, db)
	var hash []byte
	if err := db.SQL().QueryRow(db.Rebind(`SELECT hash FROM audit_events WHERE seq = ?`), keep).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	proofExec(t, db, `DELETE FROM audit_events WHERE seq > ?`, keep)
	proofExec(t, db, `DELETE FROM audit_checkpoints WHERE seq > ?`, keep)
	proofExec(t, db, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, keep, hash)
}

func findingKinds(c sqlstore.AuditCheck) map[string]bool {
	out := map[string]bool{}
	for _, f := range c.Findings {
		out[f.Kind] = true
	}
	return out
}

// The run: no checkpoint was ever made, events after seq 250 are
// deleted with the triggers dropped, the checkpoint file is removed. The
// chain that is left links, so only the anchoring finding can tell.
func TestAuditOps_R28_1_CutTailNoCheckpointIsFound(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db := env.DB
		opsWrites(t, db, env.Actors, 260, "甲")
		opsCutTail(t, db, 250)
		os.Remove(filepath.Join(db.DataDir(), sqlstore.CheckpointFile))
		c, err := db.VerifyAuditWith(ctx, sqlstore.VerifyOptions{MaxLag: 5 * time.Minute})
		if err != nil || !c.OK || c.Events != 250 {
			t.Fatalf("the remaining chain should link: %+v %v", c.Report, err)
		}
		if !findingKinds(c)["no_checkpoint"] {
			t.Fatalf("250 events without any checkpoint not reported: %+v", c.Findings)
		}
	})
}

// With checkpoints made (as the server does every minute), the same attack
// leaves checkpoints of this server in the store that the removed file
// lacks; if the attacker deletes every checkpoint from the store too, no
// checkpoint is left at all. Either way verification reports it.
func TestAuditOps_R28_1_CutTailAfterCheckpointsIsFound(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db := env.DB
		opsWrites(t, db, env.Actors, 150, "乙")
		cp1, err := db.Checkpoint(ctx, shuyu.System)
		if err != nil || cp1 == nil || cp1.Seq > 250 {
			t.Fatalf("checkpoint 1: %+v %v", cp1, err)
		}
		opsWrites(t, db, env.Actors, 150, "丙")
		cp2, err := db.Checkpoint(ctx, shuyu.System)
		if err != nil || cp2 == nil || cp2.Seq <= 250 {
			t.Fatalf("checkpoint 2: %+v %v", cp2, err)
		}
		clean, err := db.VerifyAuditWith(ctx, sqlstore.VerifyOptions{MaxLag: 5 * time.Minute})
		if err != nil || !clean.OK || len(clean.Findings) != 0 || clean.FileCheckpoints != 2 {
			t.Fatalf("intact trail: %+v %+v %v", clean.Report, clean.Findings, err)
		}

		// The file kept: the cut is a checkpoint beyond the last event.
		opsCutTail(t, db, 250)
		var te *audit.TamperError
		c, err := db.VerifyAuditWith(ctx, sqlstore.VerifyOptions{})
		if !errors.As(err, &te) || c.OK || c.Kind != audit.KindTailCut {
			t.Fatalf("cut tail with the file kept: %+v %v", c.Report, err)
		}
		if !findingKinds(c)["store_lacks"] {
			t.Fatalf("checkpoint of the file missing from the store not reported: %+v", c.Findings)
		}

		// The file removed too: the chain and checkpoint 1 still agree, but
		// this server's checkpoint 1 is not in its file.
		os.Remove(filepath.Join(db.DataDir(), sqlstore.CheckpointFile))
		c, err = db.VerifyAuditWith(ctx, sqlstore.VerifyOptions{})
		if err != nil || !c.OK || !findingKinds(c)["file_lacks"] {
			t.Fatalf("cut tail, file removed: %+v %+v %v", c.Report, c.Findings, err)
		}

		// Every checkpoint deleted from the store as well.
		proofExec(t, db, `DELETE FROM audit_checkpoints`)
		c, err = db.VerifyAuditWith(ctx, sqlstore.VerifyOptions{})
		if err != nil || !findingKinds(c)["no_checkpoint"] {
			t.Fatalf("cut tail, no checkpoint left: %+v %+v %v", c.Report, c.Findings, err)
		}
	})
}

// Events left unanchored longer than the allowed lag, or more of them than
// allowed, are a finding; the checkpoint's own event is never one.
func TestAuditOps_R28_1_UnanchoredBeyondLag(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db := env.DB
		if _, err := db.Checkpoint(ctx, shuyu.System); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Hour)
		opt := sqlstore.VerifyOptions{MaxLag: 5 * time.Minute, MaxUnanchored: 3}
		if c, err := db.VerifyAuditWith(ctx, opt); err != nil || len(c.Findings) != 0 {
			t.Fatalf("only the checkpoint's own event after it: %+v %v", c.Findings, err)
		}
		opsWrites(t, db, env.Actors, 2, "丁")
		env.Clock.Advance(4 * time.Minute)
		if c, err := db.VerifyAuditWith(ctx, opt); err != nil || len(c.Findings) != 0 {
			t.Fatalf("two events, 4 minutes old: %+v %v", c.Findings, err)
		}
		env.Clock.Advance(2 * time.Minute)
		if c, _ := db.VerifyAuditWith(ctx, opt); !findingKinds(c)["lag"] {
			t.Fatalf("events 6 minutes old not reported: %+v", c.Findings)
		}
		opsWrites(t, db, env.Actors, 2, "戊")
		if c, _ := db.VerifyAuditWith(ctx, sqlstore.VerifyOptions{MaxUnanchored: 3}); !findingKinds(c)["lag"] {
			t.Fatalf("4 unanchored events over a limit of 3 not reported: %+v", c.Findings)
		}
		if _, err := db.Checkpoint(ctx, shuyu.System); err != nil {
			t.Fatal(err)
		}
		if c, err := db.VerifyAuditWith(ctx, opt); err != nil || len(c.Findings) != 0 {
			t.Fatalf("after a checkpoint: %+v %v", c.Findings, err)
		}
	})
}

// The trusted list (R29.1): a key is registered with its first checkpoint;
// a checkpoint signed by a key outside the list is forged; a revoked key
// signs nothing more, and what it signed after its revocation point is
// forged while what it signed before still verifies; pinning keys
// (`--pubkey`) trusts nothing else.
func TestAuditOps_R29_1_TrustedListRevocationAndPinning(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db := env.DB
		cp1, err := db.Checkpoint(ctx, shuyu.System)
		if err != nil || cp1 == nil || cp1.KeyID == "" {
			t.Fatalf("checkpoint: %+v %v", cp1, err)
		}
		keys, err := db.TrustedAuditKeys(ctx)
		if err != nil || len(keys) != 1 || keys[0].KeyID != cp1.KeyID || string(keys[0].PublicKey) != string(db.PublicKey()) {
			t.Fatalf("trusted list: %+v %v", keys, err)
		}
		opsWrites(t, db, env.Actors, 3, "己")
		cp2, _ := db.Checkpoint(ctx, shuyu.System)

		// A checkpoint signed by a stranger's key, inserted in the store.
		priv, _ := sm2.GenerateKey(rand.Reader)
		stranger, _ := audit.NewSigner(priv)
		opsWrites(t, db, env.Actors, 2, "庚")
		last, _ := db.LastSeq(ctx)
		var hashes [][]byte
		rows, _ := db.SQL().Query(db.Rebind(`SELECT hash FROM audit_events WHERE seq > ? ORDER BY seq`), cp2.Seq)
		for rows.Next() {
			var h []byte
			rows.Scan(&h)
			hashes = append(hashes, h)
		}
		rows.Close()
		forged, err := stranger.Checkpoint(cp2.Seq, hashes, last, hashes[len(hashes)-1], env.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		proofExec(t, db, `INSERT INTO audit_checkpoints (seq, time, head, root, prev_seq, public_key, signature, key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			forged.Seq, forged.Time.UnixMicro(), forged.Head, forged.Root, forged.PrevSeq, forged.PublicKey, forged.Signature, "audit-1-00000000")
		c, err := db.VerifyAuditWith(ctx, sqlstore.VerifyOptions{})
		var te *audit.TamperError
		if !errors.As(err, &te) || c.OK || c.Kind != audit.KindCheckpointKey || c.FirstBad != forged.Seq {
			t.Fatalf("stranger's checkpoint: %+v %v", c.Report, err)
		}
		proofExec(t, db, `DELETE FROM audit_checkpoints WHERE seq = ?`, forged.Seq)

		// Pinning only the stranger's key distrusts the platform's own.
		c, err = db.VerifyAuditWith(ctx, sqlstore.VerifyOptions{Trusted: [][]byte{stranger.PublicKey()}})
		if !errors.As(err, &te) || c.Kind != audit.KindCheckpointKey || c.FirstBad != cp1.Seq {
			t.Fatalf("pinned to another key: %+v %v", c.Report, err)
		}
		if c, err := db.VerifyAuditWith(ctx, sqlstore.VerifyOptions{Trusted: [][]byte{db.PublicKey()}}); err != nil || !c.OK {
			t.Fatalf("pinned to the platform's key: %+v %v", c.Report, err)
		}

		// Revocation: the key signs no more; what it signed verifies.
		if err := db.RevokeAuditKey(ctx, env.Actors["merchant-a"], cp1.KeyID, "泄露"); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN && shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("merchant revokes a key: %v", err)
		}
		if err := db.RevokeAuditKey(ctx, env.Actors["sysadmin"], cp1.KeyID, ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("revocation without a reason: %v", err)
		}
		if err := db.RevokeAuditKey(ctx, env.Actors["sysadmin"], cp1.KeyID, "密钥泄露 (leaked)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Checkpoint(ctx, shuyu.System); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("checkpoint with a revoked key: %v", err)
		}
		if c, err := db.VerifyAuditWith(ctx, sqlstore.VerifyOptions{}); err != nil || !c.OK || c.Checkpoints != 2 {
			t.Fatalf("checkpoints signed before the revocation: %+v %v", c.Report, err)
		}
		// Had the leaked key been revoked as of seq cp1, checkpoint 2 is
		// one it signed after that point: forged.
		proofExec(t, db, `UPDATE audit_keys SET revoked_seq = ? WHERE key_id = ?`, cp1.Seq, cp1.KeyID)
		c, err = db.VerifyAuditWith(ctx, sqlstore.VerifyOptions{})
		if !errors.As(err, &te) || c.Kind != audit.KindCheckpointKey || c.FirstBad != cp2.Seq {
			t.Fatalf("checkpoint after revocation: %+v %v", c.Report, err)
		}
	})
}

// Two servers on one PostgreSQL, each with its own data directory and
// key: both register in the trusted list, and verification from either
// directory accepts both servers' checkpoints, each checking its own file.
func TestAuditOps_R28_1_TwoServersOnePostgres(t *testing.T) {
	if os.Getenv("SHUYU_TEST_POSTGRES") == "" {
		t.Skip("needs PostgreSQL (SHUYU_TEST_POSTGRES)")
	}
	url := sqltest.FreshPostgres(t)
	open := func() *sqlstore.DB {
		db, err := sqlstore.Open(ctx, sqlstore.Options{URL: url, DataDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		db.PasswordIterations = 1000
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	actors := sqltest.Seed(t, a)
	cpA, err := a.Checkpoint(ctx, shuyu.System)
	if err != nil || cpA == nil {
		t.Fatal(err)
	}
	opsWrites(t, b, actors, 3, "辛")
	cpB, err := b.Checkpoint(ctx, shuyu.System)
	if err != nil || cpB == nil || cpB.PrevSeq != cpA.Seq || cpB.KeyID == cpA.KeyID {
		t.Fatalf("second server's checkpoint: %+v %v", cpB, err)
	}
	for name, db := range map[string]*sqlstore.DB{"a": a, "b": b} {
		c, err := db.VerifyAuditWith(ctx, sqlstore.VerifyOptions{MaxLag: time.Hour})
		if err != nil || !c.OK || c.Checkpoints != 2 || len(c.TrustedKeys) != 2 || len(c.Findings) != 0 || c.FileCheckpoints != 1 {
			t.Fatalf("verify from %s: %+v %+v %v", name, c.Report, c.Findings, err)
		}
	}
}
