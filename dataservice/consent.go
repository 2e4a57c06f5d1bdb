package dataservice

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore"
)

// Data-subject authorization (R28.5): the merchant asks, the subject
// confirms with a one-time code sent to its mobile, and the subject sees and
// revokes its grants on the public consent page after proving itself the
// same way. The store keeps digests only (sqlstore/consents.go).

// Subject is who a grant is about, as typed by a merchant or the subject.
type Subject struct {
	Kind   string `json:"subject_kind"` // person, company
	ID     string `json:"subject_id"`   // citizen ID or credit code
	Name   string `json:"name"`         // the person's name, or the company's legal representative
	Mobile string `json:"mobile"`       // the mobile the code goes to
}

// Verifier is the identity service that proves a subject: that the ID, the
// name and the mobile belong together (宁夏政务服务网 for people, 法人 e 证通
// for companies), and that delivers one-time codes to the mobile on record.
// The platform generates and checks codes itself; a Verifier only vouches
// and delivers.
type Verifier interface {
	// Check answers nil when the subject's data belong together.
	Check(ctx context.Context, s Subject) error
	// Deliver sends the code to the subject's mobile on record; ref is the
	// grant to confirm (0 for a lookup).
	Deliver(ctx context.Context, s Subject, code, purpose string, ref int64) error
}

// DemoVerifier is the demo's identity service: it accepts every well-formed
// subject and "delivers" codes to an outbox the demo shows on a page (demo
// only: a real deployment plugs in the identity service).
type DemoVerifier struct {
	mu    sync.Mutex
	box   []OutboxMessage
	notes []OutboxMessage
	Now   func() time.Time
}

// OutboxMessage is one code the demo verifier delivered.
type OutboxMessage struct {
	At      time.Time `json:"at"`
	Mobile  string    `json:"mobile"` // masked
	Purpose string    `json:"purpose"`
	Code    string    `json:"code"`
	Ref     int64     `json:"ref,omitempty"` // the grant to confirm
}

// Check accepts any subject (the demo has no identity service).
func (v *DemoVerifier) Check(context.Context, Subject) error { return nil }

// Deliver appends the code to the outbox (the last 50 are kept).
func (v *DemoVerifier) Deliver(_ context.Context, s Subject, code, purpose string, ref int64) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	v.box = append(v.box, OutboxMessage{At: now, Mobile: MaskMobile(s.Mobile), Purpose: purpose, Code: code, Ref: ref})
	if len(v.box) > 50 {
		v.box = v.box[len(v.box)-50:]
	}
	return nil
}

// Outbox lists delivered codes, newest first.
func (v *DemoVerifier) Outbox() []OutboxMessage {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]OutboxMessage, len(v.box))
	for i, m := range v.box {
		out[len(v.box)-1-i] = m
	}
	return out
}

// Last is the newest code delivered for purpose, "" if none.
func (v *DemoVerifier) Last(purpose string) string {
	for _, m := range v.Outbox() {
		if m.Purpose == purpose {
			return m.Code
		}
	}
	return ""
}

// MaskMobile keeps the first three and last four digits.
func MaskMobile(m string) string {
	if len(m) != 11 {
		return "***"
	}
	return m[:3] + "****" + m[7:]
}

// maskSubject is the hint a subject recognises its grants by.
func maskSubject(s Subject) string {
	id := s.ID
	if len(id) == 18 {
		id = id[:4] + strings.Repeat("*", 10) + id[14:]
	}
	name := []rune(s.Name)
	if len(name) > 1 {
		name = append(name[:1], []rune(strings.Repeat("*", len(name)-1))...)
	}
	return id + " " + string(name)
}

// ValidateSubject checks and normalizes a subject.
func ValidateSubject(s Subject, now time.Time) (Subject, error) {
	var fe []shuyu.FieldError
	s.ID, s.Name = strings.TrimSpace(s.ID), strings.TrimSpace(s.Name)
	switch s.Kind {
	case shuyu.SubjectPerson:
		s.ID = ident.NormalizeCitizenID(s.ID)
		if !ident.ValidCitizenIDAt(s.ID, now) {
			fe = append(fe, shuyu.FieldError{Field: "subject_id", Message: "公民身份号码格式或校验位不正确"})
		}
	case shuyu.SubjectCompany:
		s.ID = strings.ToUpper(s.ID)
		if !ident.ValidUSCC(s.ID) {
			fe = append(fe, shuyu.FieldError{Field: "subject_id", Message: "统一社会信用代码格式或校验位不正确"})
		}
	default:
		fe = append(fe, shuyu.FieldError{Field: "subject_kind", Message: "须为 person（个人）或 company（企业）"})
	}
	if !personName(s.Name) {
		fe = append(fe, shuyu.FieldError{Field: "name", Message: "姓名（企业为法定代表人姓名）须为 2 至 20 个汉字"})
	}
	m, ok := ident.NormalizeMobile(s.Mobile)
	if !ok {
		fe = append(fe, shuyu.FieldError{Field: "mobile", Message: "手机号码格式不正确"})
	}
	s.Mobile = m
	if len(fe) > 0 {
		return s, shuyu.Errorf(shuyu.EINVALID, "授权对象信息有误 (invalid subject)").WithDetails(fe)
	}
	return s, nil
}

// ConsentAsk is a merchant's request for a grant.
type ConsentAsk struct {
	Subject
	ServiceID int64 `json:"service_id"`
	// WorkspaceID asks for the use of the subject's rows in one of the
	// merchant's consent-gated workspaces instead of a service (R28.5).
	WorkspaceID int64    `json:"workspace_id,omitempty"`
	Purpose     string   `json:"purpose"`
	Fields      []string `json:"fields"`
	Days        int      `json:"days"`
}

// RequestConsent records a pending grant and sends the subject its code; the
// merchant never sees the code.
func (s *Service) RequestConsent(ctx context.Context, actor *shuyu.Actor, in ConsentAsk) (*shuyu.Consent, error) {
	sub, err := ValidateSubject(in.Subject, s.Now())
	if err != nil {
		return nil, err
	}
	if err := s.Verifier.Check(ctx, sub); err != nil {
		return nil, err
	}
	for i, f := range in.Fields {
		in.Fields[i] = strings.TrimSpace(f)
		if n := utf8.RuneCountInString(in.Fields[i]); n < 1 || n > 40 {
			return nil, shuyu.Errorf(shuyu.EINVALID, "授权信息项有误 (invalid field)").
				WithDetails([]shuyu.FieldError{{Field: "fields", Message: "每项 1 至 40 个字符"}})
		}
	}
	code, err := oneTimeCode()
	if err != nil {
		return nil, err
	}
	c, err := s.DB.RequestConsent(ctx, actor, sqlstore.ConsentInput{SubjectKind: sub.Kind, SubjectID: sub.ID, SubjectHint: maskSubject(sub),
		ServiceID: in.ServiceID, WorkspaceID: in.WorkspaceID, Purpose: in.Purpose, Fields: in.Fields, Days: in.Days}, code)
	if err != nil {
		return nil, err
	}
	if err := s.Verifier.Deliver(ctx, sub, code, "confirm", c.ID); err != nil {
		return nil, err
	}
	return c, nil
}

// StartLookup proves a subject before it sees its grants: the code goes to
// its mobile; the answer is the same whether or not it has any grant.
func (s *Service) StartLookup(ctx context.Context, in Subject) (int64, error) {
	sub, err := ValidateSubject(in, s.Now())
	if err != nil {
		return 0, err
	}
	if err := s.Verifier.Check(ctx, sub); err != nil {
		return 0, err
	}
	code, err := oneTimeCode()
	if err != nil {
		return 0, err
	}
	id, err := s.DB.StartSubjectLookup(ctx, sub.ID, code)
	if err != nil {
		return 0, err
	}
	return id, s.Verifier.Deliver(ctx, sub, code, "lookup", 0)
}

// VerifyLookup checks the code and returns a subject session token.
func (s *Service) VerifyLookup(ctx context.Context, challenge int64, code string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b)
	if err := s.DB.VerifySubjectLookup(ctx, challenge, strings.TrimSpace(code), token); err != nil {
		return "", err
	}
	return token, nil
}

// Announce puts a demo notice (the demo consumer keys) into the outbox: the
// demo shows it on its outbox page, never in a log.
func (v *DemoVerifier) Announce(what, text string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	v.notes = append(v.notes, OutboxMessage{At: now, Purpose: what, Code: text})
}

// Notes lists the announcements, newest first.
func (v *DemoVerifier) Notes() []OutboxMessage {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]OutboxMessage, len(v.notes))
	for i, m := range v.notes {
		out[len(v.notes)-1-i] = m
	}
	return out
}
