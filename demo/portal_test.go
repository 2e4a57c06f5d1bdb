package demo

import (
	"context"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestDemo_R32_1_PortalAndDashboardsHaveContent: the demo publishes its
// notices and cases as the data bureau and the operator; once the domain is
// loaded the demo merchants' applications wait for the operator's check and
// the departments' reviews, so both dashboards have to-dos; a second run
// adds nothing.
func TestDemo_R32_1_PortalAndDashboardsHaveContent(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db := env.DB
		demoSeeded(t, env)
		notices, err := db.PortalPosts(ctx, shuyu.PortalNotice, 0)
		if err != nil || len(notices) < 3 {
			t.Fatalf("notices: %d %v", len(notices), err)
		}
		cases, _ := db.PortalPosts(ctx, shuyu.PortalCase, 0)
		if len(cases) < 2 {
			t.Fatalf("cases: %d", len(cases))
		}
		v := demoVault(t, t.TempDir(), env.Clock)
		if _, err := seedDomain(ctx, db, v, 200); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if err := Applications(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		op, _ := demoActor(ctx, db, "operator-reviewer")
		checking, err := db.Applications(ctx, op, shuyu.AppChecking)
		if err != nil || len(checking) != 2 {
			t.Fatalf("applications waiting for the check: %d %v", len(checking), err)
		}
		dept, _ := demoActor(ctx, db, "dept-gongan")
		q, err := db.ReviewQueue(ctx, dept)
		if err != nil || len(q) != 1 || q[0].Title != "县域医疗资源配置分析" {
			t.Fatalf("police review queue: %+v %v", q, err)
		}
		app, err := db.Application(ctx, op, checking[0].ID)
		if err != nil || len(app.Items) == 0 {
			t.Fatalf("application: %v", err)
		}
		for _, it := range app.Items {
			for i, l := range it.FieldLabels {
				if l == "" || l == it.Fields[i] {
					t.Fatalf("field %s has no Chinese label (%q)", it.Fields[i], l)
				}
			}
		}
	})
}
