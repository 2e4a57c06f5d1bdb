package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
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
	Job        *domainJobView
	Jobs       []*sqlstore.SupplyJob
	Versions   []domainVersion
	Report     *vault.QualityReport
	Profile    *vault.Profile
	Columns    []string
	Rows       [][]string
	Pager      *pager
	Issues     []*sqlstore.QualityIssue
	Issue      *sqlstore.QualityIssue
	Stats      []sqlstore.IssueStats
	Suspended  []*sqlstore.Suspension
	Depts      []*shuyu.Org
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
	return s.render(w, r, "domain/mounts.html", domainPageData{Mounts: ms})
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
	d := domainPageData{Entry: e, Form: emptyForm(), MaxUpload: domainUploadCap}
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
	if v, err := s.domainVault(); err == nil {
		vs, err := v.Versions(r.Context(), e.VaultName)
		if err != nil {
			return err
		}
		for i := len(vs) - 1; i >= 0; i-- {
			x := vs[i]
			d.Versions = append(d.Versions, domainVersion{N: x.N, Current: d.Mount != nil && x.N == d.Mount.Version, Rows: x.Rows,
				Bytes: x.Bytes, LoadedAt: x.LoadedAt, Quality: x.Quality, PublicSource: x.PublicSource, NonPublic: x.NonPublic})
		}
	}
	return s.render(w, r, "domain/entry.html", d)
}

// uiDomainUpload is the upload form without JavaScript: it waits for the
// load and shows the job page (with the report or the row errors).
func (s *Server) uiDomainUpload(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	jobID, p, err := s.domainReceive(w, r, a, id)
	if err != nil {
		return s.redirectFlash(w, r, fmt.Sprintf("/domain/entries/%d", id), "error", shuyu.ErrorMessage(err))
	}
	select {
	case <-p.done:
	case <-r.Context().Done():
		return r.Context().Err()
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/domain/jobs/%d", jobID), "ok", T(uiLang(r), "domain.upload.received"))
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
	j, err := s.domainJob(r.Context(), a, id)
	if err != nil {
		return err
	}
	e, err := s.db.DomainEntry(r.Context(), a, j.EntryID)
	if err != nil {
		return err
	}
	return s.render(w, r, "domain/job.html", domainPageData{Job: j, Entry: e, Report: domainReport(j.SupplyJob)})
}

func (s *Server) uiDomainProfile(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.db.AuthorizeDomain(r.Context(), a, shuyu.ActDomainProfile, id)
	if err != nil {
		return err
	}
	v, err := s.domainVault()
	if err != nil {
		return err
	}
	if err := s.domainReadable(r, id); err != nil {
		return err
	}
	p, err := v.Profile(r.Context(), e.VaultName)
	if err != nil {
		return err
	}
	return s.render(w, r, "domain/profile.html", domainPageData{Entry: e, Profile: p})
}

// uiDomainPreview pages through the owner's raw rows; each page read is
// audited by the store (R4.2, R28.1).
func (s *Server) uiDomainPreview(w http.ResponseWriter, r *http.Request) error {
	p, err := s.domainPreview(r, uiActor(r))
	if err != nil {
		return err
	}
	offset, limit, total := p.offset, p.limit, p.total
	d := domainPageData{Entry: p.entry, Columns: p.cols, Rows: p.rows, Pager: &pager{Shown: len(p.rows)}}
	if offset > 0 {
		d.Pager.Prev = withQuery(r, "offset", strconv.Itoa(max(0, offset-limit)))
	}
	if int64(offset+limit) < total {
		d.Pager.Next = withQuery(r, "offset", strconv.Itoa(offset+limit))
	}
	return s.render(w, r, "domain/preview.html", d)
}
