package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"shuyu"
	"shuyu/demo"
	"shuyu/sqlstore"
	"shuyu/vault"
	"shuyu/web"
)

// Main holds the running platform's parts; tests build one and reuse it.
type Main struct {
	DB       *sqlstore.DB
	Vault    *vault.Domain
	Server   *web.Server
	HTTP     *http.Server
	Listener net.Listener
	Log      *slog.Logger
	Now      func() time.Time

	// CheckpointEvery is how often the audit head is signed (default
	// --checkpoint-every); it is also signed after --checkpoint-events.
	CheckpointEvery time.Duration

	control net.Listener // backup requests (backup.go)
	backup  *ServeOptions

	integrity error       // the start-up integrity check's outcome
	owner     atomic.Bool // this process owns the data domain (a standby from its takeover on)
	ops       OpsOptions
	domainDir string // DATA/domain or --domain-dir
	// The domain lease (failover.go): held by an owner, watched by a
	// standby; webCfg is what a standby builds its owner server from.
	mu         sync.Mutex
	lease      *sqlstore.DomainLease
	webCfg     web.Config
	advertise  string // the URL this server registered
	handler    swapHandler
	leaseLost  chan error
	demoCancel context.CancelFunc
	demoDone   chan struct{}
	demoErr    error // the first demo step that failed (read after demoDone)
}

// ServeOptions are the serve flags.
type ServeOptions struct {
	Data, Addr, DB     string
	Keys               string // key directory; "" for $SHUYU_KEYS_DIR or DATA/keys
	BackupDir          string
	BackupEvery        time.Duration
	BackupKeep         int
	Demo, AllowRemote  bool
	DemoPassword       string
	PasswordIterations int
	// TLSCert and TLSKey turn on HTTPS (cmd/shuyu/tls.go); TrustedProxies
	// are the CIDRs whose X-Forwarded-For/-Proto are believed.
	TLSCert, TLSKey string
	TrustedProxies  []string
	Ops             OpsOptions
}

func serveFlags(args []string, stderr io.Writer) (*ServeOptions, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &ServeOptions{}
	fs.StringVar(&o.Data, "data", "./shuyu-data", "数据目录 data directory")
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "监听地址 listen address")
	fs.StringVar(&o.DB, "db", "", "元数据库 metadata database: empty for SQLite in --data, or postgres://…")
	fs.StringVar(&o.BackupDir, "backup-dir", "", "定时备份目录 directory for scheduled backups")
	fs.DurationVar(&o.BackupEvery, "backup-every", 24*time.Hour, "定时备份间隔 interval of scheduled backups")
	fs.IntVar(&o.BackupKeep, "backup-keep", 7, "保留的定时备份个数 scheduled backups kept")
	fs.StringVar(&o.Keys, "keys", "", "密钥目录（应在数据目录之外）key directory, outside --data (default $"+keysEnv+", else DATA/keys)")
	fs.BoolVar(&o.Demo, "demo", false, "演示模式：创建演示机构、账号和数据 demo mode")
	fs.StringVar(&o.DemoPassword, "demo-password", demo.DefaultPassword, "演示账号密码 demo accounts' password")
	fs.BoolVar(&o.AllowRemote, "demo-allow-remote", false, "允许演示模式监听非回环地址 let demo mode listen on a non-loopback address")
	fs.StringVar(&o.TLSCert, "tls-cert", "", "TLS 证书 (PEM) certificate file: serve HTTPS")
	fs.StringVar(&o.TLSKey, "tls-key", "", "TLS 私钥 (PEM) private key file")
	fs.Var((*multiFlag)(&o.TrustedProxies), "trusted-proxy", "受信任的反向代理地址段 (CIDR，可重复) trusted proxy CIDR, repeatable")
	opsFlags(fs, &o.Ops)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return o, nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := serveFlags(args, stderr)
	if err != nil {
		return 2
	}
	m := &Main{Log: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	if err := m.Open(ctx, o); err != nil {
		fmt.Fprintln(stderr, "shuyu:", err)
		return 1
	}
	defer m.Close()
	if o.Demo {
		printDemo(stdout, o)
	}
	scheme := "http"
	if m.HTTP.TLSConfig != nil {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "数域已启动 shuyu is serving on %s://%s  (data: %s, db: %s)\n", scheme, m.Listener.Addr(), o.Data, m.DB.Dialect())
	if err := m.Serve(ctx); err != nil {
		fmt.Fprintln(stderr, "shuyu:", err)
		return 1
	}
	return 0
}

// Open opens the store, seeds the demo if asked, and listens.
func (m *Main) Open(ctx context.Context, o *ServeOptions) error {
	if o.Demo && !o.AllowRemote && !loopback(o.Addr) {
		return fmt.Errorf("演示模式只监听本机回环地址；如确需对外，请加 --demo-allow-remote (demo mode refuses non-loopback address %s)", o.Addr)
	}
	if m.Now == nil {
		m.Now = time.Now
	}
	var tlsCfg *tls.Config
	if o.TLSCert != "" || o.TLSKey != "" {
		var err error
		if tlsCfg, err = tlsConfig(o.TLSCert, o.TLSKey); err != nil {
			return err
		}
	}
	proxies, err := web.ParseTrustedProxies(o.TrustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxy: %w", err)
	}
	if m.Log == nil {
		m.Log = slog.Default()
	}
	ring, warn := keyRing(o.Data, o.Keys)
	if warn != "" {
		m.Log.Warn(warn)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: o.DB, DataDir: o.Data, Keys: ring, Now: m.Now})
	if err != nil {
		return err
	}
	m.Log.Info("密钥 keys", "dir", ring.Location(), "audit_key", db.AuditKeyID())
	if o.PasswordIterations > 0 {
		db.PasswordIterations = o.PasswordIterations
	}
	m.DB = db
	o.Ops.defaults()
	m.ops = o.Ops
	if o.Ops.Domain != sqlstore.DomainOwner && o.Ops.Domain != sqlstore.DomainNone && o.Ops.Domain != domainStandby {
		db.Close()
		return fmt.Errorf("--domain must be owner, standby or none, not %q", o.Ops.Domain)
	}
	m.domainDir = o.Ops.DomainDir
	if m.domainDir == "" {
		m.domainDir = filepath.Join(o.Data, "domain")
	}
	m.leaseLost = make(chan error, 1)
	db.CheckpointEvents = o.Ops.CheckpointEvents
	if err := m.checkStore(ctx, o); err != nil {
		db.Close()
		return err
	}
	owner := o.Ops.Domain == sqlstore.DomainOwner
	m.Listener, err = net.Listen("tcp", o.Addr)
	if err != nil {
		m.Close()
		return err
	}
	if tlsCfg != nil {
		m.Listener = tls.NewListener(m.Listener, tlsCfg)
	}
	secret, err := readSecret(o.Ops.DomainSecretFile)
	if err != nil {
		m.closeListener()
		m.Close()
		return err
	}
	advertise := o.Ops.Advertise
	if advertise == "" {
		advertise = "http://" + m.Listener.Addr().String()
		if tlsCfg != nil {
			advertise = "https://" + m.Listener.Addr().String()
		}
	}
	if owner {
		// The lease first (failover.go): no two processes open the domain.
		if err := m.takeLease(ctx, advertise); err != nil {
			m.closeListener()
			m.Close()
			return err
		}
		// The sealed data domain (R4.2) lives beside the metadata in the
		// data directory of the one server that owns it (or in
		// --domain-dir on storage a standby can reach), even when the
		// metadata is on PostgreSQL.
		m.Vault, err = openDomain(ctx, db, m.domainDir, m.Now, m.Log)
		if err != nil {
			m.closeListener()
			m.Close()
			return err
		}
	}
	if o.Demo && owner {
		if _, err := demo.Seed(ctx, db, o.DemoPassword); err != nil {
			m.closeListener()
			m.Close()
			return err
		}
	}
	cfg := web.Config{DB: db, Vault: m.Vault, Data: o.Data, Log: m.Log, Now: m.Now, Demo: o.Demo,
		Secure: tlsCfg != nil, TrustedProxies: proxies,
		Health: healthOptions(&o.Ops), DomainSecret: secret, DomainRole: webRole(o.Ops.Domain)}
	if !owner {
		if cfg.DomainOwnerURL, err = m.domainOwnerURL(ctx, o); err != nil {
			m.Close()
			return err
		}
		// Without --domain-owner, the forwarder follows the lease holder
		// and looks at it every third of the lease term (web/domain_forward.go).
		cfg.DomainOwnerRefresh = leaseTerm(o.Ops.DomainLease) / 3
	}
	m.webCfg, m.advertise = cfg, advertise
	m.Server = web.New(cfg)
	m.Server.RecordIntegrity(m.integrity)
	if owner {
		// A domain that lost what the metadata says it holds is not served
		// (unless --recover records the loss). Then jobs a crash left
		// half-done are marked failed and suspensions re-applied to the
		// domain before anything else touches it: only the owner does this.
		if err := m.checkDomain(ctx, o); err != nil {
			m.Close()
			return err
		}
		if err := m.Server.DomainStartup(ctx); err != nil {
			m.Close()
			return err
		}
	}
	// Register last: an owner is refused while another live owner holds
	// the domain of this store.
	if _, err := db.RegisterServer(ctx, webRole(o.Ops.Domain), advertise); err != nil {
		m.Close()
		return err
	}
	if n, err := db.RepairCheckpointFile(ctx); err != nil {
		m.Log.Error("checkpoint file", "err", err)
	} else if n > 0 {
		m.Log.Warn("checkpoint file: the last checkpoint, committed before a crash, was appended again", "checkpoints", n)
	}
	m.owner.Store(owner)
	m.ops = o.Ops
	if o.Demo && owner {
		var dctx context.Context
		dctx, m.demoCancel = context.WithCancel(context.Background())
		m.demoDone = make(chan struct{})
		go m.seedDemoData(dctx, o)
	}
	m.handler.set(m.Server.Handler())
	m.HTTP = &http.Server{Handler: &m.handler, TLSConfig: tlsCfg, ReadHeaderTimeout: 10 * time.Second,
		// No server-wide ReadTimeout: it would cut a 2 GiB upload on a good
		// line. Bodies get per-request deadlines (web.Server.adapt) and the
		// domain upload a minimum rate instead (web/upload_rate.go).
		IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn)}
	if m.control, err = m.listenControl(); err != nil {
		m.Close()
		return err
	}
	m.backup = o
	if m.CheckpointEvery == 0 {
		m.CheckpointEvery = o.Ops.CheckpointEvery
	}
	return nil
}

// seedDemoData loads the synthetic datasets into the domain (about a
// million rows: tens of seconds), then opens merchant-a's workspace and
// builds its demo products at each stage of the output check, and its demo
// API services, keys (in the demo outbox) and consents. It
// runs in the background so the platform answers at once; each step skips
// what a previous start already made.
func (m *Main) seedDemoData(ctx context.Context, o *ServeOptions) {
	defer close(m.demoDone)
	start := time.Now()
	m.Log.Info("演示数据加载中 loading demo datasets into the domain")
	loads, err := demo.SeedDomain(ctx, m.DB, m.Vault)
	if err != nil {
		if ctx.Err() == nil {
			m.demoFailed("demo datasets", err)
		}
		return
	}
	for _, l := range loads {
		m.Log.Info("demo dataset", "load", l)
	}
	// A scheduled pull of the daily enterprise entry from the demo's own
	// stand-in of the sharing platform (issue 18).
	if url, err := demo.SharingPlatform(ctx, m.Now()); err != nil {
		m.demoFailed("demo sharing platform", err)
	} else if err := demo.PullSource(ctx, m.DB, m.Server.Supply(), url); err != nil && ctx.Err() == nil {
		m.demoFailed("demo pull source", err)
	}
	if err := demo.Applications(ctx, m.DB); err != nil {
		if ctx.Err() == nil {
			m.demoFailed("demo applications", err)
		}
		return
	}
	if _, err := demo.Workspace(ctx, m.DB, m.Vault, o.Data, m.Now); err != nil {
		if ctx.Err() == nil {
			m.demoFailed("demo workspace", err)
		}
		return
	}
	if err := demo.Output(ctx, m.DB, m.Vault, o.Data, m.Now); err != nil {
		if ctx.Err() == nil {
			m.demoFailed("demo products", err)
		}
		return
	}
	if err := demo.Services(ctx, m.DB, m.Vault, o.Data, m.Now, m.Server.DemoVerifier()); err != nil {
		if ctx.Err() == nil {
			m.demoFailed("demo services", err)
		}
		return
	}
	if err := demo.ConsentWorkspace(ctx, m.DB, m.Vault, o.Data, m.Now, m.Server.DemoVerifier()); err != nil {
		if ctx.Err() == nil {
			m.demoFailed("demo consent workspace", err)
		}
		return
	}
	if err := demo.Money(ctx, m.DB); err != nil {
		if ctx.Err() == nil {
			m.demoFailed("demo prices", err)
		}
		return
	}
	if err := demo.Supervision(ctx, m.DB); err != nil {
		if ctx.Err() == nil {
			m.demoFailed("demo supervision", err)
		}
		return
	}
	if err := demo.Records(ctx, m.DB); err != nil {
		if ctx.Err() == nil {
			m.demoFailed("demo registrations and disclosures", err)
		}
		return
	}
	if err := demo.Providers(ctx, m.DB, m.Vault, o.Data, m.Now); err != nil {
		if ctx.Err() == nil {
			m.demoFailed("demo service providers", err)
		}
		return
	}
	if err := demo.Riskops(ctx, m.DB, o.DemoPassword); err != nil {
		if ctx.Err() == nil {
			m.demoFailed("demo risk assessments and incidents", err)
		}
		return
	}
	// Last: the steps before record their checks as free text, as before
	// the authority approves a 核查规范 (R17.1).
	if err := demo.Checklists(ctx, m.DB, m.Vault, o.Data, m.Now); err != nil {
		if ctx.Err() == nil {
			m.demoFailed("demo compliance checklists", err)
		}
		return
	}
	m.Log.Info("演示数据已就绪 demo data ready", "seconds", time.Since(start).Seconds())
}

// DemoReady is closed when the background demo loading has ended (nil
// without --demo).
func (m *Main) DemoReady() <-chan struct{} { return m.demoDone }

// DemoErr is the first demo step that failed, once DemoReady is closed.
func (m *Main) DemoErr() error { return m.demoErr }

// demoFailed logs a failed demo step and keeps the first one for DemoErr.
func (m *Main) demoFailed(step string, err error) {
	m.Log.Error(step, "err", err)
	if m.demoErr == nil {
		m.demoErr = fmt.Errorf("%s: %w", step, err)
	}
}

// Serve answers requests until ctx ends, then shuts down gracefully.
func (m *Main) Serve(ctx context.Context) error {
	go m.background(ctx)
	go m.serveControl(ctx, m.control)
	if o := m.backup; o != nil && o.BackupDir != "" && o.BackupEvery > 0 {
		go m.scheduledBackups(ctx, o.BackupDir, o.BackupEvery, max(o.BackupKeep, 1))
	}
	go m.runCheckpointer(ctx, m.CheckpointEvery, m.ops.CheckpointEvents)
	go m.runHealthJobs(ctx, m.ops.IntegrityEvery)
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	m.leaseJobs(ctx)
	errc := make(chan error, 1)
	go func() { errc <- m.HTTP.Serve(m.Listener) }()
	select {
	case err := <-m.leaseLost:
		// A standby took the domain over (or the takeover failed): this
		// process stops at once; its writes are fenced already.
		m.HTTP.Close()
		return err
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := m.HTTP.Shutdown(sctx)
		// A last signed checkpoint anchors everything written before the stop.
		if _, cerr := m.DB.Checkpoint(sctx, shuyu.System); cerr != nil {
			m.Log.Error("audit checkpoint at shutdown", "err", cerr)
		}
		m.releaseLease(sctx)
		return err
	}
}

// background runs the periodic jobs at start-up and then every minute:
// the deadline sweep (deemed approvals R21.3, expiries R34.1; idempotent and
// exactly-once even with several servers on one PostgreSQL) and, on the
// domain owner, the expiry of withheld results. Checkpoints and health
// jobs run beside it (ops.go).
func (m *Main) background(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if rep, err := m.DB.Sweep(ctx); err != nil && ctx.Err() == nil {
			m.Log.Error("deadline sweep", "err", err)
		} else if err == nil {
			m.Log.Debug("deadline sweep", "report", rep)
		}
		// Money (docs/money.md): charge new metering, issue the statements
		// of an ended month, close an ended year. Safe with several servers:
		// each step decides inside its write transaction.
		if err := m.DB.MoneyTick(ctx); err != nil && ctx.Err() == nil {
			m.Log.Error("money", "err", err)
		}
		// Withheld row-level results past their retention leave the domain
		// (docs/limits.md; workspace/withheld_limits.go).
		srv := m.web()
		if !m.owner.Load() {
			// only the domain owner touches the domain
		} else if rep, err := srv.Workspaces().ExpireWithheld(ctx); err != nil && ctx.Err() == nil {
			m.Log.Error("withheld result expiry", "err", err)
		} else if rep.Dropped > 0 {
			m.Log.Info("withheld result expiry", "report", rep)
		}
		// Scheduled pulls whose time has come (issue 18, R10.2): the owner
		// runs them; the sweep above marks the ones that missed their window.
		if m.owner.Load() {
			if n, err := srv.RunDuePulls(ctx); err != nil && ctx.Err() == nil {
				m.Log.Error("scheduled pulls", "err", err)
			} else if n > 0 {
				m.Log.Info("scheduled pulls started", "pulls", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close releases the store.
func (m *Main) Close() error {
	if m.demoCancel != nil {
		m.demoCancel()
		<-m.demoDone
	}
	var err error
	if m.control != nil {
		m.control.Close()
	}
	if m.Vault != nil {
		err = m.Vault.Close()
	}
	if m.DB != nil {
		err = errors.Join(err, m.DB.Close())
	}
	return err
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func printDemo(w io.Writer, o *ServeOptions) {
	fmt.Fprintf(w, "演示模式 demo mode — 所有账号密码 password for every account: %s\n", o.DemoPassword)
	for _, a := range demo.Accounts {
		fmt.Fprintf(w, "  %-20s %-18s %s\n", a.Username, a.Role, a.Org)
	}
	_ = os.Stdout
}
