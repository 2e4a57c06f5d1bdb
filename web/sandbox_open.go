package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"shuyu"
	"shuyu/dataservice"
	"shuyu/workday"
	"shuyu/workspace"
)

// The workspace forms: the operator opens a workspace from the list page
// (R14.1), optionally "by consent" (R28.5), as POST /api/v1/workspaces
// does; in a workspace opened by consent the merchant sees how many live
// grants open rows to it and asks a person or a company for one, as
// POST /api/v1/consents does. The store and the data service decide;
// these handlers only read the form.

// openWorkspaceData fills the list page's opening form.
type openWorkspaceData struct {
	Form      *uiForm
	Merchants []*shuyu.Org
	Entries   []*shuyu.CatalogEntry // published: the ones a workspace may be opened over
}

// openWorkspaceForm loads the choices of the opening form for an actor who
// may open workspaces; nil for everyone else.
func (s *Server) openWorkspaceForm(ctx context.Context, a *shuyu.Actor, f *uiForm) (*openWorkspaceData, error) {
	if !shuyu.Can(a, shuyu.ActWorkspaceOpen, shuyu.Resource{Kind: "workspace"}) {
		return nil, nil
	}
	merchants, err := s.db.Orgs(ctx, a, shuyu.OrgMerchant)
	if err != nil {
		return nil, err
	}
	all, err := s.db.PublishedCatalog(ctx)
	if err != nil {
		return nil, err
	}
	return &openWorkspaceData{Form: f, Merchants: merchants, Entries: all}, nil
}

// formTerm reads a term of whole days in Beijing time from two date fields:
// from the start of the first day to the end of the last.
func formTerm(f *uiForm, fromField, toField string) (time.Time, time.Time, error) {
	var fe []shuyu.FieldError
	from, err := time.ParseInLocation(time.DateOnly, f.Get(fromField), workday.Zone)
	if err != nil {
		fe = append(fe, shuyu.FieldError{Field: fromField, Message: "请填写开始日期"})
	}
	to, err := time.ParseInLocation(time.DateOnly, f.Get(toField), workday.Zone)
	if err != nil {
		fe = append(fe, shuyu.FieldError{Field: toField, Message: "请填写结束日期"})
	}
	if len(fe) > 0 {
		return time.Time{}, time.Time{}, shuyu.Errorf(shuyu.EINVALID, "使用期限有误 (invalid term)").WithDetails(fe)
	}
	return from, to.AddDate(0, 0, 1).Add(-time.Microsecond), nil
}

// uiWorkspaceOpen opens a workspace from the list page's form.
func (s *Server) uiWorkspaceOpen(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	lang, a := uiLang(r), uiActor(r)
	g := shuyu.WorkspaceGrant{Name: f.Get("name"), ByConsent: f.Get("by_consent") != ""}
	g.OrgID, _ = strconv.ParseInt(f.Get("org_id"), 10, 64)
	for _, code := range f.Values["entries"] {
		if code = strings.TrimSpace(code); code != "" {
			g.Entries = append(g.Entries, shuyu.GrantEntry{EntryCode: code})
		}
	}
	if k := f.Get("k"); k != "" {
		if g.K, err = strconv.Atoi(k); err != nil {
			err = shuyu.Errorf(shuyu.EINVALID, "K 须为整数 (K must be a whole number)").
				WithDetails([]shuyu.FieldError{{Field: "k", Message: "K 须为整数"}})
		}
	}
	var ws *shuyu.Workspace
	if err == nil {
		if g.StartsAt, g.EndsAt, err = formTerm(f, "starts_at", "ends_at"); err == nil {
			ws, err = s.db.OpenWorkspace(r.Context(), a, g)
		}
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.renderWorkspaces(w, r, f)
	}
	return s.redirectFlash(w, r, "/workspaces/"+strconv.FormatInt(ws.ID, 10), "ok", T(lang, "sandbox.open.done"))
}

// uiWorkspaceConsent asks a subject for a grant for this workspace: the
// code goes to the subject's mobile (the demo's outbox), never to the
// merchant, who is told the grant's number.
func (s *Server) uiWorkspaceConsent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	lang := uiLang(r)
	ask := consentAskForm(f)
	ask.WorkspaceID = id
	c, err := s.svc.RequestConsent(r.Context(), uiActor(r), ask)
	if err != nil {
		return s.workbenchRefused(w, r, id, f, lang, err, func(d *workbenchData) { d.ConsentForm = f })
	}
	return s.redirectFlash(w, r, "/workspaces/"+strconv.FormatInt(id, 10)+"#consents", "ok", Tf(lang, "sandbox.consents.asked", c.ID))
}

// consentAskForm reads the grant request form shared by the workbench and
// the services page: the subject, the purpose, the fields (separated by
// commas or 、) and the term in days.
func consentAskForm(f *uiForm) dataservice.ConsentAsk {
	ask := dataservice.ConsentAsk{Subject: dataservice.Subject{Kind: f.Get("subject_kind"), ID: f.Get("subject_id"),
		Name: f.Get("name"), Mobile: f.Get("mobile")}, Purpose: f.Get("purpose")}
	for _, field := range strings.FieldsFunc(f.Get("fields"), func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == '\n' }) {
		if field = strings.TrimSpace(field); field != "" {
			ask.Fields = append(ask.Fields, field)
		}
	}
	ask.Days, _ = strconv.Atoi(f.Get("days"))
	return ask
}

// uiWorkspaceService defines an API service in this workspace from the
// workbench (R28.4), as POST /api/v1/services does: the template is
// written as JSON (typed parameters, the subject, the outputs); the data
// service validates it against the workspace's tables and policies and
// keeps it as a draft for the output check.
func (s *Server) uiWorkspaceService(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	lang := uiLang(r)
	in := shuyu.APIServiceInput{WorkspaceID: id, Name: f.Get("name"), Description: f.Get("description"), Scenario: f.Get("scenario"),
		Consent: f.Get("consent") != ""}
	in.QuotaDay, _ = strconv.Atoi(f.Get("quota_day"))
	in.SubjectDay, _ = strconv.Atoi(f.Get("subject_day"))
	dec := json.NewDecoder(strings.NewReader(f.Get("template")))
	dec.DisallowUnknownFields()
	if derr := dec.Decode(&in.Template); derr != nil {
		err = shuyu.Errorf(shuyu.EINVALID, "服务模板不是有效的 JSON (template is not valid JSON)").
			WithDetails([]shuyu.FieldError{{Field: "template", Message: "服务模板须为 JSON：参数、主体和输出"}})
	} else {
		_, err = s.svc.Define(r.Context(), uiActor(r), in)
	}
	if err != nil {
		return s.workbenchRefused(w, r, id, f, lang, err, func(d *workbenchData) { d.ServiceForm = f })
	}
	return s.redirectFlash(w, r, "/services/work#services-mine", "ok", T(lang, "sandbox.service.defined"))
}

// serviceExample is a template to start from: the subject's key of the
// first granted table that has one (a citizen ID or a credit code) and,
// when the table has a name column, a yes/no match on the name the caller
// supplies. The merchant edits it; the data service judges it.
func serviceExample(d *workspace.Detail) string {
	for _, g := range d.Grants {
		var key, name *shuyu.WorkspaceField
		for i := range g.Fields {
			f := &g.Fields[i]
			switch {
			case f.Name == g.PersonKey:
				key = f
			case strings.EqualFold(f.Name, "name"):
				name = f
			}
		}
		if key == nil {
			continue
		}
		kind, nameKind := shuyu.ParamCitizenID, shuyu.ParamPersonName
		if !strings.Contains(key.Label, "身份") && !strings.HasPrefix(strings.ToLower(key.Name), "id_") {
			kind, nameKind = shuyu.ParamUSCC, shuyu.ParamOrgName
		}
		t := shuyu.ServiceTemplate{Subject: key.Name, Params: []shuyu.ServiceParam{{Name: key.Name, Kind: kind, Label: key.Label}}, Outputs: []shuyu.ServiceOutput{}}
		if name != nil {
			t.Params = append(t.Params, shuyu.ServiceParam{Name: name.Name, Kind: nameKind, Label: name.Label})
			t.Outputs = append(t.Outputs, shuyu.ServiceOutput{Name: "name_match", Label: name.Label + "是否一致", Kind: shuyu.OutputMatch,
				Table: g.Table, Column: name.Name, Param: name.Name})
		}
		b, err := json.MarshalIndent(t, "", "  ")
		if err != nil {
			return ""
		}
		return string(b)
	}
	return ""
}

// workbenchRefused shows the workbench again with the refused form f in
// the place keep puts it, its fields and the reason marked; an error that
// is not the form's goes to the error page.
func (s *Server) workbenchRefused(w http.ResponseWriter, r *http.Request, id int64, f *uiForm, lang string, err error, keep func(*workbenchData)) error {
	if ferr := f.fail(lang, err); ferr != nil {
		return ferr
	}
	data, werr := s.workbench(r, id)
	if werr != nil {
		return werr
	}
	keep(data)
	return s.renderStatus(w, r, f.Status, "sandbox/workbench.html", data)
}
