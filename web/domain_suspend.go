package web

import (
	"context"
	"net/url"

	"shuyu"
	"shuyu/sqlstore"
)

// domainSuspendRoutes: suspension of supply by the authority (R27.3) and
// the non-public sources the operator connects (R26.1). Suspending and
// resuming go through the supply service, which makes the vault agree at
// once: no query reads the data from the answer on (R27.3).
func (s *Server) domainSuspendRoutes() {
	s.handle("GET", "/api/v1/domain/suspensions", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*sqlstore.Suspension, error) {
		return s.db.Suspensions(ctx, a, q.Get("active") != "")
	}))
	s.handle("POST", "/api/v1/domain/suspensions", create(s.actor, s.supply.Suspend))
	s.handle("POST", "/api/v1/domain/suspensions/{id}/resume", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reasonBody) (*sqlstore.Suspension, error) {
		return s.supply.Resume(ctx, a, id, in.Reason)
	}))
	s.handle("GET", "/api/v1/domain/sources", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*sqlstore.Source, error) {
		return s.db.Sources(ctx, a)
	}))
	s.handle("POST", "/api/v1/domain/sources", create(s.actor, s.db.ConnectSource))
}
