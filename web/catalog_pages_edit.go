package web

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

// Registering and editing an entry with its information items (R8.1-R8.3,
// R2.1, R4.3). Field rows are posted as fields[i].name, fields[i].label, …;
// a small script (static/catalog.js) adds and removes rows, and without it
// the form always carries one blank row, which is ignored when left blank.

var catalogFieldKey = regexp.MustCompile(`^fields\[(\d{1,3})\]\.([a-z_]+)$`)

// catalogParseRevision reads the edit form. Only what cannot be a
// revision at all (a level that is not a number) is refused here; the
// content rules are the model's (shuyu.CatalogRevision.Validate).
func catalogParseRevision(f *uiForm) (shuyu.CatalogRevision, error) {
	rev := shuyu.CatalogRevision{
		Name: f.Get("name"), Summary: f.Get("summary"), Grade: shuyu.Grade(f.Get("grade")),
		OpenAttr: shuyu.OpenAttr(f.Get("open_attr")), PublicSource: f.Get("public_source") == "1",
		AuthMode: shuyu.AuthMode(f.Get("auth_mode")), UpdateFreq: shuyu.UpdateFreq(f.Get("update_freq")),
		TimeSpan: f.Get("time_span"), Volume: f.Get("volume"), Fields: []shuyu.CatalogField{},
	}
	var fe []shuyu.FieldError
	if v := f.Get("category_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			fe = append(fe, shuyu.FieldError{Field: "category_id", Message: "分类无效"})
		}
		rev.CategoryID = n
	}
	if v := f.Get("grade_level"); v != "" && rev.Grade == shuyu.GradeGeneral {
		n, err := strconv.Atoi(v)
		if err != nil {
			fe = append(fe, shuyu.FieldError{Field: "grade_level", Message: "级别须为数字"})
		}
		rev.GradeLevel = n
	}
	idx := map[int]bool{}
	for k := range f.Values {
		if m := catalogFieldKey.FindStringSubmatch(k); m != nil {
			i, _ := strconv.Atoi(m[1])
			idx[i] = true
		}
	}
	order := make([]int, 0, len(idx))
	for i := range idx {
		order = append(order, i)
	}
	sort.Ints(order)
	for _, i := range order {
		get := func(attr string) string { return f.Get("fields[" + strconv.Itoa(i) + "]." + attr) }
		fd := shuyu.CatalogField{Name: get("name"), Label: get("label"), DataType: shuyu.FieldType(get("data_type")),
			Description: get("description"), PI: get("pi") == "1", SensitivePI: get("sensitive_pi") == "1",
			TradeSecret: get("trade_secret") == "1", Grade: shuyu.Grade(get("grade"))}
		if fd.Name == "" && fd.Label == "" && fd.Description == "" {
			continue // a blank row: the form's spare line, or one the user emptied
		}
		rev.Fields = append(rev.Fields, fd)
	}
	if len(fe) > 0 {
		return rev, shuyu.Errorf(shuyu.EINVALID, "目录信息不完整或有误 (invalid catalog entry)").WithDetails(fe)
	}
	return rev, nil
}

// catalogEditData fills the form's choices and its rows: the revision's
// fields and one blank row to type into.
func (s *Server) catalogEditData(r *http.Request, f *uiForm, rev *shuyu.CatalogRevision) (catalogPageData, error) {
	cats, err := s.db.CatalogCategories(r.Context())
	if err != nil {
		return catalogPageData{}, err
	}
	d := catalogPageData{Lang: uiLang(r), Form: f, Rev: rev, Enums: catalogEnumValues, Categories: catalogTree(cats)}
	d.Fields = append(append([]shuyu.CatalogField{}, rev.Fields...),
		shuyu.CatalogField{DataType: "string", Grade: shuyu.GradeGeneral})
	return d, nil
}

func (s *Server) uiCatalogNew(w http.ResponseWriter, r *http.Request) error {
	rev := &shuyu.CatalogRevision{Grade: shuyu.GradeGeneral, OpenAttr: shuyu.OpenConditional, AuthMode: shuyu.AuthScenario,
		UpdateFreq: shuyu.FreqMonthly}
	d, err := s.catalogEditData(r, emptyForm(), rev)
	if err != nil {
		return err
	}
	d.IsNew = true
	return s.render(w, r, "catalog/edit.html", d)
}

// uiCatalogCreate registers a draft (R8.1); a refused form comes back with
// everything typed, rows included, and the messages beside the cells.
func (s *Server) uiCatalogCreate(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	f, err := newForm(r)
	if err != nil {
		return err
	}
	// Read before f.fail, which drops "code" (it also names OTP fields).
	code := f.Get("code")
	rev, err := catalogParseRevision(f)
	if err == nil {
		err = catalogCheckNew(code, rev)
	}
	var e *shuyu.CatalogEntry
	if err == nil {
		e, err = s.db.CreateCatalogEntry(r.Context(), uiActor(r), sqlstore.NewCatalogEntry{Code: code, Revision: rev})
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		d, derr := s.catalogEditData(r, f, &rev)
		if derr != nil {
			return derr
		}
		d.IsNew, d.Code = true, code
		return s.renderStatus(w, r, f.Status, "catalog/edit.html", d)
	}
	return s.redirectFlash(w, r, catalogIDPath(e.ID, "/work"), "ok", Tf(lang, "catalog.saved.new", e.Code))
}

// catalogCheckNew lists a bad resource code together with the content's
// problems, so that one refusal names everything to fix (the store checks
// the code first and stops there).
func catalogCheckNew(code string, rev shuyu.CatalogRevision) error {
	cerr := shuyu.ValidateCode(strings.ToUpper(strings.TrimSpace(code)))
	if cerr == nil {
		return nil
	}
	fe, _ := shuyu.ErrorDetails(cerr).([]shuyu.FieldError)
	rev.Normalize()
	if verr := rev.Validate(); verr != nil {
		more, _ := shuyu.ErrorDetails(verr).([]shuyu.FieldError)
		fe = append(fe, more...)
	}
	return shuyu.Errorf(shuyu.EINVALID, "%s", shuyu.ErrorMessage(cerr)).WithDetails(fe)
}

// catalogEditable picks the revision the edit form starts from: the open
// draft or returned revision, or, for a published entry without one, the
// published content as the start of a new version (R9.1).
func catalogEditable(e *shuyu.CatalogEntry) (*shuyu.CatalogRevision, bool, error) {
	if w := e.Working; w != nil {
		if !w.Status.Editable() {
			return nil, false, shuyu.Errorf(shuyu.ECONFLICT, "目录“%s”正在审核中，不能修改 (under review)", w.Name)
		}
		return w, false, nil
	}
	rv := *e.Revision
	return &rv, true, nil
}

func (s *Server) uiCatalogEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.catalogWorkEntry(r, id)
	if err != nil {
		return err
	}
	if err := shuyu.Authorize(uiActor(r), shuyu.ActCatalogUpdate, e.Resource()); err != nil {
		return err
	}
	rev, revise, err := catalogEditable(e)
	if err != nil {
		return err
	}
	d, err := s.catalogEditData(r, emptyForm(), rev)
	if err != nil {
		return err
	}
	d.Entry, d.Revise = e, revise
	return s.render(w, r, "catalog/edit.html", d)
}

func (s *Server) uiCatalogSave(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.catalogWorkEntry(r, id)
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	rev, err := catalogParseRevision(f)
	if err == nil {
		_, err = s.db.UpdateCatalogEntry(r.Context(), uiActor(r), id, rev)
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		if f.Status == http.StatusNotFound {
			return err
		}
		d, derr := s.catalogEditData(r, f, &rev)
		if derr != nil {
			return derr
		}
		d.Entry, d.Revise = e, e.Working == nil
		return s.renderStatus(w, r, f.Status, "catalog/edit.html", d)
	}
	return s.redirectFlash(w, r, catalogIDPath(id, "/work"), "ok", Tf(lang, "catalog.saved", rev.Name))
}

// catalogCategoryRow is a node of the category tree with its depth.
type catalogCategoryRow struct {
	shuyu.CatalogCategory
	Depth  int
	Indent string
}

// catalogTree orders the categories depth-first (parents before their
// children) and notes each one's depth.
func catalogTree(cats []shuyu.CatalogCategory) []catalogCategoryRow {
	kids := map[int64][]shuyu.CatalogCategory{}
	ids := map[int64]bool{}
	for _, c := range cats {
		ids[c.ID] = true
	}
	for _, c := range cats {
		p := c.ParentID
		if !ids[p] {
			p = 0
		}
		kids[p] = append(kids[p], c)
	}
	var out []catalogCategoryRow
	var walk func(parent int64, depth int)
	walk = func(parent int64, depth int) {
		for _, c := range kids[parent] {
			if depth > 20 {
				return
			}
			indent := ""
			for i := 0; i < depth; i++ {
				indent += "　"
			}
			out = append(out, catalogCategoryRow{CatalogCategory: c, Depth: depth, Indent: indent})
			walk(c.ID, depth+1)
		}
	}
	walk(0, 0)
	return out
}

// catalogEditRow is one field row of the edit form as the
// "catalog-field-row" partial sees it; Idx is "__i__" in the row template
// that static/catalog.js copies.
type catalogEditRow struct {
	V    *view
	Idx  string
	F    shuyu.CatalogField
	Errs map[string]string
}

// catalogRow is the template helper "catalogRow": one field row of the
// edit form with its errors.
func catalogRow(v *view, idx any, f shuyu.CatalogField) catalogEditRow {
	row := catalogEditRow{V: v, Idx: fmt.Sprint(idx), F: f, Errs: map[string]string{}}
	if d, ok := v.Data.(catalogPageData); ok && d.Form != nil {
		for _, attr := range []string{"name", "label", "data_type", "grade", "sensitive_pi", "description"} {
			if m := d.Form.FieldErr("fields[" + row.Idx + "]." + attr); m != "" {
				row.Errs[attr] = m
			}
		}
	}
	return row
}

// Enums are the edit form's choices, for the row partial.
func (catalogEditRow) Enums() catalogEnums { return catalogEnumValues }

// Blank is a new field row's defaults.
func (catalogPageData) Blank() shuyu.CatalogField {
	return shuyu.CatalogField{DataType: "string", Grade: shuyu.GradeGeneral}
}
