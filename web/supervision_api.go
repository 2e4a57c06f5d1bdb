package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/workday"
)

// supervisionRoutes: supervision on live data (issue 16, first half) —
// notices on source departments (R31.1), the operator's yearly evaluation
// (R33.1), the scenario register (R16.1, R4.4) and the authority's
// dashboard. The store decides who sees what; these handlers only adapt.
func (s *Server) supervisionRoutes() {
	// Notices (通报). GET /api/v1/notices answers anonymous callers with the
	// published public notices; a logged-in caller sees what it may read.
	s.handle("GET", "/api/v1/notices", onCollection(s.optionalActor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.DeptNotice, error) {
		return s.db.DeptNotices(ctx, a)
	}))
	s.handle("GET", "/api/v1/notices/{id}", jsonRoute[noBody, *shuyu.DeptNotice](http.StatusOK, s.apiNotice).orFile(xlsxType))
	s.handle("POST", "/api/v1/notices", create(s.actor, s.db.DraftNotice))
	s.handle("PUT", "/api/v1/notices/{id}", commandOnObject(s.actor, s.db.UpdateNotice))
	s.handle("POST", "/api/v1/notices/{id}/recompute", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ noBody) (*shuyu.DeptNotice, error) {
		return s.db.RecomputeNotice(ctx, a, id)
	}))
	s.handle("POST", "/api/v1/notices/{id}/publish", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ noBody) (*shuyu.DeptNotice, error) {
		return s.db.PublishNotice(ctx, a, id)
	}))
	s.handle("POST", "/api/v1/notices/{id}/withdraw", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in supervisionReason) (*noContent, error) {
		return nil, s.db.WithdrawNotice(ctx, a, id, in.Reason)
	}))
	s.handle("GET", "/api/v1/departments/{id}/figures", onObjectPart(s.actor, "", func(ctx context.Context, a *shuyu.Actor, id int64, _ string, q url.Values) (*sqlstore.DeptFiguresView, error) {
		from, to, err := supervisionPeriod(q, s.cfg.Now())
		if err != nil {
			return nil, err
		}
		return s.db.DeptFigures(ctx, a, id, from, to)
	}))
	s.supervisionMoreRoutes()
	s.supervisionPages()
}

// supervisionReason is the body of a withdrawal: why, for the trail.
type supervisionReason struct {
	Reason string `json:"reason"`
}

// apiNotice answers one notice; ?format=xlsx downloads its figures.
func (s *Server) apiNotice(w http.ResponseWriter, r *http.Request) error {
	a, err := s.optionalActor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	n, err := s.db.DeptNotice(r.Context(), a, id)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") != "xlsx" {
		writeJSON(w, http.StatusOK, n)
		return nil
	}
	return writeNoticeXLSX(w, n)
}

func writeNoticeXLSX(w http.ResponseWriter, n *shuyu.DeptNotice) error {
	b, err := sqlstore.NoticeXLSX(n)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="notice-%d.xlsx"; filename*=UTF-8''%s`, n.ID,
		url.PathEscape(fmt.Sprintf("通报_%d.xlsx", n.ID))))
	_, err = w.Write(b)
	return err
}

// supervisionPeriod reads ?from=2026-11-01&to=2026-11-30 (inclusive dates,
// Beijing time); without them, the current month up to today.
func supervisionPeriod(q url.Values, now time.Time) (from, to time.Time, err error) {
	if q.Get("from") == "" && q.Get("to") == "" {
		n := now.In(workday.Zone)
		from = time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, workday.Zone)
		return from, from.AddDate(0, 1, 0), nil
	}
	in := shuyu.NoticeInput{From: q.Get("from"), To: q.Get("to")}
	return in.Period(workday.Zone)
}

// Bodies of the scenario and evaluation commands.
type (
	scenarioStatusIn struct {
		Status string `json:"status"` // accepted, landed, rejected
		Note   string `json:"note,omitempty"`
	}
	scenarioFlagIn struct {
		On bool `json:"on"`
	}
	periodIn struct {
		From string `json:"from"` // 2026-10-01
		To   string `json:"to"`   // 2026-12-31, inclusive
	}
)

// supervisionMoreRoutes: scenarios (R16.1, R4.4) and the operator's
// evaluation with its rectifications (R33.1).
func (s *Server) supervisionMoreRoutes() {
	s.handle("GET", "/api/v1/public/scenarios", onCollection(nobody, func(ctx context.Context, _ *shuyu.Actor, _ url.Values) ([]*shuyu.Scenario, error) {
		return s.db.ShowcaseScenarios(ctx)
	}))
	s.handle("GET", "/api/v1/scenarios", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.Scenario, error) {
		return s.db.Scenarios(ctx, a, sqlstore.ScenarioFilter{Status: q.Get("status"), Tag: q.Get("tag")})
	}))
	s.handle("POST", "/api/v1/scenarios", create(s.actor, s.db.CreateScenario))
	s.handle("GET", "/api/v1/scenarios/{id}", onObject(s.actor, s.db.Scenario))
	s.handle("POST", "/api/v1/scenarios/{id}/status", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in scenarioStatusIn) (*shuyu.Scenario, error) {
		return s.db.SetScenarioStatus(ctx, a, id, in.Status, in.Note)
	}))
	s.handle("POST", "/api/v1/scenarios/{id}/showcase", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in scenarioFlagIn) (*shuyu.Scenario, error) {
		return s.db.SetScenarioShowcase(ctx, a, id, in.On)
	}))
	s.handle("POST", "/api/v1/scenarios/{id}/one-application", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in scenarioFlagIn) (*shuyu.Scenario, error) {
		return s.db.RequireOneApplication(ctx, a, id, in.On)
	}))
	s.handle("POST", "/api/v1/scenarios/{id}/links", commandOnObject(s.actor, s.db.LinkScenario))
	s.handle("POST", "/api/v1/scenarios/{id}/unlink", commandOnObject(s.actor, s.db.UnlinkScenario))
	s.handle("GET", "/api/v1/scenario-reports", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*sqlstore.ScenarioReport, error) {
		return s.db.ScenarioReports(ctx, a)
	}))
	s.handle("GET", "/api/v1/scenario-reports/preview", onQuery(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) (*sqlstore.ScenarioReport, error) {
		from, to, err := supervisionPeriod(q, s.cfg.Now())
		if err != nil {
			return nil, err
		}
		return s.db.ScenarioReportFor(ctx, a, from, to)
	}))
	s.handle("POST", "/api/v1/scenario-reports", create(s.actor, func(ctx context.Context, a *shuyu.Actor, in periodIn) (*sqlstore.ScenarioReport, error) {
		from, to, err := (&shuyu.NoticeInput{From: in.From, To: in.To}).Period(workday.Zone)
		if err != nil {
			return nil, err
		}
		return s.db.FileScenarioReport(ctx, a, from, to)
	}))

	s.handle("GET", "/api/v1/evaluations", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.Evaluation, error) {
		return s.db.Evaluations(ctx, a)
	}))
	s.handle("POST", "/api/v1/evaluations", create(s.actor, s.db.CreateEvaluation))
	s.handle("GET", "/api/v1/evaluations/{id}", onObject(s.actor, s.db.Evaluation))
	s.handle("POST", "/api/v1/evaluations/{id}/prefill", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ noBody) (*shuyu.Evaluation, error) {
		return s.db.PrefillEvaluation(ctx, a, id)
	}))
	s.handle("POST", "/api/v1/evaluations/{id}/open", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ noBody) (*shuyu.Evaluation, error) {
		return s.db.OpenEvaluation(ctx, a, id)
	}))
	s.handle("POST", "/api/v1/evaluations/{id}/ratings", commandOnObject(s.actor, s.db.RateEvaluation))
	s.handle("POST", "/api/v1/evaluations/{id}/scores", commandOnObject(s.actor, s.db.ScoreIndicator))
	s.handle("POST", "/api/v1/evaluations/{id}/publish", commandOnObject(s.actor, s.db.PublishEvaluation))
	s.handle("POST", "/api/v1/rectifications/{id}/submit", commandOnObject(s.actor, s.db.SubmitRectification))
	s.handle("POST", "/api/v1/rectifications/{id}/close", commandOnObject(s.actor, s.db.CloseRectification))
	s.handle("GET", "/api/v1/supervision/dashboard", onQuery(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) (*supervisionDashboard, error) {
		return s.supervisionDashboard(ctx, a)
	}))
}
