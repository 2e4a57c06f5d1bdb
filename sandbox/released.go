package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// Statements over released tables (docs/disclosure.md, rule 10). A
// statement whose FROM reads only aggregating subqueries grouped by
// ordinary keys — visits per 1,000 residents by county, joining residents
// per county with visits per county — is run in two steps: each subquery is
// an aggregating statement of its own, checked and released through the one
// disclosure-control path; the statement itself then runs over the
// released rows only, in a scratch DuckDB database that holds nothing else
// and can reach no file, extension or network. Whatever it computes —
// joins, ratios, filters, its own aggregates — is arithmetic over released
// figures. A subquery grouped by persons (a per-person pre-aggregation) is
// not a released table and keeps the ordinary path.

// maxReleasedRows bounds what the scratch database returns.
const maxReleasedRows = 10000

// releasedSources returns the subqueries a statement's FROM reads when it
// reads nothing else (after WITH is inlined); ok is false otherwise.
func releasedSources(st node, ws *Workspace, refDate string) (root node, subs []node, ok bool) {
	root = deepCopy(obj(st, "node"))
	if str(root, "type") != "SELECT_NODE" {
		return nil, nil, false
	}
	tmp := newChecker(ws, false, refDate)
	inlineCTEs(tmp, root, map[string]node{}, 0)
	if tmp.failed() {
		return nil, nil, false
	}
	ok = true
	var walk func(t node)
	walk = func(t node) {
		switch str(t, "type") {
		case "JOIN":
			walk(obj(t, "left"))
			walk(obj(t, "right"))
		case "SUBQUERY":
			if len(arr(t, "column_name_alias")) > 0 {
				ok = false
			}
			subs = append(subs, t)
		default:
			ok = false
		}
	}
	walk(obj(root, "from_table"))
	return root, subs, ok && len(subs) > 0
}

// runReleased releases each subquery and runs the statement over the
// released rows. refused are the reasons the ordinary path gave, returned
// when a subquery is not an aggregating statement of its own.
func (e *Engine) runReleased(ctx context.Context, conn *sql.Conn, ws *Workspace, st, root node, subs []node, refused []Reason, start time.Time) (*Result, error) {
	res := &Result{}
	type part struct {
		c   *checker
		p   *plan
		res Result
	}
	parts := make([]*part, len(subs))
	reasons := append([]Reason{}, refused...)
	ok := true
	e.mu.Lock()
	for i, s := range subs {
		pst := deepCopy(st)
		pst["node"] = deepCopy(obj(obj(s, "subquery"), "node"))
		pt := &part{c: newChecker(ws, false, e.Now().Format("2006-01-02"))}
		pt.p = pt.c.statement(pst)
		if pt.c.failed() || pt.p == nil || !pt.p.aggregate {
			ok = false
			if pt.c.failed() {
				reasons = append(reasons, *pt.c.reasons...)
			}
		}
		parts[i] = pt
	}
	e.mu.Unlock()
	if ok {
		var ps []*plan
		for _, pt := range parts {
			ps = append(ps, pt.p)
		}
		if r, fine := atomBudget(ps...); !fine {
			ok = false
			reasons = []Reason{r}
		}
	}
	if !ok {
		return e.rejected(res, start, reasons...), nil
	}
	qctx, cancel := context.WithTimeout(ctx, e.partTimeout())
	defer cancel()
	cpu0 := cpuTime()
	var hashes []string
	for _, pt := range parts {
		res.Metering.RowsScanned += e.rowsScanned(ctx, conn, pt.c.scope)
		if err := e.releasePart(qctx, conn, ws, pt.p, &pt.res); err != nil {
			res.Metering.CPU = cpuTime() - cpu0
			return e.failed(res, start, err)
		}
		hashes = append(hashes, pt.res.Shape.SQLHash)
	}
	// The statement over released tables, printed by DuckDB's own printer.
	for i, s := range subs {
		alias := str(s, "alias")
		if alias == "" {
			alias = "unnamed_subquery"
		}
		replaceNode(s, node{"type": "BASE_TABLE", "alias": alias, "sample": nil, "query_location": noLocation,
			"schema_name": "", "table_name": fmt.Sprintf("released_%d", i+1), "column_name_alias": []any{}, "catalog_name": ""})
	}
	outer := deepCopy(st)
	outer["node"] = root
	text, err := deserialize(ctx, conn, outer)
	if err != nil {
		return e.failed(res, start, e.engineFailure("sandbox.released", err))
	}
	tables := make([]releasedTable, len(parts))
	for i, pt := range parts {
		tables[i] = releasedTable{name: fmt.Sprintf("released_%d", i+1), cols: pt.res.Columns, rows: pt.res.Rows}
		for _, c := range pt.res.Shape.Columns {
			tables[i].types = append(tables[i].types, c.Type)
		}
	}
	cols, types, rows, err := runOverReleased(qctx, tables, text)
	res.Metering.CPU = cpuTime() - cpu0
	if err != nil {
		if qctx.Err() != nil {
			return e.failed(res, start, e.engineFailure("sandbox.released", err))
		}
		// Only released figures are in the scratch database, so its
		// message could say nothing else; it is in English, though, and
		// the answer says in plain words what to check.
		return e.rejected(res, start, Reason{"released_statement", "对已发布结果的计算未能执行：请检查外层查询引用的列名、类型和写法（外层只能读取各子查询的输出列）"}), nil
	}
	res.Status = Released
	res.Columns = cols
	res.Rows = rows
	if res.Rows == nil {
		res.Rows = [][]any{}
	}
	res.Metering.RowsReturned = int64(len(rows))
	res.Metering.Wall = time.Since(start)
	res.Shape.SQLHash = digest(strings.Join(append(hashes, digest(text)), ","))
	res.Shape.Rows = len(rows)
	for i, c := range cols {
		res.Shape.Columns = append(res.Shape.Columns, ShapeColumn{Name: c, Type: types[i]})
	}
	res.Reasons = []Reason{releaseNotice(ws.k())}
	return res, nil
}

type releasedTable struct {
	name  string
	cols  []string
	types []string // the released columns' types, for tables without rows
	rows  [][]any
}

// runOverReleased runs text in a new in-memory DuckDB database holding only
// the released tables, locked down like the domain before it runs.
func runOverReleased(ctx context.Context, tables []releasedTable, text string) ([]string, []string, [][]any, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, nil, nil, err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	defer conn.Close()
	for _, t := range tables {
		typ := make([]string, len(t.cols))
		defs := make([]string, len(t.cols))
		for j, c := range t.cols {
			typ[j] = releasedType(t.rows, j)
			if len(t.rows) == 0 && j < len(t.types) && plainType.MatchString(t.types[j]) {
				typ[j] = t.types[j]
			}
			defs[j] = quoteIdent(c) + " " + typ[j]
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", quoteIdent(t.name), strings.Join(defs, ", "))); err != nil {
			return nil, nil, nil, err
		}
		if len(t.rows) == 0 {
			continue
		}
		ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
		stmt, err := conn.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s VALUES %s", quoteIdent(t.name), ph))
		if err != nil {
			return nil, nil, nil, err
		}
		for _, r := range t.rows {
			args := make([]any, len(r))
			for j, v := range r {
				if v != nil && typ[j] == "VARCHAR" {
					if _, isStr := v.(string); !isStr {
						v = fmt.Sprint(v)
					}
				}
				args[j] = v
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				stmt.Close()
				return nil, nil, nil, err
			}
		}
		stmt.Close()
	}
	if err := LockdownLimits(ctx, conn, Limits{MemoryLimit: "256MB", Threads: 1}); err != nil {
		return nil, nil, nil, err
	}
	cols, types, rows, err := query(ctx, conn, text)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(rows) > maxReleasedRows {
		rows = rows[:maxReleasedRows]
	}
	return cols, types, rows, nil
}

var plainType = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,20}(\(\d{1,2}(,\d{1,2})?\))?$`)

// releasedType is the column type of released values.
func releasedType(rows [][]any, j int) string {
	typ := ""
	for _, r := range rows {
		var t string
		switch r[j].(type) {
		case nil:
			continue
		case int64, int32, int:
			t = "BIGINT"
		case float64, float32:
			t = "DOUBLE"
		case bool:
			t = "BOOLEAN"
		case time.Time:
			t = "TIMESTAMP"
		default:
			t = "VARCHAR"
		}
		switch {
		case typ == "" || typ == t:
			typ = t
		case (typ == "BIGINT" && t == "DOUBLE") || (typ == "DOUBLE" && t == "BIGINT"):
			typ = "DOUBLE"
		default:
			typ = "VARCHAR"
		}
	}
	if typ == "" {
		return "VARCHAR"
	}
	return typ
}
