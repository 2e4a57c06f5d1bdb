package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"shuyu"
)

// appFullView: the operator, the authority and regulators see whole
// applications; the merchant sees its own. Departments and county
// authorities see only the items touching their own data (R22.1).
func appFullView(actor *shuyu.Actor, merchant int64) bool {
	if actor.IsSystem() || actor.OrgID == merchant {
		return true
	}
	for _, r := range []shuyu.Role{shuyu.RoleOperatorAdmin, shuyu.RoleOperatorReviewer, shuyu.RoleAuthority, shuyu.RoleRegulator} {
		if actor.Has(r) {
			return true
		}
	}
	return false
}

// appTouches reports whether an item concerns the actor's organization:
// its own entries (a department) or entries of its county (a county
// authority).
func appTouches(actor *shuyu.Actor, it shuyu.ApplicationItem) bool {
	if it.OrgID == actor.OrgID {
		return true
	}
	return actor.OrgKind == shuyu.OrgCountyAuthority && it.Region == actor.Region
}

// Application returns an application in its current round, as the actor
// may see it.
func (d *DB) Application(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Application, error) {
	var app *shuyu.Application
	err := d.view(ctx, func(tx *Tx) error {
		head, err := tx.appHead(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActApplicationRead, head.resource()); err != nil {
			return err
		}
		if app, err = tx.application(id, head.round); err != nil {
			return err
		}
		if !appFullView(actor, head.merchant) {
			var mine []shuyu.ApplicationItem
			for _, it := range app.Items {
				if appTouches(actor, it) {
					mine = append(mine, it)
				}
			}
			app.Partial = len(mine) != len(app.Items)
			app.Items = mine
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return app, nil
}

const appCols = `a.id, a.merchant_org_id, o.name, a.round, a.status, a.created_at, a.updated_at, r.title, r.scenario, r.tags,
	r.purpose, r.method, r.term_start, r.term_end, r.security, r.submitted_at, r.check_due, r.checked_at, r.checked_by,
	r.check_passed, r.check_reason`

const appFrom = ` FROM applications a JOIN orgs o ON o.id = a.merchant_org_id
	JOIN application_rounds r ON r.application_id = a.id AND r.round = a.round`

func (tx *Tx) scanApplication(row interface{ Scan(...any) error }) (*shuyu.Application, error) {
	var a shuyu.Application
	var created, updated, submitted, due int64
	var tags string
	var checkedAt, checkedBy sql.NullInt64
	var passed sql.NullBool
	if err := row.Scan(&a.ID, &a.MerchantOrgID, &a.MerchantName, &a.Round, &a.Status, &created, &updated, &a.Title,
		&a.Scenario, &tags, &a.Purpose, &a.Method, &a.TermStart, &a.TermEnd, &a.Security, &submitted, &due,
		&checkedAt, &checkedBy, &passed, &a.Check.Reason); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt, a.SubmittedAt = fromMicros(created), fromMicros(updated), fromMicros(submitted)
	a.Tags = []string{}
	if tags != "" {
		a.Tags = strings.Split(tags, ",")
	}
	a.FeeMode = shuyu.FeeMode(a.Purpose)
	a.Check.Deadline = tx.deadline(fromMicros(due))
	if a.Status != shuyu.AppChecking {
		a.Check.Deadline.Overdue, a.Check.Deadline.WorkdaysLeft = false, 0 // done: nothing is pending
	}
	a.Check.CheckedAt, a.Check.CheckedBy = fromNullMicros(checkedAt), checkedBy.Int64
	if passed.Valid {
		a.Check.Passed = &passed.Bool
	}
	return &a, nil
}

func (tx *Tx) application(id int64, round int) (*shuyu.Application, error) {
	app, err := tx.scanApplication(tx.queryRow(`SELECT `+appCols+appFrom+` WHERE a.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("使用申请")
	}
	if err != nil {
		return nil, err
	}
	if app.Items, err = tx.appItems(id, round); err != nil {
		return nil, err
	}
	if app.Reviews, err = tx.reviewsOf(id, round); err != nil {
		return nil, err
	}
	if app.Files, err = tx.files("application", id); err != nil {
		return nil, err
	}
	err = tx.queryRow(`SELECT id FROM agreements WHERE application_id = ? AND round = ?`, id, round).Scan(&app.AgreementID)
	if err != nil && !isNoRows(err) {
		return nil, err
	}
	return app, nil
}

func (tx *Tx) appItems(id int64, round int) ([]shuyu.ApplicationItem, error) {
	rows, err := tx.query(`SELECT i.entry_id, i.entry_code, i.entry_name, i.org_id, o.name, i.region, i.fields
		FROM application_items i JOIN orgs o ON o.id = i.org_id WHERE i.application_id = ? AND i.round = ? ORDER BY i.id`, id, round)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shuyu.ApplicationItem
	for rows.Next() {
		var it shuyu.ApplicationItem
		var fields string
		if err := rows.Scan(&it.EntryID, &it.EntryCode, &it.EntryName, &it.OrgID, &it.OrgName, &it.Region, &fields); err != nil {
			return nil, err
		}
		it.Fields = strings.Split(fields, ",")
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range out {
		if err := tx.appItemLabels(&out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// appItemLabels names an item's fields by their Chinese labels in the
// entry's published revision (a field no longer there keeps its code).
func (tx *Tx) appItemLabels(it *shuyu.ApplicationItem) error {
	rows, err := tx.query(`SELECT f.name, f.label FROM catalog_fields f JOIN catalog_entries e ON e.published_rev_id = f.revision_id
		WHERE e.id = ?`, it.EntryID)
	if err != nil {
		return err
	}
	defer rows.Close()
	labels := map[string]string{}
	for rows.Next() {
		var n, l string
		if err := rows.Scan(&n, &l); err != nil {
			return err
		}
		labels[n] = l
	}
	if err := rows.Err(); err != nil {
		return err
	}
	it.FieldLabels = make([]string, len(it.Fields))
	for i, f := range it.Fields {
		if l := labels[f]; l != "" {
			it.FieldLabels[i] = l
		} else {
			it.FieldLabels[i] = f
		}
	}
	return nil
}

// Applications lists the applications the actor may see, newest first:
// the merchant its own, reviewers those they review, the operator side
// all. Items are not included (open one to see them).
func (d *DB) Applications(ctx context.Context, actor *shuyu.Actor, status string) ([]*shuyu.Application, error) {
	if err := shuyu.Authorize(actor, shuyu.ActApplicationRead, shuyu.Resource{Kind: "application"}); err != nil {
		return nil, err
	}
	var out []*shuyu.Application
	err := d.view(ctx, func(tx *Tx) error {
		if err := tx.calendarRefresh(); err != nil {
			return err
		}
		q, args := `SELECT `+appCols+appFrom+` WHERE 1 = 1`, []any{}
		if !appFullView(actor, -1) {
			if actor.Has(shuyu.RoleMerchant) || actor.Acting != nil { // a provider acting for the merchant (R6.3)
				q, args = q+` AND a.merchant_org_id = ?`, append(args, actor.OrgID)
			} else {
				q, args = q+` AND EXISTS (SELECT 1 FROM reviews v WHERE v.application_id = a.id AND v.org_id = ?)`, append(args, actor.OrgID)
			}
		}
		if status != "" {
			q, args = q+` AND a.status = ?`, append(args, status)
		}
		rows, err := tx.query(q+` ORDER BY a.id DESC LIMIT 500`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := tx.scanApplication(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, err
}

// Rounds returns the history of an application: every round's content and
// outcome (a revision never erases the earlier ones).
func (d *DB) Rounds(ctx context.Context, actor *shuyu.Actor, id int64) ([]*shuyu.Application, error) {
	var out []*shuyu.Application
	err := d.view(ctx, func(tx *Tx) error {
		head, err := tx.appHead(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActApplicationRead, head.resource()); err != nil {
			return err
		}
		for r := 1; r <= head.round; r++ {
			a, err := tx.scanApplication(tx.queryRow(`SELECT `+strings.Replace(appCols, "a.round", "r.round", 1)+
				` FROM applications a JOIN orgs o ON o.id = a.merchant_org_id
				JOIN application_rounds r ON r.application_id = a.id AND r.round = ? WHERE a.id = ?`, r, id))
			if err != nil {
				return err
			}
			var outcome string
			if err := tx.queryRow(`SELECT outcome FROM application_rounds WHERE application_id = ? AND round = ?`, id, r).Scan(&outcome); err != nil {
				return err
			}
			if r < head.round {
				a.Status = outcome
			}
			if a.Reviews, err = tx.reviewsOf(id, r); err != nil {
				return err
			}
			if appFullView(actor, head.merchant) {
				if a.Items, err = tx.appItems(id, r); err != nil {
					return err
				}
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// ReviewEntry is a catalog entry a merchant may apply for, with the
// fields of its published revision.
type ReviewEntry struct {
	ID        int64                `json:"id"`
	Code      string               `json:"code"`
	Name      string               `json:"name"`
	OrgName   string               `json:"org_name"`
	Open      string               `json:"open_attr"`
	Grade     shuyu.Grade          `json:"grade"`
	Mounted   bool                 `json:"mounted"`   // data is mounted in the domain; only then can it be applied for
	Suspended bool                 `json:"suspended"` // supply suspended (R27.3): cannot be applied for
	Fields    []shuyu.CatalogField `json:"fields"`    // name, Chinese label, PI/sensitive marks and grade
}

// Applicable reports whether the entry can be applied for now.
func (e *ReviewEntry) Applicable() bool { return e.Mounted && !e.Suspended }

// ReviewApplicableEntries lists the published, not prohibited entries (the
// catalog is public, R8.5) for the application form, each with its fields'
// Chinese labels and marks and whether it can be applied for (mounted, not
// suspended). ids, when given, limits the list to those entries (the
// merchant's 申请清单).
func (d *DB) ReviewApplicableEntries(ctx context.Context, ids ...int64) ([]ReviewEntry, error) {
	var out []ReviewEntry
	err := d.view(ctx, func(tx *Tx) error {
		q := `SELECT e.id, e.code, r.name, o.name, r.open_attr, r.grade, e.mounted, e.published_rev_id FROM catalog_entries e
			JOIN catalog_revisions r ON r.id = e.published_rev_id JOIN orgs o ON o.id = e.org_id
			WHERE r.open_attr <> 'prohibited'`
		var args []any
		if len(ids) > 0 {
			q += ` AND e.id IN (` + strings.Repeat("?,", len(ids)-1) + `?)`
			for _, id := range ids {
				args = append(args, id)
			}
		}
		rows, err := tx.query(q+` ORDER BY e.code LIMIT 1000`, args...)
		if err != nil {
			return err
		}
		var revs []int64
		for rows.Next() {
			var p ReviewEntry
			var rev int64
			if err := rows.Scan(&p.ID, &p.Code, &p.Name, &p.OrgName, &p.Open, &p.Grade, &p.Mounted, &rev); err != nil {
				rows.Close()
				return err
			}
			out, revs = append(out, p), append(revs, rev)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, rev := range revs {
			if out[i].Suspended, err = tx.domainSuspended(out[i].ID); err != nil {
				return err
			}
			fr, err := tx.query(`SELECT name, label, data_type, pi, sensitive_pi, grade FROM catalog_fields
				WHERE revision_id = ? ORDER BY position`, rev)
			if err != nil {
				return err
			}
			for fr.Next() {
				var f shuyu.CatalogField
				if err := fr.Scan(&f.Name, &f.Label, &f.DataType, &f.PI, &f.SensitivePI, &f.Grade); err != nil {
					fr.Close()
					return err
				}
				out[i].Fields = append(out[i].Fields, f)
			}
			fr.Close()
			if err := fr.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
