package shuyu

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The operator's authorization agreement (授权运营协议, R13.1, R4.1, NIMP.3).
//
// The city's data authority (the implementing body) authorizes the operator
// by an agreement of 13 items, with a mode (整体/分领域/依场景), a scope
// (catalog entries, catalog domains i.e. top-level categories, scenarios)
// and a term of at most 5 years. Both sides sign with their SM2 keys; the
// operator's signature puts it in force. The store refuses applications,
// workspaces and products outside every authorization in force
// (sqlstore/authorization_scope.go, the one check).

// Authorization statuses.
const (
	AuthzDraft     = "draft"     // drafted by the authority, not yet signed
	AuthzSigned    = "signed"    // signed by the authority, waiting for the operator
	AuthzEffective = "effective" // signed by both: in force during its term
	AuthzEnded     = "ended"     // ended early (exit) by the authority
)

// AuthorizationStatuses lists the statuses in their order.
var AuthorizationStatuses = []string{AuthzDraft, AuthzSigned, AuthzEffective, AuthzEnded}

// AuthorizationMachine: draft → signed (authority) → effective (operator);
// an effective one may be ended (exit).
var AuthorizationMachine = Machine{Name: "授权运营协议", Table: map[string]map[string]string{
	AuthzDraft:     {"sign_authority": AuthzSigned},
	AuthzSigned:    {"sign_operator": AuthzEffective},
	AuthzEffective: {"end": AuthzEnded},
}}

// MaxAuthorizationYears is the longest term an authorization may have
// (NIMP.3: "in principle at most 5 years").
const MaxAuthorizationYears = 5

// AuthorizationItems are the 13 items of the agreement (NIMP.3). Scope,
// mode and term are structured fields of the agreement; the other items
// are texts the authority writes.
type AuthorizationItems struct {
	Object      string `json:"object"`      // 1 授权对象（运营机构及其基本情况）
	Content     string `json:"content"`     // 2 授权内容
	ScopeNote   string `json:"scope_note"`  // 3 授权范围的说明（范围本身见 scope）
	ModeNote    string `json:"mode_note"`   // 4 授权方式的说明（方式本身见 mode）
	TermNote    string `json:"term_note"`   // 5 授权期限的说明（期限本身见 term）
	Selection   string `json:"selection"`   // 6 运营机构遴选情况（竞争性遴选记录）
	Products    string `json:"products"`    // 7 产品和服务范围及分类
	Security    string `json:"security"`    // 8 数据安全与个人信息保护要求
	Pricing     string `json:"pricing"`     // 9 收费、收益与价格机制
	Duties      string `json:"duties"`      // 10 权利和义务（含不得参与已交付产品再开发）
	Disclosure  string `json:"disclosure"`  // 11 信息披露义务
	Supervision string `json:"supervision"` // 12 监督管理与违约责任
	Exit        string `json:"exit"`        // 13 退出机制、终止条件与资产处置
}

// AuthorizationItemKeys are the JSON names of the 13 items in their order.
var AuthorizationItemKeys = []string{"object", "content", "scope_note", "mode_note", "term_note", "selection",
	"products", "security", "pricing", "duties", "disclosure", "supervision", "exit"}

// List returns the items in their order.
func (it AuthorizationItems) List() []string {
	return []string{it.Object, it.Content, it.ScopeNote, it.ModeNote, it.TermNote, it.Selection, it.Products,
		it.Security, it.Pricing, it.Duties, it.Disclosure, it.Supervision, it.Exit}
}

// AuthorizationItemLabels are the items' Chinese headings, in order.
var AuthorizationItemLabels = []string{"授权对象", "授权内容", "授权范围", "授权方式", "授权期限", "运营机构遴选情况",
	"产品和服务范围", "数据安全要求", "收费与收益", "权利和义务", "信息披露", "监督管理与违约责任", "退出机制"}

// AuthorizationScope is what the authorization covers (R4.1). Entries are
// catalog entry ids; Domains are codes of top-level catalog categories;
// Scenarios are the names of the scenarios (for 依场景授权).
type AuthorizationScope struct {
	Entries   []int64  `json:"entries"`
	Domains   []string `json:"domains"`
	Scenarios []string `json:"scenarios"`
}

// AuthorizationInput is what the authority drafts.
type AuthorizationInput struct {
	OperatorOrgID int64              `json:"operator_org_id"`
	Title         string             `json:"title"`
	Mode          AuthMode           `json:"mode"`
	Scope         AuthorizationScope `json:"scope"`
	TermStart     string             `json:"term_start"` // YYYY-MM-DD
	TermEnd       string             `json:"term_end"`   // YYYY-MM-DD, inclusive
	Items         AuthorizationItems `json:"items"`
}

// Authorization is the agreement record.
type Authorization struct {
	ID             int64              `json:"id"`
	Number         string             `json:"number"`
	AuthorityOrgID int64              `json:"authority_org_id"`
	AuthorityName  string             `json:"authority_name"`
	OperatorOrgID  int64              `json:"operator_org_id"`
	OperatorName   string             `json:"operator_name"`
	Title          string             `json:"title"`
	Mode           AuthMode           `json:"mode"`
	Scope          AuthorizationScope `json:"scope"`
	TermStart      string             `json:"term_start"`
	TermEnd        string             `json:"term_end"`
	Items          AuthorizationItems `json:"items"`
	Text           string             `json:"text,omitempty"`
	DigestSM3      string             `json:"digest_sm3"`
	Status         string             `json:"status"`
	FilingNumber   string             `json:"filing_number,omitempty"` // provincial filing (备案) number
	FiledAt        *time.Time         `json:"filed_at,omitempty"`
	EndedOn        string             `json:"ended_on,omitempty"` // the last day when ended early
	EndReason      string             `json:"end_reason,omitempty"`
	CreatedAt      time.Time          `json:"created_at"`
	EffectiveAt    *time.Time         `json:"effective_at,omitempty"`
	Signatures     []Signature        `json:"signatures"`
}

// LastDay is the last day the authorization covers: its term end, or the
// day it was ended on when earlier.
func (a *Authorization) LastDay() string {
	if a.EndedOn != "" && a.EndedOn < a.TermEnd {
		return a.EndedOn
	}
	return a.TermEnd
}

// InForce reports whether the authorization covers the day (YYYY-MM-DD).
func (a *Authorization) InForce(day string) bool {
	return (a.Status == AuthzEffective || a.Status == AuthzEnded) && a.TermStart <= day && day <= a.LastDay()
}

// Validate checks the draft: a known mode, a scope that fits the mode, a
// term of at most 5 years (NIMP.3, refused otherwise), all 13 items.
func (in *AuthorizationInput) Validate() error {
	var errs []FieldError
	add := func(f, m string) { errs = append(errs, FieldError{Field: f, Message: m}) }
	in.Title = strings.TrimSpace(in.Title)
	if n := utf8.RuneCountInString(in.Title); n < 4 || n > 100 {
		add("title", "标题应为 4 到 100 个字")
	}
	if in.OperatorOrgID <= 0 {
		add("operator_org_id", "须选择运营机构")
	}
	// R4.1: the mode decides what the scope must name.
	switch in.Mode {
	case AuthWhole:
	case AuthDomain:
		if len(in.Scope.Domains) == 0 {
			add("scope.domains", "分领域授权须列明授权的领域")
		}
	case AuthScenario:
		if len(in.Scope.Scenarios) == 0 {
			add("scope.scenarios", "依场景授权须列明授权的场景")
		}
		if len(in.Scope.Entries) == 0 {
			add("scope.entries", "依场景授权须列明场景可用的目录")
		}
	default:
		add("mode", "授权方式只能是整体授权、分领域授权或依场景授权")
	}
	for i, s := range in.Scope.Scenarios {
		in.Scope.Scenarios[i] = strings.TrimSpace(s)
		if n := utf8.RuneCountInString(in.Scope.Scenarios[i]); n < 2 || n > 50 {
			add(fmt.Sprintf("scope.scenarios[%d]", i), "场景名称应为 2 到 50 个字")
		}
	}
	slices.Sort(in.Scope.Entries)
	in.Scope.Entries = slices.Compact(in.Scope.Entries)
	slices.Sort(in.Scope.Domains)
	in.Scope.Domains = slices.Compact(in.Scope.Domains)
	if len(in.Scope.Entries) > 2000 || len(in.Scope.Domains) > 200 || len(in.Scope.Scenarios) > 200 {
		add("scope", "授权范围条目过多")
	}
	start, err1 := time.Parse(time.DateOnly, in.TermStart)
	end, err2 := time.Parse(time.DateOnly, in.TermEnd)
	switch {
	case err1 != nil:
		add("term_start", "日期须为 YYYY-MM-DD")
	case err2 != nil:
		add("term_end", "日期须为 YYYY-MM-DD")
	case !end.After(start):
		add("term_end", "结束日期须晚于开始日期")
	case !end.Before(start.AddDate(MaxAuthorizationYears, 0, 0)):
		// NIMP.3: the last day may be at most start + 5 years − 1 day.
		add("term_end", fmt.Sprintf("授权期限不得超过 %d 年（最晚至 %s）", MaxAuthorizationYears,
			start.AddDate(MaxAuthorizationYears, 0, -1).Format(time.DateOnly)))
	}
	items := in.Items.List()
	for i := range items {
		s := strings.TrimSpace(items[i])
		if n := utf8.RuneCountInString(s); n < 2 || n > 5000 {
			add("items."+AuthorizationItemKeys[i], AuthorizationItemLabels[i]+"须填写（2 到 5000 个字）")
		}
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "授权协议内容不完整或不合规 (invalid authorization)").WithDetails(errs)
	}
	return nil
}

// RenderAuthorization is the agreement's text: the signed digest is over
// exactly these bytes.
func RenderAuthorization(a *Authorization, scopeLines []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n协议编号：%s\n授权主体：%s\n运营机构：%s\n", a.Title, a.Number, a.AuthorityName, a.OperatorName)
	fmt.Fprintf(&b, "授权方式：%s\n授权期限：%s 至 %s\n授权范围：\n", AuthModeLabels[a.Mode], a.TermStart, a.TermEnd)
	for _, l := range scopeLines {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	for i, s := range a.Items.List() {
		fmt.Fprintf(&b, "第%d条 %s\n%s\n", i+1, AuthorizationItemLabels[i], strings.TrimSpace(s))
	}
	return b.String()
}

// Actions on authorizations (R13.1).
const (
	ActAuthorizationDraft Action = "authorization.draft" // draft and end (the authority)
	ActAuthorizationSign  Action = "authorization.sign"  // sign for one's side
	ActAuthorizationFile  Action = "authorization.file"  // record the provincial filing
	ActAuthorizationRead  Action = "authorization.read"  // read the agreements
)

// authorizationRules joins the rows of issue 15's capabilities (the
// agreement, registration, disclosure) into Policy.
var authorizationRules = slices.Concat(authzRules, registryRules, disclosureRules)

// authzRules: the authority drafts, signs, files and ends; the operator's
// administrator signs for the operator; the operator and the regulators
// read. Merchants and departments see only what is disclosed publicly.
var authzRules = []Rule{
	{RoleAuthority, ActAuthorizationDraft, ScopeAny},
	{RoleAuthority, ActAuthorizationSign, ScopeAny},
	{RoleOperatorAdmin, ActAuthorizationSign, ScopeParty},
	{RoleAuthority, ActAuthorizationFile, ScopeAny},
	{RoleAuthority, ActAuthorizationRead, ScopeAny},
	{RoleOperatorAdmin, ActAuthorizationRead, ScopeParty},
	{RoleOperatorReviewer, ActAuthorizationRead, ScopeParty},
	{RoleRegulator, ActAuthorizationRead, ScopeAny},
}
