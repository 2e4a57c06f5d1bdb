package web

import (
	"context"
	"net/http"

	"shuyu"
)

// incidentRoutes: one incident's page and API (R28.2) with the expert
// committee's opinions on it (R7.1). The operator or the authority refers
// the incident from its page (the committee's own form, case kind
// incident); a blocking referral holds the closing step in the store
// (expertGate in IncidentStep) until every named expert has signed.
func (s *Server) incidentRoutes() {
	s.handle("GET", "/api/v1/incidents/{id}", onObject(s.actor, s.db.Incident))
	s.page("GET /emergency/incidents/{id}", pageOpts{Action: shuyu.ActEmergencyRead}, s.uiIncident)
}

type incidentData struct {
	Form      *uiForm
	Incident  *shuyu.Incident
	Referrals []*shuyu.ExpertReferral // the opinions, under the committee's rules
	Experts   []shuyu.ExpertMember    // for the referral form, when the viewer may refer
	Blocked   bool                    // an open blocking referral holds the closure
	Steps     []string
}

func (s *Server) uiIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, ctx := uiActor(r), r.Context()
	inc, err := s.db.Incident(ctx, a, id)
	if err != nil {
		return err
	}
	d := incidentData{Form: emptyForm(), Incident: inc}
	if d.Referrals, err = s.incidentReferrals(ctx, a, id); err != nil {
		return err
	}
	for _, ref := range d.Referrals {
		if ref.Blocking && ref.Status == shuyu.ReferralOpen {
			d.Blocked = true
		}
	}
	if inc.Status != shuyu.IncidentClosed && shuyu.Can(a, shuyu.ActExpertRefer, shuyu.Resource{}) {
		if d.Experts, err = s.db.Experts(ctx, a); err != nil {
			return err
		}
	}
	for step, from := range map[string]string{"notify": shuyu.IncidentOpen, "report": shuyu.IncidentNotified, "close": shuyu.IncidentReported} {
		if inc.Status == from {
			d.Steps = append(d.Steps, step)
		}
	}
	if inc.Status != shuyu.IncidentClosed {
		d.Steps = append(d.Steps, "action")
	}
	return s.render(w, r, "riskops/incident.html", d)
}

// incidentReferrals: the referrals on an incident the viewer may read (none
// for a viewer the committee's list refuses).
func (s *Server) incidentReferrals(ctx context.Context, a *shuyu.Actor, id int64) ([]*shuyu.ExpertReferral, error) {
	if !shuyu.Can(a, shuyu.ActExpertList, shuyu.Resource{}) {
		return nil, nil
	}
	return s.db.ExpertReferrals(ctx, a, shuyu.CaseIncident, id)
}
