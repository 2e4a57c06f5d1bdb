package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"shuyu"
)

// Run checks and runs one merchant query in workspace ws over conn (which
// should be locked with Lockdown). Aggregates pass the disclosure-control
// engine and are released; row-level results are withheld as a new
// workspace table appended to ws.Tables; rule-breaking queries are rejected
// unrun. Rejections are results, not errors; errors are caller faults.
//
// What the merchant sees depends only on the SQL text, the workspace's
// tables and the released figures (docs/disclosure.md): refusals are
// decided before anything runs, every expression evaluated on rows runs
// inside TRY, and any failure while running is one uniform outcome.
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
	if isCompound(st) {
		return e.runCompound(ctx, conn, ws, st, start)
	}
	sites, ok := scalarSubqueries(st)
	if !ok {
		return e.rejected(res, start, Reason{"scalar_subquery", scalarReason}), nil
	}
	if len(sites) > 0 {
		return e.runScalars(ctx, conn, ws, st, sites, start)
	}
	orig := deepCopy(st) // the checker rewrites st in place
	c, p := e.checkParsed(ws, st)
	if p == nil || c.failed() {
		if !ws.dpMode() && hasCode(*c.reasons, "subquery_unit") {
			// Aggregating subqueries grouped by ordinary keys: released
			// tables, read by the statement after release (released.go).
			if root, subs, ok := releasedSources(orig, ws, e.Now().Format("2006-01-02")); ok {
				return e.runReleased(ctx, conn, ws, orig, root, subs, *c.reasons, start)
			}
		}
		return e.rejected(res, start, *c.reasons...), nil
	}
	return e.runPlan(ctx, conn, ws, c, p, start)
}

func hasCode(rs []Reason, code string) bool {
	for _, r := range rs {
		if r.Code == code {
			return true
		}
	}
	return false
}

// runPlan runs a checked statement: an aggregate through the anonymizing
// executor, a row-level one into a withheld result.
func (e *Engine) runPlan(ctx context.Context, conn *sql.Conn, ws *Workspace, c *checker, p *plan, start time.Time) (*Result, error) {
	res := &Result{}
	var err error
	timeout := e.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res.Metering.RowsScanned = e.rowsScanned(ctx, conn, c.scope)
	if c.dp && p.aggregate {
		return e.runDP(qctx, conn, ws, c, p, res, start)
	}
	cpu0 := cpuTime()
	if err := e.lowEffect(qctx, conn, ws, p); err != nil {
		return e.failed(res, start, err)
	}
	if p.aggregate && !p.onePerRow && p.single != nil && p.single.Version != "" {
		if p.onePerRow, err = e.uniqueUnits(qctx, conn, p.single); err != nil {
			return e.failed(res, start, e.engineFailure("sandbox.uniqueUnits", err))
		}
	}
	if p.aggregate {
		err = e.release(qctx, conn, ws, p, res)
	} else {
		err = e.withhold(qctx, conn, ws, p, res)
	}
	res.Metering.CPU = cpuTime() - cpu0
	res.Metering.Wall = time.Since(start)
	if err != nil {
		return e.failed(res, start, err)
	}
	return res, nil
}

// check parses sqlText and checks it into a plan: why is set when DuckDB's
// parser refuses it, c's reasons when the rules do (p is then nil).
func (e *Engine) check(ctx context.Context, conn *sql.Conn, ws *Workspace, sqlText string) (c *checker, p *plan, why *Reason, err error) {
	st, why, err := parse(ctx, conn, sqlText)
	if err != nil || why != nil {
		return nil, nil, why, err
	}
	c, p = e.checkParsed(ws, st)
	return c, p, nil, nil
}

// checkParsed checks one parsed statement into a plan.
func (e *Engine) checkParsed(ws *Workspace, st node) (*checker, *plan) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := newChecker(ws, ws.dpMode(), e.Now().Format("2006-01-02"))
	return c, c.statement(st)
}

// ExecutionFailed is the one outcome of any failure while a real-data query
// runs: its text never depends on which value, row or step failed.
var ExecutionFailed = Reason{"execution", "查询未能完成：可能超出了时间或内存限制，或被取消。请缩小范围后重试"}

// failed reports an execution failure as the uniform outcome; errors of the
// caller's own (a closed connection, a broken store) stay errors.
func (e *Engine) failed(res *Result, start time.Time, err error) (*Result, error) {
	if shuyu.ErrorCode(err) == shuyu.EINTERNAL && !isEngineFailure(err) {
		return nil, err
	}
	res.Rows, res.Columns = nil, nil
	if se := (*shuyu.Error)(nil); errors.As(err, &se) && strings.HasSuffix(se.Op, ":binding") {
		return e.rejected(res, start, BindingFailed), nil
	}
	return e.rejected(res, start, ExecutionFailed), nil
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

// releaseNotice is said with every released answer, whatever the data: it
// never counts hidden groups or persons (R28.3).
func releaseNotice(k int) Reason {
	return Reason{"disclosure_control", fmt.Sprintf(
		"结果已经过披露控制：每行至少涉及 %d 个统计对象，人数不足的分组不显示，人数不足的单元格（如带 FILTER 的计数）显示为空值；数值含少量稳定噪声，极值和分位数按至少 %d 人的窗口平滑；只影响极少数人的筛选条件不起作用；与此前已发布结果只差极少数人的数值，沿用此前的答案", k, k)}
}

// release runs an aggregate through the anonymizing executor (R28.3).
func (e *Engine) release(ctx context.Context, conn *sql.Conn, ws *Workspace, p *plan, res *Result) error {
	const op = "sandbox.release"
	q, l, err := e.anonSQL(ctx, conn, ws, p)
	if err != nil {
		return e.engineFailure(op, err)
	}
	res.Shape.SQLHash = digest(q)
	_, types, raw, err := query(ctx, conn, q)
	if err != nil {
		return e.engineFailure(op, err)
	}
	// The release memory (memory.go) is read and extended under the
	// workspace's release lock, so two concurrent near-duplicate figures
	// cannot both be answered afresh.
	unlock := e.lockWorkspace(ws.ID)
	defer unlock()
	entries, err := e.releaseLog().Load(ctx, ws.ID)
	if err != nil {
		return shuyu.Wrap(op, err)
	}
	mem := newMemory(ws.k(), e.noiseKey(ws), entries)
	rows := finish(p, decode(ws, e.noiseKey(ws), p, l, raw, mem))
	if len(mem.added) > 0 {
		entry := ReleaseEntry{At: e.Now(), SQLHash: res.Shape.SQLHash, Figures: mem.added}
		if err := e.releaseLog().Append(ctx, ws.ID, []ReleaseEntry{entry}); err != nil {
			return shuyu.Wrap(op, err)
		}
	}
	res.Status = Released
	res.Columns = p.names
	res.Rows = rows
	if res.Rows == nil {
		res.Rows = [][]any{}
	}
	res.Metering.RowsReturned = int64(len(rows))
	for i, o := range p.out {
		typ := outType(o, p, types, rows, i)
		res.Shape.Columns = append(res.Shape.Columns, ShapeColumn{Name: p.names[i], Type: typ})
	}
	res.Shape.Rows = len(rows)
	res.Reasons = []Reason{releaseNotice(ws.k())}
	return nil
}

// outType names the type of released column i for the audit shape.
func outType(o node, p *plan, types []string, rows [][]any, i int) string {
	if str(o, "class") == "__SLOT" {
		if str(o, "slot") == "g" {
			if j := slotIndex(o); j < len(types) {
				return types[j]
			}
		}
		switch p.sites[slotIndex(o)].kind {
		case kCount, kCountDistinct:
			return "BIGINT"
		}
		return "DOUBLE"
	}
	for _, r := range rows {
		switch r[i].(type) {
		case int64:
			return "BIGINT"
		case float64:
			return "DOUBLE"
		case string:
			return "VARCHAR"
		case bool:
			return "BOOLEAN"
		}
	}
	return "DOUBLE"
}

// withhold stores a row-level result inside the domain (R4.2, R28.3): it
// becomes a workspace table whose columns keep the strictest policy that
// flowed into them and whose units ride along in hidden columns, usable by
// later governed queries. Nothing about its size is reported.
func (e *Engine) withhold(ctx context.Context, conn *sql.Conn, ws *Workspace, p *plan, res *Result) error {
	const op = "sandbox.withhold"
	q, err := deserialize(ctx, conn, p.stmt)
	if err != nil {
		return e.engineFailure(op, err)
	}
	res.Shape.SQLHash = digest(q)
	name, source, err := e.createWithheld(ctx, conn, ws, q)
	if err != nil {
		return err
	}
	cols, types, _, err := query(ctx, conn, "SELECT * FROM "+source+" LIMIT 0")
	if err != nil {
		return e.engineFailure(op, err)
	}
	t := Table{Name: name, Source: withheldSchema(ws.ID) + "." + name}
	var keys []string
	for i := range cols {
		col := Column{Name: cols[i], Type: types[i]}
		if i < p.items {
			col.Policy = p.flows[i].policy()
			col.Derived = i < len(p.derived) && p.derived[i]
			res.Shape.Columns = append(res.Shape.Columns, ShapeColumn{Name: cols[i], Type: types[i]})
		} else {
			col.Policy = Identifier // a hidden unit column
			keys = append(keys, cols[i])
		}
		t.Columns = append(t.Columns, col)
	}
	t.PersonKey = strings.Join(keys, ",")
	e.mu.Lock()
	ws.Tables = append(ws.Tables, t)
	e.mu.Unlock()
	res.Status = Withheld
	res.Shape.Table = name
	res.Reasons = []Reason{{"row_level", fmt.Sprintf("明细级结果不出域，已保存为工作区表 %s，可在后续聚合查询中使用", name)}}
	return nil
}

// lowEffect tests each subquery's conditions over the whole subquery before
// the statement runs: an atom whose flip would move fewer than about K
// units in or out is fixed to the value that moves them, so a condition
// that singles out a few people has no effect (docs/disclosure.md).
func (e *Engine) lowEffect(ctx context.Context, conn *sql.Conn, ws *Workspace, p *plan) error {
	const op = "sandbox.lowEffect"
	for _, s := range p.pre {
		if len(s.units) == 0 {
			continue
		}
		var items []any
		for u, n := range s.units {
			items = append(items, withAlias(fn("hash", false, nil, deepCopy(n)), fmt.Sprintf("__u%d", u)))
		}
		for m, a := range s.atoms {
			items = append(items, withAlias(deepCopy(a), atomCol(m)))
		}
		ext := deepCopy(s.level)
		ext["select_list"] = items
		ext["group_expressions"] = []any{}
		ext["group_sets"] = []any{}
		ext["having"] = nil
		ext["where_clause"] = s.joins
		ext["modifiers"] = []any{}
		inner, err := deserialize(ctx, conn, node{"node": ext, "named_param_map": []any{}})
		if err != nil {
			return e.engineFailure(op, err)
		}
		forced := false
		// Isolating branches first (rule 5a, as in anonSQL): a branch under
		// an OR or a NOT whose true or false side holds fewer than a noisy
		// K units of any kind is forced to the other side.
		if bs := s.where.branches(); len(bs) > 0 {
			var conds []string
			for _, x := range bs {
				c := x.sql(atomCol)
				conds = append(conds, fmt.Sprintf("coalesce(%s, FALSE)", c), fmt.Sprintf("NOT coalesce(%s, TRUE)", c))
			}
			q := "WITH __l AS (" + strings.TrimRight(strings.TrimSpace(inner), ";") + "), " +
				affectedUnits("__b", "__l", nil, len(s.units), false, conds, func(j int) string { return fmt.Sprintf("__c%d", j) }) +
				" SELECT * FROM __b"
			_, _, rows, err := query(ctx, conn, q)
			if err != nil {
				return e.engineFailure(op, err)
			}
			if len(rows) == 1 {
				units, k := len(s.units), float64(ws.k())
				small := func(j int) bool {
					for u := 0; u < units; u++ {
						n, _ := toFloat(rows[0][2*(j*units+u)])
						tau := k - 1 + 2*uniform(e.noiseKey(ws), "isolating-subquery", fmt.Sprint(rows[0][2*(j*units+u)+1]))
						if n < tau {
							return true
						}
					}
					return false
				}
				for j, x := range bs {
					switch {
					case small(2 * j):
						x.fix, forced = 2, true
					case small(2*j + 1):
						x.fix, forced = 1, true
					}
				}
			}
		}
		// Rule 5b over the whole subquery: a conjunct of its WHERE that
		// alone takes out between one and a noisy K units is dropped.
		if cs := s.where.conjuncts(); len(cs) > 0 {
			var conds []string
			for j := range cs {
				conds = append(conds, removedBy(cs, j, atomCol))
			}
			q := "WITH __l AS (" + strings.TrimRight(strings.TrimSpace(inner), ";") + "), " +
				affectedUnits("__rm", "__l", nil, len(s.units), false, conds, func(j int) string { return fmt.Sprintf("__c%d", j) }) +
				" SELECT * FROM __rm"
			_, _, rows, err := query(ctx, conn, q)
			if err != nil {
				return e.engineFailure(op, err)
			}
			if len(rows) == 1 {
				units, k := len(s.units), float64(ws.k())
				for j, c := range cs {
					for u := 0; u < units; u++ {
						n, _ := toFloat(rows[0][2*(j*units+u)])
						tau := k - 1 + 2*uniform(e.noiseKey(ws), "removal-subquery", c.sql(atomCol), fmt.Sprint(rows[0][2*(j*units+u)+1]))
						if n > 0 && n < tau {
							c.fix, forced = 1, true
							break
						}
					}
				}
			}
		}
		var conds []string
		for m := range s.atoms {
			conds = append(conds, pivot(s.where, m))
		}
		q := "WITH __l AS (" + strings.TrimRight(strings.TrimSpace(inner), ";") + "), " +
			affectedUnits("__a", "__l", nil, len(s.units), false, conds, func(j int) string { return fmt.Sprintf("__c%d", j) }) +
			" SELECT * FROM __a"
		_, _, rows, err := query(ctx, conn, q)
		if err != nil {
			return e.engineFailure(op, err)
		}
		if len(rows) != 1 {
			continue
		}
		var fixed []int
		k := float64(ws.k())
		units := len(s.units)
		for m, a := range s.atoms {
			// Low when any unit kind has 1..tau units whose rows this atom
			// alone decides (see ledDecision); the threshold is drawn per
			// condition and set of units (each count is followed by the
			// XOR of those units' hashes). Those rows are let in.
			ids := []string{"led-subquery", canon(a, nil)}
			for u := 0; u < units; u++ {
				ids = append(ids, fmt.Sprint(rows[0][2*(m*units+u)+1]))
			}
			tau := k - 1 + 2*uniform(e.noiseKey(ws), ids...)
			for u := 0; u < units; u++ {
				if n, _ := toFloat(rows[0][2*(m*units+u)]); n > 0 && n < tau {
					fixed = append(fixed, m)
					break
				}
			}
		}
		if len(fixed) > 0 || forced {
			s.level["where_clause"] = withJoins(s.joins, s.where.widened(func(m int) node { return deepCopy(s.atoms[m]) }, fixed))
		}
	}
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

// uniqueUnits reports whether t's person key is unique, once per version.
func (e *Engine) uniqueUnits(ctx context.Context, conn *sql.Conn, t *Table) (bool, error) {
	e.mu.Lock()
	u, ok := e.unique[t.Version]
	e.mu.Unlock()
	if ok {
		return u, nil
	}
	key := quoteIdent(t.PersonKey)
	src := quoteIdent(t.Source)
	if schema, tbl, ok := strings.Cut(t.Source, "."); ok {
		src = quoteIdent(schema) + "." + quoteIdent(tbl)
	}
	if err := conn.QueryRowContext(ctx, "SELECT count(DISTINCT "+key+") = count("+key+") FROM "+src).Scan(&u); err != nil {
		return false, err
	}
	e.mu.Lock()
	if e.unique == nil {
		e.unique = map[string]bool{}
	}
	e.unique[t.Version] = u
	e.mu.Unlock()
	return u, nil
}
