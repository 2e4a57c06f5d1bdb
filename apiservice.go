package shuyu

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// API-service products (数据接口服务, R28.4): a merchant defines, inside its
// workspace, a parameterised query template with typed inputs and a fixed
// output schema; the output check examines the template, the authority files
// it, and consumers call it with keys. Each call runs inside the domain and
// answers only the filed schema: yes/no matches against what the caller
// supplied, and bands or categories declared in the template — never a raw
// field (docs/disclosure.md, "API services").

// Service states. Only a filed service takes calls; "suspended" is never
// stored: it is the effective state while a source entry's supply is
// suspended (R27.3).
const (
	ServiceDraft       = "draft"
	ServiceCheckFailed = "check_failed"
	ServiceChecked     = "checked"
	ServiceFiled       = "filed"
	ServiceWithdrawn   = "withdrawn"
	ServiceSuspended   = "suspended"
)

// Parameter kinds: each is validated before anything runs (invariant 5).
const (
	ParamCitizenID  = "citizen_id"  // 公民身份号码, GB 11643 check character
	ParamUSCC       = "uscc"        // 统一社会信用代码, GB 32100 check character
	ParamPersonName = "person_name" // a person's name
	ParamOrgName    = "org_name"    // a registered organisation's name
	ParamMobile     = "mobile"      // a mainland mobile number
)

// ServiceParamKinds lists the parameter kinds.
var ServiceParamKinds = []string{ParamCitizenID, ParamUSCC, ParamPersonName, ParamOrgName, ParamMobile}

// Output kinds: what one answer field can be.
const (
	OutputMatch    = "match"    // yes/no: the subject's row holds the supplied value
	OutputBand     = "band"     // a declared band of a number about the subject
	OutputCategory = "category" // a declared group of a category about the subject
)

// Band measures: the number a band output bands.
const (
	MeasureValue         = "value"          // the column's value on the subject's row
	MeasureCount         = "count"          // the subject's rows
	MeasureCountDistinct = "count_distinct" // distinct values of the column on the subject's rows
	MeasureSum           = "sum"            // the sum of the column on the subject's rows
)

// NoRecord is the label of a band or category when the subject has no row.
const NoRecord = "无记录"

// ServiceParam is one typed input.
type ServiceParam struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Label string `json:"label"`
}

// CategoryGroup maps declared raw values to one label.
type CategoryGroup struct {
	Label  string   `json:"label"`
	Values []string `json:"values"`
}

// ServiceOutput is one field of the answer.
type ServiceOutput struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Kind  string `json:"kind"`
	// Table is the workspace table read; the subject's rows are those whose
	// person key equals the subject parameter.
	Table  string `json:"table"`
	Column string `json:"column,omitempty"`
	// Param is the parameter a match output compares Column with.
	Param string `json:"param,omitempty"`
	// Measure and Bounds make a band: label i covers [Bounds[i-1], Bounds[i]).
	Measure string    `json:"measure,omitempty"`
	Bounds  []float64 `json:"bounds,omitempty"`
	Labels  []string  `json:"labels,omitempty"`
	// Groups make a category; any other value is "其他".
	Groups []CategoryGroup `json:"groups,omitempty"`
}

// ServiceTemplate is the governed query template of a service.
type ServiceTemplate struct {
	Params []ServiceParam `json:"params"`
	// Subject names the parameter identifying the person or company the
	// answer is about (a citizen_id or uscc parameter).
	Subject string          `json:"subject"`
	Outputs []ServiceOutput `json:"outputs"`
}

// Limits of a template: an answer is a handful of narrow fields.
const (
	MaxServiceParams  = 6
	MaxServiceOutputs = 6
	MaxServiceBands   = 8
)

var serviceNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Param returns the parameter named name.
func (t *ServiceTemplate) Param(name string) (ServiceParam, bool) {
	for _, p := range t.Params {
		if p.Name == name {
			return p, true
		}
	}
	return ServiceParam{}, false
}

// SubjectKind is "person" for a citizen-ID subject and "company" for a USCC.
func (t *ServiceTemplate) SubjectKind() string {
	if p, _ := t.Param(t.Subject); p.Kind == ParamUSCC {
		return SubjectCompany
	}
	return SubjectPerson
}

// Validate checks the template's structure (the policies of the columns it
// reads are checked against the workspace by package sandbox, and what its
// answers reveal by the output check).
func (t *ServiceTemplate) Validate() error {
	var fe []FieldError
	bad := func(field, msg string, args ...any) {
		fe = append(fe, FieldError{Field: field, Message: fmt.Sprintf(msg, args...)})
	}
	if len(t.Params) == 0 || len(t.Params) > MaxServiceParams {
		bad("template.params", "须有 1 至 %d 个输入参数", MaxServiceParams)
	}
	seen := map[string]bool{}
	for i, p := range t.Params {
		f := fmt.Sprintf("template.params[%d]", i)
		if !serviceNameRE.MatchString(p.Name) || seen[p.Name] {
			bad(f+".name", "参数名须为小写字母开头的字母、数字或下划线，且不重复")
		}
		seen[p.Name] = true
		if !slices.Contains(ServiceParamKinds, p.Kind) {
			bad(f+".kind", "参数类型须为 %s 之一", strings.Join(ServiceParamKinds, "、"))
		}
		if n := utf8.RuneCountInString(p.Label); n > 40 {
			bad(f+".label", "参数说明不超过 40 个字符")
		}
	}
	if sp, ok := t.Param(t.Subject); !ok || (sp.Kind != ParamCitizenID && sp.Kind != ParamUSCC) {
		bad("template.subject", "须指定一个身份证号或统一社会信用代码参数作为查询对象")
	}
	if len(t.Outputs) == 0 || len(t.Outputs) > MaxServiceOutputs {
		bad("template.outputs", "须有 1 至 %d 个输出字段", MaxServiceOutputs)
	}
	outSeen := map[string]bool{}
	for i, o := range t.Outputs {
		f := fmt.Sprintf("template.outputs[%d]", i)
		if !serviceNameRE.MatchString(o.Name) || outSeen[o.Name] {
			bad(f+".name", "输出名须为小写字母开头的字母、数字或下划线，且不重复")
		}
		outSeen[o.Name] = true
		if o.Table == "" {
			bad(f+".table", "请指定数据表")
		}
		switch o.Kind {
		case OutputMatch:
			if o.Column == "" {
				bad(f+".column", "比对输出须指定比对的字段")
			}
			if p, ok := t.Param(o.Param); !ok || o.Param == t.Subject || p.Kind == ParamCitizenID && o.Param != t.Subject {
				bad(f+".param", "比对输出须指定一个非查询对象的输入参数")
			}
		case OutputBand:
			switch o.Measure {
			case MeasureValue, MeasureSum, MeasureCountDistinct:
				if o.Column == "" {
					bad(f+".column", "请指定分档的字段")
				}
			case MeasureCount:
			default:
				bad(f+".measure", "分档口径须为 value、count、count_distinct 或 sum")
			}
			if len(o.Bounds) < 1 || len(o.Bounds)+1 > MaxServiceBands {
				bad(f+".bounds", "分档界限须有 1 至 %d 个", MaxServiceBands-1)
			}
			for j := 1; j < len(o.Bounds); j++ {
				if !(o.Bounds[j] > o.Bounds[j-1]) {
					bad(f+".bounds", "分档界限须严格递增")
					break
				}
			}
			if len(o.Labels) != len(o.Bounds)+1 {
				bad(f+".labels", "分档名称须比界限多一个")
			}
		case OutputCategory:
			if o.Column == "" {
				bad(f+".column", "请指定归类的字段")
			}
			if len(o.Groups) < 2 || len(o.Groups)+1 > MaxServiceBands {
				bad(f+".groups", "归类须有 2 至 %d 组", MaxServiceBands-1)
			}
			vals := map[string]bool{}
			for _, g := range o.Groups {
				if g.Label == "" || len(g.Values) == 0 {
					bad(f+".groups", "每组须有名称和取值")
				}
				for _, v := range g.Values {
					if vals[v] {
						bad(f+".groups", "取值 %q 出现在多个组中", v)
					}
					vals[v] = true
				}
			}
		default:
			bad(f+".kind", "输出类型须为 match（是否一致）、band（分档）或 category（归类）")
		}
		for _, l := range o.Labels {
			if l == "" || utf8.RuneCountInString(l) > 20 {
				bad(f+".labels", "分档名称须为 1 至 20 个字符")
				break
			}
		}
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "服务模板有误 (invalid service template)").WithDetails(fe)
	}
	return nil
}

// Outcomes is how many different answers the output can give (match: 2;
// band: its labels and "no record"; category: its groups, "other" and "no
// record").
func (o *ServiceOutput) Outcomes() int {
	switch o.Kind {
	case OutputMatch:
		return 2
	case OutputBand:
		return len(o.Labels) + 1
	case OutputCategory:
		return len(o.Groups) + 2
	}
	return 0
}

// APIService is a service product.
type APIService struct {
	ID          int64           `json:"id"`
	OrgID       int64           `json:"org_id"`
	OrgName     string          `json:"org_name"`
	WorkspaceID int64           `json:"workspace_id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Scenario    string          `json:"scenario"`
	Template    ServiceTemplate `json:"template"`
	Consent     bool            `json:"consent"` // callable only for subjects with a live grant (R28.5)
	Status      string          `json:"status"`  // effective: suspended while a source is
	Stored      string          `json:"stored_status"`
	QuotaDay    int             `json:"quota_day"`
	RateMinute  int             `json:"rate_minute"`
	SubjectDay  int             `json:"subject_day"`
	CheckReport RawJSON         `json:"check_report,omitempty"`
	FilingNo    string          `json:"filing_no,omitempty"`
	FiledAt     *time.Time      `json:"filed_at,omitempty"`
	Sources     []int64         `json:"source_entries"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// Resource describes the service to the policy: the provider owns it.
func (s *APIService) Resource() Resource {
	return Resource{Kind: "api_service", OrgID: s.OrgID, Exists: true}
}

// APIServiceInput is what a merchant writes to define a service.
type APIServiceInput struct {
	WorkspaceID int64           `json:"workspace_id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Scenario    string          `json:"scenario"`
	Template    ServiceTemplate `json:"template"`
	Consent     bool            `json:"consent"`
	QuotaDay    int             `json:"quota_day"`
	RateMinute  int             `json:"rate_minute"`
	SubjectDay  int             `json:"subject_day"`
}

// Validate checks the definition (invariant 5).
func (in *APIServiceInput) Validate() error {
	var fe []FieldError
	in.Name, in.Description, in.Scenario = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description), strings.TrimSpace(in.Scenario)
	text := func(field, v string, lo, hi int, msg string) {
		if n := utf8.RuneCountInString(v); n < lo || n > hi || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			fe = append(fe, FieldError{Field: field, Message: msg})
		}
	}
	text("name", in.Name, 2, 100, "服务名称须为 2 至 100 个字符")
	text("description", in.Description, 4, 2000, "服务说明须为 4 至 2000 个字符")
	text("scenario", in.Scenario, 2, 500, "应用场景须为 2 至 500 个字符")
	if in.WorkspaceID <= 0 {
		fe = append(fe, FieldError{Field: "workspace_id", Message: "请选择工作区"})
	}
	if in.QuotaDay == 0 {
		in.QuotaDay = 1000
	}
	if in.RateMinute == 0 {
		in.RateMinute = 600
	}
	if in.SubjectDay == 0 {
		in.SubjectDay = 5
	}
	if in.QuotaDay < 1 || in.QuotaDay > 10_000_000 {
		fe = append(fe, FieldError{Field: "quota_day", Message: "每日调用上限须为 1 至 10000000"})
	}
	if in.RateMinute < 1 || in.RateMinute > 1_000_000 {
		fe = append(fe, FieldError{Field: "rate_minute", Message: "每分钟调用上限须为 1 至 1000000"})
	}
	if in.SubjectDay < 1 || in.SubjectDay > 100 {
		fe = append(fe, FieldError{Field: "subject_day", Message: "同一对象每日调用上限须为 1 至 100"})
	}
	if err := in.Template.Validate(); err != nil {
		if d, ok := ErrorDetails(err).([]FieldError); ok {
			fe = append(fe, d...)
		}
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "服务信息不完整或有误 (invalid service)").WithDetails(fe)
	}
	return nil
}

// ServiceKey is a consumer's key as the platform keeps it: never the secret.
type ServiceKey struct {
	ID           int64     `json:"id"`
	ServiceID    int64     `json:"service_id"`
	ServiceName  string    `json:"service_name"`
	OrgID        int64     `json:"org_id"`
	OrgName      string    `json:"org_name"`
	Label        string    `json:"label"`
	KeyID        string    `json:"key_id"` // the public part, shown in lists
	Status       string    `json:"status"` // active, blocked, revoked
	StatusReason string    `json:"status_reason,omitempty"`
	QuotaDay     int       `json:"quota_day"`
	RateMinute   int       `json:"rate_minute"`
	SubjectDay   int       `json:"subject_day"`
	CreatedAt    time.Time `json:"created_at"`
	CallsToday   int64     `json:"calls_today"`
}

// Key states.
const (
	KeyActive  = "active"
	KeyBlocked = "blocked"
	KeyRevoked = "revoked"
)

// Resource: the consumer owns its key; the provider is a party.
func (k *ServiceKey) Resource(providerOrg int64) Resource {
	return Resource{Kind: "api_key", OrgID: k.OrgID, Parties: []int64{providerOrg}, Exists: true}
}

// ServiceCall is one metered call: digests and shape, never parameters or
// values (R27.1).
type ServiceCall struct {
	ID        int64     `json:"id"`
	ServiceID int64     `json:"service_id"`
	Service   string    `json:"service"`
	KeyID     string    `json:"key_id"`
	OrgID     int64     `json:"org_id"`
	OrgName   string    `json:"org_name"`
	At        time.Time `json:"at"`
	Outcome   string    `json:"outcome"` // answered, no_consent
	Shape     []string  `json:"shape"`
	ConsentID int64     `json:"consent_id,omitempty"`
	WallUS    int64     `json:"wall_us"`
}

// Call outcomes that are recorded.
const (
	CallAnswered  = "answered"
	CallNoConsent = "no_consent"
)

// ServiceUsage is one key's calls on one day.
type ServiceUsage struct {
	KeyID    string `json:"key_id"`
	Service  string `json:"service"`
	OrgName  string `json:"org_name"`
	Day      string `json:"day"`
	Calls    int64  `json:"calls"`
	Misses   int64  `json:"misses"`
	Refused  int64  `json:"refused"`
	Subjects int64  `json:"subjects"`
}

// Anomaly flags (reconstruction control, R28.4).
const (
	FlagEnumeration  = "enumeration"   // many neighbouring ID numbers probed
	FlagManySubjects = "many_subjects" // one key asking about many subjects
	FlagManyMisses   = "many_misses"   // most answers are "no match": guessing
)

// Flag thresholds per key and day.
const (
	FlagPrefixSubjects = 20   // distinct subjects under one ID prefix
	FlagSubjects       = 2000 // distinct subjects
	FlagMissCalls      = 30   // calls before the miss share counts
	FlagMissShare      = 0.5  // share of calls that missed
)

// ServiceFlag is an anomaly the operator sees and decides.
type ServiceFlag struct {
	ID        int64      `json:"id"`
	KeyID     int64      `json:"key_row_id"`
	KeyName   string     `json:"key_id"`
	ServiceID int64      `json:"service_id"`
	Service   string     `json:"service"`
	OrgName   string     `json:"org_name"`
	Kind      string     `json:"kind"`
	Day       string     `json:"day"`
	Detail    RawJSON    `json:"detail"`
	Status    string     `json:"status"` // open, blocked, dismissed
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// Subject kinds of a consent.
const (
	SubjectPerson  = "person"
	SubjectCompany = "company"
)

// Consent states; "expired" is computed from the term.
const (
	ConsentPending = "pending"
	ConsentLive    = "live"
	ConsentRevoked = "revoked"
	ConsentExpired = "expired"
)

// Consent is a data subject's authorization (R28.5): who grants which
// merchant what, for which service, purpose, fields and term.
type Consent struct {
	ID          int64  `json:"id"`
	SubjectKind string `json:"subject_kind"`
	SubjectHint string `json:"subject_hint"` // masked
	GranteeID   int64  `json:"grantee_org_id"`
	Grantee     string `json:"grantee"`
	ServiceID   int64  `json:"service_id,omitempty"`
	Service     string `json:"service,omitempty"`
	// WorkspaceID names the consent-gated workspace the grant is for (0:
	// a service, or every use by the grantee when ServiceID is 0 too).
	WorkspaceID int64      `json:"workspace_id,omitempty"`
	Workspace   string     `json:"workspace,omitempty"`
	Purpose     string     `json:"purpose"`
	Fields      []string   `json:"fields"`
	StartsAt    time.Time  `json:"starts_at"`
	EndsAt      time.Time  `json:"ends_at"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	Uses        int64      `json:"uses"` // service calls plus workspace queries that used the subject's rows
	LastUse     *time.Time `json:"last_use,omitempty"`
}

// Resource: the grantee merchant owns its consent requests.
func (c *Consent) Resource() Resource {
	return Resource{Kind: "consent", OrgID: c.GranteeID, Exists: true}
}
