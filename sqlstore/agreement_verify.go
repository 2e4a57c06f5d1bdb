package sqlstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"shuyu"
)

// Verification is the result of checking an agreement's digest and
// signatures; anyone entitled to read the agreement may ask.
type Verification struct {
	DigestOK   bool              `json:"digest_ok"` // SM3 of the text equals the recorded digest
	Signatures []SignatureResult `json:"signatures"`
	Valid      bool              `json:"valid"` // digest and every signature check, and both parties signed
}

// SignatureResult is one signature's check.
type SignatureResult struct {
	Party    string `json:"party"`
	Username string `json:"username"`
	KeyOK    bool   `json:"key_ok"` // the key is the organization's registered key
	Valid    bool   `json:"valid"`
}

// VerifyAgreement recomputes the SM3 digest of the text and checks every
// SM2 signature over it.
func (d *DB) VerifyAgreement(ctx context.Context, actor *shuyu.Actor, id int64) (*Verification, error) {
	a, err := d.Agreement(ctx, actor, id)
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

// TerminateAgreement ends an agreement before its term (R34.1).
func (d *DB) TerminateAgreement(ctx context.Context, actor *shuyu.Actor, id int64, reason string) (*shuyu.Agreement, error) {
	if err := shuyu.Authorize(actor, shuyu.ActAgreementTerminate, shuyu.Resource{Kind: "agreement"}); err != nil {
		return nil, err
	}
	if len([]rune(strings.TrimSpace(reason))) < 4 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "终止协议须说明理由（至少 4 个字） (reason required)")
	}
	var out *shuyu.Agreement
	err := d.update(ctx, actor, func(tx *Tx) error {
		if err := tx.agreementEnd(id, "terminate", reason); err != nil {
			return err
		}
		var err error
		out, err = tx.agreement(id)
		return err
	})
	return out, err
}

// agreementEnd terminates or expires one agreement, audited and announced.
func (tx *Tx) agreementEnd(id int64, event, reason string) error {
	a, err := tx.agreement(id)
	if err != nil {
		return err
	}
	to, err := shuyu.AgreementMachine.Next(a.Status, event)
	if err != nil {
		return err
	}
	res, err := tx.exec(`UPDATE agreements SET status = ?, ended_at = ?, end_reason = ? WHERE id = ? AND status = ?`,
		to, micros(tx.now), reason, id, a.Status)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return shuyu.Errorf(shuyu.ECONFLICT, "协议状态已变化 (agreement changed)")
	}
	act := map[string]shuyu.AuditAction{"terminate": shuyu.AuditAgreementTerminate, "expire": shuyu.AuditAgreementExpire}[event]
	if err := tx.audit(Change{Action: act, ObjectType: "agreement", ObjectID: id, Reason: reason,
		Detail: map[string]any{"from": a.Status, "to": to, "term_end": a.TermEnd, "rule": "R34.1"}}); err != nil {
		return err
	}
	return tx.notifyOrgs([]int64{a.MerchantOrgID, a.OperatorOrgID}, Notice{Kind: "agreement." + to,
		Title: fmt.Sprintf("协议 %s %s", a.Number, shuyu.StatusLabel(to)), Body: reason, ObjectType: "agreement",
		ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/agreements/%d", id)})
}

// endMerchantAgreements terminates a leaving merchant's agreements.
func (tx *Tx) endMerchantAgreements(orgID int64, reason string) error {
	rows, err := tx.query(`SELECT id FROM agreements WHERE merchant_org_id = ? AND status IN (?, ?, ?)`,
		orgID, shuyu.AgrPending, shuyu.AgrMerchantSigned, shuyu.AgrEffective)
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
		if err := tx.agreementEnd(id, "terminate", reason); err != nil {
			return err
		}
	}
	return nil
}
