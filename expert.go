package shuyu

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The expert committee (专家委员会, R7.1): the operator or the authority
// refers a case (an application, a product, a registration, an incident)
// with questions to named experts; each expert sees only the
// cases referred to them and gives an opinion, signed with the committee's
// SM2 key after re-entering their password (as agreements are signed). The
// opinions are attached to the case's record and shown to those who decide
// it; a referral marked Blocking holds the case's deciding step until every
// named expert has given an opinion (or the referral is withdrawn).

// Case kinds an expert may be consulted on.
const (
	CaseApplication  = "application"  // a usage application (R20, R21)
	CaseProduct      = "product"      // a data product's output review (R23)
	CaseRegistration = "registration" // a merchant's onboarding (R18)
	CaseIncident     = "incident"     // a security incident handled under an emergency plan (R28.2); a blocking referral holds its closure
)

// ExpertCaseKinds lists the kinds.
var ExpertCaseKinds = []string{CaseApplication, CaseProduct, CaseRegistration, CaseIncident}

// Referral statuses.
const (
	ReferralOpen      = "open"      // waiting for opinions
	ReferralAnswered  = "answered"  // every named expert gave an opinion
	ReferralWithdrawn = "withdrawn" // the referrer withdrew it, with a reason
)

// Opinion conclusions.
const (
	OpinionSupport     = "support"     // 同意
	OpinionConditional = "conditional" // 有条件同意
	OpinionOppose      = "oppose"      // 不同意
)

// OpinionConclusions lists the conclusions.
var OpinionConclusions = []string{OpinionSupport, OpinionConditional, OpinionOppose}

// ExpertMember is an expert a referral names.
type ExpertMember struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
}

// ExpertOpinion is one expert's signed opinion.
type ExpertOpinion struct {
	ID          int64     `json:"id"`
	ExpertID    int64     `json:"expert_id"`
	ExpertName  string    `json:"expert_name"`
	Conclusion  string    `json:"conclusion"`
	Opinion     string    `json:"opinion"`
	DigestSM3   string    `json:"digest_sm3"` // over OpinionText
	PublicKey   string    `json:"public_key"` // hex, the committee's SM2 key
	Signature   string    `json:"signature"`  // hex, ASN.1 SM2 signature over the digest
	SignedAt    time.Time `json:"signed_at"`
	SignatureOK bool      `json:"signature_ok"` // verified at read: digest, signature and registered key
}

// CaseFact is one line of what the expert is shown about the case.
type CaseFact struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// ExpertReferral is a case referred to the committee.
type ExpertReferral struct {
	ID          int64           `json:"id"`
	CaseKind    string          `json:"case_kind"`
	CaseID      int64           `json:"case_id"`
	CaseTitle   string          `json:"case_title"`
	Title       string          `json:"title"`
	Questions   string          `json:"questions"`
	Blocking    bool            `json:"blocking"` // the case's decision waits for the opinions
	Status      string          `json:"status"`
	ReferredBy  string          `json:"referred_by"`
	ReferrerOrg int64           `json:"referrer_org"`
	Experts     []ExpertMember  `json:"experts"`
	Opinions    []ExpertOpinion `json:"opinions"`
	Case        []CaseFact      `json:"case,omitempty"` // what the experts see of the case (detail only)
	CreatedAt   time.Time       `json:"created_at"`
	ClosedAt    *time.Time      `json:"closed_at,omitempty"`
	CloseReason string          `json:"close_reason,omitempty"`
	// Parties are the organizations that decide the case (source
	// departments of an application or a product), who read the opinions.
	Parties []int64 `json:"-"`
}

// Member reports whether user is one of the named experts.
func (r *ExpertReferral) Member(user int64) bool {
	return slices.ContainsFunc(r.Experts, func(m ExpertMember) bool { return m.UserID == user })
}

// Resource describes the referral to the policy for actor a: experts reach
// it through ScopeSelf, which holds only when a is a named expert (OwnerID
// is a's own id then, and no one's otherwise); deciding departments through
// ScopeParty.
func (r *ExpertReferral) Resource(a *Actor) Resource {
	res := Resource{Kind: "expert_referral", OrgID: r.ReferrerOrg, Parties: r.Parties, Exists: true}
	if a != nil && r.Member(a.UserID) {
		res.OwnerID = a.UserID
	}
	return res
}

// ReferralInput is what the operator or the authority refers.
type ReferralInput struct {
	CaseKind  string  `json:"case_kind"`
	CaseID    int64   `json:"case_id"`
	Title     string  `json:"title"`
	Questions string  `json:"questions"`
	Blocking  bool    `json:"blocking"`
	Experts   []int64 `json:"experts"` // user ids of experts
}

// Validate checks the kind, the texts and that 1..7 distinct experts are named.
func (in *ReferralInput) Validate() error {
	in.Title, in.Questions = strings.TrimSpace(in.Title), strings.TrimSpace(in.Questions)
	var fe []FieldError
	if !slices.Contains(ExpertCaseKinds, in.CaseKind) {
		fe = append(fe, FieldError{Field: "case_kind", Message: "咨询对象须为使用申请、数据产品、入驻申请或安全事件"})
	}
	if in.CaseID <= 0 {
		fe = append(fe, FieldError{Field: "case_id", Message: "请填写咨询对象的编号"})
	}
	if n := utf8.RuneCountInString(in.Title); n < 4 || n > 100 {
		fe = append(fe, FieldError{Field: "title", Message: "标题应为 4 到 100 个字"})
	}
	if n := utf8.RuneCountInString(in.Questions); n < 10 || n > 5000 {
		fe = append(fe, FieldError{Field: "questions", Message: "请写明咨询的问题（10 至 5000 个字）"})
	}
	seen := map[int64]bool{}
	for _, e := range in.Experts {
		if e <= 0 || seen[e] {
			fe = append(fe, FieldError{Field: "experts", Message: "专家不能重复"})
			break
		}
		seen[e] = true
	}
	if len(in.Experts) < 1 || len(in.Experts) > 7 {
		fe = append(fe, FieldError{Field: "experts", Message: "请指定 1 至 7 名专家"})
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "专家咨询信息不完整 (invalid referral)").WithDetails(fe)
	}
	return nil
}

// OpinionInput is an expert's opinion; Password is the expert's login
// password, re-entered to sign.
type OpinionInput struct {
	Conclusion string `json:"conclusion"`
	Opinion    string `json:"opinion"`
	Password   string `json:"password"`
}

// Validate checks the conclusion and the opinion's length.
func (in *OpinionInput) Validate() error {
	in.Opinion = strings.TrimSpace(in.Opinion)
	var fe []FieldError
	if !slices.Contains(OpinionConclusions, in.Conclusion) {
		fe = append(fe, FieldError{Field: "conclusion", Message: "结论须为同意、有条件同意或不同意"})
	}
	if n := utf8.RuneCountInString(in.Opinion); n < 10 || n > 10000 {
		fe = append(fe, FieldError{Field: "opinion", Message: "请写明意见和理由（10 至 10000 个字）"})
	}
	if in.Password == "" {
		fe = append(fe, FieldError{Field: "password", Message: "签署须输入本人登录密码"})
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "专家意见不完整 (invalid opinion)").WithDetails(fe)
	}
	return nil
}

// OpinionText is the canonical text an opinion's signature covers: the
// referral and its case, the expert, the conclusion, the opinion and the
// signing time (UTC microseconds), so no part can be swapped unnoticed.
func OpinionText(referralID int64, caseKind string, caseID, expertID int64, conclusion, opinion string, at time.Time) string {
	return fmt.Sprintf("shuyu/expert-opinion/v1\nreferral:%d\ncase:%s/%d\nexpert:%d\nconclusion:%s\nsigned_at:%d\nopinion:%s",
		referralID, caseKind, caseID, expertID, conclusion, at.UTC().UnixMicro(), opinion)
}
