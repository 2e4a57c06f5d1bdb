package web

import (
	"fmt"
	"net/http"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
)

// uiDomainIssues is the quality issue queue: a department sees what it must
// answer and fix, with the deadline in working days (R11.1); the operator
// and the authority see every department and the counts (R31.1).
func (s *Server) uiDomainIssues(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	f := &uiForm{Values: r.URL.Query(), Status: http.StatusOK}
	d := domainPageData{Form: f}
	var err error
	var all []*sqlstore.QualityIssue
	all, err = s.db.Issues(r.Context(), a, sqlstore.IssueFilter{})
	if err == nil {
		var exported bool
		if d.Issues, d.List, exported, err = issuesList(w, r, all); exported || err != nil {
			return err
		}
		d.Stats, err = s.db.IssueStatistics(r.Context(), a)
	}
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderStatus(w, r, f.Status, "domain/issues.html", d)
	}
	return s.render(w, r, "domain/issues.html", d)
}

func (s *Server) uiDomainIssue(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q, err := s.db.Issue(r.Context(), a, id)
	if err != nil {
		return err
	}
	return s.render(w, r, "domain/issue.html", s.domainIssueData(a, q, emptyForm()))
}

func (s *Server) domainIssueData(a *shuyu.Actor, q *sqlstore.QualityIssue, f *uiForm) domainPageData {
	return domainPageData{Issue: q, Form: f,
		CanAnswer: shuyu.Can(a, shuyu.ActIssueAnswer, q.Resource()) && (q.Status == sqlstore.IssueOpen || q.Status == sqlstore.IssueAnswered),
		CanClose:  shuyu.Can(a, shuyu.ActIssueClose, q.Resource()) && q.Status != sqlstore.IssueClosed}
}

func (s *Server) uiDomainIssueStep(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	step := r.PathValue("step")
	if step != "answer" && step != "fix" && step != "close" {
		return shuyu.Errorf(shuyu.ENOTFOUND, "对象不存在 (not found)")
	}
	q, err := s.domainIssueStep(r.Context(), a, id, step, f.Get("text"))
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		cur, gerr := s.db.Issue(r.Context(), a, id)
		if gerr != nil {
			return gerr
		}
		return s.renderStatus(w, r, f.Status, "domain/issue.html", s.domainIssueData(a, cur, f))
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/domain/issues/%d", q.ID), "ok", T(uiLang(r), "domain.issue.saved"))
}

// uiDomainSuspensions lists suspensions and, for the authority, the form to
// suspend by entry, department or the whole platform (R27.3).
func (s *Server) uiDomainSuspensions(w http.ResponseWriter, r *http.Request) error {
	return s.domainSuspensionsPage(w, r, emptyForm())
}

func (s *Server) domainSuspensionsPage(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	a := uiActor(r)
	d := domainPageData{Form: f}
	var err error
	if d.Suspended, err = s.db.Suspensions(r.Context(), a, false); err != nil {
		return err
	}
	if shuyu.Can(a, shuyu.ActSuspensionCreate, shuyu.Resource{}) {
		if d.Mounts, err = s.db.Mounts(r.Context(), a); err != nil {
			return err
		}
		if d.Depts, err = s.db.Orgs(r.Context(), a, shuyu.OrgSourceDept); err != nil {
			return err
		}
	}
	return s.renderStatus(w, r, f.Status, "domain/suspensions.html", d)
}

func (s *Server) uiDomainSuspend(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	in := sqlstore.SuspendInput{Scope: f.Get("scope"), Reason: f.Get("reason")}
	in.EntryID, _ = strconv.ParseInt(f.Get("entry_id"), 10, 64)
	in.OrgID, _ = strconv.ParseInt(f.Get("org_id"), 10, 64)
	if _, err := s.supply.Suspend(r.Context(), uiActor(r), in); err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.domainSuspensionsPage(w, r, f)
	}
	return s.redirectFlash(w, r, "/domain/suspensions", "ok", T(uiLang(r), "domain.suspend.done"))
}

func (s *Server) uiDomainResume(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	if _, err := s.supply.Resume(r.Context(), uiActor(r), id, f.Get("reason")); err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.domainSuspensionsPage(w, r, f)
	}
	return s.redirectFlash(w, r, "/domain/suspensions", "ok", T(uiLang(r), "domain.resume.done"))
}
