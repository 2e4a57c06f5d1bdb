package supply

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// While a pull streams, its job reports the rows appended so far against
// the rows the source announced, so the job page's bar moves; at the end
// the job holds the version's rows (issue 18: a progress bar on the job
// page; R10.1).
func TestPull_R10_1_ProgressMovesDuringPull(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: streams 30,000 rows")
	}
	env := sqltest.Seeded(t, "sqlite")
	w, _ := newPullWorld(t, env)
	ctx := context.Background()
	pf := &platform{key: "k", secret: "s", nonces: map[string]bool{}}
	for i := 1; i <= 30000; i++ {
		pf.records = append(pf.records, company(i, "2026-03-01 01:00:00"))
	}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "3" {
			<-release // the last page waits until the test has looked
		}
		pf.ServeHTTP(rw, r)
	}))
	defer srv.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	src, err := w.svc.RegisterPullSource(ctx, w.dept, w.entry, sqlstore.PullSourceInput{Name: "平台", Kind: sqlstore.PullHTTP,
		Secret: "s", Config: sqlstore.PullConfig{URL: srv.URL + "/p", AppKey: "k", PageSize: 10000, Mode: sqlstore.PullSnapshot}})
	if err != nil {
		t.Fatal(err)
	}
	ps, p, err := w.svc.RunPull(ctx, w.dept, src.ID, sqlstore.PullByHand)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	var seen *JobView
	for time.Now().Before(deadline) {
		j, err := w.svc.Job(ctx, w.dept, ps.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.ProgressRows > 0 {
			seen = j
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if seen == nil {
		t.Fatal("no progress while the pull streamed")
	}
	if seen.Status != sqlstore.JobLoading || seen.Expected != 30000 || seen.ProgressRows >= 30000 || seen.ProgressRows%8192 != 0 {
		t.Fatalf("mid-pull job: status %s, %d of %d rows", seen.Status, seen.ProgressRows, seen.Expected)
	}
	close(release)
	if err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	j, err := w.svc.Job(ctx, w.dept, ps.Job.ID)
	if err != nil || j.Status != sqlstore.JobDone || j.Rows != 30000 || j.Expected != 0 {
		t.Fatalf("finished job: %+v %v", j, err)
	}
}
