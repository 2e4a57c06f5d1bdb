package web

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"shuyu"
)

// outputProgressOf polls a product's progress endpoint as u.
func outputProgressOf(t *testing.T, u *uiClient, page string) outputProgressView {
	t.Helper()
	st, body, _ := u.get(page + "/progress")
	var v outputProgressView
	if st != 200 || json.Unmarshal([]byte(body), &v) != nil {
		t.Fatalf("progress: %d %.200s", st, body)
	}
	return v
}

// outputWaitChecked polls until the background check of page has ended.
func outputWaitChecked(t *testing.T, u *uiClient, page string) outputProgressView {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	last := -1
	for {
		v := outputProgressOf(t, u, page)
		if v.Percent < last {
			t.Fatalf("progress went back from %d%% to %d%%", last, v.Percent)
		}
		last = v.Percent
		if !v.Running {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("the check is still running: %+v", v)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Issue 13: requesting output answers at once, while the automatic check
// is held from starting: the product is "checking", its page shows a
// progress bar the page polls (no page blocked on the check), the poll
// says the check is queued and refuses another merchant as the page does;
// once the check may run, the poll follows it to its end and the page
// shows the recorded outcome and report.
func TestUI_R23_2_OutputCheckRunsInBackground(t *testing.T) {
	t.Parallel()
	h, _, s, ws := newSandboxHarness(t, "sqlite")
	hold := make(chan struct{})
	s.outputHold = hold
	pid := outputSetup(t, h, ws)
	page := fmt.Sprintf("/output/products/%d", pid)
	u := uiAs(t, h, "merchant-a")
	st, body := u.follow(page+"/request", url.Values{})
	if st != 200 || !strings.Contains(body, `id="check-progress"`) || !strings.Contains(body, "data-running") ||
		!strings.Contains(body, T(langZH, "output.progress.started")) || !strings.Contains(body, "progress.js") {
		close(hold)
		t.Fatalf("request: %d %s", st, pageText(body))
	}
	p, err := h.db.ProductFor(t.Context(), shuyu.System, shuyu.ActProductRead, pid)
	if err != nil || p.StoredStatus != shuyu.ProductChecking {
		close(hold)
		t.Fatalf("while held: %v %+v", err, p)
	}
	v := outputProgressOf(t, u, page)
	if !v.Running || v.Status != shuyu.ProductChecking || v.Label != T(langZH, "output.progress.queued") || v.Percent != 0 {
		close(hold)
		t.Fatalf("queued check: %+v", v)
	}
	if st, _, _ := uiAs(t, h, "merchant-b").get(page + "/progress"); st != 404 {
		close(hold)
		t.Fatalf("merchant-b polls another's product: %d", st)
	}
	close(hold)
	v = outputWaitChecked(t, u, page)
	if v.Status != shuyu.ProductChecked || v.Percent != 100 {
		t.Fatalf("after the check: %+v", v)
	}
	st, body, _ = u.get(page)
	if st != 200 || !strings.Contains(body, "待人工审核") || strings.Contains(body, `id="check-progress"`) || !strings.Contains(body, "个人信息扫描") {
		t.Fatalf("product page after the check: %d %s", st, pageText(body))
	}
	var checks int
	if err := h.db.SQL().QueryRow(`SELECT COUNT(*) FROM product_checks WHERE product_id = ?`, pid).Scan(&checks); err != nil || checks != 1 {
		t.Fatalf("recorded checks: %d %v", checks, err)
	}
}

// A check cut off by a restart: the product stays "checking" (as the
// store recorded it), the restarted server has no progress for it, so the
// page says the check was interrupted and offers to check again, which
// runs it to its end on the new server.
func TestUI_R23_2_OutputCheckInterruptedIsCheckedAgain(t *testing.T) {
	t.Parallel()
	h, f, s, ws := newSandboxHarness(t, "sqlite")
	hold := make(chan struct{})
	s.outputHold = hold // never released: the first server "dies" holding it
	pid := outputSetup(t, h, ws)
	page := fmt.Sprintf("/output/products/%d", pid)
	if st, _ := uiAs(t, h, "merchant-a").follow(page+"/request", url.Values{}); st != 200 {
		t.Fatalf("request: %d", st)
	}
	s2 := New(Config{DB: f.DB, Vault: f.Vault, Data: f.Dir, Now: f.Clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv2 := httptest.NewServer(s2.Handler())
	t.Cleanup(srv2.Close)
	h2 := &harness{t: t, db: f.DB, clock: f.Clock, srv: srv2, actors: f.Actors, tokens: map[string]string{}}
	u := uiAs(t, h2, "merchant-a")
	st, body, _ := u.get(page)
	if st != 200 || !strings.Contains(body, T(langZH, "output.progress.lost")) || !strings.Contains(body, `id="check-again"`) ||
		strings.Contains(body, "data-running") {
		t.Fatalf("after a restart: %d %s", st, pageText(body))
	}
	if v := outputProgressOf(t, u, page); v.Running || v.Status != shuyu.ProductChecking {
		t.Fatalf("progress after a restart: %+v", v)
	}
	if st, _ := u.follow(page+"/request", url.Values{}); st != 200 {
		t.Fatalf("check again: %d", st)
	}
	if v := outputWaitChecked(t, u, page); v.Status != shuyu.ProductChecked {
		t.Fatalf("checked again: %+v", v)
	}
}
