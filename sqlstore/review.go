package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"shuyu"
)

const reviewCols = `v.id, v.application_id, v.round, v.kind, v.org_id, o.name, v.status, v.opened_at, v.due_at, v.ext_days,
	v.ext_reason, v.ext_at, v.decided_at, v.decided_by, v.reason, v.rule, v.duration_us`

func (tx *Tx) scanReview(row interface{ Scan(...any) error }) (*shuyu.Review, error) {
	var r shuyu.Review
	var opened, due int64
	var extAt, decAt, decBy, dur sql.NullInt64
	if err := row.Scan(&r.ID, &r.ApplicationID, &r.Round, &r.Kind, &r.OrgID, &r.OrgName, &r.Status, &opened, &due,
		&r.ExtensionDays, &r.ExtensionWhy, &extAt, &decAt, &decBy, &r.Reason, &r.Rule, &dur); err != nil {
		return nil, err
	}
	r.OpenedAt = fromMicros(opened)
	r.Deadline = tx.deadline(fromMicros(due))
	if r.Status != shuyu.ReviewOpen {
		r.Deadline.Overdue, r.Deadline.WorkdaysLeft = false, 0
	}
	r.ExtendedAt, r.DecidedAt = fromNullMicros(extAt), fromNullMicros(decAt)
	r.DecidedBy = decBy.Int64
	r.DurationSec = dur.Int64 / 1e6
	return &r, nil
}

func (tx *Tx) reviewsOf(appID int64, round int) ([]shuyu.Review, error) {
	rows, err := tx.query(`SELECT `+reviewCols+` FROM reviews v JOIN orgs o ON o.id = v.org_id
		WHERE v.application_id = ? AND v.round = ? ORDER BY v.id`, appID, round)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []shuyu.Review{}
	for rows.Next() {
		r, err := tx.scanReview(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

func (tx *Tx) review(id int64) (*shuyu.Review, error) {
	r, err := tx.scanReview(tx.queryRow(`SELECT `+reviewCols+` FROM reviews v JOIN orgs o ON o.id = v.org_id WHERE v.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("审核")
	}
	return r, err
}

// reviewResource: a review belongs to its reviewer organization.
func reviewResource(r *shuyu.Review) shuyu.Resource {
	return shuyu.Resource{Kind: "review", OrgID: r.OrgID, Exists: true}
}

// DecideReview records a reviewer's approval or rejection (R21.1, R21.2).
// A review is decided once; after its deadline it is no longer the
// reviewer's to decide: silence was approval (R21.3) and the sweeper
// records it.
func (d *DB) DecideReview(ctx context.Context, actor *shuyu.Actor, id int64, dec shuyu.Decision) (*shuyu.Review, error) {
	if err := dec.Validate(); err != nil {
		return nil, err
	}
	event, act := "approve", shuyu.AuditReviewApprove
	if !dec.Approve {
		event, act = "reject", shuyu.AuditReviewReject
	}
	var out *shuyu.Review
	err := d.update(ctx, actor, func(tx *Tx) error {
		r, err := tx.review(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActReviewDecide, reviewResource(r)); err != nil {
			return err
		}
		to, err := shuyu.ReviewMachine.Next(r.Status, event)
		if err != nil {
			return err
		}
		if r.Deadline.Overdue {
			return shuyu.Errorf(shuyu.ECONFLICT, "审核期限（%s）已过，按规定视为同意，不能再作出决定 (deadline passed: deemed approved, R21.3)",
				reviewFmtDue(r.Deadline.Due))
		}
		if err := tx.expertGate(shuyu.CaseApplication, r.ApplicationID); err != nil { // R7.1
			return err
		}
		// R2.1: a state or work secret is never granted, even when it was
		// marked after the application came in.
		if dec.Approve {
			if err := tx.roundSecretRefuse(r.ApplicationID, r.Round, "批准使用"); err != nil {
				return err
			}
		}
		dur := tx.now.Sub(r.OpenedAt).Microseconds()
		res, err := tx.exec(`UPDATE reviews SET status = ?, decided_at = ?, decided_by = ?, reason = ?, duration_us = ?
			WHERE id = ? AND status = ?`, to, micros(tx.now), actor.UserID, strings.TrimSpace(dec.Reason), dur, id, shuyu.ReviewOpen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return shuyu.Errorf(shuyu.ECONFLICT, "该审核已有结论 (already decided)")
		}
		if err := tx.audit(Change{Action: act, ObjectType: "review", ObjectID: id, Reason: dec.Reason,
			Detail: map[string]any{"application_id": r.ApplicationID, "round": r.Round, "kind": r.Kind, "duration_us": dur, "rule": "R21.1"}}); err != nil {
			return err
		}
		if err := tx.reviewAnnounce(r, to, dec.Reason); err != nil {
			return err
		}
		if err := tx.settle(r.ApplicationID, r.Round); err != nil {
			return err
		}
		out, err = tx.review(id)
		return err
	})
	return out, err
}

// reviewAnnounce sends a review's result to the other reviewers and the
// operator, and through the operator to the merchant (R21.1).
func (tx *Tx) reviewAnnounce(r *shuyu.Review, status, reason string) error {
	app, err := tx.appHead(r.ApplicationID)
	if err != nil {
		return err
	}
	var title string
	if err := tx.queryRow(`SELECT title FROM application_rounds WHERE application_id = ? AND round = ?`, r.ApplicationID, r.Round).Scan(&title); err != nil {
		return err
	}
	ops, err := tx.orgsOfKind(shuyu.OrgOperator)
	if err != nil {
		return err
	}
	to := append(append([]int64{app.merchant}, app.parties...), ops...)
	return tx.notifyOrgs(to, Notice{Kind: "review." + status,
		Title:      fmt.Sprintf("%s审核结论：%s（%s）", r.OrgName, shuyu.StatusLabel(status), title),
		Body:       reason,
		ObjectType: "application", ObjectID: fmt.Sprint(r.ApplicationID), Link: appLink(r.ApplicationID)})
}

// ExtendReview files a formal extension request before the deadline
// (R21.3): the deadline moves by the working days asked (at most
// MaxExtensionDays, once).
func (d *DB) ExtendReview(ctx context.Context, actor *shuyu.Actor, id int64, ext shuyu.Extension) (*shuyu.Review, error) {
	if err := ext.Validate(); err != nil {
		return nil, err
	}
	var out *shuyu.Review
	err := d.update(ctx, actor, func(tx *Tx) error {
		r, err := tx.review(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActReviewExtend, reviewResource(r)); err != nil {
			return err
		}
		if r.Status != shuyu.ReviewOpen {
			return shuyu.Errorf(shuyu.ECONFLICT, "该审核已有结论，不能申请延期 (already decided)")
		}
		if r.Deadline.Overdue {
			return shuyu.Errorf(shuyu.ECONFLICT, "延期审核申请须在期限（%s）届满前提出 (extension after the deadline, R21.3)",
				reviewFmtDue(r.Deadline.Due))
		}
		if r.ExtensionDays > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "每项审核只能申请一次延期 (one extension per review)")
		}
		due, err := tx.due(r.Deadline.Due, ext.Days)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE reviews SET due_at = ?, ext_days = ?, ext_reason = ?, ext_at = ?, ext_by = ? WHERE id = ?`,
			micros(due), ext.Days, strings.TrimSpace(ext.Reason), micros(tx.now), actor.UserID, id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditReviewExtend, ObjectType: "review", ObjectID: id, Reason: ext.Reason,
			Detail: map[string]any{"application_id": r.ApplicationID, "days": ext.Days, "from": r.Deadline.Due, "to": due, "rule": "R21.3"}}); err != nil {
			return err
		}
		app, err := tx.appHead(r.ApplicationID)
		if err != nil {
			return err
		}
		ops, err := tx.orgsOfKind(shuyu.OrgOperator)
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(append([]int64{app.merchant}, ops...), Notice{Kind: "review.extended",
			Title:      fmt.Sprintf("%s申请延期审核 %d 个工作日，新期限 %s", r.OrgName, ext.Days, reviewFmtDue(due)),
			Body:       ext.Reason,
			ObjectType: "application", ObjectID: fmt.Sprint(r.ApplicationID), Link: appLink(r.ApplicationID)}); err != nil {
			return err
		}
		out, err = tx.review(id)
		return err
	})
	return out, err
}

// settle decides the application once its round's reviews allow: any
// rejection rejects it (the other reviews close), all approvals (decided
// or deemed) approve it and generate the agreement.
func (tx *Tx) settle(appID int64, round int) error {
	head, err := tx.appHead(appID)
	if err != nil {
		return err
	}
	if head.status != shuyu.AppReviewing || head.round != round {
		return nil
	}
	var open, rejected, total int
	if err := tx.queryRow(`SELECT count(*), COUNT(CASE WHEN status = ? THEN 1 END),
		COUNT(CASE WHEN status = ? THEN 1 END) FROM reviews WHERE application_id = ? AND round = ?`,
		shuyu.ReviewOpen, shuyu.ReviewRejected, appID, round).Scan(&total, &open, &rejected); err != nil {
		return err
	}
	event, act := "", shuyu.AuditAction("")
	switch {
	case rejected > 0:
		event, act = "reject", shuyu.AuditApplicationRejected
	case open == 0 && total > 0:
		event, act = "all_approved", shuyu.AuditApplicationApproved
	default:
		return nil
	}
	to, err := shuyu.ApplicationMachine.Next(head.status, event)
	if err != nil {
		return err
	}
	if err := tx.appSetStatus(appID, round, to, to); err != nil {
		return err
	}
	if _, err := tx.closeOpenReviews(appID, round); err != nil {
		return err
	}
	if err := tx.audit(Change{Action: act, ObjectType: "application", ObjectID: appID,
		Detail: map[string]any{"round": round, "reviews": total, "rule": "R21.1"}}); err != nil {
		return err
	}
	app, err := tx.application(appID, round)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("使用申请已通过：%s", app.Title)
	if to == shuyu.AppRejected {
		title = fmt.Sprintf("使用申请未通过：%s（可修改后重新提交）", app.Title)
	}
	ops, err := tx.orgsOfKind(shuyu.OrgOperator)
	if err != nil {
		return err
	}
	if err := tx.notifyOrgs(append(append([]int64{app.MerchantOrgID}, head.parties...), ops...), Notice{Kind: "application." + to,
		Title: title, ObjectType: "application", ObjectID: fmt.Sprint(appID), Link: appLink(appID)}); err != nil {
		return err
	}
	if to == shuyu.AppApproved {
		return tx.generateAgreement(app)
	}
	return nil
}

// closeOpenReviews closes the open reviews of a round (no decision is
// needed any more) and returns their organizations.
func (tx *Tx) closeOpenReviews(appID int64, round int) ([]int64, error) {
	rows, err := tx.query(`SELECT org_id FROM reviews WHERE application_id = ? AND round = ? AND status = ?`, appID, round, shuyu.ReviewOpen)
	if err != nil {
		return nil, err
	}
	var orgs []int64
	for rows.Next() {
		var o int64
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return nil, err
		}
		orgs = append(orgs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	_, err = tx.exec(`UPDATE reviews SET status = ?, decided_at = ? WHERE application_id = ? AND round = ? AND status = ?`,
		shuyu.ReviewClosed, micros(tx.now), appID, round, shuyu.ReviewOpen)
	return orgs, err
}

// ReviewTask is an open review in a reviewer's queue.
type ReviewTask struct {
	shuyu.Review
	Title    string `json:"title"`
	Merchant string `json:"merchant"`
}

// ReviewQueue lists the open reviews of the actor's organization, the
// nearest deadline first.
func (d *DB) ReviewQueue(ctx context.Context, actor *shuyu.Actor) ([]ReviewTask, error) {
	if err := shuyu.Authorize(actor, shuyu.ActReviewDecide, shuyu.Resource{Kind: "review"}); err != nil {
		return nil, err
	}
	var out []ReviewTask
	err := d.view(ctx, func(tx *Tx) error {
		if err := tx.calendarRefresh(); err != nil {
			return err
		}
		rows, err := tx.query(`SELECT `+reviewCols+`, r.title, m.name FROM reviews v JOIN orgs o ON o.id = v.org_id
			JOIN application_rounds r ON r.application_id = v.application_id AND r.round = v.round
			JOIN applications a ON a.id = v.application_id JOIN orgs m ON m.id = a.merchant_org_id
			WHERE v.org_id = ? AND v.status = ? ORDER BY v.due_at, v.id LIMIT 500`, actor.OrgID, shuyu.ReviewOpen)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t ReviewTask
			var opened, due int64
			var extAt, decAt, decBy, dur sql.NullInt64
			r := &t.Review
			if err := rows.Scan(&r.ID, &r.ApplicationID, &r.Round, &r.Kind, &r.OrgID, &r.OrgName, &r.Status, &opened, &due,
				&r.ExtensionDays, &r.ExtensionWhy, &extAt, &decAt, &decBy, &r.Reason, &r.Rule, &dur, &t.Title, &t.Merchant); err != nil {
				return err
			}
			r.OpenedAt, r.Deadline, r.ExtendedAt = fromMicros(opened), tx.deadline(fromMicros(due)), fromNullMicros(extAt)
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// ReviewerStats is one reviewer organization's record (R22.1, and the
// timeliness the authority reports under R31.1).
type ReviewerStats struct {
	OrgID       int64   `json:"org_id"`
	OrgName     string  `json:"org_name"`
	Decided     int     `json:"decided"`
	Deemed      int     `json:"deemed"`
	Extended    int     `json:"extended"`
	Open        int     `json:"open"`
	AvgHours    float64 `json:"avg_hours"` // mean time to decide, decided reviews only
	MaxHours    float64 `json:"max_hours"`
	SinceMicros int64   `json:"-"`
}

// ReviewStats returns review durations per reviewer organization.
func (d *DB) ReviewStats(ctx context.Context, actor *shuyu.Actor) ([]ReviewerStats, error) {
	if err := shuyu.Authorize(actor, shuyu.ActReviewStats, shuyu.Resource{Kind: "review"}); err != nil {
		return nil, err
	}
	var out []ReviewerStats
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT v.org_id, o.name,
			COUNT(CASE WHEN v.status IN (?, ?) THEN 1 END),
			COUNT(CASE WHEN v.status = ? THEN 1 END),
			COUNT(CASE WHEN v.ext_days > 0 THEN 1 END),
			COUNT(CASE WHEN v.status = ? THEN 1 END),
			COALESCE(CAST(AVG(CASE WHEN v.status IN (?, ?) THEN v.duration_us END) AS DOUBLE PRECISION), 0),
			COALESCE(MAX(CASE WHEN v.status IN (?, ?) THEN v.duration_us END), 0)
			FROM reviews v JOIN orgs o ON o.id = v.org_id GROUP BY v.org_id, o.name ORDER BY v.org_id`,
			shuyu.ReviewApproved, shuyu.ReviewRejected, shuyu.ReviewDeemed, shuyu.ReviewOpen,
			shuyu.ReviewApproved, shuyu.ReviewRejected, shuyu.ReviewApproved, shuyu.ReviewRejected)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s ReviewerStats
			var avg float64
			var mx int64
			if err := rows.Scan(&s.OrgID, &s.OrgName, &s.Decided, &s.Deemed, &s.Extended, &s.Open, &avg, &mx); err != nil {
				return err
			}
			s.AvgHours = avg / float64(time.Hour.Microseconds())
			s.MaxHours = float64(mx) / float64(time.Hour.Microseconds())
			out = append(out, s)
		}
		return rows.Err()
	})
	return out, err
}
