package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"shuyu/sqlstore"
	"shuyu/supply"
)

// A pull that fails because the source dropped a column is told to the
// department in the page's language only: the source page's last error
// and history, and the job page, which shows the pull's source and
// trigger instead of a file, in plain Chinese on Chinese pages and in
// English on English ones; a successful pull's job page shows its
// reconciliation (issue 18: clear errors for the department; pages;
// R10.1).
func TestPullPages_R10_1_FailedPullInEachLanguage(t *testing.T) {
	h := newDomainHarness(t, "sqlite")
	id := h.entry("ZW-GA-0903", "dept-gongan", true)
	const secret = "s3cret-页面"
	var drop atomic.Bool // the source drops its "mobile" column
	ids := domainIDs(12)
	pf := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		sig := supply.Sign(secret, supply.SigningString(r.Method, r.URL.EscapedPath(), q, r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce")))
		if r.Header.Get("X-Signature") != sig {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var people []map[string]any
		for i, n := range ids {
			p := map[string]any{"id_no": n, "name": fmt.Sprintf("居民%d", i), "age": 30 + i, "county": "640502", "mobile": fmt.Sprintf("139%08d", i)}
			if drop.Load() {
				delete(p, "mobile")
			}
			people = append(people, p)
		}
		page, _ := strconv.Atoi(q.Get("page"))
		size, _ := strconv.Atoi(q.Get("page_size"))
		from, to := min((page-1)*size, len(people)), min(page*size, len(people))
		json.NewEncoder(w).Encode(map[string]any{"code": 0, "data": map[string]any{"total": len(people), "records": people[from:to]}})
	}))
	t.Cleanup(pf.Close)
	tok := h.token("dept-gongan")
	var src sqlstore.PullSource
	h.call(tok, "POST", fmt.Sprintf("/api/v1/domain/entries/%d/pull-sources", id), map[string]any{"name": "人口接口", "kind": "http",
		"secret": secret, "config": map[string]any{"url": pf.URL + "/open/people", "app_key": "zw-gongan", "mode": "snapshot",
			"key": []string{"id_no"}}}, 201, &src)
	pull := func() sqlstore.PullRun {
		t.Helper()
		var run sqlstore.PullRun
		h.call(tok, "POST", fmt.Sprintf("/api/v1/domain/pull-sources/%d/run", src.ID), nil, 201, &run)
		var runs []sqlstore.PullRun
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			h.call(tok, "GET", fmt.Sprintf("/api/v1/domain/pull-sources/%d/runs", src.ID), nil, 200, &struct{ Items *[]sqlstore.PullRun }{&runs})
			if len(runs) > 0 && runs[0].ID == run.ID && runs[0].Status != sqlstore.PullRunRunning {
				return runs[0]
			}
		}
		t.Fatalf("pull did not end: %+v", runs)
		return run
	}
	good := pull()
	drop.Store(true)
	bad := pull()
	if good.Status != sqlstore.PullRunDone || bad.Status != sqlstore.PullRunFailed || bad.ErrorKind != sqlstore.PullErrMapping {
		t.Fatalf("runs: %+v %+v", good, bad)
	}

	u := uiAs(t, h.harness, "dept-gongan")
	text := func(path string) string {
		t.Helper()
		st, page, _ := u.get(path)
		if st != http.StatusOK {
			t.Fatalf("%s: %d", path, st)
		}
		return pageText(page)
	}
	srcPage := fmt.Sprintf("/domain/pull-sources/%d", src.ID)
	badJob, goodJob := fmt.Sprintf("/domain/jobs/%d", bad.JobID), fmt.Sprintf("/domain/jobs/%d", good.JobID)
	// "Run now" refused (the entry's supply is suspended): the flash is in
	// the page's language too.
	if _, err := h.db.Suspend(t.Context(), h.actors["authority"], sqlstore.SuspendInput{Scope: sqlstore.SuspendEntry, EntryID: id,
		Reason: "数据安全风险排查"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, want, not string }{{"zh", "数据供给已暂停", "supply suspended"}, {"en", "supply suspended", "数据供给已暂停"}} {
		u.get(srcPage + "?lang=" + c.lang)
		st, page := u.follow(srcPage+"/run", nil)
		if text := pageText(page); st != http.StatusOK || !strings.Contains(text, c.want) || strings.Contains(text, c.not) {
			t.Errorf("run now refused (%s): %d %.800s", c.lang, st, text)
		}
	}
	u.get(srcPage + "?lang=zh")

	for _, c := range []struct {
		path      string
		want, not []string
	}{
		// A failed "run now" schedules no retry: the status says what happened.
		{srcPage + "?lang=zh", []string{"字段映射不符：来源的列与目录信息项不符：缺少 mobile", "上次拉取失败"}, []string{"source columns", "mapping", "missing", "重试"}},
		{badJob, []string{"人口接口", "字段映射不符：来源的列与目录信息项不符", "来源缺少列 mobile", "手动"},
			[]string{"source columns", "source has no column", ".csv", "-1 B"}},
		{goodJob, []string{"人口接口", "一致", "来源行数 12"}, []string{".csv", "-1 B"}},
		{fmt.Sprintf("/domain/entries/%d", id), []string{"人口接口 定时拉取"}, []string{"人口接口.csv"}},
		{srcPage + "?lang=en", []string{"Mapping: source columns do not match the entry", "fields: missing mobile"}, []string{"来源的列", "字段映射不符"}},
		{badJob, []string{"Mapping: source columns do not match", "source has no column mobile"}, []string{"来源的列", "来源缺少列"}},
		{goodJob, []string{"Reconciled"}, []string{".csv"}},
	} {
		page := text(c.path)
		for _, w := range c.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s lacks %q: %.1500s", c.path, w, page)
			}
		}
		for _, n := range c.not {
			if strings.Contains(page, n) {
				t.Errorf("%s shows %q: %.1500s", c.path, n, page)
			}
		}
	}
}

// A password pasted into the wrong field — a connection string in the
// host or database, a URL with user and password — is refused with the
// field named, and neither the refusal nor the re-rendered form shows it,
// for the test button as for registration (issue 18: credentials never
// shown back; R10.1).
func TestPullPages_R10_1_PastedPasswordNotEchoed(t *testing.T) {
	h := newDomainHarness(t, "sqlite")
	id := h.entry("ZW-GA-0904", "dept-gongan", true)
	const pw = "S3cretPW-口令-55"
	u := uiAs(t, h.harness, "dept-gongan")
	for _, form := range []url.Values{
		{"kind": {"postgres"}, "host": {"postgres://admin:" + pw + "@10.0.0.1:5432/db"}, "port": {"5432"}, "database": {"qzk"}, "user": {"u"}},
		{"kind": {"postgres"}, "host": {"10.0.0.1"}, "port": {"5432"}, "database": {"postgres://admin:" + pw + "@10.0.0.1:5432/db"}, "user": {"u"}},
		{"kind": {"mysql"}, "host": {"10.0.0.1"}, "port": {"3306"}, "database": {"qzk"}, "user": {"u;password=" + pw}},
		{"kind": {"http"}, "url": {"https://gw:" + pw + "@10.0.0.1/api"}, "app_key": {"k"}},
	} {
		for _, action := range []string{"test", "register"} {
			f := url.Values{"name": {"前置库"}, "secret": {"x"}, "table": {"people"}, "mode": {"snapshot"}, "action": {action}}
			if form.Get("kind") == "http" {
				f.Del("table")
			}
			for k, v := range form {
				f[k] = v
			}
			st, page, _ := u.post(fmt.Sprintf("/domain/entries/%d/pulls", id), f)
			if strings.Contains(page, pw) || strings.Contains(page, url.QueryEscape(pw)) {
				t.Fatalf("%s %v: the password is on the page (%d)", action, form, st)
			}
			if !strings.Contains(page, "密码请填在密码栏") {
				t.Fatalf("%s %v: no refusal naming the password field (%d): %.800s", action, form, st, pageText(page))
			}
		}
	}
	if strings.Contains(h.logs.String(), pw) {
		t.Fatal("the password is in the log")
	}
}
