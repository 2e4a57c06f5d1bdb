package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workspace"
)

// The overseers' running queries (docs/limits.md) through the API and the
// pages: who may see and cancel, the audit, the merchant's outcome.

const runningHeavySQL = "SELECT a.county, count(*) AS n FROM zw_ga_0001 a JOIN zw_ga_0001 b ON a.county = b.county JOIN zw_ga_0001 c ON b.county = c.county GROUP BY a.county"

type runningList struct {
	Items []workspace.RunningQuery `json:"items"`
	Total int                      `json:"total"`
}

// startQuery posts a real-data query in the background (no t.Fatal off the
// test goroutine) and delivers its status and body.
func startQuery(h *harness, token string, id int64, sql string) <-chan sandboxResult {
	ch := make(chan sandboxResult, 1)
	body, _ := json.Marshal(map[string]string{"sql": sql, "data": "real"})
	go func() {
		var res sandboxResult
		req, _ := http.NewRequestWithContext(context.Background(), "POST", fmt.Sprintf("%s/api/v1/workspaces/%d/queries", h.srv.URL, id), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			res.Status = "transport: " + err.Error()
			ch <- res
			return
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			res.Status = fmt.Sprintf("http %d: %s", resp.StatusCode, data)
		} else if err := json.Unmarshal(data, &res); err != nil {
			res.Status = "decode: " + string(data)
		}
		ch <- res
	}()
	return ch
}

// waitRunningAPI polls the overseers' list until one query runs.
func waitRunningAPI(t *testing.T, h *harness, token string) workspace.RunningQuery {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var l runningList
		h.call(token, "GET", "/api/v1/queries/running", nil, 200, &l)
		for _, q := range l.Items {
			if q.State == workspace.StateRunning {
				return q
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no running query: %+v", l)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// R27.1: the operator lists and cancels a running query through the API;
// the authority may list; merchants get 403 (and no token tells them
// anything); the cancel needs a reason, is audited, and the merchant's
// query answers the uniform cancelled outcome, kept in its history.
func TestRunningAPI_R27_1_OperatorListsAndCancels(t *testing.T) {
	// Not t.Parallel, and the backends in turn: its heavy query loads
	// every core until cancelled.
	sqltest.EachBackendInTurn(t, func(t *testing.T, b string) {
		h, _, s, id := newSandboxHarness(t, b)
		s.Workspaces().Timeout = time.Minute
		m, op, auth := h.token("merchant-a"), h.token("operator-admin"), h.token("authority")
		heavy := startQuery(h, m, id, runningHeavySQL)
		q := waitRunningAPI(t, h, op)
		if q.WorkspaceID != id || q.Username != "merchant-a" || q.SQL != runningHeavySQL || q.OrgName == "" {
			t.Errorf("running query %+v", q)
		}
		var l runningList
		h.call(auth, "GET", "/api/v1/queries/running", nil, 200, &l)
		if l.Total != 1 {
			t.Errorf("authority sees %+v", l)
		}
		cancel := "/api/v1/queries/running/" + q.Token + "/cancel"
		for _, who := range []string{"merchant-a", "merchant-b"} {
			tok := h.token(who)
			for _, r := range []struct{ m, p string }{{"GET", "/api/v1/queries/running"}, {"POST", cancel},
				{"POST", "/api/v1/queries/running/nosuchtoken/cancel"}} {
				resp, data := h.do(tok, r.m, r.p, map[string]string{"reason": "我想取消这个查询"})
				if resp.StatusCode != 403 {
					t.Errorf("%s %s %s: %d %s", who, r.m, r.p, resp.StatusCode, data)
				}
			}
		}
		resp, data := h.do(op, "POST", "/api/v1/queries/running/0123456789abcdef01234567/cancel", map[string]string{"reason": "占用资源过多"})
		if resp.StatusCode != 404 {
			t.Errorf("unknown token: %d %s", resp.StatusCode, data)
		}
		resp, data = h.do(op, "POST", "/api/v1/queries/running/bad-token/cancel", map[string]string{"reason": "占用资源过多"})
		if resp.StatusCode != 404 {
			t.Errorf("malformed token: %d %s", resp.StatusCode, data)
		}
		resp, data = h.do(op, "POST", cancel, map[string]string{"reason": ""})
		if resp.StatusCode != 400 || errCode(t, data) != "invalid" {
			t.Errorf("no reason: %d %s", resp.StatusCode, data)
		}
		var got workspace.RunningQuery
		h.call(op, "POST", cancel, map[string]string{"reason": "占用资源过多，影响其他商户"}, 200, &got)
		if got.State != workspace.StateCancelling || got.Token != q.Token {
			t.Errorf("cancelled %+v", got)
		}
		res := <-heavy
		if res.Status != "rejected" || len(res.Reasons) != 1 || res.Reasons[0].Code != "cancelled" ||
			!strings.HasPrefix(res.Reasons[0].Message, "查询已被运营机构取消") {
			t.Fatalf("merchant's answer %+v", res)
		}
		var hist struct {
			Items []struct {
				ID      int64
				Status  string
				Reasons []struct{ Code, Message string }
			}
		}
		h.call(m, "GET", fmt.Sprintf("/api/v1/workspaces/%d/queries", id), nil, 200, &hist)
		if len(hist.Items) != 1 || hist.Items[0].ID != res.ID || hist.Items[0].Reasons[0].Code != "cancelled" {
			t.Errorf("history %+v", hist)
		}
		h.call(op, "GET", "/api/v1/queries/running", nil, 200, &l)
		if l.Total != 0 {
			t.Errorf("still listed %+v", l)
		}
		evs, err := h.db.Events(context.Background(), h.actors["auditadmin"], sqlstore.EventFilter{Action: "workspace.query_cancel"}, false)
		if err != nil || len(evs) != 1 || evs[0].ActorName != "operator-admin" || evs[0].Reason != "占用资源过多，影响其他商户" ||
			!strings.Contains(evs[0].Detail, q.Token) || evs[0].RequestID == "" {
			t.Errorf("audit %+v (%v)", evs, err)
		}
	})
}

// R27.1, R29.1: the page is in the operator's menu, not the merchant's;
// it lists the running query with a cancel form that works; the merchant's
// workbench shows when each withheld result expires.
func TestRunningPages_R27_1_OperatorPageCancels(t *testing.T) {
	h, _, s, id := newSandboxHarness(t, "sqlite")
	s.Workspaces().Timeout = time.Minute
	m := h.token("merchant-a")
	opUI, mUI := uiAs(t, h, "operator-admin"), uiAs(t, h, "merchant-a")
	if st, body, _ := opUI.get("/"); st != 200 || !contains(menuOf(body), "/queries/running") {
		t.Errorf("operator menu %v", menuOf(body))
	}
	if st, body, _ := mUI.get("/"); st != 200 || contains(menuOf(body), "/queries/running") {
		t.Errorf("merchant menu %v", menuOf(body))
	}
	if st, _, _ := mUI.get("/queries/running"); st != 403 {
		t.Errorf("merchant opens the page: %d", st)
	}
	st, body, _ := opUI.get("/queries/running")
	if st != 200 || !strings.Contains(pageText(body), "运行中的查询") {
		t.Fatalf("empty page %d %s", st, pageText(body))
	}
	heavy := startQuery(h, m, id, runningHeavySQL)
	q := waitRunningAPI(t, h, h.token("operator-admin"))
	_, body, _ = opUI.get("/queries/running")
	if !strings.Contains(body, `id="cancel-`+q.Token+`"`) || !strings.Contains(pageText(body), "merchant-a") || !strings.Contains(pageText(body), "运行中") {
		t.Errorf("page lacks the query: %s", pageText(body))
	}
	// A cancel without a reason is refused on the page, input kept.
	if st, body, _ := opUI.post("/queries/running/"+q.Token+"/cancel", url.Values{"reason": {""}}); st != 400 || !strings.Contains(pageText(body), "理由") {
		t.Errorf("no reason: %d %s", st, pageText(body))
	}
	st, body = opUI.follow("/queries/running/"+q.Token+"/cancel", url.Values{"reason": {"占用资源过多，先行取消"}})
	if st != 200 || !strings.Contains(pageText(body), "查询已取消") {
		t.Errorf("after the cancel: %d %s", st, pageText(body))
	}
	if res := <-heavy; len(res.Reasons) != 1 || res.Reasons[0].Code != "cancelled" {
		t.Errorf("merchant's answer %+v", res)
	}
	// English page.
	if st, _, _ := opUI.get("/queries/running?lang=en"); st != 200 {
		t.Errorf("english page %d", st)
	}
	// The workbench shows the expiry of a withheld result.
	var res sandboxResult
	h.call(m, "POST", fmt.Sprintf("/api/v1/workspaces/%d/queries", id), map[string]string{"sql": "SELECT gender, birth_date FROM zw_ga_0001", "data": "real"}, 200, &res)
	if res.Status != "withheld" {
		t.Fatalf("row-level query %+v", res)
	}
	var d struct {
		Tables []struct {
			Name      string
			Kind      string
			ExpiresAt *time.Time `json:"expires_at"`
		}
	}
	h.call(m, "GET", fmt.Sprintf("/api/v1/workspaces/%d", id), nil, 200, &d)
	var exp *time.Time
	for _, tb := range d.Tables {
		if tb.Name == res.Table {
			exp = tb.ExpiresAt
		}
	}
	if exp == nil || !exp.Equal(h.clock.Now().Add(7*24*time.Hour)) {
		t.Errorf("expires_at %v", exp)
	}
	_, body, _ = mUI.get(fmt.Sprintf("/workspaces/%d", id))
	if want := "保留至 " + exp.In(shanghai).Format("2006-01-02 15:04"); !strings.Contains(pageText(body), want) {
		t.Errorf("workbench lacks %q", want)
	}
}
