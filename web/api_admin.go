package web

import (
	"context"
	"net/http"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
)

func (s *Server) adminRoutes() {
	s.handle("GET", "/api/v1/roles", s.apiRoles)
	s.handle("GET", "/api/v1/orgs", s.apiOrgs)
	s.handle("POST", "/api/v1/orgs", s.apiCreateOrg)
	s.handle("GET", "/api/v1/orgs/{id}", onObject(s, func(ctx context.Context, a *shuyu.Actor, id int64) (any, error) {
		return s.db.Org(ctx, a, id)
	}))
	s.handle("POST", "/api/v1/orgs/{id}/status", commandOnObject(s, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}) (any, error) {
		return nil, s.db.SetOrgStatus(ctx, a, id, in.Status, in.Reason)
	}))
	s.handle("GET", "/api/v1/users", s.apiUsers)
	s.handle("POST", "/api/v1/users", s.apiCreateUser)
	s.handle("GET", "/api/v1/users/{id}", onObject(s, func(ctx context.Context, a *shuyu.Actor, id int64) (any, error) {
		return s.db.User(ctx, a, id)
	}))
	s.handle("PATCH", "/api/v1/users/{id}", commandOnObject(s, func(ctx context.Context, a *shuyu.Actor, id int64, up sqlstore.UserUpdate) (any, error) {
		return s.db.UpdateUser(ctx, a, id, up)
	}))
	s.handle("POST", "/api/v1/users/{id}/unlock", commandOnObject(s, func(ctx context.Context, a *shuyu.Actor, id int64, in reasonBody) (any, error) {
		return nil, s.db.UnlockUser(ctx, a, id, in.Reason)
	}))
	s.handle("POST", "/api/v1/users/{id}/password", commandOnObject(s, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		Password string `json:"password"`
		Reason   string `json:"reason"`
	}) (any, error) {
		return nil, s.db.ResetPassword(ctx, a, id, in.Password, in.Reason)
	}))
	s.handle("POST", "/api/v1/users/{id}/totp/reset", commandOnObject(s, func(ctx context.Context, a *shuyu.Actor, id int64, in reasonBody) (any, error) {
		return nil, s.db.ResetTOTP(ctx, a, id, in.Reason)
	}))
	s.handle("GET", "/api/v1/security", s.apiSecurity)
	s.handle("PUT", "/api/v1/security/totp-required", s.apiRequireTOTP)
}

type list[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

func listOf[T any](items []T) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: len(items)}
}

func (s *Server) apiRoles(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.actor(r); err != nil {
		return err
	}
	type roleInfo struct {
		Role    shuyu.Role    `json:"role"`
		OrgKind shuyu.OrgKind `json:"org_kind"`
		Admin   bool          `json:"admin"`
		Label   string        `json:"label"`
	}
	var out []roleInfo
	for _, ro := range shuyu.Roles {
		out = append(out, roleInfo{ro, ro.OrgKind(), ro.IsAdmin(), T("zh", "role."+string(ro))})
	}
	writeJSON(w, http.StatusOK, listOf(out))
	return nil
}

func (s *Server) apiOrgs(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	kind := shuyu.OrgKind(r.URL.Query().Get("kind"))
	if kind != "" && !kind.Valid() {
		return shuyu.Errorf(shuyu.EINVALID, "机构类型无效 (unknown kind)")
	}
	orgs, err := s.db.Orgs(r.Context(), a, kind)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(orgs))
	return nil
}

func (s *Server) apiCreateOrg(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	var o shuyu.Org
	if err := decode(r, &o); err != nil {
		return err
	}
	o.ID, o.Status = 0, ""
	if err := s.db.CreateOrg(r.Context(), a, &o); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	var org int64
	if v := r.URL.Query().Get("org_id"); v != "" {
		if org, err = strconv.ParseInt(v, 10, 64); err != nil {
			return shuyu.Errorf(shuyu.EINVALID, "org_id 须为数字")
		}
	}
	users, err := s.db.Users(r.Context(), a, org)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(users))
	return nil
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	var nu sqlstore.NewUser
	if err := decode(r, &nu); err != nil {
		return err
	}
	u, err := s.db.CreateUser(r.Context(), a, nu)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) apiSecurity(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	sec, err := s.db.Security(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sec)
	return nil
}

func (s *Server) apiRequireTOTP(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	var req struct {
		Roles []shuyu.Role `json:"roles"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.db.RequireTOTP(r.Context(), a, req.Roles); err != nil {
		return err
	}
	return s.apiSecurity(w, r)
}
