package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
	"unicode/utf8"

	"shuyu"
	"shuyu/workday"
)

// Quality issue origins and statuses (R11.1).
const (
	IssueAuto     = "auto"     // raised from a version's quality report
	IssueOperator = "operator" // raised by the operator
	IssueMerchant = "merchant" // raised by a merchant who met it

	IssueOpen     = "open"
	IssueAnswered = "answered" // the department replied
	IssueFixed    = "fixed"    // the department fixed it (usually with a new version)
	IssueClosed   = "closed"   // confirmed by the operator or the raiser
)

// DefaultIssueWorkdays is the deadline for a department to answer and fix a
// quality issue unless the authority configures another (R11.1).
const DefaultIssueWorkdays = 5

const issueWorkdaysKey = "domain.issue_workdays"

// QualityIssue is one quality problem fed back to a source department.
type QualityIssue struct {
	ID          int64      `json:"id"`
	EntryID     int64      `json:"entry_id"`
	EntryCode   string     `json:"entry_code"`
	OrgID       int64      `json:"org_id"` // the department it is routed to
	OrgName     string     `json:"org_name"`
	Origin      string     `json:"origin"`
	RaisedBy    int64      `json:"raised_by"`
	RaisedOrg   int64      `json:"raised_org"`
	JobID       *int64     `json:"job_id,omitempty"`
	Field       string     `json:"field,omitempty"`
	Rule        string     `json:"rule,omitempty"`
	FailedCount int64      `json:"failed_count"`
	Description string     `json:"description"`
	Status      string     `json:"status"`
	Answer      string     `json:"answer,omitempty"`
	Workdays    int        `json:"workdays"`
	DueAt       time.Time  `json:"due_at"`
	CreatedAt   time.Time  `json:"created_at"`
	AnsweredAt  *time.Time `json:"answered_at,omitempty"`
	FixedAt     *time.Time `json:"fixed_at,omitempty"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
	Overdue     bool       `json:"overdue"`   // still unfixed past the deadline
	OnTime      *bool      `json:"on_time"`   // fixed by the deadline (nil while open)
	DaysLeft    int        `json:"days_left"` // working days left (negative when late)
	region      string
}

// Timeliness is "overdue" while unresolved past the deadline, "ontime" or
// "late" once resolved, "" while still within it.
func (q *QualityIssue) Timeliness() string {
	switch {
	case q.Overdue:
		return "overdue"
	case q.OnTime == nil:
		return ""
	case *q.OnTime:
		return "ontime"
	}
	return "late"
}

// Resource is the issue as the policy sees it: owned by the department it
// is routed to, with the raiser's organization a party.
func (q *QualityIssue) Resource() shuyu.Resource {
	return shuyu.Resource{Kind: "domain_issue", OrgID: q.OrgID, Region: q.region, Parties: []int64{q.RaisedOrg}, Exists: true}
}

// IssueInput is what a raiser submits.
type IssueInput struct {
	Field       string `json:"field"`
	Rule        string `json:"-"`
	FailedCount int64  `json:"-"`
	Description string `json:"description"`
}

// raiseIssue records an issue, computes its deadline on the official
// calendar and notifies the department (R11.1).
func (tx *Tx) raiseIssue(entryID, orgID int64, origin string, raisedBy, raisedOrg int64, jobID *int64, in IssueInput) (int64, error) {
	n, err := tx.issueWorkdays()
	if err != nil {
		return 0, err
	}
	due, err := tx.due(tx.now, n) // the effective official calendar
	if err != nil {
		return 0, err
	}
	id, err := tx.insert(`INSERT INTO domain_issues (entry_id, org_id, origin, raised_by, raised_org, job_id, field, rule,
		failed_count, description, status, due_at, workdays, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		entryID, orgID, origin, raisedBy, raisedOrg, jobID, in.Field, in.Rule, in.FailedCount, in.Description, IssueOpen,
		micros(due), n, micros(tx.now))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: raise issue: %w", err)
	}
	if err := tx.audit(Change{Action: shuyu.AuditDomainIssueRaise, ObjectType: "domain_issue", ObjectID: id,
		Detail: map[string]any{"entry_id": entryID, "origin": origin, "field": in.Field, "rule": in.Rule, "failed": in.FailedCount, "workdays": n}}); err != nil {
		return 0, err
	}
	return id, tx.domainNotify(domainNotice{Orgs: []int64{orgID}, Kind: "domain.issue", Object: "domain_issue", ID: id, Link: fmt.Sprintf("/domain/issues/%d", id),
		Subject: fmt.Sprintf("数据质量问题待处理，%d个工作日内答复并整改", n)})
}

// autoIssues turns a version's quality report into issues (R11.1): a
// failed rule raises an issue for the department, or updates the open one
// already raised for the same field and rule; a rule that now passes marks
// its open automatic issue fixed (the new version fixed it).
func (tx *Tx) autoIssues(entryID, orgID, jobID int64, version int, failures []QualityFailure) error {
	for _, f := range failures {
		var id int64
		err := tx.queryRow(`SELECT id FROM domain_issues WHERE entry_id = ? AND origin = ? AND field = ? AND rule = ?
			AND status IN (?, ?) ORDER BY id DESC LIMIT 1`, entryID, IssueAuto, f.Field, f.Rule, IssueOpen, IssueAnswered).Scan(&id)
		if err != nil && !isNoRows(err) {
			return err
		}
		err = nil
		desc := fmt.Sprintf("第%d版数据质量检查：%s，%d处 (v%d: %d failures)", version, f.Message, f.Failed, version, f.Failed)
		switch {
		case f.Failed > 0 && id == 0:
			_, err = tx.raiseIssue(entryID, orgID, IssueAuto, shuyu.System.UserID, 0, &jobID, IssueInput{
				Field: f.Field, Rule: f.Rule, FailedCount: f.Failed, Description: desc})
		case f.Failed > 0:
			if _, err = tx.exec(`UPDATE domain_issues SET failed_count = ?, description = ?, job_id = ? WHERE id = ?`,
				f.Failed, desc, jobID, id); err == nil {
				err = tx.audit(Change{Action: shuyu.AuditDomainIssueUpdate, ObjectType: "domain_issue", ObjectID: id,
					Detail: map[string]any{"version": version, "failed": f.Failed}})
			}
		case id != 0:
			if _, err = tx.exec(`UPDATE domain_issues SET status = ?, fixed_at = ?, answered_at = coalesce(answered_at, ?),
				answer = CASE WHEN answer = '' THEN ? ELSE answer END WHERE id = ?`, IssueFixed, micros(tx.now), micros(tx.now),
				fmt.Sprintf("第%d版已通过该项检查 (v%d passes)", version, version), id); err == nil {
				err = tx.audit(Change{Action: shuyu.AuditDomainIssueFixed, ObjectType: "domain_issue", ObjectID: id,
					Detail: map[string]any{"version": version, "auto": true}})
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func issueText(field, s string, max int) (string, error) {
	if s == "" {
		return "", shuyu.Errorf(shuyu.EINVALID, "内容不能为空 (text required)").WithDetails([]shuyu.FieldError{{Field: field, Message: "不能为空 (required)"}})
	}
	if utf8.RuneCountInString(s) > max {
		return "", shuyu.Errorf(shuyu.EINVALID, "内容过长，上限%d字 (too long)", max).WithDetails([]shuyu.FieldError{{Field: field, Message: "过长 (too long)"}})
	}
	return s, nil
}

// RaiseIssue feeds a quality problem back to the entry's department (R11.1).
func (d *DB) RaiseIssue(ctx context.Context, actor *shuyu.Actor, entryID int64, in IssueInput) (*QualityIssue, error) {
	var e *DomainEntry
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		e, err = tx.domainEntry(entryID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, shuyu.ActIssueCreate, e.Resource()); err != nil {
		return nil, err
	}
	if !e.Published {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "目录尚未发布 (entry not published)")
	}
	if in.Description, err = issueText("description", in.Description, 4000); err != nil {
		return nil, err
	}
	if in.Field != "" {
		known := false
		for _, f := range e.Fields {
			known = known || f.Name == in.Field
		}
		if !known {
			return nil, shuyu.Errorf(shuyu.EINVALID, "目录中没有这个信息项 (unknown field)").WithDetails([]shuyu.FieldError{{Field: "field", Message: "未知信息项"}})
		}
	}
	origin := IssueOperator
	if actor.Has(shuyu.RoleMerchant) {
		origin = IssueMerchant
	}
	in.Rule, in.FailedCount = "", 0
	var id int64
	err = d.update(ctx, actor, func(tx *Tx) error {
		id, err = tx.raiseIssue(e.ID, e.OrgID, origin, actor.UserID, actor.OrgID, nil, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d.Issue(ctx, actor, id)
}

const issueCols = `q.id, q.entry_id, e.code, e.region, q.org_id, o.name, q.origin, q.raised_by, q.raised_org, q.job_id, q.field, q.rule,
	q.failed_count, q.description, q.status, q.answer, q.workdays, q.due_at, q.created_at, q.answered_at, q.fixed_at, q.closed_at`

func scanIssue(r interface{ Scan(...any) error }, now time.Time, cal *workday.Calendar) (*QualityIssue, error) {
	var q QualityIssue
	var due, created int64
	var answered, fixed, closed sql.NullInt64
	if err := r.Scan(&q.ID, &q.EntryID, &q.EntryCode, &q.region, &q.OrgID, &q.OrgName, &q.Origin, &q.RaisedBy, &q.RaisedOrg, &q.JobID,
		&q.Field, &q.Rule, &q.FailedCount, &q.Description, &q.Status, &q.Answer, &q.Workdays, &due, &created,
		&answered, &fixed, &closed); err != nil {
		return nil, err
	}
	q.DueAt, q.CreatedAt = fromMicros(due), fromMicros(created)
	q.AnsweredAt, q.FixedAt, q.ClosedAt = fromNullMicros(answered), fromNullMicros(fixed), fromNullMicros(closed)
	// Timeliness (R11.1, reported under R31.1): fixed by the deadline counts
	// as on time; an issue closed without a fix is judged by its answer.
	done := q.FixedAt
	if done == nil && q.Status == IssueClosed {
		done = q.AnsweredAt
		if done == nil {
			done = q.ClosedAt
		}
	}
	if done != nil {
		ok := !workday.Overdue(q.DueAt, *done)
		q.OnTime = &ok
	} else {
		q.Overdue = workday.Overdue(q.DueAt, now)
	}
	if cal != nil {
		q.DaysLeft = cal.WorkdaysLeft(now, q.DueAt)
	}
	return &q, nil
}

const issueFrom = ` FROM domain_issues q JOIN catalog_entries e ON e.id = q.entry_id JOIN orgs o ON o.id = q.org_id`

// Issue returns one quality issue the actor may see.
func (d *DB) Issue(ctx context.Context, actor *shuyu.Actor, id int64) (*QualityIssue, error) {
	var q *QualityIssue
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		cal, err := tx.calendar()
		if err != nil {
			return err
		}
		q, err = scanIssue(tx.queryRow(`SELECT `+issueCols+issueFrom+` WHERE q.id = ?`, id), tx.now, cal)
		if isNoRows(err) {
			return notFound("质量问题")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, shuyu.ActIssueRead, q.Resource()); err != nil {
		return nil, err
	}
	return q, nil
}

// IssueFilter narrows Issues.
type IssueFilter struct {
	EntryID int64
	Status  string
}

// Issues lists the quality issues the actor may see, newest first.
func (d *DB) Issues(ctx context.Context, actor *shuyu.Actor, f IssueFilter) ([]*QualityIssue, error) {
	if err := shuyu.Authorize(actor, shuyu.ActIssueRead, shuyu.Resource{Kind: "domain_issue"}); err != nil {
		return nil, err
	}
	switch f.Status {
	case "", IssueOpen, IssueAnswered, IssueFixed, IssueClosed:
	default:
		return nil, shuyu.Errorf(shuyu.EINVALID, "状态须为 open、answered、fixed 或 closed (bad status)")
	}
	out := []*QualityIssue{}
	err := d.view(ctx, func(tx *Tx) error {
		q := `SELECT ` + issueCols + issueFrom + ` WHERE 1 = 1`
		var args []any
		if f.EntryID != 0 {
			q += ` AND q.entry_id = ?`
			args = append(args, f.EntryID)
		}
		if f.Status != "" {
			q += ` AND q.status = ?`
			args = append(args, f.Status)
		}
		cal, err := tx.calendar()
		if err != nil {
			return err
		}
		rows, err := tx.query(q+` ORDER BY q.id DESC`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			is, err := scanIssue(rows, tx.now, cal)
			if err != nil {
				return err
			}
			if shuyu.Can(actor, shuyu.ActIssueRead, is.Resource()) {
				out = append(out, is)
			}
		}
		return rows.Err()
	})
	return out, err
}

// issueStep moves an issue along open → answered → fixed → closed.
func (d *DB) issueStep(ctx context.Context, actor *shuyu.Actor, id int64, action shuyu.Action, to, text string) (*QualityIssue, error) {
	q, err := d.Issue(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, action, q.Resource()); err != nil {
		return nil, err
	}
	allowed := map[string][]string{
		IssueAnswered: {IssueOpen, IssueAnswered},
		IssueFixed:    {IssueOpen, IssueAnswered},
		IssueClosed:   {IssueOpen, IssueAnswered, IssueFixed},
	}[to]
	ok := false
	for _, s := range allowed {
		ok = ok || q.Status == s
	}
	if !ok {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "问题当前状态为%s，不能执行此操作 (not allowed in this state)", q.Status)
	}
	if to == IssueAnswered {
		if text, err = issueText("answer", text, 4000); err != nil {
			return nil, err
		}
	} else if utf8.RuneCountInString(text) > 4000 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "说明过长 (note too long)")
	}
	err = d.update(ctx, actor, func(tx *Tx) error {
		var res sql.Result
		var err error
		switch to {
		case IssueAnswered:
			res, err = tx.exec(`UPDATE domain_issues SET status = ?, answer = ?, answered_at = ? WHERE id = ? AND status = ?`,
				to, text, micros(tx.now), id, q.Status)
		case IssueFixed:
			ans := q.Answer
			if text != "" {
				ans = text
			}
			res, err = tx.exec(`UPDATE domain_issues SET status = ?, answer = ?, answered_at = coalesce(answered_at, ?), fixed_at = ?
				WHERE id = ? AND status = ?`, to, ans, micros(tx.now), micros(tx.now), id, q.Status)
		default:
			res, err = tx.exec(`UPDATE domain_issues SET status = ?, closed_at = ? WHERE id = ? AND status = ?`, to, micros(tx.now), id, q.Status)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return shuyu.Errorf(shuyu.ECONFLICT, "问题状态已变化，请刷新 (changed concurrently)")
		}
		act := map[string]shuyu.AuditAction{IssueAnswered: shuyu.AuditDomainIssueAnswered, IssueFixed: shuyu.AuditDomainIssueFixed,
			IssueClosed: shuyu.AuditDomainIssueClosed}[to]
		if err := tx.audit(Change{Action: act, ObjectType: "domain_issue", ObjectID: id, Reason: text,
			Detail: map[string]any{"from": q.Status, "to": to}}); err != nil {
			return err
		}
		notify := []int64{q.RaisedOrg}
		if to == IssueClosed {
			notify = []int64{q.OrgID}
		}
		return tx.domainNotify(domainNotice{Orgs: notify, Kind: "domain.issue_" + to, Object: "domain_issue", ID: id, Link: fmt.Sprintf("/domain/issues/%d", id),
			Subject: "数据质量问题状态更新：" + to})
	})
	if err != nil {
		return nil, err
	}
	return d.Issue(ctx, actor, id)
}

// AnswerIssue records the department's answer (R11.1).
func (d *DB) AnswerIssue(ctx context.Context, actor *shuyu.Actor, id int64, answer string) (*QualityIssue, error) {
	return d.issueStep(ctx, actor, id, shuyu.ActIssueAnswer, IssueAnswered, answer)
}

// FixIssue records that the department fixed the problem (R11.1).
func (d *DB) FixIssue(ctx context.Context, actor *shuyu.Actor, id int64, note string) (*QualityIssue, error) {
	return d.issueStep(ctx, actor, id, shuyu.ActIssueAnswer, IssueFixed, note)
}

// CloseIssue confirms and closes an issue (operator or raiser).
func (d *DB) CloseIssue(ctx context.Context, actor *shuyu.Actor, id int64, note string) (*QualityIssue, error) {
	return d.issueStep(ctx, actor, id, shuyu.ActIssueClose, IssueClosed, note)
}
