package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"shuyu"
)

const pullRunCols = `id, source_id, entry_id, job_id, trigger_kind, attempt, mode, status, error_kind, error_message,
	watermark_from, watermark_to, source_rows, pulled_rows, loaded_rows, version_rows, deleted_rows, source_checksum,
	domain_checksum, reconciled, version, started_at, finished_at`

func scanPullRun(r interface{ Scan(...any) error }) (*PullRun, error) {
	var p PullRun
	var started int64
	var finished sql.NullInt64
	if err := r.Scan(&p.ID, &p.SourceID, &p.EntryID, &p.JobID, &p.Trigger, &p.Attempt, &p.Mode, &p.Status, &p.ErrorKind,
		&p.ErrorMessage, &p.WatermarkFrom, &p.WatermarkTo, &p.SourceRows, &p.PulledRows, &p.LoadedRows, &p.VersionRows,
		&p.DeletedRows, &p.SourceChecksum, &p.DomainChecksum, &p.Reconciled, &p.Version, &started, &finished); err != nil {
		return nil, err
	}
	p.StartedAt, p.FinishedAt = fromMicros(started), fromNullMicros(finished)
	return &p, nil
}

func (tx *Tx) pullRun(id int64) (*PullRun, error) {
	p, err := scanPullRun(tx.queryRow(`SELECT `+pullRunCols+` FROM pull_runs WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("拉取记录")
	}
	return p, err
}

// PullStart is what StartPull opened: the source, its entry, the supply
// job the pull runs as, and the pull's own record.
type PullStart struct {
	Source *PullSource
	Entry  *DomainEntry
	Job    *SupplyJob
	Run    *PullRun
}

// StartPull opens a pull of source id in one transaction: an ordinary
// supply job (source "pull", so the pull goes through the one supply path,
// R10.1) and its pull_runs row. trigger is PullByHand ("run now", needs
// ActPullRun), PullBySchedule or PullByRetry (the system). One pull of a
// source runs at a time.
func (d *DB) StartPull(ctx context.Context, actor *shuyu.Actor, id int64, trigger string) (*PullStart, error) {
	var out PullStart
	err := d.update(ctx, actor, func(tx *Tx) error {
		p, err := tx.pullSource(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActPullRun, p.Resource()); err != nil {
			return err
		}
		if trigger != PullByHand && !p.Enabled {
			return shuyu.Errorf(shuyu.ECONFLICT, "来源已停用 (source disabled)")
		}
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM pull_runs WHERE source_id = ? AND status = ?`, id, PullRunRunning).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "该来源正在拉取 (a pull of this source is running)")
		}
		e, job, err := tx.startSupply(actor, p.EntryID, SupplyInput{Source: "pull", FileName: p.Name, Format: "csv", Size: -1})
		if err != nil {
			return err
		}
		attempt := 1
		if trigger == PullByRetry {
			attempt = p.Failures + 1
		}
		from := ""
		if p.Config.Mode == PullIncremental {
			from = p.Watermark
		}
		rid, err := tx.insert(`INSERT INTO pull_runs (source_id, entry_id, job_id, trigger_kind, attempt, mode, status,
			watermark_from, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, p.EntryID, job.ID, trigger, attempt, p.Config.Mode,
			PullRunRunning, from, micros(tx.now))
		if err != nil {
			return err
		}
		// Any pull that starts answers a pending request (RequestPull).
		if _, err := tx.exec(`UPDATE pull_sources SET requested_at = NULL WHERE id = ?`, id); err != nil {
			return err
		}
		if out.Run, err = tx.pullRun(rid); err != nil {
			return err
		}
		out.Source, out.Entry, out.Job = p, e, job
		return tx.audit(Change{Action: shuyu.AuditPullStart, ObjectType: "pull_run", ObjectID: rid,
			Detail: map[string]any{"source_id": id, "entry_id": p.EntryID, "job_id": job.ID, "trigger": trigger, "mode": p.Config.Mode}})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// FinishPull records a pull whose version is current: the supply job is
// done (mount, quality issues, R11.1), the run keeps its reconciliation,
// and the source moves its watermark and its next run (R10.2) — all in one
// transaction.
func (d *DB) FinishPull(ctx context.Context, actor *shuyu.Actor, runID int64, res SupplyResult, rec PullReconciliation) (*PullRun, error) {
	report, err := json.Marshal(res.Report)
	if err != nil {
		return nil, err
	}
	var out *PullRun
	err = d.update(ctx, actor, func(tx *Tx) error {
		r, err := tx.pullRun(runID)
		if err != nil {
			return err
		}
		if r.Status != PullRunRunning {
			return shuyu.Errorf(shuyu.ECONFLICT, "拉取已结束 (pull already finished)")
		}
		p, err := tx.pullSource(r.SourceID)
		if err != nil {
			return err
		}
		if _, err := tx.finishSupply(r.JobID, res, string(report)); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE pull_runs SET status = ?, watermark_to = ?, source_rows = ?, pulled_rows = ?, loaded_rows = ?,
			version_rows = ?, deleted_rows = ?, source_checksum = ?, domain_checksum = ?, reconciled = ?, version = ?, finished_at = ?
			WHERE id = ?`, PullRunDone, rec.WatermarkTo, rec.SourceRows, rec.PulledRows, rec.LoadedRows, rec.VersionRows,
			rec.DeletedRows, hex.EncodeToString(rec.SourceChecksum), hex.EncodeToString(rec.DomainChecksum), rec.Reconciled(),
			res.Version, micros(tx.now), runID); err != nil {
			return err
		}
		wm := p.Watermark
		if p.Config.Mode == PullIncremental && rec.WatermarkTo != "" {
			wm = rec.WatermarkTo
		}
		now := tx.now
		var next any
		if t, ok := NextPull(p.UpdateFreq, p.Window(), &now, tx.now); ok && p.Enabled {
			next = micros(t)
		}
		if _, err := tx.exec(`UPDATE pull_sources SET status = ?, failures = 0, last_error = '', watermark = ?, last_run_at = ?,
			next_run_at = ? WHERE id = ?`, PullStatusOK, wm, micros(tx.now), next, p.ID); err != nil {
			return err
		}
		if out, err = tx.pullRun(runID); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditPullDone, ObjectType: "pull_run", ObjectID: runID,
			Detail: map[string]any{"source_id": p.ID, "version": res.Version, "source_rows": rec.SourceRows,
				"pulled_rows": rec.PulledRows, "version_rows": rec.VersionRows, "deleted_rows": rec.DeletedRows,
				"reconciled": rec.Reconciled()}})
	})
	return out, err
}

// FailPull records a failed pull: the supply job failed (the previous
// version stays current, R10.1), the run keeps the error's kind for the
// department, and the source schedules a retry with backoff while retries
// and its window last; past them (or for a failed retry after the window)
// the source is overdue, audited and notified to the department (R10.2).
// rec holds what was counted before the failure.
func (d *DB) FailPull(ctx context.Context, actor *shuyu.Actor, runID int64, cause error, kind string, rec PullReconciliation) (*PullRun, error) {
	var out *PullRun
	err := d.update(ctx, actor, func(tx *Tx) error {
		r, err := tx.pullRun(runID)
		if err != nil {
			return err
		}
		if r.Status != PullRunRunning {
			return shuyu.Errorf(shuyu.ECONFLICT, "拉取已结束 (pull already finished)")
		}
		p, err := tx.pullSource(r.SourceID)
		if err != nil {
			return err
		}
		if _, err := tx.failSupply(r.JobID, cause); err != nil {
			return err
		}
		msg := shuyu.ErrorMessage(cause)
		if _, err := tx.exec(`UPDATE pull_runs SET status = ?, error_kind = ?, error_message = ?, source_rows = ?, pulled_rows = ?,
			source_checksum = ?, domain_checksum = ?, finished_at = ? WHERE id = ?`, PullRunFailed, kind, msg, rec.SourceRows,
			rec.PulledRows, hex.EncodeToString(rec.SourceChecksum), hex.EncodeToString(rec.DomainChecksum), micros(tx.now), runID); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditPullFailed, ObjectType: "pull_run", ObjectID: runID,
			Detail: map[string]any{"source_id": p.ID, "kind": kind, "code": shuyu.ErrorCode(cause), "trigger": r.Trigger}}); err != nil {
			return err
		}
		failures := p.Failures + 1
		status, next := PullStatusFailing, p.NextRunAt
		w := p.Window()
		retryAt := tx.now.Add(pullBackoff(failures))
		switch {
		case r.Trigger == PullByHand:
			// "run now" failed: the department saw it; the schedule stands.
		case failures <= PullRetries && (p.UpdateFreq == "realtime" || w.Contains(retryAt)):
			next = &retryAt
		default:
			status = PullStatusOverdue
			if t, ok := NextPull(p.UpdateFreq, w, p.LastRunAt, tx.now.Add(time.Minute)); ok {
				next = &t
			}
		}
		var nextV any
		if next != nil && p.Enabled {
			nextV = micros(*next)
		}
		if _, err := tx.exec(`UPDATE pull_sources SET status = ?, failures = ?, last_error = ?, next_run_at = ? WHERE id = ?`,
			status, failures, msg, nextV, p.ID); err != nil {
			return err
		}
		if status == PullStatusOverdue {
			if err := tx.pullOverdue(p, "scheduled pull failed"); err != nil {
				return err
			}
		}
		out, err = tx.pullRun(runID)
		return err
	})
	return out, err
}

// pullOverdue audits that a source's entry is overdue and tells the
// department (R10.2).
func (tx *Tx) pullOverdue(p *PullSource, why string) error {
	if err := tx.audit(Change{Action: shuyu.AuditPullOverdue, ObjectType: "pull_source", ObjectID: p.ID,
		Detail: map[string]any{"entry_id": p.EntryID, "reason": why}}); err != nil {
		return err
	}
	return tx.domainNotify(domainNotice{Orgs: []int64{p.OrgID}, Kind: "pull.overdue",
		Subject: fmt.Sprintf("目录 %s 的定时拉取未成功，数据已逾期未更新", p.EntryCode),
		Object:  "pull_source", ID: p.ID, Link: fmt.Sprintf("/domain/entries/%d/pulls", p.EntryID)})
}

// DuePulls lists the sources with no pull running whose time has come:
// enabled ones whose next run has come, inside their window (real-time
// entries: any time), and those with a pending request (RequestPull: any
// time, enabled or not, for an hour).
func (d *DB) DuePulls(ctx context.Context) ([]*PullSource, error) {
	now := d.now()
	all, err := d.pullSourcesWhere(ctx, `((p.enabled = ? AND p.next_run_at IS NOT NULL AND p.next_run_at <= ?) OR p.requested_at > ?)
		AND NOT EXISTS (SELECT 1 FROM pull_runs x WHERE x.source_id = p.id AND x.status = ?)`, true, micros(now),
		micros(now.Add(-PullRequestLapse)), PullRunRunning)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, p := range all {
		if p.Requested(now) || p.UpdateFreq == "realtime" || p.Window().Contains(now) {
			out = append(out, p)
		}
	}
	return out, nil
}

// sweepPulls marks overdue the sources whose scheduled pull did not run in
// its window (the server was down, the queue never reached it): audited,
// the department notified, and the next window scheduled (R10.2). Run by
// Sweep; a conditional UPDATE makes it exactly-once across servers.
func (d *DB) sweepPulls(ctx context.Context) (int, error) {
	now := d.now()
	cands, err := d.pullSourcesWhere(ctx, `p.enabled = ? AND p.next_run_at IS NOT NULL AND p.next_run_at < ?
		AND NOT EXISTS (SELECT 1 FROM pull_runs x WHERE x.source_id = p.id AND x.status = ?)`, true, micros(now), PullRunRunning)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range cands {
		w := p.Window()
		missed := now.After(w.endOf(*p.NextRunAt))
		if p.UpdateFreq == "realtime" {
			missed = now.After(p.NextRunAt.Add(time.Hour))
		}
		if !missed {
			continue
		}
		err := d.update(ctx, shuyu.System, func(tx *Tx) error {
			next, ok := NextPull(p.UpdateFreq, w, nil, tx.now)
			var nextV any
			if ok {
				nextV = micros(next)
			}
			res, err := tx.exec(`UPDATE pull_sources SET status = ?, next_run_at = ? WHERE id = ? AND next_run_at = ?`,
				PullStatusOverdue, nextV, p.ID, micros(*p.NextRunAt))
			if err != nil {
				return err
			}
			if c, _ := res.RowsAffected(); c == 0 {
				return errSweepNothing
			}
			return tx.pullOverdue(p, "scheduled pull did not run in its window")
		})
		if errors.Is(err, errSweepNothing) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// RecoverPulls fails the pulls a crash interrupted (their supply jobs are
// failed by RecoverSupplyJobs; the vault dropped their half-built tables,
// so the previous version is current). Run at start-up, before serving.
func (d *DB) RecoverPulls(ctx context.Context) (int, error) {
	var n int
	err := d.view(ctx, func(tx *Tx) error {
		return tx.queryRow(`SELECT count(*) FROM pull_runs WHERE status = ?`, PullRunRunning).Scan(&n)
	})
	if err != nil || n == 0 {
		return 0, err
	}
	err = d.update(ctx, shuyu.System, func(tx *Tx) error {
		msg := "平台重启，拉取中断，上一版本保持不变 (interrupted by a restart; previous version kept)"
		if _, err := tx.exec(`UPDATE pull_sources SET status = ?, failures = failures + 1, last_error = ?
			WHERE id IN (SELECT source_id FROM pull_runs WHERE status = ?)`, PullStatusFailing, msg, PullRunRunning); err != nil {
			return err
		}
		res, err := tx.exec(`UPDATE pull_runs SET status = ?, error_kind = ?, error_message = ?, finished_at = ? WHERE status = ?`,
			PullRunFailed, PullErrInternal, msg, micros(tx.now), PullRunRunning)
		if err != nil {
			return err
		}
		c, _ := res.RowsAffected()
		n = int(c)
		return tx.audit(Change{Action: shuyu.AuditPullRecovered, ObjectType: "pull_run", ObjectID: "*", Detail: map[string]any{"failed": n}})
	})
	return n, err
}

// PullRuns lists a source's pulls, newest first.
func (d *DB) PullRuns(ctx context.Context, actor *shuyu.Actor, sourceID int64, limit int) ([]*PullRun, error) {
	if _, err := d.PullSource(ctx, actor, sourceID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	out := []*PullRun{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT `+pullRunCols+` FROM pull_runs WHERE source_id = ? ORDER BY id DESC LIMIT ?`, sourceID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanPullRun(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// PullRunByJob returns the pull a supply job belongs to (the job page
// shows it), or ENOTFOUND for a job that is not a pull.
func (d *DB) PullRunByJob(ctx context.Context, actor *shuyu.Actor, jobID int64) (*PullRun, error) {
	if _, err := d.SupplyJob(ctx, actor, jobID); err != nil {
		return nil, err
	}
	var out *PullRun
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = scanPullRun(tx.queryRow(`SELECT `+pullRunCols+` FROM pull_runs WHERE job_id = ?`, jobID))
		if isNoRows(err) {
			return notFound("拉取记录")
		}
		return err
	})
	return out, err
}
