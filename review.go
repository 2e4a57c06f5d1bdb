package shuyu

import (
	"fmt"
	"strings"
	"time"
)

// Working-day limits of the measures. Deadlines are computed from the
// acceptance time on the official calendar (package workday), never typed.
const (
	OnboardingDays   = 5  // R18.2: the operator decides a registration
	CheckDays        = 5  // R20.2: the operator checks an application's compliance
	ReviewDays       = 10 // R21.1: each reviewer decides
	MaxExtensionDays = 10 // an extension request adds at most this many working days, once
)

// Machine is a state machine written as a table: from -> event -> to.
// Every transition of the review chain goes through one, so the allowed
// moves can be read (and tested) in one place.
type Machine struct {
	Name  string // Chinese name of the object, for messages
	Table map[string]map[string]string
}

// Next returns the state after event in state from, or ECONFLICT when the
// event is not allowed there (e.g. a second decision on the same review).
func (m Machine) Next(from, event string) (string, error) {
	if to, ok := m.Table[from][event]; ok {
		return to, nil
	}
	return "", Errorf(ECONFLICT, "%s当前状态为“%s”，不能执行“%s” (%s %s not allowed in state %s)",
		m.Name, StatusLabel(from), StatusLabel(event), m.Name, event, from)
}

// Can reports whether event is allowed in state from.
func (m Machine) Can(from, event string) bool { _, ok := m.Table[from][event]; return ok }

// Review kinds (R21.1): every source department whose data is requested,
// the county authority where county data is requested, and the operator.
const (
	ReviewSourceDept = "source_dept"
	ReviewCounty     = "county"
	ReviewOperator   = "operator"
)

// Review states.
const (
	ReviewOpen     = "open"
	ReviewApproved = "approved"
	ReviewRejected = "rejected"
	ReviewDeemed   = "deemed_approved" // R21.3
	ReviewClosed   = "closed"          // another reviewer rejected first; no decision needed
)

// ReviewMachine: an open review is decided once. An extension keeps it open
// (recorded on the row), so it is not a state.
var ReviewMachine = Machine{Name: "审核", Table: map[string]map[string]string{
	ReviewOpen: {"approve": ReviewApproved, "reject": ReviewRejected, "deem": ReviewDeemed, "close": ReviewClosed},
}}

// RuleDeemed is what the trail and the review row cite for a deemed approval.
const RuleDeemed = "R21.3 审核方逾期未审核且未提出延期审核申请的，视为同意 (silence past the deadline is approval)"

// RuleDeemedExtended is cited when an extended deadline passes too: the
// extension was used, and silence after it is still silence.
const RuleDeemedExtended = "R21.3 延期审核期限届满仍未审核的，视为同意 (silence past the extended deadline is approval)"

// Deadline is how every deadline is shown: the date, the working days left
// and whether it is overdue. The store fills it from its clock.
type Deadline struct {
	Due          time.Time `json:"due"`
	WorkdaysLeft int       `json:"workdays_left"`
	Overdue      bool      `json:"overdue"`
}

// Review is one reviewer's review of one round of an application.
type Review struct {
	ID            int64      `json:"id"`
	ApplicationID int64      `json:"application_id"`
	Round         int        `json:"round"`
	Kind          string     `json:"kind"`
	OrgID         int64      `json:"org_id"`
	OrgName       string     `json:"org_name"`
	Status        string     `json:"status"`
	OpenedAt      time.Time  `json:"opened_at"`
	Deadline      Deadline   `json:"deadline"`
	ExtensionDays int        `json:"extension_days,omitempty"`
	ExtensionWhy  string     `json:"extension_reason,omitempty"`
	ExtendedAt    *time.Time `json:"extended_at,omitempty"`
	DecidedAt     *time.Time `json:"decided_at,omitempty"`
	DecidedBy     int64      `json:"decided_by,omitempty"` // 0 with Rule set: the system actor
	Reason        string     `json:"reason,omitempty"`
	Rule          string     `json:"rule,omitempty"`
	DurationSec   int64      `json:"duration_seconds,omitempty"` // R22.1: how long the reviewer took
}

// Decision is a reviewer's answer.
type Decision struct {
	Approve bool   `json:"approve"`
	Reason  string `json:"reason"`
}

// Validate: a rejection must list its reasons (R21.2).
func (d Decision) Validate() error {
	if !d.Approve && len([]rune(strings.TrimSpace(d.Reason))) < 4 {
		return Errorf(EINVALID, "不予通过须列明理由（至少 4 个字） (a rejection must state its reasons, R21.2)").
			WithDetails([]FieldError{{"reason", "请填写不予通过的理由"}})
	}
	if len([]rune(d.Reason)) > 2000 {
		return Errorf(EINVALID, "理由不得超过 2000 字 (reason too long)")
	}
	return nil
}

// Extension is a reviewer's formal extension request (R21.3).
type Extension struct {
	Days   int    `json:"days"`
	Reason string `json:"reason"`
}

// Validate checks the extension request's shape.
func (e Extension) Validate() error {
	var errs []FieldError
	if e.Days < 1 || e.Days > MaxExtensionDays {
		errs = append(errs, FieldError{"days", fmt.Sprintf("延期天数须为 1 至 %d 个工作日", MaxExtensionDays)})
	}
	if len([]rune(strings.TrimSpace(e.Reason))) < 4 {
		errs = append(errs, FieldError{"reason", "须说明延期理由（至少 4 个字）"})
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "延期审核申请不完整 (extension request incomplete)").WithDetails(errs)
	}
	return nil
}

// Document kinds: texts the authority approves before use.
const (
	DocOnboardingRules   = "onboarding_rules"   // R18.1 数据商入驻规则
	DocAgreementTemplate = "agreement_template" // R19.1 格式协议范本
)

// Document states.
const (
	DocDraft    = "draft"
	DocApproved = "approved"
	DocRetired  = "retired"
)

// DocumentMachine: the operator drafts, the authority approves; approving
// a newer version retires the older one.
var DocumentMachine = Machine{Name: "规范文本", Table: map[string]map[string]string{
	DocDraft:    {"approve": DocApproved},
	DocApproved: {"retire": DocRetired},
}}

// Document is a versioned text the authority approves (R18.1, R19.1).
type Document struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Version    int        `json:"version"`
	Title      string     `json:"title"`
	Body       string     `json:"body"`              // onboarding rules: text
	Clauses    []Clause   `json:"clauses,omitempty"` // agreement template: the ten clauses
	Status     string     `json:"status"`
	CreatedBy  int64      `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ApprovedBy int64      `json:"approved_by,omitempty"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
}

// Validate checks a document before it is stored.
func (d *Document) Validate() error {
	var errs []FieldError
	if d.Kind != DocOnboardingRules && d.Kind != DocAgreementTemplate {
		errs = append(errs, FieldError{"kind", "文本类型须为 onboarding_rules 或 agreement_template"})
	}
	if n := len([]rune(strings.TrimSpace(d.Title))); n < 2 || n > 100 {
		errs = append(errs, FieldError{"title", "标题须为 2 至 100 个字"})
	}
	switch d.Kind {
	case DocOnboardingRules:
		if n := len([]rune(strings.TrimSpace(d.Body))); n < 10 || n > 50000 {
			errs = append(errs, FieldError{"body", "规则正文须为 10 至 50000 字"})
		}
	case DocAgreementTemplate:
		errs = append(errs, ValidateClauses(d.Clauses)...)
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "文本不完整或有误 (document incomplete)").WithDetails(errs)
	}
	return nil
}

// statusLabels are the Chinese names of states and events shown to users.
var statusLabels = map[string]string{
	"open": "审核中", "approved": "通过", "rejected": "不予通过", "deemed_approved": "视为同意", "closed": "已结束",
	"approve": "通过", "reject": "不予通过", "deem": "视为同意", "close": "结束",
	"draft": "草稿", "retired": "已废止", "retire": "废止",
	"submitted": "已提交", "accepted": "已受理", "more_material": "待补充材料", "registered": "已入驻",
	"not_registered": "未予入驻", "suspended": "已暂停", "exited": "已退出",
	"accept": "受理", "request_material": "要求补充材料", "supplement": "补充材料", "register": "准予入驻",
	"refuse": "不予入驻", "suspend": "暂停", "resume": "恢复", "exit": "退出",
	"checking": "合规核查中", "returned": "核查未通过(退回)", "reviewing": "审核中", "withdrawn": "已撤回",
	"pass": "核查通过", "fail": "核查不通过", "resubmit": "修改后重新提交", "withdraw": "撤回", "all_approved": "全部通过",
	"pending_signature": "待签署", "merchant_signed": "数据商已签署", "effective": "生效", "terminated": "已终止",
	"expired": "已到期", "merchant": "数据商", "operator": "运营机构", "sign_merchant": "数据商签署", "sign_operator": "运营机构签署", "terminate": "终止", "expire": "到期",
}

// StatusLabel returns the Chinese label of a state or event.
func StatusLabel(s string) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return s
}
