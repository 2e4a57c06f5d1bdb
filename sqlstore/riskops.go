package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
)

// Risk assessments (R27.2) and emergency plans, drills and incidents
// (R28.2, Art. 29). Deadlines: an assessment and each measure are due N
// working days after they are set (the working-day calendar, the store's
// injected clock); an incident's notice to the authority is due the plan's
// hours after detection and its written report the plan's working days
// after detection, fixed when the incident is recorded. Every step is
// audited in its transaction.

func textOK(s string, min, max int) bool {
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	return n >= min && n <= max
}

// PlanRisk plans an assessment due in.Workdays working days from now.
func (d *DB) PlanRisk(ctx context.Context, actor *shuyu.Actor, in shuyu.RiskPlanInput) (*shuyu.RiskAssessment, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRiskPlan, shuyu.Resource{Kind: "risk"}); err != nil {
		return nil, err
	}
	var fe []shuyu.FieldError
	add := func(f, m string) { fe = append(fe, shuyu.FieldError{Field: f, Message: m}) }
	if !textOK(in.Title, 4, 200) {
		add("title", "标题须为 4 至 200 个字")
	}
	if !textOK(in.Scope, 4, 2000) {
		add("scope", "评估范围须为 4 至 2000 个字")
	}
	if !textOK(in.Method, 4, 2000) {
		add("method", "评估方法须为 4 至 2000 个字")
	}
	if len(in.Areas) == 0 {
		add("areas", "至少选择一个领域")
	}
	var areas []string
	for _, a := range in.Areas {
		if !slices.Contains(shuyu.ChecklistAreas, a) {
			add("areas", "领域须为数据安全、网络安全、个人信息保护或商业秘密保护")
		} else if !slices.Contains(areas, string(a)) {
			areas = append(areas, string(a))
		}
	}
	if in.Workdays < 1 || in.Workdays > 120 {
		add("workdays", "期限须为 1 至 120 个工作日")
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "风险评估计划不完整或有误 (invalid risk assessment)").WithDetails(fe)
	}
	owner := in.OwnerOrgID
	if owner == 0 {
		owner = actor.OrgID
	}
	var out *shuyu.RiskAssessment
	err := d.update(ctx, actor, func(tx *Tx) error {
		if _, err := tx.org(owner); err != nil {
			return shuyu.Errorf(shuyu.EINVALID, "责任单位不存在 (no such owner)").WithDetails([]shuyu.FieldError{{Field: "owner_org_id", Message: "责任单位不存在"}})
		}
		due, err := tx.due(tx.now, in.Workdays)
		if err != nil {
			return err
		}
		id, err := tx.insert(`INSERT INTO risk_assessments (title, scope, areas, method, owner_org, status, workdays, due_at, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, strings.TrimSpace(in.Title), strings.TrimSpace(in.Scope), strings.Join(areas, ","),
			strings.TrimSpace(in.Method), owner, shuyu.RiskPlanned, in.Workdays, micros(due), actor.UserID, micros(tx.now), micros(tx.now))
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditRiskPlan, ObjectType: "risk", ObjectID: id,
			Detail: map[string]any{"owner_org": owner, "workdays": in.Workdays, "due": due, "areas": areas, "rule": "R27.2"}}); err != nil {
			return err
		}
		if err := tx.notify(Notice{OrgID: owner, Kind: "risk.planned", Title: fmt.Sprintf("风险评估：%s，请于 %s 前完成", in.Title, reviewFmtDue(due)),
			ObjectType: "risk", ObjectID: fmt.Sprint(id), Link: "/risks"}); err != nil {
			return err
		}
		out, err = tx.risk(id)
		return err
	})
	return out, err
}

// AssessRisk records the findings, the level and the measures decided,
// each due its working days from now.
func (d *DB) AssessRisk(ctx context.Context, actor *shuyu.Actor, id int64, in shuyu.RiskFindingsInput) (*shuyu.RiskAssessment, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRiskAssess, shuyu.Resource{Kind: "risk"}); err != nil {
		return nil, err
	}
	var fe []shuyu.FieldError
	add := func(f, m string) { fe = append(fe, shuyu.FieldError{Field: f, Message: m}) }
	if !textOK(in.Findings, 4, 5000) {
		add("findings", "发现的问题须为 4 至 5000 个字")
	}
	if !shuyu.ValidRiskLevel(in.Level) {
		add("level", "风险等级须为 low、medium 或 high")
	}
	if in.Level != "low" && len(in.Measures) == 0 {
		add("measures", "中、高风险须提出整改措施")
	}
	for i, m := range in.Measures {
		if !textOK(m.Measure, 4, 1000) {
			add(fmt.Sprintf("measures[%d].measure", i), "措施须为 4 至 1000 个字")
		}
		if m.Workdays < 1 || m.Workdays > 120 {
			add(fmt.Sprintf("measures[%d].workdays", i), "期限须为 1 至 120 个工作日")
		}
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "评估结果不完整或有误 (invalid findings)").WithDetails(fe)
	}
	var out *shuyu.RiskAssessment
	err := d.update(ctx, actor, func(tx *Tx) error {
		r, err := tx.risk(id)
		if err != nil {
			return err
		}
		if r.Status != shuyu.RiskPlanned {
			return shuyu.Errorf(shuyu.ECONFLICT, "评估结果已记录 (already assessed)")
		}
		for _, m := range in.Measures {
			owner := m.OwnerOrgID
			if owner == 0 {
				owner = r.OwnerOrg
			}
			if _, err := tx.org(owner); err != nil {
				return shuyu.Errorf(shuyu.EINVALID, "措施责任单位不存在 (no such owner)")
			}
			due, err := tx.due(tx.now, m.Workdays)
			if err != nil {
				return err
			}
			if _, err := tx.insert(`INSERT INTO risk_measures (assessment_id, measure, owner_org, workdays, due_at, status, created_at)
				VALUES (?, ?, ?, ?, ?, 'open', ?)`, id, strings.TrimSpace(m.Measure), owner, m.Workdays, micros(due), micros(tx.now)); err != nil {
				return err
			}
			if err := tx.notify(Notice{OrgID: owner, Kind: "risk.measure", Title: fmt.Sprintf("风险整改措施：%s，请于 %s 前完成", strings.TrimSpace(m.Measure), reviewFmtDue(due)),
				ObjectType: "risk", ObjectID: fmt.Sprint(id), Link: "/risks"}); err != nil {
				return err
			}
		}
		if _, err := tx.exec(`UPDATE risk_assessments SET findings = ?, level = ?, status = ?, assessed_at = ?, updated_at = ? WHERE id = ?`,
			strings.TrimSpace(in.Findings), in.Level, shuyu.RiskAssessed, micros(tx.now), micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditRiskAssess, ObjectType: "risk", ObjectID: id,
			Detail: map[string]any{"level": in.Level, "measures": len(in.Measures), "overdue": r.Overdue, "rule": "R27.2"}}); err != nil {
			return err
		}
		auth, err := tx.orgsOfKind(shuyu.OrgAuthority)
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(auth, Notice{Kind: "risk.assessed", Title: "风险评估已完成：" + r.Title, ObjectType: "risk", ObjectID: fmt.Sprint(id), Link: "/risks"}); err != nil {
			return err
		}
		out, err = tx.risk(id)
		return err
	})
	return out, err
}

// FollowUpMeasure records a measure's follow-up and marks it done.
func (d *DB) FollowUpMeasure(ctx context.Context, actor *shuyu.Actor, measureID int64, followUp string) (*shuyu.RiskAssessment, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRiskAssess, shuyu.Resource{Kind: "risk"}); err != nil {
		return nil, err
	}
	if !textOK(followUp, 4, 2000) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "请写明整改落实情况（4 至 2000 字） (follow-up required)").
			WithDetails([]shuyu.FieldError{{Field: "follow_up", Message: "请写明整改落实情况"}})
	}
	var out *shuyu.RiskAssessment
	err := d.update(ctx, actor, func(tx *Tx) error {
		var aid int64
		var status string
		err := tx.queryRow(`SELECT assessment_id, status FROM risk_measures WHERE id = ?`, measureID).Scan(&aid, &status)
		if isNoRows(err) {
			return notFound("整改措施")
		}
		if err != nil {
			return err
		}
		if status != "open" {
			return shuyu.Errorf(shuyu.ECONFLICT, "措施已完成 (measure already done)")
		}
		if _, err := tx.exec(`UPDATE risk_measures SET status = 'done', follow_up = ?, done_at = ? WHERE id = ?`,
			strings.TrimSpace(followUp), micros(tx.now), measureID); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditRiskMeasureDone, ObjectType: "risk", ObjectID: aid, Reason: strings.TrimSpace(followUp),
			Detail: map[string]any{"measure": measureID, "rule": "R27.2"}}); err != nil {
			return err
		}
		out, err = tx.risk(aid)
		return err
	})
	return out, err
}

// CloseRisk is the authority's closing of an assessed assessment once
// every measure is done.
func (d *DB) CloseRisk(ctx context.Context, actor *shuyu.Actor, id int64, note string) (*shuyu.RiskAssessment, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRiskClose, shuyu.Resource{Kind: "risk"}); err != nil {
		return nil, err
	}
	var out *shuyu.RiskAssessment
	err := d.update(ctx, actor, func(tx *Tx) error {
		r, err := tx.risk(id)
		if err != nil {
			return err
		}
		if r.Status != shuyu.RiskAssessed {
			return shuyu.Errorf(shuyu.ECONFLICT, "只能关闭已完成评估的风险评估 (only an assessed assessment closes)")
		}
		for _, m := range r.Measures {
			if m.Status != "done" {
				return shuyu.Errorf(shuyu.ECONFLICT, "整改措施“%s”尚未完成 (a measure is open)", m.Measure)
			}
		}
		if _, err := tx.exec(`UPDATE risk_assessments SET status = ?, closed_at = ?, close_note = ?, updated_at = ? WHERE id = ?`,
			shuyu.RiskClosed, micros(tx.now), strings.TrimSpace(note), micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditRiskClose, ObjectType: "risk", ObjectID: id, Reason: strings.TrimSpace(note),
			Detail: map[string]any{"rule": "R27.2"}}); err != nil {
			return err
		}
		out, err = tx.risk(id)
		return err
	})
	return out, err
}

// Risks lists the assessments, newest first.
func (d *DB) Risks(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.RiskAssessment, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRiskRead, shuyu.Resource{Kind: "risk"}); err != nil {
		return nil, err
	}
	out := []*shuyu.RiskAssessment{}
	err := d.view(ctx, func(tx *Tx) error {
		var ids []int64
		rows, err := tx.query(`SELECT id FROM risk_assessments ORDER BY id DESC LIMIT 500`)
		if err != nil {
			return err
		}
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
			r, err := tx.risk(id)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

func (tx *Tx) risk(id int64) (*shuyu.RiskAssessment, error) {
	var r shuyu.RiskAssessment
	var areas string
	var due, created int64
	var assessed, closed *int64
	err := tx.queryRow(`SELECT r.id, r.title, r.scope, r.areas, r.method, r.findings, r.level, r.owner_org, o.name, r.status, r.workdays,
		r.due_at, r.created_at, r.assessed_at, r.closed_at, r.close_note FROM risk_assessments r JOIN orgs o ON o.id = r.owner_org WHERE r.id = ?`, id).
		Scan(&r.ID, &r.Title, &r.Scope, &areas, &r.Method, &r.Findings, &r.Level, &r.OwnerOrg, &r.OwnerName, &r.Status, &r.Workdays,
			&due, &created, &assessed, &closed, &r.CloseNote)
	if isNoRows(err) {
		return nil, notFound("风险评估")
	}
	if err != nil {
		return nil, err
	}
	for _, a := range strings.Split(areas, ",") {
		if a != "" {
			r.Areas = append(r.Areas, shuyu.ChecklistArea(a))
		}
	}
	r.DueAt, r.CreatedAt, r.AssessedAt, r.ClosedAt = fromMicros(due), fromMicros(created), domainTime(assessed), domainTime(closed)
	r.Overdue = (r.AssessedAt == nil && tx.now.After(r.DueAt)) || (r.AssessedAt != nil && r.AssessedAt.After(r.DueAt))
	rows, err := tx.query(`SELECT m.id, m.measure, m.owner_org, o.name, m.workdays, m.due_at, m.status, m.follow_up, m.done_at
		FROM risk_measures m JOIN orgs o ON o.id = m.owner_org WHERE m.assessment_id = ? ORDER BY m.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	r.Measures = []shuyu.RiskMeasure{}
	for rows.Next() {
		var m shuyu.RiskMeasure
		var due int64
		var done *int64
		if err := rows.Scan(&m.ID, &m.Measure, &m.OwnerOrg, &m.OwnerName, &m.Workdays, &due, &m.Status, &m.FollowUp, &done); err != nil {
			return nil, err
		}
		m.DueAt, m.DoneAt = fromMicros(due), domainTime(done)
		m.Overdue = (m.DoneAt == nil && tx.now.After(m.DueAt)) || (m.DoneAt != nil && m.DoneAt.After(m.DueAt))
		r.Measures = append(r.Measures, m)
	}
	return &r, rows.Err()
}

// CreateEmergencyPlan files an emergency plan (R28.2 per scenario
// category; category "platform" is the platform's own, Art. 29).
func (d *DB) CreateEmergencyPlan(ctx context.Context, actor *shuyu.Actor, in shuyu.EmergencyPlanInput) (*shuyu.EmergencyPlan, error) {
	if err := shuyu.Authorize(actor, shuyu.ActEmergencyWrite, shuyu.Resource{Kind: "emergency"}); err != nil {
		return nil, err
	}
	var fe []shuyu.FieldError
	add := func(f, m string) { fe = append(fe, shuyu.FieldError{Field: f, Message: m}) }
	if !textOK(in.Title, 4, 200) {
		add("title", "标题须为 4 至 200 个字")
	}
	if !textOK(in.Category, 2, 40) {
		add("category", "场景类别须为 2 至 40 个字（平台预案填 platform）")
	}
	if !textOK(in.Body, 10, 20000) {
		add("body", "预案内容须为 10 至 20000 个字")
	}
	if in.NotifyHours < 1 || in.NotifyHours > 72 {
		add("notify_hours", "报告主管部门的时限须为 1 至 72 小时")
	}
	if in.ReportDays < 1 || in.ReportDays > 30 {
		add("report_days", "书面报告时限须为 1 至 30 个工作日")
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "应急预案不完整或有误 (invalid plan)").WithDetails(fe)
	}
	var out *shuyu.EmergencyPlan
	err := d.update(ctx, actor, func(tx *Tx) error {
		id, err := tx.insert(`INSERT INTO emergency_plans (title, category, owner_org, body, notify_hours, report_days, status, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)`, strings.TrimSpace(in.Title), strings.TrimSpace(in.Category), actor.OrgID,
			strings.TrimSpace(in.Body), in.NotifyHours, in.ReportDays, actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditEmergencyPlan, ObjectType: "emergency_plan", ObjectID: id,
			Detail: map[string]any{"category": in.Category, "notify_hours": in.NotifyHours, "report_days": in.ReportDays, "rule": "R28.2"}}); err != nil {
			return err
		}
		auth, err := tx.orgsOfKind(shuyu.OrgAuthority)
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(auth, Notice{Kind: "emergency.plan", Title: "运营机构报送应急预案：" + in.Title, ObjectType: "emergency_plan",
			ObjectID: fmt.Sprint(id), Link: "/emergency"}); err != nil {
			return err
		}
		out, err = tx.emergencyPlan(id)
		return err
	})
	return out, err
}

// RecordDrill records a drill held under a plan.
func (d *DB) RecordDrill(ctx context.Context, actor *shuyu.Actor, planID int64, in shuyu.EmergencyDrill) (*shuyu.EmergencyPlan, error) {
	if err := shuyu.Authorize(actor, shuyu.ActEmergencyWrite, shuyu.Resource{Kind: "emergency"}); err != nil {
		return nil, err
	}
	held, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(in.HeldOn), shanghai)
	var fe []shuyu.FieldError
	if err != nil {
		fe = append(fe, shuyu.FieldError{Field: "held_on", Message: "日期格式须为 YYYY-MM-DD"})
	}
	if !textOK(in.Scenario, 4, 2000) {
		fe = append(fe, shuyu.FieldError{Field: "scenario", Message: "演练场景须为 4 至 2000 个字"})
	}
	if !textOK(in.Participants, 2, 1000) {
		fe = append(fe, shuyu.FieldError{Field: "participants", Message: "请填写参演单位和人员"})
	}
	if !textOK(in.Findings, 4, 5000) {
		fe = append(fe, shuyu.FieldError{Field: "findings", Message: "演练发现和改进须为 4 至 5000 个字"})
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "演练记录不完整或有误 (invalid drill)").WithDetails(fe)
	}
	var out *shuyu.EmergencyPlan
	err = d.update(ctx, actor, func(tx *Tx) error {
		if held.After(tx.now) {
			return shuyu.Errorf(shuyu.EINVALID, "演练日期不能晚于今天 (drill in the future)").WithDetails([]shuyu.FieldError{{Field: "held_on", Message: "不能晚于今天"}})
		}
		p, err := tx.emergencyPlan(planID)
		if err != nil {
			return err
		}
		id, err := tx.insert(`INSERT INTO emergency_drills (plan_id, held_on, scenario, participants, findings, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, p.ID, held.Format(time.DateOnly), strings.TrimSpace(in.Scenario), strings.TrimSpace(in.Participants),
			strings.TrimSpace(in.Findings), actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditEmergencyDrill, ObjectType: "emergency_plan", ObjectID: p.ID,
			Detail: map[string]any{"drill": id, "held_on": held.Format(time.DateOnly), "rule": "R28.2"}}); err != nil {
			return err
		}
		out, err = tx.emergencyPlan(p.ID)
		return err
	})
	return out, err
}

// EmergencyPlans lists the plans with their drills.
func (d *DB) EmergencyPlans(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.EmergencyPlan, error) {
	if err := shuyu.Authorize(actor, shuyu.ActEmergencyRead, shuyu.Resource{Kind: "emergency"}); err != nil {
		return nil, err
	}
	out := []*shuyu.EmergencyPlan{}
	err := d.view(ctx, func(tx *Tx) error {
		ids, err := tx.ids(`SELECT id FROM emergency_plans ORDER BY id DESC`)
		if err != nil {
			return err
		}
		for _, id := range ids {
			p, err := tx.emergencyPlan(id)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

func (tx *Tx) ids(q string, args ...any) ([]int64, error) {
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (tx *Tx) emergencyPlan(id int64) (*shuyu.EmergencyPlan, error) {
	var p shuyu.EmergencyPlan
	var created int64
	err := tx.queryRow(`SELECT p.id, p.title, p.category, p.owner_org, o.name, p.body, p.notify_hours, p.report_days, p.status, p.created_at
		FROM emergency_plans p JOIN orgs o ON o.id = p.owner_org WHERE p.id = ?`, id).
		Scan(&p.ID, &p.Title, &p.Category, &p.OwnerOrg, &p.OwnerName, &p.Body, &p.NotifyHours, &p.ReportDays, &p.Status, &created)
	if isNoRows(err) {
		return nil, notFound("应急预案")
	}
	if err != nil {
		return nil, err
	}
	p.CreatedAt = fromMicros(created)
	rows, err := tx.query(`SELECT id, held_on, scenario, participants, findings, created_at FROM emergency_drills WHERE plan_id = ? ORDER BY held_on DESC, id DESC`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	p.Drills = []shuyu.EmergencyDrill{}
	for rows.Next() {
		var dr shuyu.EmergencyDrill
		var at int64
		if err := rows.Scan(&dr.ID, &dr.HeldOn, &dr.Scenario, &dr.Participants, &dr.Findings, &at); err != nil {
			return nil, err
		}
		dr.CreatedAt = fromMicros(at)
		p.Drills = append(p.Drills, dr)
	}
	return &p, rows.Err()
}

// RecordIncident records an incident under an active plan: the notice to
// the authority is due the plan's hours after detection, the written
// report the plan's working days after detection.
func (d *DB) RecordIncident(ctx context.Context, actor *shuyu.Actor, in shuyu.IncidentInput) (*shuyu.Incident, error) {
	if err := shuyu.Authorize(actor, shuyu.ActEmergencyWrite, shuyu.Resource{Kind: "emergency"}); err != nil {
		return nil, err
	}
	var fe []shuyu.FieldError
	if !textOK(in.Title, 4, 200) {
		fe = append(fe, shuyu.FieldError{Field: "title", Message: "标题须为 4 至 200 个字"})
	}
	if !slices.Contains(shuyu.IncidentLevels, in.Level) {
		fe = append(fe, shuyu.FieldError{Field: "level", Message: "等级须为 general、major 或 severe"})
	}
	if !textOK(in.Summary, 4, 5000) {
		fe = append(fe, shuyu.FieldError{Field: "summary", Message: "事件概况须为 4 至 5000 个字"})
	}
	var detected time.Time
	if s := strings.TrimSpace(in.DetectedAt); s != "" {
		var err error
		if detected, err = time.Parse(time.RFC3339, s); err != nil {
			if detected, err = time.ParseInLocation("2006-01-02 15:04", s, shanghai); err != nil {
				fe = append(fe, shuyu.FieldError{Field: "detected_at", Message: "发现时间格式须为 2006-01-02 15:04"})
			}
		}
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "事件信息不完整或有误 (invalid incident)").WithDetails(fe)
	}
	var out *shuyu.Incident
	err := d.update(ctx, actor, func(tx *Tx) error {
		if detected.IsZero() {
			detected = tx.now
		}
		if detected.After(tx.now) {
			return shuyu.Errorf(shuyu.EINVALID, "发现时间不能晚于现在 (detected in the future)")
		}
		p, err := tx.emergencyPlan(in.PlanID)
		if err != nil {
			return err
		}
		if p.Status != "active" {
			return shuyu.Errorf(shuyu.ECONFLICT, "应急预案已废止 (plan retired)")
		}
		notifyDue := detected.Add(time.Duration(p.NotifyHours) * time.Hour)
		reportDue, err := tx.due(detected, p.ReportDays)
		if err != nil {
			return err
		}
		id, err := tx.insert(`INSERT INTO incidents (plan_id, title, level, summary, org_id, status, detected_at, notify_due, report_due, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, strings.TrimSpace(in.Title), in.Level, strings.TrimSpace(in.Summary), actor.OrgID,
			shuyu.IncidentOpen, micros(detected), micros(notifyDue), micros(reportDue), actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		if err := tx.incidentEvent(id, "detected", strings.TrimSpace(in.Summary), detected); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditIncidentCreate, ObjectType: "incident", ObjectID: id,
			Detail: map[string]any{"plan": p.ID, "level": in.Level, "notify_due": notifyDue, "report_due": reportDue, "rule": "R28.2"}}); err != nil {
			return err
		}
		out, err = tx.incident(id)
		return err
	})
	return out, err
}

func (tx *Tx) incidentEvent(id int64, kind, text string, at time.Time) error {
	_, err := tx.insert(`INSERT INTO incident_events (incident_id, kind, text, user_id, at) VALUES (?, ?, ?, ?, ?)`,
		id, kind, text, tx.actor.UserID, micros(at))
	return err
}

var incidentSteps = map[string]struct {
	from   []string
	to     string
	action shuyu.AuditAction
}{
	"action": {[]string{shuyu.IncidentOpen, shuyu.IncidentNotified, shuyu.IncidentReported}, "", shuyu.AuditIncidentAction},
	"notify": {[]string{shuyu.IncidentOpen}, shuyu.IncidentNotified, shuyu.AuditIncidentNotify},
	"report": {[]string{shuyu.IncidentNotified}, shuyu.IncidentReported, shuyu.AuditIncidentReport},
	"close":  {[]string{shuyu.IncidentReported}, shuyu.IncidentClosed, shuyu.AuditIncidentClose},
}

// IncidentStep adds to an incident's timeline: an action taken, the
// notice to the authority (the authority and the regulators are told in
// their inbox at once), the written report, the closure. Each in order.
func (d *DB) IncidentStep(ctx context.Context, actor *shuyu.Actor, id int64, in shuyu.IncidentStep) (*shuyu.Incident, error) {
	if err := shuyu.Authorize(actor, shuyu.ActEmergencyWrite, shuyu.Resource{Kind: "emergency"}); err != nil {
		return nil, err
	}
	st, ok := incidentSteps[in.Step]
	if !ok {
		return nil, shuyu.Errorf(shuyu.EINVALID, "步骤须为 action、notify、report 或 close (bad step)").
			WithDetails([]shuyu.FieldError{{Field: "step", Message: "须为 action、notify、report 或 close"}})
	}
	if !textOK(in.Text, 4, 5000) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "请写明情况（4 至 5000 字） (text required)").
			WithDetails([]shuyu.FieldError{{Field: "text", Message: "请写明情况"}})
	}
	text := strings.TrimSpace(in.Text)
	var out *shuyu.Incident
	err := d.update(ctx, actor, func(tx *Tx) error {
		inc, err := tx.incident(id)
		if err != nil {
			return err
		}
		if !slices.Contains(st.from, inc.Status) {
			return shuyu.Errorf(shuyu.ECONFLICT, "事件当前状态不能执行此步骤（须先报告主管部门，再提交书面报告，最后结案） (out of order)")
		}
		if in.Step == "close" {
			if err := tx.expertGate(shuyu.CaseIncident, id); err != nil { // R7.1: a blocking referral holds the closure
				return err
			}
		}
		col := map[string]string{"notify": "notified_at", "report": "reported_at", "close": "closed_at"}[in.Step]
		if st.to != "" {
			q := `UPDATE incidents SET status = ?, ` + col + ` = ? WHERE id = ?`
			args := []any{st.to, micros(tx.now), id}
			if in.Step == "close" {
				q, args = `UPDATE incidents SET status = ?, closed_at = ?, closure = ? WHERE id = ?`, []any{st.to, micros(tx.now), text, id}
			}
			if _, err := tx.exec(q, args...); err != nil {
				return err
			}
		}
		kind := map[string]string{"action": "action", "notify": "notified", "report": "reported", "close": "closed"}[in.Step]
		if err := tx.incidentEvent(id, kind, text, tx.now); err != nil {
			return err
		}
		detail := map[string]any{"rule": "R28.2"}
		switch in.Step {
		case "notify":
			detail["late"] = tx.now.After(inc.NotifyDue)
		case "report":
			detail["late"] = tx.now.After(inc.ReportDue)
		}
		action := st.action
		if err := tx.audit(Change{Action: action, ObjectType: "incident", ObjectID: id, Reason: text, Detail: detail}); err != nil {
			return err
		}
		if in.Step == "notify" || in.Step == "report" || in.Step == "close" {
			to, err := tx.orgsOfKind(shuyu.OrgAuthority)
			if err != nil {
				return err
			}
			regs, err := tx.orgsOfKind(shuyu.OrgRegulator)
			if err != nil {
				return err
			}
			title := map[string]string{"notify": "安全事件报告：", "report": "安全事件书面报告：", "close": "安全事件已处置结案："}[in.Step] + inc.Title
			if err := tx.notifyOrgs(append(to, regs...), Notice{Kind: "incident." + in.Step, Title: title, Body: text,
				ObjectType: "incident", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/emergency/incidents/%d", id)}); err != nil {
				return err
			}
		}
		out, err = tx.incident(id)
		return err
	})
	return out, err
}

// Incidents lists the incidents, newest first, with their timelines.
func (d *DB) Incidents(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.Incident, error) {
	if err := shuyu.Authorize(actor, shuyu.ActEmergencyRead, shuyu.Resource{Kind: "emergency"}); err != nil {
		return nil, err
	}
	out := []*shuyu.Incident{}
	err := d.view(ctx, func(tx *Tx) error {
		ids, err := tx.ids(`SELECT id FROM incidents ORDER BY id DESC LIMIT 500`)
		if err != nil {
			return err
		}
		for _, id := range ids {
			inc, err := tx.incident(id)
			if err != nil {
				return err
			}
			out = append(out, inc)
		}
		return nil
	})
	return out, err
}

// Incident returns one incident with its timeline (the incident page and
// GET /api/v1/incidents/{id}); the expert opinions on it are read with
// ExpertReferrals(CaseIncident, id), under the committee's own rules.
func (d *DB) Incident(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Incident, error) {
	if err := shuyu.Authorize(actor, shuyu.ActEmergencyRead, shuyu.Resource{Kind: "emergency"}); err != nil {
		return nil, err
	}
	var out *shuyu.Incident
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.incident(id)
		return err
	})
	return out, err
}

func (tx *Tx) incident(id int64) (*shuyu.Incident, error) {
	var i shuyu.Incident
	var detected, notifyDue, reportDue int64
	var notified, reported, closed *int64
	err := tx.queryRow(`SELECT i.id, i.plan_id, p.title, i.title, i.level, i.summary, i.org_id, i.status, i.detected_at, i.notify_due,
		i.notified_at, i.report_due, i.reported_at, i.closed_at, i.closure FROM incidents i JOIN emergency_plans p ON p.id = i.plan_id WHERE i.id = ?`, id).
		Scan(&i.ID, &i.PlanID, &i.PlanTitle, &i.Title, &i.Level, &i.Summary, &i.OrgID, &i.Status, &detected, &notifyDue, &notified, &reportDue,
			&reported, &closed, &i.Closure)
	if isNoRows(err) {
		return nil, notFound("安全事件")
	}
	if err != nil {
		return nil, err
	}
	i.DetectedAt, i.NotifyDue, i.ReportDue = fromMicros(detected), fromMicros(notifyDue), fromMicros(reportDue)
	i.NotifiedAt, i.ReportedAt, i.ClosedAt = domainTime(notified), domainTime(reported), domainTime(closed)
	late := func(done *time.Time, due time.Time) bool {
		if done == nil {
			return tx.now.After(due)
		}
		return done.After(due)
	}
	i.NotifyLate, i.ReportLate = late(i.NotifiedAt, i.NotifyDue), late(i.ReportedAt, i.ReportDue)
	rows, err := tx.query(`SELECT e.kind, e.text, coalesce(u.display_name, ''), e.at FROM incident_events e LEFT JOIN users u ON u.id = e.user_id
		WHERE e.incident_id = ? ORDER BY e.at, e.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	i.Events = []shuyu.IncidentEvent{}
	for rows.Next() {
		var e shuyu.IncidentEvent
		var at int64
		if err := rows.Scan(&e.Kind, &e.Text, &e.User, &at); err != nil {
			return nil, err
		}
		e.At = fromMicros(at)
		i.Events = append(i.Events, e)
	}
	return &i, rows.Err()
}
