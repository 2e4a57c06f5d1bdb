package demo

import (
	"context"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestDemo_R27_2_R28_2_RiskAndIncidentsAtEachStage: assessments planned,
// running and closed; plans with a drill; an incident closed (its notice
// late) and one open; a second run changes nothing.
func TestDemo_R27_2_R28_2_R7_1_R33_1_RiskAndIncidentsAtEachStage(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		demoSeeded(t, env)
		ctx := context.Background()
		if err := Supervision(ctx, env.DB); err != nil { // this year's evaluation, open
			t.Fatal(err)
		}
		for range 2 {
			if err := Riskops(ctx, env.DB, ""); err != nil {
				t.Fatal(err)
			}
		}
		rs, err := env.DB.Risks(ctx, shuyu.System)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range rs {
			got[r.Status]++
		}
		if got[shuyu.RiskPlanned] != 1 || got[shuyu.RiskAssessed] != 1 || got[shuyu.RiskClosed] != 1 {
			t.Fatalf("assessments: %v", got)
		}
		is, err := env.DB.Incidents(ctx, shuyu.System)
		if err != nil || len(is) != 2 {
			t.Fatalf("incidents: %v %d", err, len(is))
		}
		var closedLate bool
		for _, i := range is {
			closedLate = closedLate || (i.Status == shuyu.IncidentClosed && i.NotifyLate)
		}
		if !closedLate {
			t.Fatal("the closed demo incident was notified on time (it should show a late notice)")
		}
		// R7.1: the closed incident carries a signed opinion, the open one waits for a blocking one.
		for _, i := range is {
			refs, err := env.DB.ExpertReferrals(ctx, shuyu.System, shuyu.CaseIncident, i.ID)
			if err != nil || len(refs) != 1 || !refs[0].Blocking {
				t.Fatalf("incident %d referrals: %v %+v", i.ID, err, refs)
			}
			want := map[string]string{shuyu.IncidentClosed: shuyu.ReferralAnswered, shuyu.IncidentOpen: shuyu.ReferralOpen}[i.Status]
			if refs[0].Status != want || (want == shuyu.ReferralAnswered) != (len(refs[0].Opinions) == 1 && refs[0].Opinions[0].SignatureOK) {
				t.Fatalf("incident %d (%s): referral %s with %d opinions", i.ID, i.Status, refs[0].Status, len(refs[0].Opinions))
			}
		}
		// R33.1: this year's evaluation reads the incidents, with a link to each.
		evals, err := env.DB.Evaluations(ctx, shuyu.System)
		if err != nil {
			t.Fatal(err)
		}
		var linked int
		for _, e := range evals {
			for _, ind := range e.Indicators {
				if ind.Metric == "incident_deadlines" && e.Status != shuyu.EvalPublished {
					linked = len(ind.AutoLinks)
				}
			}
		}
		if linked != len(is) {
			t.Fatalf("this year's incident indicator links %d records, want %d", linked, len(is))
		}
	})
}
