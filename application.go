package shuyu

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Purposes of use (R24.2): public governance and public welfare use is
// conditionally free, industry use conditionally paid.
const (
	PurposeGovernance = "public_governance"
	PurposeWelfare    = "public_welfare"
	PurposeIndustry   = "industry"
)

// Fee modes derived from the purpose (R24.2).
const (
	FeeFree = "conditional_free"
	FeePaid = "conditional_paid"
)

// FeeMode is the fee mode a purpose implies (R24.2); the merchant does not
// choose it, so the same rule applies to everyone (R22.1).
func FeeMode(purpose string) string {
	if purpose == PurposeIndustry {
		return FeePaid
	}
	return FeeFree
}

// ScenarioTags are the priority scenarios of R4.4.
var ScenarioTags = []string{"livelihood", "urgent_need", "high_value", "strategic"}

// Methods of use (R20.1).
var Methods = []string{"sandbox", "api", "model_training", "data_product"}

// Application states (R20, R21).
const (
	AppChecking  = "checking"  // the operator's compliance check, 5 WD (R20.2)
	AppReturned  = "returned"  // the check failed; the merchant may revise
	AppReviewing = "reviewing" // reviews in parallel, 10 WD each (R21.1)
	AppApproved  = "approved"
	AppRejected  = "rejected"
	AppWithdrawn = "withdrawn"
)

// ApplicationMachine is the application as a table. A revision after a
// return or rejection opens a new round; earlier rounds stay as history.
var ApplicationMachine = Machine{Name: "使用申请", Table: map[string]map[string]string{
	AppChecking:  {"pass": AppReviewing, "fail": AppReturned, "withdraw": AppWithdrawn},
	AppReturned:  {"resubmit": AppChecking, "withdraw": AppWithdrawn},
	AppReviewing: {"all_approved": AppApproved, "reject": AppRejected, "withdraw": AppWithdrawn},
	AppRejected:  {"resubmit": AppChecking, "withdraw": AppWithdrawn},
}}

// MaxTerm is the longest term an application may ask for: the measures and
// the authorizations under them are valid for three years (R34.1).
const MaxTerm = 3

// ApplicationInput is what a merchant submits (R20.1).
type ApplicationInput struct {
	Title     string        `json:"title"`
	Scenario  string        `json:"scenario"`
	Tags      []string      `json:"tags"`
	Purpose   string        `json:"purpose"`
	Method    string        `json:"method"`
	TermStart string        `json:"term_start"` // YYYY-MM-DD
	TermEnd   string        `json:"term_end"`
	Security  string        `json:"security_measures"`
	Items     []ItemRequest `json:"items"`
}

// ItemRequest names a catalog entry and the fields wanted from it.
type ItemRequest struct {
	EntryID int64    `json:"entry_id"`
	Fields  []string `json:"fields"`
}

// cst is Beijing time for date checks; China keeps no daylight saving, so
// the fixed zone equals Asia/Shanghai for every date that matters here.
var cst = time.FixedZone("CST", 8*3600)

// Validate checks the application's shape against today (now's date in
// Beijing time). Catalog checks (published, not prohibited, fields exist)
// and the operator's authorization term are the store's.
func (in *ApplicationInput) Validate(now time.Time) (start, end time.Time, err error) {
	var errs []FieldError
	need := func(field, label, v string, lo, hi int) {
		if n := len([]rune(strings.TrimSpace(v))); n < lo || n > hi {
			errs = append(errs, FieldError{field, label})
		}
	}
	need("title", "申请名称须为 4 至 100 个字", in.Title, 4, 100)
	need("scenario", "应用场景须为 10 至 5000 个字 (R20.1)", in.Scenario, 10, 5000)
	need("security_measures", "安全保障措施须为 10 至 5000 个字 (R20.1)", in.Security, 10, 5000)
	for _, t := range in.Tags {
		if !slices.Contains(ScenarioTags, t) {
			errs = append(errs, FieldError{"tags", fmt.Sprintf("场景标签 %q 无效 (R4.4)", t)})
		}
	}
	if in.Purpose != PurposeGovernance && in.Purpose != PurposeWelfare && in.Purpose != PurposeIndustry {
		errs = append(errs, FieldError{"purpose", "用途须为公共治理、公益事业或产业发展 (R24.2)"})
	}
	if !slices.Contains(Methods, in.Method) {
		errs = append(errs, FieldError{"method", "使用方式须为沙箱分析、接口服务、模型训练或数据产品 (R20.1)"})
	}
	start, e1 := time.ParseInLocation(time.DateOnly, in.TermStart, cst)
	end, e2 := time.ParseInLocation(time.DateOnly, in.TermEnd, cst)
	today := now.In(cst)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, cst)
	switch {
	case e1 != nil || e2 != nil:
		errs = append(errs, FieldError{"term", "使用期限的起止日期须为 YYYY-MM-DD"})
	case start.Before(today):
		errs = append(errs, FieldError{"term_start", "使用期限不得早于今天"})
	case !end.After(start):
		errs = append(errs, FieldError{"term_end", "使用期限的结束日期须晚于开始日期"})
	case end.After(start.AddDate(MaxTerm, 0, 0)):
		errs = append(errs, FieldError{"term_end", fmt.Sprintf("使用期限不得超过 %d 年 (R34.1)", MaxTerm)})
	}
	if len(in.Items) == 0 {
		errs = append(errs, FieldError{"items", "至少申请一个目录及其信息项"})
	}
	seen := map[int64]bool{}
	for i, it := range in.Items {
		if seen[it.EntryID] {
			errs = append(errs, FieldError{fmt.Sprintf("items[%d]", i), "同一目录不得重复申请"})
		}
		seen[it.EntryID] = true
		if len(it.Fields) == 0 {
			errs = append(errs, FieldError{fmt.Sprintf("items[%d].fields", i), "须列出所需的信息项 (R20.1 使用范围)"})
		}
	}
	if len(errs) > 0 {
		return start, end, Errorf(EINVALID, "使用申请材料不完整或有误 (application incomplete)").WithDetails(errs)
	}
	return start, end, nil
}

// Application is a merchant's data-use application in its current round.
type Application struct {
	ID            int64             `json:"id"`
	MerchantOrgID int64             `json:"merchant_org_id"`
	MerchantName  string            `json:"merchant_name"`
	Round         int               `json:"round"`
	Status        string            `json:"status"`
	Title         string            `json:"title"`
	Scenario      string            `json:"scenario"`
	Tags          []string          `json:"tags"`
	Purpose       string            `json:"purpose"`
	FeeMode       string            `json:"fee_mode"`
	Method        string            `json:"method"`
	TermStart     string            `json:"term_start"`
	TermEnd       string            `json:"term_end"`
	Security      string            `json:"security_measures"`
	Items         []ApplicationItem `json:"items"`
	SubmittedAt   time.Time         `json:"submitted_at"`
	Check         Check             `json:"check"`
	Reviews       []Review          `json:"reviews"`
	Files         []File            `json:"files,omitempty"`
	AgreementID   int64             `json:"agreement_id,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	// Partial is true when the viewer is a reviewer shown only the items
	// touching its own data (R22.1).
	Partial bool `json:"partial,omitempty"`
}

// ApplicationItem is one requested catalog entry with its fields.
type ApplicationItem struct {
	EntryID   int64    `json:"entry_id"`
	EntryCode string   `json:"entry_code"`
	EntryName string   `json:"entry_name"`
	OrgID     int64    `json:"org_id"` // the source department
	OrgName   string   `json:"org_name"`
	Region    string   `json:"region"`
	Fields    []string `json:"fields"`
	// FieldLabels are the fields' Chinese labels (信息项名称), in the order
	// of Fields, for people: the form, the application and the agreement.
	FieldLabels []string `json:"field_labels,omitempty"`
}

// Check is the operator's compliance check of a round (R17.1, R20.2).
type Check struct {
	Deadline  Deadline   `json:"deadline"`
	CheckedAt *time.Time `json:"checked_at,omitempty"`
	CheckedBy int64      `json:"checked_by,omitempty"`
	Passed    *bool      `json:"passed,omitempty"`
	Reason    string     `json:"reason,omitempty"`
}

// CheckResult is the operator's answer; a failure returns the application
// with reasons.
type CheckResult struct {
	Pass   bool   `json:"pass"`
	Reason string `json:"reason"`
	// Checklist is the filled checklist (R17.1): required once the
	// authority approved a 核查规范 for applications; then Pass must agree
	// with it and every failed item carries its own reason.
	Checklist []ChecklistAnswer `json:"checklist,omitempty"`
}

// Validate: a failed check must say why, so the merchant can fix it (a
// checklist says why item by item).
func (c CheckResult) Validate() error {
	if !c.Pass && len(c.Checklist) == 0 && len([]rune(strings.TrimSpace(c.Reason))) < 4 {
		return Errorf(EINVALID, "核查不通过须说明理由（至少 4 个字） (a failed check must state its reasons)").
			WithDetails([]FieldError{{"reason", "请填写核查不通过的理由"}})
	}
	return nil
}
