package shuyu

import (
	"strings"
	"time"
	"unicode/utf8"
)

// SecretClass is the secrecy of data (R2.1): state secrets (国家秘密, under
// the Law on Guarding State Secrets) and work secrets (工作秘密). Data
// carrying either may never enter the authorized catalog, a workspace, the
// data domain or a product, whatever its open attribute says.
type SecretClass string

const (
	SecretState SecretClass = "state" // 国家秘密
	SecretWork  SecretClass = "work"  // 工作秘密
)

// SecretClasses lists the classes, strictest first.
var SecretClasses = []SecretClass{SecretState, SecretWork}

// SecretClassLabels are the Chinese names of the classes.
var SecretClassLabels = map[SecretClass]string{SecretState: "国家秘密", SecretWork: "工作秘密"}

// Valid reports whether c is a known class.
func (c SecretClass) Valid() bool { return c == SecretState || c == SecretWork }

// SecretMark marks a catalog entry (Field "") or one of its fields as a
// state or work secret. A mark takes effect when it is recorded and stays
// until the city authority lifts it (解密, with a reason).
type SecretMark struct {
	ID         int64       `json:"id"`
	EntryID    int64       `json:"entry_id"`
	EntryCode  string      `json:"entry_code"`
	EntryName  string      `json:"entry_name"`
	OrgID      int64       `json:"org_id"`
	Region     string      `json:"region"`
	Field      string      `json:"field,omitempty"` // "" for the whole entry
	Class      SecretClass `json:"class"`
	Basis      string      `json:"basis"` // 定密依据
	MarkedBy   string      `json:"marked_by"`
	MarkedAt   time.Time   `json:"marked_at"`
	LiftedBy   string      `json:"lifted_by,omitempty"`
	LiftedAt   *time.Time  `json:"lifted_at,omitempty"`
	LiftReason string      `json:"lift_reason,omitempty"`
}

// Active reports whether the mark is in force.
func (m *SecretMark) Active() bool { return m.LiftedAt == nil }

// Resource describes the mark to the policy: it belongs to the entry's
// department and region.
func (m *SecretMark) Resource() Resource {
	return Resource{Kind: "secret_mark", OrgID: m.OrgID, Region: m.Region, Exists: true}
}

// SecretMarkInput is what a department or the authority records.
type SecretMarkInput struct {
	Field string      `json:"field,omitempty"` // "" marks the whole entry
	Class SecretClass `json:"class"`
	Basis string      `json:"basis"`
}

// Validate checks the class and asks for a basis of 4..500 characters.
func (in *SecretMarkInput) Validate() error {
	in.Field, in.Basis = strings.TrimSpace(in.Field), strings.TrimSpace(in.Basis)
	var fe []FieldError
	if !in.Class.Valid() {
		fe = append(fe, FieldError{Field: "class", Message: "密级类别须为国家秘密或工作秘密"})
	}
	if n := utf8.RuneCountInString(in.Basis); n < 4 || n > 500 {
		fe = append(fe, FieldError{Field: "basis", Message: "请写明定密依据（4 至 500 个字）"})
	}
	if in.Field != "" && !FieldNameRe.MatchString(in.Field) {
		fe = append(fe, FieldError{Field: "field", Message: "信息项名称格式有误"})
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "定密标记信息不完整 (invalid secret mark)").WithDetails(fe)
	}
	return nil
}

// SecretRefusal is the reason data marked secret is refused (R2.1), in the
// platform's "中文 (english)" form; what names the entry, or the entry and
// the field.
func SecretRefusal(what string, c SecretClass, step string) string {
	return "“" + what + "”已标记为" + SecretClassLabels[c] + "，不得" + step + " (R2.1: " + string(c) + " secret)"
}
