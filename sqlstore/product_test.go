package sqlstore_test

import (
	"context"
	"encoding/json"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workspace/wstest"
)

// R23.1: rules apply only once the authority approved them; only the
// operator proposes and only the authority approves.
func TestOutputRules_R23_1_ApprovedBeforeUse(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, act := env.DB, env.Actors
		ctx := context.Background()
		rules := json.RawMessage(`{"K":10}`)
		if _, err := db.ActiveOutputRules(ctx); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("no rules yet: %v", err)
		}
		if _, err := db.ProposeOutputRules(ctx, act["merchant-a"], rules, ""); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("merchant proposes: %v", err)
		}
		if _, err := db.ProposeOutputRules(ctx, act["operator-admin"], json.RawMessage(`[1`), ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("bad rules: %v", err)
		}
		r, err := db.ProposeOutputRules(ctx, act["operator-admin"], rules, "首版")
		if err != nil || r.Version != 1 || r.Status != sqlstore.OutRulesProposed {
			t.Fatalf("propose: %v %+v", err, r)
		}
		if _, err := db.ActiveOutputRules(ctx); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("proposed is not active: %v", err)
		}
		if _, err := db.ApproveOutputRules(ctx, act["operator-admin"], 1, ""); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("operator approves own rules: %v", err)
		}
		if _, err := db.ApproveOutputRules(ctx, act["authority"], 1, "同意"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ApproveOutputRules(ctx, act["authority"], 1, "again"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("second approval: %v", err)
		}
		if _, err := db.ProposeOutputRules(ctx, act["operator-admin"], json.RawMessage(`{"K":20}`), "收紧"); err != nil {
			t.Fatal(err)
		}
		a, err := db.ActiveOutputRules(ctx)
		if err != nil || a.Version != 1 {
			t.Fatalf("active while v2 is proposed: %v %+v", err, a)
		}
	})
}

// Products: bad input changes nothing; another merchant's product is
// absent (invariant 3); a draft without tables cannot be requested; only
// drafts change (what was checked is what leaves).
func TestProduct_R23_2_DraftRulesAndTenancy(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, backend string) {
		f := wstest.New(t, backend, 200)
		ws := f.Open(t)
		ctx := context.Background()
		a := f.Actors["merchant-a"]
		good := shuyu.ProductInput{WorkspaceID: ws.ID, Name: "测试产品", Description: "测试用数据产品", Scenario: "测试场景",
			Type: "report", Recipients: []string{"某单位"}}
		for _, bad := range []shuyu.ProductInput{
			{WorkspaceID: ws.ID, Name: "x", Description: "测试用数据产品", Scenario: "测试场景", Type: "report", Recipients: []string{"某单位"}},
			{WorkspaceID: ws.ID, Name: "测试产品", Description: "测试用数据产品", Scenario: "测试场景", Type: "csv", Recipients: []string{"某单位"}},
			{WorkspaceID: ws.ID, Name: "测试产品", Description: "测试用数据产品", Scenario: "测试场景", Type: "report"},
		} {
			if _, err := f.DB.CreateProduct(ctx, a, bad); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Errorf("bad input %+v: %v", bad, err)
			}
		}
		if _, err := f.DB.CreateProduct(ctx, f.Actors["merchant-b"], good); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("merchant-b on merchant-a's workspace: %v", err)
		}
		p, err := f.DB.CreateProduct(ctx, a, good)
		if err != nil {
			t.Fatal(err)
		}
		if list, _ := f.DB.Products(ctx, a, ""); len(list) != 1 {
			t.Fatalf("list: %d", len(list))
		}
		if _, err := f.DB.Product(ctx, f.Actors["merchant-b"], p.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Errorf("merchant-b reads: %v", err)
		}
		if list, _ := f.DB.Products(ctx, f.Actors["merchant-b"], ""); len(list) != 0 {
			t.Errorf("merchant-b lists %d", len(list))
		}
		if _, err := f.DB.ReviewProduct(ctx, f.Actors["operator-reviewer"], p.ID, "approve", "通过"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("review a draft: %v", err)
		}
		if _, err := f.DB.RequestProduct(ctx, a, p.ID); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("request without tables: %v", err)
		}
		if _, err := f.DB.SetProductReport(ctx, a, p.ID, "r.pdf", []byte("<html>not a pdf</html>"), "x"); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("non-PDF report: %v", err)
		}
		pdf := []byte("%PDF-1.4\n%%EOF\n")
		if p, err = f.DB.SetProductReport(ctx, a, p.ID, "报告.pdf", pdf, "abc"); err != nil || p.Report == nil || p.Report.Size != int64(len(pdf)) {
			t.Fatalf("report: %v %+v", err, p)
		}
		if _, err := f.DB.DeliverableProduct(ctx, a, p.ID); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Errorf("deliver a draft: %v", err)
		}
		if _, err := f.DB.ProductLineage(ctx, a, p.ID); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Errorf("merchant lineage: %v", err)
		}
		if _, err := f.DB.ProductLineage(ctx, f.Actors["regulator"], p.ID); err != nil {
			t.Errorf("regulator lineage: %v", err)
		}
	})
}
