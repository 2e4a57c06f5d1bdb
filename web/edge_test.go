package web

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// clientFrom returns an HTTP client whose connections leave from the
// loopback address src (127.0.0.1, 127.0.0.2, …): a second source address
// on one machine.
func clientFrom(src string, base *http.Client) *http.Client {
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}).DialContext}
	if bt, ok := base.Transport.(*http.Transport); ok && bt.TLSClientConfig != nil {
		tr.TLSClientConfig = bt.TLSClientConfig.Clone()
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// lastEventIP is the client address the trail recorded for the newest event.
func lastEventIP(t *testing.T, db *sqlstore.DB) string {
	t.Helper()
	var ip string
	if err := db.SQL().QueryRowContext(context.Background(), `SELECT client_ip FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&ip); err != nil {
		t.Fatal(err)
	}
	return ip
}

func edgeServer(t *testing.T, proxies []string, useTLS bool) (*httptest.Server, *sqlstore.DB) {
	t.Helper()
	db, clock := sqltest.Open(t, "sqlite")
	sqltest.Seed(t, db)
	p, err := ParseTrustedProxies(proxies)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{DB: db, Now: clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), TrustedProxies: p})
	srv := httptest.NewUnstartedServer(s.Handler())
	if useTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, db
}

func loginAPI(t *testing.T, c *http.Client, base string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/v1/auth/login", strings.NewReader(`{"username":"merchant-a","password":"`+sqltest.Password+`"}`))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Forwarded headers are believed only from the configured proxy: through
// it the trail records the forwarded client; from any other address the
// same headers change nothing (R28.1: the trail names the real client;
// R29.1: a client cannot pick the address its throttle counts).
func TestEdge_R28_1_ForwardedForTrustedOnlyFromProxy(t *testing.T) {
	t.Parallel()
	srv, db := edgeServer(t, []string{"127.0.0.2/32"}, false)
	fwd := map[string]string{"X-Forwarded-For": "198.51.100.9, 203.0.113.7"}

	// From the proxy: the rightmost untrusted hop is the client.
	if r := loginAPI(t, clientFrom("127.0.0.2", srv.Client()), srv.URL, fwd); r.StatusCode != 200 {
		t.Fatalf("login through proxy: %d", r.StatusCode)
	}
	if ip := lastEventIP(t, db); ip != "203.0.113.7" {
		t.Fatalf("through the trusted proxy the trail says %q, want the forwarded 203.0.113.7", ip)
	}
	// A chain of trusted proxies is walked from the right.
	fwd2 := map[string]string{"X-Forwarded-For": "203.0.113.8, 127.0.0.2"}
	loginAPI(t, clientFrom("127.0.0.2", srv.Client()), srv.URL, fwd2)
	if ip := lastEventIP(t, db); ip != "203.0.113.8" {
		t.Fatalf("chain of proxies: trail says %q, want 203.0.113.8", ip)
	}
	// From anyone else: the header is ignored.
	if r := loginAPI(t, clientFrom("127.0.0.1", srv.Client()), srv.URL, fwd); r.StatusCode != 200 {
		t.Fatalf("login direct: %d", r.StatusCode)
	}
	if ip := lastEventIP(t, db); ip != "127.0.0.1" {
		t.Fatalf("from an untrusted peer the trail says %q, want the peer 127.0.0.1", ip)
	}
	// A spoofed X-Forwarded-Proto from an untrusted peer gives no HSTS.
	r := loginAPI(t, clientFrom("127.0.0.1", srv.Client()), srv.URL, map[string]string{"X-Forwarded-Proto": "https"})
	if r.Header.Get("Strict-Transport-Security") != "" {
		t.Fatal("HSTS sent on plain HTTP because an untrusted client claimed https")
	}
}

func sessionCookieOf(r *http.Response) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

// pageLogin logs in through the login page and returns the response.
func pageLogin(t *testing.T, c *http.Client, base string, hdr map[string]string) *http.Response {
	t.Helper()
	body := "username=merchant-a&password=" + sqltest.Password
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// With TLS on, the session cookie is Secure and HSTS is sent; without TLS
// neither; behind a trusted HTTPS-terminating proxy (X-Forwarded-Proto)
// both again (R29.1).
func TestEdge_R29_1_SecureCookieAndHSTSOnlyWithTLS(t *testing.T) {
	t.Parallel()
	tlsSrv, _ := edgeServer(t, nil, true)
	r := pageLogin(t, clientFrom("127.0.0.1", tlsSrv.Client()), tlsSrv.URL, nil)
	c := sessionCookieOf(r)
	if r.StatusCode != http.StatusSeeOther || c == nil {
		t.Fatalf("TLS login: %d, cookie %v", r.StatusCode, c)
	}
	if !c.Secure || !c.HttpOnly {
		t.Fatalf("over TLS the session cookie must be Secure and HttpOnly: %+v", c)
	}
	if h := r.Header.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=31536000") {
		t.Fatalf("over TLS HSTS = %q", h)
	}

	plain, _ := edgeServer(t, []string{"127.0.0.2"}, false)
	r = pageLogin(t, clientFrom("127.0.0.1", plain.Client()), plain.URL, nil)
	c = sessionCookieOf(r)
	if c == nil || c.Secure || r.Header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("plain HTTP: cookie %+v, HSTS %q", c, r.Header.Get("Strict-Transport-Security"))
	}
	// The untrusted client's claim of https changes nothing.
	r = pageLogin(t, clientFrom("127.0.0.1", plain.Client()), plain.URL, map[string]string{"X-Forwarded-Proto": "https"})
	if c = sessionCookieOf(r); c == nil || c.Secure {
		t.Fatalf("untrusted X-Forwarded-Proto made the cookie %+v", c)
	}
	// The trusted proxy's word counts.
	r = pageLogin(t, clientFrom("127.0.0.2", plain.Client()), plain.URL, map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"})
	if c = sessionCookieOf(r); c == nil || !c.Secure || r.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("behind a trusted TLS proxy: cookie %+v, HSTS %q", c, r.Header.Get("Strict-Transport-Security"))
	}
}

func TestEdge_ParseTrustedProxies(t *testing.T) {
	ps, err := ParseTrustedProxies([]string{"10.0.0.0/8", "192.168.1.7", " ", "fd00::/64"})
	if err != nil || len(ps) != 3 {
		t.Fatalf("%v %v", ps, err)
	}
	if !ps[1].Contains(netip.MustParseAddr("192.168.1.7")) || ps[1].Contains(netip.MustParseAddr("192.168.1.8")) {
		t.Fatalf("single address: %v", ps[1])
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "1.2.3"} {
		if _, err := ParseTrustedProxies([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
