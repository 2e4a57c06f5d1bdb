package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/supply"
	"shuyu/vault"
)

// domainPageRoutes registers the data domain's pages: the mounting overview
// (R10.2), an entry with its upload form, progress bar, versions and
// quality report (R10.1, R11.1), the profile (R2.1), the owner's preview
// (R4.2), the quality issue queue (R11.1) and the suspension page (R27.3).
func (s *Server) domainPageRoutes() {
	s.page("GET /domain", pageOpts{Nav: "nav.domain", Group: "nav.group.data", Order: 30, Action: shuyu.ActDomainRead,
		Desc: "nav.domain.desc"}, s.uiDomainMounts)
	s.page("GET /domain/entries/{id}", pageOpts{Action: shuyu.ActDomainRead}, s.uiDomainEntry)
	s.page("POST /domain/entries/{id}/upload", pageOpts{AnyOf: []shuyu.Action{shuyu.ActDomainSupply}}, s.uiDomainUpload)
	s.page("GET /domain/jobs/{id}", pageOpts{Action: shuyu.ActDomainRead}, s.uiDomainJob)
	s.page("GET /domain/entries/{id}/profile", pageOpts{Action: shuyu.ActDomainProfile}, s.uiDomainProfile)
	s.page("GET /domain/entries/{id}/preview", pageOpts{Action: shuyu.ActDomainPreview}, s.uiDomainPreview)
	s.page("GET /domain/issues", pageOpts{Nav: "nav.domain.issues", Group: "nav.group.data", Order: 31, Action: shuyu.ActIssueRead,
		Desc: "nav.domain.issues.desc", Count: s.domainOpenIssues, CountLabel: "domain.count.open"}, s.uiDomainIssues)
	s.page("GET /domain/issues/{id}", pageOpts{Action: shuyu.ActIssueRead}, s.uiDomainIssue)
	s.page("POST /domain/issues/{id}/{step}", pageOpts{Action: shuyu.ActIssueRead}, s.uiDomainIssueStep)
	s.page("GET /domain/suspensions", pageOpts{Nav: "nav.domain.suspensions", Group: "nav.group.supervise", Order: 30,
		Action: shuyu.ActSuspensionRead, Desc: "nav.domain.suspensions.desc"}, s.uiDomainSuspensions)
	s.page("POST /domain/suspensions", pageOpts{Action: shuyu.ActSuspensionCreate}, s.uiDomainSuspend)
	s.page("POST /domain/suspensions/{id}/resume", pageOpts{Action: shuyu.ActSuspensionResume}, s.uiDomainResume)
}

func (s *Server) domainOpenIssues(ctx context.Context, a *shuyu.Actor) (int, error) {
	l, err := s.db.Issues(ctx, a, sqlstore.IssueFilter{Status: sqlstore.IssueOpen})
	return len(l), err
}

// domainTone is the badge colour of a domain status.
func domainTone(status string) string {
	switch status {
	case "done", "fixed", "closed", "mounted", "ontime":
		return "ok"
	case "loading", "queued", "answered", "open":
		return "warn"
	case "failed", "overdue", "suspended", "late":
		return "danger"
	}
	return "muted"
}

// domainPageData carries what the domain templates share.
type domainPageData struct {
	Form       *uiForm
	Mounts     []*sqlstore.MountStatus
	Entry      *sqlstore.DomainEntry
	Mount      *sqlstore.MountStatus
	Job        *supply.JobView
	Jobs       []*sqlstore.SupplyJob
	Versions   []supply.Version
	Report     *vault.QualityReport
	Profile    *vault.Profile
	Columns    []string
	Rows       [][]string
	Pager      *pager
	List       *listView // the list component's bar (issues)
	Issues     []*sqlstore.QualityIssue
	Issue      *sqlstore.QualityIssue
	Stats      []sqlstore.IssueStats
	Suspended  []*sqlstore.Suspension
	Depts      []*shuyu.Org
	Pull       *sqlstore.PullRun    // the job's pull, when it is one
	PullSource *sqlstore.PullSource // and its source, when the reader may see it
	CanUpload  bool
	CanProfile bool
	CanPreview bool
	CanAnswer  bool
	CanClose   bool
	MaxUpload  int64
}

// Tone is the badge colour of a status, for the templates.
func (domainPageData) Tone(status string) string { return domainTone(status) }

func (s *Server) uiDomainMounts(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.db.Mounts(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	d := domainPageData{}
	var exported bool
	if d.Mounts, d.List, exported, err = mountsList(w, r, ms); exported || err != nil {
		return err
	}
	return s.render(w, r, "domain/mounts.html", d)
}

func (s *Server) uiDomainEntry(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.db.DomainEntry(r.Context(), a, id)
	if err != nil {
		return err
	}
	d := domainPageData{Entry: e, Form: emptyForm(), MaxUpload: s.supply.MaxBytes}
	res := e.Resource()
	d.CanUpload = e.Published && shuyu.Can(a, shuyu.ActDomainSupply, res)
	d.CanProfile = shuyu.Can(a, shuyu.ActDomainProfile, res)
	d.CanPreview = shuyu.Can(a, shuyu.ActDomainPreview, res)
	if e.Published {
		if d.Mount, err = s.db.Mount(r.Context(), a, id); err != nil {
			return err
		}
	}
	if d.Jobs, err = s.db.SupplyJobs(r.Context(), a, id, 20); err != nil {
		return err
	}
	if j, err := s.db.LatestReport(r.Context(), a, id); err == nil {
		d.Report = domainReport(j)
	}
	if s.supply.Ready() == nil {
		vs, err := s.supply.Versions(r.Context(), a, id) // the API's read, newest first here
		if err != nil {
			return err
		}
		slices.Reverse(vs)
		d.Versions = vs
	}
	return s.render(w, r, "domain/entry.html", d)
}

func domainReport(j *sqlstore.SupplyJob) *vault.QualityReport {
	if j == nil || len(j.Report) == 0 {
		return nil
	}
	var rep vault.QualityReport
	if err := json.Unmarshal(j.Report, &rep); err != nil {
		return nil
	}
	return &rep
}

func (s *Server) uiDomainJob(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	j, err := s.supply.Job(r.Context(), a, id)
	if err != nil {
		return err
	}
	e, err := s.db.DomainEntry(r.Context(), a, j.EntryID)
	if err != nil {
		return err
	}
	d := domainPageData{Job: j, Entry: e, Report: domainReport(j.SupplyJob)}
	if j.Source == "pull" {
		// A pull's job shows its source and reconciliation, not a file.
		if d.Pull, err = s.db.PullRunByJob(r.Context(), a, id); err != nil {
			return err
		}
		if p, err := s.db.PullSource(r.Context(), a, d.Pull.SourceID); err == nil {
			d.PullSource = p
		}
	}
	return s.render(w, r, "domain/job.html", d)
}

func (s *Server) uiDomainProfile(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.supply.Profile(r.Context(), a, id) // the API's read
	if err != nil {
		return err
	}
	return s.render(w, r, "domain/profile.html", domainPageData{Entry: p.Entry, Profile: p.Profile})
}

// uiDomainPreview pages through the owner's raw rows; each page read is
// audited by the store (R4.2, R28.1).
func (s *Server) uiDomainPreview(w http.ResponseWriter, r *http.Request) error {
	p, err := s.domainPreview(r, uiActor(r))
	if err != nil {
		return err
	}
	offset, limit, total := p.Offset, p.Limit, p.Total
	d := domainPageData{Entry: p.Entry, Columns: p.Columns, Rows: p.Rows, Pager: &pager{Shown: len(p.Rows)}}
	if offset > 0 {
		d.Pager.Prev = withQuery(r, "offset", strconv.Itoa(max(0, offset-limit)))
	}
	if int64(offset+limit) < total {
		d.Pager.Next = withQuery(r, "offset", strconv.Itoa(offset+limit))
	}
	return s.render(w, r, "domain/preview.html", d)
}
