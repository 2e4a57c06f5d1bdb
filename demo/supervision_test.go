package demo

import (
	"context"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// Issue 16: the demo shows notices, scenarios and evaluations at every
// stage; a second run changes nothing.
func TestDemo_R31_1_R16_1_R33_1_SupervisionAtEachStage(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		demoSeeded(t, env)
		db, ctx := env.DB, context.Background()
		for range 2 {
			if err := Supervision(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		auth, err := demoActor(ctx, db, "authority")
		if err != nil {
			t.Fatal(err)
		}
		ns, err := db.DeptNotices(ctx, auth)
		if err != nil {
			t.Fatal(err)
		}
		st := map[string]int{}
		for _, n := range ns {
			st[n.Status+"/"+n.Visibility]++
		}
		if len(ns) != 3 || st["published/public"] != 1 || st["published/internal"] != 1 || st["draft/public"] != 1 {
			t.Errorf("notices %v", st)
		}
		if pub, _ := db.DeptNotices(ctx, nil); len(pub) != 1 {
			t.Errorf("%d public notices", len(pub))
		}
		sc, err := db.Scenarios(ctx, auth, sqlstore.ScenarioFilter{})
		if err != nil {
			t.Fatal(err)
		}
		st = map[string]int{}
		for _, s := range sc {
			st[s.Status]++
		}
		for _, s := range shuyu.ScenarioStatuses {
			if st[s] != 1 {
				t.Errorf("scenarios at %s: %d", s, st[s])
			}
		}
		if show, _ := db.ShowcaseScenarios(ctx); len(show) != 2 {
			t.Errorf("%d showcase scenarios", len(show))
		}
		evs, err := db.Evaluations(ctx, auth)
		if err != nil || len(evs) != 2 {
			t.Fatalf("evaluations %v %v", evs, err)
		}
		cur, prev := evs[0], evs[1]
		if cur.Status != shuyu.EvalOpen || prev.Status != shuyu.EvalPublished || prev.Grade != shuyu.GradePoor {
			t.Errorf("evaluations: %s, %s %s", cur.Status, prev.Status, prev.Grade)
		}
		if len(prev.Rectifications) != 1 || prev.Rectifications[0].Status != shuyu.RectSubmitted {
			t.Errorf("rectifications %+v", prev.Rectifications)
		}
	})
}
