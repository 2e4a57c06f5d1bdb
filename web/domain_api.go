package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/supply"
)

// domainRoutes registers the data domain's API routes and pages (R2.1,
// R4.2, R4.3, R10.1, R10.2, R11.1, R26.1, R27.3, R28.3). Reads of
// supplied data and supply jobs are the supply service's (package supply),
// shared with the pages.
func (s *Server) domainRoutes() {
	s.handle("GET", "/api/v1/domain/mounts", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*sqlstore.MountStatus, error) {
		return s.db.Mounts(ctx, a)
	}))
	s.handle("GET", "/api/v1/domain/entries/{id}", onObject(s.actor, s.domainEntry))
	s.handle("PUT", "/api/v1/domain/entries/{id}/rules", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		Rules  []sqlstore.FieldRule `json:"rules"`
		Reason string               `json:"reason"`
	}) (*sqlstore.DomainEntry, error) {
		if err := s.db.SetFieldRules(ctx, a, id, in.Rules, in.Reason); err != nil {
			return nil, err
		}
		return s.db.DomainEntry(ctx, a, id)
	}))
	// A supply job answers 202 with the job's live view, or with ?wait=1
	// 201 with the finished job (domainAnswerJob).
	s.handle("POST", "/api/v1/domain/entries/{id}/uploads", alsoAnswers[*sqlstore.SupplyJob](
		upload[*supply.JobView](http.StatusAccepted, s.apiDomainUpload), http.StatusCreated))
	s.handle("POST", "/api/v1/domain/entries/{id}/drop", alsoAnswers[*sqlstore.SupplyJob](
		jsonRoute[domainDropFile, *supply.JobView](http.StatusAccepted, s.apiDomainDrop), http.StatusCreated))
	s.handle("GET", "/api/v1/domain/entries/{id}/jobs", onObjectList(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64) ([]*sqlstore.SupplyJob, error) {
		return s.db.SupplyJobs(ctx, a, id, 100)
	}))
	s.handle("GET", "/api/v1/domain/jobs/{id}", onObject(s.actor, s.supply.Job))
	s.handle("GET", "/api/v1/domain/entries/{id}/versions", onObjectList(s.actor, s.supply.Versions))
	s.handle("GET", "/api/v1/domain/entries/{id}/quality", onObject(s.actor, s.db.LatestReport))
	// The profile: counts, null rates, distinct counts and the quality
	// score; never values of personal-information or trade-secret fields
	// (R2.1, R4.2).
	s.handle("GET", "/api/v1/domain/entries/{id}/profile", onObject(s.actor, s.supply.Profile))
	s.handle("GET", "/api/v1/domain/entries/{id}/preview", jsonRoute[noBody, *supply.PreviewPage](http.StatusOK, s.apiDomainPreview))
	s.domainIssueRoutes()
	s.domainSuspendRoutes()
	s.pullRoutes()
	s.domainPageRoutes()
}

// domainEntryView is an entry of the domain with its mount once published.
type domainEntryView struct {
	*sqlstore.DomainEntry
	Mount *sqlstore.MountStatus `json:"mount,omitempty"`
}

// domainEntry reads an entry and, once it is published, its mount.
func (s *Server) domainEntry(ctx context.Context, a *shuyu.Actor, id int64) (*domainEntryView, error) {
	e, err := s.db.DomainEntry(ctx, a, id)
	if err != nil {
		return nil, err
	}
	out := &domainEntryView{DomainEntry: e}
	if e.Published {
		if out.Mount, err = s.db.Mount(ctx, a, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// apiDomainPreview pages through raw rows for the owning department only
// (R4.2); each page read is audited (R28.1).
func (s *Server) apiDomainPreview(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	p, err := s.domainPreview(r, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// domainPreview reads the page of raw rows the request asks for through
// the supply service's one preview path (supply.Service.Preview); the API
// and the page both use it.
func (s *Server) domainPreview(r *http.Request, a *shuyu.Actor) (*supply.PreviewPage, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	offset, limit, err := domainPaging(r)
	if err != nil {
		return nil, err
	}
	return s.supply.Preview(r.Context(), a, id, offset, limit)
}

func domainPaging(r *http.Request) (offset, limit int, err error) {
	q := r.URL.Query()
	offset, limit = 0, 50
	bad := shuyu.Errorf(shuyu.EINVALID, "分页参数无效：offset≥0，1≤limit≤1000 (bad paging)")
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, bad
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return 0, 0, bad
		}
	}
	return offset, limit, nil
}
