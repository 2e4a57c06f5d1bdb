package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"fmt"
	"strings"

	"shuyu"
	"shuyu/credential"
	"shuyu/ident"
)

// Merchant onboarding (R18): a company registers publicly, the operator
// accepts (the 5-working-day clock starts, R18.2), may ask for more
// material, and decides. Registering creates (or links) the merchant
// organization and its first account.

// applicant is the actor recorded for a public registration: it has no
// account yet; the trail keeps the client address from the request.
func reviewApplicant(uscc string) *shuyu.Actor { return &shuyu.Actor{Username: "applicant:" + uscc} }

// RegistrationInput is what a company submits.
type RegistrationInput struct {
	shuyu.Registration
	Password string `json:"password"`
}

const regCols = `id, company, uscc, legal_rep, contact_name, contact_phone, contact_email, business_scope,
	security_statement, username, rules_doc_id, status, submitted_at, accepted_at, due_at, decided_at, reason, org_id`

func (tx *Tx) scanRegistration(r interface{ Scan(...any) error }) (*shuyu.Registration, error) {
	var g shuyu.Registration
	var sub int64
	var acc, due, dec, org sql.NullInt64
	if err := r.Scan(&g.ID, &g.Company, &g.USCC, &g.LegalRep, &g.ContactName, &g.ContactPhone, &g.ContactEmail,
		&g.BusinessScope, &g.SecurityStatement, &g.Username, &g.RulesDocID, &g.Status, &sub, &acc, &due, &dec,
		&g.Reason, &org); err != nil {
		return nil, err
	}
	if err := tx.d.openRegistration(&g); err != nil {
		return nil, err
	}
	g.SubmittedAt = fromMicros(sub)
	g.AcceptedAt, g.DecidedAt = fromNullMicros(acc), fromNullMicros(dec)
	g.OrgID = org.Int64
	if due.Valid && g.Status == shuyu.RegAccepted {
		dl := tx.deadline(fromMicros(due.Int64))
		g.Deadline = &dl
	}
	return &g, nil
}

func (tx *Tx) registration(id int64) (*shuyu.Registration, error) {
	g, err := tx.scanRegistration(tx.queryRow(`SELECT `+regCols+` FROM merchant_registrations WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("入驻申请")
	}
	if err != nil {
		return nil, err
	}
	g.Files, err = tx.files("registration", id)
	return g, err
}

// SubmitRegistration records a public registration and returns it with the
// tracking token the applicant uses to follow it and add material (shown
// once; only its digest is stored).
func (d *DB) SubmitRegistration(ctx context.Context, in RegistrationInput) (*shuyu.Registration, string, error) {
	g := in.Registration
	g.Company, g.USCC = strings.TrimSpace(g.Company), strings.ToUpper(strings.TrimSpace(g.USCC))
	g.Username, g.ContactEmail = strings.TrimSpace(g.Username), strings.TrimSpace(g.ContactEmail)
	if err := g.Validate(); err != nil {
		return nil, "", err
	}
	var errs []shuyu.FieldError
	if !ident.ValidUSCC(g.USCC) {
		errs = append(errs, shuyu.FieldError{Field: "uscc", Message: "统一社会信用代码无效（18 位，校验码按 GB 32100 计算）"})
	}
	phone, ok := ident.NormalizeMobile(g.ContactPhone)
	if !ok {
		errs = append(errs, shuyu.FieldError{Field: "contact_phone", Message: "联系电话须为有效的手机号码"})
	}
	if g.ContactEmail != "" && !ident.ValidEmail(g.ContactEmail) {
		errs = append(errs, shuyu.FieldError{Field: "contact_email", Message: "电子邮箱格式有误"})
	}
	if len(errs) > 0 {
		return nil, "", shuyu.Errorf(shuyu.EINVALID, "入驻申请材料有误 (registration invalid)").WithDetails(errs)
	}
	g.ContactPhone = phone
	if err := shuyu.PasswordPolicy(g.Username, in.Password); err != nil {
		return nil, "", err
	}
	hash, err := credential.HashPassword(in.Password, d.PasswordIterations)
	if err != nil {
		return nil, "", err
	}
	token, digest, err := credential.NewToken()
	if err != nil {
		return nil, "", err
	}
	err = d.update(ctx, reviewApplicant(g.USCC), func(tx *Tx) error {
		rules, err := tx.currentDocument(shuyu.DocOnboardingRules)
		if err != nil {
			return err
		}
		if g.RulesDocID != rules.ID {
			return shuyu.Errorf(shuyu.ECONFLICT, "入驻规则已更新为第 %d 版，请阅读后重新提交 (rules changed; read the current version)", rules.Version).
				WithDetails(map[string]int64{"rules_doc_id": rules.ID})
		}
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM merchant_registrations WHERE uscc = ? AND status IN (?, ?, ?, ?, ?)`,
			g.USCC, shuyu.RegSubmitted, shuyu.RegAccepted, shuyu.RegMoreMaterial, shuyu.RegRegistered, shuyu.RegSuspended).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "该统一社会信用代码已有办理中或有效的入驻 (already registered or pending)")
		}
		if err := tx.queryRow(`SELECT count(*) FROM users WHERE username = ?`, g.Username).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			if linked, err := tx.linkableUser(g.Company, g.Username); err != nil || !linked {
				return shuyu.Errorf(shuyu.ECONFLICT, "账号名“%s”已被使用 (username taken)", g.Username)
			}
		}
		g.Status, g.SubmittedAt = shuyu.RegSubmitted, tx.now
		legal, cname, phone, email, err := d.sealRegistration(&g)
		if err != nil {
			return err
		}
		g.ID, err = tx.insert(`INSERT INTO merchant_registrations (company, uscc, legal_rep, contact_name, contact_phone,
			contact_email, business_scope, security_statement, username, password_hash, token_digest, rules_doc_id, status,
			submitted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			g.Company, g.USCC, legal, cname, phone, email, g.BusinessScope,
			g.SecurityStatement, g.Username, hash, digest, g.RulesDocID, g.Status, micros(tx.now), micros(tx.now))
		if err != nil {
			return err
		}
		ops, err := tx.orgsOfKind(shuyu.OrgOperator)
		if err != nil {
			return err
		}
		if err := tx.notifyOrgs(ops, Notice{Kind: "registration.submitted", Title: "新的数据商入驻申请：" + g.Company,
			ObjectType: "registration", ObjectID: fmt.Sprint(g.ID), Link: fmt.Sprintf("/review/registrations/%d", g.ID)}); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditRegistrationSubmit, ObjectType: "registration", ObjectID: g.ID,
			Detail: map[string]any{"company": g.Company, "uscc": g.USCC, "rules_doc_id": g.RulesDocID}})
	})
	if err != nil {
		return nil, "", shuyu.Wrap("submit registration", err)
	}
	return &g, token, nil
}

// linkableUser: an account of that name already exists in a merchant
// organization of that name that has no registration (created by the
// security administrator before onboarding existed); registering links it.
func (tx *Tx) linkableUser(company, username string) (bool, error) {
	var n int
	err := tx.queryRow(`SELECT count(*) FROM users u JOIN orgs o ON o.id = u.org_id
		WHERE u.username = ? AND o.name = ? AND o.kind = ?
		AND NOT EXISTS (SELECT 1 FROM merchant_registrations g WHERE g.org_id = o.id)`,
		username, company, shuyu.OrgMerchant).Scan(&n)
	return n > 0, err
}

// registrationForToken checks the applicant's tracking token.
func (tx *Tx) registrationForToken(id int64, token string) (*shuyu.Registration, error) {
	var digest string
	err := tx.queryRow(`SELECT token_digest FROM merchant_registrations WHERE id = ?`, id).Scan(&digest)
	if isNoRows(err) || err == nil && subtle.ConstantTimeCompare([]byte(digest), []byte(credential.TokenDigest(token))) != 1 {
		return nil, notFound("入驻申请")
	}
	if err != nil {
		return nil, err
	}
	return tx.registration(id)
}

// RegistrationByToken lets the applicant follow its registration.
func (d *DB) RegistrationByToken(ctx context.Context, id int64, token string) (*shuyu.Registration, error) {
	var g *shuyu.Registration
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		g, err = tx.registrationForToken(id, token)
		return err
	})
	return g, err
}

// Registration returns one registration to the operator, authority or
// regulator, or to the merchant it made.
func (d *DB) Registration(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Registration, error) {
	var g *shuyu.Registration
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		g, err = tx.registration(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if actor != nil && g.OrgID != 0 && actor.OrgID == g.OrgID {
		return g, nil
	}
	if err := shuyu.Authorize(actor, shuyu.ActRegistrationRead, shuyu.Resource{Kind: "registration", Exists: true}); err != nil {
		return nil, err
	}
	return g, nil
}

// Registrations lists registrations, optionally in one state.
func (d *DB) Registrations(ctx context.Context, actor *shuyu.Actor, status string) ([]*shuyu.Registration, error) {
	if err := shuyu.Authorize(actor, shuyu.ActRegistrationRead, shuyu.Resource{Kind: "registration"}); err != nil {
		return nil, err
	}
	var out []*shuyu.Registration
	err := d.view(ctx, func(tx *Tx) error {
		if err := tx.calendarRefresh(); err != nil {
			return err
		}
		q, args := `SELECT `+regCols+` FROM merchant_registrations`, []any{}
		if status != "" {
			q, args = q+` WHERE status = ?`, append(args, status)
		}
		rows, err := tx.query(q+` ORDER BY id DESC LIMIT 1000`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			g, err := tx.scanRegistration(rows)
			if err != nil {
				return err
			}
			out = append(out, g)
		}
		return rows.Err()
	})
	return out, err
}
