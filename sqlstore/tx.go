package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"shuyu"
	"shuyu/audit"
)

// Tx is one store transaction. Write transactions hold the audit head for
// their whole life, so events are numbered in commit order and, on
// PostgreSQL, concurrent writers queue on one row lock instead of
// deadlocking on each other's rows.
type Tx struct {
	tx     *sql.Tx
	d      *DB
	ctx    context.Context
	now    time.Time
	actor  *shuyu.Actor
	write  bool
	seq    int64  // audit head after the events written so far
	head   []byte // hash of event seq
	events int
	hasher audit.Hasher
	// actingChecked: the delegation of an acting actor was re-read in
	// this transaction (actingCheck, R6.3).
	actingChecked bool
	// stmts, when set, keeps each statement prepared once for the rest of
	// the transaction (a batch of service calls runs the same statements
	// for every call; services_batch.go). Closed with the transaction.
	stmts map[string]*sql.Stmt
}

// update runs fn in a write transaction that must record at least one
// audit event: a change without its event is refused (invariant 2).
func (d *DB) update(ctx context.Context, actor *shuyu.Actor, fn func(tx *Tx) error) error {
	return d.run(ctx, actor, true, fn)
}

// view runs fn in a read-only transaction.
func (d *DB) view(ctx context.Context, fn func(tx *Tx) error) error {
	return d.run(ctx, shuyu.ActorFrom(ctx), false, fn)
}

// writeTurn waits for this process's turn to write. SQLite admits one
// writer at a time and makes the others poll with growing sleeps (its busy
// handler), which is not fair: under a steady stream of writes the one that
// just committed begins again before a sleeping poller wakes, and a writer
// can starve until busy_timeout answers SQLITE_BUSY. Queuing the process's
// writers here in arrival order leaves the busy handler only the rare
// writer of another process (a CLI against the same data directory).
// PostgreSQL queues writers on the audit head row lock itself, so it needs
// no turn.
func (d *DB) writeTurn(ctx context.Context) (done func(), err error) {
	if d.dialect != SQLite {
		return func() {}, nil
	}
	select {
	case d.writers <- struct{}{}:
		return func() { <-d.writers }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (d *DB) run(ctx context.Context, actor *shuyu.Actor, write bool, fn func(tx *Tx) error) error {
	if write {
		done, err := d.writeTurn(ctx)
		if err != nil {
			return fmt.Errorf("sqlstore: begin: %w", err)
		}
		defer done()
	}
	opts := &sql.TxOptions{ReadOnly: !write && d.dialect == Postgres}
	stx, err := d.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	tx := &Tx{tx: stx, d: d, ctx: ctx, now: d.now(), actor: actor, write: write}
	if write {
		q := `SELECT seq, hash FROM audit_head WHERE id = 1`
		if d.dialect == Postgres {
			q += ` FOR UPDATE`
		}
		if err := stx.QueryRowContext(ctx, q).Scan(&tx.seq, &tx.head); err != nil {
			stx.Rollback()
			return fmt.Errorf("sqlstore: audit head: %w", err)
		}
		// R28.1, R4.2: a domain owner writes only while the lease is still
		// its own — checked under the audit head lock, which every write
		// transaction of every server takes, so no takeover can commit
		// between this check and this transaction's commit.
		if err := tx.checkFence(); err != nil {
			stx.Rollback()
			return err
		}
	}
	if err := fn(tx); err != nil {
		stx.Rollback()
		return err
	}
	if write {
		if tx.events == 0 {
			stx.Rollback()
			return fmt.Errorf("sqlstore: write transaction recorded no audit event")
		}
		if _, err := tx.exec(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, tx.seq, tx.head); err != nil {
			stx.Rollback()
			return fmt.Errorf("sqlstore: audit head: %w", err)
		}
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	if write {
		d.kickCheckpoint(tx.seq)
	}
	return nil
}

func (tx *Tx) exec(q string, args ...any) (sql.Result, error) {
	if st := tx.prepared(q); st != nil {
		return st.ExecContext(tx.ctx, args...)
	}
	return tx.tx.ExecContext(tx.ctx, tx.d.Rebind(q), args...)
}

func (tx *Tx) query(q string, args ...any) (*sql.Rows, error) {
	if st := tx.prepared(q); st != nil {
		return st.QueryContext(tx.ctx, args...)
	}
	return tx.tx.QueryContext(tx.ctx, tx.d.Rebind(q), args...)
}

func (tx *Tx) queryRow(q string, args ...any) *sql.Row {
	if st := tx.prepared(q); st != nil {
		return st.QueryRowContext(tx.ctx, args...)
	}
	return tx.tx.QueryRowContext(tx.ctx, tx.d.Rebind(q), args...)
}

// prepared is q's statement kept for the transaction, or nil when the
// transaction keeps none (or q is not a plain SELECT, INSERT, UPDATE or
// DELETE, or does not prepare: then it runs unprepared and fails there).
func (tx *Tx) prepared(q string) *sql.Stmt {
	if tx.stmts == nil {
		return nil
	}
	if st, ok := tx.stmts[q]; ok {
		return st
	}
	head := strings.ToUpper(strings.TrimSpace(q))
	if !(strings.HasPrefix(head, "SELECT") || strings.HasPrefix(head, "INSERT") || strings.HasPrefix(head, "UPDATE") ||
		strings.HasPrefix(head, "DELETE")) {
		return nil
	}
	st, err := tx.tx.PrepareContext(tx.ctx, tx.d.Rebind(q))
	if err != nil {
		return nil
	}
	tx.stmts[q] = st
	return st
}

// insert runs an INSERT … RETURNING id (both dialects support RETURNING).
func (tx *Tx) insert(q string, args ...any) (int64, error) {
	var id int64
	err := tx.queryRow(q+` RETURNING id`, args...).Scan(&id)
	return id, err
}

// Now is the transaction's time: every row and event of one transaction
// carries the same instant.
func (tx *Tx) Now() time.Time { return tx.now }

// Change describes one audited state change. Its Action is one of
// shuyu.AuditActions (TestAudit_ActionsListed checks every Change in this
// package).
type Change struct {
	Action     shuyu.AuditAction
	ObjectType string
	ObjectID   any
	Reason     string
	Detail     any // marshalled to JSON: shapes, counts, ids; never raw data values
}

// audit appends an event for c, chained to the previous one, in this
// transaction (R27.1, R28.1).
func (tx *Tx) audit(c Change) error {
	if !tx.write {
		return fmt.Errorf("sqlstore: audit in a read transaction")
	}
	if c.Action == "" {
		return fmt.Errorf("sqlstore: audit %s %v: no action", c.ObjectType, c.ObjectID)
	}
	a := tx.actor
	if a == nil {
		return fmt.Errorf("sqlstore: audit %s: no actor", c.Action)
	}
	if a.Acting != nil { // R6.3: acts for a merchant only under a delegation in force, recorded as such
		if err := tx.actingCheck(a); err != nil {
			return err
		}
		if err := actingRealData(a, c); err != nil {
			return err
		}
		d, err := actingDetail(a, c.Detail)
		if err != nil {
			return fmt.Errorf("sqlstore: audit %s: %w", c.Action, err)
		}
		c.Detail = d
	}
	detail := ""
	if c.Detail != nil {
		b, err := json.Marshal(c.Detail)
		if err != nil {
			return fmt.Errorf("sqlstore: audit %s: %w", c.Action, err)
		}
		detail = string(b)
	}
	ri := shuyu.RequestInfoFrom(tx.ctx)
	roles := make([]string, len(a.Roles))
	for i, r := range a.Roles {
		roles[i] = string(r)
	}
	role := strings.Join(roles, ",")
	if a.IsSystem() {
		role = "system"
	}
	e := shuyu.Event{
		Seq: tx.seq + 1, Time: tx.now,
		ActorID: a.UserID, ActorName: a.Username, ActorRole: role, ActorOrgID: a.OrgID,
		Action: string(c.Action), ObjectType: c.ObjectType, ObjectID: fmt.Sprint(c.ObjectID),
		Reason: c.Reason, Detail: detail, RequestID: ri.RequestID, ClientIP: ri.ClientIP,
	}
	tx.hasher.Seal(tx.head, &e)
	_, err := tx.exec(`INSERT INTO audit_events (seq, time, actor_id, actor_name, actor_role, actor_org_id, action,
		object_type, object_id, reason, detail, request_id, client_ip, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, micros(e.Time), e.ActorID, e.ActorName, e.ActorRole, e.ActorOrgID, e.Action,
		e.ObjectType, e.ObjectID, e.Reason, e.Detail, e.RequestID, e.ClientIP, e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("sqlstore: audit %s: %w", c.Action, err)
	}
	tx.seq, tx.head = e.Seq, e.Hash
	tx.events++
	return nil
}

// isUnique reports whether err is a unique-constraint violation in either
// dialect.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// notFound answers exactly as Authorize does for another tenant's object, so
// that a missing id and a hidden one cannot be told apart (invariant 3);
// what names the object for the logs only.
func notFound(what string) error {
	return &shuyu.Error{Code: shuyu.ENOTFOUND, Message: "对象不存在 (not found)", Op: what}
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
