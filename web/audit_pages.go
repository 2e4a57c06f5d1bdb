package web

import (
	"context"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// uiAuditPages: the audit trail for the audit administrator and the
// regulators (R27.1, R28.1, R30.1), and the system administrator's status
// page with the signed checkpoints.
func (s *Server) uiAuditPages() {
	s.auditCoreLinks()
	s.page("GET /audit", pageOpts{Nav: "nav.audit", Group: "nav.group.audit", Action: shuyu.ActAuditRead, Desc: "nav.audit.desc"}, s.uiAudit)
	s.page("POST /audit/verify", pageOpts{Action: shuyu.ActAuditVerify}, s.uiAuditVerify)
	s.page("GET /system", pageOpts{Nav: "nav.system", Group: "nav.group.system", Action: shuyu.ActSystemRead, Desc: "nav.system.desc"}, s.uiSystem)
	s.page("POST /system/checkpoint", pageOpts{Action: shuyu.ActSystemOperate}, s.uiCheckpoint)
}

const auditPageSize = 50

type auditData struct {
	Rows []auditRow
	Form *uiForm
	List *listView
	// Export links carry the current filter (the API accepts the session
	// cookie on GET).
	ExportCSV, ExportJSONL string
}

// uiAudit shows the trail as sentences with filters by person, org,
// action, object and time, a total and page numbers, and exports the
// selection as .xlsx (format=xlsx). Searching and exporting are themselves
// recorded by the store (audit.read, audit.export).
func (s *Server) uiAudit(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	f := &uiForm{Values: r.URL.Query(), Status: http.StatusOK}
	d := auditData{Form: f}
	orgs, err := s.db.OrgNames(r.Context())
	if err != nil {
		return err
	}
	filter, ferr := auditPageFilter(r.URL.Query())
	if ferr == nil && r.URL.Query().Get("format") == "xlsx" {
		return s.auditExportXLSX(w, r, filter)
	}
	var evs []shuyu.Event
	total := int64(0)
	d.List = newListView(r, 0, auditPageSize)
	if ferr == nil {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		filter.Limit, filter.Offset = auditPageSize, max(page-1, 0)*auditPageSize
		evs, total, ferr = s.db.EventsPage(r.Context(), uiActor(r), filter)
		if ferr == nil && filter.Offset > 0 && len(evs) == 0 && total > 0 {
			// a page past the end: show the last one
			filter.Offset = newListView(r, int(total), auditPageSize).Offset(auditPageSize)
			evs, total, ferr = s.db.EventsPage(r.Context(), uiActor(r), filter)
		}
	}
	if ferr == nil {
		d.List = newListView(r, int(total), auditPageSize)
		d.Rows, ferr = s.auditRows(r.Context(), lang, uiActor(r), evs)
	}
	d.List.Filters = auditFilters(lang, r, orgs)
	d.List.Export = listURL(r, map[string]string{"format": "xlsx", "page": ""})
	if ferr != nil {
		if e := f.fail(lang, ferr); e != nil {
			return e
		}
		return s.renderStatus(w, r, f.Status, "audit/list.html", d)
	}
	q := url.Values{}
	for _, k := range []string{"action", "object_type", "object_id", "actor", "org", "from", "to"} {
		if v := strings.TrimSpace(r.URL.Query().Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	q.Set("format", "csv")
	d.ExportCSV = "/api/v1/audit/export?" + q.Encode()
	q.Set("format", "jsonl")
	d.ExportJSONL = "/api/v1/audit/export?" + q.Encode()
	return s.render(w, r, "audit/list.html", d)
}

// auditPageFilter is the API's filter plus the page's org parameter.
func auditPageFilter(q url.Values) (sqlstore.EventFilter, error) {
	f, err := eventFilter(q)
	if err != nil {
		return f, err
	}
	if v := strings.TrimSpace(q.Get("org")); v != "" {
		n, e := strconv.ParseInt(v, 10, 64)
		if e != nil || n <= 0 {
			return f, shuyu.Errorf(shuyu.EINVALID, "机构参数有误 (org must be an organization id)")
		}
		f.OrgID = n
	}
	f.Actor = strings.TrimSpace(f.Actor)
	// An action chosen from the list is that action, not every action it
	// is a prefix of (auth.login is not auth.login_failed).
	f.ExactAction = f.Action != "" && hasKey("audit.action."+f.Action)
	return f, nil
}

// auditFilters are the trail's filters: person, organization, action and
// object kind by their labels, object number and a time range.
func auditFilters(lang string, r *http.Request, orgs []sqlstore.OrgName) []listFilterView {
	q := r.URL.Query()
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	orgOpts := make([]listOption, len(orgs))
	for i, o := range orgs {
		orgOpts[i] = listOption{Value: strconv.FormatInt(o.ID, 10), Label: o.Name}
	}
	return []listFilterView{
		{Name: "actor", Label: T(lang, "audit.filter.actor"), Value: get("actor")},
		{Name: "org", Label: T(lang, "audit.filter.org"), Value: get("org"), Options: orgOpts},
		{Name: "action", Label: T(lang, "audit.action"), Value: get("action"), Options: auditLabelled(lang, "audit.action.")},
		{Name: "object_type", Label: T(lang, "audit.filter.kind"), Value: get("object_type"), Options: auditLabelled(lang, "audit.kind.")},
		{Name: "object_id", Label: T(lang, "audit.filter.number"), Value: get("object_id")},
		{Name: "from", Label: T(lang, "audit.from"), Value: get("from"), Date: true},
		{Name: "to", Label: T(lang, "audit.to"), Value: get("to"), Date: true},
	}
}

// auditLabelled lists the values that have a label under prefix, as
// options sorted by label.
func auditLabelled(lang, prefix string) []listOption {
	var out []listOption
	for k := range i18nOnce().msgs {
		if v, ok := strings.CutPrefix(k, prefix); ok {
			out = append(out, listOption{Value: v, Label: T(lang, k)})
		}
	}
	slices.SortFunc(out, func(a, b listOption) int { return strings.Compare(a.Label, b.Label) })
	return out
}

// auditExportXLSX writes the selected events as sentences and columns.
func (s *Server) auditExportXLSX(w http.ResponseWriter, r *http.Request, f sqlstore.EventFilter) error {
	lang := uiLang(r)
	evs, err := s.db.Events(r.Context(), uiActor(r), f, true)
	if err != nil {
		return err
	}
	rows, err := s.auditRows(r.Context(), lang, uiActor(r), evs)
	if err != nil {
		return err
	}
	header := []string{T(lang, "audit.seq"), T(lang, "audit.time"), T(lang, "audit.actor"), T(lang, "audit.filter.org"),
		T(lang, "audit.role"), T(lang, "audit.action"), T(lang, "audit.object"), T(lang, "form.reason"), T(lang, "audit.sentence.col"),
		T(lang, "audit.account"), T(lang, "audit.actioncode"), T(lang, "audit.object_type"), T(lang, "audit.object_id"),
		T(lang, "audit.detail"), T(lang, "audit.ip"), T(lang, "audit.hash")}
	out := make([][]any, len(rows))
	for i, a := range rows {
		e := a.Event
		out[i] = []any{e.Seq, listCell(e.Time), a.Who, a.Org, a.Role, a.Action, a.Object, a.Reason, a.Sentence,
			e.ActorName, e.Action, e.ObjectType, e.ObjectID, e.Detail, e.ClientIP, hexs(e.Hash)}
	}
	return writeListXLSX(w, T(lang, "audit.export.name"), header, out)
}

// auditVerifyData is the integrity check's outcome for the page.
type auditVerifyData struct {
	Check sqlstore.AuditCheck
	// LastAt is when the last verified checkpoint was signed.
	LastAt   time.Time
	Problem  string // the first failure, in the reader's language
	Findings []string
}

func (s *Server) uiAuditVerify(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	rep, err := s.db.VerifyAuditAs(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	d := auditVerifyData{Check: rep, Problem: uiMessage(lang, rep.Problem)}
	cps, err := s.db.Checkpoints(r.Context())
	if err != nil {
		return err
	}
	for _, c := range cps {
		if c.Seq == rep.LastCheckpoint {
			d.LastAt = c.Time
		}
	}
	for _, f := range rep.Findings {
		d.Findings = append(d.Findings, uiMessage(lang, f.Message))
	}
	return s.render(w, r, "audit/verify.html", d)
}

type systemData struct {
	DBOK        bool
	Dialect     string
	DataDir     string
	GoVersion   string
	LastSeq     int64
	PublicKey   string
	Checkpoints []shuyu.Checkpoint
}

func (s *Server) uiSystem(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	d := systemData{Dialect: string(s.db.Dialect()), DataDir: s.db.DataDir(), GoVersion: runtime.Version(),
		PublicKey: hexs(s.db.PublicKey())}
	d.DBOK = s.db.SQL().PingContext(ctx) == nil
	var err error
	if d.LastSeq, err = s.db.LastSeq(r.Context()); err != nil {
		return err
	}
	cps, err := s.db.Checkpoints(r.Context())
	if err != nil {
		return err
	}
	slices.Reverse(cps) // newest first
	d.Checkpoints = cps[:min(len(cps), 20)]
	return s.render(w, r, "system.html", d)
}

func (s *Server) uiCheckpoint(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	cp, err := s.db.Checkpoint(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	if cp == nil {
		return s.redirectFlash(w, r, "/system", "info", T(lang, "system.checkpoint.none"))
	}
	return s.redirectFlash(w, r, "/system", "ok", Tf(lang, "system.checkpoint.done", cp.Seq))
}
