package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

func (s *Server) apiRoutes() {
	s.handle("GET", "/api/v1/openapi.json", jsonRoute[noBody, openapiDocument](http.StatusOK, s.openapi))
	s.handle("POST", "/api/v1/auth/login", jsonRoute[sqlstore.LoginRequest, *sqlstore.Session](http.StatusOK, s.apiLogin))
	s.handle("POST", "/api/v1/auth/logout", jsonRoute[noBody, *noContent](http.StatusNoContent, s.apiLogout))
	s.handle("GET", "/api/v1/me", jsonRoute[noBody, meBody](http.StatusOK, s.apiMe))
	s.handle("POST", "/api/v1/me/password", command(s.actor, http.StatusNoContent, func(ctx context.Context, a *shuyu.Actor, in struct {
		Old string `json:"old_password"`
		New string `json:"new_password"`
	}) (*noContent, error) {
		return nil, s.db.ChangePassword(ctx, a, in.Old, in.New)
	}))
	s.handle("POST", "/api/v1/me/totp", command(s.actor, http.StatusOK, func(ctx context.Context, a *shuyu.Actor, _ noBody) (*sqlstore.TOTPEnrollment, error) {
		return s.db.BeginTOTP(ctx, a)
	}))
	s.handle("POST", "/api/v1/me/totp/confirm", jsonRoute[totpCode, *noContent](http.StatusNoContent, s.apiConfirmTOTP))
	s.adminRoutes()
	s.auditRoutes()
	s.capabilityRoutes()
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) error {
	var req sqlstore.LoginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" {
		return shuyu.Errorf(shuyu.EINVALID, "请输入用户名和密码 (username and password required)")
	}
	sess, err := s.login(r.Context(), w, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sess) // token, expires_at, restricted, user
	return nil
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	if err := s.db.Logout(r.Context(), sess.Actor, sess.Token); err != nil {
		return err
	}
	s.clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// meBody is the answer of GET /api/v1/me.
type meBody struct {
	User       *shuyu.User  `json:"user"`
	Roles      []shuyu.Role `json:"roles"`
	Org        *shuyu.Org   `json:"organization"`
	Restricted bool         `json:"restricted"`
	ExpiresAt  time.Time    `json:"expires_at"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	org, err := s.db.Org(r.Context(), shuyu.System, sess.User.OrgID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, meBody{User: sess.User, Roles: sess.User.Roles, Org: org, Restricted: sess.Restricted, ExpiresAt: sess.ExpiresAt})
	return nil
}

// totpCode confirms a second factor being enrolled.
type totpCode struct {
	Code string `json:"code"`
}

func (s *Server) apiConfirmTOTP(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	var req totpCode
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.db.ConfirmTOTP(r.Context(), sess.Actor, sess.Token, req.Code); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pathID parses a numeric {id} path value; anything else is a 404 (no such
// object), not a 500.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, shuyu.Errorf(shuyu.ENOTFOUND, "对象不存在 (not found)")
	}
	return id, nil
}
