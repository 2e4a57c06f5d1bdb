package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"shuyu"
	"shuyu/workspace"
)

// sandboxRoutes registers the workspaces (开发利用环境, R14.1): governed
// queries over real data (R4.2), simulated data (R6.1), history and
// metering (R14.2), and the SQL workbench pages.
func (s *Server) sandboxRoutes() {
	ws := s.ws
	h := &sandboxAPI{s: s, ws: ws}
	s.handle("GET", "/api/v1/workspaces", h.list)
	s.handle("POST", "/api/v1/workspaces", h.open)
	s.handle("GET", "/api/v1/workspaces/{id}", h.get)
	s.handle("POST", "/api/v1/workspaces/{id}/status", h.status)
	s.handle("POST", "/api/v1/workspaces/{id}/queries", h.query)
	s.handle("GET", "/api/v1/workspaces/{id}/queries", h.queries)
	s.handle("GET", "/api/v1/workspaces/{id}/tables/{table}/sample", h.sample)
	s.handle("GET", "/api/v1/workspaces/{id}/tables/{table}/simulated.csv", h.download)
	h.pages()
	h.runningRoutes() // sandbox_running.go: the overseers' running queries
}

type sandboxAPI struct {
	s  *Server
	ws *workspace.Service
}

func (h *sandboxAPI) list(w http.ResponseWriter, r *http.Request) error {
	a, err := h.s.actor(r)
	if err != nil {
		return err
	}
	items, err := h.s.db.Workspaces(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(items))
	return nil
}

// open lets the operator open a workspace by hand (a trial, or before the
// agreement flow exists); agreements open theirs when signed.
func (h *sandboxAPI) open(w http.ResponseWriter, r *http.Request) error {
	a, err := h.s.actor(r)
	if err != nil {
		return err
	}
	var in struct {
		OrgID       int64              `json:"org_id"`
		AgreementID int64              `json:"agreement_id"`
		Name        string             `json:"name"`
		StartsAt    time.Time          `json:"starts_at"`
		EndsAt      time.Time          `json:"ends_at"`
		Entries     []shuyu.GrantEntry `json:"entries"`
		K           int                `json:"k"`
		Epsilon     float64            `json:"dp_epsilon"`
	}
	if err := shuyu.Authorize(a, shuyu.ActWorkspaceOpen, shuyu.Resource{Kind: "workspace"}); err != nil {
		return err
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	ws, err := h.s.db.OpenWorkspace(r.Context(), a, shuyu.WorkspaceGrant{OrgID: in.OrgID, AgreementID: in.AgreementID,
		Name: in.Name, StartsAt: in.StartsAt, EndsAt: in.EndsAt, Entries: in.Entries, K: in.K, Epsilon: in.Epsilon})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ws)
	return nil
}

func (h *sandboxAPI) get(w http.ResponseWriter, r *http.Request) error {
	a, id, err := h.target(r)
	if err != nil {
		return err
	}
	d, err := h.ws.Describe(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (h *sandboxAPI) status(w http.ResponseWriter, r *http.Request) error {
	a, id, err := h.target(r)
	if err != nil {
		return err
	}
	var in struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	ws, err := h.s.db.SetWorkspaceStatus(r.Context(), a, id, in.Action, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ws)
	return nil
}

func (h *sandboxAPI) query(w http.ResponseWriter, r *http.Request) error {
	a, id, err := h.target(r)
	if err != nil {
		return err
	}
	var in struct {
		SQL  string `json:"sql"`
		Data string `json:"data"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Data == "" {
		in.Data = shuyu.DataReal
	}
	res, err := h.ws.Query(r.Context(), a, id, in.SQL, in.Data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (h *sandboxAPI) queries(w http.ResponseWriter, r *http.Request) error {
	a, id, err := h.target(r)
	if err != nil {
		return err
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 500 {
			return shuyu.Errorf(shuyu.EINVALID, "limit 须为 1 至 500 (bad limit)")
		}
	}
	qs, err := h.s.db.WorkspaceQueries(r.Context(), a, id, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(qs))
	return nil
}

var sandboxTableRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

func (h *sandboxAPI) tableTarget(r *http.Request) (*shuyu.Actor, int64, string, error) {
	a, id, err := h.target(r)
	if err != nil {
		return nil, 0, "", err
	}
	t := r.PathValue("table")
	if !sandboxTableRe.MatchString(t) {
		return nil, 0, "", shuyu.Errorf(shuyu.ENOTFOUND, "表不存在 (no such table)")
	}
	return a, id, t, nil
}

func (h *sandboxAPI) sample(w http.ResponseWriter, r *http.Request) error {
	a, id, t, err := h.tableTarget(r)
	if err != nil {
		return err
	}
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return shuyu.Errorf(shuyu.EINVALID, "limit 须为 1 至 1000 (bad limit)")
		}
	}
	cols, rows, err := h.ws.Sample(r.Context(), a, id, t, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"table": t, "data": shuyu.DataSimulated, "columns": cols, "rows": rows})
	return nil
}

func (h *sandboxAPI) download(w http.ResponseWriter, r *http.Request) error {
	a, id, t, err := h.tableTarget(r)
	if err != nil {
		return err
	}
	// Generate first, so that an error is still a JSON error, not half a file.
	if _, _, err := h.ws.Sample(r.Context(), a, id, t, 1); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s_simulated.csv"`, t))
	return h.ws.WriteCSV(r.Context(), a, id, t, w)
}

// target authenticates and parses {id}.
func (h *sandboxAPI) target(r *http.Request) (*shuyu.Actor, int64, error) {
	a, err := h.s.actor(r)
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return nil, 0, err
	}
	return a, id, nil
}
