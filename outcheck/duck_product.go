package outcheck

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"shuyu"
	"shuyu/vault"
)

// Product tables live inside the domain (R4.2): a product is materialized
// there as text tables, exactly as it would be delivered, and nothing of it
// leaves before filing (R23.2).

// productNameRe is the only shape of a product table name: prod_<id>_<n>.
var productNameRe = regexp.MustCompile(`^prod_[0-9]+_[0-9]+$`)

// Execer is a domain connection that can also change it.
type Execer interface {
	Queryer
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// DuckWriteTable creates (replacing) product table name inside the domain
// with cols as text columns and inserts rows, each value rendered as text
// the way it will be delivered (FormatValue).
func DuckWriteTable(ctx context.Context, c Execer, name string, cols []string, rows [][]any) error {
	if !productNameRe.MatchString(name) || len(cols) == 0 {
		return shuyu.Errorf(shuyu.EINVALID, "产品表名无效 (bad product table name)")
	}
	defs := make([]string, len(cols))
	marks := make([]string, len(cols))
	for i, col := range cols {
		defs[i] = quoteIdent(col) + " VARCHAR"
		marks[i] = "?"
	}
	if _, err := c.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteIdent(name)); err != nil {
		return vault.SanitizeError(err)
	}
	if _, err := c.ExecContext(ctx, "CREATE TABLE "+quoteIdent(name)+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return vault.SanitizeError(err)
	}
	// Multi-row VALUES keep round trips few without an appender.
	const batch = 200
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		var sb strings.Builder
		args := make([]any, 0, (end-start)*len(cols))
		sb.WriteString("INSERT INTO " + quoteIdent(name) + " VALUES ")
		for i, r := range rows[start:end] {
			if len(r) != len(cols) {
				return shuyu.Errorf(shuyu.EINVALID, "第 %d 行的列数与表头不符 (row width)", start+i+1)
			}
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(" + strings.Join(marks, ", ") + ")")
			for _, v := range r {
				if v == nil {
					args = append(args, nil)
				} else {
					args = append(args, FormatValue(v))
				}
			}
		}
		if _, err := c.ExecContext(ctx, sb.String(), args...); err != nil {
			return vault.SanitizeError(err)
		}
	}
	return nil
}

// DuckDropTable removes a product table from the domain.
func DuckDropTable(ctx context.Context, c Execer, name string) error {
	if !productNameRe.MatchString(name) {
		return shuyu.Errorf(shuyu.EINVALID, "产品表名无效 (bad product table name)")
	}
	_, err := c.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteIdent(name))
	return vault.SanitizeError(err)
}

// DuckProductTable is a product table read from the domain for the checks
// or a delivery: display name, columns, and a Scan that streams its rows
// from DuckDB each time it is called (the engine reads twice).
func DuckProductTable(ctx context.Context, q Queryer, duckName, display string) (Table, error) {
	if !productNameRe.MatchString(duckName) {
		return Table{}, shuyu.Errorf(shuyu.EINVALID, "产品表名无效 (bad product table name)")
	}
	cols, err := duckColumns(ctx, q, duckName)
	if err != nil {
		return Table{}, err
	}
	t := Table{Name: display, Columns: cols}
	t.Scan = func(yield func([]string) bool) error {
		return duckRows(ctx, q, duckName, cols, func(r []string) error {
			if !yield(r) {
				return errStop
			}
			return nil
		})
	}
	return t, nil
}

// Materialize reads every row of t into memory (for fingerprinting a
// delivery, which needs the rows twice and writes a copy).
func Materialize(t Table) (Table, error) {
	out := Table{Name: t.Name, Columns: t.Columns, Aggregate: t.Aggregate, KeyedPseudonyms: t.KeyedPseudonyms}
	err := t.each(func(r []string) bool {
		out.Rows = append(out.Rows, append([]string(nil), r...))
		return true
	})
	return out, err
}

// FormatValue renders a query result value as delivered text: numbers in
// plain decimal notation (never 1e+06), dates as ISO text.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case bool:
		return strconv.FormatBool(x)
	case *big.Int:
		return x.String()
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.DateTime)
	case []byte:
		return fmt.Sprintf("%x", x)
	}
	return fmt.Sprint(v)
}
