package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"shuyu/demo"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// Fail-over of the domain owner (issue 12; R28.1, R4.2): two `shuyu serve`
// processes on one PostgreSQL with the domain on storage both reach
// (--domain-dir). The owner is killed with kill -9; the standby takes the
// domain over once the lease has expired and answers merchants and the
// operator exactly as the owner did. Then the new owner is paused (SIGSTOP)
// until a third server takes over; woken, it finds its lease taken over
// and stops, and the third one serves the same answers. Throughout, a
// `--domain=none` server, never restarted, forwards merchants' domain work
// to whichever server holds the lease (web/domain_forward.go).
func TestServe_R28_1_DomainFailoverKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the binary and runs three servers with kill -9")
	}
	if os.Getenv("SHUYU_TEST_POSTGRES") == "" {
		t.Skip("needs PostgreSQL (SHUYU_TEST_POSTGRES)")
	}
	ctx := context.Background()
	url := sqltest.FreshPostgres(t)
	keyDir, shared := t.TempDir(), filepath.Join(t.TempDir(), "domain")
	// The world: the demo's metadata and a small domain in the shared
	// directory, under the shared KEK.
	seedDir := t.TempDir()
	ring, _ := keyRing(seedDir, keyDir)
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: url, DataDir: seedDir, Keys: ring})
	if err != nil {
		t.Fatal(err)
	}
	db.PasswordIterations = 1000
	if _, err := demo.Seed(ctx, db, demo.DefaultPassword); err != nil {
		t.Fatal(err)
	}
	v, err := openDomain(ctx, db, shared, time.Now, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedDomainRows(ctx, db, v, 300); err != nil {
		t.Fatal(err)
	}
	v.Close()
	db.Close()

	bin := filepath.Join(t.TempDir(), "shuyu")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("a-shared-secret-of-some-length\n"), 0o600)
	const lease = 3 * time.Second
	serve := func(role string) *serveProc {
		p, err := startServe(t, bin, "--db", url, "--data", t.TempDir(), "--keys", keyDir, "--domain", role,
			"--domain-dir", shared, "--domain-lease", lease.String(), "--domain-secret-file", secret)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := serve("owner")
	b := serve("standby")
	n := serve("none")

	c := &e2eClient{t: t, base: b.url}
	merchant := c.login("merchant-a", demo.DefaultPassword)
	operator := c.login("operator-admin", demo.DefaultPassword)
	queries := []struct{ token, path string }{
		{operator, "/api/v1/domain/mounts"},
		{merchant, "/api/v1/workspaces"},
		{merchant, "/api/v1/public/products"},
		{merchant, "/api/v1/workspaces/999999/queries"},
	}
	want := map[string]string{}
	for _, q := range queries {
		st, body := get(t, a.url, q.token, q.path)
		want[q.path] = body
		if stB, bodyB := get(t, b.url, q.token, q.path); stB != st || bodyB != body {
			t.Fatalf("%s through the standby before the fail-over: %d %.200s, owner %d %.200s", q.path, stB, bodyB, st, body)
		}
		if stN, bodyN := get(t, n.url, q.token, q.path); stN != st || bodyN != body {
			t.Fatalf("%s through the forwarding server before the fail-over: %d %.200s, owner %d %.200s", q.path, stN, bodyN, st, body)
		}
	}
	if !strings.Contains(want["/api/v1/domain/mounts"], `"rows"`) {
		t.Fatalf("no mounted data to compare: %.300s", want["/api/v1/domain/mounts"])
	}
	// The same answers from p, once it serves the domain; how long that took.
	sameAnswers := func(p *serveProc, from time.Time, limit time.Duration) time.Duration {
		t.Helper()
		for {
			st, body := get(t, p.url, operator, "/api/v1/domain/mounts")
			if st == 200 && body == want["/api/v1/domain/mounts"] {
				break
			}
			if time.Since(from) > limit {
				t.Fatalf("no takeover within %v: %d %.300s\n%s", limit, st, body, p.stderr)
			}
			time.Sleep(100 * time.Millisecond)
		}
		took := time.Since(from)
		for _, q := range queries {
			if _, body := get(t, p.url, q.token, q.path); body != want[q.path] {
				t.Errorf("%s after the takeover: %.300s, want %.300s", q.path, body, want[q.path])
			}
		}
		return took
	}

	// 1. kill -9 of the owner: the standby takes over after the lease expired.
	a.cmd.Process.Kill()
	a.cmd.Wait()
	killed := time.Now()
	took := sameAnswers(b, killed, 2*lease+10*time.Second)
	t.Logf("standby answered as owner %v after kill -9 (lease %v)", took.Round(10*time.Millisecond), lease)
	// The forwarding server follows the lease to the new owner: no restart.
	took = sameAnswers(n, killed, 2*lease+10*time.Second)
	t.Logf("the --domain=none server answered through the new owner %v after kill -9", took.Round(10*time.Millisecond))
	// The owner restarting as owner is refused while the new owner's lease lives.
	if _, err := startServe(t, bin, "--db", url, "--data", t.TempDir(), "--keys", keyDir, "--domain", "owner",
		"--domain-dir", shared, "--domain-lease", lease.String()); err == nil || !strings.Contains(err.Error(), "--domain=standby") {
		t.Fatalf("second owner during a live lease: %v", err)
	}

	// 2. The new owner paused past its lease: a third server takes the lease;
	// woken, the paused one finds it taken over and stops.
	cs := serve("standby")
	b.cmd.Process.Signal(syscall.SIGSTOP)
	paused := time.Now()
	check, err := sqlstore.Open(ctx, sqlstore.Options{URL: url, DataDir: t.TempDir(), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var holder *sqlstore.DomainLease
	for {
		holder, err = check.DomainLeaseHolder(ctx)
		if err == nil && holder != nil && holder.Token == 3 {
			break
		}
		if time.Since(paused) > 2*lease+10*time.Second {
			t.Fatalf("no takeover of the paused owner's lease: %+v %v\n%s", holder, err, cs.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.cmd.Process.Signal(syscall.SIGCONT)
	woken := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- b.cmd.Wait() }()
	select {
	case err := <-exited:
		if err == nil || !strings.Contains(b.stderr.String(), "taken over") {
			t.Fatalf("woken former owner: exit %v\n%s", err, b.stderr)
		}
	case <-time.After(lease + 10*time.Second):
		t.Fatalf("the woken former owner kept serving\n%s", b.stderr)
	}
	took = sameAnswers(cs, woken, 2*lease+10*time.Second)
	t.Logf("third server answered as owner %v after the paused owner woke", took.Round(10*time.Millisecond))
	took = sameAnswers(n, woken, 2*lease+10*time.Second)
	t.Logf("the --domain=none server answered through the third server %v after the paused owner woke", took.Round(10*time.Millisecond))
	if n.cmd.ProcessState != nil {
		t.Fatalf("the forwarding server exited: %v\n%s", n.cmd.ProcessState, n.stderr)
	}
}
