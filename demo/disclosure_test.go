package demo

import (
	"context"
	"reflect"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestDemo_R32_1_NDIS_1_LastYearPublished: the demo has last year's
// disclosure published by 31 March, and what it says is what the records
// of that year say now (a fresh computation gives the same content).
func TestDemo_R32_1_NDIS_1_LastYearPublished(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		demoSeeded(t, env)
		year := env.DB.Now().In(cst).Year() - 1
		d, err := env.DB.Disclosure(ctx, nil, year)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != shuyu.DisclosurePublished || d.PublishedAt == nil || d.PublishedAt.In(cst).Format(time.DateOnly) > d.Due {
			t.Fatalf("disclosure %d: %s published %v, due %s", year, d.Status, d.PublishedAt, d.Due)
		}
		c := d.Content
		if len(c.Authorizations) != 1 || len(c.Prices) == 0 || c.Usage.Queries == 0 || len(c.Resources) == 0 || c.Allowed == nil {
			t.Fatalf("demo disclosure is thin: %+v", c)
		}
		auth, err := demoActor(ctx, env.DB, "authority")
		if err != nil {
			t.Fatal(err)
		}
		live, err := env.DB.DisclosurePreview(ctx, auth, year)
		if err != nil {
			t.Fatal(err)
		}
		live.AsOf, c.AsOf = time.Time{}, time.Time{}
		if !reflect.DeepEqual(live, c) {
			t.Fatalf("published %+v\nlive      %+v", c, live)
		}
	})
}

// TestDemo_R12_1_R15_1_R32_1_PlanChannelsReports: the demo's plan is
// approved and filed (the minor change adopted under the same approval),
// the channels register has one channel folded in, one closed and one
// waiting, and the operator's reports are submitted and acknowledged.
func TestDemo_R12_1_R15_1_R32_1_PlanChannelsReports(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		demoSeeded(t, env)
		p, err := env.DB.PlanInForce(ctx)
		if err != nil || p.Version != 2 || p.Major || p.ApprovalDoc == "" || p.FilingNumber == "" || p.ApprovalDate > p.FilingDate {
			t.Fatalf("plan in force: %+v %v", p, err)
		}
		s, err := env.DB.ChannelSummary(ctx)
		if err != nil || s != (shuyu.ChannelSummary{Total: 3, Assessed: 1, Folded: 1, Closed: 1}) {
			t.Fatalf("channels %+v %v", s, err)
		}
		auth, err := demoActor(ctx, env.DB, "authority")
		if err != nil {
			t.Fatal(err)
		}
		reps, err := env.DB.OpsReports(ctx, auth)
		if err != nil || len(reps) < 2 {
			t.Fatalf("reports %d %v", len(reps), err)
		}
		acked := 0
		for _, r := range reps {
			if r.Status == shuyu.OpsReportAcknowledged {
				acked++
			}
		}
		if acked != len(reps)-1 {
			t.Fatalf("%d of %d reports acknowledged", acked, len(reps))
		}
	})
}
