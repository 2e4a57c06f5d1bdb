package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"shuyu"
	"shuyu/audit"
	"shuyu/keys"

	"modernc.org/sqlite"
)

// loadSigner takes the current audit signing key from the ring (R29.1).
// Checkpoint calls it again before signing, so a rotation made by
// `shuyu keys rotate` is used by running servers without a restart.
func (d *DB) loadSigner() error {
	k, err := d.keys.Current(keys.Audit)
	if err != nil {
		return err
	}
	d.signerMu.Lock()
	defer d.signerMu.Unlock()
	if d.signer != nil && d.auditKey.ID == k.ID {
		return nil
	}
	priv, err := k.SM2()
	if err != nil {
		return err
	}
	s, err := audit.NewSigner(priv)
	if err != nil {
		return err
	}
	d.signer, d.auditKey = s, k
	return nil
}

// Keys is the platform's key ring.
func (d *DB) Keys() *keys.Ring { return d.keys }

// AuditKeyID is the id of the key this store signs checkpoints with
// ("audit-1-3fa2c4d1"); AuditKeys lists every generation.
func (d *DB) AuditKeyID() string {
	d.signerMu.Lock()
	defer d.signerMu.Unlock()
	return d.auditKey.ID
}

// currentSigner is the signer and its key id, for one checkpoint.
func (d *DB) currentSigner() (*audit.Signer, string, error) {
	if err := d.loadSigner(); err != nil {
		return nil, "", err
	}
	d.signerMu.Lock()
	defer d.signerMu.Unlock()
	return d.signer, d.auditKey.ID, nil
}

// AuditKey is one generation of the audit signing key, public part only.
type AuditKey struct {
	ID        string `json:"id"`
	PublicKey []byte `json:"public_key"` // uncompressed SM2 point
}

// AuditKeys returns every generation of this store's audit signing key,
// oldest first: checkpoints signed before a rotation verify against them.
func (d *DB) AuditKeys() ([]AuditKey, error) {
	ks, err := d.keys.All(keys.Audit)
	if err != nil {
		return nil, err
	}
	out := make([]AuditKey, 0, len(ks))
	for _, k := range ks {
		pub, err := k.PublicKey()
		if err != nil {
			return nil, err
		}
		out = append(out, AuditKey{ID: k.ID, PublicKey: pub})
	}
	return out, nil
}

// RecordKeyRotation records that a new generation of a key was made
// (`shuyu keys rotate`, R28.1): who, which kind, the new id and the
// previous one. The key itself never enters the trail.
func (d *DB) RecordKeyRotation(ctx context.Context, actor *shuyu.Actor, kind keys.Kind, newID, oldID string) error {
	if err := shuyu.Authorize(actor, shuyu.ActSystemOperate, shuyu.Resource{}); err != nil {
		return err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		return tx.audit(Change{Action: shuyu.AuditKeyRotate, ObjectType: "key",
			Detail: map[string]any{"kind": string(kind), "key_id": newID, "previous_key_id": oldID}})
	})
	if err != nil {
		return fmt.Errorf("sqlstore: record key rotation: %w", err)
	}
	return nil
}

// operations are the actions RecordOperation may record: what the
// operations commands (backup, restore drill, domain encryption) did.
var operations = map[shuyu.AuditAction]string{
	shuyu.AuditBackupCreate:       "backup",
	shuyu.AuditBackupRestoreDrill: "backup",
	shuyu.AuditDomainEncrypt:      "domain",
}

// RecordOperation records an operations event (a backup taken, a restore
// drill, the domain encrypted at start) in the audit trail, visible to the
// authority and the auditors like any other event (R28.1; GB/T 45396 asks
// for recorded restore tests).
func (d *DB) RecordOperation(ctx context.Context, actor *shuyu.Actor, action shuyu.AuditAction, detail map[string]any) error {
	objType, ok := operations[action]
	if !ok {
		return shuyu.Errorf(shuyu.EINVALID, "不是运维操作 (not an operations action: %s)", action)
	}
	if err := shuyu.Authorize(actor, shuyu.ActSystemOperate, shuyu.Resource{}); err != nil {
		return err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		return tx.audit(Change{Action: action, ObjectType: objType, Detail: detail})
	})
	if err != nil {
		return fmt.Errorf("sqlstore: record %s: %w", action, err)
	}
	return nil
}

// SnapshotTo writes a consistent copy of the SQLite metadata store to path
// with SQLite's online backup API in one step: it copies the pages under
// one read transaction, so writers go on meanwhile (WAL) and the copy holds
// exactly the transactions committed before it began — like VACUUM INTO,
// which it replaced because it rebuilds every table and index and took
// about 2.7 times as long (docs/performance.md §7). On PostgreSQL it
// refuses: the database is backed up with pg_dump (docs/operations.md,
// "Backup and restore").
func (d *DB) SnapshotTo(ctx context.Context, path string) error {
	if d.dialect != SQLite {
		return shuyu.Errorf(shuyu.EINVALID, "PostgreSQL 元数据请用 pg_dump 备份 (back up PostgreSQL with pg_dump)")
	}
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: snapshot: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		bc, ok := dc.(interface {
			NewBackup(string) (*sqlite.Backup, error)
		})
		if !ok {
			return errors.New("the SQLite driver has no backup API")
		}
		b, err := bc.NewBackup(path)
		if err != nil {
			return err
		}
		_, err = b.Step(-1)
		if ferr := b.Finish(); err == nil {
			err = ferr
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlstore: snapshot: %w", err)
	}
	return nil
}
