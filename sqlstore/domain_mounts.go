package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"shuyu"
)

// MountStatus is the mounting view of one published entry (挂接, R10.2):
// whether data is mounted, its current version, rows and last update, and
// whether the update frequency says it is overdue. These feed the notice
// on departments (R31.1).
type MountStatus struct {
	EntryID      int64      `json:"entry_id"`
	Code         string     `json:"code"`
	Name         string     `json:"name"`
	OrgID        int64      `json:"org_id"`
	OrgName      string     `json:"org_name"`
	Region       string     `json:"region"`
	UpdateFreq   string     `json:"update_freq"`
	VaultName    string     `json:"vault_name"`
	Mounted      bool       `json:"mounted"`
	Version      int        `json:"version"`
	Rows         int64      `json:"rows"`
	Quality      float64    `json:"quality"`
	LoadedAt     *time.Time `json:"loaded_at,omitempty"`
	NextDue      *time.Time `json:"next_due,omitempty"` // when the next update is due
	Overdue      bool       `json:"overdue"`
	Suspended    bool       `json:"suspended"`
	PublicSource bool       `json:"public_source"`
	NonPublic    bool       `json:"non_public"`
	OpenIssues   int        `json:"open_issues"`
}

// Resource is the entry as the policy sees it.
func (m *MountStatus) Resource() shuyu.Resource {
	return shuyu.Resource{Kind: "domain_entry", OrgID: m.OrgID, Region: m.Region, Exists: true}
}

// nextUpdate is when data loaded at last is due again under freq; ok is
// false for irregular updates (never overdue). realtime data is expected at
// least daily.
func nextUpdate(freq string, last time.Time) (time.Time, bool) {
	switch freq {
	case "realtime", "daily":
		return last.AddDate(0, 0, 1), true
	case "weekly":
		return last.AddDate(0, 0, 7), true
	case "monthly":
		return last.AddDate(0, 1, 0), true
	case "quarterly":
		return last.AddDate(0, 3, 0), true
	case "yearly":
		return last.AddDate(1, 0, 0), true
	}
	return time.Time{}, false
}

// Mounts lists the mounting status of every published entry the actor may
// read (R10.2), ordered by code.
func (d *DB) Mounts(ctx context.Context, actor *shuyu.Actor) ([]*MountStatus, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDomainRead, shuyu.Resource{Kind: "domain_entry"}); err != nil {
		return nil, err
	}
	return d.mounts(ctx, actor, 0)
}

// Mount returns one entry's mounting status.
func (d *DB) Mount(ctx context.Context, actor *shuyu.Actor, entryID int64) (*MountStatus, error) {
	if _, err := d.domainEntryFor(ctx, actor, shuyu.ActDomainRead, entryID); err != nil {
		return nil, err
	}
	ms, err := d.mounts(ctx, actor, entryID)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "目录尚未发布 (entry not published)")
	}
	return ms[0], nil
}

func (d *DB) mounts(ctx context.Context, actor *shuyu.Actor, only int64) ([]*MountStatus, error) {
	out := []*MountStatus{}
	err := d.view(ctx, func(tx *Tx) error {
		q := `SELECT e.id, e.code, r.name, e.org_id, o.name, e.region, r.update_freq, coalesce(m.vault_name, ''),
			coalesce(m.version, 0), coalesce(m.rows_count, 0), coalesce(m.quality, 0), m.loaded_at, m.public_source, m.non_public,
			(SELECT count(*) FROM domain_issues q WHERE q.entry_id = e.id AND q.status IN ('open', 'answered')),
			(SELECT count(*) FROM pull_sources s WHERE s.entry_id = e.id AND s.enabled = ? AND s.status = ?)
			FROM catalog_entries e JOIN catalog_revisions r ON r.id = e.published_rev_id JOIN orgs o ON o.id = e.org_id
			LEFT JOIN domain_mounts m ON m.entry_id = e.id`
		args := []any{true, PullStatusOverdue}
		if only != 0 {
			q += ` WHERE e.id = ?`
			args = append(args, only)
		}
		rows, err := tx.query(q+` ORDER BY e.code`, args...)
		if err != nil {
			return err
		}
		var all []*MountStatus
		for rows.Next() {
			var m MountStatus
			var loaded sql.NullInt64
			var ps, np *bool
			var pullsOverdue int
			if err := rows.Scan(&m.EntryID, &m.Code, &m.Name, &m.OrgID, &m.OrgName, &m.Region, &m.UpdateFreq, &m.VaultName,
				&m.Version, &m.Rows, &m.Quality, &loaded, &ps, &np, &m.OpenIssues, &pullsOverdue); err != nil {
				rows.Close()
				return err
			}
			if m.VaultName == "" {
				m.VaultName = VaultName(m.Code)
			}
			m.PublicSource, m.NonPublic = ps != nil && *ps, np != nil && *np
			m.Mounted, m.LoadedAt = m.Version > 0, fromNullMicros(loaded)
			if m.LoadedAt != nil {
				if next, ok := nextUpdate(m.UpdateFreq, *m.LoadedAt); ok {
					m.NextDue, m.Overdue = &next, tx.now.After(next)
				}
			} else {
				m.Overdue = m.UpdateFreq != "irregular" // published but never supplied
			}
			// A scheduled pull of the entry that failed for good or did not
			// run in its window makes the entry overdue at once, whatever
			// its last version's age says (issue 18, R10.2).
			m.Overdue = m.Overdue || pullsOverdue > 0
			if shuyu.Can(actor, shuyu.ActDomainRead, m.Resource()) {
				all = append(all, &m)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, m := range all {
			if m.Suspended, err = tx.domainSuspended(m.EntryID); err != nil {
				return err
			}
		}
		out = append(out, all...)
		return nil
	})
	return out, err
}
