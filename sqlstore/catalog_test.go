package sqlstore_test

import (
	"context"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

func catalogSample(name string) shuyu.CatalogRevision {
	return shuyu.CatalogRevision{
		Name: name, Summary: "全市户籍人口的基础信息，按日更新。", Grade: shuyu.GradeImportant,
		OpenAttr: shuyu.OpenConditional, AuthMode: shuyu.AuthScenario, UpdateFreq: shuyu.FreqDaily,
		TimeSpan: "2010年至今", Volume: "约120万条",
		Fields: []shuyu.CatalogField{
			{Name: "id_number", Label: "公民身份号码", DataType: "string", SensitivePI: true, Grade: shuyu.GradeImportant},
			{Name: "name", Label: "姓名", DataType: "string", PI: true, Grade: shuyu.GradeGeneral},
			{Name: "birth_date", Label: "出生日期", DataType: "date", PI: true, Grade: shuyu.GradeGeneral},
		},
	}
}

func catalogCode(t *testing.T, err error) string {
	t.Helper()
	return shuyu.ErrorCode(err)
}

// catalogPublish takes a new entry of the actor's department through the
// whole flow and returns it published.
func catalogPublish(t *testing.T, db *sqlstore.DB, a map[string]*shuyu.Actor, dept, county, code, name string) *shuyu.CatalogEntry {
	t.Helper()
	ctx := context.Background()
	e, err := db.CreateCatalogEntry(ctx, a[dept], sqlstore.NewCatalogEntry{Code: code, Revision: catalogSample(name)})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	steps := []struct {
		who  string
		step shuyu.CatalogStep
	}{{dept, shuyu.StepSubmit}}
	if county != "" {
		steps = append(steps, struct {
			who  string
			step shuyu.CatalogStep
		}{county, shuyu.StepApproveCounty})
	}
	steps = append(steps, []struct {
		who  string
		step shuyu.CatalogStep
	}{{"authority", shuyu.StepApproveCity}, {"operator-admin", shuyu.StepPublish}}...)
	for _, s := range steps {
		if e, err = db.CatalogStep(ctx, a[s.who], e.ID, s.step, ""); err != nil {
			t.Fatalf("%s by %s: %v", s.step, s.who, err)
		}
	}
	return e
}

func TestCatalog_R8_4_CityDeptFlowToPublished(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		ctx := context.Background()
		e, err := db.CreateCatalogEntry(ctx, a["dept-gongan"], sqlstore.NewCatalogEntry{Code: "zw-ga-0001", Revision: catalogSample("人口基础信息")})
		if err != nil {
			t.Fatal(err)
		}
		if e.Code != "ZW-GA-0001" || e.Working == nil || e.Working.Status != shuyu.StatusDraft || e.Revision != nil {
			t.Fatalf("new entry: %+v", e)
		}
		// Not published: the public and other departments do not see it (404).
		if _, err := db.CatalogEntry(ctx, nil, e.ID); catalogCode(t, err) != shuyu.ENOTFOUND {
			t.Fatalf("anonymous sees a draft: %v", err)
		}
		if _, err := db.CatalogEntry(ctx, a["dept-haiyuan-weijian"], e.ID); catalogCode(t, err) != shuyu.ENOTFOUND {
			t.Fatalf("other department sees a draft: %v", err)
		}
		// City department: submit goes straight to the city authority.
		e, err = db.CatalogStep(ctx, a["dept-gongan"], e.ID, shuyu.StepSubmit, "")
		if err != nil || e.Working.Status != shuyu.StatusCityReview {
			t.Fatalf("submit: %v %+v", err, e)
		}
		// The county authority has no say over a city department's entry.
		if _, err := db.CatalogStep(ctx, a["county-shapotou"], e.ID, shuyu.StepApproveCounty, ""); catalogCode(t, err) != shuyu.ENOTFOUND {
			t.Fatalf("county on a city entry: %v", err)
		}
		// The operator cannot approve for the authority, nor publish before it.
		if _, err := db.CatalogStep(ctx, a["operator-admin"], e.ID, shuyu.StepApproveCity, ""); catalogCode(t, err) != shuyu.EFORBIDDEN {
			t.Fatalf("operator approves: %v", err)
		}
		if _, err := db.CatalogStep(ctx, a["operator-admin"], e.ID, shuyu.StepPublish, ""); catalogCode(t, err) != shuyu.ECONFLICT {
			t.Fatalf("publish before approval: %v", err)
		}
		e, err = db.CatalogStep(ctx, a["authority"], e.ID, shuyu.StepApproveCity, "")
		if err != nil || e.Working.Status != shuyu.StatusApproved || e.Working.ConsentBy != "authority" || e.Working.ConsentAt == nil {
			t.Fatalf("approve: %v %+v", err, e.Working)
		}
		e, err = db.CatalogStep(ctx, a["operator-admin"], e.ID, shuyu.StepPublish, "")
		if err != nil || e.Revision == nil || e.Revision.Status != shuyu.StatusPublished || e.Working != nil {
			t.Fatalf("publish: %v %+v", err, e)
		}
		// Now public, fields listed.
		pub, err := db.PublishedEntry(ctx, nil, e.ID)
		if err != nil || len(pub.Revision.Fields) != 3 || pub.OrgName != "中卫市公安局" || !pub.Revision.Fields[0].SensitivePI || !pub.Revision.Fields[0].PI {
			t.Fatalf("published: %v %+v", err, pub)
		}
		// Every step is in the history, in order, with who did it.
		h, err := db.CatalogHistory(ctx, a["dept-gongan"], e.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"create", "submit", "approve_city", "publish"}
		if len(h) != len(want) {
			t.Fatalf("history %+v", h)
		}
		for i, w := range want {
			if h[i].Action != w {
				t.Fatalf("history[%d] = %s, want %s", i, h[i].Action, w)
			}
		}
		if h[3].ActorName != "operator-admin" || h[2].OrgName != "中卫市数据局" {
			t.Fatalf("history actors: %+v", h)
		}
		// And in the audit trail, written in the same transactions.
		var n int
		if err := db.SQL().QueryRow(db.Rebind(`SELECT count(*) FROM audit_events WHERE object_type = 'catalog_entry' AND object_id = ?`), fmtInt(e.ID)).Scan(&n); err != nil || n != 4 {
			t.Fatalf("audit events %d %v", n, err)
		}
	})
}

func TestCatalog_R8_4_CountyDeptGoesThroughCounty(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		ctx := context.Background()
		e, err := db.CreateCatalogEntry(ctx, a["dept-haiyuan-weijian"], sqlstore.NewCatalogEntry{Code: "HY-WJ-0001", Revision: catalogSample("海原县居民健康档案")})
		if err != nil {
			t.Fatal(err)
		}
		e, err = db.CatalogStep(ctx, a["dept-haiyuan-weijian"], e.ID, shuyu.StepSubmit, "")
		if err != nil || e.Working.Status != shuyu.StatusCountyReview {
			t.Fatalf("submit: %v", err)
		}
		// The city authority waits for the county; another county sees nothing.
		if _, err := db.CatalogStep(ctx, a["authority"], e.ID, shuyu.StepApproveCity, ""); catalogCode(t, err) != shuyu.ECONFLICT {
			t.Fatalf("city before county: %v", err)
		}
		if _, err := db.CatalogStep(ctx, a["county-shapotou"], e.ID, shuyu.StepApproveCounty, ""); catalogCode(t, err) != shuyu.ENOTFOUND {
			t.Fatalf("other county: %v", err)
		}
		// A return needs reasons, and brings it back to the department.
		if _, err := db.CatalogStep(ctx, a["county-haiyuan"], e.ID, shuyu.StepReturnCounty, "  "); catalogCode(t, err) != shuyu.EINVALID {
			t.Fatalf("return without reasons: %v", err)
		}
		e, err = db.CatalogStep(ctx, a["county-haiyuan"], e.ID, shuyu.StepReturnCounty, "摘要过于简略，请补充数据范围")
		if err != nil || e.Working.Status != shuyu.StatusReturned || e.Working.ReturnReason == "" {
			t.Fatalf("return: %v", err)
		}
		rev := catalogSample("海原县居民健康档案")
		rev.Summary = "海原县居民电子健康档案基本信息，覆盖全县18个乡镇。"
		if e, err = db.UpdateCatalogEntry(ctx, a["dept-haiyuan-weijian"], e.ID, rev); err != nil {
			t.Fatal(err)
		}
		for _, s := range []struct {
			who  string
			step shuyu.CatalogStep
			want shuyu.RevisionStatus
		}{
			{"dept-haiyuan-weijian", shuyu.StepSubmit, shuyu.StatusCountyReview},
			{"county-haiyuan", shuyu.StepApproveCounty, shuyu.StatusCityReview},
			{"authority", shuyu.StepApproveCity, shuyu.StatusApproved},
			{"operator-admin", shuyu.StepPublish, shuyu.StatusPublished},
		} {
			e, err = db.CatalogStep(ctx, a[s.who], e.ID, s.step, "")
			if err != nil {
				t.Fatalf("%s: %v", s.step, err)
			}
		}
		if e.Revision == nil || e.Revision.Summary != rev.Summary || e.Region != shuyu.RegionHaiyuan {
			t.Fatalf("published %+v", e)
		}
	})
}

func TestCatalog_R4_5_ProhibitedCannotBeSubmitted(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		ctx := context.Background()
		rev := catalogSample("涉密人员名单")
		rev.OpenAttr = shuyu.OpenProhibited
		e, err := db.CreateCatalogEntry(ctx, a["dept-gongan"], sqlstore.NewCatalogEntry{Code: "ZW-GA-0099", Revision: rev})
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.CatalogStep(ctx, a["dept-gongan"], e.ID, shuyu.StepSubmit, "")
		if catalogCode(t, err) != shuyu.EINVALID {
			t.Fatalf("prohibited submitted: %v", err)
		}
		e, _ = db.CatalogEntry(ctx, a["dept-gongan"], e.ID)
		if e.Working.Status != shuyu.StatusDraft {
			t.Fatalf("status changed to %s", e.Working.Status)
		}
	})
}

func TestCatalog_R9_1_RevisionKeepsPublishedUntilNewOnePublished(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		ctx := context.Background()
		e := catalogPublish(t, db, a, "dept-gongan", "", "ZW-GA-0001", "人口基础信息")
		rev := catalogSample("人口基础信息")
		rev.Fields = append(rev.Fields[:2], shuyu.CatalogField{Name: "phone", Label: "手机号码", DataType: "string", PI: true, Grade: shuyu.GradeGeneral})
		rev.Fields[1].Label = "姓名（中文）"
		e2, err := db.UpdateCatalogEntry(ctx, a["dept-gongan"], e.ID, rev)
		if err != nil {
			t.Fatal(err)
		}
		if e2.Working.Version != 2 || e2.Revision.Version != 1 {
			t.Fatalf("versions: %+v %+v", e2.Working, e2.Revision)
		}
		// The public still sees version 1 while version 2 is in review.
		db.CatalogStep(ctx, a["dept-gongan"], e.ID, shuyu.StepSubmit, "")
		if _, err := db.UpdateCatalogEntry(ctx, a["dept-gongan"], e.ID, rev); catalogCode(t, err) != shuyu.ECONFLICT {
			t.Fatalf("edit under review: %v", err)
		}
		pub, _ := db.PublishedEntry(ctx, nil, e.ID)
		if pub.Revision.Version != 1 || pub.Working != nil {
			t.Fatalf("public sees %+v", pub.Revision)
		}
		db.CatalogStep(ctx, a["authority"], e.ID, shuyu.StepApproveCity, "")
		if _, err := db.CatalogStep(ctx, a["operator-admin"], e.ID, shuyu.StepPublish, ""); err != nil {
			t.Fatal(err)
		}
		revs, err := db.CatalogRevisions(ctx, nil, e.ID)
		if err != nil || len(revs) != 2 || revs[0].Status != shuyu.StatusSuperseded || revs[1].Status != shuyu.StatusPublished {
			t.Fatalf("revisions: %v %+v", err, revs)
		}
		diff := shuyu.DiffRevisions(revs[0], revs[1])
		kinds := map[string]int{}
		for _, c := range diff {
			kinds[c.Kind]++
		}
		if kinds["field_added"] != 1 || kinds["field_removed"] != 1 || kinds["field_changed"] != 1 {
			t.Fatalf("diff: %+v", diff)
		}
	})
}

func TestCatalog_R8_1_BadInputChangesNothing(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		ctx := context.Background()
		count := func() int {
			var n int
			db.SQL().QueryRow(`SELECT count(*) FROM catalog_entries`).Scan(&n)
			return n
		}
		catalogPublish(t, db, a, "dept-gongan", "", "ZW-GA-0001", "人口基础信息")
		before := count()
		bad := catalogSample("x")
		bad.Grade = "secret"
		bad.Fields[0].DataType = "blob"
		noFields := catalogSample("无信息项目录")
		noFields.Fields = nil
		cases := []struct {
			name  string
			actor string
			in    sqlstore.NewCatalogEntry
			code  string
		}{
			{"wrong types", "dept-gongan", sqlstore.NewCatalogEntry{Code: "ZW-GA-0002", Revision: bad}, shuyu.EINVALID},
			{"missing fields", "dept-gongan", sqlstore.NewCatalogEntry{Code: "ZW-GA-0003", Revision: noFields}, shuyu.EINVALID},
			{"duplicate code", "dept-gongan", sqlstore.NewCatalogEntry{Code: "zw-ga-0001", Revision: catalogSample("另一个目录")}, shuyu.ECONFLICT},
			{"bad code", "dept-gongan", sqlstore.NewCatalogEntry{Code: "人口", Revision: catalogSample("另一个目录")}, shuyu.EINVALID},
			{"unknown department", "authority", sqlstore.NewCatalogEntry{Code: "ZW-XX-0001", OrgID: 99999, Revision: catalogSample("另一个目录")}, shuyu.EINVALID},
			{"other department", "dept-gongan", sqlstore.NewCatalogEntry{Code: "ZW-XX-0002", OrgID: a["dept-haiyuan-weijian"].OrgID, Revision: catalogSample("另一个目录")}, shuyu.EFORBIDDEN},
			{"merchant", "merchant-a", sqlstore.NewCatalogEntry{Code: "ZW-XX-0003", Revision: catalogSample("另一个目录")}, shuyu.EFORBIDDEN},
		}
		for _, c := range cases {
			_, err := db.CreateCatalogEntry(ctx, a[c.actor], c.in)
			if got := catalogCode(t, err); got != c.code {
				t.Errorf("%s: code %q, want %q (%v)", c.name, got, c.code, err)
			}
			if e, ok := err.(*shuyu.Error); ok && e.Message == "" {
				t.Errorf("%s: no message", c.name)
			}
		}
		if count() != before {
			t.Fatalf("bad input created entries: %d -> %d", before, count())
		}
	})
}

func TestCatalog_R9_1_DemandRoutedAndCounted(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		ctx := context.Background()
		dm := &shuyu.CatalogDemand{Title: "城市公交实时到站数据", Description: "用于开发公交到站提醒小程序", Scenario: "民生服务"}
		if err := db.CreateDemand(ctx, a["merchant-a"], dm); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateDemand(ctx, a["expert"], &shuyu.CatalogDemand{Title: "需求", Description: "x"}); catalogCode(t, err) != shuyu.EFORBIDDEN {
			t.Fatalf("expert files demand: %v", err)
		}
		// The other merchant does not see it; the department does not yet.
		if _, err := db.Demand(ctx, a["merchant-b"], dm.ID); catalogCode(t, err) != shuyu.ENOTFOUND {
			t.Fatalf("merchant-b: %v", err)
		}
		if _, err := db.Demand(ctx, a["dept-gongan"], dm.ID); catalogCode(t, err) != shuyu.ENOTFOUND {
			t.Fatalf("dept before routing: %v", err)
		}
		if _, err := db.AnswerDemand(ctx, a["dept-gongan"], dm.ID, shuyu.DemandAccepted, "", 0); catalogCode(t, err) != shuyu.ENOTFOUND {
			t.Fatalf("dept answers unrouted: %v", err)
		}
		if _, err := db.RouteDemand(ctx, a["authority"], dm.ID, a["merchant-a"].OrgID, ""); catalogCode(t, err) != shuyu.EINVALID {
			t.Fatalf("route to merchant: %v", err)
		}
		got, err := db.RouteDemand(ctx, a["authority"], dm.ID, a["dept-gongan"].OrgID, "请公安局研究")
		if err != nil || got.Status != shuyu.DemandRouted || got.RoutedName != "中卫市公安局" {
			t.Fatalf("route: %v %+v", err, got)
		}
		if _, err := db.AnswerDemand(ctx, a["dept-gongan"], dm.ID, shuyu.DemandRejected, "", 0); catalogCode(t, err) != shuyu.EINVALID {
			t.Fatalf("reject without reasons: %v", err)
		}
		e := catalogPublish(t, db, a, "dept-gongan", "", "ZW-GA-0001", "人口基础信息")
		got, err = db.AnswerDemand(ctx, a["dept-gongan"], dm.ID, shuyu.DemandFulfilled, "已发布目录", e.ID)
		if err != nil || got.Status != shuyu.DemandFulfilled || got.EntryID != e.ID {
			t.Fatalf("fulfil: %v %+v", err, got)
		}
		if _, err := db.AnswerDemand(ctx, a["dept-gongan"], dm.ID, shuyu.DemandRejected, "改主意", 0); catalogCode(t, err) != shuyu.ECONFLICT {
			t.Fatalf("closed demand moved: %v", err)
		}
		list, err := db.Demands(ctx, a["authority"], "")
		if err != nil || list.Total != 1 || list.Counts["fulfilled"] != 1 || list.Counts["open"] != 0 {
			t.Fatalf("list: %v %+v", err, list)
		}
		mine, _ := db.Demands(ctx, a["merchant-b"], "")
		if mine.Total != 0 {
			t.Fatalf("merchant-b sees %d", mine.Total)
		}
	})
}

func TestCatalog_R10_2_Mounting(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		ctx := context.Background()
		e := catalogPublish(t, db, a, "dept-gongan", "", "ZW-GA-0001", "人口基础信息")
		if err := db.SetCatalogMounted(ctx, a["merchant-a"], e.ID, true); catalogCode(t, err) == "" {
			t.Fatal("merchant mounted data")
		}
		if err := db.SetCatalogMounted(ctx, a["operator-admin"], e.ID, true); err != nil {
			t.Fatal(err)
		}
		got, _ := db.PublishedEntry(ctx, nil, e.ID)
		if !got.Mounted || got.MountedAt == nil {
			t.Fatalf("not mounted: %+v", got)
		}
	})
}
