package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
)

func TestDomainIssues_R11_1_LifecycleDeadlineAndCounts(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, clock, as := env.DB, env.Clock, env.Actors
		dept, ma, mb := as["dept-gongan"], as["merchant-a"], as["merchant-b"]
		id := domainInsertEntry(t, db, "ZW-GA-0001", dept, true, "daily", domainPeopleFields)

		// The authority configures the deadline; departments cannot.
		if err := db.SetIssueWorkdays(ctx, dept, 3); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("dept sets deadline: %v", err)
		}
		if err := db.SetIssueWorkdays(ctx, as["authority"], 0); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("zero workdays: %v", err)
		}
		if n, _ := db.IssueWorkdays(ctx, dept); n != sqlstore.DefaultIssueWorkdays {
			t.Fatalf("default workdays = %d", n)
		}
		if err := db.SetIssueWorkdays(ctx, as["authority"], 3); err != nil {
			t.Fatal(err)
		}
		// A merchant raises an issue it met; it is routed to the department.
		q, err := db.RaiseIssue(ctx, ma, id, sqlstore.IssueInput{Field: "age", Description: "年龄字段存在负数"})
		if err != nil {
			t.Fatal(err)
		}
		cal, _ := workday.New()
		due, _ := cal.Due(sqltest.Start, 3)
		if q.Origin != sqlstore.IssueMerchant || q.OrgID != dept.OrgID || q.Status != sqlstore.IssueOpen || !q.DueAt.Equal(due.Truncate(time.Microsecond)) || q.Workdays != 3 {
			t.Fatalf("raised = %+v, due want %v", q, due)
		}
		// Who sees it: the department, the raiser, the operator; not another merchant.
		if _, err := db.Issue(ctx, mb, q.ID); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("other merchant reads issue: %v", err)
		}
		if l, _ := db.Issues(ctx, mb, sqlstore.IssueFilter{}); len(l) != 0 {
			t.Fatalf("other merchant lists %d issues", len(l))
		}
		if l, _ := db.Issues(ctx, dept, sqlstore.IssueFilter{Status: sqlstore.IssueOpen}); len(l) != 1 {
			t.Fatalf("dept open issues = %d", len(l))
		}
		// Bad input changes nothing.
		for name, err := range map[string]error{
			"empty description": func() error {
				_, err := db.RaiseIssue(ctx, ma, id, sqlstore.IssueInput{Description: ""})
				return err
			}(),
			"unknown field": func() error {
				_, err := db.RaiseIssue(ctx, ma, id, sqlstore.IssueInput{Field: "x", Description: "x"})
				return err
			}(),
			"merchant answers": func() error { _, err := db.AnswerIssue(ctx, ma, q.ID, "好"); return err }(),
			"empty answer":     func() error { _, err := db.AnswerIssue(ctx, dept, q.ID, ""); return err }(),
			"other dept answers": func() error {
				_, err := db.AnswerIssue(ctx, as["dept-haiyuan-weijian"], q.ID, "好")
				return err
			}(),
		} {
			if c := shuyu.ErrorCode(err); c != shuyu.EINVALID && c != shuyu.EFORBIDDEN && c != shuyu.ENOTFOUND {
				t.Errorf("%s: %v", name, err)
			}
		}
		if q2, _ := db.Issue(ctx, dept, q.ID); q2.Status != sqlstore.IssueOpen {
			t.Fatalf("refused steps changed the issue: %+v", q2)
		}
		// Answered on day 2, fixed on day 2: on time.
		clock.Advance(24 * time.Hour)
		if q, err = db.AnswerIssue(ctx, dept, q.ID, "已核实，系录入错误"); err != nil || q.Status != sqlstore.IssueAnswered || q.AnsweredAt == nil {
			t.Fatalf("answer: %+v %v", q, err)
		}
		if q, err = db.FixIssue(ctx, dept, q.ID, "已提交更正后的第2版"); err != nil || q.Status != sqlstore.IssueFixed || q.OnTime == nil || !*q.OnTime {
			t.Fatalf("fix: %+v %v", q, err)
		}
		if _, err := db.AnswerIssue(ctx, dept, q.ID, "再答"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("answer a fixed issue: %v", err)
		}
		if q, err = db.CloseIssue(ctx, ma, q.ID, "确认已修复"); err != nil || q.Status != sqlstore.IssueClosed {
			t.Fatalf("close by raiser: %+v %v", q, err)
		}
		// A second issue left alone goes overdue after 3 working days.
		late, err := db.RaiseIssue(ctx, as["operator-reviewer"], id, sqlstore.IssueInput{Description: "缺少2024年数据"})
		if err != nil || late.Origin != sqlstore.IssueOperator {
			t.Fatalf("operator raise: %+v %v", late, err)
		}
		clock.Advance(10 * 24 * time.Hour)
		late, _ = db.Issue(ctx, dept, late.ID)
		if !late.Overdue || late.DaysLeft >= 0 {
			t.Fatalf("unanswered issue not overdue: %+v", late)
		}
		st, err := db.IssueStatistics(ctx, as["authority"])
		if err != nil || len(st) != 1 {
			t.Fatalf("stats: %+v %v", st, err)
		}
		if s := st[0]; s.OrgID != dept.OrgID || s.Total != 2 || s.Open != 1 || s.Closed != 1 || s.Overdue != 1 || s.OnTime != 1 || s.Timely != 1 {
			t.Fatalf("stats = %+v", s)
		}
		// Every step was audited; the department was notified of each new issue.
		var raised, notices int
		db.SQL().QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'domain.issue_raise'`).Scan(&raised)
		db.SQL().QueryRow(db.Rebind(`SELECT count(*) FROM notices WHERE kind = 'domain.issue' AND org_id = ?`), dept.OrgID).Scan(&notices)
		if raised != 2 || notices != 2 {
			t.Fatalf("raise events %d, issue notices %d", raised, notices)
		}
	})
}
