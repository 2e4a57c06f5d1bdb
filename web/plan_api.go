package web

import (
	"context"
	"net/url"

	"shuyu"
)

// planRoutes: the implementation plan (R12.1, NIMP.2), the channels
// register (R15.1) and the operator's operations reports (R32.1). The plan
// in force and the channels' counts are public. Pages in plan_pages.go.
func (s *Server) planRoutes() {
	s.handle("GET", "/api/v1/plan", onQuery(nobody, func(ctx context.Context, _ *shuyu.Actor, _ url.Values) (*shuyu.Plan, error) {
		return s.db.PlanInForce(ctx)
	}))
	s.handle("GET", "/api/v1/plans", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.Plan, error) {
		return s.db.Plans(ctx, a)
	}))
	s.handle("POST", "/api/v1/plans", create(s.actor, s.db.DraftPlan))
	s.handle("GET", "/api/v1/plans/{id}", onObject(s.actor, s.db.Plan))
	s.handle("POST", "/api/v1/plans/{id}/approve", commandOnObject(s.actor, s.db.ApprovePlan))
	s.handle("POST", "/api/v1/plans/{id}/filing", commandOnObject(s.actor, s.db.FilePlan))
	s.handle("POST", "/api/v1/plans/{id}/adopt", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ noBody) (*shuyu.Plan, error) {
		return s.db.AdoptPlan(ctx, a, id)
	}))

	s.handle("GET", "/api/v1/public/channels", onQuery(nobody, func(ctx context.Context, _ *shuyu.Actor, _ url.Values) (*shuyu.ChannelSummary, error) {
		c, err := s.db.ChannelSummary(ctx)
		return &c, err
	}))
	s.handle("GET", "/api/v1/channels", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.Channel, error) {
		return s.db.Channels(ctx, a)
	}))
	s.handle("POST", "/api/v1/channels", create(s.actor, s.db.RegisterChannel))
	s.handle("POST", "/api/v1/channels/{id}/assess", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in channelAssessment) (*shuyu.Channel, error) {
		return s.db.AssessChannel(ctx, a, id, in.Assessment)
	}))
	s.handle("POST", "/api/v1/channels/{id}/decide", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in channelDecision) (*shuyu.Channel, error) {
		return s.db.DecideChannel(ctx, a, id, in.Decision, in.Reason)
	}))

	s.handle("GET", "/api/v1/ops-reports", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.OpsReport, error) {
		return s.db.OpsReports(ctx, a)
	}))
	s.handle("POST", "/api/v1/ops-reports", create(s.actor, func(ctx context.Context, a *shuyu.Actor, in opsReportPeriod) (*shuyu.OpsReport, error) {
		return s.db.SubmitOpsReport(ctx, a, in.Period)
	}))
	s.handle("GET", "/api/v1/ops-reports/{id}", onObject(s.actor, s.db.OpsReport))
	s.handle("POST", "/api/v1/ops-reports/{id}/acknowledge", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ noBody) (*shuyu.OpsReport, error) {
		return s.db.AcknowledgeOpsReport(ctx, a, id)
	}))
	s.planPages()
	s.auditLink("plan", "/plans/%s", shuyu.ActPlanRead)
	s.auditLink("ops_report", "/ops-reports/%s", shuyu.ActOpsReportRead)
}

// channelAssessment is the authority's assessment of a channel.
type channelAssessment struct {
	Assessment string `json:"assessment"`
}

// channelDecision: fold_in or close, with the reason.
type channelDecision struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// opsReportPeriod names the period: "2026" or "2026-Q1".
type opsReportPeriod struct {
	Period string `json:"period"`
}
