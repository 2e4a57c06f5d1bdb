package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
)

// The implementation plan (R12.1, NIMP.2): versions in implementation_plans
// (migration 0014). items_json holds the 12 items together with the
// version's note and the items it changed from the version in force when
// it was drafted (planDoc). The plan in force is the newest filed version.

type planDoc struct {
	Items   shuyu.PlanItems `json:"items"`
	Note    string          `json:"note,omitempty"`
	Changed []string        `json:"changed"`
}

const planCols = `id, version, title, items_json, major, status, approval_doc, approval_date, filing_number, filing_date, created_at, updated_at`

func scanPlan(r interface{ Scan(...any) error }) (*shuyu.Plan, error) {
	var p shuyu.Plan
	var doc string
	var major int
	var created, updated int64
	if err := r.Scan(&p.ID, &p.Version, &p.Title, &doc, &major, &p.Status, &p.ApprovalDoc, &p.ApprovalDate, &p.FilingNumber,
		&p.FilingDate, &created, &updated); err != nil {
		return nil, err
	}
	var d planDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("sqlstore: plan %d: %w", p.ID, err)
	}
	p.Items, p.Note, p.Changed, p.Major = d.Items, d.Note, d.Changed, major == 1
	if p.Changed == nil {
		p.Changed = []string{}
	}
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, nil
}

func (tx *Tx) plan(id int64) (*shuyu.Plan, error) {
	p, err := scanPlan(tx.queryRow(`SELECT `+planCols+` FROM implementation_plans WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("实施方案")
	}
	return p, err
}

// planInForce is the newest filed version, or nil.
func (tx *Tx) planInForce() (*shuyu.Plan, error) {
	p, err := scanPlan(tx.queryRow(`SELECT `+planCols+` FROM implementation_plans WHERE status = ? ORDER BY version DESC LIMIT 1`, shuyu.PlanFiled))
	if isNoRows(err) {
		return nil, nil
	}
	return p, err
}

// DraftPlan records a new version drafted by the authority. The first
// version is major by nature; a later one is major when the authority says
// so or, whatever it says, when it changes one of the major items
// (shuyu.PlanMajorItems, NIMP.2): such a draft declared minor is refused,
// naming the items. One open version (draft or approved) at a time.
func (d *DB) DraftPlan(ctx context.Context, actor *shuyu.Actor, in shuyu.PlanInput) (*shuyu.Plan, error) {
	if err := shuyu.Authorize(actor, shuyu.ActPlanDraft, shuyu.Resource{Kind: "plan"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *shuyu.Plan
	err := d.update(ctx, actor, func(tx *Tx) error {
		var open int
		if err := tx.queryRow(`SELECT count(*) FROM implementation_plans WHERE status IN (?, ?)`, shuyu.PlanDraft, shuyu.PlanApproved).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "已有未生效的实施方案版本，请先办结 (an open version exists)")
		}
		cur, err := tx.planInForce()
		if err != nil {
			return err
		}
		changed := slices.Clone(shuyu.PlanItemKeys)
		if cur != nil {
			changed = in.Items.ChangedItems(cur.Items)
			if len(changed) == 0 && strings.TrimSpace(in.Title) == cur.Title {
				return shuyu.Errorf(shuyu.EINVALID, "新版本与现行方案相同 (nothing changed)")
			}
			var major []string
			for _, k := range changed {
				if slices.Contains(shuyu.PlanMajorItems, k) {
					major = append(major, k)
				}
			}
			// NIMP.2: a change of a major item is a major change, whatever
			// the draft says; it needs the government's approval again.
			if len(major) > 0 && !in.Major {
				var errs []shuyu.FieldError
				for _, k := range major {
					errs = append(errs, shuyu.FieldError{Field: "items." + k, Message: planItemLabel(k) + "有变化，属于重大变更"})
				}
				return shuyu.Errorf(shuyu.EINVALID, "变更涉及重大事项，须作为重大变更报市政府重新批准 (a major item changed: the change is major)").WithDetails(errs)
			}
		} else {
			in.Major = true
		}
		var version int
		if err := tx.queryRow(`SELECT coalesce(max(version), 0) + 1 FROM implementation_plans`).Scan(&version); err != nil {
			return err
		}
		doc, err := json.Marshal(planDoc{Items: in.Items, Note: strings.TrimSpace(in.Note), Changed: changed})
		if err != nil {
			return err
		}
		id, err := tx.insert(`INSERT INTO implementation_plans (version, title, items_json, major, status, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, version, in.Title, string(doc), boolInt(in.Major), shuyu.PlanDraft, actor.UserID,
			micros(tx.now), micros(tx.now))
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditPlanDraft, ObjectType: "plan", ObjectID: id,
			Detail: map[string]any{"version": version, "major": in.Major, "changed": changed, "rule": "NIMP.2"}}); err != nil {
			return err
		}
		out, err = tx.plan(id)
		return err
	})
	return out, err
}

func planItemLabel(key string) string {
	if i := slices.Index(shuyu.PlanItemKeys, key); i >= 0 {
		return shuyu.PlanItemLabels[i]
	}
	return key
}

// planDate checks a YYYY-MM-DD date that is not in the future.
func planDate(field, s string, now time.Time) (string, error) {
	s = strings.TrimSpace(s)
	t, err := parseDay(s)
	if err != nil {
		return "", shuyu.Errorf(shuyu.EINVALID, "日期须为 YYYY-MM-DD (bad date)").WithDetails([]shuyu.FieldError{{Field: field, Message: "日期须为 YYYY-MM-DD"}})
	}
	if t.Format(time.DateOnly) > beijingDay(now) {
		return "", shuyu.Errorf(shuyu.EINVALID, "日期不能晚于今天 (date in the future)").WithDetails([]shuyu.FieldError{{Field: field, Message: "不能晚于今天"}})
	}
	return s, nil
}

func planText(field, s, msg string) (string, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n < 4 || n > 100 {
		return "", shuyu.Errorf(shuyu.EINVALID, "%s (bad %s)", msg, field).WithDetails([]shuyu.FieldError{{Field: field, Message: msg}})
	}
	return s, nil
}

// ApprovePlan records the city government's approval of a draft (R12.1):
// its document number and date.
func (d *DB) ApprovePlan(ctx context.Context, actor *shuyu.Actor, id int64, in shuyu.PlanApproval) (*shuyu.Plan, error) {
	if err := shuyu.Authorize(actor, shuyu.ActPlanApprove, shuyu.Resource{Kind: "plan"}); err != nil {
		return nil, err
	}
	var out *shuyu.Plan
	err := d.update(ctx, actor, func(tx *Tx) error {
		p, err := tx.plan(id)
		if err != nil {
			return err
		}
		next, err := shuyu.PlanMachine.Next(p.Status, "approve")
		if err != nil {
			return err
		}
		doc, err := planText("document", in.Document, "市政府批复文号应为 4 到 100 个字")
		if err != nil {
			return err
		}
		date, err := planDate("date", in.Date, tx.now)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE implementation_plans SET status = ?, approval_doc = ?, approval_date = ?, updated_at = ? WHERE id = ? AND status = ?`,
			next, doc, date, micros(tx.now), id, p.Status); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditPlanApprove, ObjectType: "plan", ObjectID: id,
			Detail: map[string]any{"version": p.Version, "document": doc, "date": date, "rule": "R12.1"}}); err != nil {
			return err
		}
		out, err = tx.plan(id)
		return err
	})
	return out, err
}

// FilePlan records the provincial filing of an approved version (NIMP.2);
// it becomes the plan in force and the previous one is superseded.
func (d *DB) FilePlan(ctx context.Context, actor *shuyu.Actor, id int64, in shuyu.PlanFiling) (*shuyu.Plan, error) {
	if err := shuyu.Authorize(actor, shuyu.ActPlanFile, shuyu.Resource{Kind: "plan"}); err != nil {
		return nil, err
	}
	var out *shuyu.Plan
	err := d.update(ctx, actor, func(tx *Tx) error {
		p, err := tx.plan(id)
		if err != nil {
			return err
		}
		next, err := shuyu.PlanMachine.Next(p.Status, "file")
		if err != nil {
			return err
		}
		number, err := planText("number", in.Number, "备案编号应为 4 到 100 个字")
		if err != nil {
			return err
		}
		date, err := planDate("date", in.Date, tx.now)
		if err != nil {
			return err
		}
		if date < p.ApprovalDate {
			return shuyu.Errorf(shuyu.EINVALID, "备案日期不能早于批复日期 %s (filed before approved)", p.ApprovalDate).
				WithDetails([]shuyu.FieldError{{Field: "date", Message: "不能早于批复日期"}})
		}
		return tx.putInForce(p, next, shuyu.AuditPlanFile, p.ApprovalDoc, p.ApprovalDate, number, date, &out)
	})
	return out, err
}

// AdoptPlan puts a minor change in force under the approval and filing of
// the version in force (NIMP.2: only major changes are approved again). A
// major version is refused: it needs the government's approval.
func (d *DB) AdoptPlan(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Plan, error) {
	if err := shuyu.Authorize(actor, shuyu.ActPlanDraft, shuyu.Resource{Kind: "plan"}); err != nil {
		return nil, err
	}
	var out *shuyu.Plan
	err := d.update(ctx, actor, func(tx *Tx) error {
		p, err := tx.plan(id)
		if err != nil {
			return err
		}
		next, err := shuyu.PlanMachine.Next(p.Status, "adopt")
		if err != nil {
			return err
		}
		if p.Major {
			return shuyu.Errorf(shuyu.ECONFLICT, "重大变更须报市政府批准并向省级数据部门备案，不能直接采用 (a major change needs the government's approval, R12.1)")
		}
		cur, err := tx.planInForce()
		if err != nil {
			return err
		}
		if cur == nil {
			return shuyu.Errorf(shuyu.ECONFLICT, "尚无生效的实施方案 (no plan in force)")
		}
		return tx.putInForce(p, next, shuyu.AuditPlanAdopt, cur.ApprovalDoc, cur.ApprovalDate, cur.FilingNumber, cur.FilingDate, &out)
	})
	return out, err
}

func (tx *Tx) putInForce(p *shuyu.Plan, next string, action shuyu.AuditAction, doc, docDate, number, date string, out **shuyu.Plan) error {
	cur, err := tx.planInForce()
	if err != nil {
		return err
	}
	if cur != nil {
		if _, err := tx.exec(`UPDATE implementation_plans SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
			shuyu.PlanSuperseded, micros(tx.now), cur.ID, shuyu.PlanFiled); err != nil {
			return err
		}
	}
	if _, err := tx.exec(`UPDATE implementation_plans SET status = ?, approval_doc = ?, approval_date = ?, filing_number = ?, filing_date = ?,
		updated_at = ? WHERE id = ? AND status = ?`, next, doc, docDate, number, date, micros(tx.now), p.ID, p.Status); err != nil {
		return err
	}
	detail := map[string]any{"version": p.Version, "filing_number": number, "date": date, "rule": "NIMP.2"}
	if cur != nil {
		detail["supersedes"] = cur.Version
	}
	if err := tx.audit(Change{Action: action, ObjectType: "plan", ObjectID: p.ID, Detail: detail}); err != nil {
		return err
	}
	ops, err := tx.orgsOfKind(shuyu.OrgOperator)
	if err != nil {
		return err
	}
	if err := tx.notifyOrgs(ops, Notice{Kind: "plan.in_force", Title: fmt.Sprintf("实施方案第 %d 版已生效", p.Version),
		ObjectType: "plan", ObjectID: fmt.Sprint(p.ID), Link: "/plan"}); err != nil {
		return err
	}
	*out, err = tx.plan(p.ID)
	return err
}

// Plan returns one version to a reader of versions.
func (d *DB) Plan(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Plan, error) {
	if err := shuyu.Authorize(actor, shuyu.ActPlanRead, shuyu.Resource{Kind: "plan"}); err != nil {
		return nil, err
	}
	var out *shuyu.Plan
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.plan(id)
		return err
	})
	return out, err
}

// Plans lists every version, newest first.
func (d *DB) Plans(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.Plan, error) {
	if err := shuyu.Authorize(actor, shuyu.ActPlanRead, shuyu.Resource{Kind: "plan"}); err != nil {
		return nil, err
	}
	out := []*shuyu.Plan{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT ` + planCols + ` FROM implementation_plans ORDER BY version DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPlan(rows)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}

// PlanInForce is the public plan: the newest filed version, with its
// approval and filing (ENOTFOUND when none is in force). Needs no actor.
func (d *DB) PlanInForce(ctx context.Context) (*shuyu.Plan, error) {
	var out *shuyu.Plan
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if out, err = tx.planInForce(); err == nil && out == nil {
			err = notFound("生效的实施方案")
		}
		return err
	})
	return out, err
}
