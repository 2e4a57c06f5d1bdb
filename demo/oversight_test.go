package demo

import (
	"context"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestDemo_R2_1_SecretMarksAtEachStage: the demo holds an entry-level work
// secret on a draft, a field marked on an approved entry whose publication
// is therefore refused, and a lifted mark.
func TestDemo_R2_1_SecretMarksAtEachStage(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		demoSeeded(t, env)
		ctx := context.Background()
		reg, err := demoActor(ctx, env.DB, "regulator")
		if err != nil {
			t.Fatal(err)
		}
		ms, err := env.DB.SecretMarks(ctx, reg, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		active := 0
		for _, m := range ms {
			if m.Active() {
				active++
			}
		}
		if len(ms) != 3 || active != 2 {
			t.Fatalf("demo marks: %d, %d active", len(ms), active)
		}
		op, err := demoActor(ctx, env.DB, "operator-admin")
		if err != nil {
			t.Fatal(err)
		}
		e, err := env.DB.DomainEntryByCode(ctx, "ZW-ZR-0005")
		if err != nil {
			t.Fatal(err)
		}
		_, err = env.DB.CatalogStep(ctx, op, e.ID, shuyu.StepPublish, "")
		if shuyu.ErrorCode(err) != shuyu.EINVALID || !strings.Contains(shuyu.ErrorMessage(err), "工作秘密") {
			t.Fatalf("publishing the marked demo entry: %v", err)
		}
	})
}

// TestDemo_R7_1_ExpertReferralsAtEachStage: the demo has an answered
// referral with a valid signed opinion and an open blocking one that holds
// a registration's decision.
func TestDemo_R7_1_ExpertReferralsAtEachStage(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		demoSeeded(t, env)
		ctx := context.Background()
		expert, err := demoActor(ctx, env.DB, "expert")
		if err != nil {
			t.Fatal(err)
		}
		rs, err := env.DB.ExpertReferrals(ctx, expert, "", 0)
		if err != nil || len(rs) != 2 {
			t.Fatalf("expert's referrals: %d %v", len(rs), err)
		}
		var open *shuyu.ExpertReferral
		answered := 0
		for _, r := range rs {
			switch r.Status {
			case shuyu.ReferralOpen:
				open = r
			case shuyu.ReferralAnswered:
				if len(r.Opinions) == 1 && r.Opinions[0].SignatureOK {
					answered++
				}
			}
		}
		if open == nil || !open.Blocking || answered != 1 {
			t.Fatalf("demo referrals: %+v", rs)
		}
		op, err := demoActor(ctx, env.DB, "operator-reviewer")
		if err != nil {
			t.Fatal(err)
		}
		_, err = env.DB.DecideRegistration(ctx, op, open.CaseID, true, "材料齐全")
		if shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("deciding the referred registration: %v", err)
		}
	})
}
