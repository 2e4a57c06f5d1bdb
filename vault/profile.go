package vault

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"shuyu"
)

// Profile describes an entry's current data for the operator, without
// revealing protected values (R2.1, R4.2).
type Profile struct {
	Entry   string          `json:"entry"`
	Version int             `json:"version"`
	Rows    int64           `json:"rows"`
	Columns []ColumnProfile `json:"columns"`
}

// ColumnProfile is one column's statistics. Min, Max and Top are empty for
// protected columns (PI, sensitive PI, trade secrets).
type ColumnProfile struct {
	Name     string     `json:"name"`
	Count    int64      `json:"count"` // non-null values
	NullRate float64    `json:"null_rate"`
	Distinct int64      `json:"distinct"` // approximate above a few thousand
	Min      *string    `json:"min,omitempty"`
	Max      *string    `json:"max,omitempty"`
	Top      []Category `json:"top,omitempty"`
}

// Category is a frequent value of a low-cardinality column.
type Category struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// topLimit is the cardinality up to which categories are listed.
const topLimit = 20

// Profile computes per-column statistics of entry's current version.
func (d *Domain) Profile(ctx context.Context, entry string) (*Profile, error) {
	const op = "vault.Profile"
	v, spec, err := d.current(ctx, entry)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	t := ident(tableName(entry, v.N))
	p := &Profile{Entry: entry, Version: v.N, Rows: v.Rows}
	for _, c := range spec.Columns {
		q := ident(c.Name)
		cp := ColumnProfile{Name: c.Name}
		var mn, mx *string
		// R2.1: protected columns get counts only; min/max would reveal values.
		minmax := "NULL, NULL"
		if !c.Protected() {
			minmax = fmt.Sprintf("CAST(min(%s) AS VARCHAR), CAST(max(%s) AS VARCHAR)", q, q)
		}
		err := d.db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(%s), approx_count_distinct(%s), %s FROM %s", q, q, minmax, t)).
			Scan(&cp.Count, &cp.Distinct, &mn, &mx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, SanitizeError(err))
		}
		if c.Type == TypeString && !c.Protected() {
			mn, mx = nil, nil // min/max of free text would be values, not a range
		}
		cp.Min, cp.Max = mn, mx
		if p.Rows > 0 {
			cp.NullRate = float64(p.Rows-cp.Count) / float64(p.Rows)
		}
		if !c.Protected() && cp.Distinct <= topLimit && cp.Count > 0 {
			rows, err := d.db.QueryContext(ctx, fmt.Sprintf(`SELECT CAST(%s AS VARCHAR), count(*) AS n FROM %s
				WHERE %s IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1 LIMIT %d`, q, t, q, topLimit))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", op, SanitizeError(err))
			}
			for rows.Next() {
				var cat Category
				if err := rows.Scan(&cat.Value, &cat.Count); err != nil {
					rows.Close()
					return nil, fmt.Errorf("%s: %w", op, SanitizeError(err))
				}
				cp.Top = append(cp.Top, cat)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("%s: %w", op, SanitizeError(err))
			}
		}
		p.Columns = append(p.Columns, cp)
	}
	return p, nil
}

// maxPreview caps one preview page.
const maxPreview = 1000

// Preview returns one page of entry's current data for its owning source
// department; the caller authorizes and audits (R4.2: nobody else sees rows).
func (d *Domain) Preview(ctx context.Context, entry string, offset, limit int) (cols []string, rows [][]any, total int64, err error) {
	const op = "vault.Preview"
	if offset < 0 || limit <= 0 || limit > maxPreview {
		return nil, nil, 0, fmt.Errorf("%s: %w", op, shuyu.Errorf(shuyu.EINVALID, "分页参数无效，每页1至%d行 (bad paging)", maxPreview))
	}
	v, spec, err := d.current(ctx, entry)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	for _, c := range spec.Columns {
		cols = append(cols, c.Name)
	}
	r, err := d.db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s ORDER BY rowid LIMIT %d OFFSET %d",
		selectList(spec), ident(tableName(entry, v.N)), limit, offset))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %w", op, SanitizeError(err))
	}
	defer r.Close()
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			return nil, nil, 0, fmt.Errorf("%s: %w", op, SanitizeError(err))
		}
		rows = append(rows, vals)
	}
	if err := r.Err(); err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %w", op, SanitizeError(err))
	}
	return cols, rows, v.Rows, nil
}

// ExportRaw writes entry's current data as CSV. Only data marked as coming
// from public channels may leave raw (R4.3); everything else is refused
// (R4.2, R28.3, R24.1).
func (d *Domain) ExportRaw(ctx context.Context, entry string, w io.Writer) error {
	const op = "vault.ExportRaw"
	v, spec, err := d.current(ctx, entry)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if !spec.PublicSource {
		return fmt.Errorf("%s: %w", op, shuyu.Errorf(shuyu.EFORBIDDEN, "原始公共数据不得出域 (raw public data cannot leave the domain)"))
	}
	r, err := d.db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s ORDER BY rowid", selectList(spec), ident(tableName(entry, v.N))))
	if err != nil {
		return fmt.Errorf("%s: %w", op, SanitizeError(err))
	}
	defer r.Close()
	cw := csv.NewWriter(w)
	names := make([]string, len(spec.Columns))
	for i, c := range spec.Columns {
		names[i] = c.Name
	}
	cw.Write(names)
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	rec := make([]string, len(names))
	for r.Next() {
		if err := r.Scan(ptrs...); err != nil {
			return fmt.Errorf("%s: %w", op, SanitizeError(err))
		}
		for i, x := range vals {
			rec[i] = FormatValue(x)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return SanitizeError(r.Err())
}

// FormatValue renders one value of the domain as text: dates as
// 2006-01-02, timestamps to the second, bytes as text, nil as "".
func FormatValue(x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 && v.Nanosecond() == 0 {
			return v.Format("2006-01-02")
		}
		return v.Format("2006-01-02 15:04:05")
	case []byte:
		return string(v)
	}
	return strings.TrimSpace(fmt.Sprint(x))
}
