package web

import (
	"context"
	"fmt"
	"sort"
	"time"

	"shuyu"
)

// supRiskSection: risk assessments and their measures (R27.2), emergency
// plans, drills and incidents (R28.2) and the service providers' delegations
// (R6.3), read through the store's own methods so the deadlines and the
// "late" flags are the ones the store computes on the working-day calendar.
// Items due: assessments not yet assessed, measures not done and the next
// step of each open incident (notice, then written report), overdue first.
func (s *Server) supRiskSection(ctx context.Context, a *shuyu.Actor) (*supervisionSection, error) {
	if !shuyu.Can(a, shuyu.ActRiskRead, shuyu.Resource{}) || !shuyu.Can(a, shuyu.ActEmergencyRead, shuyu.Resource{}) {
		return nil, nil
	}
	risks, err := s.db.Risks(ctx, a)
	if err != nil {
		return nil, err
	}
	plans, err := s.db.EmergencyPlans(ctx, a)
	if err != nil {
		return nil, err
	}
	incs, err := s.db.Incidents(ctx, a)
	if err != nil {
		return nil, err
	}
	sec := &supervisionSection{ID: "sup-risk", Title: "sup.section.risk", Link: "/risks", Figures: []supFigure{}, Due: []supDue{}}

	openRisks, openMeasures, overdue := 0, 0, 0
	for _, r := range risks {
		if r.Status == shuyu.RiskClosed {
			continue
		}
		openRisks++
		link := "/risks"
		if r.Status == shuyu.RiskPlanned {
			due := r.DueAt
			sec.Due = append(sec.Due, supDue{Kind: "sup.due.risk", Title: r.Title + " · " + r.OwnerName, Link: link, Due: &due, Overdue: r.Overdue})
			if r.Overdue {
				overdue++
			}
		}
		for _, m := range r.Measures {
			if m.Status == "done" {
				continue
			}
			openMeasures++
			due := m.DueAt
			sec.Due = append(sec.Due, supDue{Kind: "sup.due.measure", Title: portalExcerpt(m.Measure, 40) + " · " + m.OwnerName, Link: link, Due: &due, Overdue: m.Overdue})
			if m.Overdue {
				overdue++
			}
		}
	}

	openIncs, lateIncs := 0, 0
	for _, in := range incs {
		if in.Status == shuyu.IncidentClosed {
			continue
		}
		openIncs++
		if in.NotifyLate || in.ReportLate {
			lateIncs++
		}
		d := supDue{Title: in.Title + " · " + in.PlanTitle, Link: fmt.Sprintf("/emergency/incidents/%d", in.ID)}
		switch {
		case in.NotifiedAt == nil:
			due := in.NotifyDue
			d.Kind, d.Due, d.Overdue = "sup.due.incident_notify", &due, in.NotifyLate
		case in.ReportedAt == nil:
			due := in.ReportDue
			d.Kind, d.Due, d.Overdue = "sup.due.incident_report", &due, in.ReportLate
		default: // reported, waiting to be closed
			d.Kind, d.Overdue = "sup.due.incident_close", false
		}
		sec.Due = append(sec.Due, d)
	}

	activePlans, lastDrill := 0, ""
	for _, p := range plans {
		if p.Status == "active" {
			activePlans++
		}
		for _, dr := range p.Drills {
			if dr.HeldOn > lastDrill { // YYYY-MM-DD sorts as text
				lastDrill = dr.HeldOn
			}
		}
	}
	if lastDrill == "" {
		lastDrill = "—"
	}

	sec.Figures = append(sec.Figures,
		supFigure{Label: "sup.fig.risks_open", Value: fmt.Sprint(openRisks)},
		supFigure{Label: "sup.fig.measures_open", Value: fmt.Sprint(openMeasures)},
		supFigure{Label: "sup.fig.risk_overdue", Value: fmt.Sprint(overdue), Warn: overdue > 0},
		supFigure{Label: "sup.fig.incidents_open", Value: fmt.Sprint(openIncs)},
		supFigure{Label: "sup.fig.incidents_late", Value: fmt.Sprint(lateIncs), Warn: lateIncs > 0},
		supFigure{Label: "sup.fig.plans", Value: fmt.Sprint(activePlans)},
		supFigure{Label: "sup.fig.last_drill", Value: lastDrill},
	)
	if shuyu.Can(a, shuyu.ActDelegationRead, shuyu.Resource{}) {
		dels, err := s.db.Delegations(ctx, a)
		if err != nil {
			return nil, err
		}
		active, real := 0, 0
		for _, g := range dels {
			if g.Status == shuyu.DelegationActive {
				active++
				if g.RealData == shuyu.RealDataAllowed {
					real++
				}
			}
		}
		sec.Figures = append(sec.Figures,
			supFigure{Label: "sup.fig.delegations", Value: fmt.Sprint(active)},
			supFigure{Label: "sup.fig.delegations_real", Value: fmt.Sprint(real)})
	}
	sortDue(sec.Due)
	return sec, nil
}

// sortDue puts overdue items first, then the rest by deadline (undated last).
func sortDue(ds []supDue) {
	at := func(d supDue) time.Time {
		if d.Due == nil {
			return time.Time{}
		}
		return *d.Due
	}
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Overdue != b.Overdue {
			return a.Overdue
		}
		if (a.Due == nil) != (b.Due == nil) {
			return a.Due != nil
		}
		return at(a).Before(at(b))
	})
}
