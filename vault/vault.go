// Package vault is the sealed data domain (域) on embedded DuckDB: public data
// is supplied into it (R10.1), mounted to catalog entries (R10.2), checked for
// quality (R11.1), profiled for the operator and previewed by its owning
// department. Raw rows never leave it through this API except to the owner's
// preview and the export of data marked as publicly sourced (R4.2, R4.3,
// R28.3); errors from the engine are rewritten so they carry no values.
//
// Lockdown (R4.2, invariant 6). DuckDB settings such as enable_external_access,
// memory_limit, threads and lock_configuration are database-wide, not
// per-connection: a SET on one connection changes them for all. So Open locks
// the whole database once: external access off (except the staging directory
// inside the data directory, through allowed_directories), extension
// autoload/autoinstall off, memory and thread limits, then lock_configuration.
// Every connection, the platform's own included, runs under that lock. The
// platform ingests by streaming uploads into a private staging file and
// letting read_csv/read_json/read_parquet parse it there.
package vault

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"shuyu"
)

// Options configure a Domain. Zero values pick safe defaults.
type Options struct {
	MemoryLimit string           // DuckDB memory_limit, e.g. "2GB"; default "1GB"
	Threads     int              // DuckDB threads; default 2
	Now         func() time.Time // clock for LoadedAt; default time.Now
	// EncryptionKey, when set, is the domain's data key: the file is
	// encrypted with DuckDB's database encryption (AES-GCM) under it, and
	// a clear file found at Open is migrated (encrypt.go). The caller keeps
	// the key sealed under the platform's KEK (keys.Ring.DataKey).
	EncryptionKey []byte
}

// Domain is one sealed data domain: one DuckDB file dir/domain.duckdb.
type Domain struct {
	dir     string
	staging string
	db      *sql.DB
	conn    *duckdb.Connector
	now     func() time.Time
	mu      sync.Mutex // serializes builds and version switches; never held while a file streams in (Stage)

	encrypted bool   // the file is encrypted (Options.EncryptionKey)
	crypto    string // DuckDB's crypto module: "openssl" or "mbedtls" (encrypt.go)
	attached  atomic.Bool
	migrated  bool // Open encrypted a clear file (encrypt.go)

	// curMu guards cur, the current version of each entry as last read or
	// switched to. Only switchTo changes a current version, and one process
	// owns the domain file, so the map is never stale; it spares every
	// governed query a DuckDB lookup per table (versions.go).
	curMu  sync.Mutex
	cur    map[string]currentVersion
	curGen uint64 // bumped around every switch: a read begun before one is not kept

	idx          keyIndexes  // key indexes built (keyindex.go)
	lockVerified atomic.Bool // Locked verified the database-wide lock once
}

type currentVersion struct {
	v    Version
	spec Spec
}

const dbFile = "domain.duckdb"

// Open opens (creating if needed) the domain in dir, locks the database down,
// and removes what a crashed load left behind (R10.1 atomicity).
func Open(dir string, opt Options) (*Domain, error) {
	const op = "vault.Open"
	if opt.MemoryLimit == "" {
		opt.MemoryLimit = "1GB"
	}
	if opt.Threads <= 0 {
		opt.Threads = 2
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	staging := filepath.Join(abs, "staging")
	if err := os.MkdirAll(staging, 0o700); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// Staging files of a crashed load are garbage; nothing else lives there.
	if err := clearDir(staging); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	d := &Domain{dir: abs, staging: staging, now: opt.Now, encrypted: opt.EncryptionKey != nil}
	ctx := context.Background()
	if d.encrypted {
		// The domain is attached to an in-memory database and made every
		// connection's default catalog (encrypt.go).
		d.conn, err = duckdb.NewConnector("", d.useDomain)
	} else {
		d.conn, err = duckdb.NewConnector(filepath.Join(abs, dbFile), func(driver.ExecerContext) error { return nil })
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, SanitizeError(err))
	}
	d.db = sql.OpenDB(d.conn)
	if d.encrypted {
		if err := d.attachEncrypted(ctx, opt.EncryptionKey); err != nil {
			d.Close()
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	if err := d.lockDown(ctx, opt); err != nil {
		d.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := d.initMeta(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := d.cleanup(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return d, nil
}

// Close closes the database.
func (d *Domain) Close() error {
	if d.db == nil {
		return nil
	}
	err := d.db.Close()
	d.db = nil
	return err
}

// Locked returns a connection for SQL driven by users (the sandbox): no file,
// network, extension or configuration access (R4.2, R28.3). Cancel ctx or give
// it a deadline to interrupt a running query.
func (d *Domain) Locked(ctx context.Context) (*sql.Conn, error) {
	c, err := d.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("vault.Locked: %w", SanitizeError(err))
	}
	// The lock is database-wide; verify rather than trust it, so a future
	// change to Open can never hand out an unlocked connection. Verified
	// once per domain: once set, lock_configuration cannot be unset on any
	// connection (TestLocked_R4_2_NoFileNetworkExtensionOrConfigAccess), so a second check could only say yes
	// (it cost a DuckDB statement per API-service call).
	if d.lockVerified.Load() {
		return c, nil
	}
	var locked bool
	if err := c.QueryRowContext(ctx, "SELECT current_setting('lock_configuration')").Scan(&locked); err != nil || !locked {
		c.Close()
		return nil, fmt.Errorf("vault.Locked: %w", shuyu.Errorf(shuyu.EINTERNAL, "数据域未锁定 (domain not locked)"))
	}
	d.lockVerified.Store(true)
	return c, nil
}

func clearDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
	return errors.Join(errs...)
}
