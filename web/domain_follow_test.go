package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/vault"
)

// A forwarding server (--domain=none, no --domain-owner) follows the domain
// lease (R28.1): it sends domain work to the live lease holder registered
// in the store; when that owner stops answering and the lease has passed to
// another server, the very next request reaches the new owner without a
// restart; a server that says it does not hold the domain makes it look
// again; it never forwards to an address that is not the live holder's
// registered one; without a live owner it answers 503 with the reason.
// The owners are real servers on one real domain, in turn; the store is
// real SQLite, its clock the test's.
func TestDomainForward_R28_1_FollowsLeaseHolder(t *testing.T) {
	env := sqltest.Seeded(t, "sqlite")
	ctx := context.Background()
	const secret, ttl = "a-shared-secret-of-some-length", 15 * time.Second
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	v, err := vault.Open(filepath.Join(t.TempDir(), "domain"), vault.Options{Now: env.Clock.Now, MemoryLimit: "512MB"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	// owner serves a real owner server and counts what reaches it.
	owner := func(id string) (*httptest.Server, *atomic.Int64) {
		s := New(Config{DB: env.DB, Vault: v, Now: env.Clock.Now, Log: quiet, DomainRole: "owner", DomainSecret: secret})
		var n atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			s.Handler().ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		register(t, env, id, srv.URL)
		return srv, &n
	}
	// A periodic look far away: here the forwarder re-reads the store
	// because an owner failed, not because time passed.
	fwd := New(Config{DB: env.DB, Now: env.Clock.Now, Log: quiet, DomainRole: "none", DomainSecret: secret, DomainOwnerRefresh: time.Hour})
	h := serveHarness(t, env, fwd)
	tok := h.token("merchant-a")
	get := func(method string) (int, http.Header, string) {
		t.Helper()
		var in any
		if method == "POST" {
			in = map[string]any{}
		}
		resp, body := h.do(tok, method, "/api/v1/workspaces", in)
		return resp.StatusCode, resp.Header, string(body)
	}

	// No lease yet: 503, with the reason and when to try again.
	if st, hdr, body := get("GET"); st != 503 || !strings.Contains(body, "no server holds it") || hdr.Get("Retry-After") == "" {
		t.Fatalf("without an owner: %d %s %v", st, body, hdr)
	}
	a, na := owner("srv-a")
	b, nb := owner("srv-b")
	if _, err := env.DB.AcquireDomainLease(ctx, "srv-a", a.URL, ttl); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(2 * time.Second) // past the no-owner recheck
	if st, _, body := get("GET"); st != 200 || na.Load() != 1 {
		t.Fatalf("through owner a: %d %s (a saw %d)", st, body, na.Load())
	}

	// a dies; its lease runs out and b takes it over. The forwarder still
	// has a cached; the request fails over to b at once and succeeds.
	a.Close()
	env.Clock.Advance(ttl + time.Second)
	if _, err := env.DB.AcquireDomainLease(ctx, "srv-b", b.URL, ttl); err != nil {
		t.Fatal(err)
	}
	if st, _, body := get("GET"); st != 200 || nb.Load() != 1 {
		t.Fatalf("after the takeover by b: %d %s (b saw %d)", st, body, nb.Load())
	}
	if st, _, _ := get("GET"); st != 200 || nb.Load() != 2 {
		t.Fatalf("second request: %d (b saw %d)", st, nb.Load())
	}

	// A server that does not hold the domain (a standby before its
	// takeover) refuses a forwarded request and says so; it never forwards
	// it on.
	n := New(Config{DB: env.DB, Now: env.Clock.Now, Log: quiet, DomainRole: "none", DomainSecret: secret})
	var nn atomic.Int64
	ns := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nn.Add(1)
		n.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ns.Close)
	register(t, env, "srv-n", ns.URL)
	env.Clock.Advance(ttl + time.Second)
	if _, err := env.DB.AcquireDomainLease(ctx, "srv-n", ns.URL, ttl); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Second)
	fwd.owner.failed(mustURL(t, b.URL)) // as if b had just failed: look again
	if st, _, body := get("GET"); st != 503 || nn.Load() != 1 || nb.Load() != 2 {
		t.Fatalf("holder not serving the domain: %d %s (n saw %d, b %d)", st, body, nn.Load(), nb.Load())
	}
	// ... and the forwarder looks again at its next request: b holds it again.
	env.Clock.Advance(ttl + time.Second)
	if _, err := env.DB.AcquireDomainLease(ctx, "srv-b", b.URL, ttl); err != nil {
		t.Fatal(err)
	}
	if st, _, body := get("GET"); st != 200 || nb.Load() != 3 || nn.Load() != 1 {
		t.Fatalf("back to b after a not-owner answer: %d %s (b saw %d, n %d)", st, body, nb.Load(), nn.Load())
	}

	// A lease naming an address its holder did not register is not
	// followed, even at the periodic look: 503, nothing forwarded.
	if _, err := env.DB.SQL().Exec(`UPDATE domain_lease SET addr = 'http://127.0.0.1:9' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(2 * time.Hour)
	if _, err := env.DB.RenewDomainLease(ctx, mustLease(t, env), ttl); err != nil {
		t.Fatal(err)
	}
	if st, _, body := get("GET"); st != 503 || !strings.Contains(body, "no server holds it") || nb.Load() != 3 {
		t.Fatalf("lease with an unregistered address: %d %s (b saw %d)", st, body, nb.Load())
	}

	// A write is not repeated behind the client's back: b dies, c holds
	// the lease; the POST answers 503 naming b, the next request reaches c.
	delete(h.tokens, "merchant-a") // two hours later: a new session
	tok = h.token("merchant-a")
	c, nc := owner("srv-c")
	env.Clock.Advance(ttl + time.Second)
	if _, err := env.DB.AcquireDomainLease(ctx, "srv-b", b.URL, ttl); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(2 * time.Second)
	if st, _, _ := get("GET"); st != 200 || nb.Load() != 4 {
		t.Fatalf("b again: %d (b saw %d)", st, nb.Load())
	}
	b.Close()
	env.Clock.Advance(ttl + time.Second)
	if _, err := env.DB.AcquireDomainLease(ctx, "srv-c", c.URL, ttl); err != nil {
		t.Fatal(err)
	}
	if st, _, body := get("POST"); st != 503 || !strings.Contains(body, b.URL) || nc.Load() != 0 {
		t.Fatalf("POST to a dead owner: %d %s (c saw %d)", st, body, nc.Load())
	}
	env.Clock.Advance(time.Second)
	if st, _, body := get("GET"); st != 200 || nc.Load() != 1 {
		t.Fatalf("after the failed POST: %d %s (c saw %d)", st, body, nc.Load())
	}
	// c stops renewing and nobody takes over: once the lease has expired
	// (seen at the periodic look), there is no owner to forward to.
	env.Clock.Advance(ttl + time.Hour)
	if st, _, body := get("GET"); st != 503 || !strings.Contains(body, "no server holds it") || nc.Load() != 1 {
		t.Fatalf("after the lease expired: %d %s (c saw %d)", st, body, nc.Load())
	}
}

// register puts a server row for id at addr (another process's start,
// sqlstore.RegisterServer, which registers only its own data directory).
func register(t *testing.T, env *sqltest.Env, id, addr string) {
	t.Helper()
	if _, err := env.DB.SQL().Exec(`INSERT INTO servers (id, data_dir, addr, domain_role, key_id, started_at, seen_at) VALUES (?, '/elsewhere', ?, 'none', '', 0, 0)`, id, addr); err != nil {
		t.Fatal(err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := ownerURL(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustLease(t *testing.T, env *sqltest.Env) *sqlstore.DomainLease {
	t.Helper()
	l, err := env.DB.DomainLeaseHolder(context.Background())
	if err != nil || l == nil {
		t.Fatalf("lease: %+v %v", l, err)
	}
	return l
}
