package sqlstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// TestPortal_R32_1_PostsPublishedAuditedWithdrawn: the authority and the
// operator publish notices and cases (audited); a merchant, a department
// and an anonymous caller cannot; bad input changes nothing; a withdrawn
// post is gone from the public reads but its record stays.
func TestPortal_R32_1_PostsPublishedAuditedWithdrawn(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		in := shuyu.PortalPostInput{Kind: shuyu.PortalNotice, Title: "关于开放第二批公共数据目录的通知", Body: "第二批目录共二十项，即日起可在平台申请使用。"}
		for _, who := range []string{"merchant-a", "dept-gongan", "regulator"} {
			if _, err := db.PublishPortalPost(ctx, a[who], in); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
				t.Fatalf("%s published: %v", who, err)
			}
		}
		if _, err := db.PublishPortalPost(ctx, nil, in); shuyu.ErrorCode(err) != shuyu.EUNAUTHORIZED {
			t.Fatalf("anonymous published: %v", err)
		}
		bad := in
		bad.Title, bad.Kind = "短", "advert"
		if _, err := db.PublishPortalPost(ctx, a["authority"], bad); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("bad post: %v", err)
		}
		if ps, _ := db.PortalPosts(ctx, "", 0); len(ps) != 0 {
			t.Fatalf("refused posts were stored: %d", len(ps))
		}
		n, err := db.PublishPortalPost(ctx, a["authority"], in)
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.PublishPortalPost(ctx, a["operator-admin"], shuyu.PortalPostInput{Kind: shuyu.PortalCase,
			Title: "就业补贴精准发放", Body: "运营机构在沙箱内比对参保与就业登记数据，仅输出统计结果。"})
		if err != nil {
			t.Fatal(err)
		}
		if n.OrgName == "" || n.OrgID != a["authority"].OrgID {
			t.Fatalf("publisher: %+v", n)
		}
		if got, _, _ := auditCount(t, db, "portal_post.publish", "portal_post", fmt.Sprint(n.ID)); got != 1 {
			t.Fatalf("publication audited %d times", got)
		}
		notices, err := db.PortalPosts(ctx, shuyu.PortalNotice, 10)
		if err != nil || len(notices) != 1 || notices[0].ID != n.ID {
			t.Fatalf("notices: %v %v", notices, err)
		}
		all, _ := db.PortalPosts(ctx, "", 10)
		if len(all) != 2 {
			t.Fatalf("all posts: %d", len(all))
		}
		if err := db.WithdrawPortalPost(ctx, a["merchant-a"], c.ID, "x"); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant withdrew: %v", err)
		}
		if err := db.WithdrawPortalPost(ctx, a["operator-admin"], c.ID, "案例信息需更新"); err != nil {
			t.Fatal(err)
		}
		if err := db.WithdrawPortalPost(ctx, a["operator-admin"], c.ID, "again"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("withdrawn twice: %v", err)
		}
		if _, err := db.PortalPost(ctx, c.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("withdrawn post still public: %v", err)
		}
		if got, _, reason := auditCount(t, db, "portal_post.withdraw", "portal_post", fmt.Sprint(c.ID)); got != 1 || reason != "案例信息需更新" {
			t.Fatalf("withdrawal audited %d times (%q)", got, reason)
		}
	})
}

// TestPortal_R10_2_StatsFromLiveData: the headline figures and the charts
// follow the store: a published entry and its mounting, an application
// submitted this month; drafts and prohibited entries' fields are not
// counted as published, and approved documents only are public.
func TestPortal_R10_2_StatsFromLiveData(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		before, err := db.PortalStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(before.Months) != 12 {
			t.Fatalf("months: %d", len(before.Months))
		}
		f := newReviewFixture(t, db, a) // three published, mounted entries (two of the police), one draft
		after, err := db.PortalStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after.Entries-before.Entries != 3 || after.Mounted-before.Mounted != 3 {
			t.Fatalf("entries %d→%d mounted %d→%d", before.Entries, after.Entries, before.Mounted, after.Mounted)
		}
		byDept := map[string]sqlstore.PortalCount{}
		for _, c := range after.ByDept {
			byDept[c.Key] = c
		}
		if c := byDept[fmt.Sprint(a["dept-gongan"].OrgID)]; c.Count != 2 || c.Extra != 2 || !strings.Contains(c.Label, "公安") {
			t.Fatalf("police department: %+v", c)
		}
		if _, err := db.SubmitApplication(ctx, a["merchant-a"], f.input()); err != nil {
			t.Fatal(err)
		}
		st, err := db.PortalStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last := st.Months[11]
		if st.Applications-after.Applications != 1 || last.Count != before.Months[11].Count+1 {
			t.Fatalf("applications %d, this month %+v", st.Applications, last)
		}
		if want := env.Clock.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01"); last.Key != want {
			t.Fatalf("last month %s, want %s", last.Key, want)
		}
		docs, err := db.PublicDocuments(ctx)
		if err != nil || len(docs) != 2 {
			t.Fatalf("public documents: %d %v", len(docs), err)
		}
		draft := &shuyu.Document{Kind: shuyu.DocOnboardingRules, Title: "入驻规则（修订稿）", Body: "修订中的入驻规则，尚未审定，不应公开。"}
		if err := db.CreateDocument(ctx, a["operator-admin"], draft); err != nil {
			t.Fatal(err)
		}
		if _, err := db.PublicDocument(ctx, draft.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("draft is public: %v", err)
		}
		if d, err := db.PublicDocument(ctx, docs[0].ID); err != nil || d.ApprovedAt == nil {
			t.Fatalf("approved document: %v", err)
		}
	})
}

// TestApplication_R10_2_UnmountedEntryRefused: an entry with no data
// mounted cannot be applied for; the refusal names the entry and says why,
// nothing is stored, and the form's list says the entry is not applicable.
func TestApplication_R10_2_UnmountedEntryRefused(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		f := newReviewFixture(t, db, a)
		if err := db.SetCatalogMounted(ctx, a["operator-admin"], f.health, false); err != nil {
			t.Fatal(err)
		}
		_, err := db.SubmitApplication(ctx, a["merchant-a"], f.input())
		if shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("unmounted entry accepted: %v", err)
		}
		fe, _ := shuyu.ErrorDetails(err).([]shuyu.FieldError)
		if len(fe) != 1 || fe[0].Field != "items[1]" || !strings.Contains(fe[0].Message, "尚未挂接数据") || !strings.Contains(fe[0].Message, "海原县门诊就诊统计") {
			t.Fatalf("details: %+v", fe)
		}
		apps, err := db.Applications(ctx, a["merchant-a"], "")
		if err != nil || len(apps) != 0 {
			t.Fatalf("refused application stored: %d %v", len(apps), err)
		}
		es, err := db.ReviewApplicableEntries(ctx, f.police, f.health)
		if err != nil || len(es) != 2 {
			t.Fatalf("entries: %v %v", es, err)
		}
		for _, e := range es {
			if want := e.ID == f.police; e.Applicable() != want {
				t.Fatalf("%s applicable=%v", e.Name, e.Applicable())
			}
		}
		if err := db.SetCatalogMounted(ctx, a["operator-admin"], f.health, true); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SubmitApplication(ctx, a["merchant-a"], f.input()); err != nil {
			t.Fatalf("mounted again: %v", err)
		}
	})
}

// TestAgreement_R19_1_DataScopeNamesFieldsInChinese: the application and
// the agreement generated from it name the requested fields by their
// Chinese labels (信息项名称), not by their column codes.
func TestAgreement_R19_1_DataScopeNamesFieldsInChinese(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		f := newReviewFixture(t, db, a)
		for name, label := range map[string]string{"address": "居住地址", "clinic": "就诊机构", "visits": "就诊人次"} {
			if _, err := db.SQL().Exec(db.Rebind(`UPDATE catalog_fields SET label = ? WHERE name = ?`), label, name); err != nil {
				t.Fatal(err)
			}
		}
		app, err := db.SubmitApplication(ctx, a["merchant-a"], f.input())
		if err != nil {
			t.Fatal(err)
		}
		if got := app.Items[0].FieldLabels; len(got) != 1 || got[0] != "居住地址" {
			t.Fatalf("application labels: %v", got)
		}
		if _, err := db.CheckApplication(ctx, a["operator-reviewer"], app.ID, shuyu.CheckResult{Pass: true}); err != nil {
			t.Fatal(err)
		}
		app, _ = db.Application(ctx, a["operator-admin"], app.ID)
		for _, r := range app.Reviews {
			var by *shuyu.Actor
			for _, ac := range a {
				if ac.OrgID == r.OrgID && shuyu.Can(ac, shuyu.ActReviewDecide, shuyu.Resource{}) {
					by = ac
					break
				}
			}
			if by == nil {
				t.Fatalf("no reviewer for %s", r.OrgName)
			}
			if _, err := db.DecideReview(ctx, by, r.ID, shuyu.Decision{Approve: true, Reason: "同意"}); err != nil {
				t.Fatal(err)
			}
		}
		app, _ = db.Application(ctx, a["merchant-a"], app.ID)
		if app.AgreementID == 0 {
			t.Fatalf("no agreement: %s", app.Status)
		}
		agr, err := db.Agreement(ctx, a["merchant-a"], app.AgreementID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(agr.Text, "居住地址") || !strings.Contains(agr.Text, "就诊机构、就诊人次") || strings.Contains(agr.Text, "：address") {
			t.Fatalf("agreement data scope: %s", agr.Text)
		}
	})
}
