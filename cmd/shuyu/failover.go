package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"shuyu/sqlstore"
	"shuyu/vault"
	"shuyu/web"
)

// Fail-over of the domain owner (docs/operations.md, "Fail-over of the
// domain owner"; R28.1, R4.2). The owner holds the domain lease in the store
// (sqlstore/domain_lease.go) and renews it every third of its term; a
// `--domain=standby` server serves like `--domain=none` (forwarding domain
// work to the owner) and looks at the lease as often; once the lease has
// expired it takes it (the token grows), fences its own writes with it,
// opens the domain from the shared --domain-dir (retrying while the former
// owner's process still holds DuckDB's file lock), runs the owner's start-up
// checks, and swaps its HTTP handler for an owner's. A former owner that
// finds its lease taken over stops serving at once; its write transactions
// are refused by the fence before that.

const domainStandby = "standby"

// webRole is the role the web server and the servers list know: a standby
// serves as "none" until it takes over.
func webRole(role string) string {
	if role == domainStandby {
		return sqlstore.DomainNone
	}
	return role
}

// swapHandler is the HTTP handler a standby replaces at its takeover.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

// web is the current web server (a standby's changes at its takeover).
func (m *Main) web() *web.Server {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.Server
}

func (m *Main) closeListener() {
	if m.Listener != nil {
		m.Listener.Close()
	}
}

// takeLease acquires the domain lease for this server and fences its writes.
func (m *Main) takeLease(ctx context.Context, addr string) error {
	id, err := m.DB.ServerID()
	if err != nil {
		return err
	}
	l, err := m.DB.AcquireDomainLease(ctx, id, addr, m.leaseTerm())
	if err != nil {
		return err
	}
	m.DB.FenceDomainWrites(l)
	m.mu.Lock()
	m.lease = l
	m.mu.Unlock()
	m.Log.Info("数据域租约 domain lease taken", "token", l.Token, "expires", l.ExpiresAt)
	return nil
}

func (m *Main) leaseTerm() time.Duration { return leaseTerm(m.ops.DomainLease) }

// leaseTerm is --domain-lease, or its default.
func leaseTerm(flag time.Duration) time.Duration {
	if flag > 0 {
		return flag
	}
	return 15 * time.Second
}

// releaseLease gives the lease up at a clean stop (a standby then takes over
// at its next look).
func (m *Main) releaseLease(ctx context.Context) {
	m.mu.Lock()
	l := m.lease
	m.lease = nil
	m.mu.Unlock()
	if l == nil {
		return
	}
	if err := m.DB.ReleaseDomainLease(ctx, l); err != nil {
		m.Log.Warn("domain lease release", "err", err)
	}
}

// leaseJobs starts the owner's renewals, or the standby's watch.
func (m *Main) leaseJobs(ctx context.Context) {
	switch {
	case m.owner.Load():
		go m.renewLease(ctx)
	case m.ops.Domain == domainStandby:
		go m.watchLease(ctx)
	}
}

// lost reports that this process must stop (at most once).
func (m *Main) lost(err error) {
	select {
	case m.leaseLost <- err:
	default:
	}
}

// renewLease renews the lease every third of its term. A renewal that finds
// the lease taken over stops the process; one that fails for another reason
// (the store unreachable) is retried, and if the term runs out meanwhile a
// standby may take over — then the next renewal finds out, and the fence
// has refused this process's writes from the takeover on.
func (m *Main) renewLease(ctx context.Context) {
	term := m.leaseTerm()
	t := time.NewTicker(term / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.mu.Lock()
		l := m.lease
		m.mu.Unlock()
		if l == nil {
			return
		}
		if _, err := m.DB.RenewDomainLease(ctx, l, term); errors.Is(err, sqlstore.ErrLeaseLost) {
			m.Log.Error("数据域租约已被其他服务器接管，本服务器停止服务 (the domain lease was taken over by another server: this server stops)", "token", l.Token)
			m.lost(fmt.Errorf("domain lease %d lost: another server took the domain over", l.Token))
			return
		} else if err != nil && ctx.Err() == nil {
			m.Log.Error("domain lease renewal", "err", err)
		}
	}
}

// watchLease is the standby's loop: every third of the term it looks at
// the lease, and takes the domain over once the lease has expired.
func (m *Main) watchLease(ctx context.Context) {
	term := m.leaseTerm()
	t := time.NewTicker(term / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h, err := m.DB.DomainLeaseHolder(ctx)
		if err != nil {
			if ctx.Err() == nil {
				m.Log.Error("domain lease", "err", err)
			}
			continue
		}
		if h != nil && h.ExpiresAt.After(m.Now()) {
			continue
		}
		if err := m.takeOver(ctx); err != nil {
			if errors.Is(err, errNotYet) {
				continue
			}
			m.Log.Error("数据域接管失败 domain takeover failed", "err", err)
			m.lost(fmt.Errorf("domain takeover failed: %w", err))
			return
		}
		return
	}
}

var errNotYet = errors.New("lease not free yet")

// takeOver makes this standby the domain owner.
func (m *Main) takeOver(ctx context.Context) error {
	start := time.Now()
	addr := m.advertise
	if srv, err := m.DB.ServerID(); err == nil {
		for _, s := range mustServers(ctx, m.DB) {
			if s.ID == srv {
				addr = s.Addr
			}
		}
	}
	if err := m.takeLease(ctx, addr); err != nil {
		if ctx.Err() == nil {
			m.Log.Info("domain lease not taken", "err", err)
		}
		return errNotYet // another standby was quicker, or the owner renewed
	}
	// Renew from now on: the lease is this server's while it opens the domain.
	go m.renewLease(ctx)
	// The former owner's process may still hold DuckDB's file lock: for a
	// moment after kill -9, or, paused, until it wakes, finds its lease
	// taken over and stops. Retry until the domain opens.
	var v *vault.Domain
	var err error
	for tries := 0; ; tries++ {
		v, err = openDomain(ctx, m.DB, m.domainDir, m.Now, m.Log)
		if err == nil || ctx.Err() != nil {
			break
		}
		if tries%50 == 0 {
			m.Log.Warn("数据域暂时无法打开，重试中 (the domain cannot be opened yet — the former owner may still hold it — retrying)", "dir", m.domainDir, "err", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("open the domain in %s: %w", m.domainDir, err)
	}
	cfg := m.webCfg
	cfg.Vault, cfg.DomainRole, cfg.DomainOwnerURL = v, sqlstore.DomainOwner, ""
	srv := web.New(cfg)
	srv.RecordIntegrity(m.integrity)
	m.mu.Lock()
	old := m.Server
	m.Server, m.Vault = srv, v
	m.mu.Unlock()
	err = m.checkDomain(ctx, &ServeOptions{Ops: m.ops})
	if err == nil {
		err = srv.DomainStartup(ctx)
	}
	if err != nil {
		m.mu.Lock()
		m.Server, m.Vault = old, nil
		m.mu.Unlock()
		v.Close()
		m.releaseLease(context.Background())
		return err
	}
	m.handler.set(srv.Handler())
	m.owner.Store(true)
	m.Log.Warn("本服务器已接管数据域 this server took the data domain over", "dir", m.domainDir, "seconds", time.Since(start).Seconds())
	return nil
}

func mustServers(ctx context.Context, db *sqlstore.DB) []sqlstore.Server {
	s, _ := db.Servers(ctx)
	return s
}
