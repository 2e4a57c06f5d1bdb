package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"

	"shuyu"
	"shuyu/workspace"
)

// runningRoutes: the overseers' view of the real-data queries queued or
// running in the workspaces, and their cancellation (docs/limits.md). The
// operator and the authority hold shuyu.ActQueryOversee; a cancellation
// needs a reason and is audited before the query is stopped (R27.1).
func (s *Server) runningRoutes() {
	s.handle("GET", "/api/v1/queries/running", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]workspace.RunningQuery, error) {
		return s.ws.RunningQueries(ctx, a)
	}))
	s.handle("POST", "/api/v1/queries/running/{token}/cancel", commandOnKey(s.actor, "token", func(ctx context.Context, a *shuyu.Actor, token string, in reasonBody) (*workspace.RunningQuery, error) {
		if err := shuyu.Authorize(a, shuyu.ActQueryOversee, shuyu.Resource{Kind: "query"}); err != nil {
			return nil, err // refused before the token says anything
		}
		if err := runningToken(token); err != nil {
			return nil, err
		}
		return s.ws.CancelQuery(ctx, a, token, in.Reason)
	}))
	s.page("GET /queries/running", pageOpts{Nav: "nav.queries.running", Group: "nav.group.dev", Order: 20,
		Action: shuyu.ActQueryOversee}, s.uiRunning)
	s.page("POST /queries/running/{token}/cancel", pageOpts{Action: shuyu.ActQueryOversee}, s.uiCancelRunning)
}

var runningTokenRe = regexp.MustCompile(`^[0-9a-f]{24}$`)

// runningToken checks {token}; anything else names no query.
func runningToken(t string) error {
	if !runningTokenRe.MatchString(t) {
		return shuyu.Errorf(shuyu.ENOTFOUND, "查询不存在或已结束 (no such running query)")
	}
	return nil
}

type runningData struct {
	Items []workspace.RunningQuery
	Form  *uiForm
	Tone  map[string]string
}

var runningTones = map[string]string{workspace.StateQueued: "muted", workspace.StateRunning: "info", workspace.StateCancelling: "warn"}

func (s *Server) uiRunning(w http.ResponseWriter, r *http.Request) error {
	return s.renderRunning(w, r, http.StatusOK, emptyForm())
}

func (s *Server) renderRunning(w http.ResponseWriter, r *http.Request, status int, f *uiForm) error {
	qs, err := s.ws.RunningQueries(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	return s.renderStatus(w, r, status, "sandbox/running.html", runningData{Items: qs, Form: f, Tone: runningTones})
}

func (s *Server) uiCancelRunning(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	token := r.PathValue("token")
	err = runningToken(token)
	if err == nil {
		_, err = s.ws.CancelQuery(r.Context(), uiActor(r), token, f.Get("reason"))
	}
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderRunning(w, r, f.Status, f)
	}
	return s.redirectFlash(w, r, "/queries/running", "ok", T(uiLang(r), "queries.cancelled"))
}
