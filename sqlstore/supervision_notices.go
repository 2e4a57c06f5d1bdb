package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"

	"shuyu"
	"shuyu/workday"
)

// Notices on source departments (通报, R31.1). The figures are computed from
// the records the catalog, the domain and the reviews keep — nothing is
// entered by hand — when the authority drafts a notice and again when it
// asks while the notice is a draft. Publishing freezes them: a published
// notice shows what was published even when the records move on.
//
// Who sees what: drafts and withdrawn notices only the authority; published
// internal notices the government bodies, the regulators and the operator
// after login; published public notices everyone, anonymous included
// (GET /api/v1/notices and the portal). Before publication a department
// sees only its own live figures (DeptFigures), never another's.

// deptFigures computes the figures of every active source department (or
// of one, orgID != 0) for the period [from, to), as at tx.now.
func (tx *Tx) deptFigures(from, to time.Time, orgID int64) ([]shuyu.DeptFigures, error) {
	var out []shuyu.DeptFigures
	idx := map[int64]int{}
	rows, err := tx.query(`SELECT id, name FROM orgs WHERE kind = ? AND status = 'active' AND (? = 0 OR id = ?) ORDER BY id`,
		shuyu.OrgSourceDept, orgID, orgID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var f shuyu.DeptFigures
		if err := rows.Scan(&f.OrgID, &f.OrgName); err != nil {
			rows.Close()
			return nil, err
		}
		idx[f.OrgID] = len(out)
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	at := func(org int64) *shuyu.DeptFigures {
		if i, ok := idx[org]; ok {
			return &out[i]
		}
		return nil
	}

	// Catalog and mounting, as at now (R8, R10.2).
	type entry struct {
		org       int64
		published bool
		mounted   bool
		freq      string
		loaded    sql.NullInt64
	}
	var entries []entry
	rows, err = tx.query(`SELECT e.org_id, e.published_rev_id IS NOT NULL, e.mounted, coalesce(r.update_freq, ''), m.loaded_at
		FROM catalog_entries e LEFT JOIN catalog_revisions r ON r.id = e.published_rev_id
		LEFT JOIN domain_mounts m ON m.entry_id = e.id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.org, &e.published, &e.mounted, &e.freq, &e.loaded); err != nil {
			rows.Close()
			return nil, err
		}
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, e := range entries {
		f := at(e.org)
		if f == nil {
			continue
		}
		f.Entries++
		if !e.published {
			continue
		}
		f.Published++
		if e.mounted {
			f.Mounted++
		}
		// The same rule as the mounting page (MountStatus.Overdue).
		if e.loaded.Valid {
			if next, ok := nextUpdate(e.freq, fromMicros(e.loaded.Int64)); ok && tx.now.After(next) {
				f.OverdueSupply++
			}
		} else if e.freq != "irregular" {
			f.OverdueSupply++
		}
	}

	// Quality issues raised in the period, judged as the issue list judges
	// them (scanIssue: fixed by the deadline is on time; R11.1).
	var issues []*QualityIssue
	rows, err = tx.query(`SELECT `+issueCols+issueFrom+` WHERE q.created_at >= ? AND q.created_at < ?`, micros(from), micros(to))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		q, err := scanIssue(rows, tx.now, nil)
		if err != nil {
			rows.Close()
			return nil, err
		}
		issues = append(issues, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, q := range issues {
		f := at(q.OrgID)
		if f == nil {
			continue
		}
		f.IssuesOpened++
		switch {
		case q.OnTime != nil && *q.OnTime:
			f.IssuesOnTime++
		case q.OnTime != nil:
			f.IssuesLate++
		case q.Overdue:
			f.IssuesOverdue++
		}
	}

	// Reviews opened in the period (R21.1); silence past the deadline is a
	// deemed approval (R21.3) and is reported as such.
	rows, err = tx.query(`SELECT org_id, status, due_at, decided_at FROM reviews WHERE opened_at >= ? AND opened_at < ?`,
		micros(from), micros(to))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var org, due int64
		var status string
		var decided sql.NullInt64
		if err := rows.Scan(&org, &status, &due, &decided); err != nil {
			rows.Close()
			return nil, err
		}
		f := at(org)
		if f == nil {
			continue
		}
		f.Reviews++
		switch status {
		case shuyu.ReviewDeemed:
			f.ReviewsDeemed++
		case shuyu.ReviewApproved, shuyu.ReviewRejected:
			if decided.Valid && !workday.Overdue(fromMicros(due), fromMicros(decided.Int64)) {
				f.ReviewsOnTime++
			} else {
				f.ReviewsLate++
			}
		case shuyu.ReviewOpen:
			if workday.Overdue(fromMicros(due), tx.now) {
				f.ReviewsOpenOverdue++
			}
		}
	}
	rows.Close()
	if out == nil {
		out = []shuyu.DeptFigures{}
	}
	return out, rows.Err()
}

const noticeCols = `id, title, period_from, period_to, body, visibility, status, computed_at, created_at, published_at`

func scanNotice(r interface{ Scan(...any) error }) (*shuyu.DeptNotice, error) {
	var n shuyu.DeptNotice
	var from, to, computed, created int64
	var published sql.NullInt64
	if err := r.Scan(&n.ID, &n.Title, &from, &to, &n.Body, &n.Visibility, &n.Status, &computed, &created, &published); err != nil {
		return nil, err
	}
	n.From, n.To, n.ComputedAt, n.CreatedAt = fromMicros(from), fromMicros(to), fromMicros(computed), fromMicros(created)
	n.PublishedAt = fromNullMicros(published)
	n.Figures = []shuyu.DeptFigures{}
	return &n, nil
}

const figureCols = `org_id, org_name, entries, published, mounted, overdue_supply, issues_opened, issues_on_time, issues_late,
	issues_overdue, reviews, reviews_on_time, reviews_late, reviews_deemed, reviews_open_overdue`

func figureArgs(f *shuyu.DeptFigures) []any {
	return []any{f.OrgID, f.OrgName, f.Entries, f.Published, f.Mounted, f.OverdueSupply, f.IssuesOpened, f.IssuesOnTime,
		f.IssuesLate, f.IssuesOverdue, f.Reviews, f.ReviewsOnTime, f.ReviewsLate, f.ReviewsDeemed, f.ReviewsOpenOverdue}
}

func scanFigures(r interface{ Scan(...any) error }) (shuyu.DeptFigures, error) {
	var f shuyu.DeptFigures
	err := r.Scan(&f.OrgID, &f.OrgName, &f.Entries, &f.Published, &f.Mounted, &f.OverdueSupply, &f.IssuesOpened, &f.IssuesOnTime,
		&f.IssuesLate, &f.IssuesOverdue, &f.Reviews, &f.ReviewsOnTime, &f.ReviewsLate, &f.ReviewsDeemed, &f.ReviewsOpenOverdue)
	return f, err
}

// storeFigures replaces a notice's figures with freshly computed ones.
func (tx *Tx) storeFigures(n *shuyu.DeptNotice) ([]shuyu.DeptFigures, error) {
	figs, err := tx.deptFigures(n.From, n.To, 0)
	if err != nil {
		return nil, err
	}
	if _, err := tx.exec(`DELETE FROM dept_notice_figures WHERE notice_id = ?`, n.ID); err != nil {
		return nil, err
	}
	for i := range figs {
		args := append([]any{n.ID}, figureArgs(&figs[i])...)
		if _, err := tx.exec(`INSERT INTO dept_notice_figures (notice_id, `+figureCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
			return nil, err
		}
	}
	return figs, nil
}

func (tx *Tx) notice(id int64) (*shuyu.DeptNotice, error) {
	n, err := scanNotice(tx.queryRow(`SELECT `+noticeCols+` FROM dept_notices WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("通报")
	}
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT `+figureCols+` FROM dept_notice_figures WHERE notice_id = ? ORDER BY org_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		f, err := scanFigures(rows)
		if err != nil {
			return nil, err
		}
		n.Figures = append(n.Figures, f)
	}
	return n, rows.Err()
}

// deptNoticeVisible decides whether actor (nil: anonymous) may read n: a
// published public notice everyone, a published internal one who may read
// notices, anything else only the authority. Refusals look like absence.
func deptNoticeVisible(actor *shuyu.Actor, n *shuyu.DeptNotice) error {
	if actor != nil && shuyu.Can(actor, shuyu.ActNoticeManage, n.Resource()) {
		return nil
	}
	if n.Status == shuyu.NoticePublished {
		if n.Visibility == shuyu.NoticePublic {
			return nil
		}
		if actor != nil && shuyu.Can(actor, shuyu.ActNoticeRead, n.Resource()) {
			return nil
		}
	}
	return notFound("通报")
}

// DraftNotice computes the figures of a period and keeps them as a draft
// notice with the authority's title, wording and visibility (R31.1).
func (d *DB) DraftNotice(ctx context.Context, actor *shuyu.Actor, in shuyu.NoticeInput) (*shuyu.DeptNotice, error) {
	if err := shuyu.Authorize(actor, shuyu.ActNoticeManage, shuyu.Resource{Kind: "dept_notice"}); err != nil {
		return nil, err
	}
	from, to, err := in.Period(workday.Zone)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var n *shuyu.DeptNotice
	err = d.update(ctx, actor, func(tx *Tx) error {
		if from.After(tx.now) {
			return shuyu.Errorf(shuyu.EINVALID, "通报期间尚未开始 (the period has not begun)").
				WithDetails([]shuyu.FieldError{{Field: "from", Message: "起始日期晚于今天"}})
		}
		id, err := tx.insert(`INSERT INTO dept_notices (title, period_from, period_to, body, visibility, status, computed_at,
			created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.Title, micros(from), micros(to), in.Body, in.Visibility, shuyu.NoticeDraft, micros(tx.now), actor.UserID,
			micros(tx.now), micros(tx.now))
		if err != nil {
			return err
		}
		if n, err = tx.notice(id); err != nil {
			return err
		}
		if n.Figures, err = tx.storeFigures(n); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditNoticeDraft, ObjectType: "dept_notice", ObjectID: id,
			Detail: map[string]any{"title": in.Title, "from": in.From, "to": in.To, "departments": len(n.Figures), "rule": "R31.1"}})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// draftNotice loads a notice the authority may change: only a draft.
func (tx *Tx) draftNotice(actor *shuyu.Actor, id int64) (*shuyu.DeptNotice, error) {
	if err := shuyu.Authorize(actor, shuyu.ActNoticeManage, shuyu.Resource{Kind: "dept_notice"}); err != nil {
		return nil, err
	}
	n, err := tx.notice(id)
	if err != nil {
		return nil, err
	}
	if n.Status != shuyu.NoticeDraft {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "通报已发布，不能再修改 (only a draft can be changed)")
	}
	return n, nil
}

// UpdateNotice changes a draft's title, wording and visibility; the period
// and the figures stay (RecomputeNotice refreshes the figures).
func (d *DB) UpdateNotice(ctx context.Context, actor *shuyu.Actor, id int64, in shuyu.NoticeInput) (*shuyu.DeptNotice, error) {
	if err := shuyu.Authorize(actor, shuyu.ActNoticeManage, shuyu.Resource{Kind: "dept_notice"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var n *shuyu.DeptNotice
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if n, err = tx.draftNotice(actor, id); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE dept_notices SET title = ?, body = ?, visibility = ?, updated_at = ? WHERE id = ?`,
			in.Title, in.Body, in.Visibility, micros(tx.now), id); err != nil {
			return err
		}
		n.Title, n.Body, n.Visibility = in.Title, in.Body, in.Visibility
		return tx.audit(Change{Action: shuyu.AuditNoticeUpdate, ObjectType: "dept_notice", ObjectID: id,
			Detail: map[string]any{"title": in.Title, "visibility": in.Visibility}})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// RecomputeNotice refreshes a draft's figures from the live records.
func (d *DB) RecomputeNotice(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.DeptNotice, error) {
	var n *shuyu.DeptNotice
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if n, err = tx.draftNotice(actor, id); err != nil {
			return err
		}
		if n.Figures, err = tx.storeFigures(n); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE dept_notices SET computed_at = ?, updated_at = ? WHERE id = ?`, micros(tx.now), micros(tx.now), id); err != nil {
			return err
		}
		n.ComputedAt = tx.now
		return tx.audit(Change{Action: shuyu.AuditNoticeRecompute, ObjectType: "dept_notice", ObjectID: id,
			Detail: map[string]any{"departments": len(n.Figures)}})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// PublishNotice publishes a draft (R31.1): its figures are frozen, every
// source department gets it in its inbox, and a public one appears on the
// portal.
func (d *DB) PublishNotice(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.DeptNotice, error) {
	var n *shuyu.DeptNotice
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if n, err = tx.draftNotice(actor, id); err != nil {
			return err
		}
		if n.Body == "" {
			return shuyu.Errorf(shuyu.EUNPROCESSABLE, "请先撰写通报正文 (write the wording first)").
				WithDetails([]shuyu.FieldError{{Field: "body", Message: "正文为空"}})
		}
		res, err := tx.exec(`UPDATE dept_notices SET status = ?, published_at = ?, published_by = ?, updated_at = ? WHERE id = ? AND status = ?`,
			shuyu.NoticePublished, micros(tx.now), actor.UserID, micros(tx.now), id, shuyu.NoticeDraft)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return shuyu.Errorf(shuyu.ECONFLICT, "通报已发布 (already published)")
		}
		n.Status, n.PublishedAt = shuyu.NoticePublished, &tx.now
		orgs := make([]int64, len(n.Figures))
		for i, f := range n.Figures {
			orgs[i] = f.OrgID
		}
		if err := tx.notifyOrgs(orgs, Notice{Kind: "dept_notice.published", Title: "数据局发布通报：" + n.Title,
			ObjectType: "dept_notice", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/supervision/notices/%d", id)}); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditNoticePublish, ObjectType: "dept_notice", ObjectID: id,
			Detail: map[string]any{"visibility": n.Visibility, "departments": len(n.Figures), "rule": "R31.1"}})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// WithdrawNotice takes a published notice down (it stays in the store and
// its publication in the trail).
func (d *DB) WithdrawNotice(ctx context.Context, actor *shuyu.Actor, id int64, reason string) error {
	if err := shuyu.Authorize(actor, shuyu.ActNoticeManage, shuyu.Resource{Kind: "dept_notice"}); err != nil {
		return err
	}
	if reason == "" {
		return shuyu.Errorf(shuyu.EINVALID, "请说明撤回理由 (a reason is required)").
			WithDetails([]shuyu.FieldError{{Field: "reason", Message: "必填"}})
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE dept_notices SET status = ?, withdrawn_at = ?, updated_at = ? WHERE id = ? AND status = ?`,
			shuyu.NoticeWithdrawn, micros(tx.now), micros(tx.now), id, shuyu.NoticePublished)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			if _, err := tx.notice(id); err != nil {
				return err
			}
			return shuyu.Errorf(shuyu.ECONFLICT, "只能撤回已发布的通报 (only a published notice can be withdrawn)")
		}
		return tx.audit(Change{Action: shuyu.AuditNoticeWithdraw, ObjectType: "dept_notice", ObjectID: id, Reason: reason})
	})
}

// DeptNotice returns one notice the actor (nil: anonymous) may read.
func (d *DB) DeptNotice(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.DeptNotice, error) {
	var n *shuyu.DeptNotice
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if n, err = tx.notice(id); err != nil {
			return err
		}
		return deptNoticeVisible(actor, n)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// DeptNotices lists the notices the actor (nil: anonymous) may read, newest
// first, without their figures.
func (d *DB) DeptNotices(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.DeptNotice, error) {
	out := []*shuyu.DeptNotice{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT ` + noticeCols + ` FROM dept_notices ORDER BY period_from DESC, id DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			n, err := scanNotice(rows)
			if err != nil {
				return err
			}
			if deptNoticeVisible(actor, n) == nil {
				out = append(out, n)
			}
		}
		return rows.Err()
	})
	return out, err
}

// DeptTrendPoint is one period of a department's figures.
type DeptTrendPoint struct {
	NoticeID int64             `json:"notice_id,omitempty"` // 0 for the live figures of the current month
	Label    string            `json:"label"`               // the period, e.g. 2026-10-01 – 2026-10-31
	Figures  shuyu.DeptFigures `json:"figures"`
}

// DeptFiguresView is what a department sees of itself: its live figures of
// a period, and its figures in the notices published so far (the trend).
type DeptFiguresView struct {
	OrgID   int64             `json:"org_id"`
	OrgName string            `json:"org_name"`
	From    time.Time         `json:"from"`
	To      time.Time         `json:"to"`
	Live    shuyu.DeptFigures `json:"live"`
	Trend   []DeptTrendPoint  `json:"trend"`
}

// DeptFigures computes one department's live figures for [from, to) and
// its trend over published notices. A department may ask only about
// itself, a county authority about departments of its county, the city
// authority about any (R31.1: before publication no department sees
// another's figures).
func (d *DB) DeptFigures(ctx context.Context, actor *shuyu.Actor, orgID int64, from, to time.Time) (*DeptFiguresView, error) {
	if !to.After(from) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "期间不正确 (invalid period)")
	}
	var kind shuyu.OrgKind
	var region, name string
	err := d.view(ctx, func(tx *Tx) error {
		err := tx.queryRow(`SELECT kind, region, name FROM orgs WHERE id = ?`, orgID).Scan(&kind, &region, &name)
		if isNoRows(err) {
			return notFound("部门")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, shuyu.ActDeptFiguresRead, shuyu.Resource{Kind: "dept_figures", OrgID: orgID, Region: region, Exists: true}); err != nil {
		return nil, err
	}
	if kind != shuyu.OrgSourceDept {
		return nil, shuyu.Errorf(shuyu.EUNPROCESSABLE, "只有数源部门有通报指标 (only source departments have figures)")
	}
	v := &DeptFiguresView{OrgID: orgID, OrgName: name, From: from, To: to, Trend: []DeptTrendPoint{}}
	err = d.view(ctx, func(tx *Tx) error {
		figs, err := tx.deptFigures(from, to, orgID)
		if err != nil {
			return err
		}
		if len(figs) == 1 {
			v.Live = figs[0]
		}
		rows, err := tx.query(`SELECT n.id, n.period_from, n.period_to, `+prefixCols("f.", figureCols)+`
			FROM dept_notices n JOIN dept_notice_figures f ON f.notice_id = n.id
			WHERE n.status = ? AND f.org_id = ? ORDER BY n.period_from, n.id`, shuyu.NoticePublished, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p DeptTrendPoint
			var pf, pt int64
			var f shuyu.DeptFigures
			if err := rows.Scan(append([]any{&p.NoticeID, &pf, &pt}, figurePtrs(&f)...)...); err != nil {
				return err
			}
			p.Figures, p.Label = f, PeriodLabel(fromMicros(pf), fromMicros(pt))
			v.Trend = append(v.Trend, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

func figurePtrs(f *shuyu.DeptFigures) []any {
	return []any{&f.OrgID, &f.OrgName, &f.Entries, &f.Published, &f.Mounted, &f.OverdueSupply, &f.IssuesOpened, &f.IssuesOnTime,
		&f.IssuesLate, &f.IssuesOverdue, &f.Reviews, &f.ReviewsOnTime, &f.ReviewsLate, &f.ReviewsDeemed, &f.ReviewsOpenOverdue}
}

func prefixCols(p, cols string) string {
	var b bytes.Buffer
	start := true
	for _, r := range cols {
		if start && r != ' ' && r != '\t' && r != '\n' {
			b.WriteString(p)
			start = false
		}
		if r == ',' {
			start = true
		}
		b.WriteRune(r)
	}
	return b.String()
}

// PeriodLabel names [from, to) with inclusive dates in Beijing time.
func PeriodLabel(from, to time.Time) string {
	return from.In(workday.Zone).Format(time.DateOnly) + " 至 " + to.Add(-time.Microsecond).In(workday.Zone).Format(time.DateOnly)
}

// NoticeXLSX renders a notice's figures as an .xlsx workbook.
func NoticeXLSX(n *shuyu.DeptNotice) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "通报"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	rows := [][]any{
		{n.Title},
		{"通报期间", PeriodLabel(n.From, n.To), "统计时间", n.ComputedAt.In(workday.Zone).Format("2006-01-02 15:04")},
		{},
		{"部门", "目录数", "已发布", "编目完成率(%)", "已挂接", "挂接率(%)", "逾期未更新", "质量问题", "按期处理", "逾期处理",
			"逾期未处理", "按期处理率(%)", "审核件数", "按期审核", "逾期审核", "视为同意", "超期未审", "审核及时率(%)"},
	}
	for _, x := range n.Figures {
		rows = append(rows, []any{x.OrgName, x.Entries, x.Published, x.CompletePct(), x.Mounted, x.MountedPct(), x.OverdueSupply,
			x.IssuesOpened, x.IssuesOnTime, x.IssuesLate, x.IssuesOverdue, x.IssuesTimelyPct(), x.Reviews, x.ReviewsOnTime,
			x.ReviewsLate, x.ReviewsDeemed, x.ReviewsOpenOverdue, x.ReviewsTimelyPct()})
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	_ = f.SetColWidth(sheet, "A", "A", 28)
	if n.Body != "" {
		const text = "正文"
		if _, err := f.NewSheet(text); err != nil {
			return nil, err
		}
		if err := f.SetCellValue(text, "A1", n.Body); err != nil {
			return nil, err
		}
		_ = f.SetColWidth(text, "A", "A", 100)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DeptFiguresAll computes the live figures of [from, to) of every source
// department whose figures the actor may read (the city authority: all; a
// county authority: its county's; a department: itself).
func (d *DB) DeptFiguresAll(ctx context.Context, actor *shuyu.Actor, from, to time.Time) ([]shuyu.DeptFigures, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDeptFiguresRead, shuyu.Resource{Kind: "dept_figures"}); err != nil {
		return nil, err
	}
	if !to.After(from) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "期间不正确 (invalid period)")
	}
	out := []shuyu.DeptFigures{}
	err := d.view(ctx, func(tx *Tx) error {
		region := map[int64]string{}
		rows, err := tx.query(`SELECT id, region FROM orgs WHERE kind = ?`, shuyu.OrgSourceDept)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var r string
			if err := rows.Scan(&id, &r); err != nil {
				rows.Close()
				return err
			}
			region[id] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		all, err := tx.deptFigures(from, to, 0)
		if err != nil {
			return err
		}
		for _, f := range all {
			if shuyu.Can(actor, shuyu.ActDeptFiguresRead, shuyu.Resource{Kind: "dept_figures", OrgID: f.OrgID, Region: region[f.OrgID], Exists: true}) {
				out = append(out, f)
			}
		}
		return nil
	})
	return out, err
}
