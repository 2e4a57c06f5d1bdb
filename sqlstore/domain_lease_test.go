package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// The domain lease: one owner at a time, taken over only after it expired,
// and a former owner's writes fenced by the token once a standby took over
// (R28.1, R4.2). One store handle plays both servers: the fence is the
// handle's, the owner ids are explicit.
func TestDomainLease_R28_1_TakeoverAfterExpiryFencesFormerOwner(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db := env.DB
		const ttl = 10 * time.Second
		write := func() error {
			return db.RecordOperation(ctx, shuyu.System, shuyu.AuditBackupCreate, map[string]any{"test": true})
		}
		a, err := db.AcquireDomainLease(ctx, "srv-a", "http://a", ttl)
		if err != nil || a.Token != 1 {
			t.Fatalf("first acquisition: %+v %v", a, err)
		}
		db.FenceDomainWrites(a)
		if err := write(); err != nil {
			t.Fatalf("owner's write: %v", err)
		}
		// A standby cannot take a live lease, even a moment before expiry.
		env.Clock.Advance(ttl - time.Second)
		if _, err := db.AcquireDomainLease(ctx, "srv-b", "http://b", ttl); shuyu.ErrorCode(err) != string(shuyu.ECONFLICT) {
			t.Fatalf("takeover of a live lease: %v", err)
		}
		// The owner renews; the standby still waits.
		if _, err := db.RenewDomainLease(ctx, a, ttl); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(ttl - time.Second)
		if _, err := db.AcquireDomainLease(ctx, "srv-b", "http://b", ttl); shuyu.ErrorCode(err) != string(shuyu.ECONFLICT) {
			t.Fatalf("takeover of a renewed lease: %v", err)
		}
		// The owner stops renewing (killed, paused); after expiry the standby takes over.
		env.Clock.Advance(2 * time.Second)
		b, err := db.AcquireDomainLease(ctx, "srv-b", "http://b", ttl)
		if err != nil || b.Token != 2 || b.Owner != "srv-b" {
			t.Fatalf("takeover after expiry: %+v %v", b, err)
		}
		// The former owner wakes up: every write and its renewal are refused.
		if err := write(); shuyu.ErrorCode(err) != string(shuyu.EUNAVAILABLE) {
			t.Fatalf("former owner's write after the takeover: %v", err)
		}
		if _, err := db.RenewDomainLease(ctx, a, ttl); err == nil {
			t.Fatal("former owner renewed a lease taken over")
		}
		if err := db.ReleaseDomainLease(ctx, a); err == nil {
			t.Fatal("former owner released a lease taken over")
		}
		h, err := db.DomainLeaseHolder(ctx)
		if err != nil || h.Owner != "srv-b" || h.Token != 2 {
			t.Fatalf("holder: %+v %v", h, err)
		}
		// The new owner writes, renews, and releases at a clean stop; then
		// the next one takes over at once, with the next token.
		db.FenceDomainWrites(b)
		if err := write(); err != nil {
			t.Fatalf("new owner's write: %v", err)
		}
		if err := db.ReleaseDomainLease(ctx, b); err != nil {
			t.Fatal(err)
		}
		c, err := db.AcquireDomainLease(ctx, "srv-a", "http://a", ttl)
		if err != nil || c.Token != 3 {
			t.Fatalf("acquisition after a release: %+v %v", c, err)
		}
		// Every acquisition and the release are in the trail.
		var n int
		db.SQL().QueryRow(`SELECT count(*) FROM audit_events WHERE action IN ('domain.lease_acquire', 'domain.lease_release')`).Scan(&n)
		if n != 4 {
			t.Fatalf("lease events in the trail: %d, want 4", n)
		}
	})
}
