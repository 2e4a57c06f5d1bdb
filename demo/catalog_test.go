package demo

import (
	"context"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
	"shuyu/synth"
)

func TestDemo_R8_5_CatalogIsRealisticAndEveryQueueHasWork(t *testing.T) {
	t.Parallel()
	sqltest.EachEmpty(t, func(t *testing.T, env *sqltest.Env) {
		demoSeeded(t, env)
		db, ctx := env.DB, context.Background()
		pub, err := db.PublishedCatalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		depts, regions := map[string]bool{}, map[string]bool{}
		byCode := map[string]*shuyu.CatalogEntry{}
		for _, e := range pub {
			depts[e.OrgName], regions[e.Region] = true, true
			byCode[e.Code] = e
		}
		if len(pub) < 40 || len(depts) < 8 {
			t.Fatalf("%d published entries from %d departments", len(pub), len(depts))
		}
		for _, r := range []string{shuyu.RegionShapotou, shuyu.RegionZhongning, shuyu.RegionHaiyuan} {
			if !regions[r] {
				t.Errorf("no published entry in county %s", r)
			}
		}
		// The five datasets the domain loads match their entries exactly.
		for _, spec := range synth.Datasets() {
			e := byCode[DatasetEntryCodes[spec.Name]]
			if e == nil || len(e.Revision.Fields) != len(spec.Columns) || !e.Mounted {
				t.Fatalf("%s: entry %v", spec.Name, e)
			}
			for i, c := range spec.Columns {
				f := e.Revision.Fields[i]
				if f.Name != c.Name || string(f.DataType) != c.Type || f.PI != c.PI || f.SensitivePI != c.SensitivePI || f.Label != c.Label {
					t.Errorf("%s.%s: field %+v, column %+v", spec.Name, c.Name, f, c)
				}
			}
		}
		actors, _ := catalogActors(ctx, db)
		for who, st := range map[string]shuyu.RevisionStatus{
			"dept-gongan": shuyu.StatusDraft, "dept-shichang": shuyu.StatusReturned, "county-haiyuan": shuyu.StatusCountyReview,
			"county-shapotou": shuyu.StatusCountyReview, "county-zhongning": shuyu.StatusCountyReview,
			"authority": shuyu.StatusCityReview, "operator-admin": shuyu.StatusApproved,
		} {
			work, err := db.CatalogWork(ctx, actors[who], st)
			if err != nil || len(work) == 0 {
				t.Errorf("%s has no %s work: %v", who, st, err)
			}
		}
		d, err := db.Demands(ctx, actors["authority"], "")
		if err != nil || d.Counts["open"] == 0 || d.Counts["routed"] == 0 || d.Counts["accepted"] == 0 || d.Counts["fulfilled"] == 0 {
			t.Fatalf("demands %+v %v", d, err)
		}
		// A restart seeds nothing twice.
		if created, err := Seed(ctx, db, ""); err != nil || created {
			t.Fatalf("second seed: %v %v", created, err)
		}
	})
}
