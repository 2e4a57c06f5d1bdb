package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"shuyu/demo"
	"shuyu/sqlstore/sqltest"
)

// loadResult is what load runs measured.
type loadResult struct {
	lat     []time.Duration
	elapsed time.Duration
}

func (r *loadResult) add(o loadResult) {
	r.lat = append(r.lat, o.lat...)
	r.elapsed += o.elapsed
}

// Rate is requests per second.
func (r *loadResult) Rate() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

// Pct is the p-quantile of the latencies (0 < p < 1).
func (r *loadResult) Pct(p float64) time.Duration {
	all := slices.Clone(r.lat)
	slices.Sort(all)
	return all[min(len(all)-1, int(float64(len(all))*p))]
}

// loadRun sends GET url from conns concurrent clients (one keep-alive
// connection each) for d and records every request's latency. Any answer
// but 200 fails the run: a fast error is not a fast page.
func loadRun(ctx context.Context, client *http.Client, target string, conns int, d time.Duration) (loadResult, error) {
	lat := make([][]time.Duration, conns)
	errs := make(chan error, conns)
	start := time.Now()
	stop := start.Add(d)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, "GET", target, nil)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					errs <- fmt.Errorf("GET %s: %d %v", target, resp.StatusCode, err)
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return loadResult{}, err
	}
	r := loadResult{lat: slices.Concat(lat...), elapsed: elapsed}
	if len(r.lat) == 0 {
		return r, fmt.Errorf("GET %s: no request finished", target)
	}
	return r, nil
}

// BenchmarkPublicCatalogLoad_R8_5 serves the demo catalog (44 published
// entries with departments, categories and fields, demo.Seed) and loads
// /healthz and the three public catalog reads with 64 concurrent anonymous
// clients on the same server in the same run. Each read alternates with
// /healthz in slices of half a second (SHUYU_LOAD_SECONDS in all per read,
// default 4), so that both see the same machine load; it reports the read's
// rate as a ratio to /healthz's and both p99 latencies. See
// docs/performance.md.
//
//	go test ./web/ -run '^$' -bench PublicCatalogLoad -benchtime 1x
func BenchmarkPublicCatalogLoad_R8_5(b *testing.B) {
	secs := 4.0
	if v, err := strconv.ParseFloat(os.Getenv("SHUYU_LOAD_SECONDS"), 64); err == nil && v > 0 {
		secs = v
	}
	const conns, slice = 64, 500 * time.Millisecond
	slices := max(1, int(secs*float64(time.Second)/float64(slice)))
	for _, backend := range sqltest.Backends(b) {
		b.Run(backend, func(b *testing.B) {
			db, clock := sqltest.Open(b, backend)
			if _, err := demo.Seed(context.Background(), db, ""); err != nil {
				b.Fatal(err)
			}
			s := New(Config{DB: db, Now: clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			targets := []struct{ name, path string }{
				{"api", "/api/v1/catalog"},
				{"api_q", "/api/v1/catalog?q=" + url.QueryEscape("人口")},
				{"page", "/catalog"},
			}
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				for _, tg := range targets {
					// One read first: the measure is of reads between
					// changes, the first read after a change computes.
					if _, err := loadRun(ctx, client, srv.URL+tg.path, 1, time.Millisecond); err != nil {
						b.Fatal(err)
					}
					var health, r loadResult
					for range slices {
						h, err := loadRun(ctx, client, srv.URL+"/healthz", conns, slice)
						if err != nil {
							b.Fatal(err)
						}
						health.add(h)
						t, err := loadRun(ctx, client, srv.URL+tg.path, conns, slice)
						if err != nil {
							b.Fatal(err)
						}
						r.add(t)
					}
					ratio := r.Rate() / health.Rate()
					b.ReportMetric(r.Rate(), tg.name+"-req/s")
					b.ReportMetric(ratio, tg.name+"-ratio")
					b.ReportMetric(float64(r.Pct(0.99).Microseconds())/1000, tg.name+"-p99-ms")
					b.ReportMetric(float64(health.Pct(0.99).Microseconds())/1000, tg.name+"-healthz-p99-ms")
					b.Logf("%s %s: %.0f req/s, healthz %.0f req/s, ratio %.3f; p50 %v p99 %v (healthz p50 %v p99 %v)",
						backend, tg.path, r.Rate(), health.Rate(), ratio, r.Pct(0.5).Round(time.Microsecond*100),
						r.Pct(0.99).Round(time.Microsecond*100), health.Pct(0.5).Round(time.Microsecond*100),
						health.Pct(0.99).Round(time.Microsecond*100))
				}
			}
		})
	}
}
