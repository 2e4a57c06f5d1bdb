package web

import (
	"net/http"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
)

func (s *Server) adminRoutes() {
	s.handle("GET", "/api/v1/roles", s.apiRoles)
	s.handle("GET", "/api/v1/orgs", s.apiOrgs)
	s.handle("POST", "/api/v1/orgs", s.apiCreateOrg)
	s.handle("GET", "/api/v1/orgs/{id}", s.apiOrg)
	s.handle("POST", "/api/v1/orgs/{id}/status", s.apiOrgStatus)
	s.handle("GET", "/api/v1/users", s.apiUsers)
	s.handle("POST", "/api/v1/users", s.apiCreateUser)
	s.handle("GET", "/api/v1/users/{id}", s.apiUser)
	s.handle("PATCH", "/api/v1/users/{id}", s.apiUpdateUser)
	s.handle("POST", "/api/v1/users/{id}/unlock", s.apiUnlockUser)
	s.handle("POST", "/api/v1/users/{id}/password", s.apiResetPassword)
	s.handle("POST", "/api/v1/users/{id}/totp/reset", s.apiResetTOTP)
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

func (s *Server) apiOrg(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := s.db.Org(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) apiOrgStatus(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.db.SetOrgStatus(r.Context(), a, id, req.Status, req.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
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

func (s *Server) apiUser(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := s.db.User(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) apiUpdateUser(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var up sqlstore.UserUpdate
	if err := decode(r, &up); err != nil {
		return err
	}
	u, err := s.db.UpdateUser(r.Context(), a, id, up)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) apiUnlockUser(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req reasonBody
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.db.UnlockUser(r.Context(), a, id, req.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiResetPassword(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Password string `json:"password"`
		Reason   string `json:"reason"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.db.ResetPassword(r.Context(), a, id, req.Password, req.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiResetTOTP(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req reasonBody
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.db.ResetTOTP(r.Context(), a, id, req.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
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
