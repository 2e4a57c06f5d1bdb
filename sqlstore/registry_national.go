package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"shuyu"
	"shuyu/ident"
)

// RecordNationalCode records, as the registry, the code the national
// registry returned for a first registration applied for here (NREG.7:
// results are recorded as received). The code must have the draft
// structure with a correct MOD 11,10 check digit (ident.ValidRegistryCode),
// the type digit of the registration's kind and the subject's USCC, and be
// used by no other registration. It is accepted once the public notice has
// ended without an open objection — the registration is then registered
// with that code instead of one assigned here — or on a registration that
// carries a code assigned here, which it replaces (the old one stays in
// the audit trail). Anything else is refused and nothing changes.
func (d *DB) RecordNationalCode(ctx context.Context, actor *shuyu.Actor, id int64, code string) (*shuyu.RegistryRecord, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	bad := func(msg string) error {
		return shuyu.Errorf(shuyu.EINVALID, "%s", msg).WithDetails([]shuyu.FieldError{{Field: "code", Message: msg}})
	}
	var out *shuyu.RegistryRecord
	err := d.update(ctx, actor, func(tx *Tx) error {
		g, err := tx.registry(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActRegistryCode, registryResource(g)); err != nil {
			if shuyu.Can(actor, shuyu.ActRegistryRead, registryResource(g)) {
				return shuyu.Errorf(shuyu.EFORBIDDEN, "仅登记机构可记录登记编号 (registry only)")
			}
			return err
		}
		if !ident.ValidRegistryCode(code) {
			return bad("登记编号结构或校验位不正确 (bad registration code, NREG.7)")
		}
		org, err := tx.org(g.SubjectOrgID)
		if err != nil {
			return err
		}
		kind := byte(ident.RegistryResource)
		if g.Kind == shuyu.RgyProduct {
			kind = ident.RegistryProduct
		}
		if code[0] != kind {
			return bad("登记编号的类型位与登记对象不符 (type digit of another kind)")
		}
		if code[1:19] != org.Code {
			return bad("登记编号中的统一社会信用代码与登记主体不符 (code names another subject)")
		}
		if g.Type != shuyu.RgyFirst {
			return shuyu.Errorf(shuyu.ECONFLICT, "只有首次登记由登记机构赋予新编号 (only a first registration receives a code)")
		}
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM registry_records WHERE code = ? AND id <> ?`, code, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "登记编号已被其他登记使用 (code in use)")
		}
		switch {
		case g.Status == shuyu.RgyNotice && g.NoticeDue != nil && tx.now.After(*g.NoticeDue):
			if err := tx.rgyAssign(id, code); err != nil {
				return err
			}
		case g.Status == shuyu.RgyRegistered && g.Code != code:
			res, err := tx.exec(`UPDATE registry_records SET code = ?, updated_at = ? WHERE id = ? AND status = ? AND code = ?`,
				code, micros(tx.now), id, shuyu.RgyRegistered, g.Code)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return shuyu.Errorf(shuyu.ECONFLICT, "登记状态已变化，请刷新 (state changed)")
			}
			if err := tx.audit(Change{Action: shuyu.AuditRegistryNationalCode, ObjectType: "registry", ObjectID: id,
				Detail: map[string]any{"code": code, "previous": g.Code, "source": "national", "rule": "NREG.7"}}); err != nil {
				return err
			}
			if err := tx.notify(Notice{OrgID: g.SubjectOrgID, Kind: "registry.national_code", Title: fmt.Sprintf("登记“%s”的登记编号已更新为国家登记机构赋予的 %s", g.Name, code),
				ObjectType: "registry", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/registry/%d", id)}); err != nil {
				return err
			}
		case g.Status == shuyu.RgyNotice:
			return shuyu.Errorf(shuyu.ECONFLICT, "公示期尚未结束 (the public notice has not ended, NREG.6)")
		default:
			return shuyu.Errorf(shuyu.ECONFLICT, "该登记当前状态不能记录登记编号 (no code can be recorded in this state)")
		}
		out, err = tx.registry(id)
		return err
	})
	return out, err
}

// RevokeRegistry: the registry revokes a registration for false materials
// (NREG.8), with the reason. The registration is marked revoked and shown
// so on the public board; its code is kept, marked revoked, and no longer
// counts as registered — the resource or product must be registered again
// (its first-registration duty, NREG.4, comes back).
func (d *DB) RevokeRegistry(ctx context.Context, actor *shuyu.Actor, id int64, reason string) (*shuyu.RegistryRecord, error) {
	reason = strings.TrimSpace(reason)
	var out *shuyu.RegistryRecord
	err := d.update(ctx, actor, func(tx *Tx) error {
		g, err := tx.registry(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActRegistryRevoke, registryResource(g)); err != nil {
			if shuyu.Can(actor, shuyu.ActRegistryRead, registryResource(g)) {
				return shuyu.Errorf(shuyu.EFORBIDDEN, "仅登记机构可撤销登记 (registry only)")
			}
			return err
		}
		if len([]rune(reason)) < 4 {
			return shuyu.Errorf(shuyu.EINVALID, "须说明撤销理由（至少 4 个字） (reason required)").
				WithDetails([]shuyu.FieldError{{Field: "reason", Message: "须说明撤销理由"}})
		}
		to, err := shuyu.RegistryMachine.Next(g.Status, "revoke")
		if err != nil {
			return err
		}
		res, err := tx.exec(`UPDATE registry_records SET status = ?, reason = ?, updated_at = ? WHERE id = ? AND status = ?`,
			to, reason, micros(tx.now), id, g.Status)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return shuyu.Errorf(shuyu.ECONFLICT, "登记状态已变化，请刷新 (state changed)")
		}
		if err := tx.audit(Change{Action: shuyu.AuditRegistryRevoke, ObjectType: "registry", ObjectID: id, Reason: reason,
			Detail: map[string]any{"code": g.Code, "from": g.Status, "rule": "NREG.8"}}); err != nil {
			return err
		}
		if err := tx.notify(Notice{OrgID: g.SubjectOrgID, Kind: "registry.revoked", Title: fmt.Sprintf("登记“%s”（%s）因材料虚假被撤销：%s", g.Name, g.Code, reason),
			ObjectType: "registry", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/registry/%d", id)}); err != nil {
			return err
		}
		out, err = tx.registry(id)
		return err
	})
	return out, err
}
