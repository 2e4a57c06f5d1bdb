package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"shuyu"
)

// registrationEventActions is what the trail records for each event of
// shuyu.RegistrationMachine.
var registrationEventActions = map[string]shuyu.AuditAction{
	"accept": shuyu.AuditRegistrationAccept, "request_material": shuyu.AuditRegistrationRequestMaterial,
	"supplement": shuyu.AuditRegistrationSupplement, "register": shuyu.AuditRegistrationRegister,
	"refuse": shuyu.AuditRegistrationRefuse, "suspend": shuyu.AuditRegistrationSuspend,
	"resume": shuyu.AuditRegistrationResume, "exit": shuyu.AuditRegistrationExit,
}

// regTransition moves registration id by event, running apply in the same
// transaction, and audits it.
func (d *DB) regTransition(ctx context.Context, actor *shuyu.Actor, id int64, event, reason string,
	apply func(tx *Tx, g *shuyu.Registration, to string) (map[string]any, error)) (*shuyu.Registration, error) {
	var out *shuyu.Registration
	err := d.update(ctx, actor, func(tx *Tx) error {
		g, err := tx.registration(id)
		if err != nil {
			return err
		}
		to, err := shuyu.RegistrationMachine.Next(g.Status, event)
		if err != nil {
			return err
		}
		detail, err := apply(tx, g, to)
		if err != nil {
			return err
		}
		if detail == nil {
			detail = map[string]any{}
		}
		detail["from"], detail["to"] = g.Status, to
		if _, err := tx.exec(`UPDATE merchant_registrations SET status = ?, updated_at = ? WHERE id = ?`, to, micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: registrationEventActions[event], ObjectType: "registration", ObjectID: id, Reason: reason, Detail: detail}); err != nil {
			return err
		}
		out, err = tx.registration(id)
		return err
	})
	return out, err
}

// AcceptRegistration starts the 5-working-day clock (R18.2).
func (d *DB) AcceptRegistration(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Registration, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRegistrationHandle, shuyu.Resource{Kind: "registration"}); err != nil {
		return nil, err
	}
	return d.regTransition(ctx, actor, id, "accept", "", func(tx *Tx, g *shuyu.Registration, to string) (map[string]any, error) {
		return tx.regStartClock(id)
	})
}

func (tx *Tx) regStartClock(id int64) (map[string]any, error) {
	due, err := tx.due(tx.now, shuyu.OnboardingDays)
	if err != nil {
		return nil, err
	}
	_, err = tx.exec(`UPDATE merchant_registrations SET accepted_at = ?, due_at = ? WHERE id = ?`, micros(tx.now), micros(due), id)
	return map[string]any{"due": due, "rule": "R18.2"}, err
}

// RequestMaterial asks the applicant for more material, with what is missing.
func (d *DB) RequestMaterial(ctx context.Context, actor *shuyu.Actor, id int64, reason string) (*shuyu.Registration, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRegistrationHandle, shuyu.Resource{Kind: "registration"}); err != nil {
		return nil, err
	}
	if len([]rune(strings.TrimSpace(reason))) < 4 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "须说明需补充的材料（至少 4 个字） (say what is missing)")
	}
	return d.regTransition(ctx, actor, id, "request_material", reason, func(tx *Tx, g *shuyu.Registration, to string) (map[string]any, error) {
		_, err := tx.exec(`UPDATE merchant_registrations SET reason = ?, due_at = NULL WHERE id = ?`, reason, id)
		return nil, err
	})
}

// SupplementRegistration is the applicant's answer: the material is
// accepted anew and the clock restarts from now (R18.2).
func (d *DB) SupplementRegistration(ctx context.Context, id int64, token, note string) (*shuyu.Registration, error) {
	var uscc string
	err := d.view(ctx, func(tx *Tx) error {
		g, err := tx.registrationForToken(id, token)
		if err == nil {
			uscc = g.USCC
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return d.regTransition(ctx, reviewApplicant(uscc), id, "supplement", note, func(tx *Tx, g *shuyu.Registration, to string) (map[string]any, error) {
		if _, err := tx.exec(`UPDATE merchant_registrations SET reason = '' WHERE id = ?`, id); err != nil {
			return nil, err
		}
		ops, err := tx.orgsOfKind(shuyu.OrgOperator)
		if err != nil {
			return nil, err
		}
		if err := tx.notifyOrgs(ops, Notice{Kind: "registration.supplemented", Title: "入驻申请已补充材料：" + g.Company,
			ObjectType: "registration", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/review/registrations/%d", id)}); err != nil {
			return nil, err
		}
		return tx.regStartClock(id)
	})
}

// DecideRegistration tells the applicant "registered" or "not registered"
// with reasons (R18.2). Registering creates the merchant organization and
// its first account (or links the existing ones of the same name).
func (d *DB) DecideRegistration(ctx context.Context, actor *shuyu.Actor, id int64, register bool, reason string) (*shuyu.Registration, error) {
	return d.DecideRegistrationChecked(ctx, actor, id, register, reason, nil)
}

// DecideRegistrationChecked is DecideRegistration with the onboarding
// checklist (R17.1, R18.1): once the authority approved a 进驻核查规范, the
// decision records the filled checklist, registering needs every item to
// pass and refusing needs a failed item (its reason is the refusal's).
func (d *DB) DecideRegistrationChecked(ctx context.Context, actor *shuyu.Actor, id int64, register bool, reason string,
	checklist []shuyu.ChecklistAnswer) (*shuyu.Registration, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRegistrationHandle, shuyu.Resource{Kind: "registration"}); err != nil {
		return nil, err
	}
	event := "register"
	if !register {
		event = "refuse"
		if len(checklist) == 0 && len([]rune(strings.TrimSpace(reason))) < 4 {
			return nil, shuyu.Errorf(shuyu.EINVALID, "不予入驻须说明理由（至少 4 个字） (reasons required, R18.2)").
				WithDetails([]shuyu.FieldError{{Field: "reason", Message: "请填写不予入驻的理由"}})
		}
	}
	return d.regTransition(ctx, actor, id, event, reason, func(tx *Tx, g *shuyu.Registration, to string) (map[string]any, error) {
		if err := tx.expertGate(shuyu.CaseRegistration, id); err != nil { // R7.1
			return nil, err
		}
		detail := map[string]any{"rule": "R18.2"}
		cl, err := tx.recordChecklist(actor, shuyu.ChecklistOnboarding, id, 1, checklist)
		if err != nil {
			return nil, err
		}
		if cl != nil {
			if register != cl.Passed {
				return nil, shuyu.Errorf(shuyu.EINVALID, "入驻结论与核查清单不一致：予以注册须各项符合，不予注册须有不符合项 (decision contradicts the checklist)").
					WithDetails([]shuyu.FieldError{{Field: "register", Message: "结论须与清单一致"}})
			}
			if !register && len([]rune(strings.TrimSpace(reason))) < 4 {
				reason = shuyu.ChecklistFailures(cl.Items, cl.Answers)
			}
			detail["checklist_id"], detail["checklist_version"] = cl.ID, cl.Version
		}
		if g.Deadline != nil {
			detail["overdue"] = g.Deadline.Overdue
		}
		orgID := int64(0)
		if register {
			var err error
			if orgID, err = tx.regCreateMerchant(g); err != nil {
				return nil, err
			}
			detail["org_id"] = orgID
		}
		if _, err := tx.exec(`UPDATE merchant_registrations SET decided_at = ?, decided_by = ?, reason = ?, org_id = ?, due_at = NULL
			WHERE id = ?`, micros(tx.now), actor.UserID, reason, reviewNullID(orgID), id); err != nil {
			return nil, err
		}
		if err := tx.merchantEvent(id, to, reason); err != nil {
			return nil, err
		}
		if register {
			if err := tx.notify(Notice{OrgID: orgID, Kind: "registration.registered", Title: "入驻成功：贵单位已登记为数据商",
				Body: reason, ObjectType: "registration", ObjectID: fmt.Sprint(id), Link: "/applications"}); err != nil {
				return nil, err
			}
		}
		return detail, nil
	})
}

func reviewNullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// regCreateMerchant creates (or links) the merchant organization and its
// first account with the password the applicant chose.
func (tx *Tx) regCreateMerchant(g *shuyu.Registration) (int64, error) {
	var orgID int64
	err := tx.queryRow(`SELECT id FROM orgs WHERE name = ? AND kind = ?`, g.Company, shuyu.OrgMerchant).Scan(&orgID)
	switch {
	case isNoRows(err):
		region := g.USCC[2:8] // the registering authority's area code (GB 32100)
		o := shuyu.Org{Kind: shuyu.OrgMerchant, Name: g.Company, Code: g.USCC, Region: region, Status: "active"}
		if o.Validate() != nil {
			o.Region = shuyu.RegionZhongwei
		}
		orgID, err = tx.insert(`INSERT INTO orgs (kind, name, name_en, code, region, status, created_at) VALUES (?, ?, '', ?, ?, 'active', ?)`,
			o.Kind, o.Name, o.Code, o.Region, micros(tx.now))
		if isUnique(err) {
			return 0, shuyu.Errorf(shuyu.ECONFLICT, "机构名称“%s”已被其他类型的机构使用 (organization name taken)", g.Company)
		}
		if err != nil {
			return 0, err
		}
		if err := tx.audit(Change{Action: shuyu.AuditOrgCreate, ObjectType: "org", ObjectID: orgID,
			Detail: map[string]any{"kind": o.Kind, "name": o.Name, "region": o.Region, "registration_id": g.ID}}); err != nil {
			return 0, err
		}
	case err != nil:
		return 0, err
	default:
		if _, err := tx.exec(`UPDATE orgs SET code = ?, status = 'active' WHERE id = ?`, g.USCC, orgID); err != nil {
			return 0, err
		}
	}
	var n int
	if err := tx.queryRow(`SELECT count(*) FROM users WHERE username = ?`, g.Username).Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return orgID, nil // linked: the account exists in this organization (checked at submission)
	}
	var hash string
	if err := tx.queryRow(`SELECT password_hash FROM merchant_registrations WHERE id = ?`, g.ID).Scan(&hash); err != nil {
		return 0, err
	}
	uid, err := tx.insert(`INSERT INTO users (org_id, username, display_name, roles, password_hash, password_changed_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, orgID, g.Username, g.ContactName, string(shuyu.RoleMerchant), hash, micros(tx.now), micros(tx.now))
	if isUnique(err) {
		return 0, shuyu.Errorf(shuyu.ECONFLICT, "账号名“%s”已被使用 (username taken)", g.Username)
	}
	if err != nil {
		return 0, err
	}
	return orgID, tx.audit(Change{Action: shuyu.AuditUserCreate, ObjectType: "user", ObjectID: uid,
		Detail: map[string]any{"username": g.Username, "org_id": orgID, "roles": []shuyu.Role{shuyu.RoleMerchant}, "registration_id": g.ID}})
}

func (tx *Tx) merchantEvent(regID int64, event, reason string) error {
	_, err := tx.exec(`INSERT INTO merchant_events (registration_id, event, reason, time) VALUES (?, ?, ?, ?)`,
		regID, event, reason, micros(tx.now))
	return err
}

// SetMerchantStatus suspends, resumes or ends (exit) a registered merchant.
// A merchant may exit on its own; its effective agreements end with it.
func (d *DB) SetMerchantStatus(ctx context.Context, actor *shuyu.Actor, id int64, event, reason string) (*shuyu.Registration, error) {
	if event != "suspend" && event != "resume" && event != "exit" {
		return nil, shuyu.Errorf(shuyu.EINVALID, "操作须为 suspend、resume 或 exit")
	}
	if len([]rune(strings.TrimSpace(reason))) < 2 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "须填写原因 (reason required)")
	}
	return d.regTransition(ctx, actor, id, event, reason, func(tx *Tx, g *shuyu.Registration, to string) (map[string]any, error) {
		res := shuyu.Resource{Kind: "registration", OrgID: g.OrgID, Exists: true}
		if err := shuyu.Authorize(actor, shuyu.ActMerchantManage, res); err != nil {
			if event != "exit" || shuyu.Authorize(actor, shuyu.ActMerchantExit, res) != nil {
				return nil, err
			}
		}
		if err := tx.merchantEvent(id, to, reason); err != nil {
			return nil, err
		}
		if event == "exit" {
			if err := tx.endMerchantAgreements(g.OrgID, "数据商退出："+reason); err != nil {
				return nil, err
			}
		}
		return map[string]any{"org_id": g.OrgID}, tx.notify(Notice{OrgID: g.OrgID, Kind: "merchant." + event,
			Title: "数据商状态变更：" + shuyu.StatusLabel(to), Body: reason, ObjectType: "registration", ObjectID: fmt.Sprint(id)})
	})
}

// merchantRegistered refuses applications from merchants that are not
// registered (or are suspended): the same onboarding rules bind everyone
// (R18.1, R22.1).
func (tx *Tx) merchantRegistered(orgID int64) error {
	var status string
	err := tx.queryRow(`SELECT status FROM merchant_registrations WHERE org_id = ? ORDER BY id DESC LIMIT 1`, orgID).Scan(&status)
	if isNoRows(err) {
		return shuyu.Errorf(shuyu.EFORBIDDEN, "贵单位尚未完成数据商入驻登记，不能提交使用申请 (not a registered merchant, R18.2)")
	}
	if err != nil {
		return err
	}
	if status != shuyu.RegRegistered {
		return shuyu.Errorf(shuyu.EFORBIDDEN, "贵单位数据商状态为“%s”，不能提交使用申请 (merchant not active)", shuyu.StatusLabel(status))
	}
	return nil
}
