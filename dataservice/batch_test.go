package dataservice

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workspace/wstest"
)

// Calls recorded by group commit (sqlstore/services_batch.go) are limited
// exactly as calls recorded one by one: concurrent callers never get more
// answers than the quota, the per-subject limit or the rate allows, and
// every answered call has its record and its audit event.
func TestServiceCall_R28_4_GroupCommitLimitsExactUnderConcurrency(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		w := newWorld(t, b)
		usccs, names := w.column(t, wstest.EnterpriseTable, "uscc"), w.column(t, wstest.EnterpriseTable, "name")
		// hammer makes n calls from n goroutines at once (subject i%mod)
		// and counts the answers and the 429s.
		hammer := func(t *testing.T, key string, s *shuyu.APIService, n, mod int) (answered int, ids map[int64]bool) {
			t.Helper()
			var mu sync.Mutex
			var wg sync.WaitGroup
			ids = map[int64]bool{}
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					j := i % mod
					a, err := w.svc.Call(ctx, key, s.ID, map[string]string{"uscc": usccs[j], "name": names[j]})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						answered++
						ids[a.CallID] = true
					case code(err) != shuyu.ETHROTTLED:
						t.Errorf("call %d: %v, want an answer or 429", i, err)
					}
				}()
			}
			close(start)
			wg.Wait()
			return answered, ids
		}
		recorded := func(t *testing.T, key string) (calls, usage int) {
			t.Helper()
			keyID := strings.Split(key, "_")[1]
			db := w.f.DB
			if err := db.SQL().QueryRow(db.Rebind(`SELECT count(*) FROM api_calls c JOIN api_keys k ON k.id = c.key_id WHERE k.key_id = ?`), keyID).Scan(&calls); err != nil {
				t.Fatal(err)
			}
			if err := db.SQL().QueryRow(db.Rebind(`SELECT COALESCE(sum(u.calls), 0) FROM api_usage u JOIN api_keys k ON k.id = u.key_id WHERE k.key_id = ?`), keyID).Scan(&usage); err != nil {
				t.Fatal(err)
			}
			return calls, usage
		}

		in := enterpriseService(w.ws.ID)
		in.Name, in.QuotaDay, in.SubjectDay, in.RateMinute = "企业核验（并发额度）", 25, 3, 1_000
		quota := w.file(t, in)
		key := w.key(t, "merchant-b", quota)
		if n, ids := hammer(t, key, quota, 80, 80); n != 25 || len(ids) != 25 {
			t.Fatalf("80 concurrent calls on a 25-call quota: %d answered (%d distinct call ids), want exactly 25", n, len(ids))
		}
		if c, u := recorded(t, key); c != 25 || u != 25 {
			t.Fatalf("recorded %d calls, usage counter %d; want 25 and 25", c, u)
		}

		// Twenty concurrent calls about one subject, limit 3 a day.
		key = w.key(t, "merchant-a", quota)
		if n, _ := hammer(t, key, quota, 20, 1); n != 3 {
			t.Fatalf("20 concurrent calls about one subject, limit 3: %d answered", n)
		}

		in.Name, in.QuotaDay, in.SubjectDay, in.RateMinute = "企业核验（并发频率）", 1_000, 5, 7
		rate := w.file(t, in)
		key = w.key(t, "merchant-b", rate)
		if n, _ := hammer(t, key, rate, 30, 30); n != 7 {
			t.Fatalf("30 concurrent calls at 7 a minute: %d answered", n)
		}
		if c, u := recorded(t, key); c != 7 || u != 7 {
			t.Fatalf("recorded %d calls, usage counter %d; want 7 and 7", c, u)
		}

		// The calls were grouped (fewer transactions than calls), every
		// recorded call has its event, and the trail verifies.
		batches, calls := w.f.DB.CallBatches()
		if batches >= calls {
			t.Fatalf("%d calls in %d batches: no group commit happened", calls, batches)
		}
		var events, rows int
		db := w.f.DB
		if err := db.SQL().QueryRow(db.Rebind(`SELECT count(*) FROM audit_events WHERE action = ?`), string(shuyu.AuditServiceCall)).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL().QueryRow(`SELECT count(*) FROM api_calls`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if events != rows || rows != 25+3+7 {
			t.Fatalf("%d call records, %d call events; want %d of each", rows, events, 25+3+7)
		}
		rep, err := db.VerifyAudit(ctx, nil, nil)
		if err != nil || !rep.OK {
			t.Fatalf("trail after concurrent calls: %+v %v", rep, err)
		}
		t.Logf("%d calls in %d batches", calls, batches)
	})
}

// An answered call survives kill -9 (invariant 7) although calls are
// committed in groups: the test binary is re-run as a child that calls from
// eight goroutines and prints each answer's call id; the parent kills it
// mid-stream and checks that every printed call is recorded with its audit
// event and that the trail verifies.
const callChildEnv = "SHUYU_SERVICE_CALL_KILL_CHILD"

func TestServiceCall_R28_4_AnsweredCallsSurviveKillDashNine(t *testing.T) {
	if os.Getenv(callChildEnv) != "" {
		serviceCallChild(t)
		return
	}
	if testing.Short() {
		t.Skip("kill -9 test skipped under -short (re-runs the test binary and kills it with SIGKILL)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServiceCall_R28_4_AnsweredCallsSurviveKillDashNine$", "-test.count=1")
	cmd.Env = append(os.Environ(), callChildEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var dir string
	acked := map[int64]bool{}
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if d, ok := strings.CutPrefix(line, "store "); ok {
			dir = d
			continue
		}
		var id int64
		if _, err := fmt.Sscanf(line, "ack %d", &id); err != nil {
			continue // test framework chatter
		}
		acked[id] = true
		if len(acked) == 400 && !killed {
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
	if dir == "" {
		t.Fatal("child did not say where its store is")
	}
	// The child's temporary directories outlive SIGKILL; remove them.
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(dir)) })
	db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer db.Close()
	recorded := map[int64]bool{}
	rows, err := db.SQL().Query(`SELECT id FROM api_calls`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		recorded[id] = true
	}
	rows.Close()
	for id := range acked {
		if !recorded[id] {
			t.Fatalf("answered call %d lost after kill -9", id)
		}
		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM audit_events WHERE action = ? AND detail LIKE ?`,
			string(shuyu.AuditServiceCall), fmt.Sprintf(`%%"call_id":%d,%%`, id)).Scan(&n); err != nil || n != 1 {
			t.Fatalf("audit event of answered call %d: %d found, %v", id, n, err)
		}
	}
	rep, err := db.VerifyAudit(ctx, nil, nil)
	if err != nil || !rep.OK {
		t.Fatalf("trail after kill -9: %+v %v", rep, err)
	}
	t.Logf("%d answered calls all recorded (%d records in all) after kill -9; trail of %d events verifies", len(acked), len(recorded), rep.Events)
}

// serviceCallChild calls until it is killed, printing each call's id once
// it is answered.
func serviceCallChild(t *testing.T) {
	w := newWorld(t, "sqlite")
	in := enterpriseService(w.ws.ID)
	in.QuotaDay, in.RateMinute, in.SubjectDay = 1_000_000, 1_000_000, 10
	s := w.file(t, in)
	usccs, names := w.column(t, wstest.EnterpriseTable, "uscc"), w.column(t, wstest.EnterpriseTable, "name")
	var keys []string
	for range 8 {
		keys = append(keys, w.key(t, "merchant-b", s))
	}
	fmt.Printf("store %s\n", w.f.DB.DataDir())
	var mu sync.Mutex
	for g, k := range keys {
		go func() {
			for i := g; ; i += len(keys) {
				j := i % len(usccs)
				a, err := w.svc.Call(context.Background(), k, s.ID, map[string]string{"uscc": usccs[j], "name": names[j]})
				if err != nil {
					fmt.Fprintln(os.Stderr, "child call:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Printf("ack %d\n", a.CallID)
				mu.Unlock()
			}
		}()
	}
	select {} // until SIGKILL
}
