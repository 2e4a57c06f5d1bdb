package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"shuyu"
)

// Run checks and runs one merchant query in workspace ws over conn (which
// should be locked with Lockdown). Aggregates that pass disclosure control
// are released; row-level results are withheld as a new workspace table that
// is appended to ws.Tables; rule-breaking queries are rejected unrun.
// Rejections are results, not errors; errors are engine or caller faults.
func (e *Engine) Run(ctx context.Context, conn *sql.Conn, ws *Workspace, sqlText string) (*Result, error) {
	const op = "sandbox.Run"
	start := time.Now() // metering only (R14.2), no rule depends on it
	if err := validWorkspace(ws); err != nil {
		return nil, shuyu.Wrap(op, err)
	}
	e.keys.set(ws.ID, ws.Secret)
	if err := e.prepare(ctx, conn); err != nil {
		return nil, shuyu.Wrap(op, err)
	}
	st, why, err := parse(ctx, conn, sqlText)
	if err != nil {
		return nil, shuyu.Wrap(op, err)
	}
	res := &Result{}
	if why != nil {
		return e.rejected(res, start, *why), nil
	}

	e.mu.Lock()
	c := &checker{ws: ws, refDate: e.Now().Format("2006-01-02"), dp: ws.dpMode()}
	p := c.statement(st)
	e.mu.Unlock()
	if p == nil || len(c.reasons) > 0 {
		return e.rejected(res, start, c.reasons...), nil
	}
	if c.dp && p.aggregate {
		return e.runDP(ctx, conn, ws, c, p, res, start)
	}
	runSQL, err := deserialize(ctx, conn, p.stmt)
	if err != nil {
		return nil, shuyu.Wrap(op, err)
	}
	res.Shape.SQLHash = digest(runSQL)
	res.Metering.RowsScanned = e.rowsScanned(ctx, conn, c.scope)

	timeout := e.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cpu0 := cpuTime()
	if p.aggregate {
		err = e.release(qctx, conn, ws, p, runSQL, res)
	} else {
		err = e.withhold(qctx, conn, ws, c, p, runSQL, res)
	}
	res.Metering.CPU = cpuTime() - cpu0
	res.Metering.Wall = time.Since(start)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (e *Engine) rejected(res *Result, start time.Time, why ...Reason) *Result {
	res.Status = Rejected
	res.Reasons = why
	res.Metering.Wall = time.Since(start)
	return res
}

func validWorkspace(ws *Workspace) error {
	if ws == nil {
		return shuyu.Errorf(shuyu.EINVALID, "缺少工作区 (workspace required)")
	}
	if err := validWorkspaceID(ws.ID); err != nil {
		return err
	}
	if len(ws.Secret) < 16 {
		return shuyu.Errorf(shuyu.EINVALID, "工作区脱敏密钥至少 16 字节 (masking secret too short)")
	}
	return nil
}

func validWorkspaceID(id string) error {
	if id == "" {
		return shuyu.Errorf(shuyu.EINVALID, "缺少工作区 (workspace required)")
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return shuyu.Errorf(shuyu.EINVALID, "工作区编号只能含字母、数字和下划线 (workspace ID charset)")
		}
	}
	return nil
}

// release runs an aggregate and applies disclosure control (R28.3).
func (e *Engine) release(ctx context.Context, conn *sql.Conn, ws *Workspace, p *plan, q string, res *Result) error {
	const op = "sandbox.release"
	cols, types, raw, err := query(ctx, conn, q)
	if err != nil {
		return engineError(op, err)
	}
	var stats map[string]*groupStats
	if needsStats(ws, p, raw) {
		if stats, err = groupStatistics(ctx, conn, p); err != nil {
			return engineError(op, err)
		}
	}
	unlock := e.lockWorkspace(ws.ID)
	defer unlock()
	entries, err := e.releaseLog().Load(ctx, ws.ID)
	if err != nil {
		return shuyu.Wrap(op, err)
	}
	d := control(ws, p, newHistory(entries), raw, stats)
	if len(d.kept) > 0 {
		entry := ReleaseEntry{At: e.Now(), SQLHash: res.Shape.SQLHash, Cells: d.kept}
		if err := e.releaseLog().Append(ctx, ws.ID, []ReleaseEntry{entry}); err != nil {
			return shuyu.Wrap(op, err)
		}
	}

	res.Status = Released
	res.Columns = cols[:p.items]
	res.Rows = d.rows
	if res.Rows == nil {
		res.Rows = [][]any{}
	}
	res.Metering.RowsReturned = int64(len(d.rows))
	for i := 0; i < p.items; i++ {
		res.Shape.Columns = append(res.Shape.Columns, ShapeColumn{Name: cols[i], Type: types[i]})
	}
	res.Shape.Rows = len(d.rows)
	res.Shape.Suppressed = d.small + d.differ
	k := ws.k()
	if d.small > 0 {
		res.Reasons = append(res.Reasons, Reason{"small_cell", fmt.Sprintf("%d 行涉及的人数少于 %d，已隐藏 (rows under K suppressed)", d.small, k)})
	}
	if d.cells > 0 {
		res.Reasons = append(res.Reasons, Reason{"dominance", fmt.Sprintf("%d 个单元格由少数个体主导或人数过少，已隐藏 (cells suppressed)", d.cells)})
	}
	if d.differ > 0 {
		res.Reasons = append(res.Reasons, Reason{"differencing", fmt.Sprintf("%d 行与此前发布的结果相差不足 %d 人，可推算个人信息，已隐藏 (differencing)", d.differ, k)})
	}
	return nil
}

// withhold stores a row-level result inside the domain (R4.2, R28.3): it
// becomes a workspace table whose columns keep the strictest policy that
// flowed into them, usable by later governed queries.
func (e *Engine) withhold(ctx context.Context, conn *sql.Conn, ws *Workspace, c *checker, p *plan, q string, res *Result) error {
	name, source, err := e.createWithheld(ctx, conn, ws, q)
	if err != nil {
		return err
	}
	cols, types, _, err := query(ctx, conn, "SELECT * FROM "+source+" LIMIT 0")
	if err != nil {
		return engineError("sandbox.withhold", err)
	}
	var n int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+source).Scan(&n); err != nil {
		return engineError("sandbox.withhold", err)
	}
	t := Table{Name: name, Source: withheldSchema(ws.ID) + "." + name}
	for i := range cols {
		col := Column{Name: cols[i], Type: types[i]}
		if i < p.items {
			col.Policy = p.flows[i].policy()
		} else {
			col.Policy = Identifier // the hidden person key
			t.PersonKey = cols[i]
		}
		if i < p.items {
			res.Shape.Columns = append(res.Shape.Columns, ShapeColumn{Name: cols[i], Type: types[i]})
		}
		t.Columns = append(t.Columns, col)
	}
	e.mu.Lock()
	ws.Tables = append(ws.Tables, t)
	e.mu.Unlock()
	res.Status = Withheld
	res.Shape.Rows = int(n)
	res.Shape.Table = name
	res.Reasons = []Reason{{"row_level", fmt.Sprintf("明细级结果不出域，已保存为工作区表 %s，可在后续聚合查询中使用 (row-level result kept in the domain)", name)}}
	return nil
}

// query runs q and reads every row.
func query(ctx context.Context, conn *sql.Conn, q string, args ...any) ([]string, []string, [][]any, error) {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, nil, err
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, nil, err
	}
	types := make([]string, len(cts))
	for i, ct := range cts {
		types[i] = ct.DatabaseTypeName()
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, nil, err
		}
		out = append(out, vals)
	}
	return cols, types, out, rows.Err()
}
