package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
)

// OutputRules is one version of the output-check rules (R23.1). The store
// keeps the rule set as the engine's JSON (package outcheck validates it
// before it reaches the store, so the store needs no engine).
type OutputRules struct {
	ID         int64           `json:"id"`
	Version    int             `json:"version"`
	Rules      json.RawMessage `json:"rules"`
	Note       string          `json:"note"`
	Status     string          `json:"status"` // proposed, approved
	ProposedBy int64           `json:"proposed_by"`
	ProposedAt time.Time       `json:"proposed_at"`
	ApprovedBy int64           `json:"approved_by,omitempty"`
	ApprovedAt *time.Time      `json:"approved_at,omitempty"`
}

// Rule-set states.
const (
	OutRulesProposed = "proposed"
	OutRulesApproved = "approved"
)

// ProposeOutputRules records a new version of the rules, numbered after the
// last; it applies only once the authority approves it (R23.1).
func (d *DB) ProposeOutputRules(ctx context.Context, actor *shuyu.Actor, rules json.RawMessage, note string) (*OutputRules, error) {
	if err := shuyu.Authorize(actor, shuyu.ActOutRulesPropose, shuyu.Resource{Kind: "outrules"}); err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	var probe map[string]any
	if len(rules) == 0 || len(rules) > 64<<10 || json.Unmarshal(rules, &probe) != nil {
		return nil, shuyu.Errorf(shuyu.EINVALID, "规则须为 JSON 对象 (rules must be a JSON object)").
			WithDetails([]shuyu.FieldError{{Field: "rules", Message: "须为 JSON 对象"}})
	}
	if utf8.RuneCountInString(note) > 1000 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "说明不超过 1000 个字 (note too long)")
	}
	var out *OutputRules
	err := d.update(ctx, actor, func(tx *Tx) error {
		var v int
		if err := tx.queryRow(`SELECT coalesce(max(version), 0) FROM outcheck_rules`).Scan(&v); err != nil {
			return err
		}
		v++
		id, err := tx.insert(`INSERT INTO outcheck_rules (version, rules_json, note, status, proposed_by, proposed_at)
			VALUES (?, ?, ?, ?, ?, ?)`, v, string(rules), note, OutRulesProposed, actor.UserID, micros(tx.now))
		if err != nil {
			return fmt.Errorf("sqlstore: propose output rules: %w", err)
		}
		out = &OutputRules{ID: id, Version: v, Rules: rules, Note: note, Status: OutRulesProposed,
			ProposedBy: actor.UserID, ProposedAt: tx.now}
		if err := tx.audit(Change{Action: shuyu.AuditOutRulesPropose, ObjectType: "outrules", ObjectID: v, Reason: note,
			Detail: map[string]any{"rules": json.RawMessage(rules)}}); err != nil {
			return err
		}
		ids, err := tx.orgsOfKind(shuyu.OrgAuthority)
		if err != nil {
			return err
		}
		return tx.notifyOrgs(ids, Notice{Kind: "outrules.proposed", Title: fmt.Sprintf("出域核查规则第 %d 版待审批", v),
			ObjectType: "outrules", ObjectID: fmt.Sprint(v), Link: "/output/rules"})
	})
	return out, err
}

// ApproveOutputRules approves a proposed version (R23.1): from then on it is
// the version checks use, until a later one is approved.
func (d *DB) ApproveOutputRules(ctx context.Context, actor *shuyu.Actor, version int, reason string) (*OutputRules, error) {
	if err := shuyu.Authorize(actor, shuyu.ActOutRulesApprove, shuyu.Resource{Kind: "outrules"}); err != nil {
		return nil, err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		var st string
		err := tx.queryRow(`SELECT status FROM outcheck_rules WHERE version = ?`, version).Scan(&st)
		if isNoRows(err) {
			return notFound("出域核查规则")
		}
		if err != nil {
			return err
		}
		if st != OutRulesProposed {
			return shuyu.Errorf(shuyu.ECONFLICT, "该版本规则已审批 (version already approved)")
		}
		if _, err := tx.exec(`UPDATE outcheck_rules SET status = ?, approved_by = ?, approved_at = ? WHERE version = ?`,
			OutRulesApproved, actor.UserID, micros(tx.now), version); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditOutRulesApprove, ObjectType: "outrules", ObjectID: version, Reason: strings.TrimSpace(reason)})
	})
	if err != nil {
		return nil, err
	}
	list, err := d.OutputRuleSets(ctx, actor)
	if err != nil {
		return nil, err
	}
	for _, r := range list {
		if r.Version == version {
			return r, nil
		}
	}
	return nil, notFound("出域核查规则")
}

// OutputRuleSets lists every version, newest first.
func (d *DB) OutputRuleSets(ctx context.Context, actor *shuyu.Actor) ([]*OutputRules, error) {
	if err := shuyu.Authorize(actor, shuyu.ActOutRulesRead, shuyu.Resource{Kind: "outrules"}); err != nil {
		return nil, err
	}
	var out []*OutputRules
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.outRules(`ORDER BY version DESC`)
		return err
	})
	return out, err
}

// ActiveOutputRules returns the newest approved version, which every check
// uses (R23.1); none approved yet is ECONFLICT: no product can be checked.
func (d *DB) ActiveOutputRules(ctx context.Context) (*OutputRules, error) {
	var out *OutputRules
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.activeOutRules()
		return err
	})
	return out, err
}

func (tx *Tx) activeOutRules() (*OutputRules, error) {
	list, err := tx.outRules(`WHERE status = 'approved' ORDER BY version DESC LIMIT 1`)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "主管部门尚未审批出域核查规则，暂不能核查 (no approved output-check rules, R23.1)")
	}
	return list[0], nil
}

func (tx *Tx) outRules(tail string) ([]*OutputRules, error) {
	rows, err := tx.query(`SELECT id, version, rules_json, note, status, proposed_by, proposed_at, approved_by, approved_at
		FROM outcheck_rules ` + tail)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: output rules: %w", err)
	}
	defer rows.Close()
	var out []*OutputRules
	for rows.Next() {
		var r OutputRules
		var js string
		var at int64
		var by, apAt *int64
		if err := rows.Scan(&r.ID, &r.Version, &js, &r.Note, &r.Status, &r.ProposedBy, &at, &by, &apAt); err != nil {
			return nil, err
		}
		r.Rules, r.ProposedAt = json.RawMessage(js), fromMicros(at)
		if by != nil {
			r.ApprovedBy = *by
		}
		if apAt != nil {
			t := fromMicros(*apAt)
			r.ApprovedAt = &t
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}
