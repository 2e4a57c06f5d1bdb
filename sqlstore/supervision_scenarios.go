package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"shuyu"
	"shuyu/workday"
)

// The register of application scenarios (R16.1) with their priority tags
// (R4.4): departments, county authorities and merchants propose; the
// operator (or the authority) accepts, links the scenario to catalog
// demands, applications and products, marks it landed and shows it on the
// portal; the operator reports the register to the authority by period.
// Where the authority requires "one scenario, one application" for a
// scenario, the store refuses a second application for it and an
// application that already serves another scenario.

const scenarioCols = `s.id, s.title, s.domain, s.tags, s.data_needed, s.description, s.status, s.status_note, s.showcase,
	s.one_application, s.org_id, o.name, s.region, s.created_at, s.updated_at`

const scenarioFrom = ` FROM scenarios s JOIN orgs o ON o.id = s.org_id`

func scanScenario(r interface{ Scan(...any) error }) (*shuyu.Scenario, error) {
	var s shuyu.Scenario
	var tags string
	var created, updated int64
	if err := r.Scan(&s.ID, &s.Title, &s.Domain, &tags, &s.DataNeeded, &s.Description, &s.Status, &s.StatusNote, &s.Showcase,
		&s.OneApplication, &s.OrgID, &s.OrgName, &s.Region, &created, &updated); err != nil {
		return nil, err
	}
	s.Tags = []string{}
	if tags != "" {
		s.Tags = strings.Split(tags, ",")
	}
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(updated)
	s.Links = []shuyu.ScenarioLink{}
	return &s, nil
}

func (tx *Tx) scenario(id int64) (*shuyu.Scenario, error) {
	s, err := scanScenario(tx.queryRow(`SELECT `+scenarioCols+scenarioFrom+` WHERE s.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("应用场景")
	}
	return s, err
}

// scenarioLinks loads the links of s that actor may see: the operator, the
// authority and the regulators see every link; anyone else sees released
// products and the demands and applications of its own organization, so a
// proposer does not learn another merchant's application through its
// scenario. Hidden is how many links were left out.
func (tx *Tx) scenarioLinks(actor *shuyu.Actor, s *shuyu.Scenario) (hidden int, err error) {
	all := actor != nil && (shuyu.Can(actor, shuyu.ActScenarioManage, s.Resource()) ||
		actor.Has(shuyu.RoleAuthority) || actor.Has(shuyu.RoleRegulator))
	rows, err := tx.query(`SELECT l.kind, l.object_id, l.created_at,
		coalesce(d.title, r.title, p.name, ''), coalesce(d.requester_org_id, a.merchant_org_id, 0), coalesce(p.status, '')
		FROM scenario_links l
		LEFT JOIN catalog_demands d ON l.kind = 'demand' AND d.id = l.object_id
		LEFT JOIN applications a ON l.kind = 'application' AND a.id = l.object_id
		LEFT JOIN application_rounds r ON r.application_id = a.id AND r.round = a.round
		LEFT JOIN products p ON l.kind = 'product' AND p.id = l.object_id
		WHERE l.scenario_id = ? ORDER BY l.kind, l.object_id`, s.ID)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var l shuyu.ScenarioLink
		var at, owner int64
		var pstatus string
		if err := rows.Scan(&l.Kind, &l.ObjectID, &at, &l.Title, &owner, &pstatus); err != nil {
			return 0, err
		}
		l.LinkedAt = fromMicros(at)
		visible := all || (l.Kind == shuyu.LinkProduct && pstatus == shuyu.ProductReleased) ||
			(l.Kind != shuyu.LinkProduct && actor != nil && owner == actor.OrgID)
		if !visible {
			hidden++
			continue
		}
		s.Links = append(s.Links, l)
	}
	return hidden, rows.Err()
}

// CreateScenario records a proposal in the name of the actor's
// organization; the operator and the authority are told.
func (d *DB) CreateScenario(ctx context.Context, actor *shuyu.Actor, in shuyu.ScenarioInput) (*shuyu.Scenario, error) {
	if err := shuyu.Authorize(actor, shuyu.ActScenarioCreate, shuyu.Resource{Kind: "scenario"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var s *shuyu.Scenario
	err := d.update(ctx, actor, func(tx *Tx) error {
		id, err := tx.insert(`INSERT INTO scenarios (title, domain, tags, data_needed, description, status, org_id, region, created_by,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.Title, in.Domain, strings.Join(in.Tags, ","),
			in.DataNeeded, in.Description, shuyu.ScenarioProposed, actor.OrgID, actor.Region, actor.UserID, micros(tx.now), micros(tx.now))
		if err != nil {
			return err
		}
		if s, err = tx.scenario(id); err != nil {
			return err
		}
		to, err := tx.domainOrgsOfKind(string(shuyu.OrgOperator), string(shuyu.OrgAuthority))
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(to, Notice{Kind: "scenario.created", Title: "新的应用场景：" + in.Title, ObjectType: "scenario",
			ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/scenarios/%d", id)}); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditScenarioCreate, ObjectType: "scenario", ObjectID: id,
			Detail: map[string]any{"title": in.Title, "domain": in.Domain, "tags": in.Tags, "rule": "R16.1"}})
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Scenario returns one scenario the actor may read, with the links it may see.
func (d *DB) Scenario(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Scenario, error) {
	var s *shuyu.Scenario
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if s, err = tx.scenario(id); err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActScenarioRead, s.Resource()); err != nil {
			return err
		}
		_, err = tx.scenarioLinks(actor, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ScenarioFilter narrows the register.
type ScenarioFilter struct {
	Status string
	Tag    string
}

// Scenarios lists the scenarios the actor may read, newest first, without links.
func (d *DB) Scenarios(ctx context.Context, actor *shuyu.Actor, f ScenarioFilter) ([]*shuyu.Scenario, error) {
	if err := shuyu.Authorize(actor, shuyu.ActScenarioRead, shuyu.Resource{Kind: "scenario"}); err != nil {
		return nil, err
	}
	if f.Status != "" && !slices.Contains(shuyu.ScenarioStatuses, f.Status) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "未知的场景状态 (unknown status)")
	}
	if f.Tag != "" && !slices.Contains(shuyu.ScenarioTags, f.Tag) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "未知的重点标签 (unknown tag)")
	}
	out := []*shuyu.Scenario{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT `+scenarioCols+scenarioFrom+` WHERE (? = '' OR s.status = ?) ORDER BY s.created_at DESC, s.id DESC`,
			f.Status, f.Status)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			s, err := scanScenario(rows)
			if err != nil {
				return err
			}
			if f.Tag != "" && !slices.Contains(s.Tags, f.Tag) {
				continue
			}
			if shuyu.Can(actor, shuyu.ActScenarioRead, s.Resource()) {
				out = append(out, s)
			}
		}
		return rows.Err()
	})
	return out, err
}

// manageScenario loads a scenario for a change by the operator or the authority.
func (tx *Tx) manageScenario(actor *shuyu.Actor, act shuyu.Action, id int64) (*shuyu.Scenario, error) {
	s, err := tx.scenario(id)
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, act, s.Resource()); err != nil {
		return nil, err
	}
	return s, nil
}

// SetScenarioStatus moves a scenario: proposed → accepted or rejected,
// accepted → landed or rejected. Rejecting needs a reason; the proposer is told.
func (d *DB) SetScenarioStatus(ctx context.Context, actor *shuyu.Actor, id int64, to, note string) (*shuyu.Scenario, error) {
	note = strings.TrimSpace(note)
	if !slices.Contains(shuyu.ScenarioStatuses, to) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "未知的场景状态 (unknown status)").
			WithDetails([]shuyu.FieldError{{Field: "status", Message: "未知状态"}})
	}
	if to == shuyu.ScenarioRejected && note == "" {
		return nil, shuyu.Errorf(shuyu.EINVALID, "不予采纳须说明理由 (a reason is required)").
			WithDetails([]shuyu.FieldError{{Field: "note", Message: "必填"}})
	}
	var s *shuyu.Scenario
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if s, err = tx.manageScenario(actor, shuyu.ActScenarioManage, id); err != nil {
			return err
		}
		if !shuyu.ScenarioMoveAllowed(s.Status, to) {
			return shuyu.Errorf(shuyu.ECONFLICT, "场景当前为“%s”，不能改为“%s” (move not allowed)", shuyu.ScenarioStatusLabel(s.Status),
				shuyu.ScenarioStatusLabel(to))
		}
		showcase := s.Showcase && to != shuyu.ScenarioRejected
		if _, err := tx.exec(`UPDATE scenarios SET status = ?, status_note = ?, showcase = ?, updated_at = ? WHERE id = ?`,
			to, note, showcase, micros(tx.now), id); err != nil {
			return err
		}
		from := s.Status
		s.Status, s.StatusNote, s.Showcase, s.UpdatedAt = to, note, showcase, tx.now
		if err := tx.notifyOrgs([]int64{s.OrgID}, Notice{Kind: "scenario.status", Title: "应用场景“" + s.Title + "”" +
			shuyu.ScenarioStatusLabel(to), ObjectType: "scenario", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/scenarios/%d", id)}); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditScenarioStatus, ObjectType: "scenario", ObjectID: id, Reason: note,
			Detail: map[string]any{"from": from, "to": to}})
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// SetScenarioShowcase shows an accepted or landed scenario on the public
// portal, or takes it off.
func (d *DB) SetScenarioShowcase(ctx context.Context, actor *shuyu.Actor, id int64, on bool) (*shuyu.Scenario, error) {
	var s *shuyu.Scenario
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if s, err = tx.manageScenario(actor, shuyu.ActScenarioManage, id); err != nil {
			return err
		}
		if on && s.Status != shuyu.ScenarioAccepted && s.Status != shuyu.ScenarioLanded {
			return shuyu.Errorf(shuyu.ECONFLICT, "只有已采纳或已落地的场景可以在门户展示 (only accepted or landed scenarios)")
		}
		if _, err := tx.exec(`UPDATE scenarios SET showcase = ?, updated_at = ? WHERE id = ?`, on, micros(tx.now), id); err != nil {
			return err
		}
		s.Showcase = on
		return tx.audit(Change{Action: shuyu.AuditScenarioShowcase, ObjectType: "scenario", ObjectID: id, Detail: map[string]any{"showcase": on}})
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// scenarioApps lists the applications linked to scenario id.
func (tx *Tx) scenarioApps(id int64) ([]int64, error) {
	rows, err := tx.query(`SELECT object_id FROM scenario_links WHERE scenario_id = ? AND kind = ? ORDER BY object_id`, id, shuyu.LinkApplication)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var a int64
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// appScenarios lists the scenarios application app is linked to, and
// whether any of them requires one scenario, one application.
func (tx *Tx) appScenarios(app int64) (ids []int64, exclusive bool, err error) {
	rows, err := tx.query(`SELECT s.id, s.one_application FROM scenario_links l JOIN scenarios s ON s.id = l.scenario_id
		WHERE l.kind = ? AND l.object_id = ?`, shuyu.LinkApplication, app)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var one bool
		if err := rows.Scan(&id, &one); err != nil {
			return nil, false, err
		}
		ids, exclusive = append(ids, id), exclusive || one
	}
	return ids, exclusive, rows.Err()
}

// RequireOneApplication sets or clears, for one scenario, the authority's
// "one scenario, one application" rule. Setting it is refused while the
// scenario already has several applications, or one that serves another
// scenario too.
func (d *DB) RequireOneApplication(ctx context.Context, actor *shuyu.Actor, id int64, on bool) (*shuyu.Scenario, error) {
	var s *shuyu.Scenario
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if s, err = tx.manageScenario(actor, shuyu.ActScenarioRequire, id); err != nil {
			return err
		}
		if on {
			apps, err := tx.scenarioApps(id)
			if err != nil {
				return err
			}
			if len(apps) > 1 {
				return shuyu.Errorf(shuyu.ECONFLICT, "该场景已关联 %d 个申请，不能设为一场景一申请 (several applications linked)", len(apps))
			}
			for _, a := range apps {
				if others, _, err := tx.appScenarios(a); err != nil {
					return err
				} else if len(others) > 1 {
					return shuyu.Errorf(shuyu.ECONFLICT, "所关联的申请 %d 同时服务其他场景 (the application serves another scenario)", a)
				}
			}
		}
		if _, err := tx.exec(`UPDATE scenarios SET one_application = ?, updated_at = ? WHERE id = ?`, on, micros(tx.now), id); err != nil {
			return err
		}
		s.OneApplication = on
		return tx.audit(Change{Action: shuyu.AuditScenarioRequire, ObjectType: "scenario", ObjectID: id,
			Detail: map[string]any{"one_application": on, "rule": "R16.1"}})
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ScenarioLinkInput names the object to link.
type ScenarioLinkInput struct {
	Kind     string `json:"kind"` // demand, application, product
	ObjectID int64  `json:"object_id"`
}

// LinkScenario links a scenario to a catalog demand, an application or a
// product; one scenario, one application is enforced here (in the write
// transaction, which on PostgreSQL holds the audit head lock, so two
// concurrent links cannot both pass the check).
func (d *DB) LinkScenario(ctx context.Context, actor *shuyu.Actor, id int64, in ScenarioLinkInput) (*shuyu.Scenario, error) {
	table := map[string]string{shuyu.LinkDemand: "catalog_demands", shuyu.LinkApplication: "applications", shuyu.LinkProduct: "products"}[in.Kind]
	if table == "" {
		return nil, shuyu.Errorf(shuyu.EINVALID, "只能关联需求、申请或产品 (kind must be demand, application or product)").
			WithDetails([]shuyu.FieldError{{Field: "kind", Message: "未知类别"}})
	}
	var s *shuyu.Scenario
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if s, err = tx.manageScenario(actor, shuyu.ActScenarioManage, id); err != nil {
			return err
		}
		if s.Status == shuyu.ScenarioRejected {
			return shuyu.Errorf(shuyu.ECONFLICT, "未采纳的场景不能关联 (the scenario was rejected)")
		}
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM `+table+` WHERE id = ?`, in.ObjectID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return shuyu.Errorf(shuyu.EUNPROCESSABLE, "要关联的对象不存在 (no such %s)", in.Kind).
				WithDetails([]shuyu.FieldError{{Field: "object_id", Message: "不存在"}})
		}
		if in.Kind == shuyu.LinkApplication {
			// R16.1: one scenario, one application where the authority requires it.
			apps, err := tx.scenarioApps(id)
			if err != nil {
				return err
			}
			if s.OneApplication && len(apps) > 0 && !slices.Contains(apps, in.ObjectID) {
				return shuyu.Errorf(shuyu.ECONFLICT, "该场景要求一场景一申请，已关联申请 %d (one scenario, one application)", apps[0])
			}
			others, exclusive, err := tx.appScenarios(in.ObjectID)
			if err != nil {
				return err
			}
			if len(others) > 0 && !slices.Contains(others, id) && (s.OneApplication || exclusive) {
				return shuyu.Errorf(shuyu.ECONFLICT, "该申请已服务场景 %d，一场景一申请 (the application serves another scenario)", others[0])
			}
		}
		if _, err := tx.exec(`INSERT INTO scenario_links (scenario_id, kind, object_id, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, in.Kind, in.ObjectID, actor.UserID, micros(tx.now)); err != nil {
			if isUnique(err) {
				return shuyu.Errorf(shuyu.ECONFLICT, "已经关联 (already linked)")
			}
			return err
		}
		if _, err := tx.exec(`UPDATE scenarios SET updated_at = ? WHERE id = ?`, micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditScenarioLink, ObjectType: "scenario", ObjectID: id,
			Detail: map[string]any{"kind": in.Kind, "object_id": in.ObjectID}}); err != nil {
			return err
		}
		_, err = tx.scenarioLinks(actor, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// UnlinkScenario removes a link.
func (d *DB) UnlinkScenario(ctx context.Context, actor *shuyu.Actor, id int64, in ScenarioLinkInput) (*shuyu.Scenario, error) {
	var s *shuyu.Scenario
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if s, err = tx.manageScenario(actor, shuyu.ActScenarioManage, id); err != nil {
			return err
		}
		res, err := tx.exec(`DELETE FROM scenario_links WHERE scenario_id = ? AND kind = ? AND object_id = ?`, id, in.Kind, in.ObjectID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return notFound("关联")
		}
		if err := tx.audit(Change{Action: shuyu.AuditScenarioUnlink, ObjectType: "scenario", ObjectID: id,
			Detail: map[string]any{"kind": in.Kind, "object_id": in.ObjectID}}); err != nil {
			return err
		}
		_, err = tx.scenarioLinks(actor, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ShowcaseScenarios are the scenarios on the public portal, with only the
// released products linked to them.
func (d *DB) ShowcaseScenarios(ctx context.Context) ([]*shuyu.Scenario, error) {
	out := []*shuyu.Scenario{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT `+scenarioCols+scenarioFrom+` WHERE s.showcase = ? AND s.status IN (?, ?) ORDER BY s.updated_at DESC, s.id DESC`,
			true, shuyu.ScenarioAccepted, shuyu.ScenarioLanded)
		if err != nil {
			return err
		}
		for rows.Next() {
			s, err := scanScenario(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, s := range out {
			if _, err := tx.scenarioLinks(nil, s); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// ScenarioCount is one row of a report's breakdown.
type ScenarioCount struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// ScenarioReport is the periodic report of the register to the authority (R16.1).
type ScenarioReport struct {
	ID        int64           `json:"id,omitempty"` // 0 while not filed
	From      time.Time       `json:"from"`
	To        time.Time       `json:"to"`
	FiledAt   *time.Time      `json:"filed_at,omitempty"`
	OrgName   string          `json:"org_name,omitempty"`
	Total     int             `json:"total"`  // in the register at the end of the period
	New       int             `json:"new"`    // proposed in the period
	Landed    int             `json:"landed"` // landed, all time
	Linked    int             `json:"linked"` // with at least one application
	ByStatus  []ScenarioCount `json:"by_status"`
	ByTag     []ScenarioCount `json:"by_tag"`
	ByDomain  []ScenarioCount `json:"by_domain"`
	Scenarios []ScenarioBrief `json:"scenarios"` // proposed in the period
}

// ScenarioBrief is one line of a report.
type ScenarioBrief struct {
	ID      int64    `json:"id"`
	Title   string   `json:"title"`
	OrgName string   `json:"org_name"`
	Domain  string   `json:"domain"`
	Tags    []string `json:"tags"`
	Status  string   `json:"status"`
}

func (tx *Tx) scenarioReport(from, to time.Time) (*ScenarioReport, error) {
	rep := &ScenarioReport{From: from, To: to, Scenarios: []ScenarioBrief{}}
	rows, err := tx.query(`SELECT `+scenarioCols+scenarioFrom+` WHERE s.created_at < ? ORDER BY s.created_at, s.id`, micros(to))
	if err != nil {
		return nil, err
	}
	var all []*shuyu.Scenario
	for rows.Next() {
		s, err := scanScenario(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	status, tag, domain := map[string]int{}, map[string]int{}, map[string]int{}
	for _, s := range all {
		rep.Total++
		status[s.Status]++
		domain[s.Domain]++
		for _, t := range s.Tags {
			tag[t]++
		}
		if s.Status == shuyu.ScenarioLanded {
			rep.Landed++
		}
		if !s.CreatedAt.Before(from) {
			rep.New++
			rep.Scenarios = append(rep.Scenarios, ScenarioBrief{ID: s.ID, Title: s.Title, OrgName: s.OrgName, Domain: s.Domain, Tags: s.Tags, Status: s.Status})
		}
		apps, err := tx.scenarioApps(s.ID)
		if err != nil {
			return nil, err
		}
		if len(apps) > 0 {
			rep.Linked++
		}
	}
	counts := func(keys []string, m map[string]int) []ScenarioCount {
		out := []ScenarioCount{}
		for _, k := range keys {
			out = append(out, ScenarioCount{Key: k, Count: m[k]})
		}
		return out
	}
	rep.ByStatus = counts(shuyu.ScenarioStatuses, status)
	rep.ByTag = counts(shuyu.ScenarioTags, tag)
	rep.ByDomain = counts(shuyu.ScenarioDomains, domain)
	return rep, nil
}

// ScenarioReportFor compiles the report for [from, to) without filing it.
func (d *DB) ScenarioReportFor(ctx context.Context, actor *shuyu.Actor, from, to time.Time) (*ScenarioReport, error) {
	if !shuyu.Can(actor, shuyu.ActScenarioReport, shuyu.Resource{}) && !shuyu.Can(actor, shuyu.ActSupervisionRead, shuyu.Resource{}) {
		return nil, shuyu.Authorize(actor, shuyu.ActScenarioReport, shuyu.Resource{Kind: "scenario"})
	}
	var rep *ScenarioReport
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		rep, err = tx.scenarioReport(from, to)
		return err
	})
	return rep, err
}

// FileScenarioReport freezes the report for [from, to) and sends it to the
// authority (R16.1).
func (d *DB) FileScenarioReport(ctx context.Context, actor *shuyu.Actor, from, to time.Time) (*ScenarioReport, error) {
	if err := shuyu.Authorize(actor, shuyu.ActScenarioReport, shuyu.Resource{Kind: "scenario"}); err != nil {
		return nil, err
	}
	var rep *ScenarioReport
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if to.After(tx.now.AddDate(0, 0, 1)) {
			return shuyu.Errorf(shuyu.EINVALID, "报告期尚未结束 (the period has not ended)").
				WithDetails([]shuyu.FieldError{{Field: "to", Message: "截止日期晚于今天"}})
		}
		if rep, err = tx.scenarioReport(from, to); err != nil {
			return err
		}
		body, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		id, err := tx.insert(`INSERT INTO scenario_reports (period_from, period_to, org_id, filed_by, filed_at, body_json) VALUES (?, ?, ?, ?, ?, ?)`,
			micros(from), micros(to), actor.OrgID, actor.UserID, micros(tx.now), string(body))
		if err != nil {
			return err
		}
		rep.ID, rep.FiledAt = id, &tx.now
		auth, err := tx.orgsOfKind(shuyu.OrgAuthority)
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(auth, Notice{Kind: "scenario.report", Title: "运营机构报送应用场景情况：" + PeriodLabel(from, to),
			ObjectType: "scenario_report", ObjectID: fmt.Sprint(id), Link: "/scenarios/reports"}); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditScenarioReport, ObjectType: "scenario_report", ObjectID: id,
			Detail: map[string]any{"from": from.In(workday.Zone).Format(time.DateOnly), "total": rep.Total, "new": rep.New, "rule": "R16.1"}})
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// ScenarioReports lists the filed reports, newest first (the operator and
// the authority).
func (d *DB) ScenarioReports(ctx context.Context, actor *shuyu.Actor) ([]*ScenarioReport, error) {
	if !shuyu.Can(actor, shuyu.ActScenarioReport, shuyu.Resource{}) && !shuyu.Can(actor, shuyu.ActSupervisionRead, shuyu.Resource{}) {
		return nil, shuyu.Authorize(actor, shuyu.ActScenarioReport, shuyu.Resource{Kind: "scenario"})
	}
	out := []*ScenarioReport{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT r.id, r.filed_at, o.name, r.body_json FROM scenario_reports r JOIN orgs o ON o.id = r.org_id
			ORDER BY r.filed_at DESC, r.id DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, at int64
			var org, body string
			if err := rows.Scan(&id, &at, &org, &body); err != nil {
				return err
			}
			var rep ScenarioReport
			if err := json.Unmarshal([]byte(body), &rep); err != nil {
				return fmt.Errorf("scenario report %d: %w", id, err)
			}
			t := fromMicros(at)
			rep.ID, rep.FiledAt, rep.OrgName = id, &t, org
			out = append(out, &rep)
		}
		return rows.Err()
	})
	return out, err
}

// Label names the report's period with inclusive dates.
func (r *ScenarioReport) Label() string { return PeriodLabel(r.From, r.To) }
