package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// portalCache keeps the portal's headline figures for one state of the
// store. Every state change is audited in its own transaction (invariant
// 1), and audit writers take the audit head row's lock until they commit,
// so the head's sequence number moves exactly when something the figures
// count may have changed, in commit order. A read costs one single-row
// lookup (audit_head) while nothing changed; the month the figures end
// with is part of the key too, so a new month recomputes them. The figures
// are recomputed after any change at all (a login too); that is cheap next
// to the anonymous reads the cache saves (the public front page).
type portalCache struct {
	mu    sync.Mutex
	seq   int64
	month string
	st    *PortalStats
}

// PortalStats are the portal's figures, computed afresh only when the
// store has changed since the last computation (portalCache). Callers get
// their own copy.
func (d *DB) PortalStats(ctx context.Context) (*PortalStats, error) {
	var seq int64
	if err := d.db.QueryRowContext(ctx, `SELECT seq FROM audit_head WHERE id = 1`).Scan(&seq); err != nil {
		return nil, fmt.Errorf("sqlstore: portal stats: %w", err)
	}
	month := d.now().In(reviewCST).Format("2006-01")
	c := d.portal
	c.mu.Lock()
	if c.st != nil && c.seq == seq && c.month == month {
		st := c.st.clone()
		c.mu.Unlock()
		return st, nil
	}
	c.mu.Unlock()
	st, err := d.portalStatsFresh(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	// Figures computed at or after seq's state are kept under seq; a
	// newer key never gives way to an older one.
	if seq >= c.seq {
		c.seq, c.month, c.st = seq, month, st.clone()
	}
	c.mu.Unlock()
	return st, nil
}

func (p *PortalStats) clone() *PortalStats {
	c := *p
	c.ByDept, c.ByCategory = slices.Clone(p.ByDept), slices.Clone(p.ByCategory)
	c.ByGrade, c.Months = slices.Clone(p.ByGrade), slices.Clone(p.Months)
	return &c
}
