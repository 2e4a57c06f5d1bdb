package web

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"shuyu"
	"shuyu/catalogxlsx"
)

// The list component: one way for every list page to show its total, a
// search box, filters, page numbers and an .xlsx export of what the filters
// select (web/UI.md, "Lists"). A page either hands all its rows to runList
// (the rows are filtered, counted, cut into pages or exported here), or
// pages in the store and fills a listView with newListView (the audit
// trail does: it is too long to load).

// listPageSize is the rows one page shows.
const listPageSize = 50

// listExportMax caps an export (a sheet stays openable; the total says
// when more matched).
const listExportMax = 100_000

// listView is what the partials "list-bar" and "list-pager" render; the
// page's data has it as List.
type listView struct {
	Path        string // the page, without query
	Total       int    // rows the filters select, over all pages
	First, Last int    // 1-based range of the rows shown
	Page, Pages int
	Search      bool   // show the search box
	SearchHint  string // i18n key of its placeholder ("" none)
	Q           string
	Filters     []listFilterView
	Hidden      []listParam // other query parameters the form keeps
	Export      string      // the .xlsx link ("" none)
	PrevURL     string
	NextURL     string
	FirstURL    string
	LastURL     string
	Filtered    bool   // a search or filter is set (offer to clear it)
	ClearURL    string // the page without search and filters
}

// listFilterView is one filter of the bar: a select when it has Options,
// else a text or date input.
type listFilterView struct {
	Name, Label, Value string
	Options            []listOption
	Date               bool
}

// listOption is a select's value and its label (already translated).
type listOption struct{ Value, Label string }

// listParam is a query parameter the filter form carries along.
type listParam struct{ Name, Value string }

// listSpec describes a list of E for runList.
type listSpec[E any] struct {
	// Search is the text the search box matches (every word must occur,
	// case-insensitive); nil: no search box.
	Search     func(E) string
	SearchHint string // i18n key of the box's placeholder
	Filters    []listFilter[E]
	// Columns of the .xlsx export; none: no export.
	Columns []listCol[E]
	// Name (i18n key) names the sheet and the file.
	Name string
	// Keep lists query parameters of the page itself (a tab, a mode) that
	// the filter form and the page links carry along.
	Keep []string
	Size int // rows per page (default 50)
}

// listFilter is one filter: Name is its query parameter, Label an i18n
// key. With Options the value is chosen from a list; Match decides whether
// a row passes a non-empty value.
type listFilter[E any] struct {
	Name, Label string
	Options     []listOption
	Date        bool
	Match       func(it E, value string) bool
}

// listCol is one export column: Label is an i18n key.
type listCol[E any] struct {
	Label string
	Value func(E) any
}

// runList filters items by the request's q and filter parameters, and
// either writes the selection as .xlsx (format=xlsx; exported reports
// true) or returns the rows of the requested page with the bar's view.
func runList[E any](w http.ResponseWriter, r *http.Request, items []E, spec listSpec[E]) (page []E, v *listView, exported bool, err error) {
	lang := uiLang(r)
	q := r.URL.Query()
	terms := strings.Fields(strings.ToLower(q.Get("q")))
	var fvs []listFilterView
	values := make([]string, len(spec.Filters))
	for i, f := range spec.Filters {
		values[i] = strings.TrimSpace(q.Get(f.Name))
		fvs = append(fvs, listFilterView{Name: f.Name, Label: T(lang, f.Label), Value: values[i], Options: f.Options, Date: f.Date})
	}
	sel := make([]E, 0, len(items))
next:
	for _, it := range items {
		if len(terms) > 0 && spec.Search != nil {
			text := strings.ToLower(spec.Search(it))
			for _, t := range terms {
				if !strings.Contains(text, t) {
					continue next
				}
			}
		}
		for i, f := range spec.Filters {
			if values[i] != "" && f.Match != nil && !f.Match(it, values[i]) {
				continue next
			}
		}
		sel = append(sel, it)
	}
	if q.Get("format") == "xlsx" && len(spec.Columns) > 0 {
		header := make([]string, len(spec.Columns))
		for i, c := range spec.Columns {
			header[i] = T(lang, c.Label)
		}
		rows := make([][]any, 0, min(len(sel), listExportMax))
		for _, it := range sel[:min(len(sel), listExportMax)] {
			row := make([]any, len(spec.Columns))
			for i, c := range spec.Columns {
				row[i] = listCell(c.Value(it))
			}
			rows = append(rows, row)
		}
		return nil, nil, true, writeListXLSX(w, T(lang, spec.Name), header, rows)
	}
	v = newListView(r, len(sel), spec.Size)
	v.Search, v.SearchHint, v.Filters = spec.Search != nil, spec.SearchHint, fvs
	v.keep(r, spec.Keep)
	if len(spec.Columns) > 0 {
		v.Export = listURL(r, map[string]string{"format": "xlsx", "page": ""})
	}
	if v.Total == 0 {
		return nil, v, false, nil
	}
	return sel[v.First-1 : v.Last], v, false, nil
}

// newListView pages total rows by the request's page parameter (size 0:
// listPageSize). A page past the end shows the last page.
func newListView(r *http.Request, total, size int) *listView {
	if size <= 0 {
		size = listPageSize
	}
	q := r.URL.Query()
	v := &listView{Path: r.URL.Path, ClearURL: r.URL.Path, Total: total, Q: q.Get("q"), Pages: max(1, (total+size-1)/size)}
	v.Page, _ = strconv.Atoi(q.Get("page"))
	v.Page = min(max(v.Page, 1), v.Pages)
	for k, vals := range q {
		if k != "page" && k != "lang" && k != "format" && len(vals) > 0 && vals[0] != "" {
			v.Filtered = true
		}
	}
	if total > 0 {
		v.First = (v.Page-1)*size + 1
		v.Last = min(v.Page*size, total)
	}
	page := func(n int) string {
		if n <= 1 {
			return listURL(r, map[string]string{"page": ""})
		}
		return listURL(r, map[string]string{"page": strconv.Itoa(n)})
	}
	if v.Page > 1 {
		v.PrevURL, v.FirstURL = page(v.Page-1), page(1)
	}
	if v.Page < v.Pages {
		v.NextURL, v.LastURL = page(v.Page+1), page(v.Pages)
	}
	return v
}

// keep carries the page's own parameters through the filter form.
func (v *listView) keep(r *http.Request, names []string) {
	kept := url.Values{}
	for _, n := range names {
		if val := r.URL.Query().Get(n); val != "" {
			v.Hidden = append(v.Hidden, listParam{Name: n, Value: val})
			kept.Set(n, val)
		}
	}
	if len(kept) > 0 {
		v.ClearURL = v.Path + "?" + kept.Encode()
	}
}

// Offset is the number of rows before this page (for store paging).
func (v *listView) Offset(size int) int {
	if size <= 0 {
		size = listPageSize
	}
	return (v.Page - 1) * size
}

// listURL is the request's path and query with the given parameters set
// (an empty value removes one).
func listURL(r *http.Request, set map[string]string) string {
	q := r.URL.Query()
	q.Del("lang")
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return r.URL.Path
	}
	return r.URL.Path + "?" + q.Encode()
}

// listCell renders one export cell: times in Beijing time, nil as empty.
func listCell(v any) any {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.In(shanghai).Format("2006-01-02 15:04:05")
	case *time.Time:
		if x == nil || x.IsZero() {
			return ""
		}
		return x.In(shanghai).Format("2006-01-02 15:04:05")
	case fmt.Stringer:
		return x.String()
	}
	return v
}

// writeListXLSX answers with a one-sheet workbook named name and the date.
func writeListXLSX(w http.ResponseWriter, name string, header []string, rows [][]any) error {
	var b bytes.Buffer
	if err := catalogxlsx.Table(&b, name, header, rows); err != nil {
		return shuyu.Errorf(shuyu.EINTERNAL, "导出失败 (export failed): %v", err)
	}
	file := name + "-" + time.Now().In(shanghai).Format("20060102-1504") + ".xlsx"
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": file}))
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(b.Bytes())
	return err
}

// listOptions builds a filter's options from values, each labelled by the
// i18n key prefix+value (the value itself when there is none).
func listOptions(lang, prefix string, values ...string) []listOption {
	out := make([]listOption, len(values))
	for i, v := range values {
		out[i] = listOption{Value: v, Label: TOr(lang, prefix+v, v)}
	}
	return out
}
