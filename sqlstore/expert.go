package sqlstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"shuyu"
)

// The expert committee (R7.1). A referral names a case (an application, a
// product, a registration, an incident), the questions and the experts. Experts reach
// nothing else: no policy row lets them read applications, products or
// registrations, and a referral shows them the case through expertCase,
// the facts the store chooses to put before them. Opinions are signed with
// the committee organization's SM2 key (agreement_keys.go) after the
// expert re-enters their password, and verified on every read. A blocking
// referral holds the case's deciding steps (expertGate) until every named
// expert has answered or the referrer withdraws it.

const referralCols = `r.id, r.case_kind, r.case_id, r.title, r.questions, r.blocking, r.status, coalesce(u.username, ''),
	r.referrer_org, r.created_at, r.closed_at, r.close_reason`

func (tx *Tx) scanReferral(row interface{ Scan(...any) error }) (*shuyu.ExpertReferral, error) {
	var r shuyu.ExpertReferral
	var at int64
	var closed *int64
	if err := row.Scan(&r.ID, &r.CaseKind, &r.CaseID, &r.Title, &r.Questions, &r.Blocking, &r.Status, &r.ReferredBy,
		&r.ReferrerOrg, &at, &closed, &r.CloseReason); err != nil {
		return nil, err
	}
	r.CreatedAt = fromMicros(at)
	if closed != nil {
		t := fromMicros(*closed)
		r.ClosedAt = &t
	}
	return &r, nil
}

// referral loads a referral with its experts, opinions (verified) and the
// case's title and parties; withCase adds the facts shown to the experts.
func (tx *Tx) referral(id int64, withCase bool) (*shuyu.ExpertReferral, error) {
	r, err := tx.scanReferral(tx.queryRow(`SELECT `+referralCols+` FROM expert_referrals r LEFT JOIN users u ON u.id = r.referred_by
		WHERE r.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("专家咨询")
	}
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT m.user_id, coalesce(u.display_name, '') FROM expert_referral_members m LEFT JOIN users u ON u.id = m.user_id
		WHERE m.referral_id = ? ORDER BY m.user_id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var m shuyu.ExpertMember
		if err := rows.Scan(&m.UserID, &m.Name); err != nil {
			rows.Close()
			return nil, err
		}
		r.Experts = append(r.Experts, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if r.Opinions, err = tx.referralOpinions(r); err != nil {
		return nil, err
	}
	title, facts, parties, err := tx.expertCase(r.CaseKind, r.CaseID)
	if err != nil {
		return nil, err
	}
	r.CaseTitle, r.Parties = title, parties
	if withCase {
		r.Case = facts
	}
	return r, nil
}

// referralOpinions loads and verifies the opinions of r.
func (tx *Tx) referralOpinions(r *shuyu.ExpertReferral) ([]shuyu.ExpertOpinion, error) {
	rows, err := tx.query(`SELECT o.id, o.expert_id, o.expert_name, o.org_id, o.conclusion, o.opinion, o.digest_sm3, o.public_key,
		o.signature, o.signed_at, coalesce(k.public_key, o.public_key) FROM expert_opinions o LEFT JOIN org_keys k ON k.org_id = o.org_id
		WHERE o.referral_id = ? ORDER BY o.signed_at, o.id`, r.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []shuyu.ExpertOpinion{}
	for rows.Next() {
		var o shuyu.ExpertOpinion
		var org, at int64
		var pub, sig, reg []byte
		if err := rows.Scan(&o.ID, &o.ExpertID, &o.ExpertName, &org, &o.Conclusion, &o.Opinion, &o.DigestSM3, &pub, &sig, &at, &reg); err != nil {
			return nil, err
		}
		o.SignedAt = fromMicros(at)
		o.PublicKey, o.Signature = hex.EncodeToString(pub), hex.EncodeToString(sig)
		sum := sm3.Sum([]byte(shuyu.OpinionText(r.ID, r.CaseKind, r.CaseID, o.ExpertID, o.Conclusion, o.Opinion, o.SignedAt)))
		if hex.EncodeToString(sum[:]) == o.DigestSM3 && bytes.Equal(pub, reg) {
			if pk, err := sm2.NewPublicKey(pub); err == nil {
				o.SignatureOK = sm2.VerifyASN1WithSM2(pk, nil, sum[:], sig)
			}
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// expertCase is what the experts are shown of a case, with its title and
// the organizations that decide it. A missing case is ENOTFOUND.
func (tx *Tx) expertCase(kind string, id int64) (string, []shuyu.CaseFact, []int64, error) {
	f := func(l, v string) shuyu.CaseFact { return shuyu.CaseFact{Label: l, Value: v} }
	switch kind {
	case shuyu.CaseApplication:
		head, err := tx.appHead(id)
		if err != nil {
			return "", nil, nil, err
		}
		app, err := tx.application(id, head.round)
		if err != nil {
			return "", nil, nil, err
		}
		var items []string
		var parties []int64
		for _, it := range app.Items {
			fields := strings.Join(it.Fields, "、")
			if fields == "" {
				fields = "全部信息项"
			}
			items = append(items, fmt.Sprintf("%s %s（%s）：%s", it.EntryCode, it.EntryName, it.OrgName, fields))
			parties = append(parties, it.OrgID)
		}
		return app.Title, []shuyu.CaseFact{f("申请单位", app.MerchantName), f("申请标题", app.Title), f("应用场景", app.Scenario),
			f("用途", shuyu.StatusLabel(app.Purpose)), f("使用方式", app.Method), f("使用期限", app.TermStart+" 至 "+app.TermEnd),
			f("申请的数据", strings.Join(items, "；")), f("安全保障措施", app.Security), f("当前状态", shuyu.StatusLabel(app.Status))}, parties, nil
	case shuyu.CaseProduct:
		p, err := tx.product(id)
		if err != nil {
			return "", nil, nil, err
		}
		var srcs []string
		for _, t := range p.Tables {
			for _, s := range t.Sources {
				if !slices.Contains(srcs, s.EntryCode+" "+s.EntryName) {
					srcs = append(srcs, s.EntryCode+" "+s.EntryName)
				}
			}
		}
		return p.Name, []shuyu.CaseFact{f("数据商", p.OrgName), f("产品名称", p.Name), f("产品说明", p.Description),
			f("应用场景", p.Scenario), f("拟提供对象", strings.Join(p.Recipients, "、")), f("来源数据", strings.Join(srcs, "；")),
			f("当前状态", shuyu.StatusLabel(p.Status))}, p.SourceOrgs, nil
	case shuyu.CaseRegistration:
		g, err := tx.registration(id)
		if err != nil {
			return "", nil, nil, err
		}
		return g.Company, []shuyu.CaseFact{f("企业名称", g.Company), f("统一社会信用代码", g.USCC), f("经营范围", g.BusinessScope),
			f("数据安全保护能力说明", g.SecurityStatement), f("当前状态", shuyu.StatusLabel(g.Status))}, nil, nil
	case shuyu.CaseIncident:
		// R28.2, R7.1: the operator decides an incident's closure; the
		// experts see the incident and its timeline, nothing of the data.
		i, err := tx.incident(id)
		if err != nil {
			return "", nil, nil, err
		}
		var steps []string
		for _, e := range i.Events {
			steps = append(steps, fmt.Sprintf("%s %s", e.At.In(shanghai).Format("2006-01-02 15:04"), e.Text))
		}
		when := func(t *time.Time) string {
			if t == nil {
				return "尚未"
			}
			return t.In(shanghai).Format("2006-01-02 15:04")
		}
		return i.Title, []shuyu.CaseFact{f("事件", i.Title), f("等级", shuyu.IncidentLabels[i.Level]), f("应急预案", i.PlanTitle),
			f("发现时间", i.DetectedAt.In(shanghai).Format("2006-01-02 15:04")), f("事件概况", i.Summary),
			f("报告主管部门", fmt.Sprintf("期限 %s，实际 %s", i.NotifyDue.In(shanghai).Format("2006-01-02 15:04"), when(i.NotifiedAt))),
			f("书面报告", fmt.Sprintf("期限 %s，实际 %s", i.ReportDue.In(shanghai).Format("2006-01-02"), when(i.ReportedAt))),
			f("处置经过", strings.Join(steps, "；")), f("当前状态", shuyu.IncidentLabels[i.Status])}, nil, nil
	}
	return "", nil, nil, shuyu.Errorf(shuyu.EINVALID, "未知的咨询对象类别 (unknown case kind)")
}

// expertGate refuses a deciding step on a case while a blocking referral
// on it waits for opinions (R7.1). Callers: CheckApplication, DecideReview,
// ReviewProduct, FileProduct, DecideRegistration, and IncidentStep's close.
func (tx *Tx) expertGate(kind string, id int64) error {
	var ref int64
	err := tx.queryRow(`SELECT id FROM expert_referrals WHERE case_kind = ? AND case_id = ? AND blocking = ? AND status = ?
		ORDER BY id LIMIT 1`, kind, id, true, shuyu.ReferralOpen).Scan(&ref)
	if isNoRows(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return shuyu.Errorf(shuyu.ECONFLICT, "本案已提请专家委员会咨询（第 %d 号），须待专家出具意见后方可作出决定 (R7.1: expert opinion required first)", ref).
		WithDetails([]shuyu.FieldError{{Field: "expert_referral", Message: fmt.Sprintf("/expert/referrals/%d", ref)}})
}

// ReferCase refers a case to named experts (R7.1). The experts are told;
// with Blocking, the case's decision waits for their opinions.
func (d *DB) ReferCase(ctx context.Context, actor *shuyu.Actor, in shuyu.ReferralInput) (*shuyu.ExpertReferral, error) {
	if err := shuyu.Authorize(actor, shuyu.ActExpertRefer, shuyu.Resource{Kind: "expert_referral"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err := d.update(ctx, actor, func(tx *Tx) error {
		title, _, _, err := tx.expertCase(in.CaseKind, in.CaseID)
		if err != nil {
			return err
		}
		for _, e := range in.Experts {
			var roles, status string
			var kind shuyu.OrgKind
			err := tx.queryRow(`SELECT u.roles, u.status, o.kind FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?`, e).
				Scan(&roles, &status, &kind)
			if err != nil && !isNoRows(err) {
				return err
			}
			if isNoRows(err) || !slices.Contains(parseRoles(roles), shuyu.RoleExpert) || kind != shuyu.OrgExpertCommittee || status != "active" {
				return shuyu.Errorf(shuyu.EINVALID, "账号 %d 不是专家委员会的在任专家 (not an active expert)", e).
					WithDetails([]shuyu.FieldError{{Field: "experts", Message: "只能指定专家委员会的在任专家"}})
			}
		}
		id, err = tx.insert(`INSERT INTO expert_referrals (case_kind, case_id, title, questions, blocking, status, referred_by, referrer_org, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.CaseKind, in.CaseID, in.Title, in.Questions, in.Blocking, shuyu.ReferralOpen,
			actor.UserID, actor.OrgID, micros(tx.now))
		if err != nil {
			return fmt.Errorf("sqlstore: refer case: %w", err)
		}
		for _, e := range in.Experts {
			if _, err := tx.exec(`INSERT INTO expert_referral_members (referral_id, user_id) VALUES (?, ?)`, id, e); err != nil {
				return err
			}
			if err := tx.notify(Notice{UserID: e, Kind: "expert.referred", Title: "请就“" + title + "”出具专家意见：" + in.Title,
				ObjectType: "expert_referral", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/expert/referrals/%d", id)}); err != nil {
				return err
			}
		}
		return tx.audit(Change{Action: shuyu.AuditExpertRefer, ObjectType: "expert_referral", ObjectID: id, Reason: in.Questions,
			Detail: map[string]any{"case_kind": in.CaseKind, "case_id": in.CaseID, "blocking": in.Blocking, "experts": in.Experts, "rule": "R7.1"}})
	})
	if err != nil {
		return nil, err
	}
	return d.ExpertReferral(ctx, actor, id)
}

// GiveOpinion records a named expert's signed opinion (R7.1). The
// signature is the committee's SM2 key over the SM3 digest of
// shuyu.OpinionText; the password check binds the person. When every
// named expert has answered, the referral is answered and the case's
// decision may proceed; the referrer and the deciding parties are told.
func (d *DB) GiveOpinion(ctx context.Context, actor *shuyu.Actor, id int64, in shuyu.OpinionInput) (*shuyu.ExpertReferral, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		r, err := tx.referral(id, false)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActExpertOpine, r.Resource(actor)); err != nil {
			return err
		}
		if r.Status != shuyu.ReferralOpen {
			return shuyu.Errorf(shuyu.ECONFLICT, "该咨询已%s，不能再出具意见 (referral closed)", map[string]string{
				shuyu.ReferralAnswered: "办结", shuyu.ReferralWithdrawn: "撤回"}[r.Status])
		}
		if slices.ContainsFunc(r.Opinions, func(o shuyu.ExpertOpinion) bool { return o.ExpertID == actor.UserID }) {
			return shuyu.Errorf(shuyu.ECONFLICT, "您已就本咨询出具过意见 (already given)")
		}
		at := fromMicros(micros(tx.now)) // the stored precision, so the text verifies after a read
		sum := sm3.Sum([]byte(shuyu.OpinionText(r.ID, r.CaseKind, r.CaseID, actor.UserID, in.Conclusion, in.Opinion, at)))
		sig, pub, err := tx.signAs(actor, in.Password, sum[:])
		if err != nil {
			return err
		}
		name := actor.Username
		_ = tx.queryRow(`SELECT display_name FROM users WHERE id = ?`, actor.UserID).Scan(&name)
		oid, err := tx.insert(`INSERT INTO expert_opinions (referral_id, expert_id, expert_name, org_id, conclusion, opinion, digest_sm3,
			public_key, signature, signed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, actor.UserID, name, actor.OrgID, in.Conclusion,
			in.Opinion, hex.EncodeToString(sum[:]), pub, sig, micros(at))
		if err != nil {
			return fmt.Errorf("sqlstore: opinion: %w", err)
		}
		answered := len(r.Opinions)+1 >= len(r.Experts)
		if answered {
			if _, err := tx.exec(`UPDATE expert_referrals SET status = ?, closed_at = ? WHERE id = ?`, shuyu.ReferralAnswered, micros(tx.now), id); err != nil {
				return err
			}
		}
		if err := tx.audit(Change{Action: shuyu.AuditExpertOpinion, ObjectType: "expert_referral", ObjectID: id,
			Detail: map[string]any{"opinion": oid, "case_kind": r.CaseKind, "case_id": r.CaseID, "conclusion": in.Conclusion,
				"digest_sm3": hex.EncodeToString(sum[:]), "answered": answered, "rule": "R7.1"}}); err != nil {
			return err
		}
		title := fmt.Sprintf("专家意见已出具：%s（%s）", r.Title, r.CaseTitle)
		return tx.notifyOrgs(append([]int64{r.ReferrerOrg}, r.Parties...), Notice{Kind: "expert.opinion", Title: title,
			ObjectType: "expert_referral", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/expert/referrals/%d", id)})
	})
	if err != nil {
		return nil, err
	}
	return d.ExpertReferral(ctx, actor, id)
}

// WithdrawReferral closes an open referral without waiting for the
// opinions, with a reason (the case's decision may then proceed).
func (d *DB) WithdrawReferral(ctx context.Context, actor *shuyu.Actor, id int64, reason string) (*shuyu.ExpertReferral, error) {
	reason, err := shuyu.CheckReason("reason", reason, 4)
	if err != nil {
		return nil, err
	}
	err = d.update(ctx, actor, func(tx *Tx) error {
		r, err := tx.referral(id, false)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActExpertWithdraw, r.Resource(actor)); err != nil {
			return err
		}
		if r.Status != shuyu.ReferralOpen {
			return shuyu.Errorf(shuyu.ECONFLICT, "该咨询已结束 (referral closed)")
		}
		if _, err := tx.exec(`UPDATE expert_referrals SET status = ?, closed_at = ?, close_reason = ? WHERE id = ?`,
			shuyu.ReferralWithdrawn, micros(tx.now), reason, id); err != nil {
			return err
		}
		for _, m := range r.Experts {
			if err := tx.notify(Notice{UserID: m.UserID, Kind: "expert.withdrawn", Title: "专家咨询已撤回：" + r.Title, Body: reason,
				ObjectType: "expert_referral", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/expert/referrals/%d", id)}); err != nil {
				return err
			}
		}
		return tx.audit(Change{Action: shuyu.AuditExpertWithdraw, ObjectType: "expert_referral", ObjectID: id, Reason: reason,
			Detail: map[string]any{"case_kind": r.CaseKind, "case_id": r.CaseID}})
	})
	if err != nil {
		return nil, err
	}
	return d.ExpertReferral(ctx, actor, id)
}

// ExpertReferral returns one referral with what the experts are shown of
// the case. An expert not named in it, like any outsider, gets ENOTFOUND.
func (d *DB) ExpertReferral(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.ExpertReferral, error) {
	var r *shuyu.ExpertReferral
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if r, err = tx.referral(id, true); err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActExpertRead, r.Resource(actor)); err != nil {
			return err
		}
		// The case facts are for the experts and those who refer or
		// supervise; a deciding department has the case's own page, which
		// shows it only its own items (R22.1).
		if !r.Member(actor.UserID) && !shuyu.Can(actor, shuyu.ActExpertRefer, shuyu.Resource{}) && !actor.Has(shuyu.RoleRegulator) {
			r.Case = nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// ExpertReferrals lists the referrals the actor may read, newest first;
// kind and caseID (both or neither) keep one case's — how the deciders see
// the opinions on the case they decide.
func (d *DB) ExpertReferrals(ctx context.Context, actor *shuyu.Actor, kind string, caseID int64) ([]*shuyu.ExpertReferral, error) {
	if err := shuyu.Authorize(actor, shuyu.ActExpertList, shuyu.Resource{Kind: "expert_referral"}); err != nil {
		return nil, err
	}
	if (kind == "") != (caseID == 0) || kind != "" && !slices.Contains(shuyu.ExpertCaseKinds, kind) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "请同时给出咨询对象类别和编号 (case_kind and case_id go together)")
	}
	out := []*shuyu.ExpertReferral{}
	err := d.view(ctx, func(tx *Tx) error {
		q := `SELECT r.id FROM expert_referrals r WHERE (? = '' OR (r.case_kind = ? AND r.case_id = ?))`
		args := []any{kind, kind, caseID}
		if actor.Has(shuyu.RoleExpert) && !actor.Has(shuyu.RoleRegulator) {
			q += ` AND r.id IN (SELECT referral_id FROM expert_referral_members WHERE user_id = ?)`
			args = append(args, actor.UserID)
		}
		ids, err := tx.productIDs(q+` ORDER BY r.id DESC LIMIT 500`, args...)
		if err != nil {
			return err
		}
		for _, id := range ids {
			r, err := tx.referral(id, false)
			if err != nil {
				return err
			}
			if shuyu.Can(actor, shuyu.ActExpertRead, r.Resource(actor)) {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

// Experts lists the active experts of the committee, for those who refer.
func (d *DB) Experts(ctx context.Context, actor *shuyu.Actor) ([]shuyu.ExpertMember, error) {
	if err := shuyu.Authorize(actor, shuyu.ActExpertRefer, shuyu.Resource{Kind: "expert_referral"}); err != nil {
		return nil, err
	}
	out := []shuyu.ExpertMember{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT u.id, u.display_name, u.roles FROM users u JOIN orgs o ON o.id = u.org_id
			WHERE o.kind = ? AND u.status = 'active' ORDER BY u.id`, shuyu.OrgExpertCommittee)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m shuyu.ExpertMember
			var roles string
			if err := rows.Scan(&m.UserID, &m.Name, &roles); err != nil {
				return err
			}
			if slices.Contains(parseRoles(roles), shuyu.RoleExpert) {
				out = append(out, m)
			}
		}
		return rows.Err()
	})
	return out, err
}
