package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"shuyu"
	"shuyu/workspace"
)

// sandboxRoutes registers the workspaces (开发利用环境, R14.1): governed
// queries over real data (R4.2), simulated data (R6.1), history and
// metering (R14.2), and the SQL workbench pages. The work is done by the
// workspace service (s.ws) and the store; the API and the pages call the
// same reads (Workspaces, Describe, Sample, WorkspaceQueries).
func (s *Server) sandboxRoutes() {
	s.handle("GET", "/api/v1/workspaces", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.Workspace, error) {
		return s.db.Workspaces(ctx, a)
	}))
	// The operator opens a workspace by hand (a trial, or before the
	// agreement flow exists); agreements open theirs when signed.
	s.handle("POST", "/api/v1/workspaces", create(s.allowedTo(shuyu.ActWorkspaceOpen, shuyu.Resource{Kind: "workspace"}),
		func(ctx context.Context, a *shuyu.Actor, in struct {
			OrgID       int64              `json:"org_id"`
			AgreementID int64              `json:"agreement_id"`
			Name        string             `json:"name"`
			StartsAt    time.Time          `json:"starts_at"`
			EndsAt      time.Time          `json:"ends_at"`
			Entries     []shuyu.GrantEntry `json:"entries"`
			K           int                `json:"k"`
			Epsilon     float64            `json:"dp_epsilon"`
			ByConsent   bool               `json:"by_consent"` // R28.5: only subjects with a live grant
		}) (*shuyu.Workspace, error) {
			return s.db.OpenWorkspace(ctx, a, shuyu.WorkspaceGrant{OrgID: in.OrgID, AgreementID: in.AgreementID,
				Name: in.Name, StartsAt: in.StartsAt, EndsAt: in.EndsAt, Entries: in.Entries, K: in.K, Epsilon: in.Epsilon,
				ByConsent: in.ByConsent})
		}))
	s.handle("GET", "/api/v1/workspaces/{id}", onObject(s.actor, s.ws.Describe))
	s.handle("POST", "/api/v1/workspaces/{id}/status", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
	}) (*shuyu.Workspace, error) {
		return s.db.SetWorkspaceStatus(ctx, a, id, in.Action, in.Reason)
	}))
	s.handle("POST", "/api/v1/workspaces/{id}/queries", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		SQL  string `json:"sql"`
		Data string `json:"data"`
	}) (*workspace.Result, error) {
		if in.Data == "" {
			in.Data = shuyu.DataReal
		}
		return s.ws.Query(ctx, a, id, in.SQL, in.Data)
	}))
	s.handle("GET", "/api/v1/workspaces/{id}/queries", onObjectCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, q url.Values) ([]shuyu.WorkspaceQuery, error) {
		limit, err := limitParam(q, 100, 500)
		if err != nil {
			return nil, err
		}
		return s.db.WorkspaceQueries(ctx, a, id, limit)
	}))
	s.handle("GET", "/api/v1/workspaces/{id}/tables/{table}/sample", onObjectPart(s.actor, "table", func(ctx context.Context, a *shuyu.Actor, id int64, t string, q url.Values) (*tableSample, error) {
		if err := sandboxTable(t); err != nil {
			return nil, err
		}
		limit, err := limitParam(q, 20, 1000)
		if err != nil {
			return nil, err
		}
		cols, rows, err := s.ws.Sample(ctx, a, id, t, limit)
		if err != nil {
			return nil, err
		}
		return &tableSample{Table: t, Data: shuyu.DataSimulated, Columns: cols, Rows: rows}, nil
	}))
	s.handle("GET", "/api/v1/workspaces/{id}/tables/{table}/simulated.csv", download(s.apiWorkspaceSimulatedCSV, "text/csv"))
	s.sandboxPages()
	s.runningRoutes() // sandbox_running.go: the overseers' running queries
}

// tableSample is rows of a table's simulated twin (never real data).
type tableSample struct {
	Table   string   `json:"table"`
	Data    string   `json:"data"` // always "simulated"
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// limitParam reads ?limit=, def when absent, else a whole number from 1 to
// max (EINVALID otherwise).
func limitParam(q url.Values, def, max int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	limit, err := strconv.Atoi(v)
	if err != nil || limit < 1 || limit > max {
		return 0, shuyu.Errorf(shuyu.EINVALID, "limit 须为 1 至 %d (bad limit)", max)
	}
	return limit, nil
}

var sandboxTableRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// sandboxTable checks {table}: anything but a plain name names no table.
func sandboxTable(t string) error {
	if !sandboxTableRe.MatchString(t) {
		return shuyu.Errorf(shuyu.ENOTFOUND, "表不存在 (no such table)")
	}
	return nil
}

// apiWorkspaceSimulatedCSV streams a table's simulated twin as CSV (R6.1):
// a file, not JSON, so it is not one of the jsonapi shapes.
func (s *Server) apiWorkspaceSimulatedCSV(w http.ResponseWriter, r *http.Request) error {
	a, id, err := objectCall(s.actor, r)
	if err != nil {
		return err
	}
	t := r.PathValue("table")
	if err := sandboxTable(t); err != nil {
		return err
	}
	// Generate first, so that an error is still a JSON error, not half a file.
	if _, _, err := s.ws.Sample(r.Context(), a, id, t, 1); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s_simulated.csv"`, t))
	return s.ws.WriteCSV(r.Context(), a, id, t, w)
}
