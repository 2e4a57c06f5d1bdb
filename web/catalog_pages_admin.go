package web

import (
	"net/http"
	"strconv"

	"shuyu"
	"shuyu/catalogxlsx"
	"shuyu/sqlstore"
)

// Excel import (R8.6), the authority's category tree (R8.3) and
// demand-driven expansion of the catalog (R9.1).

func (s *Server) uiCatalogImportForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, "catalog/import.html", catalogPageData{Lang: uiLang(r), Form: emptyForm()})
}

// uiCatalogImport takes a filled-in template: all rows or none, and every
// problem listed as row, column and message (invariant 5).
func (s *Server) uiCatalogImport(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	lang := uiLang(r)
	f := emptyForm()
	data, err := catalogUpload(w, r)
	var rows []shuyu.CatalogImportRow
	if err == nil {
		rows, err = catalogxlsx.Parse(data)
	}
	var ids []int64
	if err == nil {
		ids, err = s.db.ImportCatalog(r.Context(), a, rows)
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		d := catalogPageData{Lang: lang, Form: f}
		d.Problems, _ = shuyu.ErrorDetails(err).([]shuyu.RowError)
		return s.renderStatus(w, r, f.Status, "catalog/import.html", d)
	}
	target := "/catalog/import"
	if shuyu.Can(a, shuyu.ActCatalogCreate, shuyu.Resource{}) {
		target = "/catalog/mine?tab=draft"
	}
	return s.redirectFlash(w, r, target, "ok", Tf(lang, "catalog.import.done", len(ids)))
}

func (s *Server) uiCatalogCategories(w http.ResponseWriter, r *http.Request) error {
	return s.catalogCategoriesRender(w, r, emptyForm())
}

func (s *Server) catalogCategoriesRender(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	cats, err := s.db.CatalogCategories(r.Context())
	if err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "catalog/categories.html",
		catalogPageData{Lang: uiLang(r), Form: f, Categories: catalogTree(cats)})
}

func (s *Server) uiCatalogCategoryCreate(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	f, err := newForm(r)
	if err != nil {
		return err
	}
	c := shuyu.CatalogCategory{Code: f.Get("code"), Name: f.Get("name")}
	if v := f.Get("parent_id"); v != "" {
		if c.ParentID, err = strconv.ParseInt(v, 10, 64); err != nil {
			err = shuyu.Errorf(shuyu.EINVALID, "上级分类无效 (invalid parent)")
		}
	}
	if err == nil {
		err = s.db.CreateCatalogCategory(r.Context(), uiActor(r), &c)
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.catalogCategoriesRender(w, r, f)
	}
	return s.redirectFlash(w, r, "/catalog/categories", "ok", Tf(lang, "catalog.category.created", c.Name))
}

func (s *Server) uiCatalogDemands(w http.ResponseWriter, r *http.Request) error {
	return s.catalogDemandsRender(w, r, emptyForm())
}

func (s *Server) catalogDemandsRender(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	a := uiActor(r)
	tab := r.URL.Query().Get("status")
	if !shuyu.DemandStatus(tab).Valid() {
		tab = ""
	}
	l, err := s.db.Demands(r.Context(), a, shuyu.DemandStatus(tab))
	if err != nil {
		return err
	}
	d := catalogPageData{Lang: uiLang(r), Form: f, Demands: l, Tab: tab}
	var exported bool
	if l.Items, d.List, exported, err = demandsList(w, r, l.Items); exported || err != nil {
		return err
	}
	d.Can.Create = shuyu.Can(a, shuyu.ActDemandCreate, shuyu.Resource{})
	return s.renderStatus(w, r, f.Status, "catalog/demands.html", d)
}

// DemandStatuses lists the statuses for the tabs.
func (catalogPageData) DemandStatuses() []shuyu.DemandStatus { return shuyu.DemandStatuses }

func (s *Server) uiCatalogDemandCreate(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	f, err := newForm(r)
	if err != nil {
		return err
	}
	dm := &shuyu.CatalogDemand{Title: f.Get("title"), Description: f.Get("description"), Scenario: f.Get("scenario")}
	if err := s.db.CreateDemand(r.Context(), uiActor(r), dm); err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.catalogDemandsRender(w, r, f)
	}
	return s.redirectFlash(w, r, "/demands/"+strconv.FormatInt(dm.ID, 10), "ok", Tf(lang, "catalog.demand.created", dm.Title))
}

func (s *Server) uiCatalogDemand(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.catalogDemandRender(w, r, id, emptyForm())
}

func (s *Server) catalogDemandRender(w http.ResponseWriter, r *http.Request, id int64, f *uiForm) error {
	a := uiActor(r)
	dm, err := s.db.Demand(r.Context(), a, id)
	if err != nil {
		return err
	}
	d := catalogPageData{Lang: uiLang(r), Form: f, Demand: dm}
	open := dm.Status == shuyu.DemandOpen || dm.Status == shuyu.DemandRouted
	d.Can.Route = open && shuyu.Can(a, shuyu.ActDemandRoute, dm.Resource())
	d.Can.Answer = dm.RoutedOrg != 0 && (dm.Status == shuyu.DemandRouted || dm.Status == shuyu.DemandAccepted) &&
		shuyu.Can(a, shuyu.ActDemandUpdate, dm.Resource())
	if d.Can.Route {
		if d.Depts, err = s.db.Orgs(r.Context(), a, shuyu.OrgSourceDept); err != nil {
			return err
		}
	}
	if d.Can.Answer {
		// The entry that fulfils the demand is one of the department's
		// published entries.
		p, err := s.db.PublishedEntries(r.Context(), a, sqlstore.CatalogFilter{OrgID: dm.RoutedOrg, Limit: 200})
		if err != nil {
			return err
		}
		d.DeptEntries = p.Items
	}
	return s.renderStatus(w, r, f.Status, "catalog/demand.html", d)
}

func (s *Server) uiCatalogDemandRoute(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	org, perr := strconv.ParseInt(f.Get("org_id"), 10, 64)
	if perr != nil || org <= 0 {
		err = shuyu.Errorf(shuyu.EINVALID, "请选择承办的数源部门 (choose a department)").
			WithDetails([]shuyu.FieldError{{Field: "org_id", Message: "请选择部门"}})
	} else {
		_, err = s.db.RouteDemand(r.Context(), uiActor(r), id, org, f.Get("note"))
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		if f.Status == http.StatusNotFound {
			return err
		}
		return s.catalogDemandRender(w, r, id, f)
	}
	return s.redirectFlash(w, r, "/demands/"+strconv.FormatInt(id, 10), "ok", T(lang, "catalog.demand.routed.done"))
}

func (s *Server) uiCatalogDemandAnswer(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	var entry int64
	if v := f.Get("entry_id"); v != "" {
		entry, err = strconv.ParseInt(v, 10, 64)
		if err != nil {
			err = shuyu.Errorf(shuyu.EINVALID, "目录编号无效 (invalid entry)")
		}
	}
	if err == nil {
		_, err = s.db.AnswerDemand(r.Context(), uiActor(r), id, shuyu.DemandStatus(f.Get("status")), f.Get("response"), entry)
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		if f.Status == http.StatusNotFound {
			return err
		}
		return s.catalogDemandRender(w, r, id, f)
	}
	return s.redirectFlash(w, r, "/demands/"+strconv.FormatInt(id, 10), "ok", T(lang, "catalog.demand.answered"))
}
