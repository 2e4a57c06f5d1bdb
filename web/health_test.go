package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

type healthAnswer struct {
	Status   string                 `json:"status"`
	Problems []string               `json:"problems"`
	Checks   map[string]healthCheck `json:"checks"`
}

func getHealth(t *testing.T, url string) (int, healthAnswer) {
	t.Helper()
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var a healthAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatalf("healthz body %s: %v", data, err)
	}
	return resp.StatusCode, a
}

// A domain that loses a mounted version (a replaced domain.duckdb, a table
// gone) or its file makes /healthz answer 503 naming the entry and version.
func TestHealth_R28_1_DomainLosesVersionIs503(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, backend string) {
		h := newDomainHarness(t, backend)
		id := h.entry("ZW-GA-0001", "dept-gongan", true)
		h.uploadOK("dept-gongan", id, "p.csv", peopleCSV(domainIDs(4), []string{"张甲", "李乙", "王丙", "赵丁"}))
		if _, err := h.db.RegisterServer(context.Background(), sqlstore.DomainOwner, h.srv.URL); err != nil {
			t.Fatal(err)
		}
		if _, err := h.db.Checkpoint(context.Background(), shuyu.System); err != nil {
			t.Fatal(err)
		}
		st, a := getHealth(t, h.srv.URL)
		if st != 200 || a.Status != "ok" || !a.Checks["store"].OK || !a.Checks["domain"].OK {
			t.Fatalf("healthy platform: %d %+v", st, a)
		}
		// Version 1 disappears from the domain (as when domain.duckdb is
		// replaced by an older copy): the table is gone.
		conn, err := h.vault.Locked(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(context.Background(), `DROP VIEW IF EXISTS zw_ga_0001; DROP TABLE v_zw_ga_0001_1`); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		st, a = getHealth(t, h.srv.URL)
		if st != 503 || a.Status != "unavailable" || a.Checks["domain"].OK || !strings.Contains(a.Checks["domain"].Problem, "ZW-GA-0001 v1") {
			t.Fatalf("lost version: %d %+v", st, a)
		}
		// The domain file itself deleted under the running server.
		if err := os.Remove(h.vault.File()); err != nil {
			t.Fatal(err)
		}
		st, a = getHealth(t, h.srv.URL)
		if st != 503 || !strings.Contains(a.Checks["domain"].Problem, "domain.duckdb") {
			t.Fatalf("deleted domain file: %d %+v", st, a)
		}
	})
}

// healthServer is a server without a domain, with the given thresholds.
func healthServer(t *testing.T, backend string, opt HealthOptions) (*sqlstore.DB, *sqltest.Clock, string) {
	t.Helper()
	db, clock := sqltest.Open(t, backend)
	sqltest.Seed(t, db) // events, none anchored yet
	s := New(Config{DB: db, Data: db.DataDir(), Now: clock.Now, Health: opt, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return db, clock, srv.URL
}

// Free disk below the threshold (the threshold is the injectable part: the
// disk is the real one) answers 503 naming the disk.
func TestHealth_DiskBelowThresholdIs503(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, backend string) {
		db, _, url := healthServer(t, backend, HealthOptions{MinFreeBytes: 1 << 62})
		if _, err := db.Checkpoint(context.Background(), shuyu.System); err != nil {
			t.Fatal(err)
		}
		st, a := getHealth(t, url)
		if st != 503 || a.Checks["disk"].OK || len(a.Problems) != 1 || !strings.HasPrefix(a.Problems[0], "disk:") {
			t.Fatalf("full disk: %d %+v", st, a)
		}
		_, _, url = healthServer(t, backend, HealthOptions{MinFreeBytes: 1 << 20})
		if _, a := getHealth(t, url); !a.Checks["disk"].OK {
			t.Fatalf("disk with room: %+v", a)
		}
	})
}

// Events older than the allowed lag with no checkpoint anchoring them
// answer 503; a checkpoint makes the server healthy again.
func TestHealth_R28_1_CheckpointTooOldIs503(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, backend string) {
		db, clock, url := healthServer(t, backend, HealthOptions{MinFreeBytes: 1, MaxCheckpointLag: 3 * time.Minute})
		if st, a := getHealth(t, url); st != 200 {
			t.Fatalf("fresh events: %d %+v", st, a)
		}
		clock.Advance(4 * time.Minute)
		st, a := getHealth(t, url)
		if st != 503 || a.Checks["checkpoint"].OK || !strings.Contains(a.Checks["checkpoint"].Problem, "unanchored") {
			t.Fatalf("old unanchored events: %d %+v", st, a)
		}
		if _, err := db.Checkpoint(context.Background(), shuyu.System); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour) // only the checkpoint's own event follows: nothing to anchor
		if st, a := getHealth(t, url); st != 200 {
			t.Fatalf("after a checkpoint: %d %+v", st, a)
		}
	})
}

// A failed integrity check (recorded by cmd/shuyu) answers 503.
func TestHealth_IntegrityFailureIs503(t *testing.T) {
	db, _ := sqltest.Open(t, "sqlite")
	s := New(Config{DB: db, Data: db.DataDir(), Health: HealthOptions{MinFreeBytes: 1}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	s.RecordIntegrity(fmt.Errorf("quick_check: *** in database main *** Page 7: btreeInitPage() returns error code 11"))
	st, a := getHealth(t, srv.URL)
	if st != 503 || a.Checks["integrity"].OK || !strings.Contains(a.Checks["integrity"].Problem, "Page 7") {
		t.Fatalf("integrity failure: %d %+v", st, a)
	}
	resp, err := http.Get(srv.URL + "/livez")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("livez: %v %v", resp, err)
	}
	resp.Body.Close()
}

// BenchmarkHealthz times one /healthz on a server without a domain (the
// write probe at most once a second, integrity state, disk and checkpoint
// state) against /livez, the bare HTTP round trip, in the same run
// ("ratio" is healthz/livez), and the write probe on its own.
func BenchmarkHealthz(b *testing.B) {
	for _, backend := range sqltest.Backends(b) {
		b.Run(backend, func(b *testing.B) {
			db, clock := sqltest.Open(b, backend)
			sqltest.Seed(b, db)
			s := New(Config{DB: db, Data: db.DataDir(), Now: clock.Now, Health: HealthOptions{MinFreeBytes: 1}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if _, err := db.RegisterServer(context.Background(), "owner", "http://127.0.0.1"); err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			hit := func(path string) {
				resp, err := http.Get(srv.URL + path)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			var health, live, probe time.Duration
			n := 0
			for b.Loop() {
				t0 := time.Now()
				hit("/healthz")
				t1 := time.Now()
				hit("/livez")
				t2 := time.Now()
				// The write probe itself, which /healthz runs at most once a
				// second (so the timings above hold about one of them).
				if c := s.writeProbe(context.Background()); !c.OK {
					b.Fatal(c.Problem)
				}
				health, live, probe = health+t1.Sub(t0), live+t2.Sub(t1), probe+time.Since(t2)
				n++
			}
			b.ReportMetric(float64(probe.Microseconds())/float64(n), "write-probe-µs")
			b.ReportMetric(float64(health.Microseconds())/float64(n), "healthz-µs")
			b.ReportMetric(float64(live.Microseconds())/float64(n), "livez-µs")
			b.ReportMetric(health.Seconds()/live.Seconds(), "ratio")
		})
	}
}
