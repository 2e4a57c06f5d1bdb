package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"shuyu/sqlstore"
	"shuyu/supply"
)

// sharingPlatform stands in for the remote sharing platform's interface:
// it checks the HMAC-SM3 signature and serves people in pages.
func sharingPlatform(t *testing.T, key, secret string, people []map[string]any) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		sig := supply.Sign(secret, supply.SigningString(r.Method, r.URL.EscapedPath(), q, r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce")))
		if r.Header.Get("X-App-Key") != key || r.Header.Get("X-Signature") != sig {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		page, _ := strconv.Atoi(q.Get("page"))
		size, _ := strconv.Atoi(q.Get("page_size"))
		from, to := min((page-1)*size, len(people)), min(page*size, len(people))
		json.NewEncoder(w).Encode(map[string]any{"code": 0, "data": map[string]any{"total": len(people), "records": people[from:to]}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Sources over the API and the pages: a bad form is a 400 that stores
// nothing, a wrong secret is refused before anything is saved, a good
// source is registered, pulled now into a version with its reconciliation,
// and listed on the pages with a test-connection button; the secret is in
// no answer, no page and no log line; a merchant sees nothing (issue 18,
// R10.1).
func TestPullAPI_R10_1_RegisterRunPagesNoSecret(t *testing.T) {
	h := newDomainHarness(t, "sqlite")
	id := h.entry("ZW-GA-0901", "dept-gongan", true)
	const secret = "app-secret-绝不显示-93c1"
	ids := domainIDs(30)
	var people []map[string]any
	for i, n := range ids {
		people = append(people, map[string]any{"id_no": n, "name": fmt.Sprintf("居民%d", i), "age": 20 + i,
			"county": []string{"640502", "640521", "640522"}[i%3], "mobile": fmt.Sprintf("139%08d", 51000000+i)})
	}
	pf := sharingPlatform(t, "zw-gongan", secret, people)
	tok := h.token("dept-gongan")
	base := fmt.Sprintf("/api/v1/domain/entries/%d/pull-sources", id)
	in := map[string]any{"name": "共享交换平台人口接口", "kind": "http", "secret": secret,
		"config": map[string]any{"url": pf.URL + "/open/people", "app_key": "zw-gongan", "page_size": 7, "mode": "snapshot", "key": []string{"id_no"}}}

	bad := map[string]any{"name": "x", "kind": "http", "secret": secret, "config": map[string]any{"mode": "snapshot"}}
	if code := errCode(t, h.call(tok, "POST", base, bad, 400, nil)); code != "invalid" {
		t.Fatalf("bad form: %s", code)
	}
	wrong := map[string]any{"name": in["name"], "kind": "http", "secret": "wrong-secret", "config": in["config"]}
	h.call(tok, "POST", base, wrong, 422, nil)
	var chk supply.PullCheck
	h.call(tok, "POST", base+"/test", wrong, 200, &chk)
	if chk.OK || chk.Kind != sqlstore.PullErrAuth {
		t.Fatalf("test with a wrong secret: %+v", chk)
	}
	var list []sqlstore.PullSource
	h.call(tok, "GET", base, nil, 200, &struct{ Items *[]sqlstore.PullSource }{&list})
	if len(list) != 0 {
		t.Fatalf("refused sources stored: %d", len(list))
	}
	var src sqlstore.PullSource
	body := h.call(tok, "POST", base, in, 201, &src)
	if !src.HasSecret || strings.Contains(string(body), secret) {
		t.Fatalf("registered: %s", body)
	}
	h.call(h.token("merchant-a"), "GET", base, nil, 404, nil)
	h.call(h.token("dept-haiyuan-weijian"), "POST", fmt.Sprintf("/api/v1/domain/pull-sources/%d/run", src.ID), nil, 404, nil)

	var run sqlstore.PullRun
	h.call(tok, "POST", fmt.Sprintf("/api/v1/domain/pull-sources/%d/run", src.ID), nil, 201, &run)
	var runs []sqlstore.PullRun
	for deadline := time.Now().Add(time.Minute); ; {
		h.call(tok, "GET", fmt.Sprintf("/api/v1/domain/pull-sources/%d/runs", src.ID), nil, 200, &struct{ Items *[]sqlstore.PullRun }{&runs})
		if len(runs) == 1 && runs[0].Status != sqlstore.PullRunRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(runs) != 1 || runs[0].Status != sqlstore.PullRunDone || runs[0].VersionRows != 30 || !runs[0].Reconciled {
		t.Fatalf("run: %+v", runs)
	}

	u := uiAs(t, h.harness, "dept-gongan")
	st, page, _ := u.get(fmt.Sprintf("/domain/entries/%d/pulls", id))
	if st != 200 || !strings.Contains(page, "共享交换平台人口接口") || !strings.Contains(page, `id="pull-test"`) {
		t.Fatalf("sources page %d: %.400s", st, pageText(page))
	}
	st, page, _ = u.get(fmt.Sprintf("/domain/pull-sources/%d", src.ID))
	if st != 200 || !strings.Contains(page, "一致") || !strings.Contains(page, "已加密保存") {
		t.Fatalf("source page %d: %.600s", st, pageText(page))
	}
	st, page = u.follow(fmt.Sprintf("/domain/pull-sources/%d/test", src.ID), url.Values{})
	if st != 200 || !strings.Contains(page, "连接成功") {
		t.Fatalf("test button: %.400s", pageText(page))
	}
	// The form's test button names what is wrong, and keeps no secret.
	form := url.Values{"action": {"test"}, "name": {"错配"}, "kind": {"http"}, "url": {pf.URL + "/open/people"},
		"app_key": {"zw-gongan"}, "secret": {secret}, "mode": {"snapshot"}, "mapping": {"name=full_name"}}
	st, page, _ = u.post(fmt.Sprintf("/domain/entries/%d/pulls", id), form)
	if st != 200 || !strings.Contains(page, "full_name") || strings.Contains(page, secret) {
		t.Fatalf("form test %d: %.600s", st, pageText(page))
	}
	if strings.Contains(h.logs.String(), secret) {
		t.Fatal("the secret is in the log")
	}
}
