package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shuyu/demo"
)

// The end-to-end test boots the real server (Main, as `shuyu serve --demo`
// builds it) on a free loopback port, talks to it over HTTP as the demo
// users, stops it, and then runs `shuyu audit verify` on the data directory:
// intact it exits 0; after one row of the trail is edited in the SQLite
// file it exits 1 naming that event (R27.1, R28.1).

type e2eClient struct {
	t    *testing.T
	base string
}

func (c *e2eClient) do(token, method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func (c *e2eClient) login(user, password string) string {
	c.t.Helper()
	st, data := c.do("", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": password})
	var out struct {
		Token string `json:"token"`
	}
	if st != 200 || json.Unmarshal(data, &out) != nil || out.Token == "" {
		c.t.Fatalf("login %s: %d %s", user, st, data)
	}
	return out.Token
}

// e2eBoot starts the platform on dir and returns a client and a stop func.
func e2eBoot(t *testing.T, dir string) (*e2eClient, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m := &Main{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	err := m.Open(ctx, &ServeOptions{Data: dir, Addr: "127.0.0.1:0", Demo: true, DemoPassword: demo.DefaultPassword, PasswordIterations: 1000})
	if err != nil {
		cancel()
		t.Fatalf("boot: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	stop := func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not stop within 15 s")
		}
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	return &e2eClient{t: t, base: "http://" + m.Listener.Addr().String()}, stop
}

func TestE2E_R28_1_ServeLoginStopVerifyTamper(t *testing.T) {
	dir := t.TempDir()
	c, stop := e2eBoot(t, dir)

	st, data := c.do("", "GET", "/healthz", nil)
	if st != 200 || !strings.Contains(string(data), `"ok"`) {
		t.Fatalf("healthz: %d %s", st, data)
	}
	for _, a := range demo.Accounts {
		tok := c.login(a.Username, demo.DefaultPassword)
		var me struct {
			User struct {
				Username string `json:"username"`
			} `json:"user"`
			Roles []string `json:"roles"`
		}
		st, data := c.do(tok, "GET", "/api/v1/me", nil)
		if st != 200 || json.Unmarshal(data, &me) != nil || me.User.Username != a.Username || len(me.Roles) != 1 || me.Roles[0] != string(a.Role) {
			t.Fatalf("me as %s: %d %s", a.Username, st, data)
		}
	}
	// A wrong password is a 401 in the standard error body, in Chinese.
	st, data = c.do("", "POST", "/api/v1/auth/login", map[string]string{"username": "merchant-a", "password": "Wrong-pass-2026"})
	if st != 401 || !strings.Contains(string(data), `"code":"unauthorized"`) {
		t.Fatalf("wrong password: %d %s", st, data)
	}
	// A merchant cannot read the trail; the audit administrator can, and
	// the platform's own verification agrees the trail is intact.
	if st, _ := c.do(c.login("merchant-b", demo.DefaultPassword), "GET", "/api/v1/audit/events", nil); st != 403 {
		t.Fatalf("merchant reads the trail: %d", st)
	}
	st, data = c.do(c.login("auditadmin", demo.DefaultPassword), "GET", "/api/v1/audit/verify", nil)
	if st != 200 || !strings.Contains(string(data), `"ok":true`) {
		t.Fatalf("verify over HTTP: %d %s", st, data)
	}
	stop()

	// A restart keeps the accounts (and does not seed twice).
	c, stop = e2eBoot(t, dir)
	c.login("authority", demo.DefaultPassword)
	stop()

	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"audit", "verify", "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("verify of an intact trail: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "audit trail intact") {
		t.Fatalf("verify output: %s", out.String())
	}

	// Tamper with the file as someone with disk access would.
	const victim = 7
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "shuyu.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TRIGGER audit_events_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_events SET actor_name = 'nobody' WHERE seq = ?`, victim); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out.Reset()
	errOut.Reset()
	if code := Run(context.Background(), []string{"audit", "verify", "--data", dir}, &out, &errOut); code != 1 {
		t.Fatalf("verify of a tampered trail: exit %d, want 1\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(errOut.String(), fmt.Sprintf("first bad event %d:", victim)) || !strings.Contains(errOut.String(), "审计链校验失败") {
		t.Fatalf("stderr does not name event %d: %s", victim, errOut.String())
	}
}
