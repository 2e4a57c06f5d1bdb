package supply

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// R10.1: builds are taken from departments in turn. Department 1 queues
// four builds, then department 2 queues one: department 2's runs second,
// not fifth. A waiter whose context ends leaves the queue without running.
func TestFairQueue_R10_1_DepartmentsTakeTurns(t *testing.T) {
	q := newFairQueue()
	var mu sync.Mutex
	var order []int64
	block := make(chan struct{})
	first := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // department 1's first build holds the queue
		defer wg.Done()
		q.run(context.Background(), 1, func() {
			close(first)
			<-block
			mu.Lock()
			order = append(order, 1)
			mu.Unlock()
		})
	}()
	<-first
	enqueue := func(dept int64) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.run(context.Background(), dept, func() {
				mu.Lock()
				order = append(order, dept)
				mu.Unlock()
			})
		}()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("never queued")
			}
			n := 0
			for _, c := range q.waiting() {
				n += c
			}
			if n > 0 && q.waiting()[dept] > 0 {
				break
			}
		}
	}
	enqueue(1)
	enqueue(1)
	enqueue(1)
	// A department-3 waiter that gives up leaves no trace.
	ctx, cancel := context.WithCancel(context.Background())
	ran := false
	errc := make(chan error, 1)
	go func() { errc <- q.run(ctx, 3, func() { ran = true }) }()
	for q.waiting()[3] == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; err == nil || ran {
		t.Fatalf("cancelled waiter: err %v ran %v", err, ran)
	}
	enqueue(2)
	close(block)
	wg.Wait()
	if want := []int64{1, 1, 2, 1, 1}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
}
