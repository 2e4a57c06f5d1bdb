package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `shuyu certs demo` writes an ECDSA P-256 pair for localhost/127.0.0.1;
// `serve --tls-cert --tls-key` then answers HTTPS: TLS 1.2 and 1.3
// handshakes succeed with a Go client that trusts the certificate, TLS 1.1
// and plain HTTP are refused; answers carry HSTS and Secure cookies (R29.1).
func TestServe_R29_1_TLS(t *testing.T) {
	dir := t.TempDir()
	certDir := filepath.Join(dir, "certs")
	if code, out, errs := run(t, "certs", "demo", "--out", certDir); code != 0 {
		t.Fatalf("certs demo: %d %s %s", code, out, errs)
	}
	if code, _, _ := run(t, "certs", "demo", "--out", certDir); code != 1 {
		t.Fatalf("certs demo over an existing pair must refuse, got %d", code)
	}
	if fi, err := os.Stat(filepath.Join(certDir, "key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key.pem mode: %v %v", fi, err)
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(certDir, "cert.pem"), filepath.Join(certDir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Fatalf("not ECDSA P-256: %T", leaf.PublicKey)
	}
	if leaf.VerifyHostname("localhost") != nil || leaf.VerifyHostname("127.0.0.1") != nil {
		t.Fatalf("SANs: %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)

	// Mismatched flags are refused before anything starts.
	m0 := &Main{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m0.Open(context.Background(), &ServeOptions{Data: filepath.Join(dir, "x"), Addr: "127.0.0.1:0", TLSCert: filepath.Join(certDir, "cert.pem")}); err == nil {
		m0.Close()
		t.Fatal("--tls-cert without --tls-key accepted")
	}

	ctx, cancel := context.WithCancel(context.Background())
	m := &Main{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(ctx, &ServeOptions{Data: filepath.Join(dir, "data"), Addr: "127.0.0.1:0", PasswordIterations: 1000,
		TLSCert: filepath.Join(certDir, "cert.pem"), TLSKey: filepath.Join(certDir, "key.pem")}); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	defer func() {
		cancel()
		<-done
		m.Close()
	}()
	addr := m.Listener.Addr().String()

	for _, tc := range []struct {
		name   string
		min    uint16
		max    uint16
		wantOK bool
	}{
		{"TLS 1.0", tls.VersionTLS10, tls.VersionTLS10, false},
		{"TLS 1.1", tls.VersionTLS11, tls.VersionTLS11, false},
		{"TLS 1.2", tls.VersionTLS12, tls.VersionTLS12, true},
		{"TLS 1.3", tls.VersionTLS13, tls.VersionTLS13, true},
	} {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tc.min, MaxVersion: tc.max})
		if tc.wantOK {
			if err != nil {
				t.Errorf("%s refused: %v", tc.name, err)
				continue
			}
			if got := c.ConnectionState().Version; got != tc.max {
				t.Errorf("%s: negotiated %x", tc.name, got)
			}
			c.Close()
		} else if err == nil {
			c.Close()
			t.Errorf("%s accepted", tc.name)
		}
	}
	// A TLS 1.2 client offering only CBC suites finds nothing in common.
	if c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}); err == nil {
		c.Close()
		t.Error("a CBC-only TLS 1.2 client was accepted")
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addr + "/login?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("HTTPS page: %d HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	for _, c := range resp.Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s without Secure over TLS", c.Name)
		}
	}
	if len(resp.Cookies()) == 0 {
		t.Error("no cookie to check (the language cookie is expected)")
	}
	// Plain HTTP to the TLS port gets no page.
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/login"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP answered on the TLS port")
		}
	}
}
