package shuyu

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Registration (登记) of public data resources and of products and
// services (NREG.1–8, 《公共数据资源登记管理暂行办法》). Source departments
// register the resources of their catalog entries within the authorized
// scope; the operator registers the products it delivers. The platform is
// the registering party's side and a stand-in registry: the city data
// authority accepts, reviews, puts on public notice and assigns the code
// (sqlstore/registry.go).

// Registry kinds.
const (
	RgyResource = "resource" // 公共数据资源 (type digit 7)
	RgyProduct  = "product"  // 产品和服务 (type digit 6)
)

// Registry types (NREG.4).
const (
	RgyFirst        = "first"        // 首次登记
	RgyChange       = "change"       // 变更登记
	RgyCorrection   = "correction"   // 更正登记
	RgyRenewal      = "renewal"      // 续期（有效期届满前 60 日内）
	RgyCancellation = "cancellation" // 注销登记
)

// RegistryTypes lists the types in order.
var RegistryTypes = []string{RgyFirst, RgyChange, RgyCorrection, RgyRenewal, RgyCancellation}

// Registry statuses.
const (
	RgySubmitted  = "submitted"          // 待受理
	RgyMaterial   = "material_requested" // 待补正材料
	RgyAccepted   = "accepted"           // 已受理，形式审核中
	RgyNotice     = "notice"             // 公示中
	RgyObjected   = "objected"           // 公示异议处理中
	RgyRegistered = "registered"         // 已登记（已赋码）
	RgyRefused    = "refused"            // 不予登记
	RgySuperseded = "superseded"         // 已被变更、更正或续期取代
	RgyCancelled  = "cancelled"          // 已注销
	RgyLapsed     = "lapsed"             // 有效期届满未续期
	RgyDone       = "done"               // 注销申请已办结
	RgyRevoked    = "revoked"            // 因材料虚假被撤销 (NREG.8)
)

// RegistryStatuses lists every status.
var RegistryStatuses = []string{RgySubmitted, RgyMaterial, RgyAccepted, RgyNotice, RgyObjected, RgyRegistered, RgyRefused,
	RgySuperseded, RgyCancelled, RgyLapsed, RgyDone, RgyRevoked}

// RegistryMachine: 申请 → 受理 → 形式审核 → 公示 → 赋码 (NREG.3). Missing
// materials are requested once, together (NREG.6); a real-name objection
// stops the notice until the registry decides it.
var RegistryMachine = Machine{Name: "登记申请", Table: map[string]map[string]string{
	RgySubmitted:  {"accept": RgyAccepted, "request_material": RgyMaterial, "refuse": RgyRefused},
	RgyMaterial:   {"supplement": RgySubmitted, "refuse": RgyRefused},
	RgyAccepted:   {"pass": RgyNotice, "refuse": RgyRefused, "complete": RgyDone},
	RgyNotice:     {"object": RgyObjected, "assign": RgyRegistered},
	RgyObjected:   {"dismiss": RgyNotice, "uphold": RgyRefused},
	RgyRegistered: {"supersede": RgySuperseded, "cancel": RgyCancelled, "lapse": RgyLapsed, "revoke": RgyRevoked},
}}

// Registry time limits in working days (NREG.6) and validity (NREG.8).
const (
	RgyAcceptDays       = 3
	RgyReviewDays       = 20
	RgyNoticeDays       = 10
	RgyCancelDays       = 10
	RgyValidityYears    = 3
	RgyRenewalWindow    = 60 // calendar days before expiry
	RgyFirstWithinDays  = 20 // working days after supply or delivery (NREG.4)
	RegistryMaxMaterial = 5000
)

// RegistryMaterials are the first-registration materials (NREG.5).
type RegistryMaterials struct {
	Subject        string `json:"subject"`         // 登记主体
	LawfulSource   string `json:"lawful_source"`   // 数据来源合法性
	Description    string `json:"description"`     // 资源描述
	ProductInfo    string `json:"product_info"`    // 产品和服务信息
	ScenarioInfo   string `json:"scenario_info"`   // 应用场景信息
	RiskAssessment string `json:"risk_assessment"` // 数据安全风险评估
}

// RegistryInput is an application for registration.
type RegistryInput struct {
	Kind      string            `json:"kind"`
	Type      string            `json:"type"`
	ParentID  int64             `json:"parent_id,omitempty"`  // the registration changed, corrected, renewed or cancelled
	EntryID   int64             `json:"entry_id,omitempty"`   // for a resource
	ProductID int64             `json:"product_id,omitempty"` // for a product
	Name      string            `json:"name"`
	Summary   string            `json:"summary"`
	Materials RegistryMaterials `json:"materials"`
}

// Validate checks the application's form; the store checks the subject,
// the object and the parent.
func (in *RegistryInput) Validate() error {
	var errs []FieldError
	add := func(f, m string) { errs = append(errs, FieldError{Field: f, Message: m}) }
	in.Name, in.Summary = strings.TrimSpace(in.Name), strings.TrimSpace(in.Summary)
	if in.Kind != RgyResource && in.Kind != RgyProduct {
		add("kind", "登记类别只能是公共数据资源或产品和服务")
	}
	known := false
	for _, t := range RegistryTypes {
		known = known || t == in.Type
	}
	if !known {
		add("type", "登记类型只能是首次、变更、更正、续期或注销")
	}
	if in.Type != RgyFirst && in.ParentID <= 0 {
		add("parent_id", "变更、更正、续期和注销须指明原登记")
	}
	if n := utf8.RuneCountInString(in.Name); n < 2 || n > 100 {
		add("name", "名称应为 2 到 100 个字")
	}
	if n := utf8.RuneCountInString(in.Summary); n < 10 || n > 500 {
		add("summary", "简要描述应为 10 到 500 个字")
	}
	// NREG.5: the first registration carries all materials; the others
	// at least say what changes and why (in the description).
	m := &in.Materials
	fields := []struct {
		key string
		v   *string
		msg string
	}{
		{"materials.subject", &m.Subject, "登记主体"},
		{"materials.lawful_source", &m.LawfulSource, "数据来源合法性说明"},
		{"materials.description", &m.Description, "资源描述"},
		{"materials.product_info", &m.ProductInfo, "产品和服务信息"},
		{"materials.scenario_info", &m.ScenarioInfo, "应用场景信息"},
		{"materials.risk_assessment", &m.RiskAssessment, "数据安全风险评估"},
	}
	for i, f := range fields {
		*f.v = strings.TrimSpace(*f.v)
		n := utf8.RuneCountInString(*f.v)
		if n > RegistryMaxMaterial {
			add(f.key, f.msg+"过长")
		}
		need := in.Type == RgyFirst || i == 2
		if need && n < 4 {
			add(f.key, "须填写"+f.msg)
		}
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "登记申请材料不完整 (incomplete registration)").WithDetails(errs)
	}
	return nil
}

// RegistryRecord is one registration application and, once registered,
// the registration.
type RegistryRecord struct {
	ID             int64               `json:"id"`
	Kind           string              `json:"kind"`
	Type           string              `json:"type"`
	ParentID       int64               `json:"parent_id,omitempty"`
	SubjectOrgID   int64               `json:"subject_org_id"`
	SubjectName    string              `json:"subject_name"`
	EntryID        int64               `json:"entry_id,omitempty"`
	ProductID      int64               `json:"product_id,omitempty"`
	Name           string              `json:"name"`
	Summary        string              `json:"summary"`
	Materials      RegistryMaterials   `json:"materials"`
	EvidenceDigest string              `json:"evidence_digest"`
	Evidence       string              `json:"evidence,omitempty"` // the canonical JSON the digest is over
	Status         string              `json:"status"`
	Code           string              `json:"code,omitempty"`
	SubmittedAt    time.Time           `json:"submitted_at"`
	AcceptDue      time.Time           `json:"accept_due"`
	AcceptedAt     *time.Time          `json:"accepted_at,omitempty"`
	ReviewDue      *time.Time          `json:"review_due,omitempty"`
	NoticeStart    *time.Time          `json:"notice_start,omitempty"`
	NoticeDue      *time.Time          `json:"notice_due,omitempty"`
	RegisteredAt   *time.Time          `json:"registered_at,omitempty"`
	ValidFrom      string              `json:"valid_from,omitempty"`
	ValidUntil     string              `json:"valid_until,omitempty"`
	Reason         string              `json:"reason,omitempty"`
	RenewalDue     bool                `json:"renewal_due"` // registered and within 60 days of expiry
	Objections     []RegistryObjection `json:"objections"`
}

// RegistryObjection is a real-name objection during the public notice.
type RegistryObjection struct {
	ID        int64      `json:"id"`
	RealName  string     `json:"real_name"`
	Text      string     `json:"text"`
	Evidence  string     `json:"evidence"`
	Status    string     `json:"status"` // open, upheld, dismissed
	Decision  string     `json:"decision,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// RegistryNotice is what the public notice shows (NREG.6: the subject, the
// kind, the name of the data and a short description).
type RegistryNotice struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	Type        string     `json:"type"`
	SubjectName string     `json:"subject_name"`
	Name        string     `json:"name"`
	Summary     string     `json:"summary"`
	Status      string     `json:"status"`
	NoticeStart *time.Time `json:"notice_start,omitempty"`
	NoticeDue   *time.Time `json:"notice_due,omitempty"`
	Code        string     `json:"code,omitempty"`
	ValidUntil  string     `json:"valid_until,omitempty"`
}

// Actions on registrations.
const (
	ActRegistrySubmit Action = "registry.submit" // apply (departments: resources; operator: products)
	ActRegistryRead   Action = "registry.read"   // read applications and registrations
	ActRegistryDecide Action = "registry.decide" // the stand-in registry: accept, review, notice, code
	ActRegistryObject Action = "registry.object" // a real-name objection during the notice
	ActRegistryDue    Action = "registry.due"    // first registrations still to be applied for (NREG.4)
	ActRegistryCode   Action = "registry.code"   // record the code received from the national registry (NREG.7)
	ActRegistryRevoke Action = "registry.revoke" // revoke a registration for false materials (NREG.8)
)

// registryRules: departments apply for and read their own resources'
// registrations, the operator its products'; the city authority is the
// stand-in registry and reads all, as do regulators; any real-name account
// may object during a public notice (the notices themselves are public).
var registryRules = []Rule{
	{RoleDept, ActRegistrySubmit, ScopeOrg},
	{RoleOperatorAdmin, ActRegistrySubmit, ScopeOrg},
	{RoleDept, ActRegistryRead, ScopeOrg},
	{RoleOperatorAdmin, ActRegistryRead, ScopeOrg},
	{RoleOperatorReviewer, ActRegistryRead, ScopeOrg},
	{RoleAuthority, ActRegistryRead, ScopeAny},
	{RoleRegulator, ActRegistryRead, ScopeAny},
	{RoleAuthority, ActRegistryDecide, ScopeAny},
	// NREG.4: the registering party sees its own pending first
	// registrations; the registry and the regulators all.
	{RoleDept, ActRegistryDue, ScopeOrg},
	{RoleOperatorAdmin, ActRegistryDue, ScopeOrg},
	{RoleAuthority, ActRegistryDue, ScopeAny},
	{RoleRegulator, ActRegistryDue, ScopeAny},
	// NREG.7, NREG.8: only the registry records a received code and revokes.
	{RoleAuthority, ActRegistryCode, ScopeAny},
	{RoleAuthority, ActRegistryRevoke, ScopeAny},
	{RoleMerchant, ActRegistryObject, ScopeAny},
	{RoleDept, ActRegistryObject, ScopeAny},
	{RoleCountyAuthority, ActRegistryObject, ScopeAny},
	{RoleExpert, ActRegistryObject, ScopeAny},
	{RoleServiceProvider, ActRegistryObject, ScopeAny},
}
