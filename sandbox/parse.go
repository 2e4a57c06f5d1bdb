package sandbox

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// node is one object of DuckDB's JSON syntax tree (json_serialize_sql).
type node = map[string]any

// parse asks DuckDB's own parser for the syntax tree of sqlText, so that the
// checker reads the SQL exactly as the engine will (R4.2). A statement DuckDB
// cannot serialize (anything but SELECT) comes back as a rejection.
func parse(ctx context.Context, conn *sql.Conn, sqlText string) (node, *Reason, error) {
	var js string
	err := conn.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(CAST(? AS VARCHAR)) AS VARCHAR)", sqlText).Scan(&js)
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox.parse: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber() // query_location is a uint64 sentinel; keep numbers exact
	var doc node
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("sandbox.parse: decode: %w", err)
	}
	if b, _ := doc["error"].(bool); b {
		msg, _ := doc["error_message"].(string)
		if strings.Contains(msg, "Only SELECT") {
			return nil, &Reason{"not_select", "只允许单条只读 SELECT 语句"}, nil
		}
		return nil, &Reason{"syntax", "SQL 语法错误：" + msg}, nil
	}
	stmts, _ := doc["statements"].([]any)
	if len(stmts) != 1 {
		// R4.2: a second statement (even after a comment) could be anything.
		return nil, &Reason{"multiple_statements", "只允许单条 SELECT 语句"}, nil
	}
	st, _ := stmts[0].(node)
	return st, nil, nil
}

// deserialize turns a checked (and rewritten) statement back into SQL with
// DuckDB's own printer, so what runs is what was checked.
func deserialize(ctx context.Context, conn *sql.Conn, stmt node) (string, error) {
	doc := node{"error": false, "statements": []any{stmt}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return "", fmt.Errorf("sandbox.deserialize: %w", err)
	}
	var out string
	if err := conn.QueryRowContext(ctx, "SELECT CAST(json_deserialize_sql(CAST(? AS JSON)) AS VARCHAR)", buf.String()).Scan(&out); err != nil {
		return "", fmt.Errorf("sandbox.deserialize: %w", err)
	}
	return out, nil
}

func str(n node, k string) string {
	s, _ := n[k].(string)
	return s
}

func obj(n node, k string) node {
	o, _ := n[k].(node)
	return o
}

func arr(n node, k string) []any {
	a, _ := n[k].([]any)
	return a
}

func strs(n node, k string) []string {
	var out []string
	for _, v := range arr(n, k) {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// canon prints an expression without positions and aliases, column
// references resolved by res, so equal expressions compare equal.
func canon(v any, res func(node) string) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case node:
			if str(x, "class") == "COLUMN_REF" && res != nil {
				b.WriteString("col(" + res(x) + ")")
				return
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				if k != "query_location" && k != "alias" {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			b.WriteByte('{')
			for _, k := range keys {
				b.WriteString(k + ":")
				walk(x[k])
				b.WriteByte(',')
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for _, e := range x {
				walk(e)
				b.WriteByte(',')
			}
			b.WriteByte(']')
		default:
			fmt.Fprintf(&b, "%v", x)
		}
	}
	walk(v)
	return b.String()
}

// Builders for the few nodes the engine adds (hidden counts, dominance
// figures, masking arguments). Shapes follow json_serialize_sql's output.

const noLocation = json.Number("18446744073709551615")

func colRef(parts ...string) node {
	names := make([]any, len(parts))
	for i, p := range parts {
		names[i] = p
	}
	return node{"class": "COLUMN_REF", "type": "COLUMN_REF", "alias": "", "query_location": noLocation, "column_names": names}
}

func constString(s string) node {
	return node{"class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": noLocation,
		"value": node{"type": node{"id": "VARCHAR", "type_info": nil}, "is_null": false, "value": s}}
}

func constInt(i int) node {
	return node{"class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": noLocation,
		"value": node{"type": node{"id": "INTEGER", "type_info": nil}, "is_null": false, "value": i}}
}

func fn(name string, distinct bool, filter any, children ...any) node {
	if children == nil {
		children = []any{}
	}
	return node{"class": "FUNCTION", "type": "FUNCTION", "alias": "", "query_location": noLocation,
		"function_name": name, "schema": "", "children": children, "filter": filter,
		"order_bys": node{"type": "ORDER_MODIFIER", "orders": []any{}}, "distinct": distinct,
		"is_operator": false, "export_state": false, "catalog": ""}
}

func castDouble(child any) node {
	return node{"class": "CAST", "type": "OPERATOR_CAST", "alias": "", "query_location": noLocation,
		"child": child, "cast_type": node{"id": "DOUBLE", "type_info": nil}, "try_cast": false}
}

func withAlias(n node, alias string) node {
	n["alias"] = alias
	return n
}
