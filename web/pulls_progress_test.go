package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"shuyu/sqlstore"
)

// The job page of a running pull shows a progress bar with the rows
// appended so far against the rows the source announced, and it moves
// (issue 18: a progress bar on the job page; R10.1).
func TestPullJobPage_R10_1_ProgressBarMoves(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: streams 20,000 rows")
	}
	h := newDomainHarness(t, "sqlite")
	id := h.entry("ZW-GA-0902", "dept-gongan", true)
	ids := domainIDs(20000)
	people := make([]map[string]any, len(ids))
	for i, n := range ids {
		people[i] = map[string]any{"id_no": n, "name": fmt.Sprintf("居民%d", i), "age": 20 + i%60,
			"county": []string{"640502", "640521", "640522"}[i%3], "mobile": fmt.Sprintf("139%08d", i)}
	}
	pf := sharingPlatform(t, "zw-gongan", "s3cret", people)
	release := make(chan struct{})
	held := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "3" {
			<-release
		}
		r2, _ := http.NewRequest(r.Method, pf.URL+r.URL.RequestURI(), nil)
		r2.Header = r.Header
		resp, err := http.DefaultClient.Do(r2)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 1<<20)
		for {
			n, err := resp.Body.Read(buf)
			w.Write(buf[:n])
			if err != nil {
				break
			}
		}
	}))
	t.Cleanup(held.Close)
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	tok := h.token("dept-gongan")
	var src sqlstore.PullSource
	h.call(tok, "POST", fmt.Sprintf("/api/v1/domain/entries/%d/pull-sources", id), map[string]any{"name": "人口接口", "kind": "http",
		"secret": "s3cret", "config": map[string]any{"url": held.URL + "/open/people", "app_key": "zw-gongan", "page_size": 9000,
			"mode": "snapshot", "key": []string{"id_no"}}}, 201, &src)
	var run sqlstore.PullRun
	h.call(tok, "POST", fmt.Sprintf("/api/v1/domain/pull-sources/%d/run", src.ID), nil, 201, &run)

	u := uiAs(t, h.harness, "dept-gongan")
	bar := regexp.MustCompile(`<progress id="job-progress" max="(\d+)" value="(\d+)">`)
	var max, value int
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		st, page, _ := u.get(fmt.Sprintf("/domain/jobs/%d", run.JobID))
		if st != 200 {
			t.Fatalf("job page: %d", st)
		}
		if m := bar.FindStringSubmatch(page); m != nil {
			max, _ = strconv.Atoi(m[1])
			value, _ = strconv.Atoi(m[2])
			if value > 0 {
				break
			}
		}
	}
	if max != 20000 || value <= 0 || value >= 20000 {
		t.Fatalf("progress bar mid-pull: %d of %d", value, max)
	}
	close(release)
	released = true
	var runs []sqlstore.PullRun
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		h.call(tok, "GET", fmt.Sprintf("/api/v1/domain/pull-sources/%d/runs", src.ID), nil, 200, &struct{ Items *[]sqlstore.PullRun }{&runs})
		if len(runs) == 1 && runs[0].Status != sqlstore.PullRunRunning {
			break
		}
	}
	if len(runs) != 1 || runs[0].Status != sqlstore.PullRunDone || runs[0].VersionRows != 20000 {
		t.Fatalf("run: %+v", runs)
	}
	if _, page, _ := u.get(fmt.Sprintf("/domain/jobs/%d", run.JobID)); bar.MatchString(page) {
		t.Fatal("the finished job still shows a running bar")
	}
}
