package web

import (
	"context"
	"net/http"
	"net/url"

	"shuyu"
)

// catalogSynonymRoutes registers the catalog's search synonyms (R8.5):
// the list is public (it only widens searches); the city data authority
// adds and removes entries, each change audited and seen by the next search.
func (s *Server) catalogSynonymRoutes() {
	s.handle("GET", "/api/v1/catalog/synonyms", onCollection(nobody, func(ctx context.Context, _ *shuyu.Actor, _ url.Values) ([]shuyu.CatalogSynonym, error) {
		return s.db.CatalogSynonyms(ctx)
	}))
	s.handle("POST", "/api/v1/catalog/synonyms", create(s.actor, s.db.AddCatalogSynonym))
	s.handle("DELETE", "/api/v1/catalog/synonyms/{id}", jsonRoute[noBody, *noContent](http.StatusNoContent, s.apiCatalogSynonymRemove))

	s.page("GET /catalog/synonyms", pageOpts{Nav: "nav.catalog.synonyms", Group: "nav.group.data", Order: 15,
		Action: shuyu.ActSynonymManage, Desc: "nav.catalog.synonyms.desc"}, s.uiCatalogSynonyms)
	s.page("POST /catalog/synonyms", pageOpts{Action: shuyu.ActSynonymManage}, s.uiCatalogSynonymAdd)
	s.page("POST /catalog/synonyms/{id}/delete", pageOpts{Action: shuyu.ActSynonymManage}, s.uiCatalogSynonymRemove)
}

func (s *Server) apiCatalogSynonymRemove(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.db.RemoveCatalogSynonym(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type catalogSynonymsData struct {
	Form     *uiForm
	List     *listView // the list component's bar
	Synonyms []shuyu.CatalogSynonym
}

func (s *Server) uiCatalogSynonyms(w http.ResponseWriter, r *http.Request) error {
	return s.catalogSynonymsRender(w, r, emptyForm())
}

func (s *Server) catalogSynonymsRender(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	all, err := s.db.CatalogSynonyms(r.Context())
	if err != nil {
		return err
	}
	list, lv, exported, err := synonymsList(w, r, all)
	if exported || err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "catalog/synonyms.html", catalogSynonymsData{Form: f, Synonyms: list, List: lv})
}

func (s *Server) uiCatalogSynonymAdd(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	f, err := newForm(r)
	if err != nil {
		return err
	}
	syn, err := s.db.AddCatalogSynonym(r.Context(), uiActor(r), shuyu.CatalogSynonym{Term: f.Get("term"), Expansion: f.Get("expansion")})
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.catalogSynonymsRender(w, r, f)
	}
	return s.redirectFlash(w, r, "/catalog/synonyms", "ok", Tf(lang, "catalog.synonym.added", syn.Term, syn.Expansion))
}

func (s *Server) uiCatalogSynonymRemove(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.db.RemoveCatalogSynonym(r.Context(), uiActor(r), id); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/catalog/synonyms", "ok", T(uiLang(r), "catalog.synonym.removed"))
}
