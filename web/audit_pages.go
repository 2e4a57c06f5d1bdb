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
	"shuyu/audit"
)

// uiAuditPages: the audit trail for the audit administrator and the
// regulators (R27.1, R28.1, R30.1), and the system administrator's status
// page with the signed checkpoints.
func (s *Server) uiAuditPages() {
	s.page("GET /audit", pageOpts{Nav: "nav.audit", Group: "nav.group.audit", Action: shuyu.ActAuditRead, Desc: "nav.audit.desc"}, s.uiAudit)
	s.page("POST /audit/verify", pageOpts{Action: shuyu.ActAuditVerify}, s.uiAuditVerify)
	s.page("GET /system", pageOpts{Nav: "nav.system", Group: "nav.group.system", Action: shuyu.ActSystemRead, Desc: "nav.system.desc"}, s.uiSystem)
	s.page("POST /system/checkpoint", pageOpts{Action: shuyu.ActSystemOperate}, s.uiCheckpoint)
}

const auditPageSize = 50

type auditData struct {
	Events []shuyu.Event
	Form   *uiForm
	Pager  *pager
	// Export links carry the current filter (the API accepts the session
	// cookie on GET).
	ExportCSV, ExportJSONL string
	Actions                []string
}

// uiAudit searches the trail with the API's filter (the search is itself
// recorded as audit.read by the store).
func (s *Server) uiAudit(w http.ResponseWriter, r *http.Request) error {
	f := &uiForm{Values: r.URL.Query(), Status: http.StatusOK}
	d := auditData{Form: f, Actions: auditActionKeys()}
	filter, err := eventFilter(r.URL.Query())
	if err == nil {
		filter.Limit = auditPageSize
		d.Events, err = s.db.Events(r.Context(), uiActor(r), filter, false)
	}
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderStatus(w, r, f.Status, "audit/list.html", d)
	}
	d.Pager = &pager{Shown: len(d.Events)}
	if r.URL.Query().Get("before_seq") != "" {
		d.Pager.First = withQuery(r, "before_seq", "")
	}
	if len(d.Events) == auditPageSize {
		d.Pager.Next = withQuery(r, "before_seq", strconv.FormatInt(d.Events[len(d.Events)-1].Seq, 10))
	}
	q := url.Values{}
	for _, k := range []string{"action", "object_type", "object_id", "actor", "from", "to"} {
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

// auditActionKeys lists the actions that have a label, for the search
// field's suggestions.
func auditActionKeys() []string {
	var out []string
	for k := range i18nOnce().msgs {
		if a, ok := strings.CutPrefix(k, "audit.action."); ok {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

func (s *Server) uiAuditVerify(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.db.VerifyAuditAs(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	return s.render(w, r, "audit/verify.html", struct{ Report audit.Report }{rep})
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
