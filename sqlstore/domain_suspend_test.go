package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

func TestDomainSuspend_R27_3_ScopesResumeAndNotices(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, as := env.DB, env.Actors
		auth, ga, hy := as["authority"], as["dept-gongan"], as["dept-haiyuan-weijian"]
		e1 := domainInsertEntry(t, db, "ZW-GA-0001", ga, true, "daily", domainPeopleFields)
		e2 := domainInsertEntry(t, db, "ZW-GA-0002", ga, true, "daily", domainPeopleFields)
		e3 := domainInsertEntry(t, db, "HY-WJ-0001", hy, true, "daily", domainPeopleFields)
		suspended := func() []bool {
			var out []bool
			for _, e := range []int64{e1, e2, e3} {
				s, err := db.EntrySuspended(ctx, e)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
			return out
		}
		events := domainCount(t, db, "audit_events")
		for name, c := range map[string]struct {
			a  *shuyu.Actor
			in sqlstore.SuspendInput
			cd string
		}{
			"no reason":     {auth, sqlstore.SuspendInput{Scope: "entry", EntryID: e1, Reason: "  "}, shuyu.EINVALID},
			"bad scope":     {auth, sqlstore.SuspendInput{Scope: "county", Reason: "x"}, shuyu.EINVALID},
			"no entry":      {auth, sqlstore.SuspendInput{Scope: "entry", EntryID: 999, Reason: "x"}, shuyu.ENOTFOUND},
			"not a dept":    {auth, sqlstore.SuspendInput{Scope: "dept", OrgID: as["merchant-a"].OrgID, Reason: "x"}, shuyu.EINVALID},
			"operator":      {as["operator-admin"], sqlstore.SuspendInput{Scope: "platform", Reason: "x"}, shuyu.EFORBIDDEN},
			"county":        {as["county-haiyuan"], sqlstore.SuspendInput{Scope: "entry", EntryID: e3, Reason: "x"}, shuyu.EFORBIDDEN},
			"dept suspends": {ga, sqlstore.SuspendInput{Scope: "entry", EntryID: e1, Reason: "x"}, shuyu.EFORBIDDEN},
			"merchant":      {as["merchant-a"], sqlstore.SuspendInput{Scope: "platform", Reason: "x"}, shuyu.EFORBIDDEN},
		} {
			if _, err := db.Suspend(ctx, c.a, c.in); shuyu.ErrorCode(err) != c.cd {
				t.Errorf("%s: %v, want %s", name, err, c.cd)
			}
		}
		if domainCount(t, db, "audit_events") != events || !slices.Equal(suspended(), []bool{false, false, false}) {
			t.Fatal("refused suspensions changed state")
		}

		s1, err := db.Suspend(ctx, auth, sqlstore.SuspendInput{Scope: "entry", EntryID: e1, Reason: "发现越权访问风险"})
		if err != nil || !s1.Active || s1.EntryCode != "ZW-GA-0001" {
			t.Fatalf("suspend entry: %+v %v", s1, err)
		}
		if _, err := db.Suspend(ctx, auth, sqlstore.SuspendInput{Scope: "entry", EntryID: e1, Reason: "again"}); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("duplicate suspension: %v", err)
		}
		if got := suspended(); !slices.Equal(got, []bool{true, false, false}) {
			t.Fatalf("after entry suspension: %v", got)
		}
		s2, err := db.Suspend(ctx, auth, sqlstore.SuspendInput{Scope: "dept", OrgID: ga.OrgID, Reason: "公安数据安全整改"})
		if err != nil {
			t.Fatal(err)
		}
		if got := suspended(); !slices.Equal(got, []bool{true, true, false}) {
			t.Fatalf("after dept suspension: %v", got)
		}
		// Resuming the entry suspension leaves it covered by the department's.
		if _, err := db.Resume(ctx, auth, s1.ID, "已整改"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Resume(ctx, auth, s1.ID, "已整改"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("resume twice: %v", err)
		}
		if got := suspended(); !slices.Equal(got, []bool{true, true, false}) {
			t.Fatalf("after resuming the entry only: %v", got)
		}
		s3, err := db.Suspend(ctx, auth, sqlstore.SuspendInput{Scope: "platform", Reason: "平台等保测评整改"})
		if err != nil {
			t.Fatal(err)
		}
		if got := suspended(); !slices.Equal(got, []bool{true, true, true}) {
			t.Fatalf("after platform suspension: %v", got)
		}
		db.Resume(ctx, auth, s2.ID, "整改完成")
		db.Resume(ctx, auth, s3.ID, "整改完成")
		if got := suspended(); !slices.Equal(got, []bool{false, false, false}) {
			t.Fatalf("after resuming all: %v", got)
		}
		// Who sees suspensions: the Haiyuan department sees the platform
		// one only, not the Gongan department's.
		if l, err := db.Suspensions(ctx, hy, false); err != nil || len(l) != 1 || l[0].Scope != "platform" {
			t.Fatalf("haiyuan dept sees %+v %v", l, err)
		}
		if _, err := db.Suspensions(ctx, as["merchant-a"], false); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant lists suspensions: %v", err)
		}
		if l, _ := db.Suspensions(ctx, as["regulator"], true); len(l) != 0 {
			t.Fatalf("active after resuming all: %d", len(l))
		}
		// Every affected party was told: the department, the operator and
		// the authority; the platform suspension reached every department.
		told := func(id int64, kind string) []int64 {
			var out []int64
			rows, err := db.SQL().Query(db.Rebind(`SELECT org_id FROM notices WHERE object_type = 'domain_suspension'
				AND object_id = ? AND kind = ? ORDER BY org_id`), fmtInt(id), kind)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var o int64
				if err := rows.Scan(&o); err != nil {
					t.Fatal(err)
				}
				out = append(out, o)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		op := as["operator-admin"].OrgID
		first := told(s1.ID, "domain.suspended")
		if !slices.Contains(first, ga.OrgID) || !slices.Contains(first, op) || !slices.Contains(first, auth.OrgID) || slices.Contains(first, hy.OrgID) {
			t.Fatalf("entry suspension told %v", first)
		}
		if r := told(s1.ID, "domain.resumed"); !slices.Equal(r, first) {
			t.Fatalf("resumption told %v, suspension %v", r, first)
		}
		plat := told(s3.ID, "domain.suspended")
		if !slices.Contains(plat, hy.OrgID) || !slices.Contains(plat, ga.OrgID) || !slices.Contains(plat, as["county-haiyuan"].OrgID) {
			t.Fatalf("platform suspension told %v", plat)
		}
	})
}

// A suspended entry cannot be applied for (R27.3): the review chain asks
// domainSuspended through its hook; after resumption it can.
func TestDomainSuspend_R27_3_NewApplicationsRefused(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, as := env.DB, env.Actors
		f := newReviewFixture(t, db, as)
		s, err := db.Suspend(ctx, as["authority"], sqlstore.SuspendInput{Scope: "entry", EntryID: f.police, Reason: "安全风险"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.SubmitApplication(ctx, as["merchant-a"], f.input())
		if shuyu.ErrorCode(err) != shuyu.EINVALID || !strings.Contains(fmt.Sprint(shuyu.ErrorDetails(err)), "暂停") {
			t.Fatalf("application for a suspended entry: %v (%v)", err, shuyu.ErrorDetails(err))
		}
		if _, err := db.Resume(ctx, as["authority"], s.ID, "已整改"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SubmitApplication(ctx, as["merchant-a"], f.input()); err != nil {
			t.Fatalf("application after resumption: %v", err)
		}
	})
}
