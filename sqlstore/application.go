package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"shuyu"
)

// SetAuthorizationEnd ends the operator's authorization in force today
// early, on the date (YYYY-MM-DD): the exit of the agreement
// (EndAuthorization, authorization.go). An authorization is never extended
// this way (NIMP.3: a new agreement is drafted and signed instead).
func (d *DB) SetAuthorizationEnd(ctx context.Context, actor *shuyu.Actor, date, reason string) error {
	if err := shuyu.Authorize(actor, shuyu.ActAuthorizationTerm, shuyu.Resource{Kind: "settings"}); err != nil {
		return err
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		all, err := tx.authorizations(`WHERE a.status IN (?, ?) ORDER BY a.id DESC`, shuyu.AuthzEffective, shuyu.AuthzEnded)
		if err != nil {
			return err
		}
		today := beijingDay(tx.now)
		for _, a := range all {
			if a.InForce(today) {
				_, err := tx.endAuthorization(actor, a.ID, date, reason)
				return err
			}
		}
		return shuyu.Errorf(shuyu.ECONFLICT, "没有生效的授权运营协议 (no authorization in force)")
	})
}

// appValidate checks the input against the clock and the published
// catalog, then against the operator's authorization (scope, mode, term:
// R13.1, R4.1), and returns the resolved items and the authorization that
// covers them.
func (tx *Tx) appValidate(in *shuyu.ApplicationInput) ([]shuyu.ApplicationItem, *authzCover, error) {
	if _, _, err := in.Validate(tx.now); err != nil {
		return nil, nil, err
	}
	var items []shuyu.ApplicationItem
	var errs []shuyu.FieldError
	for i, req := range in.Items {
		it, msg, err := tx.appResolveItem(req)
		if err != nil {
			return nil, nil, err
		}
		if msg != "" {
			errs = append(errs, shuyu.FieldError{Field: fmt.Sprintf("items[%d]", i), Message: msg})
			continue
		}
		items = append(items, it)
	}
	if len(errs) > 0 {
		return nil, nil, shuyu.Errorf(shuyu.EINVALID, "申请的目录或信息项不可用 (requested data not available)").WithDetails(errs)
	}
	entries := make([]int64, len(items))
	for i, it := range items {
		entries[i] = it.EntryID
	}
	cover, err := tx.authorizationCovers(entries, strings.TrimSpace(in.Scenario), in.TermStart, in.TermEnd)
	if err != nil {
		return nil, nil, err
	}
	return items, cover, nil
}

// appResolveItem: only published, not prohibited (R4.5), not suspended
// (R27.3) entries, and only fields of the published revision.
func (tx *Tx) appResolveItem(req shuyu.ItemRequest) (shuyu.ApplicationItem, string, error) {
	it := shuyu.ApplicationItem{EntryID: req.EntryID}
	var rev *int64
	var name, open *string
	var mounted bool
	err := tx.queryRow(`SELECT e.code, e.org_id, e.region, e.published_rev_id, r.name, r.open_attr, o.name, e.mounted
		FROM catalog_entries e JOIN orgs o ON o.id = e.org_id LEFT JOIN catalog_revisions r ON r.id = e.published_rev_id
		WHERE e.id = ?`, req.EntryID).Scan(&it.EntryCode, &it.OrgID, &it.Region, &rev, &name, &open, &it.OrgName, &mounted)
	switch {
	case isNoRows(err) || err == nil && rev == nil:
		return it, fmt.Sprintf("目录 %d 不存在或尚未发布 (not published)", req.EntryID), nil
	case err != nil:
		return it, "", err
	}
	it.EntryName = *name
	if *open == "prohibited" {
		return it, fmt.Sprintf("目录“%s”属禁止开放类，不得申请 (prohibited, R4.5)", it.EntryName), nil
	}
	// R27.3: an entry whose supply is suspended cannot be applied for
	// (domain_suspend.go).
	if s, err := tx.domainSuspended(req.EntryID); err != nil {
		return it, "", err
	} else if s {
		return it, fmt.Sprintf("目录“%s”已暂停提供 (supply suspended, R27.3)", it.EntryName), nil
	}
	// R10.2: an entry with no data mounted in the domain has nothing to
	// use; applying for it would only produce an agreement over nothing.
	if !mounted {
		return it, fmt.Sprintf("目录“%s”尚未挂接数据，暂不能申请 (no data mounted yet, R10.2)", it.EntryName), nil
	}
	rows, err := tx.query(`SELECT name FROM catalog_fields WHERE revision_id = ?`, *rev)
	if err != nil {
		return it, "", err
	}
	var have []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			rows.Close()
			return it, "", err
		}
		have = append(have, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return it, "", err
	}
	for _, f := range req.Fields {
		if !slices.Contains(have, f) {
			return it, fmt.Sprintf("目录“%s”没有信息项 %q (unknown field)", it.EntryName, f), nil
		}
		if slices.Contains(it.Fields, f) {
			return it, fmt.Sprintf("信息项 %q 重复 (duplicate field)", f), nil
		}
		it.Fields = append(it.Fields, f)
	}
	// R2.1: a state or work secret cannot be applied for (an application
	// naming no fields asks for all of them).
	asked := it.Fields
	if len(asked) == 0 {
		asked = have
	}
	if why, err := tx.secretRefusal(req.EntryID, it.EntryName, asked, "申请使用"); err != nil || why != "" {
		return it, why, err
	}
	return it, "", nil
}

// SubmitApplication records a registered merchant's application (R20.1);
// submission is acceptance, so the 5-working-day check clock starts now
// (R20.2).
func (d *DB) SubmitApplication(ctx context.Context, actor *shuyu.Actor, in shuyu.ApplicationInput) (*shuyu.Application, error) {
	if err := shuyu.Authorize(actor, shuyu.ActApplicationCreate, shuyu.Resource{Kind: "application"}); err != nil {
		return nil, err
	}
	var id int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		if err := tx.merchantRegistered(actor.OrgID); err != nil {
			return err
		}
		items, cover, err := tx.appValidate(&in)
		if err != nil {
			return err
		}
		id, err = tx.insert(`INSERT INTO applications (merchant_org_id, round, status, created_by, created_at, updated_at)
			VALUES (?, 1, ?, ?, ?, ?)`, actor.OrgID, shuyu.AppChecking, actor.UserID, micros(tx.now), micros(tx.now))
		if err != nil {
			return err
		}
		return tx.appOpenRound(id, 1, actor, &in, items, cover, shuyu.AuditApplicationSubmit)
	})
	if err != nil {
		return nil, shuyu.Wrap("submit application", err)
	}
	return d.Application(ctx, actor, id)
}

// appOpenRound stores a round's content and starts its compliance check.
func (tx *Tx) appOpenRound(id int64, round int, actor *shuyu.Actor, in *shuyu.ApplicationInput, items []shuyu.ApplicationItem, cover *authzCover, action shuyu.AuditAction) error {
	due, err := tx.due(tx.now, shuyu.CheckDays)
	if err != nil {
		return err
	}
	if _, err := tx.exec(`INSERT INTO application_rounds (application_id, round, title, scenario, tags, purpose, method,
		term_start, term_end, security, submitted_by, submitted_at, check_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, round, strings.TrimSpace(in.Title), strings.TrimSpace(in.Scenario), strings.Join(in.Tags, ","), in.Purpose, in.Method,
		in.TermStart, in.TermEnd, strings.TrimSpace(in.Security), actor.UserID, micros(tx.now), micros(due)); err != nil {
		return err
	}
	// R4.1: the mode and scope the round falls under are recorded with it.
	if _, err := tx.exec(`INSERT INTO application_authorizations (application_id, round, authorization_id, mode, scope)
		VALUES (?, ?, ?, ?, ?)`, id, round, cover.ID, string(cover.Mode), cover.Scope); err != nil {
		return err
	}
	for _, it := range items {
		if _, err := tx.exec(`INSERT INTO application_items (application_id, round, entry_id, entry_code, entry_name, org_id, region, fields)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, round, it.EntryID, it.EntryCode, it.EntryName, it.OrgID, it.Region,
			strings.Join(it.Fields, ",")); err != nil {
			return err
		}
	}
	ops, err := tx.orgsOfKind(shuyu.OrgOperator)
	if err != nil {
		return err
	}
	if err := tx.notifyOrgs(ops, Notice{Kind: "application.submitted",
		Title:      fmt.Sprintf("待合规核查：%s（第 %d 轮），期限 %s", in.Title, round, reviewFmtDue(due)),
		ObjectType: "application", ObjectID: fmt.Sprint(id), Link: appLink(id)}); err != nil {
		return err
	}
	entries := make([]int64, len(items))
	for i, it := range items {
		entries[i] = it.EntryID
	}
	return tx.audit(Change{Action: action, ObjectType: "application", ObjectID: id,
		Detail: map[string]any{"round": round, "entries": entries, "purpose": in.Purpose, "fee_mode": shuyu.FeeMode(in.Purpose),
			"term": in.TermStart + "/" + in.TermEnd, "check_due": due, "authorization": cover.Number, "auth_mode": cover.Mode,
			"rule": "R20.2"}})
}

func appLink(id int64) string { return fmt.Sprintf("/applications/%d", id) }

func reviewFmtDue(t time.Time) string { return t.In(reviewCST).Format("2006-01-02") }

var reviewCST = time.FixedZone("CST", 8*3600)

// ResubmitApplication opens a new round after a return or a rejection; the
// earlier rounds stay as history.
func (d *DB) ResubmitApplication(ctx context.Context, actor *shuyu.Actor, id int64, in shuyu.ApplicationInput) (*shuyu.Application, error) {
	err := d.update(ctx, actor, func(tx *Tx) error {
		app, err := tx.appHead(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActApplicationUpdate, app.resource()); err != nil {
			return err
		}
		to, err := shuyu.ApplicationMachine.Next(app.status, "resubmit")
		if err != nil {
			return err
		}
		if err := tx.merchantRegistered(app.merchant); err != nil {
			return err
		}
		items, cover, err := tx.appValidate(&in)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE applications SET round = ?, status = ?, updated_at = ? WHERE id = ?`,
			app.round+1, to, micros(tx.now), id); err != nil {
			return err
		}
		return tx.appOpenRound(id, app.round+1, actor, &in, items, cover, shuyu.AuditApplicationResubmit)
	})
	if err != nil {
		return nil, err
	}
	return d.Application(ctx, actor, id)
}

// WithdrawApplication ends an application at the merchant's request; open
// reviews close.
func (d *DB) WithdrawApplication(ctx context.Context, actor *shuyu.Actor, id int64, reason string) error {
	return d.update(ctx, actor, func(tx *Tx) error {
		app, err := tx.appHead(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActApplicationUpdate, app.resource()); err != nil {
			return err
		}
		to, err := shuyu.ApplicationMachine.Next(app.status, "withdraw")
		if err != nil {
			return err
		}
		if err := tx.appSetStatus(id, app.round, to, "withdrawn"); err != nil {
			return err
		}
		orgs, err := tx.closeOpenReviews(id, app.round)
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(orgs, Notice{Kind: "application.withdrawn", Title: "申请已撤回，无需继续审核",
			ObjectType: "application", ObjectID: fmt.Sprint(id), Link: appLink(id)}); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditApplicationWithdraw, ObjectType: "application", ObjectID: id, Reason: reason,
			Detail: map[string]any{"round": app.round, "from": app.status}})
	})
}

func (tx *Tx) appSetStatus(id int64, round int, status, outcome string) error {
	if _, err := tx.exec(`UPDATE applications SET status = ?, updated_at = ? WHERE id = ?`, status, micros(tx.now), id); err != nil {
		return err
	}
	if outcome != "" {
		_, err := tx.exec(`UPDATE application_rounds SET outcome = ? WHERE application_id = ? AND round = ?`, outcome, id, round)
		return err
	}
	return nil
}

// appHeadRow is what rules need about an application.
type appHeadRow struct {
	id, merchant int64
	round        int
	status       string
	parties      []int64 // reviewer organizations of every round
}

func (a *appHeadRow) resource() shuyu.Resource {
	return shuyu.Resource{Kind: "application", OrgID: a.merchant, Parties: a.parties, Exists: true}
}

func (tx *Tx) appHead(id int64) (*appHeadRow, error) {
	a := &appHeadRow{id: id}
	err := tx.queryRow(`SELECT merchant_org_id, round, status FROM applications WHERE id = ?`, id).Scan(&a.merchant, &a.round, &a.status)
	if isNoRows(err) {
		return nil, notFound("使用申请")
	}
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT DISTINCT org_id FROM reviews WHERE application_id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var o int64
		if err := rows.Scan(&o); err != nil {
			return nil, err
		}
		a.parties = append(a.parties, o)
	}
	return a, rows.Err()
}
