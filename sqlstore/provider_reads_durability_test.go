package sqlstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// R6.3 with invariant 7: ActFor returns the acting actor only after the
// record of the request committed, so a request that was served (and
// anything answered to it) survives kill -9 with its record. The test binary
// is re-run as a child that makes acting requests from 8 goroutines and
// prints each one once ActFor returned; the parent kills it mid-stream and
// then finds every printed request in provider_reads.
const readsChildEnv = "SHUYU_PROOF_READS_DIR"

func TestProviderReads_R6_3_RecordedRequestsSurviveKillDashNine(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 test skipped under -short (re-runs the test binary and kills it with SIGKILL)")
	}
	if dir := os.Getenv(readsChildEnv); dir != "" {
		readsChild(dir)
		return
	}
	t.Parallel()
	dir := t.TempDir()
	now := func() time.Time { return sqltest.Start }
	db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	a := sqltest.Seed(t, db)
	day := sqltest.Start.In(time.FixedZone("CST", 8*3600))
	g, err := db.CreateDelegation(ctx, a["merchant-a"], shuyu.DelegationInput{ProviderOrgID: a["provider"].OrgID,
		Tasks: []shuyu.DelegationTask{shuyu.TaskSimQuery}, From: day.Format(time.DateOnly), To: day.AddDate(0, 0, 30).Format(time.DateOnly)})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestProviderReads_R6_3_RecordedRequestsSurviveKillDashNine$", "-test.count=1")
	cmd.Env = append(os.Environ(), readsChildEnv+"="+dir, fmt.Sprintf("SHUYU_PROOF_READS_ACTOR=%d,%d,%d", a["provider"].UserID, a["provider"].OrgID, g.ID))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var path string
		if _, err := fmt.Sscanf(sc.Text(), "ack %s", &path); err != nil {
			continue
		}
		acked = append(acked, path)
		if len(acked) == 300 && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !killed || !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed mid-stream (acks %d, err %v)", len(acked), err)
	}
	db, err = sqlstore.Open(ctx, sqlstore.Options{DataDir: dir, Now: now})
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer db.Close()
	rows, err := db.ProviderActivity(ctx, a["merchant-a"], g.ID, 5000)
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for _, r := range rows {
		recorded[r.Path] = true
	}
	for _, p := range acked {
		if !recorded[p] {
			t.Fatalf("request %s was served but its record is lost", p)
		}
	}
	t.Logf("%d served requests, %d records after kill -9", len(acked), len(rows))
}

// readsChild makes acting requests until it is killed, printing each after
// ActFor returned.
func readsChild(dir string) {
	c := context.Background()
	db, err := sqlstore.Open(c, sqlstore.Options{DataDir: dir, Now: func() time.Time { return sqltest.Start }})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(3)
	}
	var ids [3]int64
	for i, s := range strings.Split(os.Getenv("SHUYU_PROOF_READS_ACTOR"), ",") {
		ids[i], _ = strconv.ParseInt(s, 10, 64)
	}
	prov := &shuyu.Actor{UserID: ids[0], Username: "provider", Roles: []shuyu.Role{shuyu.RoleServiceProvider}, OrgID: ids[1]}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				path := fmt.Sprintf("/workspaces/1?w=%d&i=%d", w, i)
				if _, err := db.ActFor(c, prov, ids[2], sqlstore.ActingRequest{Method: "GET", Path: path}); err != nil {
					fmt.Fprintln(os.Stderr, "child act:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Printf("ack %s\n", path)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
