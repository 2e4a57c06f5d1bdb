package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"shuyu"
	"shuyu/backup"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// bootPlain starts a server without the demo on dir; stop ends it.
func bootPlain(t *testing.T, dir string) (*Main, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m := &Main{Log: discardLog()}
	if err := m.Open(ctx, &ServeOptions{Data: dir, Addr: "127.0.0.1:0", PasswordIterations: 1000}); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	return m, func() {
		cancel()
		<-done
		m.Close()
	}
}

// A backup of a running instance taken while writers keep writing holds
// every write acknowledged before the backup started; the restored
// instance opens, its trail verifies, and a drill is recorded in the live
// trail (R28.1, R7; GB/T 45396 restore tests).
func TestBackup_R28_1_UnderConcurrentWritesRestoresAndVerifies(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a server and writes under load")
	}
	dir := t.TempDir()
	m, stop := bootPlain(t, dir)
	defer stop()
	actors := sqltest.Seed(t, m.DB)
	sec := actors["secadmin"]
	if sec == nil {
		t.Fatalf("no secadmin among %v", actors)
	}
	ctx := context.Background()
	var mu sync.Mutex
	acked := map[string]time.Time{}
	stopW := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stopW:
					return
				default:
				}
				o := shuyu.Org{Kind: shuyu.OrgMerchant, Name: fmt.Sprintf("备份测试商户%d-%d", w, i), Region: shuyu.RegionShapotou}
				if err := m.DB.CreateOrg(ctx, sec, &o); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[o.Name] = time.Now()
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(300 * time.Millisecond)
	out := filepath.Join(t.TempDir(), "b.sbk")
	start := time.Now()
	var so, se bytes.Buffer
	if code := Run(ctx, []string{"backup", "--data", dir, "--out", out}, &so, &se); code != 0 {
		t.Fatalf("backup: %d %s", code, se.String())
	}
	time.Sleep(100 * time.Millisecond)
	close(stopW)
	wg.Wait()
	mu.Lock()
	var before []string
	for name, at := range acked {
		if at.Before(start) {
			before = append(before, name)
		}
	}
	mu.Unlock()
	if len(before) == 0 {
		t.Fatal("no write was acknowledged before the backup")
	}

	// The archive holds no key and no phone number or name in clear.
	raw, _ := os.ReadFile(out)
	if bytes.Contains(raw, []byte("备份测试商户")) || bytes.Contains(raw, []byte("PRIVATE KEY")) || bytes.Contains(raw, []byte("SHUYU KEY")) {
		t.Error("archive holds data or keys in clear")
	}
	// A flipped byte is refused before anything is restored.
	bad := filepath.Join(t.TempDir(), "bad.sbk")
	raw2 := bytes.Clone(raw)
	raw2[len(raw2)/2] ^= 1
	os.WriteFile(bad, raw2, 0o600)
	if _, _, err := backup.ReadHeader(bad); err != backup.ErrDigest {
		t.Errorf("altered archive: %v", err)
	}

	target := filepath.Join(t.TempDir(), "restored")
	so.Reset()
	se.Reset()
	if code := Run(ctx, []string{"restore", "--in", out, "--data", target, "--keys", filepath.Join(dir, "keys")}, &so, &se); code != 0 {
		t.Fatalf("restore: %d %s %s", code, so.String(), se.String())
	}
	ring, _ := keyRing(target, filepath.Join(dir, "keys"))
	rdb, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: target, Keys: ring})
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := rdb.Orgs(ctx, sec, shuyu.OrgMerchant)
	rdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, o := range orgs {
		have[o.Name] = true
	}
	for _, name := range before {
		if !have[name] {
			t.Errorf("write %s acknowledged before the backup is missing from the restore", name)
		}
	}
	t.Logf("%d writes acknowledged before the backup, %d restored merchants", len(before), len(orgs))
	if code := Run(ctx, []string{"audit", "verify", "--data", target, "--keys", filepath.Join(dir, "keys")}, &so, &se); code != 0 {
		t.Fatalf("audit verify of the restore: %s", se.String())
	}

	// The drill restores into a temporary directory and is recorded in the
	// live trail, where the authority sees it.
	so.Reset()
	if code := Run(ctx, []string{"restore", "--drill", "--in", out, "--data", dir}, &so, &se); code != 0 {
		t.Fatalf("drill: %s %s", so.String(), se.String())
	}
	evs, err := m.DB.Events(ctx, shuyu.System, sqlstore.EventFilter{Action: string(shuyu.AuditBackupRestoreDrill)}, false)
	if err != nil || len(evs) != 1 || !strings.Contains(fmt.Sprint(evs[0].Detail), "true") {
		t.Fatalf("drill events: %+v %v", evs, err)
	}
	evs, _ = m.DB.Events(ctx, shuyu.System, sqlstore.EventFilter{Action: string(shuyu.AuditBackupCreate)}, false)
	if len(evs) != 1 {
		t.Errorf("backup events: %d", len(evs))
	}
}
