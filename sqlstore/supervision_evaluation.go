package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
	"shuyu/workday"
)

// The yearly evaluation of the operator (R33.1). The authority defines the
// indicators (weight, scoring rule, the evidence it asks for); indicators
// tied to a live figure are pre-filled from the records of the year
// (onboarding, compliance-check and review deadlines, failed output
// checks); experts, source departments, county authorities and merchants
// rate the indicators while the evaluation is open; the authority may set
// an indicator's score (with a note), publishes the total and the grade,
// and a poor grade starts a rectification due in working days.

// DefaultRectifyWorkdays is the rectification deadline when none is given.
const DefaultRectifyWorkdays = 20

// evalMetric computes a live figure for [from, to) as at tx.now: a share
// (ratio metrics) or a count (penalty metrics), with its evidence in words.
// ok is false when there is nothing to measure.
func (tx *Tx) evalMetric(metric string, from, to time.Time) (value float64, evidence string, links []shuyu.EvidenceLink, ok bool, err error) {
	if metric == "incidents" || metric == "incident_deadlines" {
		return tx.incidentMetric(metric, from, to)
	}
	if metric == "revenue_cap" {
		value, evidence, ok, err = tx.revenueCapMetric(from.In(workday.Zone).Year())
		return value, evidence, nil, ok, err
	}
	value, evidence, ok, err = tx.recordMetric(metric, from, to)
	return value, evidence, nil, ok, err
}

// recordMetric computes the metrics whose evidence is a count of records.
func (tx *Tx) recordMetric(metric string, from, to time.Time) (value float64, evidence string, ok bool, err error) {
	// deadlines answers (on time, considered) over rows of (due, done):
	// a row counts once it is done or past its deadline.
	deadlines := func(q string, args ...any) (int, int, error) {
		rows, err := tx.query(q, args...)
		if err != nil {
			return 0, 0, err
		}
		defer rows.Close()
		onTime, n := 0, 0
		for rows.Next() {
			var due int64
			var done sql.NullInt64
			if err := rows.Scan(&due, &done); err != nil {
				return 0, 0, err
			}
			switch {
			case done.Valid:
				n++
				if !workday.Overdue(fromMicros(due), fromMicros(done.Int64)) {
					onTime++
				}
			case workday.Overdue(fromMicros(due), tx.now):
				n++
			}
		}
		return onTime, n, rows.Err()
	}
	share := func(what string, onTime, n int) (float64, string, bool, error) {
		if n == 0 {
			return 0, "本年度无" + what, false, nil
		}
		return float64(onTime) / float64(n), fmt.Sprintf("%s %d 件，按期 %d 件", what, n, onTime), true, nil
	}
	f, t := micros(from), micros(to)
	switch metric {
	case "onboarding_sla": // R18.2
		on, n, err := deadlines(`SELECT due_at, decided_at FROM merchant_registrations WHERE due_at IS NOT NULL AND accepted_at >= ? AND accepted_at < ?`, f, t)
		if err != nil {
			return 0, "", false, err
		}
		return share("入驻登记核查", on, n)
	case "compliance_sla": // R20.2
		on, n, err := deadlines(`SELECT check_due, checked_at FROM application_rounds WHERE submitted_at >= ? AND submitted_at < ?`, f, t)
		if err != nil {
			return 0, "", false, err
		}
		return share("申请合规核查", on, n)
	case "review_sla": // R21.1; a deemed approval is silence, not a timely decision
		on, n, err := deadlines(`SELECT due_at, CASE WHEN status IN (?, ?) THEN decided_at WHEN status = ? THEN due_at + 1 END
			FROM reviews WHERE kind = 'operator' AND status <> 'closed' AND opened_at >= ? AND opened_at < ?`,
			shuyu.ReviewApproved, shuyu.ReviewRejected, shuyu.ReviewDeemed, f, t)
		if err != nil {
			return 0, "", false, err
		}
		return share("运营机构审核", on, n)
	case "output_findings": // R17.1
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM product_checks WHERE passed = ? AND created_at >= ? AND created_at < ?`, false, f, t).Scan(&n); err != nil {
			return 0, "", false, err
		}
		return float64(n), fmt.Sprintf("出域核查未通过 %d 次", n), true, nil
	case "complaints": // R33.1: complaints about the operator found justified — fee disputes and registry objections upheld
		var disputes, disputesUpheld, objections, objectionsUpheld int
		if err := tx.queryRow(`SELECT count(*), coalesce(sum(CASE WHEN status = 'upheld' THEN 1 ELSE 0 END), 0) FROM money_disputes
			WHERE created_at >= ? AND created_at < ?`, f, t).Scan(&disputes, &disputesUpheld); err != nil {
			return 0, "", false, err
		}
		if err := tx.queryRow(`SELECT count(*), coalesce(sum(CASE WHEN status = 'upheld' THEN 1 ELSE 0 END), 0) FROM registry_objections
			WHERE created_at >= ? AND created_at < ?`, f, t).Scan(&objections, &objectionsUpheld); err != nil {
			return 0, "", false, err
		}
		return float64(disputesUpheld + objectionsUpheld),
			fmt.Sprintf("收费异议 %d 件，成立 %d 件；登记公示异议 %d 件，成立 %d 件", disputes, disputesUpheld, objections, objectionsUpheld), true, nil
	case "merchant_issues": // R11.1, complaints of merchants about supplied data routed through the operator
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM domain_issues WHERE origin = 'merchant' AND created_at >= ? AND created_at < ?`, f, t).Scan(&n); err != nil {
			return 0, "", false, err
		}
		return float64(n), fmt.Sprintf("数据商反馈问题 %d 件", n), true, nil
	}
	return 0, "", false, fmt.Errorf("evaluation: unknown metric %q", metric)
}

// revenueCapMetric sets the year's revenue so far (the statements issued
// for its months, gross less waived: what CloseYear sums) against the
// newest maximum the authority approved for it (R33.1, NPRC.5): 1 when
// within, maximum ÷ revenue when above. No maximum approved: no figure
// (the indicator is rated by hand).
func (tx *Tx) revenueCapMetric(year int) (float64, string, bool, error) {
	al, err := tx.allowed(year)
	if err != nil {
		return 0, "", false, err
	}
	if len(al) == 0 {
		return 0, "本年度尚未核定最高准许收入", false, nil
	}
	per, err := tx.yearRevenue(year)
	if err != nil {
		return 0, "", false, err
	}
	var revenue int64
	for _, f := range per {
		revenue += f
	}
	max := al[0].MaxRevenueFen
	evidence := fmt.Sprintf("已出具对账单收入 %s 元，最高准许收入 %s 元", shuyu.FormatFen(revenue), shuyu.FormatFen(max))
	if revenue <= max {
		return 1, evidence + "，未超出", true, nil
	}
	return float64(max) / float64(revenue), evidence + fmt.Sprintf("，超出 %s 元", shuyu.FormatFen(revenue-max)), true, nil
}

// yearPeriod is the calendar year in Beijing time.
func yearPeriod(year int) (time.Time, time.Time) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, workday.Zone)
	return from, from.AddDate(1, 0, 0)
}

// prefill recomputes every metric indicator of evaluation id.
func (tx *Tx) prefill(e *shuyu.Evaluation) error {
	from, to := yearPeriod(e.Year)
	for i := range e.Indicators {
		ind := &e.Indicators[i]
		if ind.Metric == "" {
			continue
		}
		v, ev, links, ok, err := tx.evalMetric(ind.Metric, from, to)
		if err != nil {
			return err
		}
		linksJSON := ""
		if len(links) > 0 {
			b, err := json.Marshal(links)
			if err != nil {
				return err
			}
			linksJSON = string(b)
		}
		var value, score *float64
		if ok {
			value = &v
			if sc, ok := shuyu.AutoScore(ind.Rule, ind.Points, value); ok {
				score = &sc
			}
		}
		ind.AutoValue, ind.AutoScore, ind.AutoEvidence, ind.AutoLinks = value, score, ev, links
		if _, err := tx.exec(`UPDATE evaluation_indicators SET auto_value = ?, auto_score = ?, auto_evidence = ?, auto_links = ? WHERE id = ?`,
			value, score, ev, linksJSON, ind.ID); err != nil {
			return err
		}
		ind.ComputeScore()
	}
	return nil
}

const evalCols = `e.id, e.year, e.org_id, o.name, e.status, e.score, e.grade, e.summary, e.created_at, e.published_at`

func (tx *Tx) evaluation(id int64) (*shuyu.Evaluation, error) {
	var e shuyu.Evaluation
	var created int64
	var published sql.NullInt64
	err := tx.queryRow(`SELECT `+evalCols+` FROM evaluations e JOIN orgs o ON o.id = e.org_id WHERE e.id = ?`, id).Scan(&e.ID, &e.Year,
		&e.OrgID, &e.OrgName, &e.Status, &e.Score, &e.Grade, &e.Summary, &created, &published)
	if isNoRows(err) {
		return nil, notFound("评价")
	}
	if err != nil {
		return nil, err
	}
	e.CreatedAt, e.PublishedAt = fromMicros(created), fromNullMicros(published)
	e.Indicators, e.Rectifications = []shuyu.Indicator{}, []shuyu.Rectification{}
	rows, err := tx.query(`SELECT id, position, name, weight, rule, metric, points, evidence, auto_value, auto_score, auto_evidence,
		final_score, final_note, auto_links FROM evaluation_indicators WHERE evaluation_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, err
	}
	idx := map[int64]int{}
	for rows.Next() {
		var ind shuyu.Indicator
		var links string
		if err := rows.Scan(&ind.ID, &ind.Position, &ind.Name, &ind.Weight, &ind.Rule, &ind.Metric, &ind.Points, &ind.Evidence,
			&ind.AutoValue, &ind.AutoScore, &ind.AutoEvidence, &ind.FinalScore, &ind.FinalNote, &links); err != nil {
			rows.Close()
			return nil, err
		}
		if links != "" {
			if err := json.Unmarshal([]byte(links), &ind.AutoLinks); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlstore: evidence links of indicator %d: %w", ind.ID, err)
			}
		}
		ind.Inputs = []shuyu.EvaluationRate{}
		idx[ind.ID] = len(e.Indicators)
		e.Indicators = append(e.Indicators, ind)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.query(`SELECT i.indicator_id, i.org_id, o.name, i.role, i.score, i.comment, i.created_at FROM evaluation_inputs i
		JOIN orgs o ON o.id = i.org_id WHERE i.evaluation_id = ? ORDER BY i.indicator_id, i.id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var ind int64
		var r shuyu.EvaluationRate
		var at int64
		if err := rows.Scan(&ind, &r.OrgID, &r.OrgName, &r.Role, &r.Score, &r.Comment, &at); err != nil {
			rows.Close()
			return nil, err
		}
		r.CreatedAt = fromMicros(at)
		if i, ok := idx[ind]; ok {
			e.Indicators[i].Inputs = append(e.Indicators[i].Inputs, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range e.Indicators {
		e.Indicators[i].ComputeScore()
	}
	rects, err := tx.rectifications(`r.evaluation_id = ?`, id)
	if err != nil {
		return nil, err
	}
	e.Rectifications = rects
	return &e, nil
}

func (tx *Tx) rectifications(where string, args ...any) ([]shuyu.Rectification, error) {
	rows, err := tx.query(`SELECT r.id, r.evaluation_id, r.org_id, o.name, r.requirement, r.status, r.workdays, r.due_at, r.response, r.note,
		r.created_at, r.submitted_at, r.closed_at FROM rectifications r JOIN orgs o ON o.id = r.org_id WHERE `+where+` ORDER BY r.due_at, r.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []shuyu.Rectification{}
	for rows.Next() {
		var r shuyu.Rectification
		var due, created int64
		var submitted, closed sql.NullInt64
		if err := rows.Scan(&r.ID, &r.EvaluationID, &r.OrgID, &r.OrgName, &r.Requirement, &r.Status, &r.Workdays, &due, &r.Response,
			&r.Note, &created, &submitted, &closed); err != nil {
			return nil, err
		}
		r.Deadline = tx.deadline(fromMicros(due))
		if r.Status != shuyu.RectOpen {
			r.Deadline.Overdue, r.Deadline.WorkdaysLeft = false, 0
		}
		r.CreatedAt, r.SubmittedAt, r.ClosedAt = fromMicros(created), fromNullMicros(submitted), fromNullMicros(closed)
		out = append(out, r)
	}
	return out, rows.Err()
}

// evalVisible: the authority and the regulators read every evaluation;
// the operator its own once published; raters an open or published one,
// without the other raters' comments while it is open.
func evalVisible(actor *shuyu.Actor, e *shuyu.Evaluation) error {
	if shuyu.Can(actor, shuyu.ActEvaluationManage, e.Resource()) {
		return nil
	}
	if err := shuyu.Authorize(actor, shuyu.ActEvaluationRead, e.Resource()); err == nil && (e.Status == shuyu.EvalPublished || actor.Has(shuyu.RoleRegulator)) {
		return nil
	}
	if shuyu.Can(actor, shuyu.ActEvaluationRate, e.Resource()) && e.Status != shuyu.EvalDraft {
		if e.Status == shuyu.EvalOpen {
			for i := range e.Indicators {
				var own []shuyu.EvaluationRate
				for _, r := range e.Indicators[i].Inputs {
					if r.OrgID == actor.OrgID {
						own = append(own, r)
					}
				}
				e.Indicators[i].Inputs = append([]shuyu.EvaluationRate{}, own...)
			}
		}
		return nil
	}
	return notFound("评价")
}

// CreateEvaluation starts the year's evaluation of the operator with the
// authority's indicators, pre-filled from the live records.
func (d *DB) CreateEvaluation(ctx context.Context, actor *shuyu.Actor, in shuyu.EvaluationInput) (*shuyu.Evaluation, error) {
	if err := shuyu.Authorize(actor, shuyu.ActEvaluationManage, shuyu.Resource{Kind: "evaluation"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var e *shuyu.Evaluation
	err := d.update(ctx, actor, func(tx *Tx) error {
		ops, err := tx.orgsOfKind(shuyu.OrgOperator)
		if err != nil {
			return err
		}
		if len(ops) == 0 {
			return shuyu.Errorf(shuyu.EUNPROCESSABLE, "平台上没有运营机构 (no operator)")
		}
		if in.Year > tx.now.In(workday.Zone).Year() {
			return shuyu.Errorf(shuyu.EINVALID, "年度尚未开始 (the year has not begun)").
				WithDetails([]shuyu.FieldError{{Field: "year", Message: "晚于今年"}})
		}
		id, err := tx.insert(`INSERT INTO evaluations (year, org_id, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			in.Year, ops[0], shuyu.EvalDraft, actor.UserID, micros(tx.now), micros(tx.now))
		if isUnique(err) {
			return shuyu.Errorf(shuyu.ECONFLICT, "%d 年度的评价已经建立 (already exists)", in.Year)
		}
		if err != nil {
			return err
		}
		for i, ind := range in.Indicators {
			if _, err := tx.exec(`INSERT INTO evaluation_indicators (evaluation_id, position, name, weight, rule, metric, points, evidence)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, i+1, ind.Name, ind.Weight, ind.Rule, ind.Metric, ind.Points, ind.Evidence); err != nil {
				return err
			}
		}
		if e, err = tx.evaluation(id); err != nil {
			return err
		}
		if err := tx.prefill(e); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditEvaluationCreate, ObjectType: "evaluation", ObjectID: id,
			Detail: map[string]any{"year": in.Year, "indicators": len(in.Indicators), "rule": "R33.1"}})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// manageEval loads an evaluation the authority changes, in one of the statuses.
func (tx *Tx) manageEval(actor *shuyu.Actor, id int64, statuses ...string) (*shuyu.Evaluation, error) {
	if err := shuyu.Authorize(actor, shuyu.ActEvaluationManage, shuyu.Resource{Kind: "evaluation"}); err != nil {
		return nil, err
	}
	e, err := tx.evaluation(id)
	if err != nil {
		return nil, err
	}
	for _, s := range statuses {
		if e.Status == s {
			return e, nil
		}
	}
	return nil, shuyu.Errorf(shuyu.ECONFLICT, "评价当前状态为“%s”，不能进行此操作 (not allowed in this status)", shuyu.EvalStatusLabel(e.Status))
}

// PrefillEvaluation refreshes the live figures (draft or open).
func (d *DB) PrefillEvaluation(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Evaluation, error) {
	var e *shuyu.Evaluation
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if e, err = tx.manageEval(actor, id, shuyu.EvalDraft, shuyu.EvalOpen); err != nil {
			return err
		}
		if err := tx.prefill(e); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditEvaluationPrefill, ObjectType: "evaluation", ObjectID: id})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// OpenEvaluation opens a draft for ratings; the expert committee, the
// source departments, the county authorities and the merchants are told.
func (d *DB) OpenEvaluation(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Evaluation, error) {
	var e *shuyu.Evaluation
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if e, err = tx.manageEval(actor, id, shuyu.EvalDraft); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE evaluations SET status = ?, updated_at = ? WHERE id = ?`, shuyu.EvalOpen, micros(tx.now), id); err != nil {
			return err
		}
		e.Status = shuyu.EvalOpen
		to, err := tx.domainOrgsOfKind(string(shuyu.OrgExpertCommittee), string(shuyu.OrgSourceDept), string(shuyu.OrgCountyAuthority),
			string(shuyu.OrgMerchant))
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(to, Notice{Kind: "evaluation.open", Title: fmt.Sprintf("请对运营机构 %d 年度工作进行评价", e.Year),
			ObjectType: "evaluation", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/evaluations/%d", id)}); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditEvaluationOpen, ObjectType: "evaluation", ObjectID: id})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// RateInput is one rating of one indicator.
type RateInput struct {
	IndicatorID int64   `json:"indicator_id"`
	Score       float64 `json:"score"`
	Comment     string  `json:"comment"`
}

func (in *RateInput) validate() error {
	in.Comment = strings.TrimSpace(in.Comment)
	var errs []shuyu.FieldError
	if in.Score < 0 || in.Score > 100 {
		errs = append(errs, shuyu.FieldError{Field: "score", Message: "分数应为 0 到 100"})
	}
	if n := utf8.RuneCountInString(in.Comment); n < 2 || n > 1000 {
		errs = append(errs, shuyu.FieldError{Field: "comment", Message: "评价意见应为 2 到 1000 个字"})
	}
	if len(errs) > 0 {
		return shuyu.Errorf(shuyu.EINVALID, "评分不正确 (invalid rating)").WithDetails(errs)
	}
	return nil
}

// RateEvaluation records the actor's organization's rating of one
// indicator while the evaluation is open; a second rating replaces the
// first (R33.1: ratings of departments, county authorities, merchants and
// experts).
func (d *DB) RateEvaluation(ctx context.Context, actor *shuyu.Actor, id int64, in RateInput) (*shuyu.Evaluation, error) {
	if err := shuyu.Authorize(actor, shuyu.ActEvaluationRate, shuyu.Resource{Kind: "evaluation"}); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	var e *shuyu.Evaluation
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if e, err = tx.evaluation(id); err != nil {
			return err
		}
		if e.Status != shuyu.EvalOpen {
			if e.Status == shuyu.EvalDraft {
				return notFound("评价")
			}
			return shuyu.Errorf(shuyu.ECONFLICT, "评价已结束 (the evaluation is closed)")
		}
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM evaluation_indicators WHERE id = ? AND evaluation_id = ?`, in.IndicatorID, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return shuyu.Errorf(shuyu.EINVALID, "没有这项指标 (no such indicator)").
				WithDetails([]shuyu.FieldError{{Field: "indicator_id", Message: "不存在"}})
		}
		if _, err := tx.exec(`DELETE FROM evaluation_inputs WHERE indicator_id = ? AND org_id = ?`, in.IndicatorID, actor.OrgID); err != nil {
			return err
		}
		role := ""
		for _, r := range []shuyu.Role{shuyu.RoleExpert, shuyu.RoleDept, shuyu.RoleCountyAuthority, shuyu.RoleMerchant} {
			if actor.Has(r) {
				role = string(r)
				break
			}
		}
		if _, err := tx.exec(`INSERT INTO evaluation_inputs (evaluation_id, indicator_id, org_id, role, user_id, score, comment, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, in.IndicatorID, actor.OrgID, role, actor.UserID, in.Score, in.Comment, micros(tx.now)); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditEvaluationRate, ObjectType: "evaluation", ObjectID: id,
			Detail: map[string]any{"indicator_id": in.IndicatorID, "score": in.Score, "role": role}}); err != nil {
			return err
		}
		if e, err = tx.evaluation(id); err != nil {
			return err
		}
		return evalVisible(actor, e)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// ScoreInput is the authority's score of one indicator; a nil score clears it.
type ScoreInput struct {
	IndicatorID int64    `json:"indicator_id"`
	Score       *float64 `json:"score"`
	Note        string   `json:"note"`
}

// ScoreIndicator sets (or clears) the authority's score of an indicator,
// which then counts instead of the mean; a set score needs a note.
func (d *DB) ScoreIndicator(ctx context.Context, actor *shuyu.Actor, id int64, in ScoreInput) (*shuyu.Evaluation, error) {
	in.Note = strings.TrimSpace(in.Note)
	if in.Score != nil && (*in.Score < 0 || *in.Score > 100 || in.Note == "") {
		return nil, shuyu.Errorf(shuyu.EINVALID, "分数应为 0 到 100，并说明依据 (score 0..100 with a note)").
			WithDetails([]shuyu.FieldError{{Field: "score", Message: "0 到 100"}, {Field: "note", Message: "必填"}})
	}
	var e *shuyu.Evaluation
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if e, err = tx.manageEval(actor, id, shuyu.EvalDraft, shuyu.EvalOpen); err != nil {
			return err
		}
		res, err := tx.exec(`UPDATE evaluation_indicators SET final_score = ?, final_note = ? WHERE id = ? AND evaluation_id = ?`,
			in.Score, in.Note, in.IndicatorID, id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return shuyu.Errorf(shuyu.EINVALID, "没有这项指标 (no such indicator)").
				WithDetails([]shuyu.FieldError{{Field: "indicator_id", Message: "不存在"}})
		}
		if err := tx.audit(Change{Action: shuyu.AuditEvaluationScore, ObjectType: "evaluation", ObjectID: id, Reason: in.Note,
			Detail: map[string]any{"indicator_id": in.IndicatorID, "score": in.Score}}); err != nil {
			return err
		}
		e, err = tx.evaluation(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// PublishInput closes an evaluation: the summary, and for a poor grade the
// rectification required and its deadline in working days.
type PublishInput struct {
	Summary     string `json:"summary"`
	Requirement string `json:"requirement,omitempty"`
	Workdays    int    `json:"workdays,omitempty"`
}

// PublishEvaluation computes the weighted total and the grade and
// publishes them; a poor grade starts a rectification of the operator due
// N working days from today (R33.1; invariant 4).
func (d *DB) PublishEvaluation(ctx context.Context, actor *shuyu.Actor, id int64, in PublishInput) (*shuyu.Evaluation, error) {
	in.Summary, in.Requirement = strings.TrimSpace(in.Summary), strings.TrimSpace(in.Requirement)
	if n := utf8.RuneCountInString(in.Summary); n < 10 || n > 5000 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "评价结论应为 10 到 5000 个字 (summary of 10..5000 characters)").
			WithDetails([]shuyu.FieldError{{Field: "summary", Message: "10 到 5000 个字"}})
	}
	if in.Workdays == 0 {
		in.Workdays = DefaultRectifyWorkdays
	}
	if in.Workdays < 1 || in.Workdays > 120 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "整改期限应为 1 到 120 个工作日 (1..120 working days)").
			WithDetails([]shuyu.FieldError{{Field: "workdays", Message: "1 到 120"}})
	}
	var e *shuyu.Evaluation
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if e, err = tx.manageEval(actor, id, shuyu.EvalOpen); err != nil {
			return err
		}
		if err := tx.prefill(e); err != nil {
			return err
		}
		total, ok := e.Total()
		if !ok {
			var missing []shuyu.FieldError
			for _, ind := range e.Indicators {
				if ind.Score == nil {
					missing = append(missing, shuyu.FieldError{Field: fmt.Sprintf("indicator.%d", ind.ID), Message: ind.Name + " 尚无得分"})
				}
			}
			return shuyu.Errorf(shuyu.EUNPROCESSABLE, "还有指标没有得分 (indicators without a score)").WithDetails(missing)
		}
		grade := shuyu.EvalGrade(total)
		if grade == shuyu.GradePoor && in.Requirement == "" {
			return shuyu.Errorf(shuyu.EINVALID, "评价为不合格，请写明整改要求 (a poor grade needs a rectification requirement)").
				WithDetails([]shuyu.FieldError{{Field: "requirement", Message: "必填"}})
		}
		if _, err := tx.exec(`UPDATE evaluations SET status = ?, score = ?, grade = ?, summary = ?, published_at = ?, updated_at = ? WHERE id = ?`,
			shuyu.EvalPublished, total, grade, in.Summary, micros(tx.now), micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditEvaluationPublish, ObjectType: "evaluation", ObjectID: id,
			Detail: map[string]any{"score": total, "grade": grade, "rule": "R33.1"}}); err != nil {
			return err
		}
		title := fmt.Sprintf("%d 年度运营机构评价结果：%s（%.1f 分）", e.Year, shuyu.EvalGradeLabel(grade), total)
		if grade == shuyu.GradePoor {
			due, err := tx.due(tx.now, in.Workdays)
			if err != nil {
				return err
			}
			rid, err := tx.insert(`INSERT INTO rectifications (evaluation_id, org_id, requirement, status, workdays, due_at, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, id, e.OrgID, in.Requirement, shuyu.RectOpen, in.Workdays, micros(due), micros(tx.now))
			if err != nil {
				return err
			}
			if err := tx.audit(Change{Action: shuyu.AuditRectifyStart, ObjectType: "rectification", ObjectID: rid, Reason: in.Requirement,
				Detail: map[string]any{"evaluation_id": id, "workdays": in.Workdays, "due": due.In(workday.Zone).Format(time.DateOnly)}}); err != nil {
				return err
			}
			title += fmt.Sprintf("，须于 %s 前完成整改", due.In(workday.Zone).Format(time.DateOnly))
		}
		if err := tx.notifyOrgs([]int64{e.OrgID}, Notice{Kind: "evaluation.published", Title: title, ObjectType: "evaluation",
			ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/evaluations/%d", id)}); err != nil {
			return err
		}
		e, err = tx.evaluation(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Evaluation returns one evaluation the actor may read.
func (d *DB) Evaluation(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Evaluation, error) {
	if actor == nil {
		return nil, shuyu.Errorf(shuyu.EUNAUTHORIZED, "请先登录 (login required)")
	}
	var e *shuyu.Evaluation
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if e, err = tx.evaluation(id); err != nil {
			return err
		}
		return evalVisible(actor, e)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Evaluations lists the evaluations the actor may read, newest year first.
func (d *DB) Evaluations(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.Evaluation, error) {
	if !shuyu.Can(actor, shuyu.ActEvaluationRead, shuyu.Resource{}) && !shuyu.Can(actor, shuyu.ActEvaluationRate, shuyu.Resource{}) {
		return nil, shuyu.Authorize(actor, shuyu.ActEvaluationRead, shuyu.Resource{Kind: "evaluation"})
	}
	out := []*shuyu.Evaluation{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id FROM evaluations ORDER BY year DESC, id DESC`)
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
			e, err := tx.evaluation(id)
			if err != nil {
				return err
			}
			if evalVisible(actor, e) == nil {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}

// OpenRectifications lists the rectifications not yet closed that the
// actor may see (the authority: all; the operator: its own), earliest
// deadline first.
func (d *DB) OpenRectifications(ctx context.Context, actor *shuyu.Actor) ([]shuyu.Rectification, error) {
	var out []shuyu.Rectification
	err := d.view(ctx, func(tx *Tx) error {
		all, err := tx.rectifications(`r.status <> ?`, shuyu.RectClosed)
		if err != nil {
			return err
		}
		out = []shuyu.Rectification{}
		for _, r := range all {
			res := shuyu.Resource{Kind: "evaluation", OrgID: r.OrgID, Exists: true}
			if shuyu.Can(actor, shuyu.ActEvaluationManage, res) || shuyu.Can(actor, shuyu.ActRectifyRespond, res) ||
				(actor != nil && actor.Has(shuyu.RoleRegulator)) {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

func (tx *Tx) rectification(id int64) (*shuyu.Rectification, error) {
	rs, err := tx.rectifications(`r.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, notFound("整改")
	}
	return &rs[0], nil
}

// RectifyInput is the operator's report or the authority's verdict.
type RectifyInput struct {
	Text   string `json:"text"`
	Accept bool   `json:"accept,omitempty"` // the authority: accept (close) or send back
}

// SubmitRectification is the operator's report on an open rectification.
func (d *DB) SubmitRectification(ctx context.Context, actor *shuyu.Actor, id int64, in RectifyInput) (*shuyu.Rectification, error) {
	in.Text = strings.TrimSpace(in.Text)
	if n := utf8.RuneCountInString(in.Text); n < 10 || n > 5000 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "整改情况应为 10 到 5000 个字 (report of 10..5000 characters)").
			WithDetails([]shuyu.FieldError{{Field: "text", Message: "10 到 5000 个字"}})
	}
	var r *shuyu.Rectification
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if r, err = tx.rectification(id); err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActRectifyRespond, shuyu.Resource{Kind: "evaluation", OrgID: r.OrgID, Exists: true}); err != nil {
			return err
		}
		if r.Status != shuyu.RectOpen {
			return shuyu.Errorf(shuyu.ECONFLICT, "整改已提交或已验收 (not open)")
		}
		if _, err := tx.exec(`UPDATE rectifications SET status = ?, response = ?, submitted_at = ? WHERE id = ?`,
			shuyu.RectSubmitted, in.Text, micros(tx.now), id); err != nil {
			return err
		}
		auth, err := tx.orgsOfKind(shuyu.OrgAuthority)
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(auth, Notice{Kind: "rectification.submitted", Title: "运营机构已提交整改情况", ObjectType: "rectification",
			ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/evaluations/%d", r.EvaluationID)}); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditRectifySubmit, ObjectType: "rectification", ObjectID: id,
			Detail: map[string]any{"overdue": r.Deadline.Overdue}}); err != nil {
			return err
		}
		r, err = tx.rectification(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// CloseRectification is the authority's verdict on a submitted report:
// accepted (closed) or sent back (open again, same deadline) with a note.
func (d *DB) CloseRectification(ctx context.Context, actor *shuyu.Actor, id int64, in RectifyInput) (*shuyu.Rectification, error) {
	in.Text = strings.TrimSpace(in.Text)
	if in.Text == "" {
		return nil, shuyu.Errorf(shuyu.EINVALID, "请填写验收意见 (a note is required)").
			WithDetails([]shuyu.FieldError{{Field: "text", Message: "必填"}})
	}
	var r *shuyu.Rectification
	err := d.update(ctx, actor, func(tx *Tx) error {
		if err := shuyu.Authorize(actor, shuyu.ActEvaluationManage, shuyu.Resource{Kind: "evaluation"}); err != nil {
			return err
		}
		var err error
		if r, err = tx.rectification(id); err != nil {
			return err
		}
		if r.Status != shuyu.RectSubmitted {
			return shuyu.Errorf(shuyu.ECONFLICT, "整改尚未提交 (not submitted)")
		}
		if in.Accept {
			_, err = tx.exec(`UPDATE rectifications SET status = ?, note = ?, closed_at = ? WHERE id = ?`, shuyu.RectClosed, in.Text, micros(tx.now), id)
		} else {
			_, err = tx.exec(`UPDATE rectifications SET status = ?, note = ? WHERE id = ?`, shuyu.RectOpen, in.Text, id)
		}
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs([]int64{r.OrgID}, Notice{Kind: "rectification.closed", Title: map[bool]string{true: "整改已通过验收",
			false: "整改未通过验收，请继续整改"}[in.Accept], ObjectType: "rectification", ObjectID: fmt.Sprint(id),
			Link: fmt.Sprintf("/evaluations/%d", r.EvaluationID)}); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditRectifyClose, ObjectType: "rectification", ObjectID: id, Reason: in.Text,
			Detail: map[string]any{"accepted": in.Accept}}); err != nil {
			return err
		}
		r, err = tx.rectification(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}
