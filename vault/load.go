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
	Progress   func(rowsDone int64) // called as rows arrive (approximate until the end)
	MaxBytes   int64                // upload size cap; 0 means 4 GiB
	MaxColumns int                  // cap on the file's columns; 0 means 1024

	// beforeSwitch, set by the crash test, runs after the new version's
	// table is complete and checked but before it becomes current.
	beforeSwitch func()
}

// Load supplies a new version of spec.Entry from src (R10.1). The file is
// streamed to a private staging file, parsed by DuckDB into a new physical
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
	if opt.MaxColumns <= 0 {
		opt.MaxColumns = 1024
	}
	if s, err := d.Suspended(ctx, spec.Entry); err != nil {
		return nil, nil, err
	} else if s {
		// R27.3: a suspended supply accepts no new data until resumed.
		return nil, nil, shuyu.Errorf(shuyu.ECONFLICT, "资源 %s 的数据供给已暂停 (supply suspended)", spec.Entry)
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
	var st *staged
	var rowBase int
	switch format {
	case FileCSV:
		st, err = d.stage(ctx, src, ".csv", true, opt.MaxBytes, maxCSVLine, opt.Progress)
		rowBase = 2 // header is row 1
		if err == nil {
			err = buildCSV(ctx, conn, st.path, spec, table, opt)
		}
	case FileXLSX:
		rowBase = 2
		st, err = d.stage(ctx, src, ".xlsx", false, opt.MaxBytes, 0, nil)
		if err == nil {
			err = d.buildXLSX(ctx, conn, st, spec, table, opt)
		}
	case FileJSONL:
		rowBase = 1
		st, err = d.stage(ctx, src, ".jsonl", true, opt.MaxBytes, maxJSONLine, opt.Progress)
		if err == nil {
			err = buildJSONL(ctx, conn, st.path, spec, table, opt)
		}
	case FileParquet:
		rowBase = 1
		st, err = d.stage(ctx, src, ".parquet", false, opt.MaxBytes, 0, nil)
		if err == nil {
			err = buildParquet(ctx, conn, st.path, spec, table, opt)
		}
	default:
		return nil, nil, shuyu.Errorf(shuyu.EINVALID, "不支持的文件格式 %q，应为 csv、xlsx、parquet 或 jsonl (unsupported format)", string(format))
	}
	if st != nil {
		defer st.remove()
	}
	if err != nil {
		dropTable(conn, table)
		return nil, nil, err
	}
	rep, err := d.check(ctx, conn, table, spec, rowBase)
	if err != nil {
		dropTable(conn, table)
		return nil, nil, err
	}
	v := &Version{Entry: spec.Entry, N: n, Rows: rep.Rows, Bytes: st.bytes, LoadedAt: d.now().UTC(),
		Checksum: st.checksum, Quality: rep.Score, PublicSource: spec.PublicSource, NonPublic: spec.NonPublic}
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
