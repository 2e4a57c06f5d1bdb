package shuyu

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Grade is the classification-and-grading level of data (分级, GB/T
// 43697-2024): core, important or general (R8.3).
type Grade string

const (
	GradeCore      Grade = "core"      // 核心数据
	GradeImportant Grade = "important" // 重要数据
	GradeGeneral   Grade = "general"   // 一般数据
)

// Grades lists the grades from the strictest down.
var Grades = []Grade{GradeCore, GradeImportant, GradeGeneral}

// MaxGeneralLevel is how many levels "general" is split into (一般数据1-4级);
// the authority names them in its guide, the platform stores the number.
const MaxGeneralLevel = 4

// rank orders grades: higher is stricter.
func (g Grade) rank() int {
	switch g {
	case GradeCore:
		return 3
	case GradeImportant:
		return 2
	case GradeGeneral:
		return 1
	}
	return 0
}

// OpenAttr is the open attribute (开放属性) of data.
type OpenAttr string

const (
	OpenUnconditional OpenAttr = "unconditional" // 无条件开放
	OpenConditional   OpenAttr = "conditional"   // 有条件开放
	OpenProhibited    OpenAttr = "prohibited"    // 禁止开放: never in the catalog (R4.5)
)

// OpenAttrs lists the open attributes.
var OpenAttrs = []OpenAttr{OpenUnconditional, OpenConditional, OpenProhibited}

// AuthMode is how data is authorized (R4.1).
type AuthMode string

const (
	AuthWhole    AuthMode = "whole"    // 整体授权
	AuthDomain   AuthMode = "domain"   // 分领域授权
	AuthScenario AuthMode = "scenario" // 依场景授权
)

// AuthModes lists the authorization modes.
var AuthModes = []AuthMode{AuthWhole, AuthDomain, AuthScenario}

// UpdateFreq is how often an entry's data is refreshed (更新频率, R8.2).
type UpdateFreq string

const (
	FreqRealtime  UpdateFreq = "realtime"
	FreqDaily     UpdateFreq = "daily"
	FreqWeekly    UpdateFreq = "weekly"
	FreqMonthly   UpdateFreq = "monthly"
	FreqQuarterly UpdateFreq = "quarterly"
	FreqYearly    UpdateFreq = "yearly"
	FreqIrregular UpdateFreq = "irregular"
)

// UpdateFreqs lists the update frequencies, most frequent first.
var UpdateFreqs = []UpdateFreq{FreqRealtime, FreqDaily, FreqWeekly, FreqMonthly, FreqQuarterly, FreqYearly, FreqIrregular}

// FieldType is the logical type of an information item. The names match
// the synthetic datasets (package synth) and the data domain (package vault;
// "timestamp" there, "datetime" and "month" here for local times and
// year-months).
type FieldType string

// FieldTypes lists the field types.
var FieldTypes = []FieldType{"string", "integer", "decimal", "boolean", "date", "datetime", "month", "timestamp"}

// RevisionStatus is where a catalog revision is in the approval flow.
type RevisionStatus string

const (
	StatusDraft        RevisionStatus = "draft"         // the department edits it
	StatusCountyReview RevisionStatus = "county_review" // with the county authority (R8.4)
	StatusCityReview   RevisionStatus = "city_review"   // with the city authority (R8.4)
	StatusReturned     RevisionStatus = "returned"      // sent back with reasons; editable again
	StatusApproved     RevisionStatus = "approved"      // the city authority approved and consented to publication
	StatusPublished    RevisionStatus = "published"     // the public version (R8.5)
	StatusSuperseded   RevisionStatus = "superseded"    // replaced by a newer published version (R9.1)
)

// RevisionStatuses lists the statuses in flow order.
var RevisionStatuses = []RevisionStatus{StatusDraft, StatusCountyReview, StatusCityReview, StatusReturned,
	StatusApproved, StatusPublished, StatusSuperseded}

// Open reports whether a revision in status s is still in the flow (not yet
// published or superseded): an entry has at most one open revision.
func (s RevisionStatus) Open() bool {
	return s != StatusPublished && s != StatusSuperseded
}

// Editable reports whether the department may change the content.
func (s RevisionStatus) Editable() bool { return s == StatusDraft || s == StatusReturned }

// Valid reports whether the value is known.
func (g Grade) Valid() bool          { return g.rank() > 0 }
func (o OpenAttr) Valid() bool       { return catalogIn(OpenAttrs, o) }
func (m AuthMode) Valid() bool       { return catalogIn(AuthModes, m) }
func (f UpdateFreq) Valid() bool     { return catalogIn(UpdateFreqs, f) }
func (t FieldType) Valid() bool      { return catalogIn(FieldTypes, t) }
func (s RevisionStatus) Valid() bool { return catalogIn(RevisionStatuses, s) }
func catalogIn[T comparable](l []T, v T) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// CatalogCategory is a node of the category tree (分类) the authority keeps.
type CatalogCategory struct {
	ID        int64     `json:"id"`
	ParentID  int64     `json:"parent_id,omitempty"` // 0 for a root
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// CatalogSynonym is one search synonym or abbreviation of the catalog
// (R8.5): a query word containing Term also finds the text with Term
// replaced by Expansion (社保缴费 → 社会保险缴费). The city data authority
// keeps the list.
type CatalogSynonym struct {
	ID        int64     `json:"id"`
	Term      string    `json:"term"`
	Expansion string    `json:"expansion"`
	CreatedBy int64     `json:"created_by,omitempty"` // 0 for the seeded list
	CreatedAt time.Time `json:"created_at"`
}

// CatalogField is one information item (信息项) of a revision. Its grade and
// flags decide how the sandbox treats the column (R2.1, R28.5).
type CatalogField struct {
	Name        string    `json:"name"`  // column name in the domain
	Label       string    `json:"label"` // Chinese label
	DataType    FieldType `json:"data_type"`
	Description string    `json:"description"`
	PI          bool      `json:"pi"`           // personal information
	SensitivePI bool      `json:"sensitive_pi"` // sensitive personal information (PIPL Art. 28)
	TradeSecret bool      `json:"trade_secret"`
	Grade       Grade     `json:"grade"`
}

// CatalogRevision is one version of an entry's content.
type CatalogRevision struct {
	ID           int64          `json:"id"`
	EntryID      int64          `json:"entry_id"`
	Version      int            `json:"version"`
	Status       RevisionStatus `json:"status"`
	Name         string         `json:"name"`    // 目录名称
	Summary      string         `json:"summary"` // 数据摘要
	CategoryID   int64          `json:"category_id,omitempty"`
	Grade        Grade          `json:"grade"`
	GradeLevel   int            `json:"grade_level,omitempty"` // 1..MaxGeneralLevel for general data
	OpenAttr     OpenAttr       `json:"open_attr"`
	PublicSource bool           `json:"public_source"` // R4.3
	AuthMode     AuthMode       `json:"auth_mode"`     // R4.1
	UpdateFreq   UpdateFreq     `json:"update_freq"`
	TimeSpan     string         `json:"time_span"` // e.g. "2015年至今"
	Volume       string         `json:"volume"`    // estimate, e.g. "约120万条"
	Fields       []CatalogField `json:"fields"`
	ReturnReason string         `json:"return_reason,omitempty"`
	ConsentBy    string         `json:"consent_by,omitempty"` // authority user whose approval is the consent (R8.6)
	ConsentAt    *time.Time     `json:"consent_at,omitempty"`
	PublishedAt  *time.Time     `json:"published_at,omitempty"`
	CreatedBy    int64          `json:"created_by"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

// CatalogEntry is the stable identity of a catalog resource and its
// published content. Revision is the published version (nil until first
// published); Working is the open revision in the flow, if any, for those
// who may see it.
type CatalogEntry struct {
	ID           int64            `json:"id"`
	Code         string           `json:"code"` // resource code
	OrgID        int64            `json:"org_id"`
	OrgName      string           `json:"org_name"` // 信息资源提供方
	Region       string           `json:"region"`
	CategoryName string           `json:"category_name,omitempty"`
	Mounted      bool             `json:"mounted"` // data attached in the domain (R10.2)
	MountedAt    *time.Time       `json:"mounted_at,omitempty"`
	CreatedAt    time.Time        `json:"created_at"`
	Revision     *CatalogRevision `json:"revision,omitempty"`
	Working      *CatalogRevision `json:"working,omitempty"`
}

// Resource describes the entry to the policy.
func (e *CatalogEntry) Resource() Resource {
	return Resource{Kind: "catalog_revision", OrgID: e.OrgID, Region: e.Region, Exists: true}
}

// CatalogHistoryItem is one step in an entry's history, shown to everyone who
// may see the entry's work (R8.4-R8.6: every step is visible).
type CatalogHistoryItem struct {
	RevisionID int64          `json:"revision_id"`
	Version    int            `json:"version"`
	Action     string         `json:"action"` // create, update, submit, approve_county, …
	From       RevisionStatus `json:"from,omitempty"`
	To         RevisionStatus `json:"to"`
	ActorName  string         `json:"actor_name"`
	OrgName    string         `json:"org_name"`
	Reason     string         `json:"reason,omitempty"`
	At         time.Time      `json:"at"`
}

// FieldNameRe is the shape of an information item's name (a column name
// in the data domain).
var FieldNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// CatalogCodeRe is the shape of a resource code, e.g. "ZW-GA-0001".
var CatalogCodeRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{2,39}$`)

// ValidateCode checks a resource code.
func ValidateCode(code string) error {
	if !CatalogCodeRe.MatchString(code) {
		return Errorf(EINVALID, "资源代码须为 3 至 40 位大写字母、数字或连字符，如 ZW-GA-0001 (invalid resource code)").
			WithDetails([]FieldError{{"code", "资源代码格式有误"}})
	}
	return nil
}

// Normalize trims text, fills defaults and derives flags that follow from
// others (a sensitive PI field is personal information).
func (r *CatalogRevision) Normalize() {
	r.Name = strings.TrimSpace(r.Name)
	r.Summary = strings.TrimSpace(r.Summary)
	r.TimeSpan = strings.TrimSpace(r.TimeSpan)
	r.Volume = strings.TrimSpace(r.Volume)
	for i := range r.Fields {
		f := &r.Fields[i]
		f.Name = strings.TrimSpace(f.Name)
		f.Label = strings.TrimSpace(f.Label)
		f.Description = strings.TrimSpace(f.Description)
		if f.SensitivePI {
			f.PI = true
		}
	}
}

// Validate checks the content of a revision: the R8.2 items, the R8.3 grade
// and the R2.1/R4.3 markings. It lists every problem at once.
func (r *CatalogRevision) Validate() error {
	var fe []FieldError
	add := func(f, m string) { fe = append(fe, FieldError{f, m}) }
	if n := utf8.RuneCountInString(r.Name); n < 2 || n > 100 {
		add("name", "目录名称须为 2 至 100 个字符")
	}
	if n := utf8.RuneCountInString(r.Summary); n < 1 || n > 2000 {
		add("summary", "数据摘要须为 1 至 2000 个字符")
	}
	if !r.Grade.Valid() {
		add("grade", "分级须为核心、重要或一般")
	}
	if r.Grade == GradeGeneral && (r.GradeLevel < 0 || r.GradeLevel > MaxGeneralLevel) {
		add("grade_level", fmt.Sprintf("一般数据的级别须为 1 至 %d", MaxGeneralLevel))
	}
	if r.Grade != GradeGeneral && r.GradeLevel != 0 {
		add("grade_level", "只有一般数据可再分级别")
	}
	if !r.OpenAttr.Valid() {
		add("open_attr", "开放属性须为无条件开放、有条件开放或禁止开放")
	}
	if !r.AuthMode.Valid() {
		add("auth_mode", "授权模式须为整体授权、分领域授权或依场景授权")
	}
	if !r.UpdateFreq.Valid() {
		add("update_freq", "更新频率须为实时、每日、每周、每月、每季度、每年或不定期")
	}
	if utf8.RuneCountInString(r.TimeSpan) > 100 || utf8.RuneCountInString(r.Volume) > 100 {
		add("time_span", "时间范围和数据量估计各不超过 100 个字符")
	}
	if len(r.Fields) == 0 {
		add("fields", "至少需要一个信息项 (R8.2)")
	}
	if len(r.Fields) > 500 {
		add("fields", "信息项不得超过 500 个")
	}
	seen := map[string]bool{}
	for i, f := range r.Fields {
		p := fmt.Sprintf("fields[%d].", i)
		if !FieldNameRe.MatchString(f.Name) {
			add(p+"name", "字段名须为字母或下划线开头的字母、数字、下划线")
		} else if seen[strings.ToLower(f.Name)] {
			add(p+"name", "字段名“"+f.Name+"”重复")
		}
		seen[strings.ToLower(f.Name)] = true
		if n := utf8.RuneCountInString(f.Label); n < 1 || n > 100 {
			add(p+"label", "信息项名称须为 1 至 100 个字符")
		}
		if utf8.RuneCountInString(f.Description) > 500 {
			add(p+"description", "说明不得超过 500 个字符")
		}
		if !f.DataType.Valid() {
			add(p+"data_type", "数据类型无效")
		}
		if !f.Grade.Valid() {
			add(p+"grade", "信息项分级须为核心、重要或一般")
		} else if r.Grade.Valid() && f.Grade.rank() > r.Grade.rank() {
			// R8.3: an entry is graded by its most sensitive item (就高原则).
			add(p+"grade", "信息项分级高于目录分级，目录须按最高级别定级")
		}
		// R2.1 / R4.3: data from public channels is exempt from the domain's
		// protections, so it may not carry what those protections are for.
		if r.PublicSource && (f.SensitivePI || f.TradeSecret) {
			add(p+"sensitive_pi", "公开来源数据不得包含敏感个人信息或商业秘密 (R4.3)")
		}
	}
	if r.PublicSource && (r.Grade == GradeCore || r.Grade == GradeImportant) {
		add("public_source", "核心、重要数据不能标记为公开来源 (R4.3)")
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "目录信息不完整或有误 (invalid catalog entry)").WithDetails(fe)
	}
	return nil
}

// HasPI reports whether any field is personal information (R2.1).
func (r *CatalogRevision) HasPI() bool {
	for _, f := range r.Fields {
		if f.PI || f.SensitivePI {
			return true
		}
	}
	return false
}

// Chinese labels of the catalog's enumerations: the UI, the Excel template
// and the import read and write these.
var (
	GradeLabels      = map[Grade]string{GradeCore: "核心", GradeImportant: "重要", GradeGeneral: "一般"}
	OpenAttrLabels   = map[OpenAttr]string{OpenUnconditional: "无条件开放", OpenConditional: "有条件开放", OpenProhibited: "禁止开放"}
	AuthModeLabels   = map[AuthMode]string{AuthWhole: "整体授权", AuthDomain: "分领域授权", AuthScenario: "依场景授权"}
	UpdateFreqLabels = map[UpdateFreq]string{FreqRealtime: "实时", FreqDaily: "每日", FreqWeekly: "每周", FreqMonthly: "每月",
		FreqQuarterly: "每季度", FreqYearly: "每年", FreqIrregular: "不定期"}
	FieldTypeLabels = map[FieldType]string{"string": "文本", "integer": "整数", "decimal": "小数", "boolean": "布尔",
		"date": "日期", "datetime": "日期时间", "month": "年月", "timestamp": "时间戳"}
	// RegionLabels names the regions of the first deployment; unknown codes
	// show as themselves.
	RegionLabels = map[string]string{RegionZhongwei: "中卫市", RegionShapotou: "沙坡头区", RegionZhongning: "中宁县", RegionHaiyuan: "海原县"}
)

// CatalogLabel returns the Chinese label of a facet value (grade,
// update_freq, open_attr, auth_mode, region, data_type), or the value.
func CatalogLabel(kind, v string) string {
	var s string
	switch kind {
	case "grade":
		s = GradeLabels[Grade(v)]
	case "update_freq":
		s = UpdateFreqLabels[UpdateFreq(v)]
	case "open_attr":
		s = OpenAttrLabels[OpenAttr(v)]
	case "auth_mode":
		s = AuthModeLabels[AuthMode(v)]
	case "region":
		s = RegionLabels[v]
	case "data_type":
		s = FieldTypeLabels[FieldType(v)]
	}
	if s == "" {
		return v
	}
	return s
}

// CatalogImportRow is one entry read from an exchange file (package
// catalogxlsx) for bulk import: the entry's content plus what the store
// resolves (department by name, category by code), and where each part
// came from so that problems name the row.
type CatalogImportRow struct {
	Row          int    // row of the entry in the entries sheet (1-based, header is row 1)
	FieldRows    []int  // row of each field in the fields sheet
	Code         string // resource code
	OrgName      string // 信息资源提供方, a source department's exact name
	Region       string // optional; must match the department's region
	CategoryCode string // optional
	Revision     CatalogRevision
}
