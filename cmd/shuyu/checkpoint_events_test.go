package main

import (
	"context"
	"testing"
	"time"

	"shuyu"
)

// Checkpoints every N events or every period, whichever comes first (issue
// 12, "Audit"; R28.1): with --checkpoint-every far away (an hour), a
// serving instance signs a checkpoint once --checkpoint-events events are
// pending, and not before.
func TestServe_R28_1_CheckpointAfterNEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: serves")
	}
	const n = 25
	ctx, cancel := context.WithCancel(context.Background())
	m := &Main{Log: discardLog()}
	if err := m.Open(ctx, &ServeOptions{Data: t.TempDir(), Addr: "127.0.0.1:0", PasswordIterations: 1000,
		Ops: OpsOptions{CheckpointEvents: n, CheckpointEvery: time.Hour}}); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	defer func() { cancel(); <-done; m.Close() }()

	count := func() int {
		cps, err := m.DB.Checkpoints(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(cps)
	}
	write := func(k int) {
		for i := 0; i < k; i++ {
			if err := m.DB.RecordOperation(context.Background(), shuyu.System, shuyu.AuditBackupCreate, map[string]any{"test": i}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The checkpoint at start.
	deadline := time.Now().Add(10 * time.Second)
	for count() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint at start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the start-up writes settle
	n0 := count()
	st, _ := m.DB.CheckpointStatus(context.Background())
	write(n - 5 - int(st.Pending))
	time.Sleep(700 * time.Millisecond)
	if got := count(); got != n0 {
		t.Fatalf("checkpoint signed with fewer than %d events pending: %d checkpoints, was %d", n, got, n0)
	}
	write(10)
	deadline = time.Now().Add(10 * time.Second)
	for count() == n0 {
		if time.Now().After(deadline) {
			st, _ := m.DB.CheckpointStatus(context.Background())
			t.Fatalf("no checkpoint after %d events pending (status %+v)", n, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, err := m.DB.CheckpointStatus(context.Background()); err != nil || st.Pending >= n {
		t.Fatalf("after the event-count checkpoint: %+v %v", st, err)
	}
}
