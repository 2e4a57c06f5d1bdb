package web

import (
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"
)

// metrics keeps request counts and latency sums per route and status, and
// serves them in the Prometheus text format at /metrics.
type metrics struct {
	mu      sync.Mutex
	started time.Time
	counts  map[[2]string]*counter
}

type counter struct {
	n       int64
	seconds float64
}

func newMetrics() *metrics {
	return &metrics{started: time.Now(), counts: map[[2]string]*counter{}}
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	k := [2]string{route, strconv.Itoa(status)}
	m.mu.Lock()
	c := m.counts[k]
	if c == nil {
		c = &counter{}
		m.counts[k] = c
	}
	c.n++
	c.seconds += d.Seconds()
	m.mu.Unlock()
}

func (m *metrics) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m.mu.Lock()
	keys := make([][2]string, 0, len(m.counts))
	for k := range m.counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	fmt.Fprintln(w, "# HELP shuyu_http_requests_total HTTP requests by route and status.")
	fmt.Fprintln(w, "# TYPE shuyu_http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "shuyu_http_requests_total{route=%q,status=%q} %d\n", k[0], k[1], m.counts[k].n)
	}
	fmt.Fprintln(w, "# HELP shuyu_http_request_seconds_sum Time spent serving requests by route and status.")
	fmt.Fprintln(w, "# TYPE shuyu_http_request_seconds_sum counter")
	for _, k := range keys {
		fmt.Fprintf(w, "shuyu_http_request_seconds_sum{route=%q,status=%q} %g\n", k[0], k[1], m.counts[k].seconds)
	}
	m.mu.Unlock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintln(w, "# TYPE shuyu_uptime_seconds gauge")
	fmt.Fprintf(w, "shuyu_uptime_seconds %g\n", time.Since(m.started).Seconds())
	fmt.Fprintln(w, "# TYPE go_goroutines gauge")
	fmt.Fprintf(w, "go_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintln(w, "# TYPE go_memstats_heap_alloc_bytes gauge")
	fmt.Fprintf(w, "go_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
}
