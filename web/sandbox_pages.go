package web

import (
	"context"
	"fmt"
	"net/http"

	"shuyu"
	"shuyu/workspace"
)

// sandboxTones colour the workspace and query statuses (badge classes).
var sandboxTones = map[string]string{"not_started": "info", "active": "ok", "frozen": "warn", "expired": "muted", "closed": "muted",
	"released": "ok", "withheld": "warn", "rejected": "danger"}

// sandboxPages registers the SQL workbench (R14.1): the schema with each column's
// policy explained, a simulated sample (R6.1), an editor, results and the
// reasons for anything withheld or rejected, in plain Chinese.
func (s *Server) sandboxPages() {
	s.page("GET /workspaces", pageOpts{Nav: "nav.sandbox", Group: "nav.group.dev", Order: 10,
		Action: shuyu.ActWorkspaceRead, Desc: "nav.sandbox.desc",
		Count: func(ctx context.Context, a *shuyu.Actor) (int, error) {
			ws, err := s.db.Workspaces(ctx, a)
			n := 0
			for _, w := range ws {
				if w.Status == shuyu.WorkspaceActive {
					n++
				}
			}
			return n, err
		}, CountLabel: "sandbox.count.active"}, s.uiWorkspaces)
	s.page("POST /workspaces", pageOpts{Action: shuyu.ActWorkspaceOpen}, s.uiWorkspaceOpen)
	s.page("GET /workspaces/{id}", pageOpts{Action: shuyu.ActWorkspaceRead}, s.uiWorkbench)
	s.page("POST /workspaces/{id}/consents", pageOpts{Action: shuyu.ActConsentRequest}, s.uiWorkspaceConsent)
	s.page("POST /workspaces/{id}/services", pageOpts{Action: shuyu.ActServiceCreate}, s.uiWorkspaceService)
	s.page("POST /workspaces/{id}/query", pageOpts{Action: shuyu.ActWorkspaceQuery}, s.uiWorkbenchQuery)
}

func (s *Server) uiWorkspaces(w http.ResponseWriter, r *http.Request) error {
	return s.renderWorkspaces(w, r, emptyForm())
}

// renderWorkspaces shows the list, with the opening form for the operator
// (f holds a refused form's input and message).
func (s *Server) renderWorkspaces(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	ctx, a := r.Context(), uiActor(r)
	all, err := s.db.Workspaces(ctx, a)
	if err != nil {
		return err
	}
	items, list, exported, err := workspacesList(w, r, all)
	if exported || err != nil {
		return err
	}
	open, err := s.openWorkspaceForm(ctx, a, f)
	if err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "sandbox/list.html", map[string]any{"Items": items, "List": list, "Tone": sandboxTones,
		"Open": open, "Form": f})
}

// sampleView is a few rows of a table's simulated twin.
type sampleView struct {
	Columns []string
	Rows    [][]any
}

type workbenchData struct {
	WS      *workspace.Detail
	Samples map[string]*sampleView
	History any
	SQL     string
	DataSel string
	Result  *workspace.Result
	Error   string
	CanRun  bool
	Form    *uiForm
	Tone    map[string]string
	// A workspace by consent (R28.5): the live grants that open rows to
	// it now, and the form asking a subject for one (merchants).
	LiveGrants  int
	CanAsk      bool
	ConsentForm *uiForm
	// The form defining an API service over this workspace (R28.4), for
	// its merchant while the workspace is active.
	CanDefine   bool
	ServiceForm *uiForm
	Example     string // a template to start from, over the first table
}

func (s *Server) workbench(r *http.Request, id int64) (*workbenchData, error) {
	a := uiActor(r)
	ctx := r.Context()
	if shuyu.Can(a, shuyu.ActWorkspaceSimulate, shuyu.Resource{Kind: "workspace"}) {
		// First visit generates the simulated twins; a failure leaves the
		// samples empty rather than the page broken.
		if err := s.ws.EnsureSimulated(ctx, a, id); err != nil && shuyu.ErrorCode(err) != shuyu.EINTERNAL {
			return nil, err
		}
	}
	d, err := s.ws.Describe(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if uiLang(r) == langEN {
		d.English()
	}
	data := &workbenchData{WS: d, Samples: map[string]*sampleView{}, DataSel: shuyu.DataSimulated, Tone: sandboxTones,
		CanRun: shuyu.Can(a, shuyu.ActWorkspaceQuery, d.Resource()) && d.Status == shuyu.WorkspaceActive}
	for _, t := range d.Tables {
		if t.Kind != "granted" || t.Rows == 0 || !shuyu.Can(a, shuyu.ActWorkspaceSample, d.Resource()) {
			continue
		}
		if cols, rows, err := s.ws.Sample(ctx, a, id, t.Name, 5); err == nil {
			data.Samples[t.Name] = &sampleView{cols, rows}
		}
	}
	if hist, err := s.db.WorkspaceQueries(ctx, a, id, 10); err == nil {
		data.History = hist
	}
	if d.ByConsent {
		grants, err := s.db.WorkspaceConsents(ctx, id)
		if err != nil {
			return nil, err
		}
		data.LiveGrants = len(grants)
		data.CanAsk = shuyu.Can(a, shuyu.ActConsentRequest, d.Resource()) && d.Status == shuyu.WorkspaceActive
		data.ConsentForm = emptyForm()
	}
	if data.CanDefine = shuyu.Can(a, shuyu.ActServiceCreate, d.Resource()) && d.Status == shuyu.WorkspaceActive; data.CanDefine {
		data.ServiceForm = emptyForm()
		data.Example = serviceExample(d)
	}
	if len(d.Tables) > 0 {
		data.SQL = fmt.Sprintf("SELECT county, count(*) AS n\nFROM %s\nGROUP BY county", d.Tables[0].Name)
	}
	return data, nil
}

func (s *Server) uiWorkbench(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	data, err := s.workbench(r, id)
	if err != nil {
		return err
	}
	return s.render(w, r, "sandbox/workbench.html", data)
}

// uiWorkbenchQuery runs the editor's query and shows the workbench with its result.
// Released rows are shown once and not kept (only their shape is, R27.1).
func (s *Server) uiWorkbenchQuery(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	res, qerr := s.ws.Query(r.Context(), uiActor(r), id, f.Get("sql"), f.Get("data"))
	if qerr != nil && shuyu.ErrorCode(qerr) == shuyu.EINTERNAL {
		return qerr
	}
	data, err := s.workbench(r, id)
	if err != nil {
		return err
	}
	data.SQL, data.DataSel, data.Result, data.Form = f.Get("sql"), f.Get("data"), res, f
	status := http.StatusOK
	if qerr != nil {
		if ferr := f.fail(uiLang(r), qerr); ferr != nil {
			return ferr
		}
		status = f.Status
	}
	return s.renderStatus(w, r, status, "sandbox/workbench.html", data)
}
