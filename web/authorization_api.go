package web

import (
	"context"
	"net/url"

	"shuyu"
)

// authorizationRoutes: the operator's authorization agreement (R13.1,
// R4.1, NIMP.3) — drafted by the authority, signed by both sides with SM2,
// filed with the province, ended early when needed; its scope and term are
// enforced by the store (sqlstore/authorization_scope.go). Pages are in
// authorization_pages.go.
func (s *Server) authorizationRoutes() {
	s.handle("GET", "/api/v1/authorizations", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.Authorization, error) {
		return s.db.Authorizations(ctx, a)
	}))
	s.handle("POST", "/api/v1/authorizations", create(s.actor, func(ctx context.Context, a *shuyu.Actor, in shuyu.AuthorizationInput) (*shuyu.Authorization, error) {
		return s.db.DraftAuthorization(ctx, a, in)
	}))
	s.handle("GET", "/api/v1/authorizations/{id}", onObject(s.actor, s.db.Authorization))
	s.handle("GET", "/api/v1/authorizations/{id}/verify", onObject(s.actor, s.db.VerifyAuthorization))
	s.handle("POST", "/api/v1/authorizations/{id}/sign", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in authorizationSign) (*shuyu.Authorization, error) {
		return s.db.SignAuthorization(ctx, a, id, in.Password)
	}))
	s.handle("POST", "/api/v1/authorizations/{id}/filing", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in authorizationFiling) (*shuyu.Authorization, error) {
		return s.db.FileAuthorization(ctx, a, id, in.FilingNumber)
	}))
	s.handle("POST", "/api/v1/authorizations/{id}/end", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in authorizationEnd) (*shuyu.Authorization, error) {
		return s.db.EndAuthorization(ctx, a, id, in.End, in.Reason)
	}))
	s.authorizationPages()
	s.auditLink("authorization", "/authorizations/%s", shuyu.ActAuthorizationRead)
	s.registryRoutes()
	s.auditLink("registry", "/registry/%s", shuyu.ActRegistryRead)
	s.disclosureRoutes()
	s.planRoutes()
}

// authorizationSign: the signer re-enters the password.
type authorizationSign struct {
	Password string `json:"password"`
}

// authorizationFiling: the provincial data department's filing number.
type authorizationFiling struct {
	FilingNumber string `json:"filing_number"`
}

// authorizationEnd: the new last day (only earlier) and why.
type authorizationEnd struct {
	End    string `json:"end"`
	Reason string `json:"reason"`
}
