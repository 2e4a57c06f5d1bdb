package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// loginFrom posts the API login from the loopback source address src.
func (h *harness) loginFrom(src, user, pass string) (*http.Response, []byte) {
	h.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/auth/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := clientFrom(src, h.srv.Client()).Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// countEvents counts audit events of action (optionally with detail
// containing sub).
func (h *harness) countEvents(action shuyu.AuditAction, sub string) int {
	h.t.Helper()
	var n int
	q := h.db.Rebind(`SELECT count(*) FROM audit_events WHERE action = ? AND detail LIKE ?`)
	if err := h.db.SQL().QueryRowContext(context.Background(), q, string(action), "%"+sub+"%").Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// R29.1: one source cannot lock a named account out for everyone. Five
// wrong passwords from 127.0.0.1 lock merchant-b for 127.0.0.1 only (423
// even with the right password, as before); from 127.0.0.2 the owner logs
// in. The owner and every security administrator find a notice in their
// inbox, written with the audited lock; a second source's lock within half
// an hour sends no second notice.
func TestLogin_R29_1_LockIsPerAccountAndSource(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		for i := 1; i <= 4; i++ {
			if resp, data := h.loginFrom("127.0.0.1", "merchant-b", "wrong-"+strconv.Itoa(i)); resp.StatusCode != 401 {
				t.Fatalf("failure %d: %d %s", i, resp.StatusCode, data)
			}
		}
		resp, data := h.loginFrom("127.0.0.1", "merchant-b", "wrong-5")
		if resp.StatusCode != http.StatusLocked || errCode(t, data) != shuyu.ELOCKED {
			t.Fatalf("fifth failure: %d %s", resp.StatusCode, data)
		}
		if resp, _ := h.loginFrom("127.0.0.1", "merchant-b", sqltest.Password); resp.StatusCode != http.StatusLocked {
			t.Fatalf("right password from the locked source: %d", resp.StatusCode)
		}
		if resp, data := h.loginFrom("127.0.0.2", "merchant-b", sqltest.Password); resp.StatusCode != 200 {
			t.Fatalf("the owner from another source is locked out too: %d %s", resp.StatusCode, data)
		}
		if n := h.countEvents(shuyu.AuditAuthAccountLocked, `"source":"127.0.0.1"`); n != 1 {
			t.Fatalf("%d lock events naming the source", n)
		}
		ctx := context.Background()
		for _, who := range []string{"merchant-b", "secadmin"} {
			ns, _, err := h.db.Inbox(ctx, env.Actors[who], 50, false)
			if err != nil {
				t.Fatal(err)
			}
			found := 0
			for _, n := range ns {
				if n.Kind == "security.login_failures" && strings.Contains(n.Body, "127.0.0.1") {
					found++
				}
			}
			if found != 1 {
				t.Fatalf("%s has %d login-failure notices: %+v", who, found, ns)
			}
		}
		// merchant-a (an uninvolved account) hears nothing.
		if ns, _, _ := h.db.Inbox(ctx, env.Actors["merchant-a"], 50, false); len(ns) != 0 {
			for _, n := range ns {
				if n.Kind == "security.login_failures" {
					t.Fatalf("merchant-a notified: %+v", n)
				}
			}
		}
		// A second source locks it too, within the half hour: no second notice.
		for i := 0; i < shuyu.MaxFailedLogins; i++ {
			h.loginFrom("127.0.0.3", "merchant-b", "wrong")
		}
		if ns, _, _ := h.db.Inbox(ctx, env.Actors["merchant-b"], 50, false); countKind(ns, "security.login_failures") != 1 {
			t.Fatalf("second source's lock sent another notice: %d", countKind(ns, "security.login_failures"))
		}
		// The security administrator's unlock lifts every source's lock.
		if err := h.db.UnlockUser(ctx, env.Actors["secadmin"], env.Actors["merchant-b"].UserID, "核实为本人误操作"); err != nil {
			t.Fatal(err)
		}
		for _, src := range []string{"127.0.0.1", "127.0.0.3"} {
			if resp, data := h.loginFrom(src, "merchant-b", sqltest.Password); resp.StatusCode != 200 {
				t.Fatalf("after the unlock from %s: %d %s", src, resp.StatusCode, data)
			}
		}
	})
}

func countKind(ns []sqlstore.Notice, kind string) int {
	n := 0
	for _, x := range ns {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

// R29.1: unknown usernames are counted and locked exactly like known ones,
// with the same answers, so neither the status nor the message says
// whether an account exists.
func TestLogin_R29_1_UnknownUsernamesLookTheSame(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	var known, unknown []string
	for i := 0; i < shuyu.MaxFailedLogins+1; i++ {
		r1, d1 := h.loginFrom("127.0.0.4", "merchant-a", "wrong")
		r2, d2 := h.loginFrom("127.0.0.5", "no-such-user", "wrong")
		known = append(known, fmt.Sprintf("%d %s", r1.StatusCode, stripTime(d1)))
		unknown = append(unknown, fmt.Sprintf("%d %s", r2.StatusCode, stripTime(d2)))
	}
	for i := range known {
		if known[i] != unknown[i] {
			t.Fatalf("attempt %d: known %q, unknown %q", i+1, known[i], unknown[i])
		}
	}
	if !strings.HasPrefix(known[len(known)-1], "423") {
		t.Fatalf("no lock after %d failures: %v", len(known), known)
	}
}

// stripTime removes the lock's end time from a message (the two sources
// fail a moment apart).
func stripTime(b []byte) string {
	s := string(b)
	if i := strings.Index(s, "请于 "); i >= 0 {
		if j := strings.Index(s[i:], " 后"); j >= 0 {
			s = s[:i] + s[i+j:]
		}
	}
	return s
}

// R29.1: a source that fails shuyu.LoginBurst times in a row, with any
// usernames, is answered 429 with Retry-After before any password is
// checked: the refused attempts leave no login event (the store is never
// asked), only one throttling event per episode. Another source is not
// affected, and after Retry-After the source may try again. The login page
// answers the same way.
func TestLogin_R29_1_ThrottlePerSourceAcrossUsernames(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	for i := 0; i < shuyu.LoginBurst; i++ {
		if resp, data := h.loginFrom("127.0.0.6", fmt.Sprintf("nobody-%d", i), "wrong"); resp.StatusCode != 401 {
			t.Fatalf("attempt %d: %d %s", i, resp.StatusCode, data)
		}
	}
	failedBefore := h.countEvents(shuyu.AuditAuthLoginFailed, "")
	var retry string
	for i := 0; i < 200; i++ {
		resp, data := h.loginFrom("127.0.0.6", fmt.Sprintf("spray-%d", i), "wrong")
		if resp.StatusCode != http.StatusTooManyRequests || errCode(t, data) != shuyu.ETHROTTLED {
			t.Fatalf("flood attempt %d: %d %s", i, resp.StatusCode, data)
		}
		retry = resp.Header.Get("Retry-After")
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 1 || n > int(shuyu.LoginRefill.Seconds()) {
		t.Fatalf("Retry-After %q", retry)
	}
	if got := h.countEvents(shuyu.AuditAuthLoginFailed, ""); got != failedBefore {
		t.Fatalf("throttled attempts reached the store: %d login events after the throttle", got-failedBefore)
	}
	if n := h.countEvents(shuyu.AuditAuthLoginThrottled, ""); n != 1 {
		t.Fatalf("%d throttle events for one episode, want 1", n)
	}
	// Even the right password waits: the throttle comes before the check.
	if resp, _ := h.loginFrom("127.0.0.6", "merchant-a", sqltest.Password); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password from a throttled source: %d", resp.StatusCode)
	}
	// Another source is untouched.
	if resp, data := h.loginFrom("127.0.0.7", "merchant-a", sqltest.Password); resp.StatusCode != 200 {
		t.Fatalf("another source: %d %s", resp.StatusCode, data)
	}
	// The login page is throttled too.
	form := "username=merchant-a&password=x"
	req, _ := http.NewRequest("POST", h.srv.URL+"/login", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", h.srv.URL)
	resp, err := clientFrom("127.0.0.6", h.srv.Client()).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(page), "登录尝试过于频繁") {
		t.Fatalf("login page from a throttled source: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// After the wait, one more attempt is allowed.
	h.clock.Advance(shuyu.LoginRefill)
	if resp, data := h.loginFrom("127.0.0.6", "merchant-a", sqltest.Password); resp.StatusCode != 200 {
		t.Fatalf("after Retry-After: %d %s", resp.StatusCode, data)
	}
}

// The source of an attempt: the IPv4 address itself, the /64 of an IPv6
// address (documented in docs/operations.md).
func TestLoginSource_R29_1(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1":                  "127.0.0.1",
		"::ffff:10.1.2.3":            "10.1.2.3",
		"2001:db8:1:2:3:4:5:6":       "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:0:1": "2001:db8:1:2::/64",
		"garbage":                    "garbage",
	} {
		if got := shuyu.LoginSource(in); got != want {
			t.Errorf("LoginSource(%q) = %q, want %q", in, got, want)
		}
	}
}

// R29.1, several servers: two servers on one store share a source's login
// budget. Spreading attempts over both admits LoginBurst in all — not
// LoginBurst per server — and the next attempt on either server is 429.
func TestLogin_R29_1_ThrottleSharedAcrossServers(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		a, b := harnessOn(t, env), harnessOn(t, env)
		for i := 0; i < shuyu.LoginBurst; i++ {
			h := a
			if i%2 == 1 {
				h = b
			}
			if resp, data := h.loginFrom("127.0.0.9", fmt.Sprintf("nobody-%d", i), "wrong"); resp.StatusCode != 401 {
				t.Fatalf("attempt %d: %d %s", i, resp.StatusCode, data)
			}
		}
		for _, h := range []*harness{a, b} {
			resp, data := h.loginFrom("127.0.0.9", "merchant-a", sqltest.Password)
			if resp.StatusCode != http.StatusTooManyRequests || errCode(t, data) != shuyu.ETHROTTLED || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("after a burst spread over two servers: %d %s", resp.StatusCode, data)
			}
		}
		if n := a.countEvents(shuyu.AuditAuthLoginThrottled, ""); n < 1 {
			t.Fatal("the refusal left no throttling event")
		}
		env.Clock.Advance(shuyu.LoginRefill)
		if resp, data := b.loginFrom("127.0.0.9", "merchant-a", sqltest.Password); resp.StatusCode != 200 {
			t.Fatalf("after Retry-After: %d %s", resp.StatusCode, data)
		}
	})
}
