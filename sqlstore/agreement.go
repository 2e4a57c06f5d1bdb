package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/workday"
)

// Agreements (R19.1, R34.1). Other capabilities (workspaces) find the
// agreements in force with: SELECT … FROM agreements WHERE status =
// 'effective' (merchant_org_id, application_id, round, term_start,
// term_end), and the data granted in application_items of that
// application and round. What must happen in the signing transaction
// itself is called from signAgreement by name (workspaceForAgreement).

const agrCols = `id, number, application_id, round, template_id, merchant_org_id, operator_org_id, title, text, digest,
	term_start, term_end, status, created_at, effective_at, ended_at, end_reason`

func (tx *Tx) scanAgreement(row interface{ Scan(...any) error }) (*shuyu.Agreement, error) {
	var a shuyu.Agreement
	var created int64
	var eff, ended sql.NullInt64
	if err := row.Scan(&a.ID, &a.Number, &a.ApplicationID, &a.Round, &a.TemplateID, &a.MerchantOrgID, &a.OperatorOrgID,
		&a.Title, &a.Text, &a.DigestSM3, &a.TermStart, &a.TermEnd, &a.Status, &created, &eff, &ended, &a.EndReason); err != nil {
		return nil, err
	}
	a.CreatedAt, a.EffectiveAt, a.EndedAt = fromMicros(created), fromNullMicros(eff), fromNullMicros(ended)
	return &a, nil
}

func (tx *Tx) agreement(id int64) (*shuyu.Agreement, error) {
	a, err := tx.scanAgreement(tx.queryRow(`SELECT `+agrCols+` FROM agreements WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("协议")
	}
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT party, org_id, user_id, username, public_key, signature, signed_at FROM agreement_signatures
		WHERE agreement_id = ? ORDER BY signed_at, party`, id)
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

// agreementResource: the merchant, the operator and the source departments
// whose data it grants are parties; the operator side, the authority and
// regulators read every agreement.
func (tx *Tx) agreementResource(a *shuyu.Agreement) (shuyu.Resource, error) {
	res := shuyu.Resource{Kind: "agreement", OrgID: a.MerchantOrgID, Parties: []int64{a.OperatorOrgID}, Exists: true}
	rows, err := tx.query(`SELECT DISTINCT org_id FROM reviews WHERE application_id = ? AND round = ?`, a.ApplicationID, a.Round)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	for rows.Next() {
		var o int64
		if err := rows.Scan(&o); err != nil {
			return res, err
		}
		res.Parties = append(res.Parties, o)
	}
	return res, rows.Err()
}

// generateAgreement builds the agreement from the approved template and the
// approved application. Without an approved template the application
// stays approved and the operator generates it once one is approved.
func (tx *Tx) generateAgreement(app *shuyu.Application) error {
	tpl, err := tx.currentDocument(shuyu.DocAgreementTemplate)
	if shuyu.ErrorCode(err) == shuyu.EUNPROCESSABLE {
		ops, err := tx.orgsOfKind(shuyu.OrgOperator)
		if err != nil {
			return err
		}
		return tx.notifyOrgs(ops, Notice{Kind: "agreement.no_template", Title: "格式协议范本尚未审定，暂不能生成协议：" + app.Title,
			ObjectType: "application", ObjectID: fmt.Sprint(app.ID), Link: appLink(app.ID)})
	}
	if err != nil {
		return err
	}
	ops, err := tx.orgsOfKind(shuyu.OrgOperator)
	if err != nil || len(ops) == 0 {
		return shuyu.Errorf(shuyu.EUNPROCESSABLE, "平台尚未登记运营机构 (no operator organization)")
	}
	op, err := tx.org(ops[0])
	if err != nil {
		return err
	}
	var scope []string
	for _, it := range app.Items {
		names := it.FieldLabels // the Chinese labels: the agreement is read by people
		if len(names) != len(it.Fields) {
			names = it.Fields
		}
		scope = append(scope, fmt.Sprintf("%s（%s，%s）：%s", it.EntryName, it.EntryCode, it.OrgName, strings.Join(names, "、")))
	}
	var tags []string
	for _, t := range app.Tags {
		tags = append(tags, shuyu.TagLabels[t])
	}
	number := fmt.Sprintf("SY-%s-%06d-%d", tx.now.In(workday.Zone).Format("20060102"), app.ID, app.Round)
	scenario := app.Scenario
	if len(tags) > 0 {
		scenario += "（重点场景：" + strings.Join(tags, "、") + "）"
	}
	f := shuyu.AgreementFacts{Number: number, Merchant: app.MerchantName, Operator: op.Name,
		Application: fmt.Sprintf("%s（申请编号 %d，第 %d 轮）", app.Title, app.ID, app.Round), Scenario: scenario,
		DataScope: strings.Join(scope, "；"), Term: app.TermStart + " 至 " + app.TermEnd, Method: shuyu.MethodLabels[app.Method],
		Purpose: shuyu.PurposeLabels[app.Purpose], FeeMode: shuyu.FeeLabels[app.FeeMode], Security: app.Security}
	title := "公共数据开发利用协议"
	text := shuyu.RenderAgreement(title, tpl.Clauses, f)
	sum := sm3.Sum([]byte(text))
	end, err := time.ParseInLocation(time.DateOnly, app.TermEnd, workday.Zone)
	if err != nil {
		return err
	}
	endAt := end.AddDate(0, 0, 1).Add(-time.Microsecond) // the end of the last day (R34.1)
	id, err := tx.insert(`INSERT INTO agreements (number, application_id, round, template_id, merchant_org_id, operator_org_id,
		title, text, digest, term_start, term_end, end_at, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		number, app.ID, app.Round, tpl.ID, app.MerchantOrgID, op.ID, title, text, hex.EncodeToString(sum[:]),
		app.TermStart, app.TermEnd, micros(endAt), shuyu.AgrPending, micros(tx.now))
	if err != nil {
		return err
	}
	if err := tx.audit(Change{Action: shuyu.AuditAgreementGenerate, ObjectType: "agreement", ObjectID: id,
		Detail: map[string]any{"application_id": app.ID, "round": app.Round, "template_id": tpl.ID, "template_version": tpl.Version,
			"digest_sm3": hex.EncodeToString(sum[:]), "rule": "R19.1"}}); err != nil {
		return err
	}
	return tx.notifyOrgs([]int64{app.MerchantOrgID, op.ID}, Notice{Kind: "agreement.generated",
		Title: "开发利用协议已生成，请签署：" + number, ObjectType: "agreement", ObjectID: fmt.Sprint(id),
		Link: fmt.Sprintf("/agreements/%d", id)})
}

// GenerateAgreement generates the agreement of an approved application
// that has none (the template was approved after the application).
func (d *DB) GenerateAgreement(ctx context.Context, actor *shuyu.Actor, appID int64) (*shuyu.Agreement, error) {
	if err := shuyu.Authorize(actor, shuyu.ActAgreementSign, shuyu.Resource{Kind: "agreement"}); err != nil || !actor.Has(shuyu.RoleOperatorAdmin) {
		return nil, shuyu.Errorf(shuyu.EFORBIDDEN, "仅运营机构可生成协议 (operator only)")
	}
	var id int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		head, err := tx.appHead(appID)
		if err != nil {
			return err
		}
		if head.status != shuyu.AppApproved {
			return shuyu.Errorf(shuyu.ECONFLICT, "申请尚未通过，不能生成协议 (application not approved)")
		}
		app, err := tx.application(appID, head.round)
		if err != nil {
			return err
		}
		if app.AgreementID != 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "该申请已生成协议 (agreement exists)")
		}
		if _, err := tx.currentDocument(shuyu.DocAgreementTemplate); err != nil {
			return err
		}
		if err := tx.generateAgreement(app); err != nil {
			return err
		}
		return tx.queryRow(`SELECT id FROM agreements WHERE application_id = ? AND round = ?`, appID, head.round).Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	return d.Agreement(ctx, actor, id)
}

// Agreement returns one agreement to a party or supervisor.
func (d *DB) Agreement(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Agreement, error) {
	var a *shuyu.Agreement
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if a, err = tx.agreement(id); err != nil {
			return err
		}
		res, err := tx.agreementResource(a)
		if err != nil {
			return err
		}
		return shuyu.Authorize(actor, shuyu.ActAgreementRead, res)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Agreements lists the agreements the actor may read.
func (d *DB) Agreements(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.Agreement, error) {
	if err := shuyu.Authorize(actor, shuyu.ActAgreementRead, shuyu.Resource{Kind: "agreement"}); err != nil {
		return nil, err
	}
	var out []*shuyu.Agreement
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT ` + agrCols + ` FROM agreements ORDER BY id DESC LIMIT 1000`)
		if err != nil {
			return err
		}
		var all []*shuyu.Agreement
		for rows.Next() {
			a, err := tx.scanAgreement(rows)
			if err != nil {
				rows.Close()
				return err
			}
			all = append(all, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, a := range all {
			res, err := tx.agreementResource(a)
			if err != nil {
				return err
			}
			if shuyu.Can(actor, shuyu.ActAgreementRead, res) {
				a.Text = "" // the list is an index; open one to read it
				out = append(out, a)
			}
		}
		return nil
	})
	return out, err
}

// SignAgreement signs the agreement for the actor's side: the merchant
// first, then the operator; the operator's signature puts it in force.
func (d *DB) SignAgreement(ctx context.Context, actor *shuyu.Actor, id int64, password string) (*shuyu.Agreement, error) {
	var out *shuyu.Agreement
	err := d.update(ctx, actor, func(tx *Tx) error {
		a, err := tx.agreement(id)
		if err != nil {
			return err
		}
		res, err := tx.agreementResource(a)
		if err != nil {
			return err
		}
		party, event, act := "", "", shuyu.AuditAction("")
		switch {
		case actor.OrgID == a.MerchantOrgID && actor.Has(shuyu.RoleMerchant):
			party, event, act = "merchant", "sign_merchant", shuyu.AuditAgreementSignMerchant
		case actor.OrgID == a.OperatorOrgID && actor.Has(shuyu.RoleOperatorAdmin):
			party, event, act = "operator", "sign_operator", shuyu.AuditAgreementSignOperator
		}
		if err := shuyu.Authorize(actor, shuyu.ActAgreementSign, shuyu.Resource{Kind: "agreement", OrgID: actor.OrgID,
			Exists: true}); err != nil || party == "" {
			if err := shuyu.Authorize(actor, shuyu.ActAgreementRead, res); err != nil {
				return err
			}
			return shuyu.Errorf(shuyu.EFORBIDDEN, "只有协议双方可以签署 (only the parties sign)")
		}
		to, err := shuyu.AgreementMachine.Next(a.Status, event)
		if err != nil {
			if a.Status == shuyu.AgrPending && event == "sign_operator" {
				return shuyu.Errorf(shuyu.ECONFLICT, "请待数据商签署后再签署 (the merchant signs first)")
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
		if _, err := tx.exec(`INSERT INTO agreement_signatures (agreement_id, party, org_id, user_id, username, public_key, signature, signed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, party, actor.OrgID, actor.UserID, actor.Username, pub, sig, micros(tx.now)); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE agreements SET status = ? WHERE id = ?`, to, id); err != nil {
			return err
		}
		if to == shuyu.AgrEffective {
			if _, err := tx.exec(`UPDATE agreements SET effective_at = ? WHERE id = ?`, micros(tx.now), id); err != nil {
				return err
			}
		}
		if err := tx.audit(Change{Action: act, ObjectType: "agreement", ObjectID: id,
			Detail: map[string]any{"party": party, "digest_sm3": a.DigestSM3, "status": to, "rule": "R19.1"}}); err != nil {
			return err
		}
		title := fmt.Sprintf("协议 %s 已由%s签署", a.Number, map[string]string{"merchant": "数据商", "operator": "运营机构"}[party])
		if to == shuyu.AgrEffective {
			title = fmt.Sprintf("协议 %s 已生效", a.Number)
		}
		if err := tx.notifyOrgs(res.Parties, Notice{Kind: "agreement." + to, Title: title, ObjectType: "agreement",
			ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/agreements/%d", id)}); err != nil {
			return err
		}
		if err := tx.notify(Notice{OrgID: a.MerchantOrgID, Kind: "agreement." + to, Title: title, ObjectType: "agreement",
			ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/agreements/%d", id)}); err != nil {
			return err
		}
		if out, err = tx.agreement(id); err != nil {
			return err
		}
		if to == shuyu.AgrEffective {
			// The merchant's workspace opens in the same transaction
			// (workspace_agreement.go, R14.1, R34.1).
			if _, err := tx.workspaceForAgreement(out); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
