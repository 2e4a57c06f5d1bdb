package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shuyu"
)

// riskopsRoutes: risk assessments (R27.2) and emergency plans, drills and
// incidents (R28.2, Art. 29); the rules are the store's
// (sqlstore/riskops.go).
func (s *Server) riskopsRoutes() {
	s.handle("GET", "/api/v1/risks", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.RiskAssessment, error) {
		return s.db.Risks(ctx, a)
	}))
	s.handle("POST", "/api/v1/risks", create(s.actor, s.db.PlanRisk))
	s.handle("POST", "/api/v1/risks/{id}/findings", commandOnObject(s.actor, s.db.AssessRisk))
	s.handle("POST", "/api/v1/risks/{id}/close", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in riskNote) (*shuyu.RiskAssessment, error) {
		return s.db.CloseRisk(ctx, a, id, in.Note)
	}))
	s.handle("POST", "/api/v1/risk-measures/{id}/follow-up", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in riskNote) (*shuyu.RiskAssessment, error) {
		return s.db.FollowUpMeasure(ctx, a, id, in.Note)
	}))
	s.handle("GET", "/api/v1/emergency-plans", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.EmergencyPlan, error) {
		return s.db.EmergencyPlans(ctx, a)
	}))
	s.handle("POST", "/api/v1/emergency-plans", create(s.actor, s.db.CreateEmergencyPlan))
	s.handle("POST", "/api/v1/emergency-plans/{id}/drills", createOnObject(s.actor, s.db.RecordDrill))
	s.handle("GET", "/api/v1/incidents", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.Incident, error) {
		return s.db.Incidents(ctx, a)
	}))
	s.handle("POST", "/api/v1/incidents", create(s.actor, s.db.RecordIncident))
	s.handle("POST", "/api/v1/incidents/{id}/steps", commandOnObject(s.actor, s.db.IncidentStep))
	s.incidentRoutes()

	s.page("GET /risks", pageOpts{Nav: "nav.risks", Group: "nav.group.supervise", Order: 64, Action: shuyu.ActRiskRead, Desc: "nav.risks.desc"}, s.uiRisks)
	s.page("POST /risks", pageOpts{Action: shuyu.ActRiskPlan}, s.uiRiskPost)
	s.page("POST /risks/{id}/{step}", pageOpts{Action: shuyu.ActRiskRead}, s.uiRiskStep)
	s.page("GET /emergency", pageOpts{Nav: "nav.emergency", Group: "nav.group.supervise", Order: 66, Action: shuyu.ActEmergencyRead, Desc: "nav.emergency.desc"}, s.uiEmergency)
	s.page("POST /emergency/{what}", pageOpts{Action: shuyu.ActEmergencyWrite}, s.uiEmergencyPost)
	s.auditLink("risk", "/risks#r%s", shuyu.ActRiskRead)
	s.auditLink("emergency_plan", "/emergency#p%s", shuyu.ActEmergencyRead)
	s.auditLink("incident", "/emergency/incidents/%s", shuyu.ActEmergencyRead)
}

// riskNote is the body of a closing note or a measure's follow-up.
type riskNote struct {
	bodyMayBeEmpty
	Note string `json:"note"`
}

type risksData struct {
	Form  *uiForm
	Risks []*shuyu.RiskAssessment
	List  *listView
	Areas []shuyu.ChecklistArea
}

func (s *Server) uiRisks(w http.ResponseWriter, r *http.Request) error {
	return s.risksRender(w, r, emptyForm())
}

func (s *Server) risksRender(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	all, err := s.db.Risks(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	lang := uiLang(r)
	rs, list, exported, err := runList(w, r, all, listSpec[*shuyu.RiskAssessment]{
		Search: func(x *shuyu.RiskAssessment) string { return x.Title + " " + x.Scope + " " + x.OwnerName }, SearchHint: "risks.search.hint",
		Filters: []listFilter[*shuyu.RiskAssessment]{{Name: "status", Label: "list.status",
			Options: listOptions(lang, "risks.status.", shuyu.RiskPlanned, shuyu.RiskAssessed, shuyu.RiskClosed),
			Match:   func(x *shuyu.RiskAssessment, v string) bool { return x.Status == v }}},
		Columns: []listCol[*shuyu.RiskAssessment]{
			{"risks.title", func(x *shuyu.RiskAssessment) any { return x.Title }},
			{"risks.owner", func(x *shuyu.RiskAssessment) any { return x.OwnerName }},
			{"risks.due", func(x *shuyu.RiskAssessment) any { return x.DueAt }},
			{"risks.level", func(x *shuyu.RiskAssessment) any { return TOr(lang, "risks.level."+x.Level, "") }},
			{"risks.status", func(x *shuyu.RiskAssessment) any { return T(lang, "risks.status."+x.Status) }},
		},
		Name: "nav.risks",
	})
	if exported || err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "riskops/risks.html", risksData{Form: f, Risks: rs, List: list, Areas: shuyu.ChecklistAreas})
}

func (s *Server) uiRiskPost(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	f, err := newForm(r)
	if err != nil {
		return err
	}
	days, _ := strconv.Atoi(f.Get("workdays"))
	in := shuyu.RiskPlanInput{Title: f.Get("title"), Scope: f.Get("scope"), Method: f.Get("method"), Workdays: days}
	for _, a := range f.Values["areas"] {
		in.Areas = append(in.Areas, shuyu.ChecklistArea(a))
	}
	if _, err := s.db.PlanRisk(r.Context(), uiActor(r), in); err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.risksRender(w, r, f)
	}
	return s.redirectFlash(w, r, "/risks", "ok", T(lang, "risks.saved"))
}

// uiRiskStep: findings (measures one per line "measure | working days"),
// follow-up of a measure ({id} is then the measure's), close.
func (s *Server) uiRiskStep(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	a := uiActor(r)
	switch r.PathValue("step") {
	case "findings":
		in := shuyu.RiskFindingsInput{Findings: f.Get("findings"), Level: f.Get("level")}
		for _, line := range strings.Split(f.Get("measures"), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			text, days, _ := strings.Cut(line, "|")
			n, _ := strconv.Atoi(strings.TrimSpace(days))
			in.Measures = append(in.Measures, shuyu.RiskMeasureInput{Measure: strings.TrimSpace(text), Workdays: n})
		}
		_, err = s.db.AssessRisk(r.Context(), a, id, in)
	case "follow-up":
		_, err = s.db.FollowUpMeasure(r.Context(), a, id, f.Get("note"))
	case "close":
		_, err = s.db.CloseRisk(r.Context(), a, id, f.Get("note"))
	default:
		return shuyu.Errorf(shuyu.ENOTFOUND, "对象不存在 (not found)")
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.risksRender(w, r, f)
	}
	return s.redirectFlash(w, r, "/risks", "ok", T(lang, "risks.saved"))
}

type emergencyData struct {
	Form      *uiForm
	Plans     []*shuyu.EmergencyPlan
	Incidents []*shuyu.Incident
	List      *listView
	Levels    []string
}

func (s *Server) uiEmergency(w http.ResponseWriter, r *http.Request) error {
	return s.emergencyRender(w, r, emptyForm())
}

func (s *Server) emergencyRender(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	a := uiActor(r)
	ps, err := s.db.EmergencyPlans(r.Context(), a)
	if err != nil {
		return err
	}
	all, err := s.db.Incidents(r.Context(), a)
	if err != nil {
		return err
	}
	lang := uiLang(r)
	is, list, exported, err := runList(w, r, all, listSpec[*shuyu.Incident]{
		Search: func(x *shuyu.Incident) string { return x.Title + " " + x.Summary + " " + x.PlanTitle }, SearchHint: "emergency.search.hint",
		Filters: []listFilter[*shuyu.Incident]{{Name: "status", Label: "list.status",
			Options: listOptions(lang, "emergency.status.", shuyu.IncidentOpen, shuyu.IncidentNotified, shuyu.IncidentReported, shuyu.IncidentClosed),
			Match:   func(x *shuyu.Incident, v string) bool { return x.Status == v }}},
		Columns: []listCol[*shuyu.Incident]{
			{"emergency.incident", func(x *shuyu.Incident) any { return x.Title }},
			{"emergency.level", func(x *shuyu.Incident) any { return T(lang, "emergency.level."+x.Level) }},
			{"emergency.detected_at", func(x *shuyu.Incident) any { return x.DetectedAt }},
			{"emergency.notify_due", func(x *shuyu.Incident) any { return x.NotifyDue }},
			{"emergency.report_due", func(x *shuyu.Incident) any { return x.ReportDue }},
			{"emergency.status", func(x *shuyu.Incident) any { return T(lang, "emergency.status."+x.Status) }},
		},
		Name: "nav.emergency",
	})
	if exported || err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "riskops/emergency.html", emergencyData{Form: f, Plans: ps, Incidents: is, List: list, Levels: shuyu.IncidentLevels})
}

// uiEmergencyPost: plan, drill (plan_id), incident, step (incident_id).
func (s *Server) uiEmergencyPost(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	f, err := newForm(r)
	if err != nil {
		return err
	}
	a, ctx := uiActor(r), r.Context()
	num := func(k string) int64 { n, _ := strconv.ParseInt(f.Get(k), 10, 64); return n }
	switch r.PathValue("what") {
	case "plan":
		_, err = s.db.CreateEmergencyPlan(ctx, a, shuyu.EmergencyPlanInput{Title: f.Get("title"), Category: f.Get("category"), Body: f.Get("body"),
			NotifyHours: int(num("notify_hours")), ReportDays: int(num("report_days"))})
	case "drill":
		_, err = s.db.RecordDrill(ctx, a, num("plan_id"), shuyu.EmergencyDrill{HeldOn: f.Get("held_on"), Scenario: f.Get("scenario"),
			Participants: f.Get("participants"), Findings: f.Get("findings")})
	case "incident":
		_, err = s.db.RecordIncident(ctx, a, shuyu.IncidentInput{PlanID: num("plan_id"), Title: f.Get("title"), Level: f.Get("level"),
			Summary: f.Get("summary"), DetectedAt: f.Get("detected_at")})
	case "step":
		_, err = s.db.IncidentStep(ctx, a, num("incident_id"), shuyu.IncidentStep{Step: f.Get("step"), Text: f.Get("text")})
	default:
		return shuyu.Errorf(shuyu.ENOTFOUND, "对象不存在 (not found)")
	}
	if err != nil && r.PathValue("what") == "step" && (shuyu.ErrorCode(err) == shuyu.ECONFLICT || shuyu.ErrorCode(err) == shuyu.EINVALID) {
		// Back to the incident's page, which says why (e.g. the experts' opinions are awaited).
		return s.redirectFlash(w, r, fmt.Sprintf("/emergency/incidents/%d", num("incident_id")), "error", uiMessage(lang, shuyu.ErrorMessage(err)))
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.emergencyRender(w, r, f)
	}
	if what := r.PathValue("what"); what == "step" {
		return s.redirectFlash(w, r, fmt.Sprintf("/emergency/incidents/%d", num("incident_id")), "ok", T(lang, "emergency.saved"))
	}
	return s.redirectFlash(w, r, "/emergency", "ok", T(lang, "emergency.saved"))
}
