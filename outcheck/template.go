package outcheck

import (
	"fmt"
	"math"

	"shuyu"
)

// The output check of an API-service template (R28.4; docs/disclosure.md,
// "API services"). A service's product is not a table but the set of
// answers its template can give, so the check examines the template: what
// one answer can reveal about its subject, and how much repeated calls can
// add. The column policies (no sensitive column matched, no identifier
// banded) are the engine's (sandbox.CompileService), checked before this.

// TemplateLimits are the thresholds of the template check.
type TemplateLimits struct {
	MaxBits       float64 // information per answer, log2 of the number of distinct answers
	MaxSubjectDay int     // calls per key per subject per day: guesses of a matched value
}

// DefaultTemplateLimits: an answer is at most 6 bits (e.g. two matches and
// a band of eight), and a key may ask about one subject at most 10 times a
// day.
var DefaultTemplateLimits = TemplateLimits{MaxBits: 6, MaxSubjectDay: 10}

// TemplateCheck is one rule's outcome.
type TemplateCheck struct {
	Code    string `json:"code"`
	Status  Status `json:"status"`
	Message string `json:"message"`
}

// TemplateReport is what the check says about a template.
type TemplateReport struct {
	Passed   bool            `json:"passed"`
	Bits     float64         `json:"bits_per_answer"`
	Outcomes int             `json:"distinct_answers"`
	Guesses  int             `json:"guesses_per_subject_day"`
	Checks   []TemplateCheck `json:"checks"`
}

// CheckTemplate examines a service definition.
func CheckTemplate(in *shuyu.APIServiceInput, lim TemplateLimits) *TemplateReport {
	r := &TemplateReport{Passed: true, Outcomes: 1, Guesses: in.SubjectDay}
	add := func(code string, ok bool, msg string, args ...any) {
		st := Pass
		if !ok {
			st, r.Passed = Fail, false
		}
		r.Checks = append(r.Checks, TemplateCheck{Code: code, Status: st, Message: fmt.Sprintf(msg, args...)})
	}
	t := &in.Template
	raw := true
	matches := 0
	for _, o := range t.Outputs {
		r.Outcomes *= max(o.Outcomes(), 1)
		switch o.Kind {
		case shuyu.OutputMatch:
			matches++
		case shuyu.OutputBand, shuyu.OutputCategory:
		default:
			raw = false
		}
	}
	r.Bits = math.Round(math.Log2(float64(r.Outcomes))*100) / 100
	add("no_raw_field", raw, "输出只含是否一致、分档和归类，不含任何原始字段")
	add("bits", r.Bits <= lim.MaxBits, "每次应答最多透露 %.2f 比特（%d 种可能的应答），上限 %.0f 比特", r.Bits, r.Outcomes, lim.MaxBits)
	add("subject_limit", in.SubjectDay <= lim.MaxSubjectDay,
		"同一调用方每天对同一对象最多调用 %d 次（上限 %d）：比对字段最多被猜 %d 次，分档结果重复调用不增加信息", in.SubjectDay, lim.MaxSubjectDay, in.SubjectDay)
	if t.SubjectKind() == shuyu.SubjectPerson {
		add("consent", in.Consent, "以个人为对象的服务须经本人授权后方可调用（R28.5）")
	}
	if matches > 0 {
		add("match_supplied", true, "是否一致类输出只比对调用方已提供的值，不返回库中的值")
	}
	return r
}
