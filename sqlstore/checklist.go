package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"shuyu"
	"shuyu/ident"
)

// Compliance checklists (R17.1, R18.1, R20.3, R21.4, R23.1). The operator
// proposes a version of a kind's items, the city authority approves it; the
// newest approved version is in force (the one before is retired in the same
// transaction). Once a kind has a version in force, its check step — the
// onboarding decision (DecideRegistrationChecked), the application check
// (CheckApplication) and the output review (ReviewProductChecked) — records
// a full checklist graded against the platform's facts (checklistFacts) and
// nothing else; before the first approval the step records its free-text
// result as it always did, and those records stay readable.

const checklistCols = `id, kind, version, items_json, four_eyes, note, status, proposed_by, proposed_at, approved_by, approved_at`

func scanChecklist(row interface{ Scan(...any) error }) (*shuyu.ChecklistRuleset, error) {
	var rs shuyu.ChecklistRuleset
	var items string
	var proposed int64
	var approvedBy, approvedAt *int64
	if err := row.Scan(&rs.ID, &rs.Kind, &rs.Version, &items, &rs.FourEyes, &rs.Note, &rs.Status, &rs.ProposedBy, &proposed,
		&approvedBy, &approvedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(items), &rs.Items); err != nil {
		return nil, fmt.Errorf("sqlstore: checklist items: %w", err)
	}
	rs.ProposedAt = fromMicros(proposed)
	if approvedBy != nil {
		rs.ApprovedBy = *approvedBy
	}
	if approvedAt != nil {
		t := fromMicros(*approvedAt)
		rs.ApprovedAt = &t
	}
	if rs.Kind != shuyu.ChecklistOutput {
		rs.FourEyes = ""
	}
	return &rs, nil
}

func (tx *Tx) checklistRuleset(id int64) (*shuyu.ChecklistRuleset, error) {
	rs, err := scanChecklist(tx.queryRow(`SELECT `+checklistCols+` FROM checklist_rulesets WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("核查规范")
	}
	return rs, err
}

// activeChecklist is the approved version of kind in force, nil before the
// authority approved one.
func (tx *Tx) activeChecklist(kind shuyu.ChecklistKind) (*shuyu.ChecklistRuleset, error) {
	rs, err := scanChecklist(tx.queryRow(`SELECT `+checklistCols+` FROM checklist_rulesets
		WHERE kind = ? AND status = ? ORDER BY version DESC LIMIT 1`, kind, shuyu.ChecklistApproved))
	if isNoRows(err) {
		return nil, nil
	}
	return rs, err
}

// ChecklistProposal is what the operator proposes.
type ChecklistProposal struct {
	Kind     shuyu.ChecklistKind   `json:"kind"`
	Items    []shuyu.ChecklistItem `json:"items"`
	FourEyes string                `json:"four_eyes,omitempty"` // output: pi (default) or all
	Note     string                `json:"note"`
}

// ProposeChecklist records the operator's proposal of the next version of a
// kind (R20.3, R23.1: made by the operator, in force only once approved).
func (d *DB) ProposeChecklist(ctx context.Context, actor *shuyu.Actor, in ChecklistProposal) (*shuyu.ChecklistRuleset, error) {
	if err := shuyu.Authorize(actor, shuyu.ActChecklistPropose, shuyu.Resource{Kind: "checklist"}); err != nil {
		return nil, err
	}
	if in.Kind == shuyu.ChecklistOutput && in.FourEyes == "" {
		in.FourEyes = shuyu.FourEyesPI
	}
	for i := range in.Items {
		in.Items[i].Text = strings.TrimSpace(in.Items[i].Text)
	}
	if err := shuyu.ValidateChecklist(in.Kind, in.Items, in.FourEyes); err != nil {
		return nil, err
	}
	note := strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(note) > 1000 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "说明不得超过 1000 个字 (note too long)")
	}
	if in.Kind != shuyu.ChecklistOutput {
		in.FourEyes = shuyu.FourEyesPI // stored, never read: only output has the rule
	}
	items, _ := json.Marshal(in.Items)
	var out *shuyu.ChecklistRuleset
	err := d.update(ctx, actor, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT coalesce(max(version), 0) FROM checklist_rulesets WHERE kind = ?`, in.Kind).Scan(&n); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE checklist_rulesets SET status = ? WHERE kind = ? AND status = ?`,
			shuyu.ChecklistRetired, in.Kind, shuyu.ChecklistProposed); err != nil { // one proposal at a time
			return err
		}
		id, err := tx.insert(`INSERT INTO checklist_rulesets (kind, version, items_json, four_eyes, note, status, proposed_by, proposed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, in.Kind, n+1, string(items), in.FourEyes, note, shuyu.ChecklistProposed, actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditChecklistPropose, ObjectType: "checklist", ObjectID: id, Reason: note,
			Detail: map[string]any{"kind": in.Kind, "version": n + 1, "items": len(in.Items), "four_eyes": in.FourEyes, "rule": "R17.1"}}); err != nil {
			return err
		}
		auth, err := tx.orgsOfKind(shuyu.OrgAuthority)
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(auth, Notice{Kind: "checklist.proposed", Title: fmt.Sprintf("运营机构提交了%s第 %d 版，待审核同意", checklistName(in.Kind), n+1),
			ObjectType: "checklist", ObjectID: fmt.Sprint(id), Link: "/oversight/checklists"}); err != nil {
			return err
		}
		out, err = tx.checklistRuleset(id)
		return err
	})
	return out, err
}

func checklistName(k shuyu.ChecklistKind) string {
	switch k {
	case shuyu.ChecklistOnboarding:
		return "数据商进驻核查规范"
	case shuyu.ChecklistApplication:
		return "公共数据使用申请核查规范"
	}
	return "产品和服务出域审核规范"
}

// ApproveChecklist is the authority's approval of a proposed version; the
// version in force before it is retired. For output the authority may widen
// the four-eyes rule to every product (never narrow it below products
// derived from personal information, R17.1).
func (d *DB) ApproveChecklist(ctx context.Context, actor *shuyu.Actor, id int64, fourEyes, note string) (*shuyu.ChecklistRuleset, error) {
	if err := shuyu.Authorize(actor, shuyu.ActChecklistApprove, shuyu.Resource{Kind: "checklist"}); err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	var out *shuyu.ChecklistRuleset
	err := d.update(ctx, actor, func(tx *Tx) error {
		rs, err := tx.checklistRuleset(id)
		if err != nil {
			return err
		}
		if rs.Status != shuyu.ChecklistProposed {
			return shuyu.Errorf(shuyu.ECONFLICT, "只能同意待审核的核查规范 (only a proposed version can be approved)")
		}
		switch {
		case fourEyes == "":
			fourEyes = rs.FourEyes
		case rs.Kind != shuyu.ChecklistOutput:
			return shuyu.Errorf(shuyu.EINVALID, "只有出域审核规范设双人审核范围 (four eyes is an output rule)").
				WithDetails([]shuyu.FieldError{{Field: "four_eyes", Message: "只有出域审核规范设双人审核范围"}})
		case fourEyes != shuyu.FourEyesAll && fourEyes != shuyu.FourEyesPI:
			return shuyu.Errorf(shuyu.EINVALID, "双人审核范围须为 pi 或 all (bad four-eyes rule)").
				WithDetails([]shuyu.FieldError{{Field: "four_eyes", Message: "须为 pi 或 all"}})
		case rs.FourEyes == shuyu.FourEyesAll && fourEyes == shuyu.FourEyesPI:
			return shuyu.Errorf(shuyu.EINVALID, "同意时只能扩大、不能缩小双人审核范围 (the authority widens, never narrows, four eyes)").
				WithDetails([]shuyu.FieldError{{Field: "four_eyes", Message: "只能扩大双人审核范围"}})
		}
		if _, err := tx.exec(`UPDATE checklist_rulesets SET status = ? WHERE kind = ? AND status = ?`,
			shuyu.ChecklistRetired, rs.Kind, shuyu.ChecklistApproved); err != nil {
			return err
		}
		stored := fourEyes
		if stored == "" {
			stored = shuyu.FourEyesPI
		}
		if _, err := tx.exec(`UPDATE checklist_rulesets SET status = ?, approved_by = ?, approved_at = ?, four_eyes = ? WHERE id = ?`,
			shuyu.ChecklistApproved, actor.UserID, micros(tx.now), stored, id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditChecklistApprove, ObjectType: "checklist", ObjectID: id, Reason: note,
			Detail: map[string]any{"kind": rs.Kind, "version": rs.Version, "four_eyes": fourEyes, "rule": "R17.1"}}); err != nil {
			return err
		}
		ops, err := tx.orgsOfKind(shuyu.OrgOperator)
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(ops, Notice{Kind: "checklist.approved", Title: fmt.Sprintf("%s第 %d 版已获同意，即日起按此核查", checklistName(rs.Kind), rs.Version),
			Body: note, ObjectType: "checklist", ObjectID: fmt.Sprint(id), Link: "/oversight/checklists"}); err != nil {
			return err
		}
		out, err = tx.checklistRuleset(id)
		return err
	})
	return out, err
}

// Checklists lists the versions the actor may read, newest first: the
// operator, the authority and the regulators see proposals and retired
// versions too, everyone else the versions in force.
func (d *DB) Checklists(ctx context.Context, actor *shuyu.Actor, kind shuyu.ChecklistKind) ([]*shuyu.ChecklistRuleset, error) {
	if err := shuyu.Authorize(actor, shuyu.ActChecklistRead, shuyu.Resource{Kind: "checklist"}); err != nil {
		return nil, err
	}
	if kind != "" && !kind.Valid() {
		return nil, shuyu.Errorf(shuyu.EINVALID, "核查类型须为 onboarding、application 或 output (bad kind)")
	}
	all := actor.IsSystem() || actor.Has(shuyu.RoleOperatorAdmin) || actor.Has(shuyu.RoleOperatorReviewer) || actor.Has(shuyu.RoleAuthority) ||
		actor.Has(shuyu.RoleRegulator)
	out := []*shuyu.ChecklistRuleset{}
	err := d.view(ctx, func(tx *Tx) error {
		q, args := `SELECT `+checklistCols+` FROM checklist_rulesets WHERE 1 = 1`, []any{}
		if kind != "" {
			q, args = q+` AND kind = ?`, append(args, kind)
		}
		if !all {
			q, args = q+` AND status = ?`, append(args, shuyu.ChecklistApproved)
		}
		rows, err := tx.query(q+` ORDER BY kind, version DESC`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			rs, err := scanChecklist(rows)
			if err != nil {
				return err
			}
			out = append(out, rs)
		}
		return rows.Err()
	})
	return out, err
}

// ChecklistForm is what a reviewer fills in: the version in force (nil
// before the first approval), the platform's facts about the object and the
// answers pre-filled from them.
type ChecklistForm struct {
	Ruleset *shuyu.ChecklistRuleset  `json:"ruleset"`
	Facts   []shuyu.ChecklistFact    `json:"facts"`
	Answers []shuyu.ChecklistAnswer  `json:"answers"`
	Areas   []shuyu.ChecklistArea    `json:"areas"`
	FourEye bool                     `json:"four_eyes"` // output: this product needs two distinct reviewers
	Results []*shuyu.ChecklistResult `json:"results"`   // the checklists already filled for the object, every round
}

// checklistObject checks that the actor may read the object a checklist is
// about: a registration, an application or a product.
func (d *DB) checklistObject(ctx context.Context, actor *shuyu.Actor, kind shuyu.ChecklistKind, id int64) error {
	var err error
	switch kind {
	case shuyu.ChecklistOnboarding:
		_, err = d.Registration(ctx, actor, id)
	case shuyu.ChecklistApplication:
		_, err = d.Application(ctx, actor, id)
	case shuyu.ChecklistOutput:
		_, err = d.Product(ctx, actor, id)
	default:
		err = shuyu.Errorf(shuyu.EINVALID, "核查类型须为 onboarding、application 或 output (bad kind)")
	}
	return err
}

// ChecklistFormFor is the form for kind's object id, pre-filled.
func (d *DB) ChecklistFormFor(ctx context.Context, actor *shuyu.Actor, kind shuyu.ChecklistKind, id int64) (*ChecklistForm, error) {
	if err := d.checklistObject(ctx, actor, kind, id); err != nil {
		return nil, err
	}
	f := &ChecklistForm{Facts: []shuyu.ChecklistFact{}, Answers: []shuyu.ChecklistAnswer{}, Areas: shuyu.ChecklistAreas}
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if f.Results, err = tx.checklistResults(kind, id); err != nil {
			return err
		}
		if f.Ruleset, err = tx.activeChecklist(kind); err != nil || f.Ruleset == nil {
			return err
		}
		facts, err := tx.checklistFacts(kind, id)
		if err != nil {
			return err
		}
		for _, it := range f.Ruleset.Items {
			if fa, ok := facts[it.Fact]; ok && it.Fact != "" {
				fa.Key = it.Key
				f.Facts = append(f.Facts, fa)
			}
		}
		f.Answers = shuyu.PrefillChecklist(f.Ruleset.Items, facts)
		if kind == shuyu.ChecklistOutput {
			f.FourEye, err = tx.productFourEyes(id, f.Ruleset)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// ChecklistResults lists the checklists filled for an object the actor may
// read, oldest first.
func (d *DB) ChecklistResults(ctx context.Context, actor *shuyu.Actor, kind shuyu.ChecklistKind, id int64) ([]*shuyu.ChecklistResult, error) {
	if err := d.checklistObject(ctx, actor, kind, id); err != nil {
		return nil, err
	}
	var out []*shuyu.ChecklistResult
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.checklistResults(kind, id)
		return err
	})
	return out, err
}

func (tx *Tx) checklistResults(kind shuyu.ChecklistKind, id int64) ([]*shuyu.ChecklistResult, error) {
	rows, err := tx.query(`SELECT c.id, c.kind, c.object_id, c.round, c.ruleset_id, r.version, r.items_json, c.reviewer_id, c.reviewer_name,
		c.answers_json, c.passed, c.created_at FROM checklist_results c JOIN checklist_rulesets r ON r.id = c.ruleset_id
		WHERE c.kind = ? AND c.object_id = ? ORDER BY c.id`, kind, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*shuyu.ChecklistResult{}
	for rows.Next() {
		var c shuyu.ChecklistResult
		var items, answers string
		var at int64
		if err := rows.Scan(&c.ID, &c.Kind, &c.ObjectID, &c.Round, &c.RulesetID, &c.Version, &items, &c.ReviewerID, &c.Reviewer,
			&answers, &c.Passed, &at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(items), &c.Items); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(answers), &c.Answers); err != nil {
			return nil, err
		}
		c.At = fromMicros(at)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// recordChecklist grades answers against the version in force and the
// facts, and stores them as the object's checklist for round. It returns
// nil when no version is in force and no answers were given (the free-text
// step of before); answers without a version in force, or a version in force
// without answers, are refused.
func (tx *Tx) recordChecklist(actor *shuyu.Actor, kind shuyu.ChecklistKind, id int64, round int, answers []shuyu.ChecklistAnswer) (*shuyu.ChecklistResult, error) {
	rs, err := tx.activeChecklist(kind)
	if err != nil {
		return nil, err
	}
	if rs == nil {
		if len(answers) > 0 {
			return nil, shuyu.Errorf(shuyu.ECONFLICT, "主管部门尚未同意%s，不能按清单核查 (no approved checklist yet)", checklistName(kind))
		}
		return nil, nil
	}
	if len(answers) == 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "须按%s（第 %d 版）逐项填写核查清单 (R17.1: the checklist in force must be filled in)",
			checklistName(kind), rs.Version).WithDetails([]shuyu.FieldError{{Field: "checklist", Message: "请逐项填写核查清单"}})
	}
	facts, err := tx.checklistFacts(kind, id)
	if err != nil {
		return nil, err
	}
	passed, graded, err := shuyu.GradeChecklist(rs.Items, answers, facts)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(graded)
	name := actor.Username
	var display string
	if err := tx.queryRow(`SELECT coalesce(display_name, '') FROM users WHERE id = ?`, actor.UserID).Scan(&display); err == nil && display != "" {
		name = display
	}
	rid, err := tx.insert(`INSERT INTO checklist_results (kind, object_id, round, ruleset_id, reviewer_id, reviewer_name, answers_json, passed, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, kind, id, round, rs.ID, actor.UserID, name, string(body), passed, micros(tx.now))
	if err != nil {
		return nil, err
	}
	return &shuyu.ChecklistResult{ID: rid, Kind: kind, ObjectID: id, Round: round, RulesetID: rs.ID, Version: rs.Version,
		ReviewerID: actor.UserID, Reviewer: name, Answers: graded, Items: rs.Items, Passed: passed, At: tx.now}, nil
}

// checklistFacts is what the platform's records say about kind's object id.
func (tx *Tx) checklistFacts(kind shuyu.ChecklistKind, id int64) (map[string]shuyu.ChecklistFact, error) {
	switch kind {
	case shuyu.ChecklistOnboarding:
		g, err := tx.registration(id)
		if err != nil {
			return nil, err
		}
		uscc := shuyu.ChecklistFact{Key: "uscc_valid", Applies: true, Verdict: shuyu.AnswerPass, Evidence: "统一社会信用代码 " + g.USCC + " 校验位正确"}
		if !ident.ValidUSCC(g.USCC) {
			uscc.Verdict, uscc.Evidence = shuyu.AnswerFail, "统一社会信用代码 "+g.USCC+" 校验位错误"
		}
		st := shuyu.ChecklistFact{Key: "security_statement", Applies: true, Verdict: shuyu.AnswerFail, Evidence: "未提交数据安全能力说明"}
		if n := utf8.RuneCountInString(strings.TrimSpace(g.SecurityStatement)); n >= 10 {
			st.Applies, st.Verdict, st.Evidence = true, "", fmt.Sprintf("已提交数据安全能力说明（%d 字），请核查其内容", n)
		}
		return map[string]shuyu.ChecklistFact{"uscc_valid": uscc, "security_statement": st}, nil
	case shuyu.ChecklistApplication:
		head, err := tx.appHead(id)
		if err != nil {
			return nil, err
		}
		app, err := tx.application(id, head.round)
		if err != nil {
			return nil, err
		}
		out := map[string]shuyu.ChecklistFact{}
		sec := shuyu.ChecklistFact{Key: "security_measures", Applies: true, Verdict: shuyu.AnswerFail, Evidence: "申请未填写安全防护措施"}
		if n := utf8.RuneCountInString(strings.TrimSpace(app.Security)); n >= 10 {
			sec.Verdict, sec.Evidence = "", fmt.Sprintf("已填写安全防护措施（%d 字），请核查是否具体可行", n)
		}
		out["security_measures"] = sec
		var pi, spi, ts, core, imp []string
		for _, it := range app.Items {
			rev, err := tx.entryRevision(it.EntryID)
			if err != nil {
				return nil, err
			}
			if rev == nil {
				continue
			}
			asked := map[string]bool{}
			for _, f := range it.Fields {
				asked[f] = true
			}
			for _, f := range rev.Fields {
				if !asked[f.Name] {
					continue
				}
				label := it.EntryName + "·" + f.Label
				if f.SensitivePI {
					spi = append(spi, label)
				}
				if f.PI || f.SensitivePI {
					pi = append(pi, label)
				}
				if f.TradeSecret {
					ts = append(ts, label)
				}
				switch f.Grade {
				case shuyu.GradeCore:
					core = append(core, label)
				case shuyu.GradeImportant:
					imp = append(imp, label)
				}
			}
			switch rev.Grade {
			case shuyu.GradeCore:
				core = append(core, it.EntryName+"（目录定级核心）")
			case shuyu.GradeImportant:
				imp = append(imp, it.EntryName+"（目录定级重要）")
			}
		}
		out["pi_requested"] = factOf("pi_requested", "个人信息", pi)
		out["sensitive_pi_requested"] = factOf("sensitive_pi_requested", "敏感个人信息", spi)
		out["trade_secret_requested"] = factOf("trade_secret_requested", "商业秘密", ts)
		out["core_requested"] = factOf("core_requested", "核心数据", core)
		out["important_requested"] = factOf("important_requested", "重要数据", imp)
		return out, nil
	case shuyu.ChecklistOutput:
		p, err := tx.product(id)
		if err != nil {
			return nil, err
		}
		out := map[string]shuyu.ChecklistFact{}
		auto := shuyu.ChecklistFact{Key: "auto_check", Applies: true, Verdict: shuyu.AnswerFail, Evidence: "本轮尚无自动出域核查记录"}
		var passed bool
		err = tx.queryRow(`SELECT passed FROM product_checks WHERE product_id = ? AND round = ? ORDER BY id DESC LIMIT 1`, id, p.Round).Scan(&passed)
		switch {
		case err == nil && passed:
			auto.Verdict, auto.Evidence = shuyu.AnswerPass, fmt.Sprintf("第 %d 轮自动出域核查已通过", p.Round)
		case err == nil:
			auto.Evidence = fmt.Sprintf("第 %d 轮自动出域核查未通过", p.Round)
		case !isNoRows(err):
			return nil, err
		}
		out["auto_check"] = auto
		src, err := tx.productSourceFacts(p)
		if err != nil {
			return nil, err
		}
		out["derived_pi"] = factOf("derived_pi", "个人信息", src.pi)
		out["derived_sensitive_pi"] = factOf("derived_sensitive_pi", "敏感个人信息", src.spi)
		out["derived_trade_secret"] = factOf("derived_trade_secret", "商业秘密", src.ts)
		out["derived_core"] = factOf("derived_core", "核心数据", src.core)
		return out, nil
	}
	return nil, shuyu.Errorf(shuyu.EINVALID, "核查类型须为 onboarding、application 或 output (bad kind)")
}

// factOf: the item applies when what was found is not empty.
func factOf(key, what string, found []string) shuyu.ChecklistFact {
	if len(found) == 0 {
		return shuyu.ChecklistFact{Key: key, Evidence: "平台记录中不涉及" + what}
	}
	shown := found
	if len(shown) > 6 {
		shown = shown[:6]
	}
	ev := "涉及" + what + "：" + strings.Join(shown, "、")
	if len(found) > len(shown) {
		ev += fmt.Sprintf(" 等 %d 项", len(found))
	}
	return shuyu.ChecklistFact{Key: key, Applies: true, Evidence: ev}
}

// entryRevision is the published revision of an entry with its fields (nil
// if never published).
func (tx *Tx) entryRevision(entryID int64) (*shuyu.CatalogRevision, error) {
	var rev *int64
	if err := tx.queryRow(`SELECT published_rev_id FROM catalog_entries WHERE id = ?`, entryID).Scan(&rev); err != nil {
		if isNoRows(err) {
			return nil, nil
		}
		return nil, err
	}
	if rev == nil {
		return nil, nil
	}
	return tx.catalogRevisionByID(*rev)
}

type productSources struct{ pi, spi, ts, core []string }

// productSourceFacts lists what the product's source entries hold. Product
// tables record entries, not columns, so a product is "derived from
// personal information" when any source entry has a personal-information
// field — the cautious reading.
func (tx *Tx) productSourceFacts(p *shuyu.Product) (*productSources, error) {
	out := &productSources{}
	seen := map[int64]bool{}
	for _, t := range p.Tables {
		for _, s := range t.Sources {
			if seen[s.EntryID] {
				continue
			}
			seen[s.EntryID] = true
			rev, err := tx.entryRevision(s.EntryID)
			if err != nil {
				return nil, err
			}
			if rev == nil {
				continue
			}
			var pi, spi, ts bool
			for _, f := range rev.Fields {
				pi = pi || f.PI || f.SensitivePI
				spi = spi || f.SensitivePI
				ts = ts || f.TradeSecret
			}
			name := rev.Name
			if pi {
				out.pi = append(out.pi, name)
			}
			if spi {
				out.spi = append(out.spi, name)
			}
			if ts {
				out.ts = append(out.ts, name)
			}
			if rev.Grade == shuyu.GradeCore {
				out.core = append(out.core, name)
			}
		}
	}
	return out, nil
}

// productFourEyes reports whether product id needs two distinct reviewers
// under the output rules in force (R17.1): every product derived from
// personal information, or every product when the authority widened it.
func (tx *Tx) productFourEyes(id int64, rs *shuyu.ChecklistRuleset) (bool, error) {
	if rs == nil {
		return false, nil
	}
	if rs.FourEyes == shuyu.FourEyesAll {
		return true, nil
	}
	p, err := tx.product(id)
	if err != nil {
		return false, err
	}
	src, err := tx.productSourceFacts(p)
	if err != nil {
		return false, err
	}
	return len(src.pi) > 0, nil
}

// productRequesters are the users who asked for the product's output check
// (product.request in the trail): like its builders, they never review it.
func (tx *Tx) productRequesters(id int64) (map[int64]bool, error) {
	rows, err := tx.query(`SELECT DISTINCT actor_id FROM audit_events WHERE object_type = 'product' AND object_id = ? AND action = ?`,
		fmt.Sprint(id), shuyu.AuditProductRequest)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out[u] = true
	}
	return out, rows.Err()
}
