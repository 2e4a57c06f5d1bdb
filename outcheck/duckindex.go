package outcheck

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"shuyu"
	"shuyu/vault"
)

// Queryer is the domain's DuckDB handle: a *sql.DB or a *sql.Conn.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// DuckTable names a raw table (or view) of the domain for the index.
type DuckTable struct {
	Name        string   // physical table or view, e.g. the current version of an entry
	Identifiers []string // declared identifier columns
	Public      bool     // R4.3: public-source data, left out
}

// BuildDuckDB builds the raw index inside the domain: it reads every raw
// table once for values and rows and once more for identifier digests,
// keeping only keyed hashes (R28.3, R24.1, R28.4). Scan later runs
// projection queries in DuckDB. Engine errors are sanitized (invariant 1).
func BuildDuckDB(ctx context.Context, q Queryer, tables []DuckTable) (*MemIndex, error) {
	const op = "outcheck.BuildDuckDB"
	b := NewIndexBuilder()
	known := map[string][]string{}
	for _, t := range tables {
		cols, err := duckColumns(ctx, q, t.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if !t.Public {
			known[t.Name] = cols // R4.3: public tables are not linked against
		}
		rt := RawTable{Name: t.Name, Columns: cols, Identifiers: t.Identifiers, Public: t.Public,
			Rows: func(ctx context.Context, yield func([]string) bool) error {
				return duckRows(ctx, q, t.Name, cols, func(r []string) error {
					if !yield(r) {
						return errStop
					}
					return nil
				})
			}}
		if err := b.Add(ctx, rt); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	scan := func(ctx context.Context, table string, cols []string, fn func([]string) error) error {
		have, ok := known[table]
		if !ok {
			return shuyu.Errorf(shuyu.ENOTFOUND, "原始表不在索引中 (raw table not indexed)")
		}
		for _, c := range cols {
			if !contains(have, c) {
				return shuyu.Errorf(shuyu.EINVALID, "原始表没有该列 (no such raw column)")
			}
		}
		return duckRows(ctx, q, table, cols, fn)
	}
	return b.Build(scan), nil
}

var errStop = fmt.Errorf("outcheck: stop")

func duckColumns(ctx context.Context, q Queryer, table string) ([]string, error) {
	rows, err := q.QueryContext(ctx,
		"SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", table)
	if err != nil {
		return nil, vault.SanitizeError(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, vault.SanitizeError(err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, vault.SanitizeError(err)
	}
	if len(cols) == 0 {
		return nil, shuyu.Errorf(shuyu.ENOTFOUND, "数据域中没有表 %s (no such raw table)", table)
	}
	return cols, nil
}

// duckRows streams cols of table as text, the way values are delivered:
// DuckDB's VARCHAR cast renders decimals, dates and timestamps canonically
// and normalize() absorbs the rest.
func duckRows(ctx context.Context, q Queryer, table string, cols []string, fn func([]string) error) error {
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = "CAST(" + quoteIdent(c) + " AS VARCHAR)"
	}
	rows, err := q.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+quoteIdent(table))
	if err != nil {
		return vault.SanitizeError(err)
	}
	defer rows.Close()
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	out := make([]string, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return vault.SanitizeError(err)
		}
		for i, v := range vals {
			out[i] = v.String // NULL is the empty cell, as in CSV
		}
		if err := fn(out); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
	return vault.SanitizeError(rows.Err())
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
