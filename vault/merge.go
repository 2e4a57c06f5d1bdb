package vault

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"shuyu"
)

// keyMatch is the join condition of two aliases on the key columns (NULL
// keys match NULL keys).
func keyMatch(spec Spec, key []string, a, b string) (string, error) {
	parts := make([]string, len(key))
	for i, k := range key {
		if _, ok := spec.column(k); !ok {
			return "", shuyu.Errorf(shuyu.EINVALID, "主键 %s 不是数据规格的列 (key is not a column)", k)
		}
		parts[i] = fmt.Sprintf("%s.%s IS NOT DISTINCT FROM %s.%s", a, ident(k), b, ident(k))
	}
	return strings.Join(parts, " AND "), nil
}

// prevMismatch explains a previous version whose columns differ from the
// spec: an incremental pull cannot merge onto it.
func prevMismatch(err error) error {
	if err == nil {
		return nil
	}
	return &shuyu.Error{Code: shuyu.ECONFLICT, Message: "当前版本的列与目录信息项不一致，请先做一次全量拉取 (current version's columns differ from the entry; run a full snapshot first)", Err: SanitizeError(err)}
}

// mergeByKey creates table as prev's rows whose key is not in delta, plus
// delta's rows (R10.1: the merge is a new table; the switch stays atomic).
func mergeByKey(ctx context.Context, conn *sql.Conn, spec Spec, prev, delta, table string, key []string) error {
	on, err := keyMatch(spec, key, "d", "p")
	if err != nil {
		return err
	}
	cols := selectList(spec)
	q := fmt.Sprintf(`CREATE TABLE %s AS SELECT %s FROM %s p WHERE NOT EXISTS (SELECT 1 FROM %s d WHERE %s)
		UNION ALL SELECT %s FROM %s`, ident(table), cols, ident(prev), ident(delta), on, cols, ident(delta))
	if _, err := conn.ExecContext(ctx, q); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return prevMismatch(err)
	}
	return nil
}

// missingKeys counts prev's rows whose key table no longer holds.
func missingKeys(ctx context.Context, conn *sql.Conn, spec Spec, prev, table string, key []string) (int64, error) {
	on, err := keyMatch(spec, key, "n", "p")
	if err != nil {
		return 0, err
	}
	var n int64
	q := fmt.Sprintf(`SELECT count(*) FROM %s p WHERE NOT EXISTS (SELECT 1 FROM %s n WHERE %s)`, ident(prev), ident(table), on)
	if err := conn.QueryRowContext(ctx, q).Scan(&n); err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, prevMismatch(err)
	}
	return n, nil
}
