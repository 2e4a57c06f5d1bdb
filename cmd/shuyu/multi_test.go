package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"shuyu/demo"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// serveProc is a `shuyu serve` child process.
type serveProc struct {
	cmd    *exec.Cmd
	url    string
	stderr *strings.Builder
}

var servingRe = regexp.MustCompile(`serving on (http://[0-9.:]+)`)

// startServe runs the binary with args and waits for its address.
func startServe(t *testing.T, bin string, args ...string) (*serveProc, error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	p := &serveProc{cmd: cmd, stderr: &strings.Builder{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			err := cmd.Wait()
			return nil, &exitError{err: err, stderr: p.stderr.String()}
		}
		p.url = u
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve did not start: %s", p.stderr.String())
	}
	t.Cleanup(func() { p.stop(t) })
	return p, nil
}

type exitError struct {
	err    error
	stderr string
}

func (e *exitError) Error() string { return e.err.Error() + ": " + e.stderr }

// stop sends SIGTERM (the server makes a last checkpoint) and waits.
func (p *serveProc) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Errorf("serve did not stop: %s", p.stderr.String())
	}
}

func get(t *testing.T, base, token, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s%s: %v", base, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Two `shuyu serve` processes on one PostgreSQL (issue 12, "Several
// servers"): one owns the domain, the other forwards domain work to it, so
// a merchant gets the same answer from either; a second owner is refused;
// with the owner down the other answers a clear 503 naming it; each signs
// checkpoints with its own key, and `audit verify` from either data
// directory accepts both servers' checkpoints from the store's list.
func TestServe_R28_1_TwoServersOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the binary and runs two servers")
	}
	if os.Getenv("SHUYU_TEST_POSTGRES") == "" {
		t.Skip("needs PostgreSQL (SHUYU_TEST_POSTGRES)")
	}
	ctx := context.Background()
	url := sqltest.FreshPostgres(t)
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: url, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	db.PasswordIterations = 1000
	if _, err := demo.Seed(ctx, db, demo.DefaultPassword); err != nil {
		t.Fatal(err)
	}
	// Seeding signs checkpoints of its own (with this process's key): the
	// servers' checkpoints are the ones after it.
	var seeded int64
	db.SQL().QueryRow(`SELECT coalesce(max(seq), 0) FROM audit_checkpoints`).Scan(&seeded)
	db.Close()

	bin := filepath.Join(t.TempDir(), "shuyu")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("a-shared-secret-of-some-length\n"), 0o600)
	dirA, dirB := t.TempDir(), t.TempDir()
	a, err := startServe(t, bin, "--db", url, "--data", dirA, "--domain", "owner", "--domain-secret-file", secret)
	if err != nil {
		t.Fatal(err)
	}
	b, err := startServe(t, bin, "--db", url, "--data", dirB, "--domain", "none", "--domain-secret-file", secret)
	if err != nil {
		t.Fatal(err)
	}
	// A second owner on the same store is refused, naming the first.
	if _, err := startServe(t, bin, "--db", url, "--data", t.TempDir(), "--domain", "owner"); err == nil ||
		!strings.Contains(err.Error(), "--domain=none") || !strings.Contains(err.Error(), a.url) {
		t.Fatalf("second owner: %v", err)
	}

	c := &e2eClient{t: t, base: b.url}
	merchant := c.login("merchant-a", demo.DefaultPassword) // sessions live in the shared store
	operator := c.login("operator-admin", demo.DefaultPassword)
	for _, q := range []struct{ token, path string }{
		{merchant, "/api/v1/workspaces"},
		{merchant, "/api/v1/public/products"},
		{operator, "/api/v1/domain/mounts"},
		{merchant, "/api/v1/workspaces/999999/queries"},
	} {
		stA, bodyA := get(t, a.url, q.token, q.path)
		stB, bodyB := get(t, b.url, q.token, q.path)
		if stA != stB || bodyA != bodyB {
			t.Errorf("%s differs: owner %d %.200s, other %d %.200s", q.path, stA, bodyA, stB, bodyB)
		}
	}
	// A checkpoint on demand from each server's directory, each after an
	// event of its own (which server's timer signs first is a race).
	for _, sv := range []struct {
		p   *serveProc
		dir string
	}{{a, dirA}, {b, dirB}} {
		(&e2eClient{t: t, base: sv.p.url}).login("auditadmin", demo.DefaultPassword)
		if code, out, errs := run(t, "audit", "checkpoint", "--db", url, "--data", sv.dir); code != 0 || !strings.Contains(out, "checkpoint signed") {
			t.Fatalf("audit checkpoint in %s: %d %s %s", sv.dir, code, out, errs)
		}
	}

	a.stop(t)
	st, body := get(t, b.url, merchant, "/api/v1/workspaces")
	// b names the owner it could not reach, or — once it has looked at
	// the store again and found the lease a released at its stop — says
	// no server holds the domain.
	if st != 503 || !strings.Contains(body, a.url) && !strings.Contains(body, "no server holds it") {
		t.Fatalf("owner down: %d %s", st, body)
	}
	if st, _ := get(t, b.url, merchant, "/api/v1/me"); st != 200 {
		t.Fatalf("store-only work with the owner down: %d", st)
	}
	b.stop(t)

	var keys int
	db, err = sqlstore.Open(ctx, sqlstore.Options{URL: url, DataDir: t.TempDir(), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	db.SQL().QueryRow(`SELECT count(DISTINCT key_id) FROM audit_checkpoints WHERE seq > $1`, seeded).Scan(&keys)
	var list []string
	if rows, err := db.SQL().Query(`SELECT seq, key_id FROM audit_checkpoints WHERE seq > $1 ORDER BY seq`, seeded); err == nil {
		for rows.Next() {
			var seq int64
			var id string
			rows.Scan(&seq, &id)
			list = append(list, fmt.Sprint(seq, " ", id))
		}
		rows.Close()
	}
	db.Close()
	if keys != 2 {
		t.Fatalf("checkpoints signed by %d keys, want both servers': %v\nA: %s\nB: %s", keys, list, a.stderr, b.stderr)
	}
	for _, dir := range []string{dirA, dirB} {
		code, out, errs := run(t, "audit", "verify", "--db", url, "--data", dir)
		if code != 0 || strings.Count(out, "audit-") < 2 {
			t.Fatalf("verify from %s: exit %d\n%s%s", dir, code, out, errs)
		}
	}
}
