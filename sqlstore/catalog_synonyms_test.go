package sqlstore_test

import (
	"context"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// TestCatalogSynonyms_R8_5_AbbreviationsFindEntries: the seeded synonyms
// make 社保, 社保缴费, 身份证号 and 医保 find the entries that say 社会保险缴费,
// 公民身份号码 and 医疗保障; the authority extends and trims the list (each
// change audited and seen by the next search); nobody else may; bad input
// is EINVALID and changes nothing. On both backends.
func TestCatalogSynonyms_R8_5_AbbreviationsFindEntries(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		ctx := context.Background()
		social := catalogPublish(t, db, a, "dept-gongan", "", "ZW-GA-0101", "社会保险缴费信息")
		catalogPublish(t, db, a, "dept-gongan", "", "ZW-GA-0102", "机动车登记信息")
		health := catalogPublish(t, db, a, "dept-haiyuan-weijian", "county-haiyuan", "HY-WJ-0101", "医疗保障结算信息")
		search := func(q string) []int64 {
			t.Helper()
			p, err := db.PublishedEntries(ctx, nil, sqlstore.CatalogFilter{Q: q})
			if err != nil {
				t.Fatalf("q=%q: %v", q, err)
			}
			var ids []int64
			for _, e := range p.Items {
				ids = append(ids, e.ID)
			}
			return ids
		}
		for _, c := range []struct {
			q    string
			want int
			top  int64 // the first hit, when set
		}{
			{"社保", 1, social.ID}, {"社保缴费", 1, social.ID}, {"社保 缴费", 1, social.ID},
			{"身份证号", 3, 0}, {"身份证", 3, 0}, // every sample lists 公民身份号码
			{"医保", 1, health.ID}, {"医保结算", 1, health.ID}, {"社保 机动车", 0, 0}, {"公积金", 0, 0},
		} {
			got := search(c.q)
			if len(got) != c.want || (c.top != 0 && got[0] != c.top) {
				t.Errorf("q=%q: %v, want %d hits first %d", c.q, got, c.want, c.top)
			}
		}

		// The authority adds one: the next search uses it.
		if got := search("车管"); len(got) != 0 {
			t.Fatalf("车管 before the synonym: %v", got)
		}
		syn, err := db.AddCatalogSynonym(ctx, a["authority"], shuyu.CatalogSynonym{Term: " 车管 ", Expansion: "机动车"})
		if err != nil || syn.Term != "车管" {
			t.Fatalf("add: %+v %v", syn, err)
		}
		if got := search("车管"); len(got) != 1 {
			t.Fatalf("车管 after the synonym: %v", got)
		}
		list, err := db.CatalogSynonyms(ctx)
		if err != nil || len(list) < 20 {
			t.Fatalf("list: %d %v", len(list), err)
		}
		// Nobody else may change the list; bad input changes nothing.
		for _, who := range []string{"merchant-a", "dept-gongan", "operator-admin", "regulator"} {
			if _, err := db.AddCatalogSynonym(ctx, a[who], shuyu.CatalogSynonym{Term: "车管所", Expansion: "机动车"}); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
				t.Errorf("%s adds: %v", who, err)
			}
			if err := db.RemoveCatalogSynonym(ctx, a[who], syn.ID); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
				t.Errorf("%s removes: %v", who, err)
			}
		}
		for _, bad := range []shuyu.CatalogSynonym{{Term: "", Expansion: "x"}, {Term: "车管", Expansion: "车管"},
			{Term: "a b", Expansion: "c"}, {Term: "引\"号", Expansion: "c"}, {Term: "长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长", Expansion: "c"}} {
			if _, err := db.AddCatalogSynonym(ctx, a["authority"], bad); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Errorf("bad %+v: %v", bad, err)
			}
		}
		if _, err := db.AddCatalogSynonym(ctx, a["authority"], shuyu.CatalogSynonym{Term: "车管", Expansion: "机动车"}); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("duplicate: %v", err)
		}
		if again, _ := db.CatalogSynonyms(ctx); len(again) != len(list) {
			t.Fatalf("refused changes changed the list: %d, was %d", len(again), len(list))
		}
		// Removing it: the next search no longer uses it.
		if err := db.RemoveCatalogSynonym(ctx, a["authority"], syn.ID); err != nil {
			t.Fatal(err)
		}
		if got := search("车管"); len(got) != 0 {
			t.Fatalf("车管 after removal: %v", got)
		}
		if err := db.RemoveCatalogSynonym(ctx, a["authority"], syn.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("remove twice: %v", err)
		}
		for _, act := range []shuyu.AuditAction{shuyu.AuditSynonymAdd, shuyu.AuditSynonymRemove} {
			evs, err := db.Events(ctx, a["auditadmin"], sqlstore.EventFilter{Action: string(act)}, false)
			if err != nil || len(evs) != 1 {
				t.Errorf("%s events: %+v %v", act, evs, err)
			}
		}
	})
}
