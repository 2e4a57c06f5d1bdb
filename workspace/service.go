// Package workspace runs merchants' workspaces (开发利用环境, R14.1): it ties
// the metadata store (grants, history, metering, audit), the sealed domain
// (package vault), the governed query engine (package sandbox) and the
// simulated twins (package synth) together. Real data is reached only through
// governed queries (R4.2); simulated data lives in a separate DuckDB file per
// workspace that holds nothing else, so free queries over it cannot reach a
// real table whatever their SQL says (R6.1).
package workspace

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"shuyu"
	"shuyu/sandbox"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// Service serves workspaces. Its zero-cost constructor does no I/O, so a
// server can build it before knowing whether a domain is configured.
type Service struct {
	DB     *sqlstore.DB
	Vault  *vault.Domain // nil: real data unavailable (queries answer ECONFLICT)
	Engine *sandbox.Engine
	// Dir holds the simulated databases (Dir/ws_<id>.duckdb); "" disables
	// simulated data.
	Dir string
	// TwinRows is the size of each simulated twin; 0 means 2000.
	TwinRows int
	// MaxRows caps the rows a simulated query or sample returns; 0 means 1000.
	MaxRows int
	// Timeout bounds one query's run (its wall-clock budget); 0 means 30s.
	Timeout time.Duration
	// Limits bounds the cost of real-data queries: concurrency, queueing,
	// withheld results (scheduler.go, docs/limits.md). Set before use.
	Limits Limits

	gov      governor // scheduler, running queries, withheld quota
	mu       sync.Mutex
	sims     map[int64]*simDB
	locks    map[int64]*sync.Mutex
	releases *releaseLog
	answers  *answerCache // released answers by question and view (answercache.go)

	consent     map[int64]*consentState      // consent-gated workspaces' domain state (consent.go)
	types       map[string]map[string]string // column types by entry version
	sharedNoise bool                         // use the key ring's noise key (with a data directory)
	noiseOnce   sync.Once
	noiseErr    error
}

// New returns a service over db and the domain v; dataDir/sim holds the
// simulated databases.
func New(db *sqlstore.DB, v *vault.Domain, dataDir string, now func() time.Time) *Service {
	s := &Service{DB: db, Vault: v, Engine: sandbox.NewEngine(now), sims: map[int64]*simDB{}, locks: map[int64]*sync.Mutex{},
		releases: newReleaseLog(db), answers: newAnswerCache()}
	s.Engine.Releases = s.releases
	if dataDir != "" {
		s.Dir = filepath.Join(dataDir, "sim")
		s.sharedNoise = true
	}
	return s
}

// Close closes the simulated databases.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first error
	for id, db := range s.sims {
		if err := db.close(); err != nil && first == nil {
			first = err
		}
		delete(s.sims, id)
	}
	return first
}

// lock serializes the simulated-data work of one workspace: twin
// generation and simulated queries. Real-data queries go through the
// scheduler instead (scheduler.go).
func (s *Service) lock(id int64) func() {
	s.mu.Lock()
	m := s.locks[id]
	if m == nil {
		m = &sync.Mutex{}
		s.locks[id] = m
	}
	s.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// Table describes one table of a workspace to its merchant.
type Table struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"` // granted, withheld
	EntryCode string   `json:"entry_code,omitempty"`
	EntryName string   `json:"entry_name,omitempty"`
	Grade     string   `json:"grade,omitempty"`
	Suspended bool     `json:"suspended"`
	Mounted   bool     `json:"mounted"`
	Rows      int64    `json:"simulated_rows"` // rows of the simulated twin; 0 until generated
	Columns   []Column `json:"columns"`
	// ExpiresAt is when a withheld result is dropped from the domain.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Column is one column with its policy explained (R2.1, R28.5).
type Column struct {
	Name        string `json:"name"`
	Label       string `json:"label,omitempty"`
	Type        string `json:"type"`
	Policy      string `json:"policy"`
	PolicyLabel string `json:"policy_label"`
	Explanation string `json:"explanation"`
}

// Detail is a workspace with its tables and metering.
type Detail struct {
	*shuyu.Workspace
	Tables []Table              `json:"tables"`
	Usage  shuyu.WorkspaceUsage `json:"usage"`
	Rules  []string             `json:"rules"`
}

// PolicyText explains a column policy in plain Chinese.
var PolicyText = map[string][2]string{
	shuyu.PolicyIdentifier: {"标识符", "身份证号、姓名、电话、地址等直接识别个人的信息：不会出现在结果中，只能用于表间等值关联和计数 `count(DISTINCT …)`。"},
	shuyu.PolicyQuasi:      {"准标识符", "性别、出生日期等可间接识别个人的信息：可以分组（日期可先取年月或用 `age_band` 分段）、筛选和聚合；出生日期在条件中只能按整年划分（如 `year(birth_date) >= 1980`）；每组至少 K 人才显示。"},
	shuyu.PolicySensitive:  {"敏感", "金额、诊断等敏感信息：可以分组（金额可用 `floor(金额/500)*500` 分段）、筛选和聚合；金额在条件中只能与整齐的数比较（如 `> 10000`、`BETWEEN 500 AND 999`）；每组至少 K 人才显示，数值含少量稳定噪声，极值按多人窗口平滑。"},
	shuyu.PolicyOpen:       {"公开属性", "非个人属性，可直接分组和显示，但明细结果仍不出域。"},
}

// Describe returns the workspace, its tables with explained policies and its
// metering.
func (s *Service) Describe(ctx context.Context, actor *shuyu.Actor, id int64) (*Detail, error) {
	ws, err := s.DB.Workspace(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	tables, err := s.DB.WorkspaceTables(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	usage, err := s.DB.WorkspaceUsage(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	sim := map[string]int64{}
	d := &Detail{Workspace: ws, Usage: usage, Tables: []Table{}, Rules: rulesText(ws.K)}
	for _, t := range tables {
		if t.Kind == sqlstore.TableSimulated {
			sim[t.Name] = t.Rows
		}
	}
	for _, g := range ws.Grants {
		t := Table{Name: g.Table, Kind: "granted", EntryCode: g.EntryCode, EntryName: g.EntryName, Grade: string(g.Grade),
			Suspended: g.Suspended, Rows: sim[g.Table], Mounted: s.mounted(ctx, g.VaultName)}
		types := s.columnTypes(ctx, g.VaultName)
		for _, f := range g.Fields {
			t.Columns = append(t.Columns, explain(Column{Name: f.Name, Label: f.Label, Type: cmpOr(types[strings.ToLower(f.Name)], string(f.DataType)), Policy: f.Policy}))
		}
		d.Tables = append(d.Tables, t)
	}
	for _, t := range tables {
		if t.Kind != sqlstore.TableWithheld {
			continue
		}
		tb := Table{Name: t.Name, Kind: t.Kind, Mounted: true, ExpiresAt: s.withheldExpiry(t.CreatedAt)}
		for _, c := range t.Columns {
			if c.Name == t.PersonKey {
				continue // the hidden person key is the engine's, not the merchant's
			}
			tb.Columns = append(tb.Columns, explain(Column{Name: c.Name, Type: c.Type, Policy: c.Policy}))
		}
		d.Tables = append(d.Tables, tb)
	}
	return d, nil
}

func explain(c Column) Column {
	t := PolicyText[c.Policy]
	c.PolicyLabel, c.Explanation = t[0], t[1]
	return c
}

func rulesText(k int) []string {
	return []string{
		fmt.Sprintf("真实数据只能做统计查询：每行结果至少涉及 %d 个统计对象（个人或企业），人数不足的分组不显示。", k),
		"计数、求和、平均值含少量稳定噪声：同一批人的同一数字无论怎样写 SQL 都相同，重复查询不能把噪声平均掉。",
		"个别人贡献过大的求和会被削峰；最大值、最小值和分位数取至少 K 人窗口的平滑值，不会暴露某个人的取值。",
		"只影响极少数人的筛选条件（例如排除某一个人）不起作用，差分攻击得不到任何信息。",
		"逐行计算只能改变取值形式（取年月、分段、四则运算）；条件判断请写在 `WHERE`、`FILTER (WHERE …)` 或 `HAVING` 中。",
		"出生日期等可识别个人的日期在条件中只能按整年划分（如 `year(出生日期) <= 1966`）；年龄段和按月统计请把 `age_band(出生日期, 10)`、`to_month(出生日期)` 写在 `GROUP BY` 中。",
		"金额、收入等敏感数值在条件和分段中只能用整齐的数（至多两位有效数字，如 10000、1500、0.5），分段宽度取 1、2、5 乘以 10 的幂（如 500、1000）。",
		"明细级查询不返回数据，结果保存为工作区表，可在后续统计查询中使用；明细结果有数量上限和保存期限。",
		"仿真数据可自由查询、预览和下载，用于开发调试。",
		"可用脱敏和泛化函数：`mask_hash(x)`、`mask_partial(x, 前, 后)`、`age_band(日期, 宽度)`、`to_month(日期)`、`to_year(日期)`、`county_of(代码)`。",
	}
}

// policyTextEN is PolicyText in English.
var policyTextEN = map[string][2]string{
	shuyu.PolicyIdentifier: {"Identifier", "ID numbers, names, phones, addresses and other direct identifiers: never in a result; only for joining tables on equality and for counting with `count(DISTINCT …)`."},
	shuyu.PolicyQuasi:      {"Quasi-identifier", "Gender, birth date and other indirect identifiers: may be grouped (dates by month or with `age_band`), filtered and aggregated; a birth date splits people in conditions by whole years only (`year(birth_date) >= 1980`); a group is shown only with at least K people."},
	shuyu.PolicySensitive:  {"Sensitive", "Amounts, diagnoses and other sensitive data: may be grouped (amounts in bins such as `floor(amount/500)*500`), filtered and aggregated; amounts are compared in conditions with round numbers only (`> 10000`, `BETWEEN 500 AND 999`); a group is shown only with at least K people, figures carry a little stable noise, extremes are smoothed over windows of several people."},
	shuyu.PolicyOpen:       {"Open attribute", "Not personal: may be grouped and shown directly, but row-level results still stay in the domain."},
}

func rulesTextEN(k int) []string {
	return []string{
		fmt.Sprintf("Real data answers statistical queries only: every result row covers at least %d units (people or companies); smaller groups are not shown.", k),
		"Counts, sums and averages carry a little stable noise: the same figure about the same people is the same however the SQL is written, so repeating a query cannot average the noise away.",
		"Sums dominated by a few people are flattened; minimum, maximum and quantiles are smoothed over windows of at least K people and never show one person's value.",
		"Conditions that affect very few people (such as excluding one person) have no effect, so differencing learns nothing.",
		"Row expressions may only reshape values (month of a date, bins, arithmetic); put conditions in `WHERE`, `FILTER (WHERE …)` or `HAVING`.",
		"Birth dates and other dates that identify people split people in conditions by whole years only (`year(birth_date) <= 1966`); put age bands and months in `GROUP BY` (`age_band(birth_date, 10)`, `to_month(birth_date)`).",
		"Amounts, incomes and other sensitive numbers are compared and binned with round numbers only (at most two significant digits, e.g. 10000, 1500, 0.5); bin widths are 1, 2 or 5 times a power of ten (500, 1000).",
		"Row-level queries return no data: the result is kept as a workspace table for later statistical queries, with a quota and an expiry.",
		"Simulated data may be queried, previewed and downloaded freely for development.",
		"Masking and generalizing functions: `mask_hash(x)`, `mask_partial(x, head, tail)`, `age_band(date, width)`, `to_month(date)`, `to_year(date)`, `county_of(code)`.",
	}
}

// English replaces the rules and the columns' policy explanations of d by
// their English versions, for a page shown in English.
func (d *Detail) English() {
	d.Rules = rulesTextEN(d.K)
	for i := range d.Tables {
		for j := range d.Tables[i].Columns {
			c := &d.Tables[i].Columns[j]
			if t, ok := policyTextEN[c.Policy]; ok {
				c.PolicyLabel, c.Explanation = t[0], t[1]
			}
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// mounted reports whether the entry has data in the domain.
func (s *Service) mounted(ctx context.Context, vaultName string) bool {
	if s.Vault == nil {
		return false
	}
	_, err := s.Vault.Current(ctx, vaultName)
	return err == nil
}

// versionTypes is columnTypes for one version of an entry: versions never
// change, so their types are read once.
func (s *Service) versionTypes(ctx context.Context, vaultName, version string) map[string]string {
	s.mu.Lock()
	t, ok := s.types[version]
	s.mu.Unlock()
	if ok {
		return t
	}
	t = s.columnTypes(ctx, vaultName)
	if len(t) > 0 {
		s.mu.Lock()
		if s.types == nil {
			s.types = map[string]map[string]string{}
		}
		s.types[version] = t
		s.mu.Unlock()
	}
	return t
}

// columnTypes reads the DuckDB types of an entry's view.
func (s *Service) columnTypes(ctx context.Context, vaultName string) map[string]string {
	out := map[string]string{}
	if s.Vault == nil {
		return out
	}
	conn, err := s.Vault.Locked(ctx)
	if err != nil {
		return out
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ?`, vaultName)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var n, t string
		if rows.Scan(&n, &t) == nil {
			out[strings.ToLower(n)] = t
		}
	}
	return out
}

// sandboxWorkspace builds the engine's view of a workspace: the granted
// tables that are mounted and not suspended, with the policies derived at
// opening, and the withheld results made so far.
func (s *Service) sandboxWorkspace(ctx context.Context, actor *shuyu.Actor, ws *shuyu.Workspace) (*sandbox.Workspace, []string, error) {
	sw, unavailable, _, err := s.gatedWorkspace(ctx, actor, ws)
	return sw, unavailable, err
}

// gatedWorkspace is sandboxWorkspace with, in a workspace opened by consent,
// the tables pointed at the consent views and the gate to materialize
// before running (consent.go, R28.5).
func (s *Service) gatedWorkspace(ctx context.Context, actor *shuyu.Actor, ws *shuyu.Workspace) (*sandbox.Workspace, []string, *consentGate, error) {
	sw, unavailable, err := s.plainWorkspace(ctx, actor, ws)
	if err != nil || !ws.ByConsent {
		return sw, unavailable, nil, err
	}
	gate, err := s.gateTables(ctx, ws, sw)
	if err != nil {
		return nil, nil, nil, err
	}
	return sw, unavailable, gate, nil
}

func (s *Service) plainWorkspace(ctx context.Context, actor *shuyu.Actor, ws *shuyu.Workspace) (*sandbox.Workspace, []string, error) {
	secret, err := s.DB.WorkspaceSecret(ctx, actor, ws.ID)
	if err != nil {
		return nil, nil, err
	}
	sw := &sandbox.Workspace{ID: engineID(ws.ID), K: ws.K, Secret: secret, Epsilon: ws.Epsilon}
	var unavailable []string
	for _, g := range ws.Grants {
		var cur *vault.Version
		if !g.Suspended && s.Vault != nil {
			cur, _ = s.Vault.Current(ctx, g.VaultName)
		}
		if cur == nil {
			unavailable = append(unavailable, g.Table)
			continue
		}
		version := fmt.Sprintf("%s@%d", g.VaultName, cur.N)
		types := s.versionTypes(ctx, g.VaultName, version)
		t := sandbox.Table{Name: g.Table, Source: g.VaultName, PersonKey: g.PersonKey, OnePerPerson: g.OneEach, Version: version}
		for _, f := range g.Fields {
			t.Columns = append(t.Columns, sandbox.Column{Name: f.Name, Type: cmpOr(types[strings.ToLower(f.Name)], "VARCHAR"),
				Policy: sandbox.Policy(f.Policy)})
		}
		sw.Tables = append(sw.Tables, t)
	}
	tables, err := s.DB.WorkspaceTables(ctx, actor, ws.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, wt := range tables {
		if wt.Kind != sqlstore.TableWithheld {
			continue
		}
		t := sandbox.Table{Name: wt.Name, Source: wt.Source, PersonKey: wt.PersonKey, Version: fmt.Sprintf("withheld#%d", wt.ID)}
		for _, c := range wt.Columns {
			t.Columns = append(t.Columns, sandbox.Column{Name: c.Name, Type: c.Type, Policy: sandbox.Policy(c.Policy), Derived: c.Derived})
		}
		sw.Tables = append(sw.Tables, t)
	}
	return sw, unavailable, nil
}

// engineID is the workspace's name in the engine (and its withheld tables').
func engineID(id int64) string { return fmt.Sprintf("w%d", id) }
