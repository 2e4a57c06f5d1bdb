package sqlstore_test

import (
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// TestAuthorization_NIMP_3_SixYearTermRefused: a term of more than 5
// years is refused with a clear reason and nothing is stored; exactly 5
// years is accepted; only the authority drafts.
func TestAuthorization_NIMP_3_SixYearTermRefused(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		before, err := db.Authorizations(ctx, a["authority"])
		if err != nil {
			t.Fatal(err)
		}
		in := sqltest.AuthorizationInput(a["operator-admin"].OrgID, shuyu.AuthWhole, shuyu.AuthorizationScope{}, "2027-01-01", "2032-12-31")
		_, err = db.DraftAuthorization(ctx, a["authority"], in)
		if shuyu.ErrorCode(err) != shuyu.EINVALID || !strings.Contains(shuyu.ErrorMessage(err), "授权协议") {
			t.Fatalf("6-year term: %v, want invalid", err)
		}
		if d := fieldErrors(err); len(d) != 1 || d[0].Field != "term_end" || !strings.Contains(d[0].Message, "2031-12-31") {
			t.Fatalf("details %+v, want term_end naming the last allowed day", d)
		}
		in.TermEnd = "2032-01-01" // one day too long
		if _, err := db.DraftAuthorization(ctx, a["authority"], in); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("5 years and a day: %v", err)
		}
		after, _ := db.Authorizations(ctx, a["authority"])
		if len(after) != len(before) {
			t.Fatalf("a refused draft was stored: %d → %d", len(before), len(after))
		}
		in.TermEnd = "2031-12-31"
		if _, err := db.DraftAuthorization(ctx, a["authority"], in); err != nil {
			t.Fatalf("exactly 5 years: %v", err)
		}
		for _, u := range []string{"operator-admin", "merchant-a", "dept-gongan"} {
			if _, err := db.DraftAuthorization(ctx, a[u], in); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
				t.Errorf("%s drafts: %v, want forbidden", u, err)
			}
		}
		in.Items.Exit = ""
		if _, err := db.DraftAuthorization(ctx, a["authority"], in); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("an item missing: %v", err)
		}
	})
}

// TestAuthorization_R13_1_SignedBothSidesAndVerified: the authority signs
// first, then the operator; the text's digest and both SM2 signatures
// verify; a merchant cannot read it (404) nor sign; a wrong password signs
// nothing.
func TestAuthorization_R13_1_SignedBothSidesAndVerified(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		in := sqltest.AuthorizationInput(a["operator-admin"].OrgID, shuyu.AuthWhole, shuyu.AuthorizationScope{}, "2027-01-01", "2031-12-31")
		z, err := db.DraftAuthorization(ctx, a["authority"], in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SignAuthorization(ctx, a["operator-admin"], z.ID, sqltest.Password); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("operator before authority: %v", err)
		}
		if _, err := db.SignAuthorization(ctx, a["authority"], z.ID, "wrong"); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := db.Authorization(ctx, a["merchant-a"], z.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND && shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant reads: %v", err)
		}
		if _, err := db.SignAuthorization(ctx, a["merchant-a"], z.ID, sqltest.Password); err == nil {
			t.Fatal("a merchant signed")
		}
		if _, err := db.SignAuthorization(ctx, a["authority"], z.ID, sqltest.Password); err != nil {
			t.Fatal(err)
		}
		z, err = db.SignAuthorization(ctx, a["operator-admin"], z.ID, sqltest.Password)
		if err != nil {
			t.Fatal(err)
		}
		if z.Status != shuyu.AuthzEffective || len(z.Signatures) != 2 || !strings.Contains(z.Text, "第13条 退出机制") {
			t.Fatalf("after both signatures: %s, %d signatures", z.Status, len(z.Signatures))
		}
		v, err := db.VerifyAuthorization(ctx, a["regulator"], z.ID)
		if err != nil || !v.Valid {
			t.Fatalf("verify: %+v %v", v, err)
		}
		// An insider who edits the stored text breaks the verification.
		if _, err := db.SQL().Exec(db.Rebind(`UPDATE operator_authorizations SET text = text || '（补充条款）' WHERE id = ?`), z.ID); err != nil {
			t.Fatal(err)
		}
		if v, _ := db.VerifyAuthorization(ctx, a["authority"], z.ID); v.Valid || v.DigestOK {
			t.Fatalf("a changed text still verifies: %+v", v)
		}
		if _, err := db.FileAuthorization(ctx, a["operator-admin"], z.ID, "宁数备〔2027〕1号"); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("operator files: %v", err)
		}
		if z, err = db.FileAuthorization(ctx, a["authority"], z.ID, "宁数备〔2027〕1号"); err != nil || z.FilingNumber == "" {
			t.Fatalf("file: %v", err)
		}
	})
}

// TestAuthorization_R13_1_R4_1_ApplicationOutsideScopeRefused: under an
// authorization by scenario over one entry, an application for another
// entry is refused, so is one for another scenario or past the term; an
// application inside is accepted and carries the mode and scope.
func TestAuthorization_R13_1_R4_1_ApplicationOutsideScopeRefused(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		f := newReviewFixture(t, db, a)
		// The seeded whole authorization ends today; from tomorrow only
		// the scenario authorization below is in force.
		if err := db.SetAuthorizationEnd(ctx, a["authority"], "2026-11-25", "改为依场景授权"); err != nil {
			t.Fatal(err)
		}
		z := sqltest.AuthorizeOperator(t, db, a, shuyu.AuthorizationScope{Entries: []int64{f.health}, Scenarios: []string{"医疗资源配置"}},
			shuyu.AuthScenario, "2026-11-25", "2028-06-30")
		in := f.input() // police + health entries
		_, err := db.SubmitApplication(ctx, a["merchant-a"], in)
		if shuyu.ErrorCode(err) != shuyu.EINVALID || !strings.Contains(shuyu.ErrorMessage(err), "授权范围") {
			t.Fatalf("entry outside scope: %v", err)
		}
		if d := fieldErrors(err); len(d) != 1 || d[0].Field != "items[0]" || !strings.Contains(d[0].Message, "流动人口登记信息") {
			t.Fatalf("details %+v, want the police entry named", d)
		}
		in.Items = in.Items[1:]
		in.Scenario = "分析旅游客流，支持景区管理。"
		if _, err := db.SubmitApplication(ctx, a["merchant-a"], in); shuyu.ErrorCode(err) != shuyu.EINVALID ||
			!strings.Contains(shuyu.ErrorMessage(err), "场景") {
			t.Fatalf("scenario outside: %v", err)
		}
		in = f.input()
		in.Items = in.Items[1:]
		in.TermEnd = "2028-07-01"
		if _, err := db.SubmitApplication(ctx, a["merchant-a"], in); shuyu.ErrorCode(err) != shuyu.EINVALID ||
			!strings.Contains(shuyu.ErrorMessage(err), "授权期限") {
			t.Fatalf("past the term: %v", err)
		}
		apps, _ := db.Applications(ctx, a["merchant-a"], "")
		if len(apps) != 0 {
			t.Fatalf("refused applications stored: %d", len(apps))
		}
		in.TermEnd = "2028-06-30"
		app, err := db.SubmitApplication(ctx, a["merchant-a"], in)
		if err != nil {
			t.Fatalf("inside the scope: %v", err)
		}
		var id int64
		var mode, scope string
		if err := db.SQL().QueryRow(db.Rebind(`SELECT authorization_id, mode, scope FROM application_authorizations WHERE application_id = ?`),
			app.ID).Scan(&id, &mode, &scope); err != nil {
			t.Fatal(err)
		}
		if id != z.ID || mode != "scenario" || !strings.Contains(scope, "医疗资源配置") {
			t.Fatalf("recorded %d %s %q, want authorization %d by scenario", id, mode, scope, z.ID)
		}
	})
}

// TestAuthorization_R13_1_NothingWithoutAuthorization: once every
// authorization has ended, no application is accepted; an authorization
// cannot be extended by ending it later.
func TestAuthorization_R13_1_NothingWithoutAuthorization(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		f := newReviewFixture(t, db, a)
		if err := db.SetAuthorizationEnd(ctx, a["authority"], "2031-01-01", "延长"); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("extension: %v", err)
		}
		if err := db.SetAuthorizationEnd(ctx, a["authority"], "2026-11-25", "终止授权"); err != nil {
			t.Fatal(err)
		}
		_, err := db.SubmitApplication(ctx, a["merchant-a"], f.input())
		if shuyu.ErrorCode(err) != shuyu.EINVALID || !strings.Contains(shuyu.ErrorMessage(err), "没有生效的授权运营协议") {
			t.Fatalf("no authorization: %v", err)
		}
	})
}

// fieldErrors are the field details of a refusal.
func fieldErrors(err error) []shuyu.FieldError {
	d, _ := shuyu.ErrorDetails(err).([]shuyu.FieldError)
	return d
}
