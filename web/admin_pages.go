package web

import (
	"net/http"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
)

// uiAdminPages: the security administrator's pages for organizations,
// accounts and the security policy (三员分立: only secadmin holds these
// actions, R29.1).
func (s *Server) uiAdminPages() {
	s.page("GET /admin/orgs", pageOpts{Nav: "nav.orgs", Group: "nav.group.admin", Order: 10, Action: shuyu.ActOrgUpdate, Desc: "nav.orgs.desc"}, s.uiOrgs)
	s.page("POST /admin/orgs", pageOpts{Action: shuyu.ActOrgCreate}, s.uiCreateOrg)
	s.page("POST /admin/orgs/{id}/status", pageOpts{Action: shuyu.ActOrgUpdate}, s.uiOrgStatus)
	s.uiUserPages()
	s.page("GET /admin/security", pageOpts{Nav: "nav.security", Group: "nav.group.admin", Order: 30, Action: shuyu.ActSecurityWrite, Desc: "nav.security.desc"}, s.uiSecurity)
	s.page("POST /admin/security", pageOpts{Action: shuyu.ActSecurityWrite}, s.uiSetSecurity)
}

type orgsData struct {
	Orgs  []*shuyu.Org
	Kinds []shuyu.OrgKind
	Form  *uiForm
	List  *listView
}

func (s *Server) orgsPage(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	a := uiActor(r)
	orgs, err := s.db.Orgs(r.Context(), a, "")
	if err != nil {
		return err
	}
	page, list, exported, err := orgsList(w, r, orgs)
	if exported || err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "admin/orgs.html", orgsData{Orgs: page, Kinds: shuyu.OrgKinds, Form: f, List: list})
}

func (s *Server) uiOrgs(w http.ResponseWriter, r *http.Request) error {
	return s.orgsPage(w, r, emptyForm())
}

func (s *Server) uiCreateOrg(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	lang := uiLang(r)
	o := shuyu.Org{Kind: shuyu.OrgKind(f.Get("kind")), Name: f.Get("name"), NameEN: f.Get("name_en"), Code: f.Get("code"), Region: f.Get("region")}
	if err := s.db.CreateOrg(r.Context(), uiActor(r), &o); err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		f.Values.Set("op", "create")
		return s.orgsPage(w, r, f)
	}
	return s.redirectFlash(w, r, "/admin/orgs", "ok", Tf(lang, "orgs.created", o.Name))
}

func (s *Server) uiOrgStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	lang := uiLang(r)
	if err := s.db.SetOrgStatus(r.Context(), uiActor(r), id, f.Get("status"), f.Get("reason")); err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		f.Values.Set("op", "status")
		f.Values.Set("org_id", strconv.FormatInt(id, 10))
		return s.orgsPage(w, r, f)
	}
	return s.redirectFlash(w, r, "/admin/orgs", "ok", T(lang, "orgs.status.done"))
}

type securityData struct {
	Settings *sqlstore.SecuritySettings
	Roles    []shuyu.Role
	Form     *uiForm
}

func (s *Server) uiSecurity(w http.ResponseWriter, r *http.Request) error {
	set, err := s.db.Security(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	f := emptyForm()
	for _, ro := range set.TOTPRequiredRoles {
		f.Values.Add("roles", string(ro))
	}
	return s.render(w, r, "admin/security.html", securityData{Settings: set, Roles: shuyu.Roles, Form: f})
}

func (s *Server) uiSetSecurity(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	lang, a := uiLang(r), uiActor(r)
	roles := []shuyu.Role{}
	for _, v := range f.Values["roles"] {
		roles = append(roles, shuyu.Role(v))
	}
	if err := s.db.RequireTOTP(r.Context(), a, roles); err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		set, err := s.db.Security(r.Context(), a)
		if err != nil {
			return err
		}
		return s.renderStatus(w, r, f.Status, "admin/security.html", securityData{Settings: set, Roles: shuyu.Roles, Form: f})
	}
	return s.redirectFlash(w, r, "/admin/security", "ok", T(lang, "security.saved"))
}
