package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shuyu"
)

// The data domain's lease: fail-over of the domain owner (docs/operations.md,
// "Fail-over of the domain owner"; R28.1, R4.2 one domain).
//
// One row (domain_lease) names the server that owns the domain, until when,
// and a fencing token. The owner takes it at start (AcquireDomainLease),
// renews it every third of its term (RenewDomainLease) and gives it up at a
// clean stop (ReleaseDomainLease). A standby polls it and takes it over once
// it has expired; each acquisition adds one to the token. After taking it, a
// process fences its writes (FenceDomainWrites): every write transaction
// then checks, under the audit head lock that every write transaction of
// every server takes, that the row still carries its token — so a former
// owner that wakes up after a takeover (paused, partitioned, its clock
// wrong) has every write refused, and can never commit after the new
// owner's acquisition. The expiry is judged by the clock of the server that
// takes over; fencing does not depend on any clock.

// DomainLease is the row of domain_lease.
type DomainLease struct {
	Owner      string    `json:"owner"` // server id (DB.ServerID)
	Addr       string    `json:"addr"`  // the URL other servers reach it at
	Token      int64     `json:"token"`
	AcquiredAt time.Time `json:"acquired_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// ErrLeaseLost: this server's domain lease was taken over (or never held).
var ErrLeaseLost = errors.New("sqlstore: the domain lease is no longer this server's")

type leaseCtxKey struct{}

// DomainLeaseHolder is the current lease, or nil when none was ever taken.
func (d *DB) DomainLeaseHolder(ctx context.Context) (*DomainLease, error) {
	row := d.db.QueryRowContext(ctx, `SELECT owner, addr, token, acquired_at, expires_at FROM domain_lease WHERE id = 1`)
	l, err := scanLease(row)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: domain lease: %w", err)
	}
	return l, nil
}

func scanLease(row interface{ Scan(...any) error }) (*DomainLease, error) {
	var l DomainLease
	var acq, exp int64
	if err := row.Scan(&l.Owner, &l.Addr, &l.Token, &acq, &exp); err != nil {
		return nil, err
	}
	l.AcquiredAt, l.ExpiresAt = fromMicros(acq), fromMicros(exp)
	return &l, nil
}

// AcquireDomainLease takes the domain lease for server owner (reachable at
// addr) for ttl: when no lease exists, when it has expired by this server's
// clock, or when owner already holds it (a restart). A live lease of another
// server is a conflict naming it. The acquisition is audited in the same
// transaction (domain.lease_acquire, with the new token and the previous
// owner), and the servers list is updated: owner becomes the server with
// the domain role "owner", the previous owner "none".
func (d *DB) AcquireDomainLease(ctx context.Context, owner, addr string, ttl time.Duration) (*DomainLease, error) {
	if owner == "" || ttl <= 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "租约需要服务器标识和期限 (a lease needs a server id and a term)")
	}
	var out *DomainLease
	err := d.update(context.WithValue(ctx, leaseCtxKey{}, true), shuyu.System, func(tx *Tx) error {
		q := `SELECT owner, addr, token, acquired_at, expires_at FROM domain_lease WHERE id = 1`
		if d.dialect == Postgres {
			q += ` FOR UPDATE`
		}
		prev, err := scanLease(tx.queryRow(q))
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		token := int64(1)
		detail := map[string]any{"addr": addr, "ttl_seconds": ttl.Seconds()}
		if prev != nil {
			if prev.Owner != owner && prev.ExpiresAt.After(tx.now) {
				return shuyu.Errorf(shuyu.ECONFLICT,
					"数据域租约由服务器 %s（%s）持有，至 %s 到期；请以 --domain=standby 启动本服务器（租约到期后接管），或以 --domain=none 启动（只转发） (the domain lease is held by server %s at %s until %s: start this server with --domain=standby, which takes over once the lease expires, or --domain=none, which only forwards)",
					prev.Owner, prev.Addr, prev.ExpiresAt.Format(time.RFC3339), prev.Owner, prev.Addr, prev.ExpiresAt.Format(time.RFC3339))
			}
			token = prev.Token + 1
			detail["previous_owner"], detail["previous_token"] = prev.Owner, prev.Token
			detail["previous_expires_at"] = prev.ExpiresAt.UTC().Format(time.RFC3339Nano)
		}
		detail["token"] = token
		l := &DomainLease{Owner: owner, Addr: addr, Token: token, AcquiredAt: tx.now, ExpiresAt: tx.now.Add(ttl)}
		if _, err := tx.exec(`DELETE FROM domain_lease WHERE id = 1`); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO domain_lease (id, owner, addr, token, acquired_at, expires_at) VALUES (1, ?, ?, ?, ?, ?)`,
			owner, addr, token, micros(l.AcquiredAt), micros(l.ExpiresAt)); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE servers SET domain_role = ? WHERE domain_role = ? AND id <> ?`, DomainNone, DomainOwner, owner); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE servers SET domain_role = ?, addr = ? WHERE id = ?`, DomainOwner, addr, owner); err != nil {
			return err
		}
		out = l
		return tx.audit(Change{Action: shuyu.AuditDomainLeaseAcquire, ObjectType: "server", ObjectID: owner, Detail: detail})
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: acquire domain lease: %w", err)
	}
	return out, nil
}

// FenceDomainWrites makes every later write transaction of this store
// handle check that l is still the lease (tx.checkFence): after a takeover
// they fail with ErrLeaseLost.
func (d *DB) FenceDomainWrites(l *DomainLease) { d.fence.Store(l) }

// checkFence refuses a write transaction of a fenced handle whose lease
// was taken over. Acquiring and releasing are not fenced (they decide on
// the row themselves).
func (tx *Tx) checkFence() error {
	l := tx.d.fence.Load()
	if l == nil || tx.ctx.Value(leaseCtxKey{}) != nil {
		return nil
	}
	var owner string
	var token int64
	err := tx.queryRow(`SELECT owner, token FROM domain_lease WHERE id = 1`).Scan(&owner, &token)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("sqlstore: domain lease: %w", err)
	}
	if owner != l.Owner || token != l.Token {
		return leaseLostError{shuyu.Errorf(shuyu.EUNAVAILABLE, "本服务器已不再持有数据域租约（已由其他服务器接管），拒绝写入 (this server no longer holds the domain lease — another server took over — so it writes nothing): %v", ErrLeaseLost)}
	}
	return nil
}

// RenewDomainLease extends l by ttl from now. It is bookkeeping like the
// heartbeat (no audit event: an owner renews every few seconds). It fails
// with ErrLeaseLost when the row no longer carries l's owner and token — a
// standby took over — and the caller must then stop being the owner.
func (d *DB) RenewDomainLease(ctx context.Context, l *DomainLease, ttl time.Duration) (time.Time, error) {
	done, err := d.writeTurn(ctx)
	if err != nil {
		return time.Time{}, err
	}
	defer done()
	exp := d.now().Add(ttl)
	res, err := d.db.ExecContext(ctx, d.Rebind(`UPDATE domain_lease SET expires_at = ? WHERE id = 1 AND owner = ? AND token = ?`),
		micros(exp), l.Owner, l.Token)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlstore: renew domain lease: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return time.Time{}, ErrLeaseLost
	}
	return exp, nil
}

// ReleaseDomainLease ends l now (a clean stop), so a standby takes over at
// its next look instead of waiting for the term to run out; audited. A
// lease already taken over is left alone (ErrLeaseLost).
func (d *DB) ReleaseDomainLease(ctx context.Context, l *DomainLease) error {
	err := d.update(context.WithValue(ctx, leaseCtxKey{}, true), shuyu.System, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE domain_lease SET expires_at = ? WHERE id = 1 AND owner = ? AND token = ?`, micros(tx.now), l.Owner, l.Token)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrLeaseLost
		}
		return tx.audit(Change{Action: shuyu.AuditDomainLeaseRelease, ObjectType: "server", ObjectID: l.Owner,
			Detail: map[string]any{"token": l.Token}})
	})
	if err != nil {
		return fmt.Errorf("sqlstore: release domain lease: %w", err)
	}
	d.fence.Store(nil)
	return nil
}

// LiveDomainOwner is the lease of the server that owns the domain now, or
// nil when none does: the lease must not have expired (by this server's
// clock), and its holder must be registered in the servers list with the
// domain role "owner" at the very address the lease names. Servers without
// the domain forward domain work only to that address
// (web/domain_forward.go): never to one that is not registered here.
func (d *DB) LiveDomainOwner(ctx context.Context) (*DomainLease, error) {
	row := d.db.QueryRowContext(ctx, d.Rebind(`SELECT l.owner, l.addr, l.token, l.acquired_at, l.expires_at
		FROM domain_lease l JOIN servers s ON s.id = l.owner AND s.addr = l.addr AND s.domain_role = ?
		WHERE l.id = 1 AND l.expires_at > ? AND l.addr <> ''`), DomainOwner, micros(d.now()))
	l, err := scanLease(row)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: live domain owner: %w", err)
	}
	return l, nil
}

// leaseLostError is the fence's refusal: a *shuyu.Error (503 with its
// message) that is also ErrLeaseLost, so the web layer can tell a
// forwarding server that this one no longer holds the domain.
type leaseLostError struct{ e *shuyu.Error }

func (e leaseLostError) Error() string   { return e.e.Error() }
func (e leaseLostError) Unwrap() []error { return []error{e.e, ErrLeaseLost} }
