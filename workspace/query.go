package workspace

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"shuyu"
	"shuyu/sandbox"
	"shuyu/sqlstore"
)

// Result is the answer to a query: released rows, or the reasons they are
// withheld or the query rejected.
type Result struct {
	ID        int64               `json:"id"`
	Status    string              `json:"status"` // released, withheld, rejected
	Data      string              `json:"data"`
	Reasons   []shuyu.QueryReason `json:"reasons"`
	Columns   []string            `json:"columns"`
	Rows      [][]any             `json:"rows"`
	Truncated bool                `json:"truncated,omitempty"`
	Table     string              `json:"table,omitempty"` // the workspace table of a withheld result
	CPUMicros int64               `json:"cpu_us"`
	Scanned   int64               `json:"rows_scanned"`
}

// MaxSQL caps the text of one query.
const MaxSQL = 20000

// Query runs one query in workspace id over real data (governed, R4.2) or
// simulated data (free, R6.1), records it with its metering (R14.2) and
// audits it (R27.1). Rule-breaking queries are results with status
// "rejected", recorded like the others.
func (s *Service) Query(ctx context.Context, actor *shuyu.Actor, id int64, sqlText, data string) (*Result, error) {
	ws, err := s.DB.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceQuery, id)
	if err != nil {
		return nil, err
	}
	sqlText = strings.TrimSpace(sqlText)
	switch {
	case data != shuyu.DataReal && data != shuyu.DataSimulated:
		return nil, shuyu.Errorf(shuyu.EINVALID, "data 须为 real（真实数据）或 simulated（仿真数据） (data must be real or simulated)").
			WithDetails([]shuyu.FieldError{{Field: "data", Message: "须为 real 或 simulated"}})
	case sqlText == "":
		return nil, shuyu.Errorf(shuyu.EINVALID, "请输入 SQL 查询语句 (sql required)").
			WithDetails([]shuyu.FieldError{{Field: "sql", Message: "不能为空"}})
	case len(sqlText) > MaxSQL || !utf8.ValidString(sqlText) || strings.ContainsRune(sqlText, 0):
		return nil, shuyu.Errorf(shuyu.EINVALID, "SQL 过长或含无效字符（上限 %d 字节） (sql too long or invalid)", MaxSQL).
			WithDetails([]shuyu.FieldError{{Field: "sql", Message: "过长或含无效字符"}})
	}
	if err := usable(ws, s.Engine.Now()); err != nil {
		return nil, err
	}
	if data == shuyu.DataSimulated {
		defer s.lock(id)()
		return s.querySimulated(ctx, actor, ws, sqlText)
	}
	return s.admitReal(ctx, actor, ws, sqlText) // scheduler.go: queue, budget, registry, then queryReal
}

// usable refuses queries in a workspace that is not active, with the reason.
func usable(ws *shuyu.Workspace, now time.Time) error {
	switch ws.Status {
	case shuyu.WorkspaceActive:
	case shuyu.WorkspaceFrozen:
		return shuyu.Errorf(shuyu.ECONFLICT, "工作区已冻结，暂停查询：%s (workspace frozen, R27.3)", cmpOr(ws.StatusReason, "运营机构冻结"))
	case shuyu.WorkspaceNotStarted:
		return shuyu.Errorf(shuyu.ECONFLICT, "工作区使用期限自 %s 开始，尚不能查询 (term not started)", ws.StartsAt.In(shanghai).Format("2006-01-02 15:04"))
	case shuyu.WorkspaceExpired:
		return shuyu.Errorf(shuyu.ECONFLICT, "工作区使用期限已于 %s 届满，不能再查询 (workspace expired, R34.1)", ws.EndsAt.In(shanghai).Format("2006-01-02"))
	case shuyu.WorkspaceClosed:
		return shuyu.Errorf(shuyu.ECONFLICT, "工作区已关闭：%s (workspace closed)", ws.StatusReason)
	default:
		return shuyu.Errorf(shuyu.ECONFLICT, "工作区状态不允许查询 (workspace not active)")
	}
	if now.Before(ws.StartsAt) {
		return shuyu.Errorf(shuyu.ECONFLICT, "工作区使用期限自 %s 开始，尚不能查询 (term not started)", ws.StartsAt.In(shanghai).Format("2006-01-02"))
	}
	return nil
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

func (s *Service) queryReal(ctx context.Context, actor *shuyu.Actor, ws *shuyu.Workspace, sqlText string) (*Result, error) {
	if s.Vault == nil {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "数据域未启用，只能查询仿真数据 (data domain not available)")
	}
	if err := s.useNoiseKey(); err != nil {
		return nil, err
	}
	sw, unavailable, gate, err := s.gatedWorkspace(ctx, actor, ws)
	if err != nil {
		return nil, err
	}
	var used []int64
	if gate != nil { // R28.5: the views read the live grants' rows only
		unlock, err := s.materialize(ctx, gate)
		if err != nil {
			return nil, err
		}
		defer unlock()
		used = s.uses(gate, sqlText)
	}
	conn, err := s.Vault.Locked(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	before := len(sw.Tables)
	key := answerKey(sw, unavailable, s.Engine.Now(), sqlText)
	res, err := s.Engine.Run(ctx, conn, sw, sqlText)
	res, err = interrupted(ctx, res, err) // an overseer's cancel: one uniform outcome (running.go)
	out, err := s.recordUses(ctx, actor, ws, sw, unavailable, sqlText, res, err, before, used)
	if err == nil {
		s.answers.put(key, res) // only once its figures are remembered for good
	}
	return out, err
}

// record builds the history entry of one real-data asking from the
// engine's answer (res, runErr) and records it with the figures the
// release memory took meanwhile, in one audited transaction (R27.1).
func (s *Service) record(ctx context.Context, actor *shuyu.Actor, ws *shuyu.Workspace, sw *sandbox.Workspace, unavailable []string,
	sqlText string, res *sandbox.Result, err error, before int) (*Result, error) {
	return s.recordUses(ctx, actor, ws, sw, unavailable, sqlText, res, err, before, nil)
}

// recordUses is record counting, in a consent-gated workspace, one use of
// each grant in used when the query ran (R28.5).
func (s *Service) recordUses(ctx context.Context, actor *shuyu.Actor, ws *shuyu.Workspace, sw *sandbox.Workspace, unavailable []string,
	sqlText string, res *sandbox.Result, err error, before int, used []int64) (*Result, error) {
	releases, rerr := s.releases.take(ctx, ws.ID)
	if rerr != nil {
		return nil, rerr
	}
	q := &shuyu.WorkspaceQuery{WorkspaceID: ws.ID, SQL: sqlText, Data: shuyu.DataReal}
	out := &Result{Data: shuyu.DataReal, Columns: []string{}, Rows: [][]any{}}
	var withheld *sqlstore.WorkspaceTable
	switch {
	case err != nil && shuyu.ErrorCode(err) == shuyu.EINTERNAL:
		return nil, err
	case err != nil:
		// The engine's message is already rewritten to carry no values.
		q.Status = string(sandbox.Rejected)
		q.Reasons = []shuyu.QueryReason{{Code: reasonCode(err), Message: shuyu.ErrorMessage(err)}}
	default:
		q.Status = string(res.Status)
		for _, r := range res.Reasons {
			q.Reasons = append(q.Reasons, shuyu.QueryReason{Code: r.Code, Message: r.Message})
		}
		q.Shape = shape(res.Shape)
		// Timing is metered in 10 ms steps: enough for fees (R14.2), too
		// coarse to time one row (docs/disclosure.md, "Timing").
		q.CPUMicros, q.WallMicros = meterStep(res.Metering.CPU), meterStep(res.Metering.Wall)
		q.RowsScanned, q.RowsReturned = res.Metering.RowsScanned, res.Metering.RowsReturned
		if q.RowsScanned == 0 {
			q.RowsScanned = s.scanned(ctx, sw, sqlText)
		}
		if res.Status == sandbox.Released {
			out.Columns = res.Columns
			for _, r := range res.Rows {
				row := make([]any, len(r))
				for i, v := range r {
					row[i] = jsonValue(v)
				}
				out.Rows = append(out.Rows, row)
			}
		}
		if res.Status == sandbox.Withheld && len(sw.Tables) > before {
			t := sw.Tables[len(sw.Tables)-1]
			withheld = &sqlstore.WorkspaceTable{Name: t.Name, Source: t.Source, PersonKey: t.PersonKey, Rows: int64(res.Shape.Rows)}
			for _, c := range t.Columns {
				withheld.Columns = append(withheld.Columns, sqlstore.WorkspaceColumn{Name: c.Name, Type: c.Type, Policy: string(c.Policy), Derived: c.Derived})
			}
			out.Table = t.Name
		}
	}
	if q.Status == string(sandbox.Rejected) && len(unavailable) > 0 && hasCode(q.Reasons, "unknown_table") {
		q.Reasons = append(q.Reasons, shuyu.QueryReason{Code: "suspended",
			Message: fmt.Sprintf("表 %s 的数据供给已暂停或尚未挂接，暂不能查询", strings.Join(unavailable, "、"))})
	}
	if q.Status == string(sandbox.Rejected) {
		// R2.1: say so when the refusal may come from a secret mark (the
		// store already withdrew the table or the fields).
		var marked []string
		for _, g := range ws.Grants {
			if g.Secret {
				marked = append(marked, g.Table)
			}
			for _, f := range g.SecretFields {
				marked = append(marked, g.Table+"."+f)
			}
		}
		if len(marked) > 0 {
			q.Reasons = append(q.Reasons, shuyu.QueryReason{Code: "secret",
				Message: fmt.Sprintf("%s 已被标记为国家秘密或工作秘密，不得再使用", strings.Join(marked, "、"))})
		}
	}
	for _, r := range q.Reasons {
		q.Rules = append(q.Rules, r.Code)
	}
	if q.Status != string(sandbox.Rejected) {
		q.ConsentUses = used
	}
	// Recorded even when ctx ended meanwhile: what ran is history (R27.1).
	if err := s.DB.RecordWorkspaceQuery(context.WithoutCancel(ctx), actor, q, withheld, releases); err != nil {
		return nil, err
	}
	return finish(out, q), nil
}

// scanned estimates the rows a query read when the engine cannot (its
// sources are views): the sizes of the workspace tables its text names
// (R14.2, best effort).
func (s *Service) scanned(ctx context.Context, sw *sandbox.Workspace, sqlText string) int64 {
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(sqlText), func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		words[w] = true
	}
	var total int64
	for _, t := range sw.Tables {
		if !words[strings.ToLower(t.Name)] || strings.HasPrefix(t.Name, "result_") || strings.Contains(t.Source, ".") {
			continue // a withheld result's size is a figure about people (R28.3)
		}
		src := t.Source
		if strings.HasPrefix(src, "_cv_") {
			src = t.Name // a consent view over the entry (consent.go): the entry's size, as elsewhere
		}
		if v, err := s.Vault.Current(ctx, src); err == nil {
			total += v.Rows
			continue
		}
		var n sql.NullInt64
		if conn, err := s.Vault.Locked(ctx); err == nil {
			if conn.QueryRowContext(ctx, "SELECT estimated_size FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", t.Source).Scan(&n) == nil {
				total += n.Int64
			}
			conn.Close()
		}
	}
	return total
}

func finish(out *Result, q *shuyu.WorkspaceQuery) *Result {
	out.ID, out.Status, out.Reasons = q.ID, q.Status, q.Reasons
	if out.Reasons == nil {
		out.Reasons = []shuyu.QueryReason{}
	}
	out.CPUMicros, out.Scanned = q.CPUMicros, q.RowsScanned
	return out
}

func hasCode(rs []shuyu.QueryReason, code string) bool {
	for _, r := range rs {
		if r.Code == code {
			return true
		}
	}
	return false
}

func shape(s sandbox.Shape) shuyu.QueryShape {
	out := shuyu.QueryShape{Rows: s.Rows, Suppressed: s.Suppressed, Table: s.Table, SQLHash: s.SQLHash, Columns: []shuyu.ShapeColumn{}}
	for _, c := range s.Columns {
		out.Columns = append(out.Columns, shuyu.ShapeColumn{Name: c.Name, Type: c.Type})
	}
	return out
}

// querySimulated runs a single SELECT over the workspace's simulated
// database, which holds nothing but twins, and returns up to MaxRows rows.
func (s *Service) querySimulated(ctx context.Context, actor *shuyu.Actor, ws *shuyu.Workspace, sqlText string) (*Result, error) {
	s.mu.Lock()
	_, open := s.sims[ws.ID]
	s.mu.Unlock()
	if !open {
		// Twins are generated on first use; the lock is ours already.
		if err := s.ensureLocked(ctx, actor, ws); err != nil {
			return nil, err
		}
	}
	sim, err := s.sim(ws.ID)
	if err != nil {
		return nil, err
	}
	start, cpu0 := time.Now(), cpuTime() // metering only (R14.2)
	conn, err := sim.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	q := &shuyu.WorkspaceQuery{WorkspaceID: ws.ID, SQL: sqlText, Data: shuyu.DataSimulated}
	out := &Result{Data: shuyu.DataSimulated, Columns: []string{}, Rows: [][]any{}}
	run, tables, why, err := checkSimulated(ctx, conn, sqlText)
	if err != nil {
		return nil, err
	}
	if why != nil {
		q.Status, q.Reasons = string(sandbox.Rejected), []shuyu.QueryReason{{Code: why.Code, Message: why.Message}}
	} else {
		qctx, cancel := context.WithTimeout(ctx, s.timeout())
		cols, types, rows, more, err := readRows(qctx, conn, run, s.maxRows())
		cancel()
		if err != nil {
			q.Status, q.Reasons = string(sandbox.Rejected), []shuyu.QueryReason{{Code: "execution", Message: simError(err)}}
		} else {
			q.Status = string(sandbox.Released)
			q.Reasons = []shuyu.QueryReason{{Code: "simulated", Message: "仿真数据，可自由查看和下载；不是真实数据 (simulated data)"}}
			out.Columns, out.Rows, out.Truncated = cols, rows, more
			q.Shape.Rows, q.RowsReturned = len(rows), int64(len(rows))
			for i := range cols {
				q.Shape.Columns = append(q.Shape.Columns, shuyu.ShapeColumn{Name: cols[i], Type: types[i]})
			}
			q.RowsScanned = s.simRows(ctx, conn, tables)
		}
	}
	q.CPUMicros, q.WallMicros = (cpuTime() - cpu0).Microseconds(), time.Since(start).Microseconds()
	for _, r := range q.Reasons {
		q.Rules = append(q.Rules, r.Code)
	}
	if err := s.DB.RecordWorkspaceQuery(ctx, actor, q, nil, nil); err != nil {
		return nil, err
	}
	return finish(out, q), nil
}

func (s *Service) maxRows() int {
	if s.MaxRows > 0 {
		return s.MaxRows
	}
	return 1000
}

// simError explains a failed simulated query. Simulated values are not
// secret, but DuckDB's messages are English and long: keep the first line.
func simError(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return "查询执行失败 (query failed): " + msg
}

// simRows sums the sizes of the twins a simulated query read (R14.2).
func (s *Service) simRows(ctx context.Context, conn *sql.Conn, tables []string) int64 {
	var total int64
	for _, t := range tables {
		var n sql.NullInt64
		if conn.QueryRowContext(ctx, "SELECT estimated_size FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", t).Scan(&n) == nil {
			total += n.Int64
		}
	}
	return total
}

// cpuTime is the process's user+system CPU time (R14.2 metering; DuckDB
// works on its own threads, so per-query accounting is process-wide).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// meterStep rounds a duration up to whole 10 ms, in microseconds.
func meterStep(d time.Duration) int64 {
	const step = 10 * time.Millisecond
	if d <= 0 {
		return 0
	}
	return int64((d+step-1)/step*step) / int64(time.Microsecond)
}
