package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/workday"
)

// The operator's authorization agreement (R13.1, R4.1, NIMP.3): drafted by
// the authority with its 13 items, signed by the authority and then by the
// operator with their organizations' SM2 keys (the same platform-held keys
// and password re-entry as the merchant agreements, agreement_keys.go),
// filed with the provincial data department. What it covers is enforced by
// tx.authorizationCovers (authorization_scope.go).

const authzCols = `a.id, a.number, a.authority_org_id, ao.name, a.operator_org_id, oo.name, a.title, a.mode, a.term_start,
	a.term_end, a.items_json, a.text, a.digest, a.status, a.filing_number, a.filed_at, a.ended_on, a.end_reason,
	a.created_at, a.effective_at`

const authzFrom = ` FROM operator_authorizations a JOIN orgs ao ON ao.id = a.authority_org_id JOIN orgs oo ON oo.id = a.operator_org_id`

func scanAuthorization(row interface{ Scan(...any) error }) (*shuyu.Authorization, error) {
	var a shuyu.Authorization
	var items string
	var created int64
	var filed, eff sql.NullInt64
	if err := row.Scan(&a.ID, &a.Number, &a.AuthorityOrgID, &a.AuthorityName, &a.OperatorOrgID, &a.OperatorName, &a.Title,
		&a.Mode, &a.TermStart, &a.TermEnd, &items, &a.Text, &a.DigestSM3, &a.Status, &a.FilingNumber, &filed, &a.EndedOn,
		&a.EndReason, &created, &eff); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(items), &a.Items); err != nil {
		return nil, fmt.Errorf("sqlstore: authorization %d items: %w", a.ID, err)
	}
	a.CreatedAt, a.FiledAt, a.EffectiveAt = fromMicros(created), fromNullMicros(filed), fromNullMicros(eff)
	return &a, nil
}

// authorization loads one agreement with its scope and signatures.
func (tx *Tx) authorization(id int64) (*shuyu.Authorization, error) {
	a, err := scanAuthorization(tx.queryRow(`SELECT `+authzCols+authzFrom+` WHERE a.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("授权运营协议")
	}
	if err != nil {
		return nil, err
	}
	if a.Scope, err = tx.authorizationScope(id); err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT party, org_id, user_id, username, public_key, signature, signed_at FROM authorization_signatures
		WHERE authorization_id = ? ORDER BY signed_at, party`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	a.Signatures = []shuyu.Signature{}
	for rows.Next() {
		var s shuyu.Signature
		var pub, sig []byte
		var at int64
		if err := rows.Scan(&s.Party, &s.OrgID, &s.UserID, &s.Username, &pub, &sig, &at); err != nil {
			return nil, err
		}
		s.PublicKey, s.Signature, s.SignedAt = hex.EncodeToString(pub), hex.EncodeToString(sig), fromMicros(at)
		a.Signatures = append(a.Signatures, s)
	}
	return a, rows.Err()
}

func (tx *Tx) authorizationScope(id int64) (shuyu.AuthorizationScope, error) {
	sc := shuyu.AuthorizationScope{Entries: []int64{}, Domains: []string{}, Scenarios: []string{}}
	rows, err := tx.query(`SELECT kind, value FROM authorization_scope WHERE authorization_id = ? ORDER BY kind, value`, id)
	if err != nil {
		return sc, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return sc, err
		}
		switch k {
		case "entry":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return sc, fmt.Errorf("sqlstore: authorization %d: entry %q", id, v)
			}
			sc.Entries = append(sc.Entries, n)
		case "domain":
			sc.Domains = append(sc.Domains, v)
		case "scenario":
			sc.Scenarios = append(sc.Scenarios, v)
		}
	}
	return sc, rows.Err()
}

func authorizationResource(a *shuyu.Authorization) shuyu.Resource {
	return shuyu.Resource{Kind: "authorization", OrgID: a.AuthorityOrgID, Parties: []int64{a.OperatorOrgID}, Exists: true}
}

// scopeLines describes the scope for the agreement's text, naming each
// entry and domain.
func (tx *Tx) scopeLines(mode shuyu.AuthMode, sc shuyu.AuthorizationScope) ([]string, error) {
	var out []string
	if mode == shuyu.AuthWhole && len(sc.Entries) == 0 && len(sc.Domains) == 0 {
		out = append(out, "授权运营目录中的全部公共数据资源")
	}
	for _, d := range sc.Domains {
		var name string
		err := tx.queryRow(`SELECT name FROM catalog_categories WHERE code = ?`, d).Scan(&name)
		if isNoRows(err) {
			return nil, shuyu.Errorf(shuyu.EINVALID, "领域 %s 不在目录分类中 (unknown domain)", d).
				WithDetails([]shuyu.FieldError{{Field: "scope.domains", Message: "领域 " + d + " 不存在"}})
		}
		if err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("领域：%s（%s）", name, d))
	}
	for _, id := range sc.Entries {
		var code string
		var name sql.NullString
		err := tx.queryRow(`SELECT e.code, r.name FROM catalog_entries e LEFT JOIN catalog_revisions r ON r.id = e.published_rev_id
			WHERE e.id = ?`, id).Scan(&code, &name)
		if isNoRows(err) {
			return nil, shuyu.Errorf(shuyu.EINVALID, "目录 %d 不存在 (unknown entry)", id).
				WithDetails([]shuyu.FieldError{{Field: "scope.entries", Message: fmt.Sprintf("目录 %d 不存在", id)}})
		}
		if err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("目录：%s（%s）", name.String, code))
	}
	for _, s := range sc.Scenarios {
		out = append(out, "场景："+s)
	}
	return out, nil
}

// DraftAuthorization records the authority's draft of an authorization
// agreement. The term of at most 5 years and the 13 items are checked
// here (NIMP.3); nothing is written when they fail.
func (d *DB) DraftAuthorization(ctx context.Context, actor *shuyu.Actor, in shuyu.AuthorizationInput) (*shuyu.Authorization, error) {
	if err := shuyu.Authorize(actor, shuyu.ActAuthorizationDraft, shuyu.Resource{Kind: "authorization"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		op, err := tx.org(in.OperatorOrgID)
		if err != nil || op.Kind != shuyu.OrgOperator {
			return shuyu.Errorf(shuyu.EINVALID, "被授权方须为运营机构 (the operator must be an operator organization)").
				WithDetails([]shuyu.FieldError{{Field: "operator_org_id", Message: "须为运营机构"}})
		}
		auth, err := tx.org(actor.OrgID)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.queryRow(`SELECT count(*) FROM operator_authorizations`).Scan(&n); err != nil {
			return err
		}
		a := &shuyu.Authorization{Number: fmt.Sprintf("SQ-%s-%03d", tx.now.In(workday.Zone).Format("2006"), n+1),
			AuthorityOrgID: auth.ID, AuthorityName: auth.Name, OperatorOrgID: op.ID, OperatorName: op.Name, Title: in.Title,
			Mode: in.Mode, Scope: in.Scope, TermStart: in.TermStart, TermEnd: in.TermEnd, Items: in.Items}
		lines, err := tx.scopeLines(a.Mode, a.Scope)
		if err != nil {
			return err
		}
		a.Text = shuyu.RenderAuthorization(a, lines)
		sum := sm3.Sum([]byte(a.Text))
		items, _ := json.Marshal(a.Items)
		id, err = tx.insert(`INSERT INTO operator_authorizations (number, authority_org_id, operator_org_id, title, mode, term_start,
			term_end, items_json, text, digest, status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.Number, a.AuthorityOrgID, a.OperatorOrgID, a.Title, string(a.Mode), a.TermStart, a.TermEnd, string(items), a.Text,
			hex.EncodeToString(sum[:]), shuyu.AuthzDraft, actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		add := func(kind, v string) error {
			_, err := tx.exec(`INSERT INTO authorization_scope (authorization_id, kind, value) VALUES (?, ?, ?)`, id, kind, v)
			return err
		}
		for _, e := range a.Scope.Entries {
			if err := add("entry", strconv.FormatInt(e, 10)); err != nil {
				return err
			}
		}
		for _, v := range a.Scope.Domains {
			if err := add("domain", v); err != nil {
				return err
			}
		}
		for _, v := range a.Scope.Scenarios {
			if err := add("scenario", v); err != nil {
				return err
			}
		}
		return tx.audit(Change{Action: shuyu.AuditAuthorizationDraft, ObjectType: "authorization", ObjectID: id,
			Detail: map[string]any{"number": a.Number, "operator_org_id": op.ID, "mode": a.Mode, "term_start": a.TermStart,
				"term_end": a.TermEnd, "scope": a.Scope, "digest_sm3": hex.EncodeToString(sum[:]), "rule": "R13.1"}})
	})
	if err != nil {
		return nil, err
	}
	return d.Authorization(ctx, actor, id)
}

// Authorization returns one agreement to the parties and supervisors.
func (d *DB) Authorization(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Authorization, error) {
	var a *shuyu.Authorization
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if a, err = tx.authorization(id); err != nil {
			return err
		}
		return shuyu.Authorize(actor, shuyu.ActAuthorizationRead, authorizationResource(a))
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Authorizations lists the agreements the actor may read, newest first,
// without their texts.
func (d *DB) Authorizations(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.Authorization, error) {
	if err := shuyu.Authorize(actor, shuyu.ActAuthorizationRead, shuyu.Resource{Kind: "authorization"}); err != nil {
		return nil, err
	}
	out := []*shuyu.Authorization{}
	err := d.view(ctx, func(tx *Tx) error {
		all, err := tx.authorizations(`ORDER BY a.id DESC`)
		if err != nil {
			return err
		}
		for _, a := range all {
			if shuyu.Can(actor, shuyu.ActAuthorizationRead, authorizationResource(a)) {
				a.Text = ""
				out = append(out, a)
			}
		}
		return nil
	})
	return out, err
}

// authorizations reads agreements (with their scope, without signatures).
func (tx *Tx) authorizations(where string, args ...any) ([]*shuyu.Authorization, error) {
	rows, err := tx.query(`SELECT `+authzCols+authzFrom+` `+where, args...)
	if err != nil {
		return nil, err
	}
	var all []*shuyu.Authorization
	for rows.Next() {
		a, err := scanAuthorization(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, a := range all {
		if a.Scope, err = tx.authorizationScope(a.ID); err != nil {
			return nil, err
		}
		a.Signatures = []shuyu.Signature{}
	}
	return all, nil
}

// SignAuthorization signs for the actor's side with the organization's SM2
// key after the signer re-enters the password: the authority first, then
// the operator, whose signature puts the agreement in force (R13.1).
func (d *DB) SignAuthorization(ctx context.Context, actor *shuyu.Actor, id int64, password string) (*shuyu.Authorization, error) {
	var out *shuyu.Authorization
	err := d.update(ctx, actor, func(tx *Tx) error {
		a, err := tx.authorization(id)
		if err != nil {
			return err
		}
		res := authorizationResource(a)
		if err := shuyu.Authorize(actor, shuyu.ActAuthorizationRead, res); err != nil {
			return err
		}
		party, event, act := "", "", shuyu.AuditAction("")
		switch {
		case actor.OrgID == a.AuthorityOrgID && actor.Has(shuyu.RoleAuthority):
			party, event, act = "authority", "sign_authority", shuyu.AuditAuthorizationSignAuthority
		case actor.OrgID == a.OperatorOrgID && actor.Has(shuyu.RoleOperatorAdmin):
			party, event, act = "operator", "sign_operator", shuyu.AuditAuthorizationSignOperator
		}
		if err := shuyu.Authorize(actor, shuyu.ActAuthorizationSign, res); err != nil || party == "" {
			return shuyu.Errorf(shuyu.EFORBIDDEN, "只有协议双方可以签署 (only the parties sign)")
		}
		to, err := shuyu.AuthorizationMachine.Next(a.Status, event)
		if err != nil {
			if a.Status == shuyu.AuthzDraft && event == "sign_operator" {
				return shuyu.Errorf(shuyu.ECONFLICT, "请待授权主体签署后再签署 (the authority signs first)")
			}
			return err
		}
		digest, err := hex.DecodeString(a.DigestSM3)
		if err != nil {
			return err
		}
		sig, pub, err := tx.signAs(actor, password, digest)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO authorization_signatures (authorization_id, party, org_id, user_id, username, public_key,
			signature, signed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, party, actor.OrgID, actor.UserID, actor.Username, pub, sig,
			micros(tx.now)); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE operator_authorizations SET status = ? WHERE id = ?`, to, id); err != nil {
			return err
		}
		if to == shuyu.AuthzEffective {
			if _, err := tx.exec(`UPDATE operator_authorizations SET effective_at = ? WHERE id = ?`, micros(tx.now), id); err != nil {
				return err
			}
		}
		if err := tx.audit(Change{Action: act, ObjectType: "authorization", ObjectID: id,
			Detail: map[string]any{"party": party, "digest_sm3": a.DigestSM3, "status": to, "rule": "R13.1"}}); err != nil {
			return err
		}
		title := fmt.Sprintf("授权运营协议 %s 已由授权主体签署，请运营机构签署", a.Number)
		if to == shuyu.AuthzEffective {
			title = fmt.Sprintf("授权运营协议 %s 已生效，请向省级数据主管部门备案", a.Number)
		}
		if err := tx.notifyOrgs([]int64{a.AuthorityOrgID, a.OperatorOrgID}, Notice{Kind: "authorization." + to, Title: title,
			ObjectType: "authorization", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/authorizations/%d", id)}); err != nil {
			return err
		}
		out, err = tx.authorization(id)
		return err
	})
	return out, err
}

// VerifyAuthorization recomputes the SM3 digest of the text and checks
// both SM2 signatures against the organizations' registered keys.
func (d *DB) VerifyAuthorization(ctx context.Context, actor *shuyu.Actor, id int64) (*Verification, error) {
	a, err := d.Authorization(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	sum := sm3.Sum([]byte(a.Text))
	v := &Verification{DigestOK: hex.EncodeToString(sum[:]) == a.DigestSM3, Signatures: []SignatureResult{}}
	v.Valid = v.DigestOK && len(a.Signatures) == 2
	err = d.view(ctx, func(tx *Tx) error {
		for _, s := range a.Signatures {
			r := SignatureResult{Party: s.Party, Username: s.Username}
			pub, _ := hex.DecodeString(s.PublicKey)
			sig, _ := hex.DecodeString(s.Signature)
			var reg []byte
			if err := tx.queryRow(`SELECT public_key FROM org_keys WHERE org_id = ?`, s.OrgID).Scan(&reg); err != nil && !isNoRows(err) {
				return err
			}
			r.KeyOK = bytes.Equal(reg, pub)
			if pk, err := sm2.NewPublicKey(pub); err == nil {
				r.Valid = sm2.VerifyASN1WithSM2(pk, nil, sum[:], sig)
			}
			v.Valid = v.Valid && r.Valid && r.KeyOK
			v.Signatures = append(v.Signatures, r)
		}
		return nil
	})
	return v, err
}

// FileAuthorization records the provincial filing (备案) of an agreement
// in force (NIMP.3).
func (d *DB) FileAuthorization(ctx context.Context, actor *shuyu.Actor, id int64, number string) (*shuyu.Authorization, error) {
	number = strings.TrimSpace(number)
	if n := len([]rune(number)); n < 4 || n > 60 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "须填写备案编号 (filing number required)").
			WithDetails([]shuyu.FieldError{{Field: "filing_number", Message: "须填写 4 到 60 个字符"}})
	}
	var out *shuyu.Authorization
	err := d.update(ctx, actor, func(tx *Tx) error {
		a, err := tx.authorization(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActAuthorizationFile, authorizationResource(a)); err != nil {
			return err
		}
		if a.Status != shuyu.AuthzEffective {
			return shuyu.Errorf(shuyu.ECONFLICT, "协议生效后方可备案 (only an agreement in force is filed)")
		}
		if a.FilingNumber != "" {
			return shuyu.Errorf(shuyu.ECONFLICT, "该协议已备案（%s） (already filed)", a.FilingNumber)
		}
		if _, err := tx.exec(`UPDATE operator_authorizations SET filing_number = ?, filed_at = ? WHERE id = ?`,
			number, micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditAuthorizationFile, ObjectType: "authorization", ObjectID: id,
			Detail: map[string]any{"filing_number": number, "rule": "NIMP.3"}}); err != nil {
			return err
		}
		out, err = tx.authorization(id)
		return err
	})
	return out, err
}

// EndAuthorization ends an agreement in force early (the exit item): its
// last day becomes lastDay, which may not be later than its term end nor
// earlier than today. Applications, workspaces and products after that day
// are refused from then on.
func (d *DB) EndAuthorization(ctx context.Context, actor *shuyu.Actor, id int64, lastDay, reason string) (*shuyu.Authorization, error) {
	var out *shuyu.Authorization
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		out, err = tx.endAuthorization(actor, id, lastDay, reason)
		return err
	})
	return out, err
}

func (tx *Tx) endAuthorization(actor *shuyu.Actor, id int64, lastDay, reason string) (*shuyu.Authorization, error) {
	a, err := tx.authorization(id)
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, shuyu.ActAuthorizationDraft, authorizationResource(a)); err != nil {
		return nil, err
	}
	if _, err := parseDay(lastDay); err != nil {
		return nil, shuyu.Errorf(shuyu.EINVALID, "日期须为 YYYY-MM-DD (bad date)").
			WithDetails([]shuyu.FieldError{{Field: "end", Message: "日期须为 YYYY-MM-DD"}})
	}
	if strings.TrimSpace(reason) == "" {
		return nil, shuyu.Errorf(shuyu.EINVALID, "须填写依据 (reason required)").
			WithDetails([]shuyu.FieldError{{Field: "reason", Message: "须填写依据"}})
	}
	today := tx.now.In(workday.Zone).Format("2006-01-02")
	switch {
	case a.Status != shuyu.AuthzEffective && a.Status != shuyu.AuthzEnded:
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "协议尚未生效 (not in force)")
	case lastDay > a.LastDay():
		return nil, shuyu.Errorf(shuyu.EINVALID, "授权期限只能提前结束，不能延长（至多至 %s） (an authorization cannot be extended, NIMP.3)", a.LastDay()).
			WithDetails([]shuyu.FieldError{{Field: "end", Message: "不得晚于 " + a.LastDay()}})
	case lastDay < today:
		return nil, shuyu.Errorf(shuyu.EINVALID, "结束日期不得早于今天 (cannot end in the past)").
			WithDetails([]shuyu.FieldError{{Field: "end", Message: "不得早于 " + today}})
	}
	if _, err := tx.exec(`UPDATE operator_authorizations SET status = ?, ended_on = ?, end_reason = ? WHERE id = ?`,
		shuyu.AuthzEnded, lastDay, strings.TrimSpace(reason), id); err != nil {
		return nil, err
	}
	if err := tx.audit(Change{Action: shuyu.AuditAuthorizationTerm, ObjectType: "authorization", ObjectID: id, Reason: reason,
		Detail: map[string]any{"from": a.LastDay(), "to": lastDay, "rule": "R13.1"}}); err != nil {
		return nil, err
	}
	if err := tx.notifyOrgs([]int64{a.AuthorityOrgID, a.OperatorOrgID}, Notice{Kind: "authorization.ended",
		Title: fmt.Sprintf("授权运营协议 %s 的授权期限提前至 %s 结束", a.Number, lastDay), ObjectType: "authorization",
		ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/authorizations/%d", id)}); err != nil {
		return nil, err
	}
	return tx.authorization(id)
}
