package supply

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/vault"
)

// A server killed with SIGKILL in the middle of a pull: at the next start
// the pull and its job are failed, and the version pulled before is still
// current and mounted (issue 18; R10.1, invariant 7).
func TestPull_R10_1_KillDashNineMidPullKeepsVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: kill -9 test")
	}
	dir := t.TempDir()
	ctx := context.Background()
	open := func() (*sqlstore.DB, *sqltest.Clock) {
		clock := sqltest.NewClock(pullNow)
		db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: filepath.Join(dir, "meta"), Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		db.PasswordIterations = 1000
		return db, clock
	}
	db, clock := open()
	env := &sqltest.Env{Backend: "sqlite", DB: db, Clock: clock, Actors: sqltest.Seed(t, db)}
	w, _ := newPullWorldAt(t, env, filepath.Join(dir, "domain"))

	// The platform serves page 1, then holds page 2 open while the
	// second pull is under way, until the puller dies.
	var mu sync.Mutex
	hold := false
	midPull := make(chan struct{}, 1)
	pf := &platform{key: "k", secret: "s", nonces: map[string]bool{}}
	for i := 1; i <= 40; i++ {
		pf.records = append(pf.records, company(i, "2026-03-01 01:00:00"))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := hold
		mu.Unlock()
		if h && r.URL.Query().Get("page") == "2" {
			select {
			case midPull <- struct{}{}:
			default:
			}
			<-r.Context().Done()
			return
		}
		pf.ServeHTTP(rw, r)
	}))
	defer srv.Close()
	src, err := w.svc.RegisterPullSource(ctx, w.dept, w.entry, sqlstore.PullSourceInput{Name: "平台", Kind: sqlstore.PullHTTP,
		Secret: "s", Config: sqlstore.PullConfig{URL: srv.URL + "/p", AppKey: "k", PageSize: 10, Mode: sqlstore.PullSnapshot}})
	if err != nil {
		t.Fatal(err)
	}
	if run := w.pull(t, src.ID); run.Status != sqlstore.PullRunDone {
		t.Fatalf("first pull: %+v", run)
	}
	w.v.Close()
	db.Close()
	mu.Lock()
	hold = true
	mu.Unlock()

	cmd := exec.Command(os.Args[0], "-test.run", "^TestPullKillChild$", "-test.v")
	cmd.Env = append(os.Environ(), "SHUYU_PULL_KILL_DIR="+dir, "SHUYU_PULL_KILL_SOURCE="+strconv.FormatInt(src.ID, 10))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-midPull:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("the child's pull never reached page 2")
	}
	time.Sleep(100 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()

	db, _ = open()
	defer db.Close()
	v, err := vault.Open(filepath.Join(dir, "domain"), vault.Options{MemoryLimit: "256MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	svc := New(db, v, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := svc.Startup(ctx); err != nil {
		t.Fatal(err)
	}
	runs, err := db.PullRuns(ctx, shuyu.System, src.ID, 10)
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs: %+v %v", runs, err)
	}
	if runs[0].Status != sqlstore.PullRunFailed || !strings.Contains(runs[0].ErrorMessage, "重启") {
		t.Fatalf("the killed pull: %+v", runs[0])
	}
	job, err := db.SupplyJob(ctx, shuyu.System, runs[0].JobID)
	if err != nil || job.Status != sqlstore.JobFailed {
		t.Fatalf("its job: %+v %v", job, err)
	}
	cur, err := v.Current(ctx, "zw_sc_0001")
	if err != nil || cur.N != 1 || cur.Rows != 40 {
		t.Fatalf("current version: %+v %v", cur, err)
	}
	m, err := db.Mount(ctx, shuyu.System, w.entry)
	if err != nil || m.Version != 1 {
		t.Fatalf("mount: %+v %v", m, err)
	}
	p, _ := db.PullSource(ctx, shuyu.System, src.ID)
	if p.Status != sqlstore.PullStatusFailing {
		t.Fatalf("source after the restart: %+v", p)
	}
}

// TestPullKillChild is the process the kill test kills: it opens the store
// and the domain the parent prepared and starts a pull, then waits.
func TestPullKillChild(t *testing.T) {
	dir := os.Getenv("SHUYU_PULL_KILL_DIR")
	if dir == "" {
		t.Skip("run by TestPull_R10_1_KillDashNineMidPullKeepsVersion")
	}
	ctx := context.Background()
	id, _ := strconv.ParseInt(os.Getenv("SHUYU_PULL_KILL_SOURCE"), 10, 64)
	db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: filepath.Join(dir, "meta")})
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(filepath.Join(dir, "domain"), vault.Options{MemoryLimit: "256MB"})
	if err != nil {
		t.Fatal(err)
	}
	svc := New(db, v, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, _, err := svc.RunPull(ctx, shuyu.System, id, sqlstore.PullByHand); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Minute) // killed long before
}
