package web

import (
	"net/http"
	"regexp"

	"shuyu"
	"shuyu/workspace"
)

// runningRoutes: the overseers' view of the real-data queries queued or
// running in the workspaces, and their cancellation (docs/limits.md). The
// operator and the authority hold shuyu.ActQueryOversee; a cancellation
// needs a reason and is audited before the query is stopped (R27.1).
func (h *sandboxAPI) runningRoutes() {
	h.s.handle("GET", "/api/v1/queries/running", h.apiRunning)
	h.s.handle("POST", "/api/v1/queries/running/{token}/cancel", h.apiCancelRunning)
	h.s.page("GET /queries/running", pageOpts{Nav: "nav.queries.running", Group: "nav.group.dev", Order: 20,
		Action: shuyu.ActQueryOversee}, h.uiRunning)
	h.s.page("POST /queries/running/{token}/cancel", pageOpts{Action: shuyu.ActQueryOversee}, h.uiCancelRunning)
}

var runningTokenRe = regexp.MustCompile(`^[0-9a-f]{24}$`)

// runningToken parses {token}; anything else names no query.
func runningToken(r *http.Request) (string, error) {
	t := r.PathValue("token")
	if !runningTokenRe.MatchString(t) {
		return "", shuyu.Errorf(shuyu.ENOTFOUND, "查询不存在或已结束 (no such running query)")
	}
	return t, nil
}

func (h *sandboxAPI) apiRunning(w http.ResponseWriter, r *http.Request) error {
	a, err := h.s.actor(r)
	if err != nil {
		return err
	}
	qs, err := h.ws.RunningQueries(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(qs))
	return nil
}

func (h *sandboxAPI) apiCancelRunning(w http.ResponseWriter, r *http.Request) error {
	a, err := h.s.actor(r)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := shuyu.Authorize(a, shuyu.ActQueryOversee, shuyu.Resource{Kind: "query"}); err != nil {
		return err // refused before the token says anything
	}
	token, err := runningToken(r)
	if err != nil {
		return err
	}
	q, err := h.ws.CancelQuery(r.Context(), a, token, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

type runningData struct {
	Items []workspace.RunningQuery
	Form  *uiForm
	Tone  map[string]string
}

var runningTones = map[string]string{workspace.StateQueued: "muted", workspace.StateRunning: "info", workspace.StateCancelling: "warn"}

func (h *sandboxAPI) uiRunning(w http.ResponseWriter, r *http.Request) error {
	return h.renderRunning(w, r, http.StatusOK, emptyForm())
}

func (h *sandboxAPI) renderRunning(w http.ResponseWriter, r *http.Request, status int, f *uiForm) error {
	qs, err := h.ws.RunningQueries(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	return h.s.renderStatus(w, r, status, "sandbox/running.html", runningData{Items: qs, Form: f, Tone: runningTones})
}

func (h *sandboxAPI) uiCancelRunning(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	token, err := runningToken(r)
	if err == nil {
		_, err = h.ws.CancelQuery(r.Context(), uiActor(r), token, f.Get("reason"))
	}
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return h.renderRunning(w, r, f.Status, f)
	}
	return h.s.redirectFlash(w, r, "/queries/running", "ok", T(uiLang(r), "queries.cancelled"))
}
