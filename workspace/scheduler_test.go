package workspace

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"shuyu"
)

// Unit tests of the scheduler alone: order, limits and refusals, with no
// store or domain (the integration tests are in limits_test.go).

// waitQueued waits until n queries of ws wait.
func waitQueued(t *testing.T, s *scheduler, ws int64, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if w, _ := s.load(ws); w == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("workspace %d: never %d waiting", ws, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// R4.2: waiting queries are served round-robin between workspaces and in
// arrival order within one, so a workspace with many queued queries cannot
// starve the others.
func TestScheduler_R4_2_FairOrderAcrossWorkspaces(t *testing.T) {
	var s scheduler
	lim := Limits{PerWorkspace: 1, Total: 1, QueueWait: 10 * time.Second, QueueLen: 10}
	ctx := context.Background()
	hold, err := s.acquire(ctx, 99, lim)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	queued := map[int64]int{}
	for _, q := range []struct {
		ws   int64
		name string
	}{{1, "A1"}, {1, "A2"}, {1, "A3"}, {2, "B1"}, {3, "C1"}, {2, "B2"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rel, err := s.acquire(ctx, q.ws, lim)
			if err != nil {
				t.Errorf("%s: %v", q.name, err)
				return
			}
			mu.Lock()
			order = append(order, q.name)
			mu.Unlock()
			rel()
		}()
		queued[q.ws]++
		waitQueued(t, &s, q.ws, queued[q.ws]) // arrival order is the order above
	}
	hold()
	wg.Wait()
	if got, want := strings.Join(order, " "), "A1 B1 C1 A2 B2 A3"; got != want {
		t.Errorf("served %s, want %s", got, want)
	}
	if s.total != 0 || len(s.running) != 0 || len(s.queues) != 0 || len(s.ring) != 0 {
		t.Errorf("scheduler not empty: total %d running %v queues %d ring %v", s.total, s.running, len(s.queues), s.ring)
	}
}

// R4.2: a workspace at its own limit waits, but another workspace's query
// takes a free slot at once; and one workspace never holds every slot.
func TestScheduler_R4_2_PerWorkspaceLimitLeavesRoomForOthers(t *testing.T) {
	if got := (Limits{PerWorkspace: 5, Total: 3}).perWorkspace(); got != 2 {
		t.Errorf("per-workspace limit with total 3: %d, want 2", got)
	}
	if got := (Limits{}).total(); got < 4 {
		t.Errorf("default total %d", got)
	}
	var s scheduler
	lim := Limits{PerWorkspace: 2, Total: 4, QueueWait: 5 * time.Second}
	ctx := context.Background()
	a1, _ := s.acquire(ctx, 1, lim)
	a2, _ := s.acquire(ctx, 1, lim)
	got := make(chan error, 1)
	go func() {
		rel, err := s.acquire(ctx, 1, lim)
		if err == nil {
			rel()
		}
		got <- err
	}()
	waitQueued(t, &s, 1, 1)
	start := time.Now()
	b1, err := s.acquire(ctx, 2, lim)
	if err != nil || time.Since(start) > time.Second {
		t.Fatalf("workspace 2 waited %s behind workspace 1: %v", time.Since(start), err)
	}
	b1()
	a1()
	if err := <-got; err != nil {
		t.Errorf("third query of workspace 1: %v", err)
	}
	a2()
}

// R4.2: nobody waits without bound. A full queue refuses at once, a long
// wait gives up after QueueWait, both with the same clear conflict; a
// cancelled waiter leaves the queue.
func TestScheduler_R4_2_QueueFullAndBoundedWait(t *testing.T) {
	var s scheduler
	lim := Limits{PerWorkspace: 1, Total: 2, QueueWait: 300 * time.Millisecond, QueueLen: 1}
	ctx := context.Background()
	hold, err := s.acquire(ctx, 1, lim)
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	waited := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := s.acquire(ctx, 1, lim)
		waited <- err
	}()
	waitQueued(t, &s, 1, 1)
	if _, err := s.acquire(ctx, 1, lim); shuyu.ErrorCode(err) != shuyu.ECONFLICT || !strings.Contains(shuyu.ErrorMessage(err), "查询排队已满，请稍后再试") {
		t.Errorf("queue full: %v", err)
	}
	err = <-waited
	if shuyu.ErrorCode(err) != shuyu.ECONFLICT || !strings.Contains(shuyu.ErrorMessage(err), "查询排队已满，请稍后再试") {
		t.Errorf("bounded wait: %v", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 5*time.Second {
		t.Errorf("gave up after %s, want about 300ms", d)
	}
	if w, r := s.load(1); w != 0 || r != 1 {
		t.Errorf("after the timeout: %d waiting, %d running", w, r)
	}
	// A waiter whose context ends leaves the queue and takes no slot.
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := s.acquire(cctx, 1, Limits{PerWorkspace: 1, Total: 2, QueueWait: 10 * time.Second})
		done <- err
	}()
	waitQueued(t, &s, 1, 1)
	cancel()
	if err := <-done; err == nil {
		t.Error("cancelled waiter admitted")
	}
	if w, r := s.load(1); w != 0 || r != 1 {
		t.Errorf("after the cancel: %d waiting, %d running", w, r)
	}
}

// R14.2, invariant 6: one merchant's heavy queries in two workspaces never
// hold every slot: the fourth slot stays for another merchant, whose cheap
// query starts at once (red team, round five: it waited 27.7 s).
func TestScheduler_R14_2_OneMerchantNeverHoldsEverySlot(t *testing.T) {
	var s scheduler
	lim := Limits{PerWorkspace: 2, Total: 4, QueueWait: 5 * time.Second}
	ctx := context.Background()
	var held []func()
	for _, ws := range []int64{1, 1, 2} { // merchant 10: workspaces 1 and 2
		rel, err := s.acquireFor(ctx, ws, 10, lim)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, rel)
	}
	// A fourth heavy query of merchant 10 waits although a slot is free.
	got := make(chan error, 1)
	go func() {
		rel, err := s.acquireFor(ctx, 2, 10, lim)
		if err == nil {
			rel()
		}
		got <- err
	}()
	waitQueued(t, &s, 2, 1)
	start := time.Now()
	other, err := s.acquireFor(ctx, 3, 20, lim)
	if err != nil || time.Since(start) > time.Second {
		t.Fatalf("another merchant waited %s: %v", time.Since(start), err)
	}
	select {
	case err := <-got:
		t.Fatalf("merchant 10 took a fourth slot: %v", err)
	default:
	}
	other()
	held[0]()
	if err := <-got; err != nil {
		t.Errorf("merchant 10's queued query after a slot freed: %v", err)
	}
	for _, rel := range held[1:] {
		rel()
	}
}
