package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// Every route of the domain's capabilities (domain, sandbox, output) is
// domain work that a server without the domain forwards, and no other
// route is: a new domain route outside the prefixes, or a store-only route
// inside them, fails here.
func TestDomainForward_PrefixesMatchDomainRoutes(t *testing.T) {
	db, _ := sqltest.Open(t, "sqlite")
	domainOnly := &Server{cfg: Config{DB: db}, db: db, ui: &uiState{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	domainOnly.domainRoutes()
	domainOnly.sandboxRoutes()
	domainOnly.outputRoutes()
	domainOnly.servicesDomainRoutes()
	isDomain := map[string]bool{}
	for _, rt := range domainOnly.routes {
		isDomain[rt.method+" "+rt.pattern] = true
		if !isDomainPath(rt.pattern) {
			t.Errorf("domain route %s %s is not forwarded", rt.method, rt.pattern)
		}
	}
	if len(isDomain) < 20 {
		t.Fatalf("only %d domain routes found", len(isDomain))
	}
	all := New(Config{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, rt := range all.routes {
		if !isDomain[rt.method+" "+rt.pattern] && rt.pattern != "/" && isDomainPath(rt.pattern) {
			t.Errorf("store-only route %s %s would be forwarded", rt.method, rt.pattern)
		}
	}
}

// The owner takes the client address from a forwarding server only when
// the shared secret matches: a client that sends the header itself is
// still seen at its own address (so throttling and the audit trail cannot
// be fooled).
func TestDomainForward_ClientAddressOnlyWithSecret(t *testing.T) {
	db, _ := sqltest.Open(t, "sqlite")
	s := New(Config{DB: db, DomainSecret: "a-shared-secret-of-some-length", DomainRole: "owner", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	var seen string
	h := s.withRequestInfo(s.domainRouting(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = shuyu.RequestInfoFrom(r.Context()).ClientIP
		if edge := edgeOf(r.Context()).client.String(); edge != seen {
			t.Errorf("throttling would see %s, the trail %s", edge, seen)
		}
		if r.Header.Get(hdrDomainSecret) != "" {
			t.Error("the secret reached the handler")
		}
	})))
	for _, c := range []struct {
		secret, want string
	}{
		{"a-shared-secret-of-some-length", "10.9.8.7"},
		{"wrong-secret-of-the-same-length", "192.0.2.1"},
		{"", "192.0.2.1"},
	} {
		r := httptest.NewRequest("GET", "/api/v1/domain/mounts", nil)
		r.RemoteAddr = "192.0.2.1:4444"
		r.Header.Set(hdrClientIP, "10.9.8.7")
		if c.secret != "" {
			r.Header.Set(hdrDomainSecret, c.secret)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if seen != c.want {
			t.Errorf("secret %q: client address %q, want %q", c.secret, seen, c.want)
		}
	}
}

// A server without the domain and without a reachable owner refuses domain
// work with 503 and a message, and still serves store-only work.
func TestDomainForward_NoOwnerRefuses503(t *testing.T) {
	db, _ := sqltest.Open(t, "sqlite")
	s := New(Config{DB: db, DomainRole: "none", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	for path, want := range map[string]int{"/api/v1/domain/mounts": 503, "/workspaces": 503, "/api/v1/catalog": 200, "/livez": 200} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d %s, want %d", path, resp.StatusCode, body, want)
		}
	}
}
