package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"shuyu/sqlstore/sqltest"
	"shuyu/workspace/wstest"
)

// outputRulesBody is the rule set the tests approve: k = 10 over the usual
// quasi-identifiers of person tables.
var outputRulesBody = map[string]any{"note": "首版规则", "rules": map[string]any{
	"K": 10, "QuasiColumns": map[string][]string{"*": {"gender", "birth_date", "age_band", "county", "township", "ethnicity"}}}}

// goodQuery is an aggregate a merchant may release: visits and mean cost
// per hospital.
const goodQuery = "SELECT hospital, count(*) AS visits, round(avg(total_amount), 2) AS avg_total, round(avg(fund_paid), 2) AS avg_fund, round(avg(self_paid), 2) AS avg_self FROM zw_yb_0001 GROUP BY hospital"

type outProduct struct {
	ID       int64
	Status   string
	Round    int
	FilingNo string `json:"filing_no"`
	Tables   []struct {
		Name    string
		Rows    int64
		Sources []struct {
			EntryCode string `json:"entry_code"`
			Version   int
		}
	}
	Report *struct {
		Passed bool
		Checks []struct {
			Name   string
			Status string
		}
	}
}

// outputSetup approves rules and gives merchant-a a draft product with one
// table from a released query.
func outputSetup(t *testing.T, h *harness, ws int64) (pid int64) {
	t.Helper()
	op, auth, a := h.token("operator-admin"), h.token("authority"), h.token("merchant-a")
	h.call(op, "POST", "/api/v1/output/rules", outputRulesBody, 201, nil)
	h.call(auth, "POST", "/api/v1/output/rules/1/approve", map[string]string{"reason": "同意"}, 200, nil)
	var q sandboxResult
	h.call(a, "POST", fmt.Sprintf("/api/v1/workspaces/%d/queries", ws), map[string]string{"sql": goodQuery, "data": "real"}, 200, &q)
	if q.Status != "released" {
		t.Fatalf("good query not released: %+v", q)
	}
	var p outProduct
	h.call(a, "POST", "/api/v1/products", map[string]any{"workspace_id": ws, "name": "医疗机构就诊统计", "description": "各定点医疗机构就诊人次与次均费用",
		"scenario": "医疗资源规划", "type": "dataset", "recipients": []string{"中卫市卫生健康委", "某保险公司"}, "feedback": true}, 201, &p)
	h.call(a, "POST", fmt.Sprintf("/api/v1/products/%d/tables", p.ID), map[string]any{"query_id": q.ID, "name": "hospital_stats",
		"aggregate": true, "counts": []string{"visits"}}, 201, &p)
	if len(p.Tables) != 1 || p.Tables[0].Rows == 0 || len(p.Tables[0].Sources) != 1 || p.Tables[0].Sources[0].EntryCode != wstest.MedicalCode {
		t.Fatalf("product table %+v", p.Tables)
	}
	return p.ID
}

func TestOutputAPI_R23_2_R27_1_RequestCheckReviewFileDownloadAttribute(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		h, _, _, ws := newSandboxHarness(t, b)
		a, other, rev, auth, reg := h.token("merchant-a"), h.token("merchant-b"), h.token("operator-reviewer"), h.token("authority"), h.token("regulator")
		pid := outputSetup(t, h, ws)
		base := fmt.Sprintf("/api/v1/products/%d", pid)
		dl := base + "/download?recipient=" + "某保险公司"
		// No way out before filing (issue 7 item 7): 409 for the owner, 404 for others.
		notOut := func(stage string) {
			t.Helper()
			if resp, body := h.do(a, "GET", dl, nil); resp.StatusCode != http.StatusConflict {
				t.Errorf("%s: owner download %d %s", stage, resp.StatusCode, body)
			}
			if resp, _ := h.do(other, "GET", dl, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: merchant-b download %d", stage, resp.StatusCode)
			}
		}
		notOut("draft")
		var p outProduct
		h.call(a, "POST", base+"/request", nil, 200, &p)
		if p.Status != "checked" || p.Report == nil || !p.Report.Passed {
			t.Fatalf("good product not passed: %+v", p)
		}
		notOut("checked")
		// The merchant cannot review; a reviewer other than the builder approves.
		if resp, _ := h.do(a, "POST", base+"/reviews", map[string]string{"decision": "approve", "reason": "自审"}); resp.StatusCode != 403 {
			t.Errorf("merchant review: %d", resp.StatusCode)
		}
		h.call(rev, "POST", base+"/reviews", map[string]string{"decision": "approve", "reason": "统计粒度合规"}, 200, &p)
		if p.Status != "approved" {
			t.Fatalf("after review: %s", p.Status)
		}
		notOut("approved")
		if resp, _ := h.do(a, "POST", base+"/release", nil); resp.StatusCode != 409 {
			t.Errorf("release before filing: %d", resp.StatusCode)
		}
		h.call(auth, "POST", base+"/filing", map[string]string{"note": "准予备案"}, 200, &p)
		if p.Status != "filed" || !strings.HasPrefix(p.FilingNo, "ZWSJBA-") {
			t.Fatalf("filing: %+v", p)
		}
		notOut("filed")
		h.call(a, "POST", base+"/release", nil, 200, &p)
		// Public list, no login.
		var pub struct {
			Items []struct {
				Name, Merchant, Scenario string
				FilingNo                 string `json:"filing_no"`
			}
		}
		h.call("", "GET", "/api/v1/public/products", nil, 200, &pub)
		if len(pub.Items) != 1 || pub.Items[0].FilingNo != p.FilingNo || pub.Items[0].Merchant == "" {
			t.Fatalf("public list %+v", pub)
		}
		// A recipient not registered is refused; a registered one gets a marked copy.
		if resp, _ := h.do(a, "GET", base+"/download?recipient=陌生人", nil); resp.StatusCode != 400 {
			t.Errorf("unregistered recipient: %d", resp.StatusCode)
		}
		// Raw data has no download path: a domain table is not a product table.
		for _, tb := range []string{wstest.MedicalTable, wstest.PopulationTable, "v_zw_yb_0001_1", "prod_1_1"} {
			if resp, _ := h.do(a, "GET", dl+"&table="+tb, nil); resp.StatusCode != 404 {
				t.Errorf("download of %s: %d", tb, resp.StatusCode)
			}
		}
		resp, file := h.do(a, "GET", dl, nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("download %d %s", resp.StatusCode, file)
		}
		resp2, file2 := h.do(a, "GET", base+"/download?recipient=中卫市卫生健康委", nil)
		if resp2.StatusCode != 200 || bytes.Equal(file, file2) {
			t.Fatalf("second recipient's copy must differ in its marks: %d", resp2.StatusCode)
		}
		// R6.2: the source department receives the results fed back.
		if resp, body := h.do(h.token("dept-gongan"), "GET", base+"/download", nil); resp.StatusCode != 200 {
			t.Errorf("feedback download %d %s", resp.StatusCode, body)
		}
		// Attribution: a leaked subset of the first copy names its recipient.
		leak := outputSubset(t, file, 1)
		var at struct {
			Recipient  string
			Confidence float64
			Deliveries []struct{ Recipient string }
		}
		if resp, _ := h.do(a, "POST", base+"/attribution", leak); resp.StatusCode != 403 {
			t.Errorf("merchant attribution: %d", resp.StatusCode)
		}
		h.call(auth, "POST", base+"/attribution", leak, 200, &at)
		if len(at.Deliveries) == 0 || at.Deliveries[0].Recipient != "某保险公司" || at.Confidence < 0.99 {
			t.Fatalf("attribution %+v", at)
		}
		// Lineage for the authority and regulators; not for merchants.
		var lin struct {
			Product    outProduct
			Checks     []struct{ Passed bool }
			Reviews    []struct{ Reviewer string }
			Filing     *struct{ Actor string }
			Deliveries []struct{ Recipient string }
		}
		h.call(reg, "GET", base+"/lineage", nil, 200, &lin)
		if len(lin.Checks) != 1 || len(lin.Reviews) != 1 || lin.Reviews[0].Reviewer != "operator-reviewer" ||
			lin.Filing == nil || lin.Filing.Actor != "authority" || len(lin.Deliveries) != 3 || lin.Product.Tables[0].Sources[0].Version < 1 {
			t.Fatalf("lineage %+v", lin)
		}
		if resp, _ := h.do(a, "GET", base+"/lineage", nil); resp.StatusCode != 403 {
			t.Errorf("merchant lineage: %d", resp.StatusCode)
		}
		var uses struct {
			Items []struct {
				ProductID  int64 `json:"product_id"`
				Deliveries []struct{ Recipient string }
			}
		}
		h.call(auth, "GET", fmt.Sprintf("/api/v1/lineage/entries/%d", lineageEntry(t, h, wstest.MedicalCode)), nil, 200, &uses)
		if len(uses.Items) != 1 || uses.Items[0].ProductID != pid || len(uses.Items[0].Deliveries) != 3 {
			t.Fatalf("entry lineage %+v", uses)
		}
	})
}

// outputSubset keeps the header and every nth data row of a CSV, in
// reverse order: a leaked, reshuffled copy.
func outputSubset(t *testing.T, file []byte, n int) []byte {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(file, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := [][]string{recs[0]}
	for i := len(recs) - 1; i >= 1; i-- {
		if i%n == 0 {
			out = append(out, recs[i])
		}
	}
	var b bytes.Buffer
	csv.NewWriter(&b).WriteAll(out)
	return b.Bytes()
}

func lineageEntry(t *testing.T, h *harness, code string) int64 {
	t.Helper()
	e, err := h.db.DomainEntryByCode(t.Context(), code)
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}
