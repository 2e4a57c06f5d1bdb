package main

import (
	"bytes"
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// Scheduled backups (issue 12, "a scheduled backup with retention"; R28.1):
// `serve --backup-dir D --backup-every T --backup-keep N` writes an archive
// every T into D and keeps the newest N; each is recorded in the trail, the
// kept ones pass `backup verify`, and the newest restores.
func TestBackup_R28_1_ScheduledKeepsTheNewest(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: serves and writes several backups")
	}
	dir, bdir := t.TempDir(), t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	m := &Main{Log: discardLog()}
	// A bit over a second apart: the archives are named to the second.
	if err := m.Open(ctx, &ServeOptions{Data: dir, Addr: "127.0.0.1:0", PasswordIterations: 1000,
		BackupDir: bdir, BackupEvery: 1100 * time.Millisecond, BackupKeep: 2}); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
			m.Close()
		}
	}
	defer stop()

	backups := func() int {
		evs, err := m.DB.Events(context.Background(), shuyu.System, sqlstore.EventFilter{Action: string(shuyu.AuditBackupCreate)}, false)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	deadline := time.Now().Add(60 * time.Second)
	for backups() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d scheduled backups recorded in a minute", backups())
		}
		time.Sleep(200 * time.Millisecond)
	}
	stop()
	kept, _ := filepath.Glob(filepath.Join(bdir, "shuyu-*.sbk"))
	sort.Strings(kept)
	if len(kept) != 2 {
		t.Fatalf("kept %v, want the newest 2 of %d", kept, backups())
	}
	for _, f := range kept {
		var so, se bytes.Buffer
		if code := Run(context.Background(), []string{"backup", "verify", "--in", f}, &so, &se); code != 0 {
			t.Fatalf("backup verify %s: %d %s %s", f, code, so.String(), se.String())
		}
	}
	var so, se bytes.Buffer
	target := filepath.Join(t.TempDir(), "restored")
	if code := Run(context.Background(), []string{"restore", "--in", kept[1], "--data", target, "--keys", filepath.Join(dir, "keys")}, &so, &se); code != 0 {
		t.Fatalf("restore of the newest: %d %s %s", code, so.String(), se.String())
	}
}
