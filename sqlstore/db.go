// Package sqlstore keeps the platform's metadata in SQLite (embedded, the
// default) or PostgreSQL (when a city outgrows one machine). Both run the
// same queries (written with ? placeholders, rebound for PostgreSQL) and
// pass the same test suite. Every exported method is one transaction, and
// every state change writes its audit event inside that transaction
// (invariant 2).
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"shuyu/audit"
	"shuyu/keys"
)

// Dialect names the SQL flavour of the backing database.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the metadata store.
type DB struct {
	db      *sql.DB
	dialect Dialect
	dataDir string

	// Now is the clock; tests inject one (invariant 4).
	Now func() time.Time
	// PasswordIterations is the PBKDF2 cost for new password hashes.
	PasswordIterations int

	signer    *audit.Signer
	auditKey  keys.Key // the generation signer signs with
	signerMu  sync.Mutex
	keys      *keys.Ring
	rebindMu  sync.Mutex
	rebindMap map[string]string

	// Caches that live as long as the store: created in Open, dropped in
	// Close (each holds its own lock).
	catalog  *catalogCache  // published entries' facets (catalog_search.go)
	calendar *calendarCache // the effective working-day calendar (calendar.go)
	kek      *agreementKEK  // the agreement key-encryption key (agreement_keys.go)
	digests  digestKey      // the keyed SM3 of subjects and parameters (services_call.go)
	callq    callQueue      // API-service calls waiting for their group commit (services_batch.go)
	readq    readQueue      // acting providers' request records waiting for their group commit (provider_reads.go)
	portal   *portalCache   // the portal's headline figures (portal_cache.go)

	// Operations (audit_ops.go, servers.go): the checkpoint trigger, and
	// whether the store was opened read-only (`audit verify`).
	readOnly bool
	// CheckpointEvents asks for a checkpoint once this many events were
	// written since the last one (0: only by time and on demand).
	CheckpointEvents int64
	cpSeq            atomic.Int64  // seq of the last checkpoint this store saw
	cpKick           chan struct{} // signalled when CheckpointEvents are pending

	// writers queues this process's SQLite writers (tx.go writeTurn).
	writers chan struct{}
	// fence is the domain lease this process holds, once it fences its
	// writes with it (domain_lease.go): nil on servers without the domain.
	fence atomic.Pointer[DomainLease]
	// loginPruned is when login_sources was last pruned (login_limits.go).
	loginPruned atomic.Int64
}

// Options configures Open.
type Options struct {
	// URL is "" or "sqlite" for the embedded store in DataDir, or a
	// postgres:// URL.
	URL string
	// DataDir holds shuyu.db (SQLite) and the checkpoint file (both
	// backends).
	DataDir string
	// Keys is the platform's key ring (`serve --keys DIR`). nil uses
	// DataDir/keys, importing keys an earlier release left in DataDir: the
	// demo's default, which keeps keys beside the data they protect.
	Keys *keys.Ring
	Now  func() time.Time
	// ReadOnly opens the store for verification only: SQLite read-only
	// (immutable when the directory cannot be written, e.g. read-only
	// media), PostgreSQL in read-only transactions; no migration runs and
	// no key is loaded or created.
	ReadOnly bool
}

// DefaultKeys is the ring Open uses when Options.Keys is nil.
func DefaultKeys(dataDir string) *keys.Ring {
	return keys.New(keys.Dir{Path: filepath.Join(dataDir, "keys"), Legacy: dataDir})
}

// Open opens (creating if needed) the store and runs pending migrations.
func Open(ctx context.Context, opt Options) (*DB, error) {
	if opt.DataDir == "" {
		return nil, fmt.Errorf("sqlstore: open: data directory required")
	}
	if err := os.MkdirAll(opt.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlstore: open: %w", err)
	}
	d := &DB{dataDir: opt.DataDir, Now: opt.Now, rebindMap: map[string]string{}, keys: opt.Keys,
		catalog: &catalogCache{gen: -1}, calendar: &calendarCache{}, portal: &portalCache{seq: -1}, kek: &agreementKEK{},
		readOnly: opt.ReadOnly, cpKick: make(chan struct{}, 1), writers: make(chan struct{}, 1)}
	if opt.ReadOnly {
		return openReadOnly(ctx, d, opt)
	}
	if d.keys == nil {
		d.keys = DefaultKeys(opt.DataDir)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	var err error
	switch {
	case opt.URL == "" || opt.URL == "sqlite":
		d.dialect = SQLite
		d.db, err = openSQLite(filepath.Join(opt.DataDir, "shuyu.db"))
	case strings.HasPrefix(opt.URL, "postgres://") || strings.HasPrefix(opt.URL, "postgresql://"):
		d.dialect = Postgres
		d.db, err = sql.Open("pgx", opt.URL)
		if err == nil {
			d.db.SetMaxOpenConns(20)
			err = d.db.PingContext(ctx)
		}
	default:
		return nil, fmt.Errorf("sqlstore: open: unsupported database URL (use sqlite or postgres://)")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", d.dialect, err)
	}
	if err := d.migrate(ctx); err != nil {
		d.db.Close()
		return nil, err
	}
	if err := d.loadSigner(); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("sqlstore: open: audit key: %w", err)
	}
	if err := d.sealLegacyPersonal(ctx); err != nil {
		d.db.Close()
		return nil, err
	}
	return d, nil
}

// openSQLite opens the file in WAL mode with synchronous=FULL: an
// acknowledged commit is on disk and survives kill -9 or power loss
// (invariant 7). Writers take the lock at BEGIN (IMMEDIATE) so two
// read-then-write transactions never deadlock on upgrade.
func openSQLite(path string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(15000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the database and drops the store's caches.
func (d *DB) Close() error {
	d.catalog.drop()
	d.calendar.drop()
	return d.db.Close()
}

// Dialect reports the backend in use.
func (d *DB) Dialect() Dialect { return d.dialect }

// DataDir is where the store keeps its files.
func (d *DB) DataDir() string { return d.dataDir }

// SQL exposes the handle for tests and benchmarks that must reach under the
// API (tampering tests, baselines). Application code never uses it.
func (d *DB) SQL() *sql.DB { return d.db }

// Rebind turns ? placeholders into $1, $2… for PostgreSQL. Queries never
// contain a literal question mark.
func (d *DB) Rebind(q string) string {
	if d.dialect != Postgres {
		return q
	}
	d.rebindMu.Lock()
	defer d.rebindMu.Unlock()
	if r, ok := d.rebindMap[q]; ok {
		return r
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	d.rebindMap[q] = b.String()
	return b.String()
}

// now returns the clock's time at microsecond precision, the precision
// stored.
func (d *DB) now() time.Time { return d.Now().UTC().Truncate(time.Microsecond) }

// Times are stored as unix microseconds (BIGINT) in both dialects: one
// encoding, sortable, no driver-specific time handling.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}
