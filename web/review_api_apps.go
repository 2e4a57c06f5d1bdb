package web

import (
	"net/http"

	"shuyu"
)

func (s *Server) reviewApplicationRoutes() {
	s.handle("POST", "/api/v1/applications", reviewJSON(s, http.StatusCreated, func(r *http.Request, a *shuyu.Actor, in shuyu.ApplicationInput) (*shuyu.Application, error) {
		return s.db.SubmitApplication(r.Context(), a, in)
	}))
	s.handle("GET", "/api/v1/applications", reviewJSON(s, http.StatusOK, func(r *http.Request, a *shuyu.Actor, _ reviewNone) (any, error) {
		apps, err := s.db.Applications(r.Context(), a, r.URL.Query().Get("status"))
		return listOf(apps), err
	}))
	s.handle("GET", "/api/v1/applications/{id}", reviewByID(s, func(r *http.Request, a *shuyu.Actor, id int64, _ reviewNone) (any, error) {
		return s.db.Application(r.Context(), a, id)
	}))
	s.handle("GET", "/api/v1/applications/{id}/rounds", reviewByID(s, func(r *http.Request, a *shuyu.Actor, id int64, _ reviewNone) (any, error) {
		rs, err := s.db.Rounds(r.Context(), a, id)
		return listOf(rs), err
	}))
	s.handle("POST", "/api/v1/applications/{id}/resubmit", reviewByID(s, func(r *http.Request, a *shuyu.Actor, id int64, in shuyu.ApplicationInput) (any, error) {
		return s.db.ResubmitApplication(r.Context(), a, id, in)
	}))
	s.handle("POST", "/api/v1/applications/{id}/withdraw", reviewByID(s, func(r *http.Request, a *shuyu.Actor, id int64, in reviewReason) (any, error) {
		if err := s.db.WithdrawApplication(r.Context(), a, id, in.Reason); err != nil {
			return nil, err
		}
		return s.db.Application(r.Context(), a, id)
	}))
	s.handle("POST", "/api/v1/applications/{id}/check", reviewByID(s, func(r *http.Request, a *shuyu.Actor, id int64, in shuyu.CheckResult) (any, error) {
		return s.db.CheckApplication(r.Context(), a, id, in)
	}))
	s.handle("POST", "/api/v1/applications/{id}/files", s.apiApplicationFile)
	s.handle("POST", "/api/v1/applications/{id}/agreement", reviewByID(s, func(r *http.Request, a *shuyu.Actor, id int64, _ reviewNone) (any, error) {
		return s.db.GenerateAgreement(r.Context(), a, id)
	}))
	s.handle("GET", "/api/v1/reviews", reviewJSON(s, http.StatusOK, func(r *http.Request, a *shuyu.Actor, _ reviewNone) (any, error) {
		q, err := s.db.ReviewQueue(r.Context(), a)
		return listOf(q), err
	}))
	s.handle("GET", "/api/v1/reviews/stats", reviewJSON(s, http.StatusOK, func(r *http.Request, a *shuyu.Actor, _ reviewNone) (any, error) {
		st, err := s.db.ReviewStats(r.Context(), a)
		return listOf(st), err
	}))
	s.handle("POST", "/api/v1/reviews/{id}/decide", reviewByID(s, func(r *http.Request, a *shuyu.Actor, id int64, in shuyu.Decision) (any, error) {
		return s.db.DecideReview(r.Context(), a, id, in)
	}))
	s.handle("POST", "/api/v1/reviews/{id}/extend", reviewByID(s, func(r *http.Request, a *shuyu.Actor, id int64, in shuyu.Extension) (any, error) {
		return s.db.ExtendReview(r.Context(), a, id, in)
	}))
	s.handle("GET", "/api/v1/agreements", reviewJSON(s, http.StatusOK, func(r *http.Request, a *shuyu.Actor, _ reviewNone) (any, error) {
		ags, err := s.db.Agreements(r.Context(), a)
		return listOf(ags), err
	}))
	s.handle("GET", "/api/v1/agreements/{id}", reviewByID(s, func(r *http.Request, a *shuyu.Actor, id int64, _ reviewNone) (any, error) {
		return s.db.Agreement(r.Context(), a, id)
	}))
	s.handle("GET", "/api/v1/agreements/{id}/verify", reviewByID(s, func(r *http.Request, a *shuyu.Actor, id int64, _ reviewNone) (any, error) {
		return s.db.VerifyAgreement(r.Context(), a, id)
	}))
	s.handle("POST", "/api/v1/agreements/{id}/sign", reviewByID(s, func(r *http.Request, a *shuyu.Actor, id int64, in struct {
		Password string `json:"password"`
	}) (any, error) {
		return s.db.SignAgreement(r.Context(), a, id, in.Password)
	}))
	s.handle("POST", "/api/v1/agreements/{id}/terminate", reviewByID(s, func(r *http.Request, a *shuyu.Actor, id int64, in reviewReason) (any, error) {
		return s.db.TerminateAgreement(r.Context(), a, id, in.Reason)
	}))
	s.handle("GET", "/api/v1/files/{id}", s.apiFile)
	s.handle("GET", "/api/v1/inbox", s.apiInbox)
	s.handle("POST", "/api/v1/inbox/read", s.apiInboxRead)
}

// reviewByID is reviewJSON with the path id.
func reviewByID[T any](s *Server, fn func(r *http.Request, a *shuyu.Actor, id int64, in T) (any, error)) handlerFunc {
	status := http.StatusOK
	return reviewJSON(s, status, func(r *http.Request, a *shuyu.Actor, in T) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		return fn(r, a, id, in)
	})
}

func (s *Server) apiApplicationFile(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	name, data, err := reviewUpload(r)
	if err != nil {
		return err
	}
	f, err := s.db.AddApplicationFile(r.Context(), a, id, name, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}
