package vault

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"

	"shuyu"
)

// xlsxUnzipLimit caps the uncompressed size of a workbook: a zip bomb of a
// few kilobytes can otherwise inflate to gigabytes (R10.1).
const xlsxUnzipLimit = 1 << 30

// buildXLSX streams the first sheet of the staged workbook row by row into a
// staging CSV and loads that; row numbers stay the sheet's row numbers.
func (d *Domain) buildXLSX(ctx context.Context, conn *sql.Conn, st *staged, spec Spec, table string, opt LoadOptions) error {
	f, err := excelize.OpenFile(st.path, excelize.Options{
		UnzipSizeLimit:    xlsxUnzipLimit,
		UnzipXMLSizeLimit: 16 << 20,
		TmpDir:            d.staging, // spilled sheets stay inside the domain (R4.2)
	})
	if err != nil {
		if xlsxTooLarge(err) {
			return shuyu.Errorf(shuyu.ETOOLARGE, "工作簿解压后超过大小上限 (workbook too large when unzipped)")
		}
		return shuyu.Errorf(shuyu.EUNPROCESSABLE, "文件不是有效的xlsx工作簿 (not a valid xlsx workbook)")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return shuyu.Errorf(shuyu.EINVALID, "工作簿没有工作表 (no sheet)")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return shuyu.Errorf(shuyu.EUNPROCESSABLE, "工作表无法读取 (sheet unreadable)")
	}
	defer rows.Close()
	out, err := d.tempPath(".csv")
	if err != nil {
		return err
	}
	defer os.Remove(out)
	of, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer of.Close()
	bw := bufio.NewWriterSize(of, 1<<20)
	w := csv.NewWriter(bw)
	width := -1
	var done int64
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		cells, err := rows.Columns()
		if err != nil {
			return shuyu.Errorf(shuyu.EUNPROCESSABLE, "工作表无法读取 (sheet unreadable)")
		}
		if width < 0 {
			width = len(cells)
		} else {
			// Sheets drop trailing empty cells; restore the header's width,
			// and drop empty cells past it, so only real extra values count.
			for len(cells) < width {
				cells = append(cells, "")
			}
			for len(cells) > width && cells[len(cells)-1] == "" {
				cells = cells[:len(cells)-1]
			}
			done++
			if opt.Progress != nil && done%10000 == 0 {
				opt.Progress(done)
			}
		}
		if err := w.Write(cells); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		if xlsxTooLarge(err) {
			return shuyu.Errorf(shuyu.ETOOLARGE, "工作簿解压后超过大小上限 (workbook too large when unzipped)")
		}
		return shuyu.Errorf(shuyu.EUNPROCESSABLE, "工作表无法读取 (sheet unreadable)")
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := of.Close(); err != nil {
		return err
	}
	return buildCSV(ctx, conn, out, spec, table, opt)
}

// buildJSONL loads newline-delimited JSON objects whose keys are the columns.
func buildJSONL(ctx context.Context, conn *sql.Conn, path string, spec Spec, table string, opt LoadOptions) error {
	src := fmt.Sprintf("read_json(%s, format='newline_delimited', records=true)", sqlString(path))
	return buildTyped(ctx, conn, src, func(names []string) string {
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = sqlString(n) + ": 'VARCHAR'"
		}
		return fmt.Sprintf("read_json(%s, format='newline_delimited', records=true, columns={%s})",
			sqlString(path), strings.Join(parts, ", "))
	}, spec, table, opt, 1)
}

// buildParquet loads a Parquet file whose column names are the columns.
func buildParquet(ctx context.Context, conn *sql.Conn, path string, spec Spec, table string, opt LoadOptions) error {
	src := fmt.Sprintf("read_parquet(%s)", sqlString(path))
	return buildTyped(ctx, conn, src, func([]string) string { return src }, spec, table, opt, 1)
}

// buildTyped loads a self-describing source: names come from the source's
// schema, values are read as text and cast to the spec's types so that each
// unparsable value is reported with its row (row = rowid + rowBase).
func buildTyped(ctx context.Context, conn *sql.Conn, describe string, reader func([]string) string, spec Spec, table string, opt LoadOptions, rowBase int) error {
	names, err := describeNames(ctx, conn, describe)
	if err != nil {
		return err
	}
	cols, err := mapHeader(names, spec, opt.MaxColumns)
	if err != nil {
		return err
	}
	stage := "_vault_stage_" + table
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = fmt.Sprintf("CAST(%s AS VARCHAR) AS %s", ident(names[i]), ident(c.Name))
	}
	defer dropTable(conn, stage)
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s AS SELECT %s FROM %s",
		ident(stage), strings.Join(sel, ", "), reader(names))); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &shuyu.Error{Code: shuyu.EUNPROCESSABLE, Message: "文件无法解析 (file unreadable)", Err: SanitizeError(err)}
	}
	var bad []string
	var typed []string
	for _, c := range spec.Columns {
		q := ident(c.Name)
		typed = append(typed, fmt.Sprintf("CAST(%s AS %s) AS %s", q, sqlType(c.Type), q))
		if c.Type != TypeString {
			bad = append(bad, fmt.Sprintf("SELECT rowid AS r, %s AS col FROM %s WHERE %s IS NOT NULL AND TRY_CAST(%s AS %s) IS NULL",
				sqlString(c.Name), ident(stage), q, q, sqlType(c.Type)))
		}
	}
	if len(bad) > 0 {
		rows, err := conn.QueryContext(ctx, "SELECT r, col FROM ("+strings.Join(bad, " UNION ALL ")+fmt.Sprintf(") ORDER BY r, col LIMIT %d", maxRowErrors))
		if err != nil {
			return err
		}
		var errs []shuyu.RowError
		for rows.Next() {
			var r int64
			var col string
			if err := rows.Scan(&r, &col); err != nil {
				rows.Close()
				return err
			}
			errs = append(errs, shuyu.RowError{Row: int(r) + rowBase, Column: col, Message: rejectMessage("CAST", col, spec)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return SanitizeError(err)
		}
		if len(errs) > 0 {
			return shuyu.Errorf(shuyu.EUNPROCESSABLE, "文件有值不能解析为所需类型，已整体拒收 (unparsable values; file refused)").WithDetails(errs)
		}
	}
	_, err = conn.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s AS SELECT %s FROM %s ORDER BY rowid",
		ident(table), strings.Join(typed, ", "), ident(stage)))
	return err
}

func describeNames(ctx context.Context, conn *sql.Conn, src string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM "+src+")")
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &shuyu.Error{Code: shuyu.EUNPROCESSABLE, Message: "文件无法解析 (file unreadable)", Err: SanitizeError(err)}
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// xlsxTooLarge recognises excelize's size-limit errors ("unzip size exceeds
// the N bytes limit"), so that a zip bomb is answered as too large (413),
// not as a broken workbook.
func xlsxTooLarge(err error) bool {
	m := err.Error()
	return strings.Contains(m, "unzip size exceeds") || strings.Contains(m, "exceeds limit")
}
