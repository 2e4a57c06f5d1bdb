package web

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// Invariant 5: no input makes a 500. Every API route is hit, anonymously and
// as a privileged user, with malformed and hostile bodies and path values.
func TestAPI_NoInputMakes500(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	tokens := []string{"", h.token("secadmin"), h.token("merchant-a"), "not-a-token"}
	bodies := []string{"", "null", "[]", "{", `{"a":`, `"x"`, "0", `{"id":-1}`, `{"roles":[1,2]}`,
		`{"username":null,"password":123}`, strings.Repeat("[", 10000), "\x00\xff\xfe", `{"org_id":9223372036854775807}`}
	r := rand.New(rand.NewPCG(1, 2))
	s := New(Config{})
	for _, rt := range s.routes {
		if !rt.api {
			continue
		}
		for _, id := range []string{"1", "0", "-5", "abc", "99999999999999999999", "%00"} {
			path := pathParam.ReplaceAllString(rt.pattern, id)
			for _, b := range bodies {
				tok := tokens[r.IntN(len(tokens))]
				resp, data := h.do(tok, rt.method, path, b)
				if resp.StatusCode >= 500 {
					t.Errorf("%s %s body %.20q: status %d: %s", rt.method, path, b, resp.StatusCode, data)
				}
			}
		}
	}
}

var pathParam = regexp.MustCompile(`\{[A-Za-z_.]+\}`)
