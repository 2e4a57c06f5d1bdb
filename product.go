package shuyu

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Product states (出域核查 and 备案, R23.2). A product leaves the platform
// only in state released, which needs an automatic check that passed, a
// human review by someone other than its builder, and a filing with the
// authority. "held" is never stored: it is the effective state of a pending
// product while a source entry's supply is suspended (R27.3).
const (
	ProductDraft       = "draft"
	ProductRequested   = "requested"
	ProductChecking    = "checking"
	ProductChecked     = "checked"      // automatic checks passed, report stored
	ProductCheckFailed = "check_failed" // automatic checks blocked it
	ProductUnderReview = "under_review"
	ProductApproved    = "approved"
	ProductRejected    = "rejected"
	ProductFiled       = "filed"
	ProductReleased    = "released"
	ProductHeld        = "held"
)

// ProductMachine is the product's state table. Revising a blocked or
// rejected product opens a new round; earlier rounds' checks and reviews
// stay in its history.
var ProductMachine = Machine{Name: "数据产品", Table: map[string]map[string]string{
	ProductDraft:       {"request": ProductRequested},
	ProductRequested:   {"check": ProductChecking},
	ProductChecking:    {"check": ProductChecking, "pass": ProductChecked, "fail": ProductCheckFailed},
	ProductCheckFailed: {"revise": ProductDraft},
	ProductChecked:     {"review": ProductUnderReview},
	ProductUnderReview: {"approve": ProductApproved, "reject": ProductRejected, "approve_one": ProductUnderReview},
	ProductRejected:    {"revise": ProductDraft},
	ProductApproved:    {"file": ProductFiled},
	ProductFiled:       {"release": ProductReleased},
}}

// ProductPending reports whether a product in state s is on its way out:
// a suspension of a source holds it (R27.3).
func ProductPending(s string) bool {
	switch s {
	case ProductRequested, ProductChecking, ProductChecked, ProductUnderReview, ProductApproved, ProductFiled:
		return true
	}
	return false
}

// Product types (issue 7 item 1).
var ProductTypes = []string{"dataset", "report", "api", "model"}

// Product is a merchant's product or service built from released workspace
// results, on its way out of the platform.
type Product struct {
	ID           int64          `json:"id"`
	OrgID        int64          `json:"org_id"`
	OrgName      string         `json:"org_name"`
	WorkspaceID  int64          `json:"workspace_id"`
	Name         string         `json:"name"`
	Description  string         `json:"description"`
	Scenario     string         `json:"scenario"`
	Type         string         `json:"type"`
	Recipients   []string       `json:"recipients"` // intended recipients
	Terms        string         `json:"terms"`
	Feedback     bool           `json:"feedback"` // R6.2: results go back to the source departments
	Status       string         `json:"status"`   // effective: held while a source is suspended
	StoredStatus string         `json:"stored_status"`
	HeldReason   string         `json:"held_reason,omitempty"`
	Round        int            `json:"round"`
	SecondReview bool           `json:"second_review"` // the authority asked for a second reviewer
	FilingNo     string         `json:"filing_no,omitempty"`
	FiledAt      *time.Time     `json:"filed_at,omitempty"`
	ReleasedAt   *time.Time     `json:"released_at,omitempty"`
	CreatedBy    int64          `json:"created_by"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
	Tables       []ProductTable `json:"tables"`
	Report       *ProductFile   `json:"report,omitempty"`
	SourceOrgs   []int64        `json:"source_orgs"` // source departments of the data used
}

// Resource describes the product to the policy: the merchant owns it; the
// source departments are parties when results are fed back (R6.2).
func (p *Product) Resource() Resource {
	r := Resource{Kind: "product", OrgID: p.OrgID, Exists: true}
	if p.Feedback {
		r.Parties = p.SourceOrgs
	}
	return r
}

// ProductTable is one table of a product: materialized inside the domain
// (DuckTable), never outside it before release (R4.2, R23.2).
type ProductTable struct {
	ID        int64           `json:"id"`
	N         int             `json:"n"`
	Name      string          `json:"name"`
	DuckTable string          `json:"-"`
	QueryID   int64           `json:"query_id"`  // the released query it came from
	RerunID   int64           `json:"rerun_id"`  // the governed re-run that produced it
	SQL       string          `json:"sql"`       // the query text (for review and lineage)
	Columns   []ProductColumn `json:"columns"`   // names and types, never values
	Rows      int64           `json:"rows"`      // row count
	Aggregate bool            `json:"aggregate"` // aggregate statistics (cell rules apply)
	Counts    []string        `json:"counts,omitempty"`
	Sources   []ProductSource `json:"sources"`
	CreatedBy int64           `json:"created_by"`
	CreatedAt time.Time       `json:"created_at"`
}

// ProductColumn names and types one column.
type ProductColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// ProductSource is one catalog entry and version a table was built from
// (R27.1 来源可溯).
type ProductSource struct {
	EntryID   int64  `json:"entry_id"`
	EntryCode string `json:"entry_code"`
	EntryName string `json:"entry_name,omitempty"`
	OrgID     int64  `json:"org_id"`
	Version   int    `json:"version"`
	Public    bool   `json:"public_source"` // R4.3
}

// ProductFile is the report file attached to a product (a PDF).
type ProductFile struct {
	Name   string    `json:"name"`
	Size   int64     `json:"size"`
	SHA256 string    `json:"sha256"`
	At     time.Time `json:"uploaded_at"`
}

// ProductInput is what a merchant writes when creating or revising a product.
type ProductInput struct {
	WorkspaceID int64    `json:"workspace_id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Scenario    string   `json:"scenario"`
	Type        string   `json:"type"`
	Recipients  []string `json:"recipients"`
	Terms       string   `json:"terms"`
	Feedback    bool     `json:"feedback"`
}

// Validate checks a product's description; problems are an EINVALID error
// listing fields (invariant 5).
func (in *ProductInput) Validate() error {
	var fe []FieldError
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	in.Scenario, in.Terms = strings.TrimSpace(in.Scenario), strings.TrimSpace(in.Terms)
	text := func(field, v string, lo, hi int, msg string) {
		if n := utf8.RuneCountInString(v); n < lo || n > hi || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			fe = append(fe, FieldError{Field: field, Message: msg})
		}
	}
	text("name", in.Name, 2, 100, "产品名称须为 2 至 100 个字符")
	text("description", in.Description, 4, 2000, "产品说明须为 4 至 2000 个字符")
	text("scenario", in.Scenario, 2, 500, "应用场景须为 2 至 500 个字符")
	text("terms", in.Terms, 0, 2000, "使用条款不超过 2000 个字符")
	if in.WorkspaceID <= 0 {
		fe = append(fe, FieldError{Field: "workspace_id", Message: "请选择工作区"})
	}
	ok := false
	for _, t := range ProductTypes {
		ok = ok || in.Type == t
	}
	if !ok {
		fe = append(fe, FieldError{Field: "type", Message: "类型须为 dataset、report、api 或 model"})
	}
	var rs []string
	for _, r := range in.Recipients {
		if r = strings.TrimSpace(r); r != "" {
			rs = append(rs, r)
		}
	}
	in.Recipients = rs
	if len(rs) == 0 || len(rs) > 50 {
		fe = append(fe, FieldError{Field: "recipients", Message: "请填写 1 至 50 个预期接收方"})
	}
	for _, r := range rs {
		if utf8.RuneCountInString(r) > 100 {
			fe = append(fe, FieldError{Field: "recipients", Message: "接收方名称不超过 100 个字符"})
			break
		}
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "数据产品信息不完整或有误 (invalid product)").WithDetails(fe)
	}
	return nil
}

// ProductCheck is one run of the automatic checks (R17.1, R28.3-R28.5),
// with the report as the engine wrote it (counts, never values).
type ProductCheck struct {
	ID           int64     `json:"id"`
	Round        int       `json:"round"`
	RulesVersion int       `json:"rules_version"`
	Passed       bool      `json:"passed"`
	Failed       []string  `json:"failed"`
	Report       RawJSON   `json:"report"`
	At           time.Time `json:"at"`
}

// RawJSON is a JSON document stored and served as is.
type RawJSON []byte

// MarshalJSON writes the document (null when empty).
func (r RawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// UnmarshalJSON keeps the document.
func (r *RawJSON) UnmarshalJSON(b []byte) error { *r = append((*r)[:0], b...); return nil }

// ProductReview is one human decision (R17.1): who, with what reasons.
type ProductReview struct {
	ID         int64     `json:"id"`
	Round      int       `json:"round"`
	ReviewerID int64     `json:"reviewer_id"`
	Reviewer   string    `json:"reviewer"`
	Decision   string    `json:"decision"` // approve, reject
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"`
}

// ProductDelivery is one download or API delivery (R27.1 去向可查).
type ProductDelivery struct {
	ID          int64     `json:"id"`
	Recipient   string    `json:"recipient"`     // who it is for
	Mark        string    `json:"mark"`          // the fingerprint's recipient key
	Fingerprint bool      `json:"fingerprinted"` // the file carries the mark
	Channel     string    `json:"channel"`       // download, api
	Table       string    `json:"table"`
	Rows        int64     `json:"rows"`
	SHA256      string    `json:"sha256"`
	UserID      int64     `json:"user_id"`
	Username    string    `json:"username"`
	OrgID       int64     `json:"org_id"`
	At          time.Time `json:"at"`
}

// DeliveryMark is the fingerprint key of a recipient: the same recipient
// receiving the same table gets the same marks.
func DeliveryMark(orgID int64, recipient string) string {
	return fmt.Sprintf("org%d:%s", orgID, strings.TrimSpace(recipient))
}

// CheckReason validates a decision's reasons (R21.2 in spirit: a rejection
// must say why).
func CheckReason(field, reason string, min int) (string, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < min || n > 2000 || !utf8.ValidString(reason) {
		return "", Errorf(EINVALID, "请填写理由（%d 至 2000 个字） (reason required)", min).
			WithDetails([]FieldError{{Field: field, Message: "请填写理由"}})
	}
	return reason, nil
}
