package workspace

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"shuyu"
	"shuyu/sandbox"
)

// simDB is one workspace's simulated database: a DuckDB file holding only
// simulated twins, locked down like the domain (no file, network, extension
// or configuration access), so that free queries over simulated data can
// never reach real data: there is none in it (R4.2, R6.1).
type simDB struct {
	db *sql.DB
}

func (d *simDB) close() error { return d.db.Close() }

// sim opens (creating if needed) the simulated database of workspace id.
func (s *Service) sim(id int64) (*simDB, error) {
	if s.Dir == "" {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "仿真数据未启用 (simulated data not configured)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.sims[id]; ok {
		return d, nil
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("workspace: sim dir: %w", err)
	}
	c, err := duckdb.NewConnector(filepath.Join(s.Dir, fmt.Sprintf("ws_%d.duckdb", id)), func(driver.ExecerContext) error { return nil })
	if err != nil {
		return nil, fmt.Errorf("workspace: open sim: %w", err)
	}
	db := sql.OpenDB(c)
	for _, q := range []string{
		"SET enable_external_access=false",
		"SET autoinstall_known_extensions=false",
		"SET autoload_known_extensions=false",
		"SET allow_community_extensions=false",
		"SET memory_limit='512MB'",
		"SET threads=2",
		"SET lock_configuration=true",
	} {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			return nil, fmt.Errorf("workspace: lock sim: %w", err)
		}
	}
	d := &simDB{db: db}
	s.sims[id] = d
	return d, nil
}

// checkSimulated parses q with DuckDB's own parser (json_serialize_sql only
// serializes SELECT) and returns the re-printed single SELECT that will run,
// the tables it reads, or a reason to refuse it.
func checkSimulated(ctx context.Context, conn *sql.Conn, q string) (string, []string, *sandbox.Reason, error) {
	var js string
	if err := conn.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(CAST(? AS VARCHAR)) AS VARCHAR)", q).Scan(&js); err != nil {
		return "", nil, nil, fmt.Errorf("workspace: parse: %w", err)
	}
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return "", nil, nil, fmt.Errorf("workspace: parse: %w", err)
	}
	if b, _ := doc["error"].(bool); b {
		msg, _ := doc["error_message"].(string)
		if strings.Contains(msg, "Only SELECT") {
			return "", nil, &sandbox.Reason{Code: "not_select", Message: "只允许单条只读 SELECT 语句 (only one read-only SELECT)"}, nil
		}
		return "", nil, &sandbox.Reason{Code: "syntax", Message: "SQL 语法错误 (syntax error): " + msg}, nil
	}
	stmts, _ := doc["statements"].([]any)
	if len(stmts) != 1 {
		return "", nil, &sandbox.Reason{Code: "multiple_statements", Message: "只允许单条 SELECT 语句 (one statement only)"}, nil
	}
	var tables []string
	var why *sandbox.Reason
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			switch x["type"] {
			case "TABLE_FUNCTION":
				why = &sandbox.Reason{Code: "table_function", Message: "不允许调用表函数 (table functions are not allowed)"}
			case "BASE_TABLE":
				if n, _ := x["table_name"].(string); n != "" {
					tables = append(tables, n)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(stmts[0])
	if why != nil {
		return "", nil, why, nil
	}
	// Run what was checked: DuckDB prints the parsed statement back.
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"error": false, "statements": stmts}); err != nil {
		return "", nil, nil, err
	}
	var out string
	if err := conn.QueryRowContext(ctx, "SELECT CAST(json_deserialize_sql(CAST(? AS JSON)) AS VARCHAR)", b.String()).Scan(&out); err != nil {
		return "", nil, nil, fmt.Errorf("workspace: print: %w", err)
	}
	return out, tables, nil, nil
}

// readRows runs q and reads at most max rows, values made JSON-friendly.
func readRows(ctx context.Context, conn *sql.Conn, q string, max int) (cols, types []string, out [][]any, more bool, err error) {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, nil, nil, false, err
	}
	defer rows.Close()
	if cols, err = rows.Columns(); err != nil {
		return nil, nil, nil, false, err
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, nil, false, err
	}
	for _, ct := range cts {
		types = append(types, ct.DatabaseTypeName())
	}
	out = [][]any{}
	for rows.Next() {
		if len(out) >= max {
			more = true
			break
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, nil, false, err
		}
		for i, v := range vals {
			vals[i] = jsonValue(v)
		}
		out = append(out, vals)
	}
	return cols, types, out, more, rows.Err()
}
