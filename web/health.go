package web

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"shuyu/sqlstore"
)

// HealthOptions are the thresholds of /healthz (docs/operations.md,
// "Health and monitoring").
type HealthOptions struct {
	// MinFreeBytes: less free space than this on the data directory's
	// file system is unhealthy (default 1 GiB): writes would soon fail.
	MinFreeBytes uint64
	// MaxCheckpointLag: an event older than this that no signed checkpoint
	// anchors is unhealthy (default 3 minutes: checkpoints run every
	// minute).
	MaxCheckpointLag time.Duration
}

// healthState holds the results of checks too slow to run per request.
type healthState struct {
	mu        sync.Mutex
	integrity error     // last SQLite quick_check (or PostgreSQL round trip)
	checkedAt time.Time // when it ran; zero: never
	// The write probe runs at most once a second: /healthz is anonymous,
	// and a flood of it must not become a flood of writes.
	probeMu  sync.Mutex
	probedAt time.Time
	probe    healthCheck
}

// probeEvery is how often /healthz really writes.
const probeEvery = time.Second

// RecordIntegrity keeps the outcome of the store's integrity check (run by
// cmd/shuyu at start-up and on a schedule) for /healthz.
func (s *Server) RecordIntegrity(err error) {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	s.health.integrity, s.health.checkedAt = err, time.Now()
}

// healthCheck is one line of the /healthz answer.
type healthCheck struct {
	OK      bool   `json:"ok"`
	Detail  string `json:"detail,omitempty"`
	Problem string `json:"problem,omitempty"`
}

// livez answers 200 while the process serves HTTP: for a liveness probe
// that should restart a hung process, never one that is merely unhealthy.
func (s *Server) livez(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
}

// healthz checks what must hold for the platform to answer correctly: the
// store takes a write (a heartbeat row, not an audit event), its last
// integrity check passed, the data domain file is there and holds every
// version the metadata says is mounted, the disk has room, and no event
// waits for a signed checkpoint longer than allowed. Any failure answers
// 503 with every problem named.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	checks := map[string]healthCheck{}
	var problems []string
	add := func(name string, c healthCheck) {
		checks[name] = c
		if !c.OK {
			problems = append(problems, name+": "+c.Problem)
		}
	}
	add("store", s.checkStore(ctx))
	add("integrity", s.checkIntegrity())
	add("domain", s.checkDomain(ctx))
	add("disk", s.checkDisk())
	add("checkpoint", s.checkCheckpoint(ctx))
	body := map[string]any{"status": "ok", "db": string(s.db.Dialect()), "domain_role": s.cfg.domainRole(), "checks": checks}
	status := http.StatusOK
	if len(problems) > 0 {
		body["status"], body["problems"] = "unavailable", problems
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, body)
}

func (s *Server) checkStore(ctx context.Context) healthCheck {
	h := s.health
	h.probeMu.Lock()
	defer h.probeMu.Unlock()
	if !h.probedAt.IsZero() && time.Since(h.probedAt) < probeEvery {
		return h.probe
	}
	h.probe, h.probedAt = s.writeProbe(ctx), time.Now()
	return h.probe
}

func (s *Server) writeProbe(ctx context.Context) healthCheck {
	start := time.Now()
	found, err := s.db.Heartbeat(ctx)
	if err != nil {
		return healthCheck{Problem: "元数据库无法写入 (the store refuses a write): " + sanitizeProblem(err)}
	}
	d := fmt.Sprintf("write probe %.1f ms", float64(time.Since(start).Microseconds())/1000)
	if !found {
		d += " (server not registered)"
	}
	return healthCheck{OK: true, Detail: d}
}

func (s *Server) checkIntegrity() healthCheck {
	s.health.mu.Lock()
	err, at := s.health.integrity, s.health.checkedAt
	s.health.mu.Unlock()
	if at.IsZero() {
		return healthCheck{OK: true, Detail: "not run yet"}
	}
	if err != nil {
		return healthCheck{Problem: "元数据库完整性检查失败 (integrity check failed): " + sanitizeProblem(err)}
	}
	return healthCheck{OK: true, Detail: "checked " + at.UTC().Format(time.RFC3339)}
}

func (s *Server) checkDomain(ctx context.Context) healthCheck {
	if s.vault == nil {
		if s.owner != nil {
			if u, _ := s.owner.resolve(ctx); u != nil {
				return healthCheck{OK: true, Detail: "domain owned by " + u.String()}
			}
			return healthCheck{OK: true, Detail: "no live domain owner"}
		}
		return healthCheck{OK: true, Detail: "no domain on this server"}
	}
	if _, err := os.Stat(s.vault.File()); err != nil {
		return healthCheck{Problem: "数据域文件 domain.duckdb 不存在 (the domain file is missing)"}
	}
	miss, err := s.supply.MissingVersions(ctx)
	if err != nil {
		return healthCheck{Problem: "无法读取数据域 (the domain cannot be read): " + sanitizeProblem(err)}
	}
	if len(miss) > 0 {
		names := make([]string, 0, len(miss))
		for _, m := range miss {
			names = append(names, fmt.Sprintf("%s v%d", m.Code, m.Version))
		}
		return healthCheck{Problem: fmt.Sprintf("数据域缺少已挂接的版本 (mounted versions missing from the domain): %s", strings.Join(names, ", "))}
	}
	return healthCheck{OK: true, Detail: "every mounted version present"}
}

func (s *Server) checkDisk() healthCheck {
	min := s.cfg.Health.MinFreeBytes
	// The store's data directory (SQLite, checkpoint file) and the domain's
	// (the data directory of the server), when they differ: the fuller one
	// counts.
	free := uint64(1<<63 - 1)
	for _, dir := range []string{s.db.DataDir(), s.cfg.Data} {
		if dir == "" {
			continue
		}
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			if dir == s.cfg.Data && os.IsNotExist(err) {
				continue
			}
			return healthCheck{Problem: "无法读取磁盘空间 (cannot read free disk space): " + err.Error()}
		}
		free = min64(free, st.Bavail*uint64(st.Bsize))
	}
	d := fmt.Sprintf("%d MiB free, threshold %d MiB", free>>20, min>>20)
	if free < min {
		return healthCheck{Detail: d, Problem: "磁盘空间不足 (free disk below threshold): " + d}
	}
	return healthCheck{OK: true, Detail: d}
}

func (s *Server) checkCheckpoint(ctx context.Context) healthCheck {
	st, err := s.db.CheckpointStatus(ctx)
	if err != nil {
		return healthCheck{Problem: "无法读取审计检查点 (cannot read the checkpoint state): " + sanitizeProblem(err)}
	}
	d := fmt.Sprintf("last checkpoint seq %d, %d events pending", st.LastSeq, st.Pending)
	if st.OldestPending != nil {
		if age := s.cfg.Now().Sub(*st.OldestPending); age > s.cfg.Health.MaxCheckpointLag {
			return healthCheck{Detail: d, Problem: fmt.Sprintf("审计事件超过 %s 未被签名检查点锚定 (events unanchored for %s, over %s)",
				s.cfg.Health.MaxCheckpointLag, age.Round(time.Second), s.cfg.Health.MaxCheckpointLag)}
		}
	}
	return healthCheck{OK: true, Detail: d}
}

// sanitizeProblem keeps an error's first line, short: /healthz is
// unauthenticated and must not echo data (invariant 1).
func sanitizeProblem(err error) string {
	m := err.Error()
	if i := strings.IndexByte(m, '\n'); i >= 0 {
		m = m[:i]
	}
	if len(m) > 200 {
		m = m[:200]
	}
	return m
}

func (h *HealthOptions) defaults() {
	if h.MinFreeBytes == 0 {
		h.MinFreeBytes = 1 << 30
	}
	if h.MaxCheckpointLag == 0 {
		h.MaxCheckpointLag = 3 * time.Minute
	}
}

// MissingVersions lists the mounted versions the domain lacks (cmd/shuyu
// refuses to start on them, /healthz answers 503).
func (s *Server) MissingVersions(ctx context.Context) ([]sqlstore.MountedVersion, error) {
	return s.supply.MissingVersions(ctx)
}

// RecoverLost records the missing versions as lost (`serve --recover`).
func (s *Server) RecoverLost(ctx context.Context) ([]sqlstore.MountedVersion, error) {
	return s.supply.RecoverLost(ctx)
}

func min64(a, b uint64) uint64 {
	if a < b {
		return a
	}
	return b
}
