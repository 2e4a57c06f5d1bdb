package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// harness is a real server on a real store (SQLite in a temp dir, or
// PostgreSQL), seeded with one account per role (see sqltest.Seed), served
// by httptest on a loopback port.
type harness struct {
	t      *testing.T
	db     *sqlstore.DB
	clock  *sqltest.Clock
	srv    *httptest.Server
	actors map[string]*shuyu.Actor
	tokens map[string]string
}

func newHarness(t *testing.T, backend string) *harness {
	t.Helper()
	return harnessOn(t, sqltest.Seeded(t, backend))
}

// harnessOn serves a server on env's store (sqltest.Each's seeded world).
func harnessOn(t *testing.T, env *sqltest.Env) *harness {
	t.Helper()
	return serveHarness(t, env, New(Config{DB: env.DB, Now: env.Clock.Now, Log: slog.New(slog.NewTextHandler(debugLog(), nil))}))
}

// serveHarness serves s, built on env's store, over httptest.
func serveHarness(t *testing.T, env *sqltest.Env, s *Server) *harness {
	t.Helper()
	srv := httptest.NewServer(conformingAnswers(t, s)) // answers as the OpenAPI document says
	t.Cleanup(srv.Close)
	return &harness{t: t, db: env.DB, clock: env.Clock, srv: srv, actors: env.Actors, tokens: map[string]string{}}
}

// token logs username in (once) and returns its bearer token.
func (h *harness) token(username string) string {
	h.t.Helper()
	if tok, ok := h.tokens[username]; ok {
		return tok
	}
	var out struct {
		Token string `json:"token"`
	}
	h.call("", "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": sqltest.Password}, 200, &out)
	h.tokens[username] = out.Token
	return out.Token
}

// do sends a request with an optional bearer token and JSON body.
func (h *harness) do(token, method, path string, body any) (*http.Response, []byte) {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return h.send(req)
}

// send sends req and reads the whole answer.
func (h *harness) send(req *http.Request) (*http.Response, []byte) {
	h.t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// call is do with a status check and JSON decoding into out (if not nil).
func (h *harness) call(token, method, path string, body any, want int, out any) []byte {
	h.t.Helper()
	resp, data := h.do(token, method, path, body)
	if resp.StatusCode != want {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			h.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return data
}

// errCode decodes the standard error body and returns its code.
func errCode(t *testing.T, data []byte) string {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(data, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not a standard error body: %s", data)
	}
	return e.Error.Code
}
