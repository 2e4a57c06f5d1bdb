package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

// catalogRoutes registers the catalog capability's API routes and pages
// (R8.1-R8.6, R9.1, R10.2). The published catalog is public: reads work
// without login.
func (s *Server) catalogRoutes() {
	s.handle("GET", "/api/v1/catalog", s.catalogCachedAPI(onQuery(s.optionalActor, func(ctx context.Context, a *shuyu.Actor, q url.Values) (*sqlstore.CatalogPage, error) {
		f, err := catalogFilter(q)
		if err != nil {
			return nil, err
		}
		return s.db.PublishedEntries(ctx, a, f)
	})))
	s.handle("POST", "/api/v1/catalog", create(s.actor, s.db.CreateCatalogEntry))
	s.handle("GET", "/api/v1/catalog/work", onCollection(s.actor, s.catalogWork))
	s.handle("GET", "/api/v1/catalog/categories", onCollection(nobody, func(ctx context.Context, _ *shuyu.Actor, _ url.Values) ([]shuyu.CatalogCategory, error) {
		return s.db.CatalogCategories(ctx)
	}))
	s.handle("POST", "/api/v1/catalog/categories", create(s.actor, func(ctx context.Context, a *shuyu.Actor, c shuyu.CatalogCategory) (shuyu.CatalogCategory, error) {
		c.ID = 0
		return c, s.db.CreateCatalogCategory(ctx, a, &c)
	}))
	s.handle("GET", "/api/v1/catalog/template.xlsx", download(s.apiCatalogTemplate, xlsxType))
	s.handle("GET", "/api/v1/catalog/export.xlsx", download(s.apiCatalogExportXLSX, xlsxType))
	s.handle("GET", "/api/v1/catalog/export.json", jsonRoute[noBody, list[*shuyu.CatalogEntry]](http.StatusOK, s.apiCatalogExportJSON))
	s.handle("GET", "/api/v1/catalog/export.jsonld", jsonRoute[noBody, dcatCatalog](http.StatusOK, s.apiCatalogExportDCAT).as("application/ld+json"))
	s.handle("POST", "/api/v1/catalog/import", upload[catalogImported](http.StatusCreated, s.apiCatalogImport))
	s.handle("GET", "/api/v1/catalog/{id}", onObject(s.optionalActor, s.db.CatalogEntry))
	s.handle("PUT", "/api/v1/catalog/{id}", commandOnObject(s.actor, s.db.UpdateCatalogEntry))
	s.handle("POST", "/api/v1/catalog/{id}/steps", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		Step   shuyu.CatalogStep `json:"step"`
		Reason string            `json:"reason"`
	}) (*shuyu.CatalogEntry, error) {
		return s.db.CatalogStep(ctx, a, id, in.Step, in.Reason)
	}))
	s.handle("GET", "/api/v1/catalog/{id}/history", onObjectList(s.actor, s.db.CatalogHistory))
	s.handle("GET", "/api/v1/catalog/{id}/revisions", onObjectList(s.optionalActor, s.db.CatalogRevisions))
	s.handle("GET", "/api/v1/catalog/{id}/diff", jsonRoute[noBody, catalogDiffBody](http.StatusOK, s.apiCatalogDiff))
	s.handle("PUT", "/api/v1/catalog/{id}/mount", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		Mounted bool `json:"mounted"`
	}) (*noContent, error) {
		return nil, s.db.SetCatalogMounted(ctx, a, id, in.Mounted)
	}))
	s.catalogDemandRoutes()
	s.catalogPages()
	s.catalogSynonymRoutes()
}

// catalogFilter reads the search parameters shared by the API and the
// portal page.
func catalogFilter(q url.Values) (sqlstore.CatalogFilter, error) {
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

// catalogWork lists the entries whose work the actor sees, optionally in
// some states (?status=a,b).
func (s *Server) catalogWork(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.CatalogEntry, error) {
	var st []shuyu.RevisionStatus
	if v := q.Get("status"); v != "" {
		for _, p := range strings.Split(v, ",") {
			st = append(st, shuyu.RevisionStatus(strings.TrimSpace(p)))
		}
	}
	return s.db.CatalogWork(ctx, a, st...)
}

// apiCatalogDiff compares two versions field by field (R9.1); by default
// the published one with the newest.
func (s *Server) apiCatalogDiff(w http.ResponseWriter, r *http.Request) error {
	a, id, err := objectCall(s.optionalActor, r)
	if err != nil {
		return err
	}
	d, err := s.catalogDiff(r.Context(), a, id, r.URL.Query())
	if err != nil {
		return err
	}
	changes := d.Changes
	if changes == nil {
		changes = []shuyu.CatalogChange{}
	}
	writeJSON(w, http.StatusOK, catalogDiffBody{From: d.From.Version, To: d.To.Version, Changes: changes})
	return nil
}

// catalogDiffBody is what changed from one version of an entry to another.
type catalogDiffBody struct {
	From    int                   `json:"from"`
	To      int                   `json:"to"`
	Changes []shuyu.CatalogChange `json:"changes" openapi:"notnull"`
}

// catalogDiffView is two versions of an entry and what changed between
// them, as the diff API and the diff page read it.
type catalogDiffView struct {
	Revisions []*shuyu.CatalogRevision
	From, To  *shuyu.CatalogRevision
	Changes   []shuyu.CatalogChange
}

// catalogDiff reads the versions the query names (?from=, ?to=) of an entry
// the actor may see, for the API and the page alike.
func (s *Server) catalogDiff(ctx context.Context, a *shuyu.Actor, id int64, q url.Values) (*catalogDiffView, error) {
	revs, err := s.db.CatalogRevisions(ctx, a, id)
	if err != nil {
		return nil, err
	}
	from, to, err := catalogDiffPair(q, revs)
	if err != nil {
		return nil, err
	}
	return &catalogDiffView{Revisions: revs, From: from, To: to, Changes: shuyu.DiffRevisions(from, to)}, nil
}

func catalogDiffPair(q url.Values, revs []*shuyu.CatalogRevision) (*shuyu.CatalogRevision, *shuyu.CatalogRevision, error) {
	if len(revs) == 0 {
		return nil, nil, shuyu.Errorf(shuyu.ENOTFOUND, "目录没有可比较的版本 (no versions)")
	}
	pick := func(name string, def *shuyu.CatalogRevision) (*shuyu.CatalogRevision, error) {
		v := q.Get(name)
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
