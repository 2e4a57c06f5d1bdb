package sqlstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// Invariant 7: an acknowledged write survives kill -9. The test binary is
// re-run as a child that writes in a loop and prints each write once the
// store has acknowledged it; the parent kills it with SIGKILL mid-stream,
// several times, and then checks that every acknowledged write is there and
// the trail verifies.

const proofChildEnv = "SHUYU_PROOF_DURABILITY_DIR"

func TestDurability_R7_KillDashNine(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 test skipped under -short (re-runs the test binary and kills it with SIGKILL)")
	}
	t.Parallel()
	if dir := os.Getenv(proofChildEnv); dir != "" {
		proofDurabilityChild(dir, os.Getenv("SHUYU_PROOF_ROUND"))
		return
	}
	dir := t.TempDir()
	type ack struct {
		kind string
		id   int64
		seq  int64
	}
	var acks []ack
	const rounds, perRound = 3, 120
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDurability_R7_KillDashNine$", "-test.count=1")
		cmd.Env = append(os.Environ(), proofChildEnv+"="+dir, fmt.Sprintf("SHUYU_PROOF_ROUND=%d", round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n, killed := 0, false
		for sc.Scan() {
			var a ack
			if _, err := fmt.Sscanf(sc.Text(), "ack %s %d %d", &a.kind, &a.id, &a.seq); err != nil {
				continue // test framework chatter
			}
			acks = append(acks, a)
			n++
			if n == perRound && !killed {
				// Kill while the child is in the middle of its next write;
				// lines already printed are acknowledged writes too.
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !killed || !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child was not killed mid-stream (acks %d, err %v)", round, n, err)
		}
	}

	db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer db.Close()
	var maxSeq int64
	for _, a := range acks {
		switch a.kind {
		case "org":
			if _, err := db.Org(ctx, shuyu.System, a.id); err != nil {
				t.Fatalf("acknowledged org %d lost: %v", a.id, err)
			}
		case "user":
			if _, err := db.User(ctx, shuyu.System, a.id); err != nil {
				t.Fatalf("acknowledged user %d lost: %v", a.id, err)
			}
		}
		var action, object string
		if err := db.SQL().QueryRow(db.Rebind(`SELECT action, object_id FROM audit_events WHERE seq = ?`), a.seq).Scan(&action, &object); err != nil {
			t.Fatalf("audit event %d of acknowledged %s %d lost: %v", a.seq, a.kind, a.id, err)
		}
		if action != a.kind+".create" || object != fmt.Sprint(a.id) {
			t.Fatalf("event %d is %s %s, want %s.create %d", a.seq, action, object, a.kind, a.id)
		}
		maxSeq = max(maxSeq, a.seq)
	}
	rep, err := db.VerifyAudit(ctx, nil, nil)
	if err != nil || !rep.OK || rep.LastSeq < maxSeq {
		t.Fatalf("trail after kill -9: %+v %v (last acknowledged seq %d)", rep, err, maxSeq)
	}
	t.Logf("%d acknowledged writes over %d kills all present; trail of %d events with %d checkpoints verifies",
		len(acks), rounds, rep.Events, rep.Checkpoints)
}

// proofDurabilityChild writes until it is killed, printing each write after
// the store acknowledged it.
func proofDurabilityChild(dir, round string) {
	c := context.Background()
	db, err := sqlstore.Open(c, sqlstore.Options{DataDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(3)
	}
	db.PasswordIterations = 1000
	for i := 0; ; i++ {
		o := &shuyu.Org{Kind: shuyu.OrgMerchant, Name: fmt.Sprintf("耐久测试公司%s-%05d", round, i), Region: shuyu.RegionZhongning}
		if err := db.CreateOrg(c, shuyu.System, o); err != nil {
			fmt.Fprintln(os.Stderr, "child write:", err)
			os.Exit(3)
		}
		seq, _ := db.LastSeq(c) // one writer: the event just written
		fmt.Printf("ack org %d %d\n", o.ID, seq)
		if i%4 == 0 {
			u, err := db.CreateUser(c, shuyu.System, sqlstore.NewUser{OrgID: o.ID, Username: fmt.Sprintf("dur%s-%05d", round, i),
				DisplayName: "耐久", Roles: []shuyu.Role{shuyu.RoleMerchant}, Password: "Durable-pass-9"})
			if err != nil {
				fmt.Fprintln(os.Stderr, "child write:", err)
				os.Exit(3)
			}
			seq, _ := db.LastSeq(c)
			fmt.Printf("ack user %d %d\n", u.ID, seq)
		}
		if i%25 == 0 {
			if _, err := db.Checkpoint(c, shuyu.System); err != nil {
				fmt.Fprintln(os.Stderr, "child checkpoint:", err)
				os.Exit(3)
			}
		}
	}
}

// The durability settings hold on every pooled connection, not only the
// first: each must be in WAL mode with synchronous=FULL (2) and foreign keys.
func TestDurability_R7_PragmasOnEveryConnection(t *testing.T) {
	t.Parallel()
	db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for i := 0; i < 8; i++ { // the pool's size: hold them all at once
		conn, err := db.SQL().Conn(c)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var mode string
		var sync, fk int
		if err := conn.QueryRowContext(c, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRowContext(c, `PRAGMA synchronous`).Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRowContext(c, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if strings.ToLower(mode) != "wal" || sync != 2 || fk != 1 {
			t.Fatalf("connection %d: journal_mode=%s synchronous=%d foreign_keys=%d, want wal/2/1", i, mode, sync, fk)
		}
	}
}
