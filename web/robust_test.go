package web

import (
	"math/rand/v2"

	"regexp"
	"shuyu"
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

// Invariant 5: JSON bodies must be UTF-8. Every API route that decodes a
// JSON body refuses one carrying invalid UTF-8 with a 400 naming the
// encoding, before anything else reads it; the standard decoder would
// otherwise replace the bytes with U+FFFD and store text the client never
// sent. A route reaches the decoder when a body with an unknown field is
// refused as invalid JSON for some seeded account; every such route is then
// sent the bad bytes. No route answers them with a 5xx (routes that take no
// body never read it).
func TestAPI_InvalidUTF8IsRefusedOnEveryJSONRoute(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	users := []string{"secadmin", "sysadmin", "auditadmin", "authority", "county-shapotou", "dept-gongan",
		"operator-admin", "operator-reviewer", "merchant-a", "expert", "regulator", "provider"}
	tokens := []string{""}
	for _, u := range users {
		tokens = append(tokens, h.token(u))
	}
	probe := `{"zzz_probe":1}`
	bad := "{\"zzz_probe\":\"\xff\xfe\"}"
	s := New(Config{})
	decoding, total := 0, 0
	for _, rt := range s.routes {
		if !rt.api || rt.method == "GET" || rt.pattern == "/api/v1/auth/logout" {
			continue // logout takes no body and would end the tokens
		}
		total++
		path := pathParam.ReplaceAllString(rt.pattern, "1")
		reached := false
		defer func() {
			if !reached {
				t.Logf("no JSON body: %s %s", rt.method, rt.pattern)
			}
		}()
		for _, tok := range tokens {
			resp, data := h.do(tok, rt.method, path, bad)
			if resp.StatusCode >= 500 {
				t.Errorf("%s %s with invalid UTF-8: status %d: %s", rt.method, path, resp.StatusCode, data)
			}
			if reached {
				continue
			}
			presp, pdata := h.do(tok, rt.method, path, probe)
			if presp.StatusCode != 400 || !strings.Contains(string(pdata), "invalid JSON") {
				continue
			}
			reached = true
			decoding++
			if resp.StatusCode != 400 || !strings.Contains(string(data), "not valid UTF-8") {
				t.Errorf("%s %s decodes JSON but answered invalid UTF-8 with %d: %s", rt.method, path, resp.StatusCode, data)
			}
		}
	}
	t.Logf("%d of %d body-taking API routes decode JSON; each refused invalid UTF-8", decoding, total)
	if decoding < total/2 {
		t.Fatalf("only %d of %d routes reached the decoder: the probe is broken", decoding, total)
	}
	// The login itself: a password with a bad byte is refused as input, not
	// tried as a password (it would count as a failure against the account).
	resp, data := h.do("", "POST", "/api/v1/auth/login", "{\"username\":\"merchant-a\",\"password\":\"x\xff\"}")
	if resp.StatusCode != 400 || errCode(t, data) != shuyu.EINVALID {
		t.Fatalf("login with invalid UTF-8: %d %s", resp.StatusCode, data)
	}
}
