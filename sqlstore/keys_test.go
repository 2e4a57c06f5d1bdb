package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"shuyu"
	"shuyu/keys"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// After `keys rotate --kind audit` a restarted server signs with the new
// generation; the trail still verifies, because checkpoints signed by the
// old generation verify against it, and a pin of only the new key shows the
// old checkpoints as not signed by it (R28.1, R29.1).
func TestKeys_R29_1_AuditRotationKeepsOldCheckpointsVerifiable(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db := env.DB
		old := db.AuditKeyID()
		cp1, err := db.Checkpoint(ctx, shuyu.System)
		if err != nil || cp1 == nil {
			t.Fatalf("checkpoint: %v %v", cp1, err)
		}
		nk, err := db.Keys().Rotate(keys.Audit)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.RecordKeyRotation(ctx, shuyu.System, keys.Audit, nk.ID, old); err != nil {
			t.Fatal(err)
		}
		ks, err := db.AuditKeys()
		if err != nil || len(ks) != 2 || ks[0].ID != old || ks[1].ID != nk.ID {
			t.Fatalf("audit keys %+v %v", ks, err)
		}
		// The running store signs the next checkpoint with the new key.
		db2 := db
		env.Clock.Advance(time.Minute)
		cp2, err := db2.Checkpoint(ctx, shuyu.System)
		if err != nil || cp2 == nil {
			t.Fatalf("checkpoint after rotation: %v %v", cp2, err)
		}
		if db2.AuditKeyID() != nk.ID || string(cp2.PublicKey) != string(ks[1].PublicKey) {
			t.Fatalf("checkpoint signed with %s, want %s", db2.AuditKeyID(), nk.ID)
		}
		rep, err := db2.VerifyAudit(ctx, nil, nil)
		if err != nil || !rep.OK || rep.Checkpoints < 2 {
			t.Fatalf("verify after rotation: %+v %v", rep, err)
		}
		rep, _ = db2.VerifyAudit(ctx, ks[1].PublicKey, nil)
		if rep.OK {
			t.Error("pinning only the new key accepted checkpoints signed by the old one")
		}
		evs, err := db2.Events(ctx, shuyu.System, sqlstore.EventFilter{Action: string(shuyu.AuditKeyRotate)}, false)
		if err != nil || len(evs) != 1 {
			t.Fatalf("rotation events %d %v", len(evs), err)
		}
	})
}
