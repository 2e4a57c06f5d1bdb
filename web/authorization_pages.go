package web

import (
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

// The operator's authorization pages (R13.1, R4.1): the list with the
// authority's draft form, and one agreement with its text, signatures,
// verification, signing, filing and early end. Every form calls the same
// store method as the API.
func (s *Server) authorizationPages() {
	s.page("GET /authorizations", pageOpts{Nav: "nav.authorizations", Group: "nav.group.supervise", Order: 5,
		Action: shuyu.ActAuthorizationRead, Desc: "nav.authorizations.desc"}, s.uiAuthorizations)
	s.page("POST /authorizations", pageOpts{Action: shuyu.ActAuthorizationDraft}, s.uiAuthorizationDraft)
	s.page("GET /authorizations/{id}", pageOpts{Action: shuyu.ActAuthorizationRead}, s.uiAuthorization)
	s.page("POST /authorizations/{id}/sign", pageOpts{Action: shuyu.ActAuthorizationSign}, s.uiAuthorizationSign)
	s.page("POST /authorizations/{id}/filing", pageOpts{Action: shuyu.ActAuthorizationFile}, s.uiAuthorizationFile)
	s.page("POST /authorizations/{id}/end", pageOpts{Action: shuyu.ActAuthorizationDraft}, s.uiAuthorizationEnd)
}

type authorizationListData struct {
	List      *listView // the list component's bar
	Items     []*shuyu.Authorization
	Operators []*shuyu.Org
	Modes     []shuyu.AuthMode
	ItemKeys  []string
	Form      *uiForm
}

func (s *Server) authorizationList(r *http.Request, f *uiForm) (*authorizationListData, error) {
	a := uiActor(r)
	items, err := s.db.Authorizations(r.Context(), a)
	if err != nil {
		return nil, err
	}
	d := &authorizationListData{Items: items, Modes: shuyu.AuthModes, ItemKeys: shuyu.AuthorizationItemKeys, Form: f}
	if shuyu.Can(a, shuyu.ActAuthorizationDraft, shuyu.Resource{}) {
		if d.Operators, err = s.db.Orgs(r.Context(), a, shuyu.OrgOperator); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *Server) uiAuthorizations(w http.ResponseWriter, r *http.Request) error {
	d, err := s.authorizationList(r, nil)
	if err != nil {
		return err
	}
	var exported bool
	if d.Items, d.List, exported, err = authorizationsList(w, r, d.Items); exported || err != nil {
		return err
	}
	return s.render(w, r, "authorization/list.html", d)
}

// uiAuthorizationDraft: the authority's draft. Scope entries are given by
// their resource codes (one per line or comma-separated), domains by
// category codes, scenarios one per line.
func (s *Server) uiAuthorizationDraft(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	a := uiActor(r)
	in := shuyu.AuthorizationInput{Title: f.Get("title"), Mode: shuyu.AuthMode(f.Get("mode")), TermStart: f.Get("term_start"),
		TermEnd: f.Get("term_end"), Items: shuyu.AuthorizationItems{Object: f.Get("object"), Content: f.Get("content"),
			ScopeNote: f.Get("scope_note"), ModeNote: f.Get("mode_note"), TermNote: f.Get("term_note"), Selection: f.Get("selection"),
			Products: f.Get("products"), Security: f.Get("security"), Pricing: f.Get("pricing"), Duties: f.Get("duties"),
			Disclosure: f.Get("disclosure"), Supervision: f.Get("supervision"), Exit: f.Get("exit")}}
	fmt.Sscan(f.Get("operator_org_id"), &in.OperatorOrgID)
	in.Scope.Domains = authorizationSplit(f.Get("domains"))
	in.Scope.Scenarios = authorizationSplit(f.Get("scenarios"))
	var z *shuyu.Authorization
	for _, code := range authorizationSplit(f.Get("entries")) {
		e, lerr := s.db.PublishedEntryByCode(r.Context(), a, code)
		if lerr != nil {
			err = shuyu.Errorf(shuyu.EINVALID, "目录 %s 不存在或尚未发布 (unknown entry)", code).
				WithDetails([]shuyu.FieldError{{Field: "entries", Message: "目录 " + code + " 不存在或尚未发布"}})
			break
		}
		in.Scope.Entries = append(in.Scope.Entries, e.ID)
	}
	if err == nil {
		z, err = s.db.DraftAuthorization(r.Context(), a, in)
	}
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		d, lerr := s.authorizationList(r, f)
		if lerr != nil {
			return lerr
		}
		return s.renderStatus(w, r, f.Status, "authorization/list.html", d)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/authorizations/%d", z.ID), "ok", T(uiLang(r), "authz.drafted"))
}

// authorizationSplit splits a field on newlines, commas and the Chinese
// enumeration comma.
func authorizationSplit(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == ',' || r == '，' || r == '、' || r == '\r' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

type authorizationData struct {
	A       *shuyu.Authorization
	Verify  *sqlstore.Verification
	Labels  []string
	Items   []string
	Entries []string
}

func (s *Server) uiAuthorization(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	z, err := s.db.Authorization(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	v, err := s.db.VerifyAuthorization(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	return s.render(w, r, "authorization/detail.html", &authorizationData{A: z, Verify: v,
		Labels: shuyu.AuthorizationItemLabels, Items: z.Items.List()})
}

func (s *Server) uiAuthorizationSign(w http.ResponseWriter, r *http.Request) error {
	id, f, err := s.authorizationForm(r)
	if err != nil {
		return err
	}
	_, err = s.db.SignAuthorization(r.Context(), uiActor(r), id, f.Get("password"))
	return s.reviewuiDone(w, r, fmt.Sprintf("/authorizations/%d", id), "authz.signed", err)
}

func (s *Server) uiAuthorizationFile(w http.ResponseWriter, r *http.Request) error {
	id, f, err := s.authorizationForm(r)
	if err != nil {
		return err
	}
	_, err = s.db.FileAuthorization(r.Context(), uiActor(r), id, f.Get("filing_number"))
	return s.reviewuiDone(w, r, fmt.Sprintf("/authorizations/%d", id), "authz.filed", err)
}

func (s *Server) uiAuthorizationEnd(w http.ResponseWriter, r *http.Request) error {
	id, f, err := s.authorizationForm(r)
	if err != nil {
		return err
	}
	_, err = s.db.EndAuthorization(r.Context(), uiActor(r), id, f.Get("end"), f.Get("reason"))
	return s.reviewuiDone(w, r, fmt.Sprintf("/authorizations/%d", id), "authz.ended", err)
}

func (s *Server) authorizationForm(r *http.Request) (int64, *uiForm, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, nil, err
	}
	f, err := newForm(r)
	return id, f, err
}

// authorizationTemplateFuncs: the tone of an authorization's status badge
// and the Chinese name of a mode.
func authorizationTemplateFuncs() template.FuncMap {
	m := registryTemplateFuncs()
	maps.Copy(m, disclosureTemplateFuncs())
	maps.Copy(m, planTemplateFuncs())
	for k, f := range (template.FuncMap{
		"authzTone": func(status string) string {
			return map[string]string{shuyu.AuthzDraft: "muted", shuyu.AuthzSigned: "warn", shuyu.AuthzEffective: "ok",
				shuyu.AuthzEnded: "danger"}[status]
		},
		"authzModeKey":   func(m shuyu.AuthMode) string { return "authz.mode." + string(m) },
		"authzStatusKey": func(s string) string { return "authz.status." + s },
	}) {
		m[k] = f
	}
	return m
}
