package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
)

// The review chain's inputs read an absent body as the zero input (actions
// without parameters; the store refuses what that leaves incomplete), so
// each embeds bodyMayBeEmpty (web/jsonapi.go).
type (
	reviewNone        struct{ bodyMayBeEmpty }
	reviewApplication struct {
		bodyMayBeEmpty
		shuyu.ApplicationInput
	}
	reviewCheck struct {
		bodyMayBeEmpty
		shuyu.CheckResult
	}
	reviewDecision struct {
		bodyMayBeEmpty
		shuyu.Decision
	}
	reviewExtension struct {
		bodyMayBeEmpty
		shuyu.Extension
	}
	reviewReason struct {
		bodyMayBeEmpty
		Reason string `json:"reason"`
	}
)

func (s *Server) reviewApplicationRoutes() {
	s.handle("POST", "/api/v1/applications", create(s.actor, func(ctx context.Context, a *shuyu.Actor, in reviewApplication) (*shuyu.Application, error) {
		return s.db.SubmitApplication(ctx, a, in.ApplicationInput)
	}))
	s.handle("GET", "/api/v1/applications", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.Application, error) {
		return s.db.Applications(ctx, a, q.Get("status"))
	}))
	s.handle("GET", "/api/v1/applications/{id}", onObject(s.actor, s.db.Application))
	s.handle("GET", "/api/v1/applications/{id}/rounds", onObjectList(s.actor, s.db.Rounds))
	s.handle("POST", "/api/v1/applications/{id}/resubmit", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reviewApplication) (*shuyu.Application, error) {
		return s.db.ResubmitApplication(ctx, a, id, in.ApplicationInput)
	}))
	s.handle("POST", "/api/v1/applications/{id}/withdraw", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reviewReason) (*shuyu.Application, error) {
		if err := s.db.WithdrawApplication(ctx, a, id, in.Reason); err != nil {
			return nil, err
		}
		return s.db.Application(ctx, a, id)
	}))
	s.handle("POST", "/api/v1/applications/{id}/check", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reviewCheck) (*shuyu.Application, error) {
		return s.db.CheckApplication(ctx, a, id, in.CheckResult)
	}))
	s.handle("POST", "/api/v1/applications/{id}/files", upload[*shuyu.File](http.StatusCreated, s.apiApplicationFile))
	s.handle("POST", "/api/v1/applications/{id}/agreement", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ reviewNone) (*shuyu.Agreement, error) {
		return s.db.GenerateAgreement(ctx, a, id)
	}))
	s.handle("GET", "/api/v1/reviews", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]sqlstore.ReviewTask, error) {
		return s.db.ReviewQueue(ctx, a)
	}))
	s.handle("GET", "/api/v1/reviews/stats", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]sqlstore.ReviewerStats, error) {
		return s.db.ReviewStats(ctx, a)
	}))
	s.handle("POST", "/api/v1/reviews/{id}/decide", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reviewDecision) (*shuyu.Review, error) {
		return s.db.DecideReview(ctx, a, id, in.Decision)
	}))
	s.handle("POST", "/api/v1/reviews/{id}/extend", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reviewExtension) (*shuyu.Review, error) {
		return s.db.ExtendReview(ctx, a, id, in.Extension)
	}))
	s.handle("GET", "/api/v1/agreements", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.Agreement, error) {
		return s.db.Agreements(ctx, a)
	}))
	s.handle("GET", "/api/v1/agreements/{id}", onObject(s.actor, s.db.Agreement))
	s.handle("GET", "/api/v1/agreements/{id}/verify", onObject(s.actor, s.db.VerifyAgreement))
	s.handle("POST", "/api/v1/agreements/{id}/sign", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		bodyMayBeEmpty
		Password string `json:"password"`
	}) (*shuyu.Agreement, error) {
		return s.db.SignAgreement(ctx, a, id, in.Password)
	}))
	s.handle("POST", "/api/v1/agreements/{id}/terminate", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reviewReason) (*shuyu.Agreement, error) {
		return s.db.TerminateAgreement(ctx, a, id, in.Reason)
	}))
	s.handle("GET", "/api/v1/files/{id}", download(s.apiFile, "application/pdf", "image/png", "image/jpeg"))
	s.handle("GET", "/api/v1/inbox", onQuery(s.actor, s.reviewInbox))
	s.handle("POST", "/api/v1/inbox/read", command(s.actor, http.StatusOK, func(ctx context.Context, a *shuyu.Actor, in struct {
		bodyMayBeEmpty
		IDs []int64 `json:"ids"`
	}) (inboxMarked, error) {
		n, err := s.db.MarkRead(ctx, a, in.IDs)
		return inboxMarked{Marked: n}, err
	}))
}

// reviewInbox is the actor's notices (?limit=, ?unread=1) with the unread
// count.
func (s *Server) reviewInbox(ctx context.Context, a *shuyu.Actor, q url.Values) (*inboxPage, error) {
	limit, _ := strconv.Atoi(q.Get("limit"))
	ns, unread, err := s.db.Inbox(ctx, a, limit, q.Get("unread") == "1")
	if err != nil {
		return nil, err
	}
	if ns == nil {
		ns = []sqlstore.Notice{}
	}
	return &inboxPage{Items: ns, Total: len(ns), Unread: unread}, nil
}

// inboxPage is a page of the actor's notices and how many are unread.
type inboxPage struct {
	Items  []sqlstore.Notice `json:"items" openapi:"notnull"`
	Total  int               `json:"total"`
	Unread int               `json:"unread"`
}

// inboxMarked says how many notices were marked read.
type inboxMarked struct {
	Marked int `json:"marked"`
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
