package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// TestChecklist_R17_1_FourEyesOutputReviewOverHTTPAndPage: once the
// authority approved a 出域审核规范, a product derived from personal
// information (the medical settlement entry) is reviewed with the checklist,
// the page shows the platform's pre-filled items, and it needs two distinct
// approving reviewers, neither of whom built it or asked for its output.
func TestChecklist_R17_1_FourEyesOutputReviewOverHTTPAndPage(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		h, f, srv, ws := newSandboxHarness(t, b)
		pid := outputSetup(t, h, ws)
		ctx := context.Background()
		op, auth, a, rev := h.token("operator-admin"), h.token("authority"), h.token("merchant-a"), h.token("operator-reviewer")

		// The rules: proposed by the operator, approved by the authority.
		var rs shuyu.ChecklistRuleset
		body := map[string]any{"kind": "output", "items": shuyu.DefaultChecklist(shuyu.ChecklistOutput), "note": "首版"}
		if resp, _ := h.do(a, "POST", "/api/v1/checklists", body); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("merchant proposes: %d", resp.StatusCode)
		}
		if resp, _ := h.do(op, "POST", "/api/v1/checklists", map[string]any{"kind": "output", "items": []any{}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("empty proposal: %d", resp.StatusCode)
		}
		h.call(op, "POST", "/api/v1/checklists", body, http.StatusCreated, &rs)
		if resp, _ := h.do(op, "POST", fmt.Sprintf("/api/v1/checklists/%d/approve", rs.ID), nil); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("operator approves: %d", resp.StatusCode)
		}
		h.call(auth, "POST", fmt.Sprintf("/api/v1/checklists/%d/approve", rs.ID), map[string]string{"note": "同意"}, http.StatusOK, &rs)
		if rs.Status != shuyu.ChecklistApproved || rs.FourEyes != shuyu.FourEyesPI {
			t.Fatalf("approved: %+v", rs)
		}

		// A second merchant account asks for the output: it never reviews.
		org := f.Actors["merchant-a"].OrgID
		u, err := f.DB.CreateUser(ctx, f.Actors["secadmin"], sqlstore.NewUser{OrgID: org, Username: "merchant-a-2", DisplayName: "甲公司申请人",
			Roles: []shuyu.Role{shuyu.RoleMerchant}, Password: "Requester-pass-2026"})
		if err != nil {
			t.Fatal(err)
		}
		requester := &shuyu.Actor{UserID: u.ID, Username: u.Username, Roles: []shuyu.Role{shuyu.RoleMerchant}, OrgID: org,
			OrgKind: shuyu.OrgMerchant, Region: f.Actors["merchant-a"].Region}
		if _, _, err := srv.output.Request(ctx, requester, pid); err != nil {
			t.Fatal(err)
		}

		var form sqlstore.ChecklistForm
		h.call(rev, "GET", fmt.Sprintf("/api/v1/checklists/form?kind=output&object=%d", pid), nil, http.StatusOK, &form)
		if !form.FourEye || form.Ruleset == nil || form.Ruleset.ID != rs.ID {
			t.Fatalf("a product from personal data needs four eyes: %+v", form)
		}
		facts := map[string]shuyu.ChecklistFact{}
		for _, x := range form.Facts {
			facts[x.Key] = x
		}
		if !facts["pi_deidentified"].Applies || facts["auto_check"].Verdict != shuyu.AnswerPass {
			t.Fatalf("facts: %+v", facts)
		}
		if resp, _ := h.do(h.token("merchant-b"), "GET", fmt.Sprintf("/api/v1/checklists/form?kind=output&object=%d", pid), nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("another merchant reads the form: %d", resp.StatusCode)
		}
		if resp, _ := h.do(rev, "GET", "/api/v1/checklists/form?kind=export&object=1", nil); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad kind: %d", resp.StatusCode)
		}
		answers := []shuyu.ChecklistAnswer{}
		for _, x := range form.Answers {
			if x.Answer == "" {
				x.Answer = shuyu.AnswerPass
			}
			answers = append(answers, x)
		}
		base := fmt.Sprintf("/api/v1/products/%d", pid)
		if resp, _ := h.do(rev, "POST", base+"/reviews", map[string]string{"decision": "approve", "reason": "通过"}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("review without the checklist: %d", resp.StatusCode)
		}

		// The requester, even holding a reviewer role, cannot review.
		reqRev := *requester
		reqRev.Roles = []shuyu.Role{shuyu.RoleOperatorReviewer}
		if _, err := f.DB.ReviewProductChecked(ctx, &reqRev, pid, "approve", "", answers); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN ||
			!strings.Contains(err.Error(), "申请出域") {
			t.Fatalf("requester reviews: %v", err)
		}

		// The first reviewer uses the page: the checklist is shown pre-filled.
		ui := uiAs(t, h, "operator-reviewer")
		st, page, _ := ui.get(fmt.Sprintf("/output/products/%d", pid))
		if st != http.StatusOK || !strings.Contains(page, `id="checklist-items"`) || !strings.Contains(page, `id="checklist-four-eyes"`) {
			t.Fatalf("product page without the checklist: %d", st)
		}
		vals := url.Values{}
		for _, x := range answers {
			vals.Set("cl."+x.Key, x.Answer)
			vals.Set("clr."+x.Key, x.Reason)
		}
		if st, _, loc := ui.post(fmt.Sprintf("/output/products/%d/review", pid), vals); st != http.StatusSeeOther {
			t.Fatalf("page review: %d %s", st, loc)
		}
		var p outProduct
		h.call(rev, "GET", base, nil, http.StatusOK, &p)
		if p.Status != shuyu.ProductUnderReview {
			t.Fatalf("one approval of a personal-data product approved it: %s", p.Status)
		}
		if resp, _ := h.do(rev, "POST", base+"/reviews", map[string]any{"decision": "approve", "checklist": answers}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("same reviewer twice: %d", resp.StatusCode)
		}
		// The authority's dashboard: one output checklist passed, the product waiting for its second reviewer.
		checklistSection := func() supervisionSection {
			t.Helper()
			var d supervisionDashboard
			h.call(auth, "GET", "/api/v1/supervision/dashboard", nil, http.StatusOK, &d)
			for _, sec := range d.Sections {
				if sec.ID == "sup-checklists" {
					return sec
				}
			}
			t.Fatal("no checklist section on the dashboard")
			return supervisionSection{}
		}
		figure := func(sec supervisionSection, label string) string {
			for _, f := range sec.Figures {
				if f.Label == label {
					return f.Value
				}
			}
			return ""
		}
		sec := checklistSection()
		if figure(sec, "sup.fig.checklists_passed") != "1" || figure(sec, "sup.fig.second_reviews") != "1" || len(sec.Due) != 1 ||
			sec.Due[0].Link != fmt.Sprintf("/output/products/%d", pid) {
			t.Fatalf("dashboard after the first approval: %+v", sec)
		}
		if rows := sec.Charts[0].Rows; rows[2].Label != "checklist.kind.output" || rows[2].Vals[0] != 1 || rows[2].Vals[1] != 0 {
			t.Fatalf("checklist chart: %+v", rows)
		}
		if st, page, _ := uiAs(t, h, "authority").get("/supervision"); st != http.StatusOK || !strings.Contains(page, `id="sup-checklists"`) ||
			!strings.Contains(page, "待第二人审核") {
			t.Fatalf("dashboard page: %d", st)
		}

		// A second, distinct reviewer approves: now it is approved.
		u2, err := f.DB.CreateUser(ctx, f.Actors["secadmin"], sqlstore.NewUser{OrgID: f.Actors["operator-reviewer"].OrgID, Username: "reviewer-2",
			DisplayName: "第二审核人", Roles: []shuyu.Role{shuyu.RoleOperatorReviewer}, Password: "Reviewer-pass-2026"})
		if err != nil {
			t.Fatal(err)
		}
		second := *f.Actors["operator-reviewer"]
		second.UserID, second.Username = u2.ID, u2.Username
		got, err := f.DB.ReviewProductChecked(ctx, &second, pid, "approve", "", answers)
		if err != nil || got.Status != shuyu.ProductApproved {
			t.Fatalf("second reviewer: %v %+v", err, got)
		}
		if sec := checklistSection(); figure(sec, "sup.fig.checklists_passed") != "2" || figure(sec, "sup.fig.second_reviews") != "0" || len(sec.Due) != 0 {
			t.Fatalf("dashboard after the second approval: %+v", sec)
		}
		var res struct{ Items []shuyu.ChecklistResult }
		h.call(a, "GET", fmt.Sprintf("/api/v1/checklists/results?kind=output&object=%d", pid), nil, http.StatusOK, &res)
		results := res.Items
		if len(results) != 2 || results[0].ReviewerID == results[1].ReviewerID || !results[0].Passed {
			t.Fatalf("results: %+v", results)
		}
		st, page, _ = ui.get("/oversight/checklists")
		if st != http.StatusOK || !strings.Contains(page, "产品和服务出域审核规范") {
			t.Fatalf("checklists page: %d", st)
		}
	})
}
