package sqlstore

import (
	"context"
	"time"

	"shuyu"
)

// PullRequestLapse is how long a request to pull now (RequestPull) waits
// for the domain owner: one not started by then lapses, so a source whose
// pull cannot start (its supply suspended, say) is not retried forever.
const PullRequestLapse = time.Hour

// Requested reports whether a request to pull the source now is pending.
func (p *PullSource) Requested(now time.Time) bool {
	return p.RequestedAt != nil && p.RequestedAt.After(now.Add(-PullRequestLapse))
}

// RequestPull asks the domain owner to pull source id now (issue 18: "run
// now" from the command line, where the domain is not at hand): its minute
// loop (supply.Service.RunDuePulls) starts the pull as a manual one,
// outside the source's window. It needs the right to run the source,
// refuses while a pull of it runs, and is audited.
func (d *DB) RequestPull(ctx context.Context, actor *shuyu.Actor, id int64) (*PullSource, error) {
	var out *PullSource
	err := d.update(ctx, actor, func(tx *Tx) error {
		p, err := tx.pullSource(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActPullRun, p.Resource()); err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM pull_runs WHERE source_id = ? AND status = ?`, id, PullRunRunning).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "该来源正在拉取 (a pull of this source is running)")
		}
		if _, err := tx.exec(`UPDATE pull_sources SET requested_at = ? WHERE id = ?`, micros(tx.now), id); err != nil {
			return err
		}
		if out, err = tx.pullSource(id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditPullRequest, ObjectType: "pull_source", ObjectID: id,
			Detail: map[string]any{"entry_id": p.EntryID}})
	})
	return out, err
}

// AllPullSources lists every source the actor may read, by entry code
// (the command line's overview; no secrets).
func (d *DB) AllPullSources(ctx context.Context, actor *shuyu.Actor) ([]*PullSource, error) {
	all, err := d.pullSourcesWhere(ctx, `1 = 1`)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, p := range all {
		if shuyu.Can(actor, shuyu.ActPullRead, p.Resource()) {
			out = append(out, p)
		}
	}
	return out, nil
}
