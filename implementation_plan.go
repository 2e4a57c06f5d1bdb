package shuyu

import (
	"strings"
	"time"
	"unicode/utf8"
)

// The implementation plan (实施方案, R12.1, NIMP.2): a versioned document of
// 12 items drafted by the city data authority, approved by the city
// government (its document number and date recorded), filed with the
// provincial data department (the filing number and date recorded). The
// newest filed version is the plan in force and is public. A change that
// touches any of the major items (operator criteria, mode, data scope,
// term, products and services, costs and revenue) is a major change by
// rule and needs the government's approval again (NIMP.2); any other change
// may be adopted by the authority under the approval and filing in force.

// Plan statuses.
const (
	PlanDraft      = "draft"      // drafted by the authority
	PlanApproved   = "approved"   // approved by the city government, not yet filed
	PlanFiled      = "filed"      // filed with the province: in force (the newest one)
	PlanSuperseded = "superseded" // replaced by a newer filed version
)

// PlanStatuses lists the statuses in order.
var PlanStatuses = []string{PlanDraft, PlanApproved, PlanFiled, PlanSuperseded}

// PlanMachine: draft → approved (the government's approval) → filed
// (the province's filing); a minor change goes from draft to filed by the
// authority's adoption under the approval in force.
var PlanMachine = Machine{Name: "实施方案", Table: map[string]map[string]string{
	PlanDraft:    {"approve": PlanApproved, "adopt": PlanFiled},
	PlanApproved: {"file": PlanFiled},
	PlanFiled:    {"supersede": PlanSuperseded},
}}

// PlanItems are the 12 items of the plan (NIMP.2).
type PlanItems struct {
	Name              string `json:"name"`               // 1 名称
	Necessity         string `json:"necessity"`          // 2 必要性和可行性
	OperatorCriteria  string `json:"operator_criteria"`  // 3 运营机构应具备的条件
	Mode              string `json:"mode"`               // 4 授权方式（整体/分领域/依场景）
	DataScope         string `json:"data_scope"`         // 5 数据范围、目录、更新频率和质量要求
	Term              string `json:"term"`               // 6 期限、建设、保障、进度、评估、退出和资产处置
	Products          string `json:"products"`           // 7 产品和服务清单（公共治理和公益事业类、产业和行业发展类）
	Costs             string `json:"costs"`              // 8 成本、收益和分配
	Security          string `json:"security"`           // 9 数据安全和个人信息保护
	RightsObligations string `json:"rights_obligations"` // 10 权利和义务
	Supervision       string `json:"supervision"`        // 11 监督管理
	Other             string `json:"other"`              // 12 其他
}

// PlanItemKeys are the JSON names of the 12 items in order.
var PlanItemKeys = []string{"name", "necessity", "operator_criteria", "mode", "data_scope", "term", "products", "costs",
	"security", "rights_obligations", "supervision", "other"}

// PlanItemLabels are the items' Chinese headings, in order.
var PlanItemLabels = []string{"方案名称", "必要性和可行性", "运营机构应具备的条件", "授权方式", "数据范围、目录、更新频率和质量",
	"期限、建设、保障、进度、评估、退出和资产处置", "产品和服务清单", "成本、收益和分配", "数据安全和个人信息保护", "权利和义务",
	"监督管理", "其他事项"}

// PlanMajorItems are the items whose change is a major change by rule
// (NIMP.2: re-approved by the government).
var PlanMajorItems = []string{"operator_criteria", "mode", "data_scope", "term", "products", "costs"}

// List returns the items in order.
func (it PlanItems) List() []string {
	return []string{it.Name, it.Necessity, it.OperatorCriteria, it.Mode, it.DataScope, it.Term, it.Products, it.Costs,
		it.Security, it.RightsObligations, it.Supervision, it.Other}
}

// ChangedItems lists the keys of the items that differ from old.
func (it PlanItems) ChangedItems(old PlanItems) []string {
	a, b := it.List(), old.List()
	var out []string
	for i := range a {
		if strings.TrimSpace(a[i]) != strings.TrimSpace(b[i]) {
			out = append(out, PlanItemKeys[i])
		}
	}
	return out
}

// PlanInput is what the authority drafts: a title, the 12 items, and
// whether it declares the change major.
type PlanInput struct {
	Title string    `json:"title"`
	Items PlanItems `json:"items"`
	Major bool      `json:"major"`
	Note  string    `json:"note"` // what changed and why (a new version)
}

// Validate checks the title and that every item is written.
func (in *PlanInput) Validate() error {
	var errs []FieldError
	in.Title = strings.TrimSpace(in.Title)
	if n := utf8.RuneCountInString(in.Title); n < 4 || n > 100 {
		errs = append(errs, FieldError{Field: "title", Message: "标题应为 4 到 100 个字"})
	}
	for i, s := range in.Items.List() {
		if n := utf8.RuneCountInString(strings.TrimSpace(s)); n < 2 || n > 10000 {
			errs = append(errs, FieldError{Field: "items." + PlanItemKeys[i], Message: PlanItemLabels[i] + "须填写（2 到 10000 个字）"})
		}
	}
	if utf8.RuneCountInString(in.Note) > 2000 {
		errs = append(errs, FieldError{Field: "note", Message: "说明不超过 2000 字"})
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "实施方案内容不完整 (invalid plan)").WithDetails(errs)
	}
	return nil
}

// Plan is one version of the implementation plan.
type Plan struct {
	ID           int64     `json:"id"`
	Version      int       `json:"version"`
	Title        string    `json:"title"`
	Items        PlanItems `json:"items"`
	Major        bool      `json:"major"`
	Note         string    `json:"note,omitempty"`
	Changed      []string  `json:"changed"` // item keys changed from the version in force when drafted
	Status       string    `json:"status"`
	ApprovalDoc  string    `json:"approval_doc,omitempty"`  // the city government's document number
	ApprovalDate string    `json:"approval_date,omitempty"` // YYYY-MM-DD
	FilingNumber string    `json:"filing_number,omitempty"` // the provincial data department's filing
	FilingDate   string    `json:"filing_date,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// PlanApproval records the city government's approval.
type PlanApproval struct {
	Document string `json:"document"` // e.g. 卫政函〔2025〕12号
	Date     string `json:"date"`     // YYYY-MM-DD
}

// PlanFiling records the provincial filing.
type PlanFiling struct {
	Number string `json:"number"`
	Date   string `json:"date"`
}

// Actions on the implementation plan.
const (
	ActPlanDraft   Action = "plan.draft"   // draft a version, adopt a minor change
	ActPlanApprove Action = "plan.approve" // record the government's approval
	ActPlanFile    Action = "plan.file"    // record the provincial filing
	ActPlanRead    Action = "plan.read"    // read every version (the plan in force is public)
)
