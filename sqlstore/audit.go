package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"shuyu"
	"shuyu/audit"
)

// CheckpointFile is the JSON-lines file in the data directory that receives
// a copy of every signed checkpoint. Operators ship it off the machine (or
// to WORM storage) so that a rewritten database cannot also rewrite it.
const CheckpointFile = "audit-checkpoints.jsonl"

// PublicKey returns the platform's SM2 audit-signing public key (uncompressed
// point), to be pinned by whoever verifies exported checkpoints.
func (d *DB) PublicKey() []byte {
	d.signerMu.Lock()
	defer d.signerMu.Unlock()
	return d.signer.PublicKey()
}

// Checkpoint signs the current audit head if events were added since the
// last checkpoint (a no-op otherwise), stores it, appends it to the
// checkpoint file and records the act as the next event.
func (d *DB) Checkpoint(ctx context.Context, actor *shuyu.Actor) (*shuyu.Checkpoint, error) {
	if err := shuyu.Authorize(actor, shuyu.ActSystemOperate, shuyu.Resource{}); err != nil {
		return nil, err
	}
	signer, signerID, err := d.currentSigner()
	if err != nil {
		return nil, fmt.Errorf("sqlstore: checkpoint: %w", err)
	}
	var cp *shuyu.Checkpoint
	err = d.update(ctx, actor, func(tx *Tx) error {
		var prevSeq int64
		if err := tx.queryRow(`SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints`).Scan(&prevSeq); err != nil {
			return err
		}
		// Only events other than checkpoints call for a new one; otherwise
		// each checkpoint's own event would call for the next, forever.
		var fresh int
		if err := tx.queryRow(`SELECT count(*) FROM audit_events WHERE seq > ? AND action <> 'audit.checkpoint'`, prevSeq).Scan(&fresh); err != nil {
			return err
		}
		if fresh == 0 {
			return errNoChange
		}
		// The key is registered in the store's trusted list with its first
		// checkpoint (the registration is an event this checkpoint covers),
		// and a revoked key signs nothing more (R28.1, R29.1).
		keyID, err := tx.registerAuditKey(signer.PublicKey(), signerID)
		if err != nil {
			return err
		}
		rows, err := tx.query(`SELECT hash FROM audit_events WHERE seq > ? AND seq <= ? ORDER BY seq`, prevSeq, tx.seq)
		if err != nil {
			return err
		}
		var hashes [][]byte
		for rows.Next() {
			var h []byte
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return err
			}
			hashes = append(hashes, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		cp, err = signer.Checkpoint(prevSeq, hashes, tx.seq, tx.head, tx.now)
		if err != nil {
			return err
		}
		cp.KeyID = keyID
		if _, err := tx.exec(`INSERT INTO audit_checkpoints (seq, time, head, root, prev_seq, public_key, signature, key_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, cp.Seq, micros(cp.Time), cp.Head, cp.Root, cp.PrevSeq, cp.PublicKey, cp.Signature, cp.KeyID); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditAuditCheckpoint, ObjectType: "audit_checkpoint", ObjectID: cp.Seq,
			Detail: map[string]any{"events": len(hashes), "prev_seq": prevSeq}})
	})
	if err == errNoChange {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: checkpoint: %w", err)
	}
	d.cpSeq.Store(cp.Seq)
	// The file copy is written after commit: a crash in between leaves a
	// checkpoint only in the database, which the next one re-anchors.
	if err := audit.AppendCheckpointFile(filepath.Join(d.dataDir, CheckpointFile), cp); err != nil {
		return cp, fmt.Errorf("sqlstore: checkpoint file: %w", err)
	}
	return cp, nil
}

var errNoChange = fmt.Errorf("no change")

// Checkpoints returns every checkpoint stored in the database.
func (d *DB) Checkpoints(ctx context.Context) ([]shuyu.Checkpoint, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT seq, time, head, root, prev_seq, public_key, signature, key_id FROM audit_checkpoints ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: checkpoints: %w", err)
	}
	defer rows.Close()
	var out []shuyu.Checkpoint
	for rows.Next() {
		var c shuyu.Checkpoint
		var t int64
		if err := rows.Scan(&c.Seq, &t, &c.Head, &c.Root, &c.PrevSeq, &c.PublicKey, &c.Signature, &c.KeyID); err != nil {
			return nil, err
		}
		c.Time = fromMicros(t)
		out = append(out, c)
	}
	return out, rows.Err()
}

// VerifyAudit streams the whole trail through the verifier together with
// the database's checkpoints and the checkpoint file. trusted pins the
// signing key; nil trusts the store's list of keys (audit_keys) and this
// data directory's own. It does not write: the CLI calls it on a store that
// may be the subject of an investigation. VerifyAuditWith also reports
// whether the trail is anchored.
func (d *DB) VerifyAudit(ctx context.Context, trusted []byte, extra []shuyu.Checkpoint) (audit.Report, error) {
	opt := VerifyOptions{Extra: extra}
	if trusted != nil {
		opt.Trusted = [][]byte{trusted}
	}
	c, err := d.VerifyAuditWith(ctx, opt)
	return c.Report, err
}

// verifyColumns streams the trail column by column through v.
func (d *DB) verifyColumns(ctx context.Context, v *audit.Verifier) (audit.Report, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches, free := make(chan []shuyu.Event, 4), make(chan []shuyu.Event, 6)
	var readErr error // written before batches is closed
	go d.readTrail(rctx, batches, free, &readErr)
	failed := false
	for b := range batches {
		for i := 0; i < len(b) && !failed; i++ {
			if v.Add(&b[i]) != nil {
				failed = true // the first failure is sticky; Finish reports it
				cancel()
			}
		}
		select {
		case free <- b:
		default:
		}
	}
	if readErr != nil && !failed {
		return audit.Report{}, fmt.Errorf("sqlstore: verify: %w", readErr)
	}
	return v.Finish()
}

// readTrail streams the trail in batches to the verifier on another
// goroutine, so that decoding rows and hashing overlap. It is the slow,
// authoritative path (docs/performance.md, BenchmarkVerifyFromDB).
func (d *DB) readTrail(ctx context.Context, batches chan<- []shuyu.Event, free <-chan []shuyu.Event, errp *error) {
	defer close(batches)
	rows, err := d.db.QueryContext(ctx, `SELECT `+eventCols+` FROM audit_events ORDER BY seq`)
	if err != nil {
		*errp = err
		return
	}
	defer rows.Close()
	for {
		var b []shuyu.Event
		select {
		case b = <-free:
			b = b[:0]
		default:
			b = make([]shuyu.Event, 0, 256)
		}
		for len(b) < cap(b) && rows.Next() {
			b = append(b, shuyu.Event{})
			if err := scanEvent(rows, &b[len(b)-1]); err != nil {
				*errp = err
				return
			}
		}
		if len(b) > 0 {
			select {
			case batches <- b:
			case <-ctx.Done():
				*errp = ctx.Err()
				return
			}
		}
		if len(b) < cap(b) {
			*errp = rows.Err()
			return
		}
	}
}

const eventCols = `seq, time, actor_id, actor_name, actor_role, actor_org_id, action, object_type, object_id,
	reason, detail, request_id, client_ip, prev_hash, hash`

func scanEvent(rows interface{ Scan(...any) error }, e *shuyu.Event) error {
	var t int64
	err := rows.Scan(&e.Seq, &t, &e.ActorID, &e.ActorName, &e.ActorRole, &e.ActorOrgID, &e.Action,
		&e.ObjectType, &e.ObjectID, &e.Reason, &e.Detail, &e.RequestID, &e.ClientIP, &e.PrevHash, &e.Hash)
	e.Time = fromMicros(t)
	return err
}

// EventFilter selects events for search and export.
type EventFilter struct {
	Action string // prefix, e.g. "user." or "auth.login"
	// ExactAction: Action is one action, not a prefix.
	ExactAction bool
	ObjectType  string
	ObjectID    string
	ActorID     int64
	Actor       string // username
	// OrgID: events of people acting for this organization.
	OrgID    int64
	From, To time.Time
	AfterSeq int64 // paging: events with seq < AfterSeq when > 0 (newest first)
	Offset   int   // paging by page number: events skipped (newest first)
	Limit    int
}

// Events searches the trail, newest first. Reading the trail is itself an
// audited act (invariant 2: audit reads and exports are audited).
func (d *DB) Events(ctx context.Context, actor *shuyu.Actor, f EventFilter, export bool) ([]shuyu.Event, error) {
	evs, _, err := d.events(ctx, actor, f, export, false)
	return evs, err
}

// EventsPage is Events with the number of events the filter matches in
// all (the audit page's total), counted in the same transaction.
func (d *DB) EventsPage(ctx context.Context, actor *shuyu.Actor, f EventFilter) ([]shuyu.Event, int64, error) {
	return d.events(ctx, actor, f, false, true)
}

func (d *DB) events(ctx context.Context, actor *shuyu.Actor, f EventFilter, export, count bool) ([]shuyu.Event, int64, error) {
	act, audited := shuyu.ActAuditRead, shuyu.AuditAuditRead
	if export {
		act, audited = shuyu.ActAuditExport, shuyu.AuditAuditExport
	}
	if err := shuyu.Authorize(actor, act, shuyu.Resource{}); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	if export {
		f.Limit = 100_000
	}
	where, args := f.where()
	q := `SELECT ` + eventCols + ` FROM audit_events` + where
	q += fmt.Sprintf(` ORDER BY seq DESC LIMIT %d`, f.Limit)
	if f.Offset > 0 {
		q += fmt.Sprintf(` OFFSET %d`, f.Offset)
	}
	var out []shuyu.Event
	var total int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		if count {
			if err := tx.queryRow(`SELECT COUNT(*) FROM audit_events`+where, args...).Scan(&total); err != nil {
				return err
			}
		}
		rows, err := tx.query(q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e shuyu.Event
			if err := scanEvent(rows, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.audit(Change{Action: audited, ObjectType: "audit", ObjectID: "trail",
			Detail: map[string]any{"filter": f, "returned": len(out)}})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: audit events: %w", err)
	}
	return out, total, nil
}

// LastSeq returns the sequence number of the newest event.
func (d *DB) LastSeq(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := d.db.QueryRowContext(ctx, `SELECT MAX(seq) FROM audit_events`).Scan(&n)
	return n.Int64, err
}

// VerifyAuditAs runs the same verification as `shuyu audit verify` with
// its default options (the store's trusted keys and this data directory's
// checkpoint file, at most 5 minutes or 10,000 events unanchored) for a
// person (the audit administrator or a regulator, R28.1, R30.1) and records
// that they did, with the outcome. It changes nothing but that record.
func (d *DB) VerifyAuditAs(ctx context.Context, actor *shuyu.Actor) (AuditCheck, error) {
	if err := shuyu.Authorize(actor, shuyu.ActAuditVerify, shuyu.Resource{}); err != nil {
		return AuditCheck{}, err
	}
	rep, err := d.VerifyAuditWith(ctx, VerifyOptions{MaxLag: 5 * time.Minute, MaxUnanchored: 10000})
	var te *audit.TamperError
	if err != nil && !errors.As(err, &te) {
		return rep, err
	}
	werr := d.update(ctx, actor, func(tx *Tx) error {
		return tx.audit(Change{Action: shuyu.AuditAuditVerify, ObjectType: "audit", ObjectID: "trail",
			Detail: map[string]any{"ok": rep.OK, "events": rep.Events, "checkpoints": rep.Checkpoints, "first_bad": rep.FirstBad,
				"kind": rep.Kind, "findings": len(rep.Findings)}})
	})
	if werr != nil {
		return rep, werr
	}
	return rep, nil
}
