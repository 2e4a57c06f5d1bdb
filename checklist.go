package shuyu

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Compliance checklists (R17.1, Art. 20-21, Art. 23): the operator's checks
// of a merchant's onboarding, of a usage application and of a product's
// output are structured lists of items over data security, network
// security, personal information and trade secrets. The items are a rule
// set the operator proposes and the city authority approves (核查规范 for
// onboarding and applications, 审核规范 for output); the newest approved
// version of a kind is the one in force. Where the platform already knows
// the answer to an item (sensitive personal information requested, an entry
// graded core, the automatic output check failed) it fills the item in and
// the reviewer cannot answer otherwise.

// ChecklistKind is what a checklist checks.
type ChecklistKind string

const (
	ChecklistOnboarding  ChecklistKind = "onboarding"  // 数据商进驻核查 (R18.1, R18.2)
	ChecklistApplication ChecklistKind = "application" // 使用申请合规核查 (R20.2, R20.3)
	ChecklistOutput      ChecklistKind = "output"      // 产品和服务出域审核 (R23.1, R23.2)
)

// ChecklistKinds lists the kinds in the order of the flow.
var ChecklistKinds = []ChecklistKind{ChecklistOnboarding, ChecklistApplication, ChecklistOutput}

// Valid reports whether k is a known kind.
func (k ChecklistKind) Valid() bool { return slices.Contains(ChecklistKinds, k) }

// ChecklistArea is the field of law an item belongs to (Art. 17).
type ChecklistArea string

const (
	AreaDataSecurity    ChecklistArea = "data_security"    // 数据安全
	AreaNetworkSecurity ChecklistArea = "network_security" // 网络安全
	AreaPersonalInfo    ChecklistArea = "personal_info"    // 个人信息保护
	AreaTradeSecret     ChecklistArea = "trade_secret"     // 商业秘密保护
)

// ChecklistAreas lists the four areas every rule set must cover (R17.1).
var ChecklistAreas = []ChecklistArea{AreaDataSecurity, AreaNetworkSecurity, AreaPersonalInfo, AreaTradeSecret}

// Rule-set statuses.
const (
	ChecklistProposed = "proposed"
	ChecklistApproved = "approved"
	ChecklistRetired  = "retired"
)

// Four-eyes rules of the output review (R17.1): which products need two
// distinct reviewers, neither of whom built or requested the product.
const (
	FourEyesPI  = "pi"  // products derived from personal information (the minimum)
	FourEyesAll = "all" // every product (the authority widened the rule)
)

// Answers to an item.
const (
	AnswerPass = "pass" // 符合
	AnswerFail = "fail" // 不符合 (a reason is required)
	AnswerNA   = "na"   // 不适用
)

// ChecklistItem is one item of a rule set. Fact, when set, names what the
// platform knows about the item (ChecklistFacts) and pre-fills it.
type ChecklistItem struct {
	Key  string        `json:"key"`
	Area ChecklistArea `json:"area"`
	Text string        `json:"text"`
	Fact string        `json:"fact,omitempty"`
}

// ChecklistRuleset is one version of the items of a kind.
type ChecklistRuleset struct {
	ID         int64           `json:"id"`
	Kind       ChecklistKind   `json:"kind"`
	Version    int             `json:"version"`
	Items      []ChecklistItem `json:"items"`
	FourEyes   string          `json:"four_eyes"` // output only: pi or all
	Note       string          `json:"note"`
	Status     string          `json:"status"`
	ProposedBy int64           `json:"proposed_by"`
	ProposedAt time.Time       `json:"proposed_at"`
	ApprovedBy int64           `json:"approved_by,omitempty"`
	ApprovedAt *time.Time      `json:"approved_at,omitempty"`
}

// ChecklistAnswer is the reviewer's answer to one item.
type ChecklistAnswer struct {
	Key    string `json:"key"`
	Answer string `json:"answer"` // pass, fail, na
	Reason string `json:"reason,omitempty"`
	// Auto is true when the platform decided the answer from its records
	// (set by the store, ignored on input).
	Auto bool `json:"auto,omitempty"`
}

// ChecklistFact is what the platform knows about an item of one object:
// whether the item applies at all and, when the records decide it, the
// answer (Verdict) with the evidence.
type ChecklistFact struct {
	Key      string `json:"key"`
	Applies  bool   `json:"applies"`
	Verdict  string `json:"verdict,omitempty"` // pass or fail when the records decide the item
	Evidence string `json:"evidence"`
}

// ChecklistResult is one filled checklist: a registration's onboarding
// check, an application round's compliance check or one reviewer's output
// review of a product round.
type ChecklistResult struct {
	ID         int64             `json:"id"`
	Kind       ChecklistKind     `json:"kind"`
	ObjectID   int64             `json:"object_id"`
	Round      int               `json:"round"`
	RulesetID  int64             `json:"ruleset_id"`
	Version    int               `json:"version"`
	ReviewerID int64             `json:"reviewer_id"`
	Reviewer   string            `json:"reviewer"`
	Answers    []ChecklistAnswer `json:"answers"`
	Items      []ChecklistItem   `json:"items"` // the items of the version answered, for reading
	Passed     bool              `json:"passed"`
	At         time.Time         `json:"at"`
}

// ChecklistFacts lists, per kind, the facts the platform can pre-fill and
// what each means.
var ChecklistFacts = map[ChecklistKind]map[string]string{
	ChecklistOnboarding: {
		"uscc_valid":         "统一社会信用代码校验位正确",
		"security_statement": "已提交数据安全能力说明",
	},
	ChecklistApplication: {
		"security_measures":      "已填写安全防护措施",
		"pi_requested":           "申请包含个人信息",
		"sensitive_pi_requested": "申请包含敏感个人信息",
		"trade_secret_requested": "申请包含商业秘密",
		"core_requested":         "申请包含核心数据",
		"important_requested":    "申请包含重要数据",
	},
	ChecklistOutput: {
		"auto_check":           "自动出域核查已通过",
		"derived_pi":           "产品来源数据含个人信息",
		"derived_sensitive_pi": "产品来源数据含敏感个人信息",
		"derived_trade_secret": "产品来源数据含商业秘密",
		"derived_core":         "产品来源数据含核心数据",
	},
}

var checklistKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// ValidateChecklist checks a proposed rule set: 1 to 60 items with unique
// keys, every item in one of the four areas with a text, facts known for
// the kind, all four areas covered (R17.1), and a four-eyes rule for output.
func ValidateChecklist(kind ChecklistKind, items []ChecklistItem, fourEyes string) error {
	var fe []FieldError
	add := func(f, m string) { fe = append(fe, FieldError{Field: f, Message: m}) }
	if !kind.Valid() {
		add("kind", "核查类型须为 onboarding、application 或 output")
	}
	if len(items) == 0 || len(items) > 60 {
		add("items", "核查项须为 1 至 60 项")
	}
	seen := map[string]bool{}
	covered := map[ChecklistArea]bool{}
	for i, it := range items {
		p := fmt.Sprintf("items[%d].", i)
		if !checklistKeyRe.MatchString(it.Key) {
			add(p+"key", "编号须为小写字母开头的 2 至 40 个小写字母、数字或下划线")
		} else if seen[it.Key] {
			add(p+"key", "编号“"+it.Key+"”重复")
		}
		seen[it.Key] = true
		if !slices.Contains(ChecklistAreas, it.Area) {
			add(p+"area", "领域须为数据安全、网络安全、个人信息保护或商业秘密保护")
		}
		covered[it.Area] = true
		if n := utf8.RuneCountInString(strings.TrimSpace(it.Text)); n < 4 || n > 300 {
			add(p+"text", "核查内容须为 4 至 300 个字")
		}
		if it.Fact != "" {
			if _, ok := ChecklistFacts[kind][it.Fact]; !ok {
				add(p+"fact", "平台无法预填“"+it.Fact+"”")
			}
		}
	}
	for _, a := range ChecklistAreas {
		if len(items) > 0 && !covered[a] {
			add("items", "核查项须覆盖数据安全、网络安全、个人信息保护、商业秘密保护四个领域 (R17.1)")
			break
		}
	}
	switch {
	case kind == ChecklistOutput && fourEyes != FourEyesPI && fourEyes != FourEyesAll:
		add("four_eyes", "双人审核范围须为 pi（涉及个人信息的产品）或 all（全部产品）")
	case kind != ChecklistOutput && fourEyes != "":
		add("four_eyes", "只有出域审核规范设双人审核范围")
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "核查规范不完整或有误 (invalid checklist)").WithDetails(fe)
	}
	return nil
}

// PrefillChecklist is the form the reviewer starts from: every item, with
// the platform's answer where a fact decides it (not applicable, or the
// verdict of the records with the evidence as the reason).
func PrefillChecklist(items []ChecklistItem, facts map[string]ChecklistFact) []ChecklistAnswer {
	out := make([]ChecklistAnswer, 0, len(items))
	for _, it := range items {
		a := ChecklistAnswer{Key: it.Key}
		if f, ok := facts[it.Fact]; ok && it.Fact != "" {
			switch {
			case !f.Applies:
				a.Answer, a.Reason, a.Auto = AnswerNA, f.Evidence, true
			case f.Verdict != "":
				a.Answer, a.Reason, a.Auto = f.Verdict, f.Evidence, true
			}
		}
		out = append(out, a)
	}
	return out
}

// GradeChecklist checks a reviewer's answers against the rule set's items
// and the platform's facts and returns them in the items' order (R17.1):
// every item answered exactly once and nothing else; a failed item needs a
// reason, and so does "not applicable" unless the platform decided it; an
// item the platform found not to apply is "not applicable"; one that
// applies cannot be waved through as "not applicable"; one the records
// decide takes the records' answer. passed is true when no item failed.
func GradeChecklist(items []ChecklistItem, answers []ChecklistAnswer, facts map[string]ChecklistFact) (passed bool, out []ChecklistAnswer, err error) {
	var fe []FieldError
	byKey := map[string]ChecklistAnswer{}
	for i, a := range answers {
		if _, dup := byKey[a.Key]; dup {
			fe = append(fe, FieldError{Field: fmt.Sprintf("checklist[%d]", i), Message: "核查项“" + a.Key + "”重复作答"})
		}
		byKey[a.Key] = a
	}
	known := map[string]bool{}
	passed = true
	for _, it := range items {
		known[it.Key] = true
		field := "checklist." + it.Key
		a, ok := byKey[it.Key]
		if !ok || a.Answer == "" {
			fe = append(fe, FieldError{Field: field, Message: "未作答：" + it.Text})
			continue
		}
		a.Reason, a.Auto = strings.TrimSpace(a.Reason), false
		if a.Answer != AnswerPass && a.Answer != AnswerFail && a.Answer != AnswerNA {
			fe = append(fe, FieldError{Field: field, Message: "答案须为符合、不符合或不适用"})
			continue
		}
		if f, ok := facts[it.Fact]; ok && it.Fact != "" {
			switch {
			case !f.Applies && a.Answer != AnswerNA:
				fe = append(fe, FieldError{Field: field, Message: "平台记录显示本项不适用：" + f.Evidence})
				continue
			case f.Applies && a.Answer == AnswerNA:
				fe = append(fe, FieldError{Field: field, Message: "平台记录显示本项适用，须核查：" + f.Evidence})
				continue
			case f.Verdict != "" && a.Answer != f.Verdict:
				fe = append(fe, FieldError{Field: field, Message: "平台记录已确定本项结论：" + f.Evidence})
				continue
			}
			if !f.Applies || f.Verdict != "" {
				a.Auto = true
				if a.Reason == "" {
					a.Reason = f.Evidence
				}
			}
		}
		if a.Answer == AnswerFail && utf8.RuneCountInString(a.Reason) < 4 {
			fe = append(fe, FieldError{Field: field, Message: "不符合的核查项须说明理由（至少 4 个字）"})
			continue
		}
		if a.Answer == AnswerNA && !a.Auto && utf8.RuneCountInString(a.Reason) < 2 {
			fe = append(fe, FieldError{Field: field, Message: "不适用须说明原因"})
			continue
		}
		if utf8.RuneCountInString(a.Reason) > 1000 {
			fe = append(fe, FieldError{Field: field, Message: "理由不得超过 1000 个字"})
			continue
		}
		if a.Answer == AnswerFail {
			passed = false
		}
		out = append(out, a)
	}
	for i, a := range answers {
		if !known[a.Key] {
			fe = append(fe, FieldError{Field: fmt.Sprintf("checklist[%d]", i), Message: "核查规范中没有“" + a.Key + "”"})
		}
	}
	if len(fe) > 0 {
		return false, nil, Errorf(EINVALID, "核查清单未完整、正确填写 (checklist incomplete or inconsistent with the records)").WithDetails(fe)
	}
	return passed, out, nil
}

// ChecklistFailures is the reasons of the failed items, one per line, for
// the notices and the trail.
func ChecklistFailures(items []ChecklistItem, answers []ChecklistAnswer) string {
	text := map[string]string{}
	for _, it := range items {
		text[it.Key] = it.Text
	}
	var b strings.Builder
	for _, a := range answers {
		if a.Answer == AnswerFail {
			fmt.Fprintf(&b, "%s：%s\n", text[a.Key], a.Reason)
		}
	}
	return strings.TrimSpace(b.String())
}

// DefaultChecklist is the operator's starting proposal for a kind: the
// platform offers it, the operator edits it, the authority approves it.
func DefaultChecklist(kind ChecklistKind) []ChecklistItem {
	switch kind {
	case ChecklistOnboarding:
		return []ChecklistItem{
			{"uscc", AreaDataSecurity, "主体资格真实有效，统一社会信用代码正确", "uscc_valid"},
			{"security_capability", AreaDataSecurity, "具备与申请业务相适应的数据安全管理制度和能力", "security_statement"},
			{"network_protection", AreaNetworkSecurity, "自有系统已落实网络安全等级保护要求，无重大网络安全事件记录", ""},
			{"pi_compliance", AreaPersonalInfo, "个人信息处理制度符合个人信息保护法，设有个人信息保护负责人", ""},
			{"trade_secret_commitment", AreaTradeSecret, "已承诺对接触的商业秘密保密，并有相应管理措施", ""},
		}
	case ChecklistApplication:
		return []ChecklistItem{
			{"materials", AreaDataSecurity, "应用场景、使用范围、使用方式、使用期限材料齐全 (第二十条)", ""},
			{"security_measures", AreaDataSecurity, "安全防护措施具体可行", "security_measures"},
			{"core_data", AreaDataSecurity, "涉及核心数据的，场景确有必要且已说明专门防护措施", "core_requested"},
			{"important_data", AreaDataSecurity, "涉及重要数据的，已说明风险评估和防护措施", "important_requested"},
			{"network", AreaNetworkSecurity, "仅在平台开发利用环境内使用，不申请直接导出原始数据", ""},
			{"pi_minimum", AreaPersonalInfo, "涉及个人信息的，仅申请场景所必需的最少信息项", "pi_requested"},
			{"sensitive_pi", AreaPersonalInfo, "涉及敏感个人信息的，具有特定目的和充分必要性，并已说明脱敏或取得单独同意的方式", "sensitive_pi_requested"},
			{"trade_secret", AreaTradeSecret, "涉及商业秘密的，已说明脱密处理或取得权利人同意", "trade_secret_requested"},
		}
	case ChecklistOutput:
		return []ChecklistItem{
			{"auto_check", AreaDataSecurity, "自动出域核查（重标识、重叠、披露控制、可逆性）已通过", "auto_check"},
			{"core_data", AreaDataSecurity, "产品不包含、不可推出核心数据", "derived_core"},
			{"purpose", AreaDataSecurity, "产品内容与备案的应用场景一致", ""},
			{"no_raw_export", AreaNetworkSecurity, "产品不含原始数据，不能通过可逆模型或算法还原 (第二十八条)", ""},
			{"pi_deidentified", AreaPersonalInfo, "来源含个人信息的，产品已去标识化，不能识别特定个人", "derived_pi"},
			{"sensitive_pi", AreaPersonalInfo, "来源含敏感个人信息的，产品不含且不可推出敏感个人信息", "derived_sensitive_pi"},
			{"trade_secret", AreaTradeSecret, "来源含商业秘密的，产品已脱密处理", "derived_trade_secret"},
		}
	}
	return nil
}
