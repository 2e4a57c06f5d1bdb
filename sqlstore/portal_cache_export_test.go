package sqlstore

import "context"

// PortalStatsFresh computes the portal figures without the cache (tests
// and the benchmark's baseline).
func PortalStatsFresh(ctx context.Context, d *DB) (*PortalStats, error) {
	return d.portalStatsFresh(ctx)
}
