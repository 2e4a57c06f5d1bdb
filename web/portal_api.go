package web

import (
	"context"
	"net/url"

	"shuyu"
	"shuyu/sqlstore"
)

// portalRoutes: the public portal (issue 13) — headline figures, notices
// and cases, the approved rule texts and the product marketplace, readable
// without login; publishing a notice or a case is the authority's and the
// operator's (R32.1). The pages are in portal_pages.go.
func (s *Server) portalRoutes() {
	s.handle("GET", "/api/v1/public/portal", onQuery(nobody, func(ctx context.Context, _ *shuyu.Actor, _ url.Values) (*sqlstore.PortalStats, error) {
		return s.db.PortalStats(ctx)
	}))
	s.handle("GET", "/api/v1/public/posts", onCollection(nobody, func(ctx context.Context, _ *shuyu.Actor, q url.Values) ([]*shuyu.PortalPost, error) {
		kind := q.Get("kind")
		if kind != "" && kind != shuyu.PortalNotice && kind != shuyu.PortalCase {
			return nil, shuyu.Errorf(shuyu.EINVALID, "类别只能是 notice 或 case (kind must be notice or case)")
		}
		return s.db.PortalPosts(ctx, kind, 200)
	}))
	s.handle("GET", "/api/v1/public/posts/{id}", onObject(nobody, func(ctx context.Context, _ *shuyu.Actor, id int64) (*shuyu.PortalPost, error) {
		return s.db.PortalPost(ctx, id)
	}))
	s.handle("GET", "/api/v1/public/products/{id}", onObject(nobody, func(ctx context.Context, _ *shuyu.Actor, id int64) (*sqlstore.PublicProductDetail, error) {
		return s.db.PublicProduct(ctx, id)
	}))
	s.handle("POST", "/api/v1/portal/posts", create(s.actor, s.db.PublishPortalPost))
	s.handle("POST", "/api/v1/portal/posts/{id}/withdraw", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in portalWithdraw) (*struct{}, error) {
		return nil, s.db.WithdrawPortalPost(ctx, a, id, in.Reason)
	}))
	s.portalPages()
	s.applyPages()
}

// portalWithdraw is the body of a withdrawal: why, for the trail.
type portalWithdraw struct {
	Reason string `json:"reason"`
}
