package web

import (
	"net/http"
	"sort"

	"shuyu"
	"shuyu/sqlstore"
)

// Work pages of the approval flow (R8.4-R8.6): a department's entries, an
// entry's open revision with the actions the viewer may take and its
// history, the reviewers' queues and the operator's publication queue.

// catalogMineTabs filter a department's list; "" is everything.
var catalogMineTabs = map[string][]shuyu.RevisionStatus{
	"draft":     {shuyu.StatusDraft},
	"returned":  {shuyu.StatusReturned},
	"review":    {shuyu.StatusCountyReview, shuyu.StatusCityReview, shuyu.StatusApproved},
	"published": {shuyu.StatusPublished},
}

func (s *Server) uiCatalogMine(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	tab := r.URL.Query().Get("tab")
	if _, ok := catalogMineTabs[tab]; !ok {
		tab = ""
	}
	work, err := s.db.CatalogWork(r.Context(), a)
	if err != nil {
		return err
	}
	// Published entries without an open revision are not "work"; the
	// department's published catalog completes the list.
	pub, err := s.db.PublishedEntries(r.Context(), a, sqlstore.CatalogFilter{OrgID: a.OrgID, Limit: 200})
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	var rows []catalogWorkRow
	for _, e := range work {
		if e.OrgID == a.OrgID {
			seen[e.ID] = true
			rows = append(rows, catalogWorkRow{Entry: e, Rev: e.Working})
		}
	}
	for _, e := range pub.Items {
		if !seen[e.ID] {
			rows = append(rows, catalogWorkRow{Entry: e, Rev: e.Revision})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Rev.UpdatedAt.After(rows[j].Rev.UpdatedAt) })
	if want := catalogMineTabs[tab]; want != nil {
		var keep []catalogWorkRow
		for _, row := range rows {
			for _, st := range want {
				if row.Rev.Status == st {
					keep = append(keep, row)
				}
			}
		}
		rows = keep
	}
	d := catalogPageData{Lang: uiLang(r), Tab: tab}
	var exported bool
	if d.Rows, d.List, exported, err = catalogWorkList(w, r, rows, "nav.catalog.mine"); exported || err != nil {
		return err
	}
	return s.render(w, r, "catalog/mine.html", d)
}

// catalogWorkEntry loads an entry for its work pages: another department's
// entry is absent (404), not forbidden (invariant 3).
func (s *Server) catalogWorkEntry(r *http.Request, id int64) (*shuyu.CatalogEntry, error) {
	a := uiActor(r)
	e, err := s.db.CatalogEntry(r.Context(), a, id)
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(a, shuyu.ActCatalogWorkRead, e.Resource()); err != nil {
		return nil, err
	}
	return e, nil
}

func (s *Server) uiCatalogWork(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.catalogWorkRender(w, r, id, emptyForm())
}

// catalogWorkRender shows the work page, with the step form's input and
// error when a step was refused.
func (s *Server) catalogWorkRender(w http.ResponseWriter, r *http.Request, id int64, f *uiForm) error {
	a := uiActor(r)
	e, err := s.catalogWorkEntry(r, id)
	if err != nil {
		return err
	}
	d := catalogPageData{Lang: uiLang(r), Form: f, Entry: e, Rev: e.Working}
	if d.Rev == nil {
		d.Rev = e.Revision
	}
	if d.History, err = s.db.CatalogHistory(r.Context(), a, id); err != nil {
		return err
	}
	if d.Revisions, err = s.db.CatalogRevisions(r.Context(), a, id); err != nil {
		return err
	}
	res := e.Resource()
	d.Can.Work = true
	if wk := e.Working; wk != nil {
		d.Can.Edit = wk.Status.Editable() && shuyu.Can(a, shuyu.ActCatalogUpdate, res)
		d.Can.Submit = wk.Status.Editable() && shuyu.Can(a, shuyu.ActCatalogSubmit, res)
		d.Can.County = wk.Status == shuyu.StatusCountyReview && shuyu.Can(a, shuyu.ActCatalogReviewCounty, res)
		d.Can.City = wk.Status == shuyu.StatusCityReview && shuyu.Can(a, shuyu.ActCatalogReviewCity, res)
		d.Can.Publish = wk.Status == shuyu.StatusApproved && shuyu.Can(a, shuyu.ActCatalogPublish, res)
	} else {
		// R9.1: a published entry is revised as a new version.
		d.Can.Edit = shuyu.Can(a, shuyu.ActCatalogUpdate, res)
		d.Revise = d.Can.Edit
	}
	return s.renderStatus(w, r, f.Status, "catalog/work.html", d)
}

// uiCatalogStep takes one step of the flow: submit, approve or return at
// the county or the city, publish (R8.4-R8.6). The store decides whether
// the viewer may; a refused step shows the work page again with the
// message and the reason typed so far.
func (s *Server) uiCatalogStep(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	lang := uiLang(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	step := shuyu.CatalogStep(f.Get("step"))
	e, err := s.db.CatalogStep(r.Context(), a, id, step, f.Get("reason"))
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		if f.Status == http.StatusNotFound {
			return err
		}
		return s.catalogWorkRender(w, r, id, f)
	}
	name := ""
	if rv := e.Revision; rv != nil {
		name = rv.Name
	}
	if e.Working != nil {
		name = e.Working.Name
	}
	msg := Tf(lang, "catalog.step.done."+string(step), name)
	switch step {
	case shuyu.StepApproveCounty, shuyu.StepReturnCounty, shuyu.StepApproveCity, shuyu.StepReturnCity:
		return s.redirectFlash(w, r, "/catalog/reviews", "ok", msg)
	case shuyu.StepPublish:
		if f.Get("from") == "queue" {
			return s.redirectFlash(w, r, "/catalog/publish", "ok", msg)
		}
		return s.redirectFlash(w, r, catalogIDPath(id, ""), "ok", msg)
	}
	return s.redirectFlash(w, r, catalogIDPath(id, "/work"), "ok", msg)
}

func (s *Server) uiCatalogReviews(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	var rows []catalogWorkRow
	if st := catalogReviewStatuses(a); len(st) > 0 {
		l, err := s.db.CatalogWork(r.Context(), a, st...)
		if err != nil {
			return err
		}
		for _, e := range l {
			rows = append(rows, catalogWorkRow{Entry: e, Rev: e.Working})
		}
	}
	d := catalogPageData{Lang: uiLang(r), Queue: "reviews"}
	var exported bool
	var err error
	if d.Rows, d.List, exported, err = catalogWorkList(w, r, rows, "nav.catalog.reviews"); exported || err != nil {
		return err
	}
	return s.render(w, r, "catalog/queue.html", d)
}

// uiCatalogPublishQueue lists approved revisions with the authority's
// consent that allows pushing them (R8.6).
func (s *Server) uiCatalogPublishQueue(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	l, err := s.db.CatalogWork(r.Context(), a, shuyu.StatusApproved)
	if err != nil {
		return err
	}
	d := catalogPageData{Lang: uiLang(r), Queue: "publish"}
	for _, e := range l {
		if shuyu.Can(a, shuyu.ActCatalogPublish, e.Resource()) {
			d.Rows = append(d.Rows, catalogWorkRow{Entry: e, Rev: e.Working})
		}
	}
	var exported bool
	if d.Rows, d.List, exported, err = catalogWorkList(w, r, d.Rows, "nav.catalog.publish"); exported || err != nil {
		return err
	}
	return s.render(w, r, "catalog/queue.html", d)
}
