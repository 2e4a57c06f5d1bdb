package web

import (
	"net/http"
	"net/url"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

const sessionCookie = "shuyu_session"

// bearer extracts the session token from the Authorization header (API
// clients) or the session cookie (the browser UI).
func bearer(r *http.Request) (token string, fromCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t), false
		}
		return "", false
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value, true
	}
	return "", false
}

// session authenticates the request. Cookie-authenticated requests that
// change state must come from our own pages (same origin), which with the
// SameSite=Strict cookie stops cross-site request forgery. A restricted
// session (second factor required, not enrolled) may only enroll.
func (s *Server) session(r *http.Request) (*sqlstore.Session, error) {
	tok, cookie := bearer(r)
	sess, err := s.db.Authenticate(r.Context(), tok)
	if err != nil {
		return nil, err
	}
	sess.Token = tok
	if cookie && r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
		return nil, shuyu.Errorf(shuyu.EFORBIDDEN, "跨站请求被拒绝 (cross-site request refused)")
	}
	if sess.Restricted && !restrictedAllowed(r.URL.Path) {
		return nil, shuyu.Errorf(shuyu.EFORBIDDEN, "请先绑定动态口令（双因素认证）后再使用平台 (enroll a second factor first)")
	}
	return s.actingSession(r, sess, cookie) // R6.3: a provider acting for a merchant (provider_api.go)
}

func restrictedAllowed(path string) bool {
	switch path {
	case "/api/v1/me", "/api/v1/me/totp", "/api/v1/me/totp/confirm", "/api/v1/auth/logout", "/me/totp", "/logout", "/":
		return true
	}
	return false
}

func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	o := r.Header.Get("Origin")
	if o == "" {
		o = r.Header.Get("Referer")
	}
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// actor authenticates and returns the actor (the common case).
func (s *Server) actor(r *http.Request) (*shuyu.Actor, error) {
	sess, err := s.session(r)
	if err != nil {
		return nil, err
	}
	return sess.Actor, nil
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
}
