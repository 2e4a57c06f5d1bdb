package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

func TestAPI_LoginMeLogout(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		tok := h.token("county-haiyuan")
		var me meBody
		h.call(tok, "GET", "/api/v1/me", nil, 200, &me)
		if me.User.Username != "county-haiyuan" || me.Org.Region != shuyu.RegionHaiyuan ||
			len(me.Roles) != 1 || me.Roles[0] != shuyu.RoleCountyAuthority {
			t.Fatalf("me = %+v", me)
		}
		h.call(tok, "POST", "/api/v1/auth/logout", nil, 204, nil)
		_, data := h.do(tok, "GET", "/api/v1/me", nil)
		if errCode(t, data) != shuyu.EUNAUTHORIZED {
			t.Fatalf("token works after logout: %s", data)
		}
	})
}

func TestAPI_LockoutAnswers423(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	bad := map[string]string{"username": "merchant-b", "password": "Wrong-pass-2026"}
	for i := 0; i < 4; i++ {
		resp, _ := h.do("", "POST", "/api/v1/auth/login", bad)
		if resp.StatusCode != 401 {
			t.Fatalf("failure %d: status %d", i+1, resp.StatusCode)
		}
	}
	resp, data := h.do("", "POST", "/api/v1/auth/login", bad)
	if resp.StatusCode != http.StatusLocked || errCode(t, data) != "account_locked" {
		t.Fatalf("fifth failure: %d %s", resp.StatusCode, data)
	}
	good := map[string]string{"username": "merchant-b", "password": sqltest.Password}
	resp, data = h.do("", "POST", "/api/v1/auth/login", good)
	if resp.StatusCode != http.StatusLocked || errCode(t, data) != "account_locked" {
		t.Fatalf("right password while locked: %d %s", resp.StatusCode, data)
	}
	h.clock.Advance(31 * time.Minute)
	h.call("", "POST", "/api/v1/auth/login", good, 200, nil)
}

func TestAPI_IdleSessionEnds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	tok := h.token("merchant-a")
	h.clock.Advance(29 * time.Minute)
	h.call(tok, "GET", "/api/v1/me", nil, 200, nil)
	h.clock.Advance(31 * time.Minute)
	resp, data := h.do(tok, "GET", "/api/v1/me", nil)
	if resp.StatusCode != 401 || errCode(t, data) != shuyu.EUNAUTHORIZED {
		t.Fatalf("idle session still valid: %d %s", resp.StatusCode, data)
	}
}

// Bad input gets a clear 4xx and changes nothing (invariant 5).
func TestAPI_BadInputIs4xx(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	sec := h.token("secadmin")
	before, _ := h.db.LastSeq(t.Context())
	cases := []struct {
		method, path string
		body         any
		status       int
	}{
		{"POST", "/api/v1/auth/login", "{not json", 400},
		{"POST", "/api/v1/auth/login", `{"username":"a","password":"b","extra":1}`, 400},
		{"POST", "/api/v1/users", `{"org_id":"x"}`, 400},
		{"POST", "/api/v1/users", `{"org_id":1,"username":"ab","display_name":"x","roles":["merchant"],"password":"Good-pass-2026"}`, 400},
		{"POST", "/api/v1/users", `{"org_id":99999,"username":"abc","display_name":"x","roles":["merchant"],"password":"Good-pass-2026"}`, 404},
		{"POST", "/api/v1/users", strings.Repeat(" ", 2<<20) + "{}", 413},
		{"GET", "/api/v1/users/abc", nil, 404},
		{"GET", "/api/v1/users/-1", nil, 404},
		{"GET", "/api/v1/nothing-here", nil, 404},
		{"PATCH", "/api/v1/users/1", `{}`, 400},
		{"GET", "/api/v1/audit/events?from=yesterday", nil, 400},
		{"PUT", "/api/v1/security/totp-required", `{"roles":["king"]}`, 400},
		{"POST", "/api/v1/orgs", `{"kind":"merchant","name":"x","region":"abc"}`, 400},
	}
	for _, c := range cases {
		resp, data := h.do(sec, c.method, c.path, c.body)
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: status %d, want %d: %.200s", c.method, c.path, resp.StatusCode, c.status, data)
			continue
		}
		errCode(t, data)
	}
	after, _ := h.db.LastSeq(t.Context())
	// Only the audited refusals of nothing: no state change event at all.
	var evs []shuyu.Event
	h.call(h.token("auditadmin"), "GET", "/api/v1/audit/events?limit=1000", nil, 200, &struct {
		Items *[]shuyu.Event `json:"items"`
	}{&evs})
	for _, e := range evs {
		if e.Seq > before && e.Seq <= after && e.Action != "auth.login" {
			t.Errorf("bad input changed state: event %d %s", e.Seq, e.Action)
		}
	}
}

// TestOpenAPI_MatchesRoutes keeps the document and the routes in step.
func TestOpenAPI_MatchesRoutes(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	routes := map[string]bool{}
	for _, rt := range s.routes {
		if !rt.api {
			continue
		}
		key := strings.ToLower(rt.method) + " " + rt.pattern
		routes[key] = true
		ops, ok := doc.Paths[rt.pattern]
		if !ok || ops[strings.ToLower(rt.method)] == nil {
			t.Errorf("route %s %s is not in the OpenAPI document", rt.method, rt.pattern)
		}
	}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	for p, ops := range doc.Paths {
		for m, op := range ops {
			if !routes[m+" "+p] {
				t.Errorf("documented %s %s has no route", strings.ToUpper(m), p)
			}
			if op["summary"] == nil || op["responses"] == nil {
				t.Errorf("%s %s lacks summary or responses", m, p)
			}
			for _, name := range param.FindAllString(p, -1) {
				if !strings.Contains(fmt.Sprint(op["parameters"]), strings.Trim(name, "{}")) {
					t.Errorf("%s %s does not document path parameter %s", m, p, name)
				}
			}
		}
	}
}

func TestAPI_HealthzMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	h.call("", "GET", "/healthz", nil, 200, nil)
	h.token("authority")
	resp, data := h.do("", "GET", "/metrics", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(data), `shuyu_http_requests_total{route="POST /api/v1/auth/login",status="200"} 1`) {
		t.Fatalf("metrics: %s", data)
	}
}
