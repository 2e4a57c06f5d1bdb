package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
)

// catalogPages registers the catalog's HTML pages (the public portal and
// the work pages of departments, authorities and the operator). The portal
// is in catalog_pages_portal.go, the department's and reviewers' work in
// catalog_pages_work.go and catalog_pages_edit.go, import, categories and
// demands in catalog_pages_admin.go.
func (s *Server) catalogPages() {
	// R8.5: the published catalog is public.
	s.page("GET /catalog", pageOpts{Nav: "nav.catalog", Group: "nav.group.data", Order: 10, Action: shuyu.ActCatalogRead,
		Public: true, CatalogCached: true, Desc: "nav.catalog.desc"}, s.uiCatalogPortal)
	s.page("GET /catalog/{id}", pageOpts{Public: true}, s.uiCatalogEntry)
	s.page("GET /catalog/{id}/diff", pageOpts{Public: true}, s.uiCatalogDiff)

	// R8.1, R8.4: the department's entries, drafts and submissions.
	s.page("GET /catalog/mine", pageOpts{Nav: "nav.catalog.mine", Group: "nav.group.data", Order: 11, Action: shuyu.ActCatalogCreate,
		Desc: "nav.catalog.mine.desc", Count: s.catalogMineCount, CountLabel: "catalog.count.todo"}, s.uiCatalogMine)
	s.page("GET /catalog/new", pageOpts{Action: shuyu.ActCatalogCreate}, s.uiCatalogNew)
	s.page("POST /catalog", pageOpts{Action: shuyu.ActCatalogCreate}, s.uiCatalogCreate)
	s.page("GET /catalog/{id}/edit", pageOpts{Action: shuyu.ActCatalogUpdate}, s.uiCatalogEdit)
	s.page("POST /catalog/{id}/edit", pageOpts{Action: shuyu.ActCatalogUpdate}, s.uiCatalogSave)
	s.page("GET /catalog/{id}/work", pageOpts{Action: shuyu.ActCatalogWorkRead}, s.uiCatalogWork)
	s.page("POST /catalog/{id}/step", pageOpts{Action: shuyu.ActCatalogWorkRead}, s.uiCatalogStep)

	// R8.4-R8.6: the review queues and the operator's publication queue.
	s.page("GET /catalog/reviews", pageOpts{Nav: "nav.catalog.reviews", Group: "nav.group.review", Order: 1,
		AnyOf: []shuyu.Action{shuyu.ActCatalogReviewCounty, shuyu.ActCatalogReviewCity}, Desc: "nav.catalog.reviews.desc",
		Count: s.catalogReviewCount, CountLabel: "catalog.count.review"}, s.uiCatalogReviews)
	s.page("GET /catalog/publish", pageOpts{Nav: "nav.catalog.publish", Group: "nav.group.review", Order: 2,
		Action: shuyu.ActCatalogPublish, Desc: "nav.catalog.publish.desc", Count: s.catalogPublishCount,
		CountLabel: "catalog.count.publish"}, s.uiCatalogPublishQueue)

	// R8.6: Excel exchange; R8.3: the category tree; R9.1: demands.
	s.page("GET /catalog/import", pageOpts{Nav: "nav.catalog.import", Group: "nav.group.data", Order: 12,
		Action: shuyu.ActCatalogImport, Desc: "nav.catalog.import.desc"}, s.uiCatalogImportForm)
	s.page("POST /catalog/import", pageOpts{Action: shuyu.ActCatalogImport}, s.uiCatalogImport)
	s.page("GET /catalog/categories", pageOpts{Nav: "nav.catalog.categories", Group: "nav.group.data", Order: 13,
		Action: shuyu.ActCategoryManage, Desc: "nav.catalog.categories.desc"}, s.uiCatalogCategories)
	s.page("POST /catalog/categories", pageOpts{Action: shuyu.ActCategoryManage}, s.uiCatalogCategoryCreate)
	s.page("GET /demands", pageOpts{Nav: "nav.catalog.demands", Group: "nav.group.data", Order: 14, Action: shuyu.ActDemandRead,
		Desc: "nav.catalog.demands.desc", Count: s.catalogDemandCount, CountLabel: "catalog.count.demands"}, s.uiCatalogDemands)
	s.page("POST /demands", pageOpts{Action: shuyu.ActDemandCreate}, s.uiCatalogDemandCreate)
	s.page("GET /demands/{id}", pageOpts{Action: shuyu.ActDemandRead}, s.uiCatalogDemand)
	s.page("POST /demands/{id}/route", pageOpts{Action: shuyu.ActDemandRoute}, s.uiCatalogDemandRoute)
	s.page("POST /demands/{id}/answer", pageOpts{Action: shuyu.ActDemandUpdate}, s.uiCatalogDemandAnswer)
}

// catalogTones colours revision and demand statuses; the labels are
// "catalog.status.<s>" (own keys, so that no other capability's
// "status.<s>" clashes).
var catalogTones = map[string]string{
	"draft": "muted", "county_review": "warn", "city_review": "warn", "returned": "danger", "approved": "info",
	"published": "ok", "superseded": "muted",
	"open": "warn", "routed": "info", "accepted": "info", "fulfilled": "ok", "rejected": "danger",
}

// catalogTemplateFuncs are the catalog pages' template helpers
// (templateFuncs joins them).
func catalogTemplateFuncs() template.FuncMap {
	return template.FuncMap{
		"catalogBadge": catalogBadge,
		"catalogLabel": catalogLabel,
		"catalogList":  func(s ...string) []string { return s },
		"catalogYesNo": func(v *view, b bool) string {
			if b {
				return v.T("catalog.yes")
			}
			return v.T("catalog.no")
		},
		"catalogRow": catalogRow,
	}
}

// catalogBadge renders a revision or demand status as a coloured badge.
func catalogBadge(v *view, s any) template.HTML {
	str := fmt.Sprint(s)
	tone := catalogTones[str]
	if tone == "" {
		tone = "info"
	}
	return template.HTML(`<span class="badge badge-` + tone + `" data-status="` + template.HTMLEscapeString(str) + `">` +
		template.HTMLEscapeString(TOr(v.Lang, "catalog.status."+str, str)) + `</span>`)
}

// catalogLabel names a value of one of the catalog's enumerations (grade,
// update_freq, open_attr, auth_mode, data_type, region) in the page's
// language; Chinese labels are the model's own (shuyu.CatalogLabel).
func catalogLabel(v *view, kind string, value any) string {
	return catalogLabelLang(v.Lang, kind, fmt.Sprint(value))
}

func catalogLabelLang(lang, kind, value string) string {
	if kind == "region" {
		return TOr(lang, "region."+value, shuyu.CatalogLabel(kind, value))
	}
	if lang == langEN {
		return TOr(lang, "catalog."+kind+"."+value, value)
	}
	return shuyu.CatalogLabel(kind, value)
}

// catalogPageData carries what the catalog templates share.
type catalogPageData struct {
	Form        *uiForm
	List        *listView // the list component's bar (work lists, demands)
	Lang        string
	Q           string
	Hidden      map[string]string // the portal's chosen facets, kept by a new search
	Page        *sqlstore.CatalogPage
	Facets      []catalogFacet
	Pager       *pager
	Total       int
	Entry       *shuyu.CatalogEntry
	Rev         *shuyu.CatalogRevision // the revision shown (published, or the open one on work pages)
	Revisions   []*shuyu.CatalogRevision
	History     []shuyu.CatalogHistoryItem
	Rows        []catalogWorkRow
	Diff        []catalogDiffRow
	From, To    int
	Categories  []catalogCategoryRow
	Fields      []shuyu.CatalogField // edit form rows
	Code        string
	IsNew       bool
	Revise      bool // editing creates a new version of a published entry (R9.1)
	Tab         string
	Queue       string // "reviews" or "publish"
	Problems    []shuyu.RowError
	Demands     *sqlstore.DemandList
	Demand      *shuyu.CatalogDemand
	Depts       []*shuyu.Org
	DeptEntries []*shuyu.CatalogEntry
	Can         catalogCan
	Enums       catalogEnums
}

// catalogCan says which actions the viewer may take on the page's object.
type catalogCan struct {
	Work, Edit, Submit, County, City, Publish, Create, Route, Answer bool
}

// catalogEnums lists the choices of the edit form.
type catalogEnums struct {
	Grades     []shuyu.Grade
	Levels     []int
	OpenAttrs  []shuyu.OpenAttr
	AuthModes  []shuyu.AuthMode
	Freqs      []shuyu.UpdateFreq
	FieldTypes []shuyu.FieldType
}

var catalogEnumValues = catalogEnums{Grades: shuyu.Grades, Levels: []int{1, 2, 3, 4}, OpenAttrs: shuyu.OpenAttrs,
	AuthModes: shuyu.AuthModes, Freqs: shuyu.UpdateFreqs, FieldTypes: shuyu.FieldTypes}

// FieldErr is the message for field attr of row i of the edit form.
func (d catalogPageData) FieldErr(i int, attr string) string {
	return d.Form.FieldErr(fmt.Sprintf("fields[%d].%s", i, attr))
}

// catalogWorkRow is one line of a work list: the entry with the revision
// that matters for the viewer (the open one, else the published one).
type catalogWorkRow struct {
	Entry *shuyu.CatalogEntry
	Rev   *shuyu.CatalogRevision
}

// Home-page counters: what is waiting for the viewer.

func (s *Server) catalogMineCount(ctx context.Context, a *shuyu.Actor) (int, error) {
	l, err := s.db.CatalogWork(ctx, a, shuyu.StatusDraft, shuyu.StatusReturned)
	return len(l), err
}

// catalogReviewStatuses is the queue of a reviewer: the county authority
// sees its county's entries at county review, the city authority those at
// city review (R8.4).
func catalogReviewStatuses(a *shuyu.Actor) []shuyu.RevisionStatus {
	var st []shuyu.RevisionStatus
	if shuyu.Can(a, shuyu.ActCatalogReviewCounty, shuyu.Resource{}) {
		st = append(st, shuyu.StatusCountyReview)
	}
	if shuyu.Can(a, shuyu.ActCatalogReviewCity, shuyu.Resource{}) {
		st = append(st, shuyu.StatusCityReview)
	}
	return st
}

func (s *Server) catalogReviewCount(ctx context.Context, a *shuyu.Actor) (int, error) {
	st := catalogReviewStatuses(a)
	if len(st) == 0 {
		return 0, nil
	}
	l, err := s.db.CatalogWork(ctx, a, st...)
	return len(l), err
}

func (s *Server) catalogPublishCount(ctx context.Context, a *shuyu.Actor) (int, error) {
	l, err := s.db.CatalogWork(ctx, a, shuyu.StatusApproved)
	return len(l), err
}

// catalogDemandCount: the authority's open demands to route, or a
// department's demands routed to it and not yet answered.
func (s *Server) catalogDemandCount(ctx context.Context, a *shuyu.Actor) (int, error) {
	l, err := s.db.Demands(ctx, a, "")
	if err != nil {
		return 0, err
	}
	if shuyu.Can(a, shuyu.ActDemandRoute, shuyu.Resource{}) {
		return l.Counts[string(shuyu.DemandOpen)], nil
	}
	n := 0
	for _, d := range l.Items {
		if d.RoutedOrg == a.OrgID && (d.Status == shuyu.DemandRouted || d.Status == shuyu.DemandAccepted) {
			n++
		}
	}
	return n, nil
}

// catalogQuery is the current path and query with some parameters set (or
// removed when empty); paging starts over.
func catalogQuery(r *http.Request, set map[string]string) string {
	q := r.URL.Query()
	q.Del("lang")
	q.Del("offset")
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return catalogURL(r.URL.Path, q)
}

func catalogURL(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func catalogIDPath(id int64, suffix string) string {
	return "/catalog/" + strconv.FormatInt(id, 10) + suffix
}
