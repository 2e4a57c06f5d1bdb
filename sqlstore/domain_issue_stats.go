package sqlstore

import (
	"context"
	"strconv"

	"shuyu"
)

// The deadline setting of quality issues and the counts per department
// (R11.1, reported under R31.1).

// issueWorkdays is the configured deadline in working days.
func (tx *Tx) issueWorkdays() (int, error) {
	var v string
	err := tx.queryRow(`SELECT value FROM settings WHERE key = ?`, issueWorkdaysKey).Scan(&v)
	if isNoRows(err) {
		return DefaultIssueWorkdays, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return DefaultIssueWorkdays, nil
	}
	return n, nil
}

// IssueWorkdays returns the configured deadline in working days.
func (d *DB) IssueWorkdays(ctx context.Context, actor *shuyu.Actor) (int, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDomainSettingsRead, shuyu.Resource{Kind: "domain_settings"}); err != nil {
		return 0, err
	}
	var n int
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.issueWorkdays()
		return err
	})
	return n, err
}

// SetIssueWorkdays configures the deadline for new quality issues (R11.1).
func (d *DB) SetIssueWorkdays(ctx context.Context, actor *shuyu.Actor, n int) error {
	if err := shuyu.Authorize(actor, shuyu.ActDomainSettingsUpdate, shuyu.Resource{Kind: "domain_settings"}); err != nil {
		return err
	}
	if n < 1 || n > 60 {
		return shuyu.Errorf(shuyu.EINVALID, "处理时限须为1至60个工作日 (1 to 60 working days)").
			WithDetails([]shuyu.FieldError{{Field: "issue_workdays", Message: "超出范围 (out of range)"}})
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM settings WHERE key = ?`, issueWorkdaysKey); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO settings (key, value) VALUES (?, ?)`, issueWorkdaysKey, strconv.Itoa(n)); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditDomainSettingsUpdate, ObjectType: "settings", ObjectID: issueWorkdaysKey,
			Detail: map[string]any{"issue_workdays": n}})
	})
}

// IssueStats counts issues per department: what the notice on departments
// reports about data quality (R11.1, R31.1).
type IssueStats struct {
	OrgID   int64   `json:"org_id"`
	OrgName string  `json:"org_name"`
	Total   int     `json:"total"`
	Open    int     `json:"open"` // open or answered, not fixed
	Fixed   int     `json:"fixed"`
	Closed  int     `json:"closed"`
	Overdue int     `json:"overdue"` // unfixed past the deadline
	OnTime  int     `json:"on_time"` // resolved by the deadline
	Late    int     `json:"late"`    // resolved after the deadline
	Timely  float64 `json:"timely"`  // on_time / resolved, 0..1
}

// IssueStatistics aggregates the issues the actor may see by department.
func (d *DB) IssueStatistics(ctx context.Context, actor *shuyu.Actor) ([]IssueStats, error) {
	list, err := d.Issues(ctx, actor, IssueFilter{})
	if err != nil {
		return nil, err
	}
	by := map[int64]*IssueStats{}
	var order []int64
	for _, q := range list {
		s := by[q.OrgID]
		if s == nil {
			s = &IssueStats{OrgID: q.OrgID, OrgName: q.OrgName}
			by[q.OrgID] = s
			order = append(order, q.OrgID)
		}
		s.Total++
		switch q.Status {
		case IssueOpen, IssueAnswered:
			s.Open++
		case IssueFixed:
			s.Fixed++
		case IssueClosed:
			s.Closed++
		}
		if q.Overdue {
			s.Overdue++
		}
		if q.OnTime != nil {
			if *q.OnTime {
				s.OnTime++
			} else {
				s.Late++
			}
		}
	}
	out := []IssueStats{}
	for _, id := range order {
		s := by[id]
		if r := s.OnTime + s.Late; r > 0 {
			s.Timely = float64(s.OnTime) / float64(r)
		}
		out = append(out, *s)
	}
	return out, nil
}
