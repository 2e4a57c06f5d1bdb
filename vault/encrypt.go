package vault

import (
	"context"
	"database/sql/driver"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"shuyu"
)

// Encryption at rest (docs/operations.md, "Encryption at rest").
//
// With Options.EncryptionKey the domain file is a DuckDB encrypted database
// (AES-GCM, every block and the WAL) attached to an in-memory database as
// catalog "domain", which every connection uses (useDomain): the same
// catalog name a clear domain.duckdb gets, so no query changes. Raw data,
// withheld results and product tables all live in that one file. The
// staging directory holds an upload only while it is parsed and is emptied
// at start.
//
// DuckDB writes encrypted files with OpenSSL from its httpfs extension. When
// httpfs is installed for the service user (offline: copy
// httpfs.duckdb_extension into ~/.duckdb/extensions/<version>/<platform>/),
// it is loaded before the lockdown and used. Otherwise DuckDB's built-in
// MbedTLS module is used (force_mbedtls_unsafe): the cipher and the key are
// the same, but DuckDB draws its GCM nonces from a non-cryptographic random
// generator there, so the chance of a nonce repeating between two blocks is
// higher than it should be; DuckDB calls this mode unsafe. Crypto() says
// which module is in use and serve logs it.

const catalog = "domain"

// useDomain makes the attached domain the connection's default catalog.
func (d *Domain) useDomain(e driver.ExecerContext) error {
	if !d.attached.Load() {
		return nil // the first connection, which attaches it
	}
	_, err := e.ExecContext(context.Background(), "USE "+catalog, nil)
	return err
}

// Encrypted reports whether the domain file is encrypted.
func (d *Domain) Encrypted() bool { return d.encrypted }

// Crypto names DuckDB's crypto module for an encrypted domain: "openssl"
// (httpfs) or "mbedtls" (built in, see above); "" when clear.
func (d *Domain) Crypto() string { return d.crypto }

func keyLiteral(key []byte) string {
	return sqlString(base64.StdEncoding.EncodeToString(key))
}

func (d *Domain) attachEncrypted(ctx context.Context, key []byte) error {
	if len(key) < 16 {
		return errors.New("domain data key too short")
	}
	d.db.SetMaxOpenConns(1) // until attached, one connection does everything
	defer d.db.SetMaxOpenConns(0)
	crypto, err := loadCrypto(ctx, d.db)
	if err != nil {
		return err
	}
	d.crypto = crypto
	path := filepath.Join(d.dir, dbFile)
	if err := d.migrateClear(ctx, path, key); err != nil {
		return err
	}
	// The statement holds the key: its error is never passed on as is.
	if _, err := d.db.ExecContext(ctx, fmt.Sprintf("ATTACH %s AS %s (ENCRYPTION_KEY %s)", sqlString(path), catalog, keyLiteral(key))); err != nil {
		return shuyu.Errorf(shuyu.EINTERNAL, "无法打开加密数据域：数据密钥不对或文件损坏 (cannot open the encrypted domain: wrong data key or damaged file)")
	}
	if _, err := d.db.ExecContext(ctx, "USE "+catalog); err != nil {
		return SanitizeError(err)
	}
	d.attached.Store(true)
	return nil
}

// isClear reports whether the DuckDB file at path exists and is not
// encrypted: DuckDB's main header (after the 8-byte checksum, the magic
// "DUCK" and the version) carries the encryption flag; a clear file opens
// read-only without a key.
func (d *Domain) isClear(ctx context.Context, path string) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	_, err := d.db.ExecContext(ctx, fmt.Sprintf("ATTACH %s AS clear_probe (READ_ONLY)", sqlString(path)))
	if err != nil {
		return false, nil // encrypted (or damaged: the keyed attach reports it)
	}
	_, err = d.db.ExecContext(ctx, "DETACH clear_probe")
	return true, err
}

// migrateClear turns a clear domain file left by an earlier release into an
// encrypted one: copy everything into a new encrypted file, then replace
// the clear file and its WAL. A crash midway leaves the clear file in place
// and the next start does it again.
func (d *Domain) migrateClear(ctx context.Context, path string, key []byte) error {
	clear, err := d.isClear(ctx, path)
	if err != nil || !clear {
		return err
	}
	tmp := path + ".encrypting"
	os.Remove(tmp)
	os.Remove(tmp + ".wal")
	stmts := []string{
		fmt.Sprintf("ATTACH %s AS clear_src", sqlString(path)),
		fmt.Sprintf("ATTACH %s AS enc_dst (ENCRYPTION_KEY %s)", sqlString(tmp), keyLiteral(key)),
		"COPY FROM DATABASE clear_src TO enc_dst",
		"DETACH enc_dst",
		"DETACH clear_src",
	}
	for _, s := range stmts {
		if _, err := d.db.ExecContext(ctx, s); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("encrypt the clear domain: %w", SanitizeError(err))
		}
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	os.Remove(path + ".wal") // replayed into the copy when clear_src was attached
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d.migrated = true
	return syncFile(d.dir)
}

// Migrated reports whether Open encrypted a clear domain file.
func (d *Domain) Migrated() bool { return d.migrated }

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
