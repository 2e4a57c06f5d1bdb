package web

import (
	"net/http"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

// catalogRoutes registers the catalog capability's API routes and pages
// (R8.1-R8.6, R9.1, R10.2). The published catalog is public: reads work
// without login.
func (s *Server) catalogRoutes() {
	s.handle("GET", "/api/v1/catalog", s.apiCatalogSearch)
	s.handle("POST", "/api/v1/catalog", s.apiCatalogCreate)
	s.handle("GET", "/api/v1/catalog/work", s.apiCatalogWork)
	s.handle("GET", "/api/v1/catalog/categories", s.apiCatalogCategories)
	s.handle("POST", "/api/v1/catalog/categories", s.apiCatalogCategoryCreate)
	s.handle("GET", "/api/v1/catalog/template.xlsx", s.apiCatalogTemplate)
	s.handle("GET", "/api/v1/catalog/export.xlsx", s.apiCatalogExportXLSX)
	s.handle("GET", "/api/v1/catalog/export.json", s.apiCatalogExportJSON)
	s.handle("GET", "/api/v1/catalog/export.jsonld", s.apiCatalogExportDCAT)
	s.handle("POST", "/api/v1/catalog/import", s.apiCatalogImport)
	s.handle("GET", "/api/v1/catalog/{id}", s.apiCatalogEntry)
	s.handle("PUT", "/api/v1/catalog/{id}", s.apiCatalogUpdate)
	s.handle("POST", "/api/v1/catalog/{id}/steps", s.apiCatalogStep)
	s.handle("GET", "/api/v1/catalog/{id}/history", s.apiCatalogHistory)
	s.handle("GET", "/api/v1/catalog/{id}/revisions", s.apiCatalogRevisions)
	s.handle("GET", "/api/v1/catalog/{id}/diff", s.apiCatalogDiff)
	s.handle("PUT", "/api/v1/catalog/{id}/mount", s.apiCatalogMount)
	s.handle("GET", "/api/v1/demands", s.apiDemands)
	s.handle("POST", "/api/v1/demands", s.apiDemandCreate)
	s.handle("GET", "/api/v1/demands/{id}", s.apiDemand)
	s.handle("POST", "/api/v1/demands/{id}/route", s.apiDemandRoute)
	s.handle("POST", "/api/v1/demands/{id}/answer", s.apiDemandAnswer)
	s.catalogPages()
}

// catalogOptionalActor: public reads work anonymously, but a caller who
// sends credentials gets them checked (and sees what its role allows).
func (s *Server) catalogOptionalActor(r *http.Request) (*shuyu.Actor, error) {
	if tok, _ := bearer(r); tok == "" {
		return nil, nil
	}
	return s.actor(r)
}

// catalogFilter reads the search parameters shared by the API and the
// portal page.
func catalogFilter(r *http.Request) (sqlstore.CatalogFilter, error) {
	q := r.URL.Query()
	f := sqlstore.CatalogFilter{Q: q.Get("q"), Grade: shuyu.Grade(q.Get("grade")), UpdateFreq: shuyu.UpdateFreq(q.Get("update_freq")),
		Region: q.Get("region"), OpenAttr: shuyu.OpenAttr(q.Get("open_attr"))}
	ints := []struct {
		name string
		v    *int64
	}{{"org_id", &f.OrgID}, {"category_id", &f.CategoryID}}
	for _, p := range ints {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return f, shuyu.Errorf(shuyu.EINVALID, "参数 %s 须为数字 (must be a number)", p.name)
			}
			*p.v = n
		}
	}
	for _, p := range []struct {
		name string
		v    *int
	}{{"limit", &f.Limit}, {"offset", &f.Offset}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return f, shuyu.Errorf(shuyu.EINVALID, "参数 %s 须为非负整数 (must be a non-negative integer)", p.name)
			}
			*p.v = n
		}
	}
	return f, nil
}

func (s *Server) apiCatalogSearch(w http.ResponseWriter, r *http.Request) error {
	a, err := s.catalogOptionalActor(r)
	if err != nil {
		return err
	}
	f, err := catalogFilter(r)
	if err != nil {
		return err
	}
	page, err := s.db.PublishedEntries(r.Context(), a, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) apiCatalogCreate(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	var in sqlstore.NewCatalogEntry
	if err := decode(r, &in); err != nil {
		return err
	}
	e, err := s.db.CreateCatalogEntry(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) apiCatalogEntry(w http.ResponseWriter, r *http.Request) error {
	a, err := s.catalogOptionalActor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.db.CatalogEntry(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) apiCatalogUpdate(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var rev shuyu.CatalogRevision
	if err := decode(r, &rev); err != nil {
		return err
	}
	e, err := s.db.UpdateCatalogEntry(r.Context(), a, id, rev)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) apiCatalogStep(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Step   shuyu.CatalogStep `json:"step"`
		Reason string            `json:"reason"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	e, err := s.db.CatalogStep(r.Context(), a, id, req.Step, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) apiCatalogWork(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	var st []shuyu.RevisionStatus
	if v := r.URL.Query().Get("status"); v != "" {
		for _, p := range strings.Split(v, ",") {
			st = append(st, shuyu.RevisionStatus(strings.TrimSpace(p)))
		}
	}
	items, err := s.db.CatalogWork(r.Context(), a, st...)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(items))
	return nil
}

func (s *Server) apiCatalogHistory(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	h, err := s.db.CatalogHistory(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(h))
	return nil
}

func (s *Server) apiCatalogRevisions(w http.ResponseWriter, r *http.Request) error {
	a, err := s.catalogOptionalActor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	revs, err := s.db.CatalogRevisions(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(revs))
	return nil
}

// apiCatalogDiff compares two versions field by field (R9.1); by default
// the published one with the newest.
func (s *Server) apiCatalogDiff(w http.ResponseWriter, r *http.Request) error {
	a, err := s.catalogOptionalActor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	revs, err := s.db.CatalogRevisions(r.Context(), a, id)
	if err != nil {
		return err
	}
	from, to, err := catalogDiffPair(r, revs)
	if err != nil {
		return err
	}
	changes := shuyu.DiffRevisions(from, to)
	if changes == nil {
		changes = []shuyu.CatalogChange{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": from.Version, "to": to.Version, "changes": changes})
	return nil
}

func catalogDiffPair(r *http.Request, revs []*shuyu.CatalogRevision) (*shuyu.CatalogRevision, *shuyu.CatalogRevision, error) {
	if len(revs) == 0 {
		return nil, nil, shuyu.Errorf(shuyu.ENOTFOUND, "目录没有可比较的版本 (no versions)")
	}
	pick := func(name string, def *shuyu.CatalogRevision) (*shuyu.CatalogRevision, error) {
		v := r.URL.Query().Get(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, shuyu.Errorf(shuyu.EINVALID, "参数 %s 须为版本号 (version number)", name)
		}
		for _, rv := range revs {
			if rv.Version == n {
				return rv, nil
			}
		}
		return nil, shuyu.Errorf(shuyu.ENOTFOUND, "版本 %d 不存在 (no such version)", n)
	}
	def := revs[0]
	for _, rv := range revs {
		if rv.Status == shuyu.StatusPublished {
			def = rv
		}
	}
	from, err := pick("from", def)
	if err != nil {
		return nil, nil, err
	}
	to, err := pick("to", revs[len(revs)-1])
	return from, to, err
}

func (s *Server) apiCatalogMount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Mounted bool `json:"mounted"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.db.SetCatalogMounted(r.Context(), a, id, req.Mounted); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiCatalogCategories(w http.ResponseWriter, r *http.Request) error {
	cats, err := s.db.CatalogCategories(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(cats))
	return nil
}

func (s *Server) apiCatalogCategoryCreate(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	var c shuyu.CatalogCategory
	if err := decode(r, &c); err != nil {
		return err
	}
	c.ID = 0
	if err := s.db.CreateCatalogCategory(r.Context(), a, &c); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}
