// Package output is the output check (出域核查) as a service: products are
// built inside the sealed domain from released workspace results, checked by
// package outcheck under the approved rules, and delivered with a
// per-recipient fingerprint only after filing (R17.1, R23.1, R23.2, R27.1).
// The web server and the demo call it; it knows nothing of HTTP.
package output

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"shuyu"
	"shuyu/outcheck"
	"shuyu/sqlstore"
	"shuyu/vault"
	"shuyu/workspace"
)

// Service ties the output check together (出域核查, R17.1, R23.2):
// products are materialized inside the sealed domain from released
// workspace results, checked there by package outcheck under the approved
// rules (R23.1), and delivered with a per-recipient fingerprint only after
// filing (R27.1).
type Service struct {
	db    *sqlstore.DB
	vault *vault.Domain      // nil: the server runs without a data domain
	ws    *workspace.Service // runs the governed queries products are built from

	mu       sync.Mutex
	progress map[int64]*CheckProgress // the last check of each product run here
}

// New returns the service; it does no I/O. ws is the workspace service whose
// per-workspace locks the product builder shares with the workbench.
func New(db *sqlstore.DB, v *vault.Domain, ws *workspace.Service) *Service {
	return &Service{db: db, vault: v, ws: ws}
}

func (o *Service) domain() error {
	if o.vault == nil {
		return shuyu.Errorf(shuyu.ECONFLICT, "数据域未启用 (data domain not available)")
	}
	return nil
}

// TableSpec is what a merchant asks to add to a product: a released query
// of the product's workspace, a table name, and whether it is aggregate
// statistics with which count columns (cell rules, R28.3).
type TableSpec struct {
	QueryID   int64    `json:"query_id"`
	Name      string   `json:"name"`
	Aggregate bool     `json:"aggregate"`
	Counts    []string `json:"counts"`
}

// AddFromQuery materializes a released query's result as a product table
// inside the domain. The query is re-run through the governed engine as the
// merchant (recorded and audited like any query), so what the product holds
// is exactly what disclosure control releases today, never raw rows (R4.2).
func (o *Service) AddFromQuery(ctx context.Context, a *shuyu.Actor, id int64, spec TableSpec) (*shuyu.Product, error) {
	if err := o.domain(); err != nil {
		return nil, err
	}
	p, err := o.db.ProductFor(ctx, a, shuyu.ActProductCreate, id)
	if err != nil {
		return nil, err
	}
	if p.StoredStatus != shuyu.ProductDraft {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "只有草稿状态的产品可以添加数据表 (only drafts change)")
	}
	qs, err := o.db.WorkspaceQueries(ctx, a, p.WorkspaceID, 500)
	if err != nil {
		return nil, err
	}
	var q *shuyu.WorkspaceQuery
	for i := range qs {
		if qs[i].ID == spec.QueryID {
			q = &qs[i]
		}
	}
	if q == nil {
		return nil, shuyu.Errorf(shuyu.EINVALID, "工作区中没有这条查询 (no such query in the workspace)").
			WithDetails([]shuyu.FieldError{{Field: "query_id", Message: "查询不存在"}})
	}
	if q.Status != "released" || q.Data != shuyu.DataReal {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "只能使用已通过披露控制并放行的真实数据查询结果 (only released real-data results)")
	}
	res, err := o.ws.Query(ctx, a, p.WorkspaceID, q.SQL, shuyu.DataReal)
	if err != nil {
		return nil, err
	}
	if res.Status != "released" {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "重新运行该查询未被放行，不能生成产品表 (re-run not released)").WithDetails(res.Reasons)
	}
	if spec.Name == "" {
		spec.Name = fmt.Sprintf("t%d", spec.QueryID)
	}
	types := map[string]string{}
	if again, err := o.db.WorkspaceQueries(ctx, a, p.WorkspaceID, 5); err == nil {
		for _, x := range again {
			if x.ID == res.ID {
				for _, c := range x.Shape.Columns {
					types[c.Name] = c.Type
				}
			}
		}
	}
	sources, err := o.querySources(ctx, a, p.WorkspaceID, q.SQL)
	if err != nil {
		return nil, err
	}
	t := shuyu.ProductTable{Name: spec.Name, QueryID: q.ID, RerunID: res.ID, SQL: q.SQL, Aggregate: spec.Aggregate,
		Counts: spec.Counts, Sources: sources}
	for _, c := range res.Columns {
		t.Columns = append(t.Columns, shuyu.ProductColumn{Name: c, Type: cmpOrStr(types[c], "VARCHAR")})
	}
	return o.addRows(ctx, a, p, t, res.Columns, res.Rows)
}

// addRows writes rows as the product's next table inside the domain and
// records it; a failure to record drops the table again.
func (o *Service) addRows(ctx context.Context, a *shuyu.Actor, p *shuyu.Product, t shuyu.ProductTable, cols []string, rows [][]any) (*shuyu.Product, error) {
	for _, c := range t.Counts {
		if !slices.Contains(cols, c) {
			return nil, shuyu.Errorf(shuyu.EINVALID, "计数列 %s 不在结果中 (count column missing)", c).
				WithDetails([]shuyu.FieldError{{Field: "counts", Message: "计数列不存在"}})
		}
	}
	if t.Aggregate && len(t.Counts) == 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "统计表须指明计数列 (aggregate tables name their count columns)").
			WithDetails([]shuyu.FieldError{{Field: "counts", Message: "请指明计数列"}})
	}
	duck, n, err := o.db.NextProductTable(ctx, a, p.ID)
	if err != nil {
		return nil, err
	}
	conn, err := o.vault.Locked(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := outcheck.DuckWriteTable(ctx, conn, duck, cols, rows); err != nil {
		return nil, err
	}
	t.DuckTable, t.N, t.Rows = duck, n, int64(len(rows))
	out, err := o.db.AddProductTable(ctx, a, p.ID, t)
	if err != nil {
		outcheck.DuckDropTable(ctx, conn, duck)
		return nil, err
	}
	return out, nil
}

// querySources names the granted entries a query reads (the table names in
// its text) with their current versions (R27.1 来源可溯).
func (o *Service) querySources(ctx context.Context, a *shuyu.Actor, wsID int64, sqlText string) ([]shuyu.ProductSource, error) {
	ws, err := o.db.Workspace(ctx, a, wsID)
	if err != nil {
		return nil, err
	}
	words := map[string]bool{}
	for _, w := range regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`).FindAllString(strings.ToLower(sqlText), -1) {
		words[w] = true
	}
	var out []shuyu.ProductSource
	for _, g := range ws.Grants {
		if !words[strings.ToLower(g.Table)] {
			continue
		}
		s := shuyu.ProductSource{EntryID: g.EntryID, EntryCode: g.EntryCode, EntryName: g.EntryName, OrgID: g.OrgID}
		if v, err := o.vault.Current(ctx, g.VaultName); err == nil {
			s.Version, s.Public = v.N, v.PublicSource
		}
		if e, err := o.db.DomainEntryByCode(ctx, g.EntryCode); err == nil {
			s.Public = s.Public || e.PublicSource
		}
		out = append(out, s)
	}
	return out, nil
}

// Request asks for output and runs the automatic checks at once, inside
// the domain (R17.1, R23.2). A product left in "checking" by a crash is
// checked again on the next request.
func (o *Service) Request(ctx context.Context, a *shuyu.Actor, id int64) (*shuyu.Product, *outcheck.Report, error) {
	run, err := o.begin(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	return run(ctx)
}

// RequestInBackground is Request for a page: what can be refused (rights,
// state, rules) is refused at once, the product is put in "checking"
// (recorded and audited), and the checks run in the background while
// Progress tells how far they are; the outcome is recorded as Request
// records it. wait, when set, runs first in the background (tests hold the
// check with it). The checks outlive ctx's cancellation (the page that
// asked has long been answered), not the process: a product left in
// "checking" by a restart is checked again on the next request.
func (o *Service) RequestInBackground(ctx context.Context, a *shuyu.Actor, id int64, wait func()) (*shuyu.Product, error) {
	run, err := o.begin(ctx, a, id)
	if err != nil {
		return nil, err
	}
	p, err := o.db.ProductFor(ctx, a, shuyu.ActProductRead, id)
	if err != nil {
		return nil, err
	}
	bg := context.WithoutCancel(ctx)
	go func() {
		if wait != nil {
			wait()
		}
		run(bg) // the outcome is in the store, a failure in Progress
	}()
	return p, nil
}

// CheckProgress is how far the automatic check of a product has come on
// this server: counts only.
type CheckProgress struct {
	Running   bool      `json:"running"`
	Stage     string    `json:"stage"` // queued, index, scan, linkage, record, done, failed
	Table     int       `json:"table"` // 1-based, while scanning or linking
	Tables    int       `json:"tables"`
	Rows      int64     `json:"rows"`       // rows of the current table scanned
	TableRows int64     `json:"table_rows"` // rows of the current table
	Percent   int       `json:"percent"`    // 0–100, an estimate from tables and rows
	Error     string    `json:"error,omitempty"`
	StartedAt time.Time `json:"started_at"`
}

// Progress reports the last check of product id run by this server (false:
// none since it started).
func (o *Service) Progress(id int64) (CheckProgress, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	p, ok := o.progress[id]
	if !ok {
		return CheckProgress{}, false
	}
	return *p, true
}

func (o *Service) setProgress(id int64, f func(p *CheckProgress)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.progress == nil {
		o.progress = map[int64]*CheckProgress{}
	}
	p := o.progress[id]
	if p == nil {
		p = &CheckProgress{}
		o.progress[id] = p
	}
	f(p)
}

// begin does what Request does before the checks: authorize, request a
// draft, start the check under the approved rules. run does the rest.
func (o *Service) begin(ctx context.Context, a *shuyu.Actor, id int64) (run func(context.Context) (*shuyu.Product, *outcheck.Report, error), err error) {
	if err := o.domain(); err != nil {
		return nil, err
	}
	p, err := o.db.ProductFor(ctx, a, shuyu.ActProductRequest, id)
	if err != nil {
		return nil, err
	}
	if p.StoredStatus == shuyu.ProductDraft {
		if p, err = o.db.RequestProduct(ctx, a, id); err != nil {
			return nil, err
		}
	}
	stored, err := o.db.StartProductCheck(ctx, a, id)
	if err != nil {
		return nil, err
	}
	var rules outcheck.RuleSet
	if err := json.Unmarshal(stored.Rules, &rules); err != nil {
		return nil, fmt.Errorf("output: rules v%d: %w", stored.Version, err)
	}
	rules.Version = stored.Version
	o.setProgress(id, func(pr *CheckProgress) {
		*pr = CheckProgress{Running: true, Stage: "queued", Tables: len(p.Tables), StartedAt: time.Now()}
	})
	return func(ctx context.Context) (*shuyu.Product, *outcheck.Report, error) {
		p, rep, err := o.finish(ctx, a, p, rules)
		o.setProgress(id, func(pr *CheckProgress) {
			pr.Running, pr.Stage, pr.Percent = false, "done", 100
			if err != nil {
				pr.Stage, pr.Error = "failed", shuyu.ErrorMessage(err)
			}
		})
		return p, rep, err
	}, nil
}

// finish runs the checks and records their outcome.
func (o *Service) finish(ctx context.Context, a *shuyu.Actor, p *shuyu.Product, rules outcheck.RuleSet) (*shuyu.Product, *outcheck.Report, error) {
	rep, err := o.check(ctx, p, rules)
	if err != nil {
		return nil, nil, err
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return nil, nil, err
	}
	o.setProgress(p.ID, func(pr *CheckProgress) { pr.Stage, pr.Percent = "record", 99 })
	p, err = o.db.RecordProductCheck(ctx, a, p.ID, rep.RulesVersion, rep.Passed, rep.Failed(), b)
	return p, rep, err
}

// checkProgress turns outcheck's reports into CheckProgress: the raw index
// is the first 10 %, each table an equal share of the rest (its scan 80 %
// of the share by rows, its linkage check the remaining 20 %).
func (o *Service) checkProgress(p *shuyu.Product) func(outcheck.Progress) {
	return func(g outcheck.Progress) {
		var tableRows int64
		if g.Table >= 1 && g.Table <= len(p.Tables) {
			tableRows = p.Tables[g.Table-1].Rows
		}
		share := 90.0 / float64(max(g.Tables, 1))
		done := 10 + share*float64(g.Table-1)
		switch g.Stage {
		case outcheck.StageScan:
			if tableRows > 0 {
				done += share * 0.8 * min(float64(g.Rows)/float64(tableRows), 1)
			}
		case outcheck.StageLinkage:
			done += share * 0.8
		}
		o.setProgress(p.ID, func(pr *CheckProgress) {
			pr.Stage, pr.Table, pr.Tables, pr.Rows, pr.TableRows = g.Stage, g.Table, g.Tables, g.Rows, tableRows
			pr.Percent = min(int(done), 98)
		})
	}
}

// check runs package outcheck over the product's tables, against an index
// of the raw tables of its sources (public-source data marked, R4.3).
func (o *Service) check(ctx context.Context, p *shuyu.Product, rules outcheck.RuleSet) (*outcheck.Report, error) {
	o.setProgress(p.ID, func(pr *CheckProgress) { pr.Stage, pr.Percent = "index", 1 })
	ctx = outcheck.WithProgress(ctx, o.checkProgress(p))
	conn, err := o.vault.Locked(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	prod := &outcheck.Product{ID: fmt.Sprint(p.ID)}
	var raws []outcheck.DuckTable
	seen := map[int64]bool{}
	for _, t := range p.Tables {
		tb, err := outcheck.DuckProductTable(ctx, conn, t.DuckTable, t.Name)
		if err != nil {
			return nil, err
		}
		if t.Aggregate {
			tb.Aggregate = &outcheck.Aggregate{Counts: t.Counts}
		}
		prod.Tables = append(prod.Tables, tb)
		for _, s := range t.Sources {
			if seen[s.EntryID] {
				continue
			}
			seen[s.EntryID] = true
			e, err := o.db.DomainEntryByCode(ctx, s.EntryCode)
			if err != nil {
				return nil, err
			}
			if m, err := o.vault.Mounts(ctx, []string{e.VaultName}); err != nil || len(m) == 0 || !m[0].Mounted {
				continue
			}
			dt := outcheck.DuckTable{Name: e.VaultName, Public: s.Public || e.PublicSource}
			for _, f := range e.Fields {
				cf := shuyu.CatalogField{Name: f.Name, Label: f.Label, PI: f.PI, SensitivePI: f.SensitivePI, TradeSecret: f.TradeSecret}
				if shuyu.FieldPolicy(cf) == shuyu.PolicyIdentifier {
					dt.Identifiers = append(dt.Identifiers, f.Name)
				}
			}
			raws = append(raws, dt)
		}
	}
	var idx outcheck.RawIndex
	if len(raws) > 0 {
		// The index scans raw tables while the checks stream the product:
		// its own connection keeps the two result sets apart.
		rc, err := o.vault.Locked(ctx)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		mi, err := outcheck.BuildDuckDB(ctx, rc, raws)
		if err != nil {
			return nil, err
		}
		idx = mi
	}
	return outcheck.Check(ctx, prod, rules, idx)
}

func cmpOrStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
