package shuyu

import (
	"strings"
	"time"
)

// Registration states (R18.2). "registered" merchants may later be
// suspended (and resumed) or exit.
const (
	RegSubmitted     = "submitted"
	RegAccepted      = "accepted"
	RegMoreMaterial  = "more_material"
	RegRegistered    = "registered"
	RegNotRegistered = "not_registered"
	RegSuspended     = "suspended"
	RegExited        = "exited"
)

// RegistrationMachine is merchant onboarding as a table. Supplementing
// material is a new acceptance: the 5-working-day clock restarts from it,
// since the operator cannot decide on material it does not have yet.
var RegistrationMachine = Machine{Name: "入驻申请", Table: map[string]map[string]string{
	RegSubmitted:    {"accept": RegAccepted, "refuse": RegNotRegistered},
	RegAccepted:     {"request_material": RegMoreMaterial, "register": RegRegistered, "refuse": RegNotRegistered},
	RegMoreMaterial: {"supplement": RegAccepted, "refuse": RegNotRegistered},
	RegRegistered:   {"suspend": RegSuspended, "exit": RegExited},
	RegSuspended:    {"resume": RegRegistered, "exit": RegExited},
}}

// Registration is a company's application to become a merchant (数据商).
type Registration struct {
	ID                int64      `json:"id"`
	Company           string     `json:"company"`
	USCC              string     `json:"uscc"` // 统一社会信用代码, GB 32100 check character verified
	LegalRep          string     `json:"legal_rep"`
	ContactName       string     `json:"contact_name"`
	ContactPhone      string     `json:"contact_phone"`
	ContactEmail      string     `json:"contact_email"`
	BusinessScope     string     `json:"business_scope"`
	SecurityStatement string     `json:"security_statement"` // data-security capability statement
	Username          string     `json:"username"`           // the account created on registration
	RulesDocID        int64      `json:"rules_doc_id"`       // the onboarding rules version accepted (R18.1)
	Status            string     `json:"status"`
	SubmittedAt       time.Time  `json:"submitted_at"`
	AcceptedAt        *time.Time `json:"accepted_at,omitempty"`
	Deadline          *Deadline  `json:"deadline,omitempty"` // R18.2, while accepted
	DecidedAt         *time.Time `json:"decided_at,omitempty"`
	Reason            string     `json:"reason,omitempty"`
	OrgID             int64      `json:"org_id,omitempty"` // the merchant organization once registered
	Files             []File     `json:"files,omitempty"`
}

// File is an attachment (licence, material); its bytes are served apart.
type File struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"` // sniffed, never trusted from the client
	Size        int64     `json:"size"`
	SM3         string    `json:"sm3"`
	CreatedAt   time.Time `json:"created_at"`
}

// MaxFileSize caps one attachment.
const MaxFileSize = 5 << 20

// AllowedFileTypes are the sniffed types accepted as attachments.
var AllowedFileTypes = map[string]bool{"application/pdf": true, "image/png": true, "image/jpeg": true}

// Validate checks a registration's fields except the credit code's check
// character and the password, which the store verifies (they need other
// packages).
func (r *Registration) Validate() error {
	var errs []FieldError
	need := func(field, label, v string, lo, hi int) {
		if n := len([]rune(strings.TrimSpace(v))); n < lo || n > hi {
			errs = append(errs, FieldError{field, label})
		}
	}
	need("company", "企业名称须为 4 至 100 个字", r.Company, 4, 100)
	need("legal_rep", "法定代表人须为 2 至 30 个字", r.LegalRep, 2, 30)
	need("contact_name", "联系人须为 2 至 30 个字", r.ContactName, 2, 30)
	need("business_scope", "经营范围须为 4 至 2000 个字", r.BusinessScope, 4, 2000)
	need("security_statement", "数据安全能力说明须为 20 至 5000 个字", r.SecurityStatement, 20, 5000)
	if !ValidUsername(r.Username) {
		errs = append(errs, FieldError{"username", "账号名须为 3 至 64 位字母、数字、“-”“_”“.”"})
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "入驻申请材料不完整或有误 (registration incomplete)").WithDetails(errs)
	}
	return nil
}

// MerchantReport is the operator's periodic report to the authority on
// merchants' daily management, refusals and exits (R18.3).
type MerchantReport struct {
	ID         int64              `json:"id"`
	From       time.Time          `json:"from"`
	To         time.Time          `json:"to"`
	Registered int                `json:"registered"` // merchants registered at To
	Suspended  int                `json:"suspended"`
	Rows       []MerchantEventRow `json:"rows"`
	CreatedBy  int64              `json:"created_by,omitempty"`
	CreatedAt  time.Time          `json:"created_at"`
}

// MerchantEventRow is one onboarding decision or status change in a report.
type MerchantEventRow struct {
	Time    time.Time `json:"time"`
	Company string    `json:"company"`
	USCC    string    `json:"uscc"`
	Event   string    `json:"event"` // registered, not_registered, suspended, resumed, exited
	Reason  string    `json:"reason,omitempty"`
}
