package workspace

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/fnv"
	"math"
	"math/big"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/synth"
	"shuyu/vault"
)

// EnsureSimulated generates the simulated twin (仿真数据, R6.1) of every
// granted table that has data and none yet. The real table is profiled
// inside the domain (coarse distributions only); identifier values and whole
// rows of the real table are remembered as 64-bit hashes so that the twin
// never reuses a real identifier or reproduces a real record.
func (s *Service) EnsureSimulated(ctx context.Context, actor *shuyu.Actor, id int64) error {
	ws, err := s.DB.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceRead, id)
	if err != nil {
		return err
	}
	if s.Vault == nil || s.Dir == "" {
		return nil // nothing to simulate from; the tables show 0 simulated rows
	}
	defer s.lock(id)()
	return s.ensureLocked(ctx, actor, ws)
}

// ensureLocked is EnsureSimulated under the workspace's lock.
func (s *Service) ensureLocked(ctx context.Context, actor *shuyu.Actor, ws *shuyu.Workspace) error {
	if s.Vault == nil || s.Dir == "" {
		return nil
	}
	id := ws.ID
	tables, err := s.DB.WorkspaceTables(ctx, actor, id)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, t := range tables {
		if t.Kind == sqlstore.TableSimulated {
			have[t.Name] = true
		}
	}
	for _, g := range ws.Grants {
		if have[g.Table] || g.Suspended || !s.mounted(ctx, g.VaultName) {
			continue
		}
		if err := shuyu.Authorize(actor, shuyu.ActWorkspaceSimulate, ws.Resource()); err != nil {
			return err
		}
		t, err := s.twin(ctx, ws, g)
		if err != nil {
			return fmt.Errorf("workspace: simulate %s: %w", g.Table, err)
		}
		if err := s.DB.SaveSimulatedTable(ctx, actor, id, *t); err != nil {
			return err
		}
	}
	return nil
}

// twinKind picks the synth kind and type of a granted field.
func twinKind(f shuyu.WorkspaceField, duckType string) (kind, typ string) {
	t := strings.ToUpper(duckType)
	switch {
	case strings.HasPrefix(t, "TIMESTAMP"):
		typ = "datetime"
	case t == "DATE":
		typ = "date"
	case strings.Contains(t, "INT"):
		typ = "integer"
	case strings.HasPrefix(t, "DECIMAL") || t == "DOUBLE" || t == "FLOAT" || t == "REAL":
		typ = "decimal"
	case f.DataType == "month":
		typ = "month"
	default:
		typ = "string"
	}
	if f.Policy == shuyu.PolicyIdentifier && typ == "string" {
		n, l := strings.ToLower(f.Name), f.Label
		has := func(marks ...string) bool {
			for _, m := range marks {
				if strings.Contains(n, m) || strings.Contains(l, m) {
					return true
				}
			}
			return false
		}
		switch {
		case has("身份", "id_number", "id_no", "idcard", "id_card"):
			return "id_number", typ
		case has("手机", "电话", "phone", "mobile"):
			return "phone", typ
		case has("信用代码", "uscc"):
			return "uscc", typ
		case has("地址", "住址", "住所", "address"):
			return "address", typ
		case has("姓名", "法定代表人", "legal_rep") || n == "name":
			return "name", typ
		}
		return "text", typ
	}
	switch typ {
	case "integer", "decimal":
		return "number", typ
	case "date", "datetime", "month":
		return "date", typ
	}
	return "category", typ
}

// twin profiles the real table of grant g inside the domain and writes its
// twin into the workspace's simulated database.
func (s *Service) twin(ctx context.Context, ws *shuyu.Workspace, g shuyu.WorkspaceEntry) (*sqlstore.WorkspaceTable, error) {
	types := s.columnTypes(ctx, g.VaultName)
	cols := make([]synth.ColumnProfile, len(g.Fields))
	sel := make([]string, len(g.Fields))
	ident := make([]bool, len(g.Fields))
	for i, f := range g.Fields {
		kind, typ := twinKind(f, types[strings.ToLower(f.Name)])
		cols[i] = synth.ColumnProfile{Name: f.Name, Type: typ, Kind: kind}
		sel[i] = textExpr(quote(f.Name), typ)
		ident[i] = f.Policy == shuyu.PolicyIdentifier
	}
	conn, err := s.Vault.Locked(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	seed := uint64(ws.ID)<<20 ^ uint64(g.EntryID)
	prof := synth.NewProfiler(cols, seed)
	realIDs := make([]map[uint64]bool, len(cols))
	for i := range realIDs {
		realIDs[i] = map[uint64]bool{}
	}
	realRows := map[uint64]bool{}
	rows, err := conn.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+quote(g.VaultName))
	if err != nil {
		return nil, vault.SanitizeError(err)
	}
	row := make([]string, len(cols))
	ptrs := make([]any, len(cols))
	vals := make([]sql.NullString, len(cols))
	for i := range ptrs {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, vault.SanitizeError(err)
		}
		for i, v := range vals {
			row[i] = v.String
			if ident[i] && v.String != "" {
				realIDs[i][hash64(v.String)] = true
			}
		}
		realRows[hashRow(row)] = true
		if err := prof.Add(row); err != nil {
			rows.Close()
			return nil, err
		}
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, vault.SanitizeError(err)
	}
	index := map[string]int{}
	for i, c := range cols {
		index[c.Name] = i
	}
	opt := synth.TwinOptions{
		Epsilon:     1, // Laplace noise on every histogram (R6.1: coarse, noisy)
		MinCategory: 10,
		// Identifier kinds are checked value by value; names (drawn from
		// common surnames and given names) are checked with the row.
		Exclude: func(col, v string) bool { i, ok := index[col]; return ok && realIDs[i][hash64(v)] },
		ExcludeRow: func(r []string) bool {
			if realRows[hashRow(r)] {
				return true
			}
			for i, v := range r {
				if ident[i] && v != "" && realIDs[i][hash64(v)] {
					return true
				}
			}
			return false
		},
	}
	size := s.TwinRows
	if size <= 0 {
		size = 2000
	}
	sim, err := s.sim(ws.ID)
	if err != nil {
		return nil, err
	}
	if err := writeTwin(ctx, sim, g.Table, g.Fields, types, synth.TwinRows(prof.Profiles(), size, seed, opt)); err != nil {
		return nil, err
	}
	t := &sqlstore.WorkspaceTable{Name: g.Table, Source: g.Table, Rows: int64(size)}
	for _, f := range g.Fields {
		t.Columns = append(t.Columns, sqlstore.WorkspaceColumn{Name: f.Name, Type: cmpOr(types[strings.ToLower(f.Name)], "VARCHAR"), Policy: f.Policy})
	}
	_ = n
	return t, nil
}

// textExpr renders a column as the text synth reads: dates as YYYY-MM-DD,
// timestamps to the second, decimals without trailing zeros.
func textExpr(col, typ string) string {
	switch typ {
	case "date":
		return "strftime(CAST(" + col + " AS DATE), '%Y-%m-%d')"
	case "datetime":
		return "strftime(CAST(" + col + " AS TIMESTAMP), '%Y-%m-%d %H:%M:%S')"
	case "decimal":
		return "CAST(CAST(" + col + " AS DOUBLE) AS VARCHAR)"
	}
	return "CAST(" + col + " AS VARCHAR)"
}

// writeTwin replaces table name in the simulated database with the twin
// rows, typed like the real columns.
func writeTwin(ctx context.Context, sim *simDB, name string, fields []shuyu.WorkspaceField, types map[string]string,
	rows func(yield func([]string, error) bool)) error {
	conn, err := sim.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	stage := "_stage_" + name
	var defs, casts []string
	for _, f := range fields {
		defs = append(defs, quote(f.Name)+" VARCHAR")
		t := cmpOr(types[strings.ToLower(f.Name)], "VARCHAR")
		casts = append(casts, fmt.Sprintf("TRY_CAST(NULLIF(%s, '') AS %s) AS %s", quote(f.Name), t, quote(f.Name)))
	}
	if _, err := conn.ExecContext(ctx, "CREATE OR REPLACE TABLE "+quote(stage)+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return err
	}
	err = conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", stage)
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(fields))
		for r, err := range rows {
			if err != nil {
				app.Close()
				return err
			}
			for i, v := range r {
				vals[i] = v
			}
			if err := app.AppendRow(vals...); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "CREATE OR REPLACE TABLE "+quote(name)+" AS SELECT "+strings.Join(casts, ", ")+" FROM "+quote(stage)); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "DROP TABLE "+quote(stage))
	return err
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func hashRow(r []string) uint64 {
	h := fnv.New64a()
	for _, v := range r {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// jsonValue makes a DuckDB value JSON-friendly: dates as text, big numbers
// and decimals as numbers, bytes as hex.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.DateTime)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case duckdb.Decimal:
		return x.Float64()
	case []byte:
		return fmt.Sprintf("%x", x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	}
	return v
}
