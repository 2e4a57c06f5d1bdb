package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
)

// Registration pages (NREG.1–8): the list with the applicant's form, one
// registration with the registry's steps, objections, the 存证 check and
// the export, and the public notice board (no login).
func (s *Server) registryPages() {
	s.page("GET /registry", pageOpts{Nav: "nav.registry", Group: "nav.group.data", Order: 60, Action: shuyu.ActRegistryRead,
		Desc: "nav.registry.desc"}, s.uiRegistryList)
	s.page("POST /registry", pageOpts{Action: shuyu.ActRegistrySubmit}, s.uiRegistrySubmit)
	s.page("GET /registry/{id}", pageOpts{Action: shuyu.ActRegistryRead}, s.uiRegistry)
	s.page("POST /registry/{id}/decide", pageOpts{Action: shuyu.ActRegistryDecide}, s.uiRegistryDecide)
	s.page("POST /registry/{id}/object", pageOpts{Action: shuyu.ActRegistryObject}, s.uiRegistryObject)
	s.page("GET /registry/{id}/export.xlsx", pageOpts{Action: shuyu.ActRegistryRead}, s.uiRegistryXLSX)
	s.page("POST /registry/{id}/national-code", pageOpts{Action: shuyu.ActRegistryCode}, s.uiRegistryNationalCode)
	s.page("POST /registry/{id}/revoke", pageOpts{Action: shuyu.ActRegistryRevoke}, s.uiRegistryRevoke)
	s.page("GET /public/registry", pageOpts{Public: true}, s.uiRegistryPublic)
}

type registryListData struct {
	List  *listView // the list component's bar
	Items []*shuyu.RegistryRecord
	Form  *uiForm
	Kind  string // resource (a department) or product (the operator): what the form registers
	Keys  []string
	Due   []sqlstore.RegistryObligation // first registrations still to be applied for (NREG.4)
}

var registryMaterialKeys = []string{"subject", "lawful_source", "description", "product_info", "scenario_info", "risk_assessment"}

func (s *Server) registryList(r *http.Request, f *uiForm) (*registryListData, error) {
	a := uiActor(r)
	items, err := s.db.Registries(r.Context(), a, r.URL.Query().Get("status"))
	if err != nil {
		return nil, err
	}
	d := &registryListData{Items: items, Form: f, Keys: registryMaterialKeys}
	if shuyu.Can(a, shuyu.ActRegistryDue, shuyu.Resource{Kind: "registry"}) {
		if d.Due, err = s.db.RegistryObligations(r.Context(), a); err != nil {
			return nil, err
		}
	}
	switch {
	case a.Has(shuyu.RoleDept):
		d.Kind = shuyu.RgyResource
	case a.Has(shuyu.RoleOperatorAdmin):
		d.Kind = shuyu.RgyProduct
	}
	return d, nil
}

func (s *Server) uiRegistryList(w http.ResponseWriter, r *http.Request) error {
	d, err := s.registryList(r, nil)
	if err != nil {
		return err
	}
	var exported bool
	if d.Items, d.List, exported, err = registryListView(w, r, d.Items); exported || err != nil {
		return err
	}
	return s.render(w, r, "registry/list.html", d)
}

// uiRegistrySubmit: a department names its entry by resource code, the
// operator its product by number.
func (s *Server) uiRegistrySubmit(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	a := uiActor(r)
	in := shuyu.RegistryInput{Kind: f.Get("kind"), Type: f.Get("type"), Name: f.Get("name"), Summary: f.Get("summary"),
		Materials: shuyu.RegistryMaterials{Subject: f.Get("subject"), LawfulSource: f.Get("lawful_source"), Description: f.Get("description"),
			ProductInfo: f.Get("product_info"), ScenarioInfo: f.Get("scenario_info"), RiskAssessment: f.Get("risk_assessment")}}
	in.ParentID, _ = strconv.ParseInt(f.Get("parent_id"), 10, 64)
	in.ProductID, _ = strconv.ParseInt(f.Get("product_id"), 10, 64)
	var g *shuyu.RegistryRecord
	if code := f.Get("entry_code"); code != "" && in.Kind == shuyu.RgyResource {
		e, lerr := s.db.PublishedEntryByCode(r.Context(), a, code)
		if lerr != nil {
			err = shuyu.Errorf(shuyu.EINVALID, "目录 %s 不存在或尚未发布 (unknown entry)", code).
				WithDetails([]shuyu.FieldError{{Field: "entry_code", Message: "目录不存在或尚未发布"}})
		} else {
			in.EntryID = e.ID
		}
	}
	if err == nil {
		g, err = s.db.SubmitRegistry(r.Context(), a, in)
	}
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		d, lerr := s.registryList(r, f)
		if lerr != nil {
			return lerr
		}
		return s.renderStatus(w, r, f.Status, "registry/list.html", d)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/registry/%d", g.ID), "ok", T(uiLang(r), "rgy.submitted"))
}

type registryData struct {
	G     *shuyu.RegistryRecord
	Check *sqlstore.EvidenceCheck
}

func (s *Server) uiRegistry(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	g, err := s.db.Registry(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	c, err := s.db.VerifyRegistryEvidence(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	return s.render(w, r, "registry/detail.html", &registryData{G: g, Check: c})
}

func (s *Server) uiRegistryDecide(w http.ResponseWriter, r *http.Request) error {
	id, f, err := s.authorizationForm(r)
	if err != nil {
		return err
	}
	_, err = s.db.DecideRegistry(r.Context(), uiActor(r), id, f.Get("step"), f.Get("reason"))
	return s.reviewuiDone(w, r, fmt.Sprintf("/registry/%d", id), "rgy.decided", err)
}

func (s *Server) uiRegistryNationalCode(w http.ResponseWriter, r *http.Request) error {
	id, f, err := s.authorizationForm(r)
	if err != nil {
		return err
	}
	_, err = s.db.RecordNationalCode(r.Context(), uiActor(r), id, f.Get("code"))
	return s.reviewuiDone(w, r, fmt.Sprintf("/registry/%d", id), "rgy.national.done", err)
}

func (s *Server) uiRegistryRevoke(w http.ResponseWriter, r *http.Request) error {
	id, f, err := s.authorizationForm(r)
	if err != nil {
		return err
	}
	_, err = s.db.RevokeRegistry(r.Context(), uiActor(r), id, f.Get("reason"))
	return s.reviewuiDone(w, r, fmt.Sprintf("/registry/%d", id), "rgy.revoke.done", err)
}

func (s *Server) uiRegistryObject(w http.ResponseWriter, r *http.Request) error {
	id, f, err := s.authorizationForm(r)
	if err != nil {
		return err
	}
	_, err = s.db.ObjectRegistry(r.Context(), uiActor(r), id, f.Get("text"), f.Get("evidence"))
	return s.reviewuiDone(w, r, "/public/registry", "rgy.objected", err)
}

func (s *Server) uiRegistryXLSX(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.db.RegistryExport(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	b, err := sqlstore.RegistryXLSX(p)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="registry-%d.xlsx"`, id))
	_, err = w.Write(b)
	return err
}

func (s *Server) uiRegistryPublic(w http.ResponseWriter, r *http.Request) error {
	list, err := s.db.PublicRegistry(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "registry/public.html", list)
}

// registryTemplateFuncs: label keys and badge tones of registrations.
func registryTemplateFuncs() template.FuncMap {
	return template.FuncMap{
		"rgyStatusKey": func(s string) string { return "rgy.status." + s },
		"rgyKindKey":   func(s string) string { return "rgy.kind." + s },
		"rgyTypeKey":   func(s string) string { return "rgy.type." + s },
		"rgyTypes":     func() []string { return shuyu.RegistryTypes },
		"rgySteps":     func() []string { return []string{"accept", "request_material", "pass", "refuse", "dismiss", "uphold"} },
		"rgyTone": func(s string) string {
			return map[string]string{shuyu.RgySubmitted: "warn", shuyu.RgyMaterial: "warn", shuyu.RgyAccepted: "info",
				shuyu.RgyNotice: "info", shuyu.RgyObjected: "danger", shuyu.RgyRegistered: "ok", shuyu.RgyRefused: "danger",
				shuyu.RgySuperseded: "muted", shuyu.RgyCancelled: "muted", shuyu.RgyLapsed: "danger", shuyu.RgyDone: "muted", shuyu.RgyRevoked: "danger"}[s]
		},
	}
}
