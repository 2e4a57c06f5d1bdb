package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"shuyu"
)

// SweepReport says what one sweep did.
type SweepReport struct {
	Deemed       int           `json:"deemed"`        // reviews deemed approved (R21.3)
	Approved     int           `json:"approved"`      // applications approved as a result
	Expired      int           `json:"expired"`       // agreements that reached the end of their term (R34.1)
	Registry     RegistrySweep `json:"registry"`      // registrations coded, reminded, lapsed (NREG.7, NREG.8)
	PullsOverdue int           `json:"pulls_overdue"` // scheduled pulls that did not run in their window (R10.2)
	Disclosure   int           `json:"disclosure"`    // annual disclosure reminders sent (NDIS.1)
	Transactions int           `json:"transactions"`  // write transactions committed
	Took         time.Duration `json:"took_duration"` // wall time
}

// sweepBatch bounds one transaction: long enough to amortize the commit
// (an fsync on SQLite), short enough not to hold the writers' lock long.
const sweepBatch = 500

// errSweepNothing ends a write transaction that found nothing left to do
// (another sweeper got there first); it is not a failure.
var errSweepNothing = errors.New("sweep: nothing to do")

// Sweep performs what the clock alone decides: deemed approvals of reviews
// past their deadline (R21.3) and the expiry of agreements past their term
// (R34.1). It is idempotent, and exactly-once across processes sharing
// one database: every write transaction first locks the audit head (so
// writers run one at a time), then re-selects what is still due and moves
// each row with a conditional UPDATE … WHERE status = 'open', so a row
// another sweeper already moved is skipped. `shuyu serve` calls it at
// start-up and every minute (cmd/shuyu/serve.go, Main.background).
func (d *DB) Sweep(ctx context.Context) (SweepReport, error) {
	start := time.Now()
	var rep SweepReport
	for {
		n, err := d.sweepCount(ctx, `SELECT count(*) FROM reviews WHERE status = ? AND due_at < ?`, shuyu.ReviewOpen)
		if err != nil || n == 0 {
			if err != nil {
				return rep, err
			}
			break
		}
		deemed, approved, err := d.sweepReviews(ctx)
		if errors.Is(err, errSweepNothing) {
			break
		}
		if err != nil {
			return rep, err
		}
		rep.Deemed += deemed
		rep.Approved += approved
		rep.Transactions++
	}
	for {
		n, err := d.sweepCount(ctx, `SELECT count(*) FROM agreements WHERE status = ? AND end_at < ?`, shuyu.AgrEffective)
		if err != nil || n == 0 {
			if err != nil {
				return rep, err
			}
			break
		}
		expired, err := d.sweepAgreements(ctx)
		if errors.Is(err, errSweepNothing) {
			break
		}
		if err != nil {
			return rep, err
		}
		rep.Expired += expired
		rep.Transactions++
	}
	n, err := d.sweepPulls(ctx)
	rep.PullsOverdue = n
	if err != nil {
		return rep, err
	}
	reg, err := d.sweepRegistry(ctx)
	if err != nil {
		return rep, err
	}
	rep.Registry = reg
	if reg != (RegistrySweep{}) {
		rep.Transactions++
	}
	if rep.Registry.FirstReminded, err = d.sweepRegistryDue(ctx); err != nil {
		return rep, err
	}
	if rep.Registry.FirstReminded > 0 {
		rep.Transactions++
	}
	if rep.Disclosure, err = d.sweepDisclosure(ctx); err != nil {
		return rep, err
	}
	if rep.Disclosure > 0 {
		rep.Transactions++
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// sweepCount is the cheap read that lets an idle sweep take no write lock.
func (d *DB) sweepCount(ctx context.Context, q, status string) (int, error) {
	var n int
	err := d.view(ctx, func(tx *Tx) error {
		return tx.queryRow(q, status, micros(tx.now)).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("sqlstore: sweep: %w", err)
	}
	return n, nil
}

type sweepRow struct {
	id, app int64
	round   int
	ext     int
	opened  int64
	org     int64
}

func (d *DB) sweepReviews(ctx context.Context) (deemed, approved int, err error) {
	err = d.update(ctx, shuyu.System, func(tx *Tx) error {
		deemed, approved = 0, 0
		rows, err := tx.query(`SELECT id, application_id, round, ext_days, opened_at, org_id FROM reviews
			WHERE status = ? AND due_at < ? ORDER BY due_at, id LIMIT ?`, shuyu.ReviewOpen, micros(tx.now), sweepBatch)
		if err != nil {
			return err
		}
		var due []sweepRow
		for rows.Next() {
			var r sweepRow
			if err := rows.Scan(&r.id, &r.app, &r.round, &r.ext, &r.opened, &r.org); err != nil {
				rows.Close()
				return err
			}
			due = append(due, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		type appRound struct {
			app   int64
			round int
		}
		var touched []appRound
		seen := map[appRound]bool{}
		for _, r := range due {
			rule := shuyu.RuleDeemed
			if r.ext > 0 {
				rule = shuyu.RuleDeemedExtended
			}
			dur := micros(tx.now) - r.opened
			res, err := tx.exec(`UPDATE reviews SET status = ?, decided_at = ?, decided_by = 0, rule = ?, duration_us = ?
				WHERE id = ? AND status = ? AND due_at < ?`, shuyu.ReviewDeemed, micros(tx.now), rule, dur, r.id,
				shuyu.ReviewOpen, micros(tx.now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				continue
			}
			deemed++
			if err := tx.audit(Change{Action: shuyu.AuditReviewDeem, ObjectType: "review", ObjectID: r.id, Reason: rule,
				Detail: map[string]any{"application_id": r.app, "round": r.round, "org_id": r.org}}); err != nil {
				return err
			}
			if err := tx.notify(Notice{OrgID: r.org, Kind: "review.deemed_approved",
				Title:      "审核期限已过且未申请延期，依规视为同意 (R21.3)",
				ObjectType: "application", ObjectID: fmt.Sprint(r.app), Link: appLink(r.app)}); err != nil {
				return err
			}
			k := appRound{r.app, r.round}
			if !seen[k] {
				seen[k] = true
				touched = append(touched, k)
			}
		}
		if deemed == 0 {
			return errSweepNothing
		}
		for _, k := range touched {
			before, err := tx.appHead(k.app)
			if err != nil {
				return err
			}
			if err := tx.settle(k.app, k.round); err != nil {
				return err
			}
			after, err := tx.appHead(k.app)
			if err != nil {
				return err
			}
			if before.status != after.status && after.status == shuyu.AppApproved {
				approved++
			}
		}
		return nil
	})
	return deemed, approved, err
}

func (d *DB) sweepAgreements(ctx context.Context) (int, error) {
	expired := 0
	err := d.update(ctx, shuyu.System, func(tx *Tx) error {
		expired = 0
		rows, err := tx.query(`SELECT id FROM agreements WHERE status = ? AND end_at < ? ORDER BY end_at, id LIMIT ?`,
			shuyu.AgrEffective, micros(tx.now), sweepBatch)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			if err := tx.agreementEnd(id, "expire", "R34.1 协议期限届满 (term ended)"); err != nil {
				return err
			}
			expired++
		}
		if expired == 0 {
			return errSweepNothing
		}
		return nil
	})
	return expired, err
}
