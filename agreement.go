package shuyu

import (
	"fmt"
	"strings"
	"time"
)

// Clause is one clause of the format agreement template.
type Clause struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	Text  string `json:"text"` // may hold {{placeholders}}, filled from the application
}

// ClauseKeys are the ten clauses R19.1 requires, in order.
var ClauseKeys = []string{"rights", "scenario", "data_scope", "term", "conditions", "security",
	"fees", "trading", "termination", "liability"}

// ClauseTitles are their Chinese titles.
var ClauseTitles = map[string]string{
	"rights": "权利义务", "scenario": "应用场景", "data_scope": "数据范围", "term": "使用期限",
	"conditions": "使用条件", "security": "安全要求", "fees": "服务费用", "trading": "进场交易条件",
	"termination": "协议终止", "liability": "违约责任",
}

// Placeholders an agreement template may use.
var Placeholders = []string{"{{merchant}}", "{{operator}}", "{{application}}", "{{scenario}}", "{{data_scope}}",
	"{{term}}", "{{method}}", "{{purpose}}", "{{fee_mode}}", "{{security_measures}}"}

// ValidateClauses: a template holds exactly the ten clauses of R19.1, in
// order, each with text.
func ValidateClauses(cs []Clause) []FieldError {
	var errs []FieldError
	if len(cs) != len(ClauseKeys) {
		return []FieldError{{"clauses", fmt.Sprintf("格式协议须包含 %d 项条款：%s (R19.1)", len(ClauseKeys), clauseList())}}
	}
	for i, c := range cs {
		if c.Key != ClauseKeys[i] {
			errs = append(errs, FieldError{fmt.Sprintf("clauses[%d].key", i),
				fmt.Sprintf("第 %d 项条款应为“%s”(%s)", i+1, ClauseTitles[ClauseKeys[i]], ClauseKeys[i])})
			continue
		}
		if n := len([]rune(strings.TrimSpace(c.Text))); n < 4 || n > 10000 {
			errs = append(errs, FieldError{fmt.Sprintf("clauses[%d].text", i), "条款正文须为 4 至 10000 字"})
		}
	}
	return errs
}

func clauseList() string {
	var s []string
	for _, k := range ClauseKeys {
		s = append(s, ClauseTitles[k])
	}
	return strings.Join(s, "、")
}

// Agreement states (R19.1, R34.1).
const (
	AgrPending        = "pending_signature"
	AgrMerchantSigned = "merchant_signed"
	AgrEffective      = "effective"
	AgrTerminated     = "terminated"
	AgrExpired        = "expired"
)

// AgreementMachine: the merchant signs first, then the operator, and the
// agreement takes effect; it ends on termination or at the end of its
// term (R34.1).
var AgreementMachine = Machine{Name: "开发利用协议", Table: map[string]map[string]string{
	AgrPending:        {"sign_merchant": AgrMerchantSigned, "terminate": AgrTerminated},
	AgrMerchantSigned: {"sign_operator": AgrEffective, "terminate": AgrTerminated},
	AgrEffective:      {"terminate": AgrTerminated, "expire": AgrExpired},
}}

// Agreement is a development agreement generated from the approved
// template and an approved application.
type Agreement struct {
	ID            int64       `json:"id"`
	Number        string      `json:"number"`
	ApplicationID int64       `json:"application_id"`
	Round         int         `json:"round"`
	TemplateID    int64       `json:"template_id"`
	MerchantOrgID int64       `json:"merchant_org_id"`
	OperatorOrgID int64       `json:"operator_org_id"`
	Title         string      `json:"title"`
	Text          string      `json:"text"`       // the canonical text that is signed
	DigestSM3     string      `json:"digest_sm3"` // hex SM3 of Text
	TermStart     string      `json:"term_start"`
	TermEnd       string      `json:"term_end"`
	Status        string      `json:"status"`
	CreatedAt     time.Time   `json:"created_at"`
	EffectiveAt   *time.Time  `json:"effective_at,omitempty"`
	EndedAt       *time.Time  `json:"ended_at,omitempty"`
	EndReason     string      `json:"end_reason,omitempty"`
	Signatures    []Signature `json:"signatures"`
}

// Signature is one party's SM2 signature over the SM3 digest of the text.
type Signature struct {
	Party     string    `json:"party"` // merchant, operator
	OrgID     int64     `json:"org_id"`
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	PublicKey string    `json:"public_key"` // hex, uncompressed SM2 point
	Signature string    `json:"signature"`  // hex, ASN.1
	SignedAt  time.Time `json:"signed_at"`
}

// AgreementFacts are what the template's placeholders are filled with.
type AgreementFacts struct {
	Number, Merchant, Operator, Application, Scenario, DataScope, Term, Method, Purpose, FeeMode, Security string
}

// RenderAgreement builds the canonical text: LF line ends, no trailing
// spaces, clauses numbered in the order of R19.1. The same inputs always
// give the same bytes, so the SM3 digest can be recomputed by anyone.
func RenderAgreement(title string, clauses []Clause, f AgreementFacts) string {
	r := strings.NewReplacer("{{merchant}}", f.Merchant, "{{operator}}", f.Operator, "{{application}}", f.Application,
		"{{scenario}}", f.Scenario, "{{data_scope}}", f.DataScope, "{{term}}", f.Term, "{{method}}", f.Method,
		"{{purpose}}", f.Purpose, "{{fee_mode}}", f.FeeMode, "{{security_measures}}", f.Security)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n协议编号：%s\n甲方（运营机构）：%s\n乙方（数据商）：%s\n", title, f.Number, f.Operator, f.Merchant)
	for i, c := range clauses {
		fmt.Fprintf(&b, "\n第%s条 %s\n%s\n", chineseNumber(i+1), ClauseTitles[c.Key], r.Replace(strings.TrimSpace(c.Text)))
	}
	lines := strings.Split(strings.ReplaceAll(b.String(), "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

func chineseNumber(n int) string {
	d := []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
	switch {
	case n <= 10:
		return d[n]
	case n < 20:
		return "十" + d[n-10]
	}
	return fmt.Sprint(n)
}

// PurposeLabels, MethodLabels, TagLabels and FeeLabels are shown to users.
var (
	PurposeLabels = map[string]string{PurposeGovernance: "公共治理", PurposeWelfare: "公益事业", PurposeIndustry: "产业发展"}
	MethodLabels  = map[string]string{"sandbox": "沙箱分析", "api": "接口服务", "model_training": "模型训练", "data_product": "数据产品"}
	TagLabels     = map[string]string{"livelihood": "民生保障", "urgent_need": "社会急需", "high_value": "产业价值高", "strategic": "战略性产业"}
	FeeLabels     = map[string]string{FeeFree: "有条件无偿使用", FeePaid: "有条件有偿使用"}
)
