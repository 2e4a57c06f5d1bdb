package vault

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"shuyu"
)

// Line caps of text files (invariant 5): a CSV line longer than DuckDB's
// max_line_size, or a JSON line longer than its object limit, is refused
// while staging with its line number.
const (
	maxCSVLine  = 1 << 20
	maxJSONLine = 16 << 20
)

// LoadOptions tune one load.
type LoadOptions struct {
	Progress func(rowsDone int64) // called as rows arrive (approximate until the end)
	// Expected, for StageRows, receives the puller's estimate of the rows
	// to come (RowWriter.Expect), for a progress bar.
	Expected   func(rows int64)
	MaxBytes   int64 // upload size cap; 0 means 4 GiB
	MaxColumns int   // cap on the file's columns; 0 means 1024

	// MergeKey, set by an incremental pull, makes the new version the
	// current version's rows whose key the file does not hold, plus the
	// file's rows (an upsert by key); with no current version the file is
	// the whole version. The quality rules run on the merged version.
	MergeKey []string
	// DiffKey, set by a snapshot pull, counts the current version's rows
	// whose key the new version no longer holds (Version.Deleted).
	DiffKey []string

	// beforeSwitch, set by the crash test, runs after the new version's
	// table is complete and checked but before it becomes current.
	beforeSwitch func()
}

// Load supplies a new version of spec.Entry from src (R10.1): Stage, then
// Build. The file is streamed to a private staging file (no lock held), parsed by DuckDB into a new physical
// table, checked (see QualityReport for what refuses and what is counted),
// and only then made current in one transaction; a failure or crash at any
// point leaves the previous version current (R10.1 atomicity).
func (d *Domain) Load(ctx context.Context, spec Spec, src io.Reader, format Format, opt LoadOptions) (*Version, *QualityReport, error) {
	const op = "vault.Load"
	v, rep, err := d.load(ctx, spec, src, format, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", op, spec.Entry, SanitizeError(err))
	}
	return v, rep, nil
}

func (d *Domain) load(ctx context.Context, spec Spec, src io.Reader, format Format, opt LoadOptions) (*Version, *QualityReport, error) {
	if err := spec.Validate(); err != nil {
		return nil, nil, err
	}
	if err := d.refuseSuspended(ctx, spec); err != nil {
		return nil, nil, err
	}
	st, err := d.stageFormat(ctx, src, format, opt)
	if err != nil {
		return nil, nil, err
	}
	return d.build(ctx, spec, st, opt)
}

// refuseSuspended: R27.3, a suspended supply accepts no new data until resumed.
func (d *Domain) refuseSuspended(ctx context.Context, spec Spec) error {
	if s, err := d.Suspended(ctx, spec.Entry); err != nil {
		return err
	} else if s {
		return shuyu.Errorf(shuyu.ECONFLICT, "资源 %s 的数据供给已暂停 (supply suspended)", spec.Entry)
	}
	return nil
}

// fileRows is the format of rows streamed in by StageRows.
const fileRows Format = "rows"

// Staged is a file received into the domain's private staging directory
// and not yet loaded: Stage streams it in without holding any lock of the
// domain, so a slow upload delays nobody else; Build loads it.
type Staged struct {
	st      *staged
	format  Format
	rowBase int // the file's first data row (CSV and xlsx: 2, the header is row 1)
}

// Checksum is the SM3 of the file as received; Bytes its size.
func (s *Staged) Checksum() []byte { return s.st.checksum }

// Rows is the number of rows StageRows appended (0 for a file).
func (s *Staged) Rows() int64 {
	if s.format != fileRows {
		return 0
	}
	return s.st.lines
}

// Bytes is the size of the file as received.
func (s *Staged) Bytes() int64 { return s.st.bytes }

// Remove deletes the staged file (Build does it itself).
func (s *Staged) Remove() {
	if s != nil && s.st != nil {
		s.st.remove()
	}
}

// Stage streams src into the staging directory as format, checking the
// size cap, the line caps of text files and the encoding (R10.1); nothing
// is loaded yet and no lock is held.
func (d *Domain) Stage(ctx context.Context, src io.Reader, format Format, opt LoadOptions) (*Staged, error) {
	st, err := d.stageFormat(ctx, src, format, opt)
	if err != nil {
		return nil, fmt.Errorf("vault.Stage: %w", SanitizeError(err))
	}
	return st, nil
}

func (d *Domain) stageFormat(ctx context.Context, src io.Reader, format Format, opt LoadOptions) (*Staged, error) {
	var st *staged
	var err error
	out := &Staged{format: format}
	switch format {
	case FileCSV:
		out.rowBase = 2 // header is row 1
		st, err = d.stage(ctx, src, ".csv", true, opt.MaxBytes, maxCSVLine, opt.Progress)
	case FileXLSX:
		out.rowBase = 2
		st, err = d.stage(ctx, src, ".xlsx", false, opt.MaxBytes, 0, nil)
	case FileJSONL:
		out.rowBase = 1
		st, err = d.stage(ctx, src, ".jsonl", true, opt.MaxBytes, maxJSONLine, opt.Progress)
	case FileParquet:
		out.rowBase = 1
		st, err = d.stage(ctx, src, ".parquet", false, opt.MaxBytes, 0, nil)
	default:
		return nil, shuyu.Errorf(shuyu.EINVALID, "不支持的文件格式 %q，应为 csv、xlsx、parquet 或 jsonl (unsupported format)", string(format))
	}
	if err != nil {
		return nil, err
	}
	out.st = st
	return out, nil
}

// Build loads a staged file as a new version of spec.Entry: parsed into a
// new table, checked, and made current in one step (R10.1). Builds and
// version switches are serialized in the domain; the staged file is removed
// whatever happens.
func (d *Domain) Build(ctx context.Context, spec Spec, s *Staged, opt LoadOptions) (*Version, *QualityReport, error) {
	if err := spec.Validate(); err != nil {
		s.Remove()
		return nil, nil, fmt.Errorf("vault.Build %s: %w", spec.Entry, err)
	}
	if err := d.refuseSuspended(ctx, spec); err != nil {
		s.Remove()
		return nil, nil, fmt.Errorf("vault.Build %s: %w", spec.Entry, err)
	}
	v, rep, err := d.build(ctx, spec, s, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("vault.Build %s: %w", spec.Entry, SanitizeError(err))
	}
	return v, rep, nil
}

func (d *Domain) build(ctx context.Context, spec Spec, s *Staged, opt LoadOptions) (*Version, *QualityReport, error) {
	defer s.Remove()
	if opt.MaxColumns <= 0 {
		opt.MaxColumns = 1024
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	if err := createMacros(ctx, conn); err != nil {
		return nil, nil, err
	}
	n, err := d.nextN(ctx, spec.Entry)
	if err != nil {
		return nil, nil, err
	}
	table := tableName(spec.Entry, n)
	st := s.st
	// prev is the current version's table when a pull merges onto it or
	// counts what it deleted.
	prev := ""
	if len(opt.MergeKey) > 0 || len(opt.DiffKey) > 0 {
		if cur, _, err := d.current(ctx, spec.Entry); err == nil {
			prev = tableName(spec.Entry, cur.N)
		} else if shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			return nil, nil, err
		}
	}
	target := table
	if prev != "" && len(opt.MergeKey) > 0 {
		target = fmt.Sprintf("_vault_stage_%s_%d", spec.Entry, n)
		defer dropTable(conn, target)
	}
	switch s.format {
	case FileCSV:
		err = buildCSV(ctx, conn, st.path, spec, target, opt)
	case FileXLSX:
		err = d.buildXLSX(ctx, conn, st, spec, target, opt)
	case FileJSONL:
		err = buildJSONL(ctx, conn, st.path, spec, target, opt)
	case FileParquet:
		err = buildParquet(ctx, conn, st.path, spec, target, opt)
	case fileRows:
		// Already typed and complete: the staging table becomes the
		// version's table (or the delta merged onto the current one).
		_, err = conn.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s RENAME TO %s", ident(st.table), ident(target)))
	}
	if err != nil {
		dropTable(conn, target)
		return nil, nil, err
	}
	var loaded, deleted int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+ident(target)).Scan(&loaded); err != nil {
		dropTable(conn, table)
		return nil, nil, err
	}
	if target != table {
		err = mergeByKey(ctx, conn, spec, prev, target, table, opt.MergeKey)
	} else if prev != "" && len(opt.DiffKey) > 0 {
		deleted, err = missingKeys(ctx, conn, spec, prev, table, opt.DiffKey)
	}
	if err != nil {
		dropTable(conn, table)
		return nil, nil, err
	}
	rep, err := d.check(ctx, conn, table, spec, s.rowBase)
	if err != nil {
		dropTable(conn, table)
		return nil, nil, err
	}
	v := &Version{Entry: spec.Entry, N: n, Rows: rep.Rows, Bytes: st.bytes, LoadedAt: d.now().UTC(),
		Checksum: st.checksum, Quality: rep.Score, PublicSource: spec.PublicSource, NonPublic: spec.NonPublic,
		Loaded: loaded, Deleted: deleted}
	if opt.beforeSwitch != nil {
		opt.beforeSwitch()
	}
	if err := d.switchTo(ctx, v, spec); err != nil {
		dropTable(conn, table)
		return nil, nil, err
	}
	if opt.Progress != nil {
		opt.Progress(rep.Rows)
	}
	return v, rep, nil
}

func (d *Domain) check(ctx context.Context, conn *sql.Conn, table string, spec Spec, rowBase int) (*QualityReport, error) {
	if err := checkRequired(ctx, conn, table, spec, rowBase); err != nil {
		return nil, err
	}
	return quality(ctx, conn, table, spec)
}

// dropTable removes a table a failed load created; with a fresh context so a
// canceled load still cleans up (Open would otherwise do it later).
func dropTable(conn *sql.Conn, table string) {
	conn.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+ident(table))
}

// LoadFromDrop loads the file name from the drop directory dropDir, where
// source departments' exchange jobs deposit files. Any name resolving outside
// dropDir (.., absolute paths, symbolic links out) is refused (R10.1).
func (d *Domain) LoadFromDrop(ctx context.Context, dropDir, name string, spec Spec, format Format, opt LoadOptions) (*Version, *QualityReport, error) {
	const op = "vault.LoadFromDrop"
	path, err := resolveInDrop(dropDir, name)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", op, shuyu.Errorf(shuyu.ENOTFOUND, "投递目录中没有该文件 (file not found in drop directory)"))
	}
	defer f.Close()
	return d.Load(ctx, spec, f, format, opt)
}

// StageFromDrop stages the file name of the drop directory (see
// LoadFromDrop for what names are refused); Build then loads it.
func (d *Domain) StageFromDrop(ctx context.Context, dropDir, name string, format Format, opt LoadOptions) (*Staged, error) {
	path, err := resolveInDrop(dropDir, name)
	if err != nil {
		return nil, fmt.Errorf("vault.StageFromDrop: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vault.StageFromDrop: %w", shuyu.Errorf(shuyu.ENOTFOUND, "投递目录中没有该文件 (file not found in drop directory)"))
	}
	defer f.Close()
	return d.Stage(ctx, f, format, opt)
}

func resolveInDrop(dropDir, name string) (string, error) {
	bad := shuyu.Errorf(shuyu.EINVALID, "文件名须位于投递目录之内 (name must stay inside the drop directory)")
	if name == "" || filepath.IsAbs(name) || strings.ContainsRune(name, 0) || !filepath.IsLocal(name) {
		return "", bad
	}
	root, err := filepath.EvalSymlinks(dropDir)
	if err != nil {
		return "", shuyu.Errorf(shuyu.ENOTFOUND, "投递目录不存在 (drop directory not found)")
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, name))
	if errors.Is(err, os.ErrNotExist) {
		return "", shuyu.Errorf(shuyu.ENOTFOUND, "投递目录中没有该文件 (file not found in drop directory)")
	}
	if err != nil {
		return "", bad
	}
	rel, err := filepath.Rel(root, real)
	if err != nil || !filepath.IsLocal(rel) {
		return "", bad
	}
	if fi, err := os.Stat(real); err != nil || !fi.Mode().IsRegular() {
		return "", bad
	}
	return real, nil
}
