package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"shuyu"
	"shuyu/outcheck"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workspace/wstest"
)

// outputInject puts rows straight into a new draft product of merchant-a,
// as if a bug had let them past the sandbox: the output check must block
// them whatever way they came (defence in depth, R17.1).
func outputInject(t *testing.T, h *harness, f *wstest.Fixture, ws int64, name string, cols []string, rows [][]string, counts []string) int64 {
	t.Helper()
	ctx := context.Background()
	a := f.Actors["merchant-a"]
	p, err := f.DB.CreateProduct(ctx, a, shuyu.ProductInput{WorkspaceID: ws, Name: name, Description: "已知有问题的产品",
		Scenario: "测试", Type: "dataset", Recipients: []string{"某公司"}})
	if err != nil {
		t.Fatal(err)
	}
	vals := make([][]any, len(rows))
	for i, r := range rows {
		vals[i] = make([]any, len(r))
		for j, v := range r {
			vals[i][j] = v
		}
	}
	tb := shuyu.ProductTable{Name: "t1", Aggregate: len(counts) > 0, Counts: counts,
		Sources: []shuyu.ProductSource{{EntryID: f.Entries[wstest.PopulationCode], EntryCode: wstest.PopulationCode, Version: 1}}}
	for _, c := range cols {
		tb.Columns = append(tb.Columns, shuyu.ProductColumn{Name: c, Type: "VARCHAR"})
	}
	// Written into the domain and recorded as the product's table without
	// the output service: the way in the service refuses such rows.
	duck, n, err := f.DB.NextProductTable(ctx, a, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := f.Vault.Locked(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := outcheck.DuckWriteTable(ctx, conn, duck, cols, vals); err != nil {
		t.Fatal(err)
	}
	tb.DuckTable, tb.N, tb.Rows = duck, n, int64(len(vals))
	if _, err := f.DB.AddProductTable(ctx, a, p.ID, tb); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func TestOutputAPI_R28_3_R28_4_R28_5_KnownBadProductsBlocked(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		h, f, _, ws := newSandboxHarness(t, b)
		outputSetup(t, h, ws) // approves the rules
		raw := f.Raw[wstest.PopulationTable]
		col := func(name string) int { return slices.Index(raw[0], name) }
		id, gender, county := col("id_number"), col("gender"), col("county")
		people := raw[1:301]
		var hidden, hashed, keyed, small [][]string
		for _, r := range people {
			hidden = append(hidden, []string{r[county], "12", "回访对象证件 " + r[id] + " 已核实"})
			sum := sha256.Sum256([]byte(r[id]))
			hashed = append(hashed, []string{hex.EncodeToString(sum[:]), r[gender], r[county]})
		}
		// A renamed ID number covers everyone: one key value per person.
		perm := rand.New(rand.NewPCG(1, 2)).Perm(len(raw) - 1)
		for i, r := range raw[1:] {
			keyed = append(keyed, []string{fmt.Sprintf("P%06d", perm[i]), r[gender], r[county]})
		}
		for i, c := range []string{"沙坡头区", "中宁县", "海原县"} {
			small = append(small, []string{c, strconv.Itoa([]int{40, 2, 35}[i])})
		}
		cases := []struct {
			name   string
			cols   []string
			rows   [][]string
			counts []string
			check  string
		}{
			{"原始数据行", raw[0], raw[1:201], nil, "raw_overlap"},
			{"隐藏的身份证号", []string{"county", "n", "note"}, hidden, []string{"n"}, "personal_info"},
			{"可逆哈希", []string{"pid_hash", "gender", "county"}, hashed, nil, "reversible_hash"},
			{"小单元格", []string{"county", "n"}, small, []string{"n"}, "cell_threshold"},
			{"一一映射键", []string{"person_key", "gender", "county"}, keyed, nil, "reversible_key"},
		}
		a := h.token("merchant-a")
		for _, c := range cases {
			pid := outputInject(t, h, f, ws, c.name, c.cols, c.rows, c.counts)
			var p outProduct
			h.call(a, "POST", fmt.Sprintf("/api/v1/products/%d/request", pid), nil, 200, &p)
			if p.Status != "check_failed" || p.Report == nil || p.Report.Passed {
				t.Errorf("%s: status %s, want check_failed", c.name, p.Status)
				continue
			}
			failed := map[string]bool{}
			for _, ch := range p.Report.Checks {
				failed[ch.Name] = ch.Status == "fail"
			}
			if !failed[c.check] {
				t.Errorf("%s: %s did not fail: %+v", c.name, c.check, p.Report.Checks)
			}
			// Blocked products cannot be reviewed, filed or downloaded.
			base := fmt.Sprintf("/api/v1/products/%d", pid)
			for _, r := range []struct{ who, path string }{{"operator-reviewer", "/reviews"}, {"authority", "/filing"}} {
				if resp, _ := h.do(h.token(r.who), "POST", base+r.path, map[string]string{"decision": "approve", "reason": "强行通过"}); resp.StatusCode != 409 && resp.StatusCode != 400 {
					t.Errorf("%s %s: %d", c.name, r.path, resp.StatusCode)
				}
			}
			if resp, _ := h.do(a, "GET", base+"/download?recipient=某公司", nil); resp.StatusCode != 409 {
				t.Errorf("%s download: %d", c.name, resp.StatusCode)
			}
		}
		// The report holds counts, never the values it found.
		again := outputInject(t, h, f, ws, "再来一次", raw[0], raw[1:50], nil)
		h.call(a, "POST", fmt.Sprintf("/api/v1/products/%d/request", again), nil, 200, nil)
		body := h.call(a, "GET", fmt.Sprintf("/api/v1/products/%d", again), nil, 200, nil)
		for _, r := range raw[1:50] {
			if strings.Contains(string(body), r[id]) {
				t.Fatalf("product detail leaks a raw ID number")
			}
		}
	})
}

// TestOutputStore_R17_1_FourEyesSecondReviewerAndRevision: the builder of
// a product never reviews it (even holding a reviewer role), a second
// reviewer must be another person, and a rejection opens a new round with
// the history kept.
func TestOutputStore_R17_1_FourEyesSecondReviewerAndRevision(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		h, f, _, ws := newSandboxHarness(t, b)
		pid := outputSetup(t, h, ws)
		ctx := context.Background()
		a := h.token("merchant-a")
		h.call(a, "POST", fmt.Sprintf("/api/v1/products/%d/request", pid), nil, 200, nil)
		builder := *f.Actors["merchant-a"]
		builder.Roles = []shuyu.Role{shuyu.RoleOperatorReviewer} // a builder who also reviews
		if _, err := f.DB.ReviewProduct(ctx, &builder, pid, "approve", "我自己做的，没问题"); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("builder review: %v", err)
		}
		if _, err := f.DB.RequireSecondReview(ctx, f.Actors["authority"], pid, "涉及敏感医疗数据"); err != nil {
			t.Fatal(err)
		}
		rev := f.Actors["operator-reviewer"]
		p, err := f.DB.ReviewProduct(ctx, rev, pid, "approve", "第一审核通过")
		if err != nil || p.Status != shuyu.ProductUnderReview {
			t.Fatalf("first review: %v %+v", err, p)
		}
		if _, err := f.DB.ReviewProduct(ctx, rev, pid, "approve", "再审一次"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("same reviewer twice: %v", err)
		}
		second := *rev
		second.UserID, second.Username = rev.UserID+1000, "reviewer-2"
		if _, err := f.DB.ReviewProduct(ctx, &second, pid, "reject", "次均费用口径说明不足"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.DB.ReviewProduct(ctx, &second, pid, "reject", ""); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("reject without reasons: %v", err)
		}
		p, err = f.DB.ReviseProduct(ctx, f.Actors["merchant-a"], pid)
		if err != nil || p.Status != shuyu.ProductDraft || p.Round != 2 {
			t.Fatalf("revise: %v %+v", err, p)
		}
		hist, err := f.DB.ProductHistory(ctx, f.Actors["merchant-a"], pid)
		if err != nil || len(hist.Checks) != 1 || len(hist.Reviews) != 2 || hist.Reviews[1].Reason != "次均费用口径说明不足" {
			t.Fatalf("history: %v %+v", err, hist)
		}
	})
}

// TestOutputAPI_R27_3_SuspensionHoldsPendingOutputs: while a source entry
// is suspended a pending product is held: no review, no filing, no
// delivery; resuming releases the hold.
func TestOutputAPI_R27_3_SuspensionHoldsPendingOutputs(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		h, f, _, ws := newSandboxHarness(t, b)
		pid := outputSetup(t, h, ws)
		ctx := context.Background()
		a, rev := h.token("merchant-a"), h.token("operator-reviewer")
		base := fmt.Sprintf("/api/v1/products/%d", pid)
		h.call(a, "POST", base+"/request", nil, 200, nil)
		s, err := f.DB.Suspend(ctx, f.Actors["authority"], sqlstore.SuspendInput{Scope: "entry",
			EntryID: f.Entries[wstest.MedicalCode], Reason: "发现数据安全风险，暂停供给"})
		if err != nil {
			t.Fatal(err)
		}
		var p outProduct
		h.call(a, "GET", base, nil, 200, &p)
		if p.Status != "held" {
			t.Fatalf("status while suspended: %s", p.Status)
		}
		if resp, body := h.do(rev, "POST", base+"/reviews", map[string]string{"decision": "approve", "reason": "通过"}); resp.StatusCode != 409 {
			t.Fatalf("review while held: %d %s", resp.StatusCode, body)
		}
		if _, err := f.DB.Resume(ctx, f.Actors["authority"], s.ID, "整改完成，恢复供给"); err != nil {
			t.Fatal(err)
		}
		h.call(rev, "POST", base+"/reviews", map[string]string{"decision": "approve", "reason": "通过"}, 200, &p)
		h.call(h.token("authority"), "POST", base+"/filing", nil, 200, nil)
		h.call(a, "POST", base+"/release", nil, 200, nil)
		if _, err := f.DB.Suspend(ctx, f.Actors["authority"], sqlstore.SuspendInput{Scope: "entry",
			EntryID: f.Entries[wstest.MedicalCode], Reason: "再次暂停供给"}); err != nil {
			t.Fatal(err)
		}
		if resp, _ := h.do(a, "GET", base+"/download?recipient=某保险公司", nil); resp.StatusCode != 409 {
			t.Errorf("download of a released product while suspended: %d", resp.StatusCode)
		}
	})
}
