package outcheck

import "fmt"

// Kind is a class of personal information (R28.5).
type Kind string

// Personal-information kinds the scan recognises.
const (
	KindCitizenID Kind = "citizen_id" // 公民身份号码, GB 11643 check character valid
	KindMobile    Kind = "mobile"     // mainland mobile number
	KindBankCard  Kind = "bank_card"  // 16-19 digits, Luhn valid
	KindUSCC      Kind = "uscc"       // 统一社会信用代码, GB 32100 check valid
	KindEmail     Kind = "email"
	KindName      Kind = "person_name" // 2-3 Han characters after a common surname
)

// kinds is the scan order; its index is the bit in a value's kind mask.
var kinds = [...]Kind{KindCitizenID, KindMobile, KindBankCard, KindUSCC, KindEmail, KindName}

func kindLabel(k Kind) string {
	switch k {
	case KindCitizenID:
		return "公民身份号码"
	case KindMobile:
		return "手机号码"
	case KindBankCard:
		return "银行卡号"
	case KindUSCC:
		return "统一社会信用代码"
	case KindEmail:
		return "电子邮箱"
	case KindName:
		return "姓名"
	}
	return ""
}

// Status is the outcome of a check or finding.
type Status string

// Outcomes. A warning does not block the product but is put before the
// human reviewer; a failure blocks it.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check names.
const (
	CheckPersonalInfo = "personal_info"      // R28.5
	CheckRawOverlap   = "raw_overlap"        // R28.3, R24.1
	CheckKAnonymity   = "k_anonymity"        // R28.3
	CheckCells        = "cell_threshold"     // R28.3
	CheckDominance    = "dominance"          // R28.3
	CheckOneToOne     = "reversible_key"     // R28.4
	CheckHash         = "reversible_hash"    // R28.4
	CheckLinkage      = "reversible_linkage" // R28.4
	CheckPerturbation = "perturbation"       // R28.4
)

var checkInfo = []struct{ name, req, label string }{
	{CheckPersonalInfo, "R28.5", "个人信息扫描"},
	{CheckRawOverlap, "R28.3 R24.1", "原始数据重合"},
	{CheckKAnonymity, "R28.3", "k-匿名与唯一性"},
	{CheckCells, "R28.3", "小单元格"},
	{CheckDominance, "R28.3", "优势主导"},
	{CheckOneToOne, "R28.4", "一一映射键"},
	{CheckHash, "R28.4", "可逆哈希"},
	{CheckLinkage, "R28.4", "记录可关联还原"},
	{CheckPerturbation, "R28.4", "微扰还原"},
}

// Finding is one piece of evidence: counts, never values.
type Finding struct {
	Status  Status `json:"status"`
	Table   string `json:"table"`
	Column  string `json:"column,omitempty"`
	Count   int64  `json:"count"` // values, rows or cells concerned
	Total   int64  `json:"total"` // out of how many
	Message string `json:"message"`
}

// Result is one check over the whole product.
type Result struct {
	Name        string    `json:"name"`
	Requirement string    `json:"requirement"`
	Label       string    `json:"label"`
	Status      Status    `json:"status"`
	Findings    []Finding `json:"findings,omitempty"`
}

// Report is the outcome of the automatic output check.
type Report struct {
	ProductID    string   `json:"product_id"`
	RulesVersion int      `json:"rules_version"`
	Passed       bool     `json:"passed"` // no check failed
	Rows         int64    `json:"rows"`
	Checks       []Result `json:"checks"`
}

// Check returns the result of the named check.
func (r *Report) Check(name string) Result {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return Result{Name: name}
}

// Failed lists the names of the checks that failed.
func (r *Report) Failed() []string {
	var out []string
	for _, c := range r.Checks {
		if c.Status == Fail {
			out = append(out, c.Name)
		}
	}
	return out
}

// collector gathers findings per check.
type collector struct {
	byCheck map[string][]Finding
}

func (c *collector) add(check string, st Status, table, column string, count, total int64, format string, args ...any) {
	if c.byCheck == nil {
		c.byCheck = map[string][]Finding{}
	}
	c.byCheck[check] = append(c.byCheck[check], Finding{
		Status: st, Table: table, Column: column, Count: count, Total: total,
		Message: fmt.Sprintf(format, args...),
	})
}

func (c *collector) report(productID string, version int, rows int64) *Report {
	r := &Report{ProductID: productID, RulesVersion: version, Passed: true, Rows: rows}
	for _, ci := range checkInfo {
		res := Result{Name: ci.name, Requirement: ci.req, Label: ci.label, Status: Pass, Findings: c.byCheck[ci.name]}
		for _, f := range res.Findings {
			if f.Status == Fail {
				res.Status = Fail
			} else if f.Status == Warn && res.Status == Pass {
				res.Status = Warn
			}
		}
		if res.Status == Fail {
			r.Passed = false
		}
		r.Checks = append(r.Checks, res)
	}
	return r
}
