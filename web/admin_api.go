package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
)

func (s *Server) adminRoutes() {
	s.handle("GET", "/api/v1/roles", onCollection(s.actor, func(context.Context, *shuyu.Actor, url.Values) ([]roleInfo, error) {
		return roleInfos(), nil
	}))
	s.handle("GET", "/api/v1/orgs", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.Org, error) {
		kind := shuyu.OrgKind(q.Get("kind"))
		if kind != "" && !kind.Valid() {
			return nil, shuyu.Errorf(shuyu.EINVALID, "机构类型无效 (unknown kind)")
		}
		return s.db.Orgs(ctx, a, kind)
	}))
	s.handle("POST", "/api/v1/orgs", create(s.actor, func(ctx context.Context, a *shuyu.Actor, o shuyu.Org) (shuyu.Org, error) {
		o.ID, o.Status = 0, ""
		return o, s.db.CreateOrg(ctx, a, &o)
	}))
	s.handle("GET", "/api/v1/orgs/{id}", onObject(s.actor, s.db.Org))
	s.handle("POST", "/api/v1/orgs/{id}/status", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}) (*noContent, error) {
		return nil, s.db.SetOrgStatus(ctx, a, id, in.Status, in.Reason)
	}))
	s.handle("GET", "/api/v1/users", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.User, error) {
		var org int64
		if v := q.Get("org_id"); v != "" {
			var err error
			if org, err = strconv.ParseInt(v, 10, 64); err != nil {
				return nil, shuyu.Errorf(shuyu.EINVALID, "org_id 须为数字")
			}
		}
		return s.db.Users(ctx, a, org)
	}))
	s.handle("POST", "/api/v1/users", create(s.actor, s.db.CreateUser))
	s.handle("GET", "/api/v1/users/{id}", onObject(s.actor, s.db.User))
	s.handle("PATCH", "/api/v1/users/{id}", commandOnObject(s.actor, s.db.UpdateUser))
	s.handle("POST", "/api/v1/users/{id}/unlock", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reasonBody) (*noContent, error) {
		return nil, s.db.UnlockUser(ctx, a, id, in.Reason)
	}))
	s.handle("POST", "/api/v1/users/{id}/password", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		Password string `json:"password"`
		Reason   string `json:"reason"`
	}) (*noContent, error) {
		return nil, s.db.ResetPassword(ctx, a, id, in.Password, in.Reason)
	}))
	s.handle("POST", "/api/v1/users/{id}/totp/reset", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reasonBody) (*noContent, error) {
		return nil, s.db.ResetTOTP(ctx, a, id, in.Reason)
	}))
	s.handle("GET", "/api/v1/security", onQuery(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) (*sqlstore.SecuritySettings, error) {
		return s.db.Security(ctx, a)
	}))
	// Requiring TOTP for roles answers the settings as they now are.
	s.handle("PUT", "/api/v1/security/totp-required", command(s.actor, http.StatusOK, func(ctx context.Context, a *shuyu.Actor, in struct {
		Roles []shuyu.Role `json:"roles"`
	}) (*sqlstore.SecuritySettings, error) {
		if err := s.db.RequireTOTP(ctx, a, in.Roles); err != nil {
			return nil, err
		}
		return s.db.Security(ctx, a)
	}))
}

// list is a collection's answer; listOf writes [] for none.
type list[T any] struct {
	Items []T `json:"items" openapi:"notnull"`
	Total int `json:"total"`
}

func listOf[T any](items []T) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: len(items)}
}

// roleInfo describes a role for clients building forms.
type roleInfo struct {
	Role    shuyu.Role    `json:"role"`
	OrgKind shuyu.OrgKind `json:"org_kind"`
	Admin   bool          `json:"admin"`
	Label   string        `json:"label"`
}

func roleInfos() []roleInfo {
	var out []roleInfo
	for _, ro := range shuyu.Roles {
		out = append(out, roleInfo{ro, ro.OrgKind(), ro.IsAdmin(), T("zh", "role."+string(ro))})
	}
	return out
}

type reasonBody struct {
	Reason string `json:"reason"`
}
