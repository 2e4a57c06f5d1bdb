package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"shuyu"
)

// CheckApplication records the operator's compliance check (R17.1,
// R20.2). The result goes to the source departments, the authority and the
// merchant; a pass opens the reviews (R21.1), a failure returns the
// application with reasons.
func (d *DB) CheckApplication(ctx context.Context, actor *shuyu.Actor, id int64, res shuyu.CheckResult) (*shuyu.Application, error) {
	if err := shuyu.Authorize(actor, shuyu.ActApplicationCheck, shuyu.Resource{Kind: "application"}); err != nil {
		return nil, err
	}
	if err := res.Validate(); err != nil {
		return nil, err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		head, err := tx.appHead(id)
		if err != nil {
			return err
		}
		if err := tx.expertGate(shuyu.CaseApplication, id); err != nil { // R7.1
			return err
		}
		if _, err := shuyu.ApplicationMachine.Next(head.status, "pass"); err != nil { // not being checked
			return err
		}
		// R17.1, R20.3: once a 核查规范 is approved, the check is its
		// checklist, graded against the records; the conclusion follows it.
		cl, err := tx.recordChecklist(actor, shuyu.ChecklistApplication, id, head.round, res.Checklist)
		if err != nil {
			return err
		}
		detail := map[string]any{}
		if cl != nil {
			if res.Pass != cl.Passed {
				return shuyu.Errorf(shuyu.EINVALID, "核查结论与核查清单不一致：清单%s (conclusion contradicts the checklist)",
					map[bool]string{true: "各项均符合", false: "有不符合项"}[cl.Passed]).WithDetails([]shuyu.FieldError{{Field: "pass", Message: "结论须与清单一致"}})
			}
			if !cl.Passed && len([]rune(strings.TrimSpace(res.Reason))) < 4 {
				res.Reason = shuyu.ChecklistFailures(cl.Items, cl.Answers)
			}
			detail["checklist_id"], detail["checklist_version"] = cl.ID, cl.Version
		}
		event := "pass"
		if !res.Pass {
			event = "fail"
		}
		to, err := shuyu.ApplicationMachine.Next(head.status, event)
		if err != nil {
			return err
		}
		app, err := tx.application(id, head.round)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE application_rounds SET checked_at = ?, checked_by = ?, check_passed = ?, check_reason = ?
			WHERE application_id = ? AND round = ?`, micros(tx.now), actor.UserID, res.Pass, res.Reason, id, head.round); err != nil {
			return err
		}
		outcome := ""
		if !res.Pass {
			outcome = shuyu.AppReturned
		}
		if err := tx.appSetStatus(id, head.round, to, outcome); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditApplicationCheck, ObjectType: "application", ObjectID: id, Reason: res.Reason,
			Detail: mergeDetail(detail, map[string]any{"round": head.round, "pass": res.Pass, "overdue": app.Check.Deadline.Overdue, "rule": "R20.2"})}); err != nil {
			return err
		}
		// R20.2: the result goes to the source departments and the authority.
		to2 := []int64{app.MerchantOrgID}
		for _, it := range app.Items {
			to2 = append(to2, it.OrgID)
		}
		auth, err := tx.orgsOfKind(shuyu.OrgAuthority)
		if err != nil {
			return err
		}
		title := fmt.Sprintf("合规核查通过：%s（第 %d 轮），进入审核", app.Title, head.round)
		if !res.Pass {
			title = fmt.Sprintf("合规核查未通过，申请已退回：%s（第 %d 轮）", app.Title, head.round)
		}
		if err := tx.notifyOrgs(append(to2, auth...), Notice{Kind: "application.checked", Title: title, Body: res.Reason,
			ObjectType: "application", ObjectID: fmt.Sprint(id), Link: appLink(id)}); err != nil {
			return err
		}
		if res.Pass {
			return tx.openReviews(app)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d.Application(ctx, actor, id)
}

// reviewers of a round (R21.1): every source department whose data is
// requested, the county authority of every county whose data is requested,
// and the operator.
func (tx *Tx) reviewers(app *shuyu.Application) ([]struct {
	kind string
	org  int64
}, error) {
	type rv = struct {
		kind string
		org  int64
	}
	var out []rv
	seen := map[int64]bool{}
	add := func(kind string, org int64) {
		if org != 0 && !seen[org] {
			seen[org] = true
			out = append(out, rv{kind, org})
		}
	}
	for _, it := range app.Items {
		add(shuyu.ReviewSourceDept, it.OrgID)
	}
	for _, it := range app.Items {
		if !shuyu.IsCounty(it.Region) {
			continue
		}
		var county int64
		err := tx.queryRow(`SELECT id FROM orgs WHERE kind = ? AND region = ? AND status = 'active' ORDER BY id LIMIT 1`,
			shuyu.OrgCountyAuthority, it.Region).Scan(&county)
		if err != nil && !isNoRows(err) {
			return nil, err
		}
		add(shuyu.ReviewCounty, county)
	}
	ops, err := tx.orgsOfKind(shuyu.OrgOperator)
	if err != nil {
		return nil, err
	}
	if len(ops) == 0 {
		return nil, shuyu.Errorf(shuyu.EUNPROCESSABLE, "平台尚未登记运营机构 (no operator organization)")
	}
	add(shuyu.ReviewOperator, ops[0])
	return out, nil
}

// openReviews opens the round's reviews, 10 working days each from now.
func (tx *Tx) openReviews(app *shuyu.Application) error {
	due, err := tx.due(tx.now, shuyu.ReviewDays)
	if err != nil {
		return err
	}
	rvs, err := tx.reviewers(app)
	if err != nil {
		return err
	}
	for _, r := range rvs {
		rid, err := tx.insert(`INSERT INTO reviews (application_id, round, kind, org_id, status, opened_at, due_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, app.ID, app.Round, r.kind, r.org, shuyu.ReviewOpen, micros(tx.now), micros(due))
		if err != nil {
			return err
		}
		if err := tx.notify(Notice{OrgID: r.org, Kind: "review.opened",
			Title:      fmt.Sprintf("待审核：%s，请于 %s 前审核（逾期未审核且未申请延期的视为同意）", app.Title, reviewFmtDue(due)),
			ObjectType: "review", ObjectID: fmt.Sprint(rid), Link: appLink(app.ID)}); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditReviewOpen, ObjectType: "review", ObjectID: rid,
			Detail: map[string]any{"application_id": app.ID, "round": app.Round, "kind": r.kind, "org_id": r.org,
				"due": due, "rule": "R21.1"}}); err != nil {
			return err
		}
	}
	return nil
}

// mergeDetail adds b's keys to a (a may be nil) and returns it.
func mergeDetail(a, b map[string]any) map[string]any {
	if a == nil {
		a = map[string]any{}
	}
	for k, v := range b {
		a[k] = v
	}
	return a
}
