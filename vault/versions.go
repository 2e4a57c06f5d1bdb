package vault

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"shuyu"
)

// Version is one complete, checked load of an entry's data (R10.1).
type Version struct {
	Entry        string    `json:"entry"`
	N            int       `json:"n"`
	Rows         int64     `json:"rows"`
	Bytes        int64     `json:"bytes"` // size of the upload as received
	LoadedAt     time.Time `json:"loaded_at"`
	Checksum     []byte    `json:"checksum"` // SM3 of the upload as received
	Quality      float64   `json:"quality"`  // QualityReport.Score
	PublicSource bool      `json:"public_source"`
	NonPublic    bool      `json:"non_public"`

	// Of the load that made the version (not kept): rows parsed from the
	// file, and rows of the previous version a snapshot no longer holds
	// (LoadOptions.DiffKey).
	Loaded  int64 `json:"-"`
	Deleted int64 `json:"-"`
}

// Mount is the mounting status (挂接) of an entry (R10.2, reported under R31.1).
type Mount struct {
	Entry     string     `json:"entry"`
	Mounted   bool       `json:"mounted"` // a current version exists
	Current   int        `json:"current"`
	Rows      int64      `json:"rows"`
	LoadedAt  time.Time  `json:"loaded_at"`
	Suspended bool       `json:"suspended"` // R27.3
	Reason    string     `json:"reason,omitempty"`
	Since     *time.Time `json:"since,omitempty"`
}

const metaDDL = `
CREATE TABLE IF NOT EXISTS _vault_versions (
	entry VARCHAR NOT NULL, n INTEGER NOT NULL, tbl VARCHAR NOT NULL,
	rows BIGINT NOT NULL, bytes BIGINT NOT NULL, loaded_at TIMESTAMPTZ NOT NULL,
	checksum BLOB NOT NULL, quality DOUBLE NOT NULL, spec VARCHAR NOT NULL,
	PRIMARY KEY (entry, n));
CREATE TABLE IF NOT EXISTS _vault_current (entry VARCHAR PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _vault_suspended (entry VARCHAR PRIMARY KEY, reason VARCHAR NOT NULL, since TIMESTAMPTZ NOT NULL);
`

func (d *Domain) initMeta(ctx context.Context) error {
	if _, err := d.db.ExecContext(ctx, metaDDL); err != nil {
		return SanitizeError(err)
	}
	return nil
}

// tableName is the physical table of version n of an entry.
func tableName(entry string, n int) string { return fmt.Sprintf("v_%s_%d", entry, n) }

// cleanup drops physical tables that no recorded version owns: what a load
// killed before its switch left behind (R10.1 atomicity).
func (d *Domain) cleanup(ctx context.Context) error {
	rows, err := d.db.QueryContext(ctx, `SELECT table_name FROM duckdb_tables()
		WHERE schema_name='main' AND NOT temporary AND (table_name LIKE 'v\_%' ESCAPE '\' OR table_name LIKE '\_vault\_stage\_%' ESCAPE '\')
		AND table_name NOT IN (SELECT tbl FROM _vault_versions)`)
	if err != nil {
		return SanitizeError(err)
	}
	var orphans []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return SanitizeError(err)
		}
		orphans = append(orphans, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return SanitizeError(err)
	}
	for _, t := range orphans {
		if _, err := d.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+ident(t)); err != nil {
			return SanitizeError(err)
		}
	}
	return nil
}

// nextN returns the next version number of entry.
func (d *Domain) nextN(ctx context.Context, entry string) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, "SELECT coalesce(max(n),0)+1 FROM _vault_versions WHERE entry=?", entry).Scan(&n)
	return n, SanitizeError(err)
}

// switchTo records version v and makes it current in one transaction: the
// view named after the entry then reads the new table (R10.1, R10.2).
func (d *Domain) switchTo(ctx context.Context, v *Version, spec Spec) error {
	js, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return SanitizeError(err)
	}
	defer tx.Rollback()
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO _vault_versions VALUES (?,?,?,?,?,?,?,?,?)`,
			[]any{v.Entry, v.N, tableName(v.Entry, v.N), v.Rows, v.Bytes, v.LoadedAt, v.Checksum, v.Quality, string(js)}},
		{`INSERT OR REPLACE INTO _vault_current VALUES (?,?)`, []any{v.Entry, v.N}},
		{fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM %s", ident(v.Entry), ident(tableName(v.Entry, v.N))), nil},
	}
	// Forgotten before the switch and read again after it: a reader in
	// between reads the old version from the file, never a stale map.
	d.forget(v.Entry)
	defer d.forget(v.Entry)
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
			return SanitizeError(err)
		}
	}
	return SanitizeError(tx.Commit())
}

const versionCols = `v.entry, v.n, v.rows, v.bytes, v.loaded_at, v.checksum, v.quality, v.spec`

func scanVersion(sc interface{ Scan(...any) error }) (Version, Spec, error) {
	var v Version
	var js string
	if err := sc.Scan(&v.Entry, &v.N, &v.Rows, &v.Bytes, &v.LoadedAt, &v.Checksum, &v.Quality, &js); err != nil {
		return v, Spec{}, err
	}
	var spec Spec
	if err := json.Unmarshal([]byte(js), &spec); err != nil {
		return v, spec, err
	}
	v.LoadedAt = v.LoadedAt.UTC()
	v.PublicSource, v.NonPublic = spec.PublicSource, spec.NonPublic
	return v, spec, nil
}

// Versions lists the kept versions of entry, oldest first.
func (d *Domain) Versions(ctx context.Context, entry string) ([]Version, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT "+versionCols+" FROM _vault_versions v WHERE entry=? ORDER BY n", entry)
	if err != nil {
		return nil, fmt.Errorf("vault.Versions: %w", SanitizeError(err))
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v, _, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("vault.Versions: %w", SanitizeError(err))
		}
		out = append(out, v)
	}
	return out, SanitizeError(rows.Err())
}

// Current returns the current version of entry; ENOTFOUND if none.
func (d *Domain) Current(ctx context.Context, entry string) (*Version, error) {
	v, _, err := d.current(ctx, entry)
	if err != nil {
		return nil, fmt.Errorf("vault.Current: %w", err)
	}
	return v, nil
}

func (d *Domain) current(ctx context.Context, entry string) (*Version, Spec, error) {
	d.curMu.Lock()
	c, ok := d.cur[entry]
	gen := d.curGen
	d.curMu.Unlock()
	if ok {
		v := c.v
		return &v, c.spec, nil
	}
	row := d.db.QueryRowContext(ctx, "SELECT "+versionCols+` FROM _vault_versions v
		JOIN _vault_current c ON c.entry=v.entry AND c.n=v.n WHERE v.entry=?`, entry)
	v, spec, err := scanVersion(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, spec, shuyu.Errorf(shuyu.ENOTFOUND, "资源 %s 尚未挂接数据 (no data mounted)", entry)
	}
	if err != nil {
		return nil, spec, SanitizeError(err)
	}
	d.curMu.Lock()
	if d.curGen == gen { // no switch began or ended while reading
		if d.cur == nil {
			d.cur = map[string]currentVersion{}
		}
		d.cur[entry] = currentVersion{v: v, spec: spec}
	}
	d.curMu.Unlock()
	return &v, spec, nil
}

// forget drops the cached current version of entry and makes every read
// begun before it uncacheable.
func (d *Domain) forget(entry string) {
	d.curMu.Lock()
	defer d.curMu.Unlock()
	d.curGen++
	delete(d.cur, entry)
}

// Mounts reports the mounting status of the given entries (R10.2, R31.1):
// mounted once a version is current, and whether supply is suspended.
func (d *Domain) Mounts(ctx context.Context, entries []string) ([]Mount, error) {
	out := make([]Mount, 0, len(entries))
	for _, e := range entries {
		m := Mount{Entry: e}
		v, err := d.Current(ctx, e)
		switch {
		case err == nil:
			m.Mounted, m.Current, m.Rows, m.LoadedAt = true, v.N, v.Rows, v.LoadedAt
		case shuyu.ErrorCode(err) != shuyu.ENOTFOUND:
			return nil, fmt.Errorf("vault.Mounts: %w", err)
		}
		var since time.Time
		err = d.db.QueryRowContext(ctx, "SELECT reason, since FROM _vault_suspended WHERE entry=?", e).Scan(&m.Reason, &since)
		if err == nil {
			since = since.UTC()
			m.Suspended, m.Since = true, &since
		} else if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("vault.Mounts: %w", SanitizeError(err))
		}
		out = append(out, m)
	}
	return out, nil
}

// Suspend stops supply of entry to the platform (R27.3): loads are refused
// until Resume. The query engine consults Suspended to freeze use.
func (d *Domain) Suspend(ctx context.Context, entry, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("vault.Suspend: %w", shuyu.Errorf(shuyu.EINVALID, "暂停须说明理由 (reason required)"))
	}
	_, err := d.db.ExecContext(ctx, "INSERT OR REPLACE INTO _vault_suspended VALUES (?,?,?)", entry, reason, d.now().UTC())
	if err != nil {
		return fmt.Errorf("vault.Suspend: %w", SanitizeError(err))
	}
	return nil
}

// Resume lifts a suspension after rectification (R27.3).
func (d *Domain) Resume(ctx context.Context, entry string) error {
	res, err := d.db.ExecContext(ctx, "DELETE FROM _vault_suspended WHERE entry=?", entry)
	if err != nil {
		return fmt.Errorf("vault.Resume: %w", SanitizeError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("vault.Resume: %w", shuyu.Errorf(shuyu.ECONFLICT, "资源 %s 未被暂停 (not suspended)", entry))
	}
	return nil
}

// Suspended reports whether supply of entry is suspended (R27.3).
func (d *Domain) Suspended(ctx context.Context, entry string) (bool, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, "SELECT count(*) FROM _vault_suspended WHERE entry=?", entry).Scan(&n); err != nil {
		return false, fmt.Errorf("vault.Suspended: %w", SanitizeError(err))
	}
	return n > 0, nil
}
