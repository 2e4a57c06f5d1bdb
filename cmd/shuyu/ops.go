package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/web"
)

// OpsOptions are the serve flags of operations (docs/operations.md:
// "Several servers on one PostgreSQL", "Health and monitoring", "Audit
// trail: checkpoints and verification").
type OpsOptions struct {
	// Domain is the data domain role: "owner" takes the domain lease, opens
	// the DuckDB domain and runs its jobs; "none" opens none and forwards
	// domain work to the owner; "standby" is "none" that takes the domain
	// over when the owner's lease expires (failover.go).
	Domain string
	// DomainDir is where the domain lives (default DATA/domain); for
	// fail-over, storage both the owner and the standby reach.
	DomainDir string
	// DomainLease is the lease's term: a standby takes over at most this
	// long (plus a third of it) after the owner stopped renewing.
	DomainLease time.Duration
	// DomainOwner is the owner's base URL for --domain=none; empty takes
	// the address the live owner registered in the store.
	DomainOwner string
	// DomainSecretFile holds the secret shared by the servers of one store
	// (forwarded requests carry it; the owner trusts their client address).
	DomainSecretFile string
	// Advertise is the URL other servers reach this one at (default
	// http://<listen address>).
	Advertise string
	// Recover starts although mounted versions are missing from the
	// domain: they are recorded as lost and unmounted, departments told.
	Recover bool
	// AllowDamaged starts although the store's integrity check failed
	// (/healthz then answers 503 until it passes).
	AllowDamaged bool

	CheckpointEvents int64         // checkpoint after this many events…
	CheckpointEvery  time.Duration // …or this long, whichever first
	IntegrityEvery   time.Duration // how often quick_check runs again
	MinFreeMB        uint64        // /healthz: free disk below this is unhealthy
	MaxCheckpointLag time.Duration // /healthz: unanchored events older than this are unhealthy
}

func opsFlags(fs *flag.FlagSet, o *OpsOptions) {
	fs.StringVar(&o.Domain, "domain", sqlstore.DomainOwner, "数据域角色 data domain role: owner (takes the lease, opens the DuckDB domain), standby (forwards, takes over when the owner's lease expires) or none (forwards domain work to the owner)")
	fs.StringVar(&o.DomainDir, "domain-dir", "", "数据域目录（故障切换时须为主备共享存储）domain directory (default DATA/domain; shared storage for fail-over)")
	fs.DurationVar(&o.DomainLease, "domain-lease", 15*time.Second, "数据域租约期限 domain lease term (a standby takes over after it expires)")
	fs.StringVar(&o.DomainOwner, "domain-owner", "", "数据域服务器地址 domain owner URL for --domain=none (default: as registered in the store)")
	fs.StringVar(&o.DomainSecretFile, "domain-secret-file", "", "服务器间共享密钥文件 file with the secret shared by the servers of one store")
	fs.StringVar(&o.Advertise, "advertise", "", "本服务器供其他服务器访问的地址 URL other servers reach this one at (default http://<addr>)")
	fs.BoolVar(&o.Recover, "recover", false, "数据域缺失已挂接版本时仍启动：登记为丢失、取消挂接并通知提供部门 start although mounted versions are missing from the domain")
	fs.BoolVar(&o.AllowDamaged, "allow-damaged", false, "元数据库完整性检查失败时仍启动 start although the store's integrity check failed")
	fs.Int64Var(&o.CheckpointEvents, "checkpoint-events", 1000, "每多少个审计事件签发检查点 sign a checkpoint after this many events")
	fs.DurationVar(&o.CheckpointEvery, "checkpoint-every", time.Minute, "至少每隔多久签发检查点 sign a checkpoint at least this often")
	fs.DurationVar(&o.IntegrityEvery, "integrity-every", time.Hour, "完整性检查间隔 how often the store's integrity check runs")
	fs.Uint64Var(&o.MinFreeMB, "min-free-mb", 1024, "健康检查：最低可用磁盘空间 (MiB) /healthz free disk threshold")
	fs.DurationVar(&o.MaxCheckpointLag, "max-checkpoint-lag", 3*time.Minute, "健康检查：审计事件未被检查点锚定的最长时间 /healthz checkpoint lag threshold")
}

// checkStore runs the integrity check at start-up: a damaged SQLite page
// refuses the start (unless --allow-damaged) with what SQLite found.
func (m *Main) checkStore(ctx context.Context, o *ServeOptions) error {
	err := m.DB.IntegrityCheck(ctx)
	m.integrity = err
	if err != nil && !o.Ops.AllowDamaged {
		return fmt.Errorf("元数据库完整性检查失败，拒绝启动；请从备份恢复，或加 --allow-damaged 仅供排查 (store integrity check failed, refusing to start: restore from a backup, or --allow-damaged to investigate): %w", err)
	}
	return nil
}

// checkDomain refuses to serve when the metadata says data is mounted but
// the domain does not hold it (a deleted or replaced domain.duckdb), naming
// every missing version; with --recover they are recorded as lost.
func (m *Main) checkDomain(ctx context.Context, o *ServeOptions) error {
	missing, err := m.Server.MissingVersions(ctx)
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		return nil
	}
	var names []string
	for _, v := range missing {
		names = append(names, fmt.Sprintf("%s（%s）第 %d 版 %d 行 (version %d, %d rows)", v.Code, v.VaultName, v.Version, v.Rows, v.Version, v.Rows))
	}
	if !o.Ops.Recover {
		return fmt.Errorf("数据域 %s 缺少元数据记录为已挂接的数据，拒绝启动 (the domain lacks data the metadata says is mounted; refusing to start):\n  %s\n"+
			"如数据域文件被误删或替换，请先从备份恢复；确认数据已无法找回时，用 `shuyu serve --recover` 启动：这些版本将登记为丢失并取消挂接，并通知提供部门重新提供 "+
			"(restore the domain from a backup; if the data is gone for good, start with `shuyu serve --recover`: the versions are recorded as lost and unmounted, and the departments asked to supply them again)",
			m.Vault.File(), strings.Join(names, "\n  "))
	}
	lost, err := m.Server.RecoverLost(ctx)
	if err != nil {
		return err
	}
	m.Log.Warn("domain: versions missing from the domain recorded as lost and unmounted (--recover)", "versions", len(lost), "which", strings.Join(names, "; "))
	return nil
}

// readSecret reads the shared secret file (trimmed); empty path, empty secret.
func readSecret(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("domain secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if len(s) < 16 {
		return "", fmt.Errorf("domain secret in %s is shorter than 16 characters", path)
	}
	return s, nil
}

// domainOwnerURL is --domain-owner, or "" when the forwarder is to follow
// the live lease holder registered in the store (web/domain_forward.go);
// then it says at start whether there is one.
func (m *Main) domainOwnerURL(ctx context.Context, o *ServeOptions) (string, error) {
	if o.Ops.DomainOwner != "" {
		return strings.TrimRight(o.Ops.DomainOwner, "/"), nil
	}
	owner, err := m.DB.LiveDomainOwner(ctx)
	if err != nil {
		return "", err
	}
	if owner == nil {
		m.Log.Warn("no live domain owner registered: domain pages and API answer 503 until one holds the lease")
	} else {
		m.Log.Info("domain owner (followed through the store's lease)", "url", owner.Addr)
	}
	return "", nil
}

// runCheckpointer signs the audit head every CheckpointEvery, and sooner
// when CheckpointEvents events are pending (R28.1). Several servers may run
// it on one store: a checkpoint is made only for new events, and the audit
// head's lock serializes them.
func (m *Main) runCheckpointer(ctx context.Context, every time.Duration, events int64) {
	t := time.NewTicker(every)
	defer t.Stop()
	checkpoint := func(why string) {
		if _, err := m.DB.Checkpoint(ctx, shuyu.System); err != nil && ctx.Err() == nil {
			m.Log.Error("audit checkpoint", "err", err, "trigger", why)
		}
	}
	checkpoint("start")
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			checkpoint("time")
		case <-m.DB.CheckpointKicks():
			st, err := m.DB.CheckpointStatus(ctx)
			if err != nil {
				continue
			}
			if st.Pending >= events {
				checkpoint("events")
			}
		}
	}
}

// runHealthJobs writes the server's heartbeat every 30 s and reruns the
// integrity check every IntegrityEvery.
func (m *Main) runHealthJobs(ctx context.Context, integrityEvery time.Duration) {
	hb := time.NewTicker(30 * time.Second)
	defer hb.Stop()
	ic := time.NewTicker(integrityEvery)
	defer ic.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hb.C:
			if _, err := m.DB.Heartbeat(ctx); err != nil && ctx.Err() == nil {
				m.Log.Error("heartbeat", "err", err)
			}
		case <-ic.C:
			err := m.DB.IntegrityCheck(ctx)
			if ctx.Err() != nil {
				return
			}
			m.web().RecordIntegrity(err)
			if err != nil {
				m.Log.Error("store integrity check", "err", err)
			}
		}
	}
}

// healthOptions turns the flags into web's thresholds.
func healthOptions(o *OpsOptions) web.HealthOptions {
	return web.HealthOptions{MinFreeBytes: o.MinFreeMB << 20, MaxCheckpointLag: o.MaxCheckpointLag}
}

// defaults fills options a test's ServeOptions left zero.
func (o *OpsOptions) defaults() {
	if o.Domain == "" {
		o.Domain = sqlstore.DomainOwner
	}
	if o.DomainLease <= 0 {
		o.DomainLease = 15 * time.Second
	}
	if o.CheckpointEvents == 0 {
		o.CheckpointEvents = 1000
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = time.Minute
	}
	if o.IntegrityEvery == 0 {
		o.IntegrityEvery = time.Hour
	}
	if o.MinFreeMB == 0 {
		o.MinFreeMB = 1024
	}
	if o.MaxCheckpointLag == 0 {
		o.MaxCheckpointLag = 3 * time.Minute
	}
}
