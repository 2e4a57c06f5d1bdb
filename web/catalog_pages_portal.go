package web

import (
	"fmt"
	"net/http"
	"strconv"

	"shuyu"
)

// The public portal (R8.5): search with facets, an entry's published
// revision with its fields (never data), its versions and a field-by-field
// diff between them (R9.1), and its mounting status (R10.2).

// catalogFacet is one facet of the portal with its values as links.
type catalogFacet struct {
	Key, Param string
	Values     []catalogFacetValue
	Active     bool   // one of its values is chosen
	Clear      string // link without this facet
}

type catalogFacetValue struct {
	Label  string
	Count  int
	Href   string
	Active bool
}

// catalogFacetOrder pairs the store's facet names with their query
// parameters, in the order the portal shows them.
var catalogFacetOrder = []struct{ name, param string }{
	{"org", "org_id"}, {"category", "category_id"}, {"grade", "grade"}, {"update_freq", "update_freq"},
	{"region", "region"}, {"open_attr", "open_attr"},
}

const catalogPortalPage = 20

func (s *Server) uiCatalogPortal(w http.ResponseWriter, r *http.Request) error {
	f, err := catalogFilter(r.URL.Query())
	if err != nil {
		return err
	}
	f.Limit = catalogPortalPage
	page, err := s.db.PublishedEntries(r.Context(), uiActor(r), f)
	if err != nil {
		return err
	}
	lang := uiLang(r)
	q := r.URL.Query()
	d := catalogPageData{Lang: lang, Q: f.Q, Page: page, Total: page.Total, Hidden: map[string]string{}}
	for _, fo := range catalogFacetOrder {
		fc := catalogFacet{Key: "catalog.facet." + fo.name, Param: fo.param}
		cur := q.Get(fo.param)
		for _, v := range page.Facets[fo.name] {
			fv := catalogFacetValue{Count: v.Count, Active: cur == v.Value}
			switch fo.name {
			case "org":
				fv.Label = v.Label
			case "category":
				fv.Label = v.Label
				if v.Value == "0" || v.Label == "" {
					fv.Label = T(lang, "catalog.uncategorized")
				}
			default:
				fv.Label = catalogLabelLang(lang, fo.name, v.Value)
			}
			if fv.Active {
				fc.Active = true
				fv.Href = catalogQuery(r, map[string]string{fo.param: ""})
			} else {
				fv.Href = catalogQuery(r, map[string]string{fo.param: v.Value})
			}
			fc.Values = append(fc.Values, fv)
		}
		if cur != "" {
			d.Hidden[fo.param] = cur
			fc.Active = true
			fc.Clear = catalogQuery(r, map[string]string{fo.param: ""})
		}
		d.Facets = append(d.Facets, fc)
	}
	d.Pager = catalogPager(r, f.Offset, f.Limit, len(page.Items), page.Total)
	return s.render(w, r, "catalog/portal.html", d)
}

// catalogPager links the pages of a result list by offset.
func catalogPager(r *http.Request, offset, limit, shown, total int) *pager {
	p := &pager{Shown: shown}
	at := func(off int) string {
		q := r.URL.Query()
		q.Del("lang")
		if off <= 0 {
			q.Del("offset")
		} else {
			q.Set("offset", strconv.Itoa(off))
		}
		return catalogURL(r.URL.Path, q)
	}
	if offset > 0 {
		p.First = at(0)
		p.Prev = at(offset - limit)
	}
	if offset+limit < total {
		p.Next = at(offset + limit)
	}
	return p
}

func (s *Server) uiCatalogEntry(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.db.CatalogEntry(r.Context(), a, id)
	if err != nil {
		return err
	}
	if e.Revision == nil {
		// Never published: only those who see its work get here (others
		// had a 404 above), and the work page is what they want.
		http.Redirect(w, r, catalogIDPath(id, "/work"), http.StatusFound)
		return nil
	}
	revs, err := s.db.CatalogRevisions(r.Context(), a, id)
	if err != nil {
		return err
	}
	d := catalogPageData{Lang: uiLang(r), Entry: e, Rev: e.Revision, Revisions: revs}
	d.Can.Work = a != nil && shuyu.Can(a, shuyu.ActCatalogWorkRead, e.Resource())
	return s.render(w, r, "catalog/entry.html", d)
}

// catalogDiffRow is one line of the diff view, with values in words.
type catalogDiffRow struct {
	Kind, Field, Attr, Old, New string
}

func (s *Server) uiCatalogDiff(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.db.CatalogEntry(r.Context(), a, id)
	if err != nil {
		return err
	}
	df, err := s.catalogDiff(r.Context(), a, id, r.URL.Query()) // the API's read
	if err != nil {
		return err
	}
	cats, err := s.db.CatalogCategories(r.Context())
	if err != nil {
		return err
	}
	lang := uiLang(r)
	d := catalogPageData{Lang: lang, Entry: e, Revisions: df.Revisions, From: df.From.Version, To: df.To.Version, Rev: df.To}
	for _, c := range df.Changes {
		d.Diff = append(d.Diff, catalogDiffRow{Kind: c.Kind, Field: c.Field, Attr: catalogAttrLabel(lang, c),
			Old: catalogDiffValue(lang, c.Attr, c.Old, cats), New: catalogDiffValue(lang, c.Attr, c.New, cats)})
	}
	return s.render(w, r, "catalog/diff.html", d)
}

func catalogAttrLabel(lang string, c shuyu.CatalogChange) string {
	switch c.Kind {
	case "field_added", "field_removed":
		return T(lang, "catalog.diff."+c.Kind)
	}
	return TOr(lang, "catalog.attr."+c.Attr, c.Attr)
}

// catalogDiffValue shows a changed value as a person reads it: labels for
// codes, 是/否 for flags, the category's name for its id.
func catalogDiffValue(lang, attr, v string, cats []shuyu.CatalogCategory) string {
	switch attr {
	case "grade", "open_attr", "auth_mode", "update_freq", "data_type":
		return catalogLabelLang(lang, attr, v)
	case "public_source", "pi", "sensitive_pi", "trade_secret":
		if v == "true" {
			return T(lang, "catalog.yes")
		}
		return T(lang, "catalog.no")
	case "grade_level":
		if v == "0" {
			return "—"
		}
		return Tf(lang, "catalog.level", v)
	case "category_id":
		for _, c := range cats {
			if fmt.Sprint(c.ID) == v {
				return c.Name
			}
		}
		return T(lang, "catalog.uncategorized")
	}
	return v
}
