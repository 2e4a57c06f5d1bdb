package sqlstore

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/audit"
)

// Data-subject authorization (R28.5). A merchant asks a subject — a person
// by citizen ID, a company by credit code — for a grant (service, purpose,
// fields, term); the subject confirms it with a one-time code sent to the
// mobile on record and may revoke it at once on the public consent page,
// after proving itself with another code. The store keeps the subject only
// as a keyed SM3 digest and a masked hint; codes and session tokens only as
// digests. Every grant, confirmation and revocation is a record of the
// consent chain: SM3 over the previous record's hash and the canonical body,
// signed with the platform's SM2 key — besides the audit event of the same
// transaction.

const consentTag = "shuyu/consent/v1"

// Code lifetimes and attempts.
const (
	ConsentCodeTTL      = 10 * time.Minute
	ConsentSessionTTL   = 30 * time.Minute
	ConsentCodeAttempts = 5
)

// ConsentInput is a merchant's request for a grant, the subject already
// validated and normalized by the service layer.
type ConsentInput struct {
	SubjectKind string
	SubjectID   string
	SubjectHint string
	ServiceID   int64
	WorkspaceID int64 // a consent-gated workspace of the merchant; 0 with ServiceID 0: every use
	Purpose     string
	Fields      []string
	Days        int
}

func subjectActor() *shuyu.Actor { return &shuyu.Actor{Username: "subject"} }

func (d *DB) codeHash(purpose string, ref int64, code string) ([]byte, error) {
	k, err := d.digestKey()
	if err != nil {
		return nil, err
	}
	m := hmac.New(sm3.New, k)
	fmt.Fprintf(m, "code:%s:%d:%s", purpose, ref, code)
	return m.Sum(nil), nil
}

// RequestConsent records a pending grant and the digest of its code (the
// caller delivers the code to the subject's mobile, never to the merchant).
func (d *DB) RequestConsent(ctx context.Context, actor *shuyu.Actor, in ConsentInput, code string) (*shuyu.Consent, error) {
	var fe []shuyu.FieldError
	in.Purpose = strings.TrimSpace(in.Purpose)
	if n := utf8.RuneCountInString(in.Purpose); n < 2 || n > 200 {
		fe = append(fe, shuyu.FieldError{Field: "purpose", Message: "用途须为 2 至 200 个字符"})
	}
	if len(in.Fields) == 0 || len(in.Fields) > 30 {
		fe = append(fe, shuyu.FieldError{Field: "fields", Message: "请列出 1 至 30 个授权使用的信息项"})
	}
	if in.Days < 1 || in.Days > 366 {
		fe = append(fe, shuyu.FieldError{Field: "days", Message: "授权期限须为 1 至 366 天"})
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "授权请求不完整或有误 (invalid consent request)").WithDetails(fe)
	}
	if actor == nil || actor.OrgID == 0 {
		return nil, shuyu.Errorf(shuyu.EUNAUTHORIZED, "请先登录 (login required)")
	}
	if err := shuyu.Authorize(actor, shuyu.ActConsentRequest, shuyu.Resource{Kind: "consent", OrgID: actor.OrgID, Exists: true}); err != nil {
		return nil, err
	}
	subject, err := d.SubjectDigest(in.SubjectID)
	if err != nil {
		return nil, err
	}
	fields, _ := json.Marshal(in.Fields)
	var out *shuyu.Consent
	err = d.update(ctx, actor, func(tx *Tx) error {
		var service *int64
		if in.ServiceID != 0 {
			s, err := tx.service(in.ServiceID)
			if err != nil {
				return err
			}
			if s.Stored != shuyu.ServiceFiled || !s.Consent {
				return shuyu.Errorf(shuyu.EINVALID, "只能为已备案、需本人授权的服务申请授权 (service needs no consent)").
					WithDetails([]shuyu.FieldError{{Field: "service_id", Message: "不是需授权的已备案服务"}})
			}
			service = &s.ID
		}
		workspace, err := tx.consentWorkspace(actor, in)
		if err != nil {
			return err
		}
		now := tx.now
		id, err := tx.insert(`INSERT INTO consents (subject_kind, subject_digest, subject_hint, grantee_org_id, service_id, purpose, fields,
			starts_at, ends_at, status, created_by, created_at, workspace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.SubjectKind, subject, in.SubjectHint, actor.OrgID, service, in.Purpose, string(fields),
			micros(now), micros(now.AddDate(0, 0, in.Days)), shuyu.ConsentPending, actor.UserID, micros(now), workspace)
		if err != nil {
			return err
		}
		h, err := d.codeHash("confirm", id, code)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO consent_codes (purpose, subject_digest, consent_id, code_hash, expires_at, created_at)
			VALUES ('confirm', ?, ?, ?, ?, ?)`, subject, id, h, micros(now.Add(ConsentCodeTTL)), micros(now)); err != nil {
			return err
		}
		if err := tx.consentRecord(id, "request"); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditConsentRequest, ObjectType: "consent", ObjectID: id,
			Detail: map[string]any{"service_id": in.ServiceID, "workspace_id": in.WorkspaceID, "fields": in.Fields, "days": in.Days}}); err != nil {
			return err
		}
		out, err = tx.consent(id)
		return err
	})
	return out, err
}

const consentCols = `c.id, c.subject_kind, c.subject_hint, c.grantee_org_id, o.name, COALESCE(c.service_id, 0), COALESCE(s.name, ''),
	c.purpose, c.fields, c.starts_at, c.ends_at, c.status, c.created_at, c.confirmed_at, c.revoked_at, c.subject_digest,
	COALESCE(c.workspace_id, 0), COALESCE(w.name, '')`

const consentFrom = ` FROM consents c JOIN orgs o ON o.id = c.grantee_org_id LEFT JOIN api_services s ON s.id = c.service_id
	LEFT JOIN workspaces w ON w.id = c.workspace_id`

func (tx *Tx) scanConsent(r interface{ Scan(...any) error }) (*shuyu.Consent, string, error) {
	var c shuyu.Consent
	var fields, subject string
	var starts, ends, created int64
	var confirmed, revoked *int64
	if err := r.Scan(&c.ID, &c.SubjectKind, &c.SubjectHint, &c.GranteeID, &c.Grantee, &c.ServiceID, &c.Service, &c.Purpose,
		&fields, &starts, &ends, &c.Status, &created, &confirmed, &revoked, &subject, &c.WorkspaceID, &c.Workspace); err != nil {
		return nil, "", err
	}
	_ = json.Unmarshal([]byte(fields), &c.Fields)
	c.StartsAt, c.EndsAt, c.CreatedAt = fromMicros(starts), fromMicros(ends), fromMicros(created)
	c.ConfirmedAt, c.RevokedAt = domainTime(confirmed), domainTime(revoked)
	if c.Status == shuyu.ConsentLive && !tx.now.Before(c.EndsAt) {
		c.Status = shuyu.ConsentExpired
	}
	return &c, subject, nil
}

func (tx *Tx) consent(id int64) (*shuyu.Consent, error) {
	c, _, err := tx.scanConsent(tx.queryRow(`SELECT `+consentCols+consentFrom+` WHERE c.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("授权")
	}
	if err != nil {
		return nil, err
	}
	return c, tx.consentUses(c)
}

func (tx *Tx) consentUses(c *shuyu.Consent) error {
	var last *int64
	if err := tx.queryRow(`SELECT count(*), max(at) FROM api_calls WHERE consent_id = ?`, c.ID).Scan(&c.Uses, &last); err != nil {
		return err
	}
	var queries int64
	var lastQuery *int64
	if err := tx.queryRow(`SELECT COALESCE(sum(queries), 0), max(last_at) FROM consent_uses WHERE consent_id = ?`, c.ID).
		Scan(&queries, &lastQuery); err != nil {
		return err
	}
	c.Uses += queries
	if lastQuery != nil && (last == nil || *lastQuery > *last) {
		last = lastQuery
	}
	c.LastUse = domainTime(last)
	return nil
}

// liveConsent is the id of a live grant of subject to the consumer org for
// the service (or for every service when the grant names none), 0 if none:
// the consent gate of a call (R28.5), in the call's transaction, so a
// revocation committed before a call stops it.
func (tx *Tx) liveConsent(subject string, org, service int64) (int64, error) {
	var id int64
	now := micros(tx.now)
	err := tx.queryRow(`SELECT id FROM consents WHERE subject_digest = ? AND grantee_org_id = ? AND status = ?
		AND (service_id = ? OR service_id IS NULL AND workspace_id IS NULL) AND starts_at <= ? AND ends_at > ? ORDER BY id DESC LIMIT 1`,
		subject, org, shuyu.ConsentLive, service, now, now).Scan(&id)
	if isNoRows(err) {
		return 0, nil
	}
	return id, err
}

// consentRecord appends the consent's current state to the consent chain.
func (tx *Tx) consentRecord(id int64, event string) error {
	var b struct {
		Consent  int64    `json:"consent"`
		Event    string   `json:"event"`
		At       int64    `json:"at"`
		Kind     string   `json:"subject_kind"`
		Subject  string   `json:"subject"`
		Grantee  int64    `json:"grantee"`
		Service  int64    `json:"service"`
		Purpose  string   `json:"purpose"`
		Fields   []string `json:"fields"`
		Starts   int64    `json:"starts"`
		Ends     int64    `json:"ends"`
		Status   string   `json:"status"`
		Previous int64    `json:"previous_seq"`
	}
	var fields string
	err := tx.queryRow(`SELECT id, subject_kind, subject_digest, grantee_org_id, COALESCE(service_id, 0), purpose, fields, starts_at,
		ends_at, status FROM consents WHERE id = ?`, id).Scan(&b.Consent, &b.Kind, &b.Subject, &b.Grantee, &b.Service, &b.Purpose,
		&fields, &b.Starts, &b.Ends, &b.Status)
	if err != nil {
		return err
	}
	_ = json.Unmarshal([]byte(fields), &b.Fields)
	b.Event, b.At = event, micros(tx.now)
	prev := make([]byte, sm3.Size)
	err = tx.queryRow(`SELECT seq, hash FROM consent_records ORDER BY seq DESC LIMIT 1`).Scan(&b.Previous, &prev)
	if err != nil && !isNoRows(err) {
		return err
	}
	body, err := json.Marshal(b)
	if err != nil {
		return err
	}
	hash := consentHash(prev, body)
	signer, _, err := tx.d.currentSigner()
	if err != nil {
		return err
	}
	sig, err := signer.SignRecord(consentTag, hash)
	if err != nil {
		return err
	}
	_, err = tx.exec(`INSERT INTO consent_records (seq, consent_id, event, at, body, prev_hash, hash, signature, public_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.Previous+1, id, event, b.At, string(body), prev, hash, sig, signer.PublicKey())
	return err
}

func consentHash(prev, body []byte) []byte {
	h := sm3.New()
	h.Write(prev)
	h.Write(body)
	return h.Sum(nil)
}

// VerifyConsentChain recomputes every consent record's hash from its
// predecessor and body and checks its SM2 signature; trusted (nil: any key
// the record names) lists the platform's pinned public keys.
func (d *DB) VerifyConsentChain(ctx context.Context, trusted [][]byte) (int, error) {
	n := 0
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT seq, body, prev_hash, hash, signature, public_key FROM consent_records ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		prev := make([]byte, sm3.Size)
		for rows.Next() {
			var seq int64
			var body string
			var p, h, sig, pub []byte
			if err := rows.Scan(&seq, &body, &p, &h, &sig, &pub); err != nil {
				return err
			}
			if seq != int64(n)+1 || !bytes.Equal(p, prev) || !bytes.Equal(consentHash(p, []byte(body)), h) {
				return shuyu.Errorf(shuyu.ECONFLICT, "授权记录链在第 %d 条断开 (consent chain broken at %d)", seq, seq)
			}
			if trusted != nil && !containsKey(trusted, pub) {
				return shuyu.Errorf(shuyu.ECONFLICT, "授权记录 %d 的签名公钥不受信任 (untrusted key)", seq)
			}
			if err := audit.VerifyRecord(pub, consentTag, h, sig); err != nil {
				return shuyu.Errorf(shuyu.ECONFLICT, "授权记录 %d 的签名无效 (bad signature)", seq)
			}
			prev, n = h, n+1
		}
		return rows.Err()
	})
	return n, err
}

func containsKey(list [][]byte, k []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, k) {
			return true
		}
	}
	return false
}

// checkCode checks a one-time code of row id; a wrong code counts an
// attempt. It reports whether the code was right.
func (tx *Tx) checkCode(id int64, purpose string, ref int64, code string) (bool, error) {
	var hash []byte
	var expires int64
	var attempts int
	var used *int64
	err := tx.queryRow(`SELECT code_hash, expires_at, attempts, used_at FROM consent_codes WHERE id = ? AND purpose = ?`, id, purpose).
		Scan(&hash, &expires, &attempts, &used)
	if isNoRows(err) {
		return false, tx.audit(Change{Action: shuyu.AuditConsentCodeFailed, ObjectType: "consent_code", ObjectID: id})
	}
	if err != nil {
		return false, err
	}
	want, err := tx.d.codeHash(purpose, ref, code)
	if err != nil {
		return false, err
	}
	if used != nil || attempts >= ConsentCodeAttempts || micros(tx.now) >= expires || subtle.ConstantTimeCompare(want, hash) != 1 {
		if _, err := tx.exec(`UPDATE consent_codes SET attempts = attempts + 1 WHERE id = ?`, id); err != nil {
			return false, err
		}
		return false, tx.audit(Change{Action: shuyu.AuditConsentCodeFailed, ObjectType: "consent_code", ObjectID: id})
	}
	_, err = tx.exec(`UPDATE consent_codes SET used_at = ? WHERE id = ?`, micros(tx.now), id)
	return true, err
}

var errBadCode = shuyu.Errorf(shuyu.EINVALID, "验证码错误或已失效 (wrong or expired code)").
	WithDetails([]shuyu.FieldError{{Field: "code", Message: "验证码错误或已失效"}})

// ConfirmConsent is the subject's confirmation of a pending grant with the
// code sent to its mobile: the grant is live from now.
func (d *DB) ConfirmConsent(ctx context.Context, id int64, code string) (*shuyu.Consent, error) {
	var out *shuyu.Consent
	bad := false
	err := d.update(ctx, subjectActor(), func(tx *Tx) error {
		var codeID int64
		var status string
		err := tx.queryRow(`SELECT k.id, c.status FROM consent_codes k JOIN consents c ON c.id = k.consent_id
			WHERE k.consent_id = ? AND k.purpose = 'confirm' ORDER BY k.id DESC LIMIT 1`, id).Scan(&codeID, &status)
		if isNoRows(err) || err == nil && status != shuyu.ConsentPending {
			bad = true
			return tx.audit(Change{Action: shuyu.AuditConsentCodeFailed, ObjectType: "consent", ObjectID: id})
		}
		if err != nil {
			return err
		}
		ok, err := tx.checkCode(codeID, "confirm", id, code)
		if err != nil || !ok {
			bad = !ok
			return err
		}
		if _, err := tx.exec(`UPDATE consents SET status = ?, confirmed_at = ? WHERE id = ?`, shuyu.ConsentLive, micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.consentRecord(id, "confirm"); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditConsentConfirm, ObjectType: "consent", ObjectID: id}); err != nil {
			return err
		}
		out, err = tx.consent(id)
		return err
	})
	if err == nil && bad {
		return nil, errBadCode
	}
	return out, err
}

// StartSubjectLookup records a code for a subject who wants to see and
// revoke its grants (the caller delivers it). It is answered the same
// whether or not the subject has any grant.
func (d *DB) StartSubjectLookup(ctx context.Context, subjectID, code string) (int64, error) {
	subject, err := d.SubjectDigest(subjectID)
	if err != nil {
		return 0, err
	}
	var id int64
	err = d.update(ctx, subjectActor(), func(tx *Tx) error {
		var err error
		id, err = tx.insert(`INSERT INTO consent_codes (purpose, subject_digest, code_hash, expires_at, created_at)
			VALUES ('lookup', ?, ?, ?, ?)`, subject, []byte{0}, micros(tx.now.Add(ConsentCodeTTL)), micros(tx.now))
		if err != nil {
			return err
		}
		h, err := d.codeHash("lookup", id, code)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE consent_codes SET code_hash = ? WHERE id = ?`, h, id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditConsentCode, ObjectType: "consent_code", ObjectID: id})
	})
	return id, err
}

// VerifySubjectLookup checks the lookup code and opens a subject session
// named by token (kept as a digest) for ConsentSessionTTL.
func (d *DB) VerifySubjectLookup(ctx context.Context, challenge int64, code, token string) error {
	bad := false
	err := d.update(ctx, subjectActor(), func(tx *Tx) error {
		var subject string
		err := tx.queryRow(`SELECT subject_digest FROM consent_codes WHERE id = ? AND purpose = 'lookup'`, challenge).Scan(&subject)
		if isNoRows(err) {
			bad = true
			return tx.audit(Change{Action: shuyu.AuditConsentCodeFailed, ObjectType: "consent_code", ObjectID: challenge})
		}
		if err != nil {
			return err
		}
		ok, err := tx.checkCode(challenge, "lookup", challenge, code)
		if err != nil || !ok {
			bad = !ok
			return err
		}
		h, err := d.codeHash("session", 0, token)
		if err != nil {
			return err
		}
		id, err := tx.insert(`INSERT INTO consent_codes (purpose, subject_digest, code_hash, expires_at, created_at)
			VALUES ('session', ?, ?, ?, ?)`, subject, h, micros(tx.now.Add(ConsentSessionTTL)), micros(tx.now))
		if err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditConsentSubjectLogin, ObjectType: "consent_code", ObjectID: id})
	})
	if err == nil && bad {
		return errBadCode
	}
	return err
}

func (tx *Tx) subjectOf(token string) (string, error) {
	h, err := tx.d.codeHash("session", 0, token)
	if err != nil {
		return "", err
	}
	var subject string
	err = tx.queryRow(`SELECT subject_digest FROM consent_codes WHERE purpose = 'session' AND code_hash = ? AND expires_at > ?`,
		h, micros(tx.now)).Scan(&subject)
	if isNoRows(err) || token == "" {
		return "", shuyu.Errorf(shuyu.EUNAUTHORIZED, "请先用手机验证码验证身份 (subject session required)")
	}
	return subject, err
}

// SubjectUse is one use of a subject's data: a service call that asked
// about it, or a day's queries of a consent-gated workspace that read its
// rows (Kind "query", Count queries, At the last of them).
type SubjectUse struct {
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`    // call, query
	Service   string    `json:"service"` // the service, or the workspace
	Consumer  string    `json:"consumer"`
	Outcome   string    `json:"outcome"`
	Count     int64     `json:"count"`
	ConsentID int64     `json:"consent_id,omitempty"`
}

// SubjectView is what a subject sees: its grants and every use of its data.
type SubjectView struct {
	Consents []*shuyu.Consent `json:"consents"`
	Uses     []SubjectUse     `json:"uses"`
	Total    int64            `json:"total_uses"`
}

// SubjectConsents lists the session's subject's grants and the uses of its
// data by services (R28.5: the subject sees every use).
func (d *DB) SubjectConsents(ctx context.Context, token string) (*SubjectView, error) {
	v := &SubjectView{Consents: []*shuyu.Consent{}, Uses: []SubjectUse{}}
	err := d.view(ctx, func(tx *Tx) error {
		subject, err := tx.subjectOf(token)
		if err != nil {
			return err
		}
		rows, err := tx.query(`SELECT `+consentCols+consentFrom+` WHERE c.subject_digest = ? AND c.status <> ? ORDER BY c.id DESC`,
			subject, shuyu.ConsentPending)
		if err != nil {
			return err
		}
		for rows.Next() {
			c, _, err := tx.scanConsent(rows)
			if err != nil {
				rows.Close()
				return err
			}
			v.Consents = append(v.Consents, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range v.Consents {
			if err := tx.consentUses(c); err != nil {
				return err
			}
		}
		if err := tx.queryRow(`SELECT count(*) FROM api_calls WHERE subject_digest = ?`, subject).Scan(&v.Total); err != nil {
			return err
		}
		var queries int64
		if err := tx.queryRow(`SELECT COALESCE(sum(u.queries), 0) FROM consent_uses u JOIN consents c ON c.id = u.consent_id
			WHERE c.subject_digest = ?`, subject).Scan(&queries); err != nil {
			return err
		}
		v.Total += queries
		if err := tx.subjectQueryUses(subject, v); err != nil {
			return err
		}
		rows, err = tx.query(`SELECT c.at, s.name, o.name, c.outcome, COALESCE(c.consent_id, 0) FROM api_calls c
			JOIN api_services s ON s.id = c.service_id JOIN orgs o ON o.id = c.org_id
			WHERE c.subject_digest = ? ORDER BY c.id DESC LIMIT 200`, subject)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u := SubjectUse{Kind: "call", Count: 1}
			var at int64
			if err := rows.Scan(&at, &u.Service, &u.Consumer, &u.Outcome, &u.ConsentID); err != nil {
				return err
			}
			u.At = fromMicros(at)
			v.Uses = append(v.Uses, u)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		slices.SortStableFunc(v.Uses, func(a, b SubjectUse) int { return b.At.Compare(a.At) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// RevokeConsent is the subject's revocation: from the next call on the
// grant no longer opens the gate.
func (d *DB) RevokeConsent(ctx context.Context, token string, id int64) (*shuyu.Consent, error) {
	var out *shuyu.Consent
	err := d.update(ctx, subjectActor(), func(tx *Tx) error {
		subject, err := tx.subjectOf(token)
		if err != nil {
			return err
		}
		var owner, status string
		err = tx.queryRow(`SELECT subject_digest, status FROM consents WHERE id = ?`, id).Scan(&owner, &status)
		if isNoRows(err) || err == nil && owner != subject {
			return notFound("授权")
		}
		if err != nil {
			return err
		}
		if status == shuyu.ConsentRevoked {
			return shuyu.Errorf(shuyu.ECONFLICT, "该授权已撤回 (already revoked)")
		}
		if _, err := tx.exec(`UPDATE consents SET status = ?, revoked_at = ? WHERE id = ?`, shuyu.ConsentRevoked, micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.consentRecord(id, "revoke"); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditConsentRevoke, ObjectType: "consent", ObjectID: id}); err != nil {
			return err
		}
		out, err = tx.consent(id)
		return err
	})
	return out, err
}

// Consents lists the grants the actor may read: a merchant those it asked
// for, the operator, the authority and regulators all.
func (d *DB) Consents(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.Consent, error) {
	if err := shuyu.Authorize(actor, shuyu.ActConsentRead, shuyu.Resource{Kind: "consent"}); err != nil {
		return nil, err
	}
	out := []*shuyu.Consent{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT ` + consentCols + consentFrom + ` ORDER BY c.id DESC LIMIT 500`)
		if err != nil {
			return err
		}
		var all []*shuyu.Consent
		for rows.Next() {
			c, _, err := tx.scanConsent(rows)
			if err != nil {
				rows.Close()
				return err
			}
			if shuyu.Authorize(actor, shuyu.ActConsentRead, c.Resource()) == nil {
				all = append(all, c)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range all {
			if err := tx.consentUses(c); err != nil {
				return err
			}
		}
		out = append(out, all...)
		return nil
	})
	return out, err
}
