package vault

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"shuyu"
)

// mapHeader matches a file's header to the spec: each cell must name a
// column by Name or Label (order free); missing and unknown columns are an
// EINVALID error listing them. It returns the spec column of each position.
func mapHeader(header []string, spec Spec, maxCols int) ([]Column, error) {
	if len(header) > maxCols {
		return nil, shuyu.Errorf(shuyu.ETOOLARGE, "文件列数 %d 超过上限 %d (too many columns)", len(header), maxCols)
	}
	byKey := map[string]Column{}
	for _, c := range spec.Columns {
		byKey[strings.ToLower(c.Name)] = c
		if c.Label != "" {
			byKey[strings.ToLower(c.Label)] = c
		}
	}
	var fe []shuyu.FieldError
	seen := map[string]bool{}
	out := make([]Column, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		c, ok := byKey[strings.ToLower(h)]
		switch {
		case !ok:
			fe = append(fe, shuyu.FieldError{Field: h, Message: "未知列 (unknown column)"})
		case seen[c.Name]:
			fe = append(fe, shuyu.FieldError{Field: h, Message: "列重复 (duplicate column)"})
		default:
			seen[c.Name] = true
			out[i] = c
		}
	}
	for _, c := range spec.Columns {
		if !seen[c.Name] {
			fe = append(fe, shuyu.FieldError{Field: c.Name, Message: "缺少列 (missing column)"})
		}
	}
	if len(fe) > 0 {
		sort.SliceStable(fe, func(i, j int) bool { return fe[i].Message < fe[j].Message })
		return nil, shuyu.Errorf(shuyu.EINVALID, "表头与数据规格不符 (header does not match the spec)").WithDetails(fe)
	}
	return out, nil
}

// readCSVHeader reads only the first record of a staged UTF-8 CSV.
func readCSVHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	h, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "文件为空，缺少表头 (empty file)")
	}
	if err != nil {
		return nil, shuyu.Errorf(shuyu.EUNPROCESSABLE, "表头无法解析 (header unreadable)").
			WithDetails([]shuyu.RowError{{Row: 1, Message: "表头格式错误 (bad header)"}})
	}
	return h, nil
}

// columnsStruct renders read_csv/read_json's columns={...} argument.
func columnsStruct(cols []Column, typ func(Column) string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = sqlString(c.Name) + ": " + sqlString(typ(c))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func selectList(spec Spec) string {
	parts := make([]string, len(spec.Columns))
	for i, c := range spec.Columns {
		parts[i] = ident(c.Name)
	}
	return strings.Join(parts, ", ")
}

// buildCSV parses the staged CSV with DuckDB into table, typed as the spec
// says. Rows that are structurally bad or hold an unparsable value are
// collected with their line numbers, and any such row refuses the whole file
// (R10.1, invariant 5).
func buildCSV(ctx context.Context, conn *sql.Conn, path string, spec Spec, table string, opt LoadOptions) error {
	header, err := readCSVHeader(path)
	if err != nil {
		return err
	}
	cols, err := mapHeader(header, spec, opt.MaxColumns)
	if err != nil {
		return err
	}
	for _, t := range []string{"_vault_rej", "_vault_scan"} {
		if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS temp."+t); err != nil {
			return err
		}
	}
	q := fmt.Sprintf(`CREATE TABLE %s AS SELECT %s FROM read_csv(%s, header=true, auto_detect=false,
		delim=',', quote='"', escape='"', strict_mode=true, null_padding=false, columns=%s,
		store_rejects=true, rejects_table='_vault_rej', rejects_scan='_vault_scan', max_line_size=%d)`,
		ident(table), selectList(spec), sqlString(path), columnsStruct(cols, func(c Column) string { return sqlType(c.Type) }), maxCSVLine)
	if _, err := conn.ExecContext(ctx, q); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &shuyu.Error{Code: shuyu.EUNPROCESSABLE, Message: "文件无法解析为CSV (file is not valid CSV)", Err: SanitizeError(err)}
	}
	return rejectedRows(ctx, conn, spec)
}

// rejectedRows turns DuckDB's reject table into row errors; the raw line and
// DuckDB's message (which quote values) are never read.
func rejectedRows(ctx context.Context, conn *sql.Conn, spec Spec) error {
	var total int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM temp._vault_rej").Scan(&total); err != nil {
		return err
	}
	if total == 0 {
		return nil
	}
	rows, err := conn.QueryContext(ctx, fmt.Sprintf(`SELECT line, coalesce(column_name, ''), CAST(error_type AS VARCHAR)
		FROM temp._vault_rej ORDER BY line, column_idx LIMIT %d`, maxRowErrors))
	if err != nil {
		return err
	}
	defer rows.Close()
	var errs []shuyu.RowError
	for rows.Next() {
		var line sql.NullInt64 // DuckDB leaves it NULL for some errors
		var col, typ string
		if err := rows.Scan(&line, &col, &typ); err != nil {
			return err
		}
		errs = append(errs, shuyu.RowError{Row: int(line.Int64), Column: col, Message: rejectMessage(typ, col, spec)})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return shuyu.Errorf(shuyu.EUNPROCESSABLE, "文件有%d行格式或类型错误，已整体拒收 (%d bad rows; file refused)", total, total).WithDetails(errs)
}

func rejectMessage(errType, col string, spec Spec) string {
	switch errType {
	case "CAST":
		c, _ := spec.column(col)
		return "值不能解析为" + typeLabel(c.Type) + " (value does not parse as " + string(c.Type) + ")"
	case "MISSING COLUMNS":
		return "列数少于表头 (too few columns)"
	case "TOO MANY COLUMNS":
		return "列数多于表头 (too many columns)"
	case "UNQUOTED VALUE":
		return "引号使用错误 (broken quoting)"
	case "LINE SIZE OVER MAXIMUM":
		return "行过长 (line too long)"
	case "INVALID UNICODE":
		return "字符编码无效 (invalid encoding)"
	}
	return "行格式错误 (malformed row)"
}
