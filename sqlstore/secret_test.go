package sqlstore_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
)

// approveAll passes the check and has every reviewer of the application's
// current round approve, returning the first approval error.
func approveAll(t *testing.T, db *sqlstore.DB, a map[string]*shuyu.Actor, appID int64) error {
	t.Helper()
	app, err := db.Application(ctx, a["operator-admin"], appID)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]string{"中卫市公安局": "dept-gongan", "海原县卫生健康局": "dept-haiyuan-weijian",
		"海原县数据局": "county-haiyuan", "中卫市数据运营有限公司": "operator-reviewer", "中卫市数据局": "authority"}
	for _, r := range app.Reviews {
		if r.Status != shuyu.ReviewOpen {
			continue
		}
		if _, err := db.DecideReview(ctx, a[by[r.OrgName]], r.ID, shuyu.Decision{Approve: true, Reason: "同意"}); err != nil {
			return err
		}
	}
	return nil
}

func TestSecret_R2_1_MarkedDataRefusedAtEveryDoor(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		env.Clock.Set(time.Date(2026, 11, 25, 10, 0, 0, 0, workday.Zone))
		f := newReviewFixture(t, db, a)
		m, dept, auth := a["merchant-a"], a["dept-gongan"], a["authority"]

		// Who may mark: the owning department and the authority; another
		// department does not see the entry's marks, a merchant may not.
		in := shuyu.SecretMarkInput{Field: "id_no", Class: shuyu.SecretWork, Basis: "公安机关工作秘密事项目录第 3 项"}
		_, err := db.MarkSecret(ctx, a["dept-haiyuan-weijian"], f.police, in)
		wantCode(t, err, shuyu.ENOTFOUND)
		_, err = db.MarkSecret(ctx, m, f.police, in)
		wantCode(t, err, shuyu.EFORBIDDEN)
		_, err = db.MarkSecret(ctx, dept, f.police, shuyu.SecretMarkInput{Field: "id_no", Class: "top", Basis: "x"})
		wantCode(t, err, shuyu.EINVALID)
		_, err = db.MarkSecret(ctx, dept, f.police, shuyu.SecretMarkInput{Field: "nonexistent", Class: shuyu.SecretWork, Basis: in.Basis})
		wantCode(t, err, shuyu.EINVALID)
		if n := len(mustMarks(t, db, auth)); n != 0 {
			t.Fatalf("refused marks left %d rows", n)
		}
		mark, err := db.MarkSecret(ctx, dept, f.police, in)
		if err != nil {
			t.Fatal(err)
		}
		if !mark.Active() || mark.EntryCode != "ZW-GA-001" || mark.MarkedBy != "dept-gongan" {
			t.Fatalf("mark %+v", mark)
		}
		_, err = db.MarkSecret(ctx, auth, f.police, in)
		wantCode(t, err, shuyu.ECONFLICT)
		if n, _, reason := auditCount(t, db, "secret_mark.create", "secret_mark", fmt.Sprint(mark.ID)); n != 1 || reason != in.Basis {
			t.Fatalf("mark audited %d times, reason %q", n, reason)
		}
		if !inboxHas(t, db, a["operator-admin"], "secret.marked", "id_no") {
			t.Fatal("operator not told of the mark")
		}

		// Applying for the marked field is refused with the reason; the
		// other fields of the entry stay available.
		bad := f.input()
		bad.Items = []shuyu.ItemRequest{{EntryID: f.police, Fields: []string{"name", "id_no"}}}
		_, err = db.SubmitApplication(ctx, m, bad)
		wantCode(t, err, shuyu.EINVALID)
		if !strings.Contains(fmt.Sprint(shuyu.ErrorDetails(err)), "工作秘密") {
			t.Fatalf("refusal does not say why: %v / %s", err, fmt.Sprint(shuyu.ErrorDetails(err)))
		}
		bad.Items = []shuyu.ItemRequest{{EntryID: f.police}} // all fields, the marked one among them
		_, err = db.SubmitApplication(ctx, m, bad)
		wantCode(t, err, shuyu.EINVALID)
		app, err := db.SubmitApplication(ctx, m, f.input()) // address and the health entry
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CheckApplication(ctx, a["operator-reviewer"], app.ID, shuyu.CheckResult{Pass: true}); err != nil {
			t.Fatal(err)
		}

		// A mark arriving during review stops the approval, and changes nothing.
		addr, err := db.MarkSecret(ctx, auth, f.police, shuyu.SecretMarkInput{Field: "address", Class: shuyu.SecretState, Basis: "国家秘密目录（公安）"})
		if err != nil {
			t.Fatal(err)
		}
		err = approveAll(t, db, a, app.ID)
		wantCode(t, err, shuyu.EINVALID)
		if !strings.Contains(shuyu.ErrorMessage(err), "国家秘密") {
			t.Fatalf("approval refusal: %v", err)
		}
		got, _ := db.Application(ctx, a["operator-admin"], app.ID)
		for _, r := range got.Reviews {
			if r.Status != shuyu.ReviewOpen {
				t.Fatalf("a refused approval changed review %d to %s", r.ID, r.Status)
			}
		}

		// Only the city authority lifts a mark, with a reason.
		_, err = db.LiftSecret(ctx, dept, addr.ID, "经核定不属于国家秘密")
		wantCode(t, err, shuyu.EFORBIDDEN)
		_, err = db.LiftSecret(ctx, auth, addr.ID, "")
		wantCode(t, err, shuyu.EINVALID)
		if _, err := db.LiftSecret(ctx, auth, addr.ID, "经保密部门核定不属于国家秘密"); err != nil {
			t.Fatal(err)
		}
		_, err = db.LiftSecret(ctx, auth, addr.ID, "再次解除")
		wantCode(t, err, shuyu.ECONFLICT)
		if err := approveAll(t, db, a, app.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = db.Application(ctx, m, app.ID)
		if got.Status != shuyu.AppApproved || got.AgreementID == 0 {
			t.Fatalf("after approvals: %s", got.Status)
		}

		// The agreement cannot take effect over data marked since approval.
		if _, err := db.SignAgreement(ctx, m, got.AgreementID, sqltest.Password); err != nil {
			t.Fatal(err)
		}
		whole, err := db.MarkSecret(ctx, auth, f.health, shuyu.SecretMarkInput{Class: shuyu.SecretWork, Basis: "卫生健康工作秘密事项"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.SignAgreement(ctx, a["operator-admin"], got.AgreementID, sqltest.Password)
		wantCode(t, err, shuyu.EINVALID)
		if agr, _ := db.Agreement(ctx, m, got.AgreementID); agr.Status == shuyu.AgrEffective {
			t.Fatal("agreement took effect over secret data")
		}
		if ws, _ := db.Workspaces(ctx, m); len(ws) != 0 {
			t.Fatalf("a workspace opened: %d", len(ws))
		}
		if _, err := db.LiftSecret(ctx, auth, whole.ID, "经核定可以授权运营"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SignAgreement(ctx, a["operator-admin"], got.AgreementID, sqltest.Password); err != nil {
			t.Fatal(err)
		}

		// In the workspace, a field marked afterwards is withdrawn and an
		// entry marked afterwards is unavailable, at the next read.
		if _, err := db.MarkSecret(ctx, dept, f.police, shuyu.SecretMarkInput{Field: "address", Class: shuyu.SecretWork, Basis: "内部工作秘密"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.MarkSecret(ctx, a["dept-haiyuan-weijian"], f.health, shuyu.SecretMarkInput{Class: shuyu.SecretWork, Basis: "内部工作秘密"}); err != nil {
			t.Fatal(err)
		}
		ws, err := db.Workspaces(ctx, m)
		if err != nil || len(ws) != 1 {
			t.Fatalf("workspaces %d %v", len(ws), err)
		}
		w, err := db.Workspace(ctx, m, ws[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range w.Grants {
			names := []string{}
			for _, fl := range g.Fields {
				names = append(names, fl.Name)
			}
			switch g.EntryID {
			case f.police:
				if slices.Contains(names, "address") || !slices.Contains(g.SecretFields, "address") || g.Suspended {
					t.Fatalf("police grant after the field mark: fields %v secret %v", names, g.SecretFields)
				}
			case f.health:
				if !g.Secret || !g.Suspended {
					t.Fatalf("health grant after the entry mark: %+v", g)
				}
			}
		}

		// Data marked secret is never mounted nor sent up the catalog flow.
		err = db.SetCatalogMounted(ctx, a["dept-haiyuan-weijian"], f.health, true)
		wantCode(t, err, shuyu.EINVALID)
		if _, err := db.MarkSecret(ctx, dept, f.draftOne, shuyu.SecretMarkInput{Field: "x", Class: shuyu.SecretWork, Basis: "内部工作秘密"}); err != nil {
			t.Fatal(err)
		}
		_, err = db.CatalogStep(ctx, dept, f.draftOne, shuyu.StepSubmit, "")
		wantCode(t, err, shuyu.EINVALID)
		if !strings.Contains(shuyu.ErrorMessage(err), "不得纳入授权运营目录") {
			t.Fatalf("catalog refusal: %v", err)
		}
		e, _ := db.CatalogEntry(ctx, dept, f.draftOne)
		if e.Working == nil || e.Working.Status != shuyu.StatusDraft {
			t.Fatalf("refused submit moved the revision: %+v", e.Working)
		}

		// Reads: the department sees its own marks only; the regulator all.
		for who, want := range map[string]int{"dept-gongan": 4, "dept-haiyuan-weijian": 2, "regulator": 6} {
			if n := len(mustMarks(t, db, a[who])); n != want {
				t.Fatalf("%s sees %d marks, want %d", who, n, want)
			}
		}
		_, err = db.SecretMarks(ctx, m, 0, false)
		wantCode(t, err, shuyu.EFORBIDDEN)
	})
}

func mustMarks(t *testing.T, db *sqlstore.DB, a *shuyu.Actor) []*shuyu.SecretMark {
	t.Helper()
	ms, err := db.SecretMarks(ctx, a, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}
