package web

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// conformingAnswers wraps the server the web tests call: every success
// answer of an API route must be one the route declares (its status, its
// media type) and a JSON answer must decode, strictly (no unknown field,
// no wrong type), into the route's recorded Go type. The document's bodies
// come from those types, so a declaration that lies (a hand-written
// handler's jsonRoute, upload or download) fails whichever test calls the
// route.
func conformingAnswers(t *testing.T, s *Server) http.Handler {
	byPattern := map[string]endpoint{}
	for _, rt := range s.routes {
		if rt.api {
			byPattern[rt.method+" "+rt.pattern] = rt.ep
		}
	}
	next := s.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := s.mux.Handler(r)
		ep, ok := byPattern[pattern]
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		rec := &teeWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if rec.status < 200 || rec.status > 299 {
			return
		}
		if err := conforms(ep, rec.status, rec.Header().Get("Content-Type"), rec.body.Bytes()); err != "" {
			t.Errorf("%s %s answered what its route does not declare: %s", r.Method, r.URL.Path, err)
		}
	})
}

func conforms(ep endpoint, status int, ctype string, body []byte) string {
	i := slices.IndexFunc(ep.replies, func(r reply) bool { return r.status == status })
	if i < 0 {
		return "status " + strconv.Itoa(status)
	}
	rp := ep.replies[i]
	media, _, _ := mime.ParseMediaType(ctype)
	switch {
	case status == http.StatusNoContent:
		if len(body) > 0 {
			return "a body with 204"
		}
	case slices.Contains(rp.media, media):
	case rp.out != nil && media == cmpOr(rp.as, "application/json"):
		v := reflect.New(rp.out)
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v.Interface()); err != nil {
			return "not a " + rp.out.String() + ": " + err.Error()
		}
	default:
		return "media type " + ctype
	}
	return ""
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// teeWriter keeps a copy of the answer.
type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *teeWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// Unwrap lets handlers reach the connection (http.ResponseController: the
// upload's read deadlines).
func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *teeWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func TestOpenAPIConform_CatchesALie(t *testing.T) {
	ep := jsonRoute[noBody, checkpointList](http.StatusOK, nil)
	if err := conforms(ep, 200, "application/json", []byte(`{"items":[],"total":0,"public_key":"ab"}`)); err != "" {
		t.Fatal(err)
	}
	for _, c := range []struct {
		status int
		ctype  string
		body   string
	}{
		{201, "application/json", `{"items":[],"total":0,"public_key":"ab"}`},
		{200, "text/csv", `a,b`},
		{200, "application/json", `{"items":[],"total":0,"public_key":"ab","extra":1}`},
		{200, "application/json", `{"items":[],"total":"0"}`},
	} {
		if conforms(ep, c.status, c.ctype, []byte(c.body)) == "" {
			t.Errorf("accepted %d %s %s", c.status, c.ctype, c.body)
		}
	}
}
