package shuyu

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Supervision on live data (issue 16, first half): notices on source
// departments (通报, R31.1), the yearly evaluation of the operator (R33.1)
// and the register of application scenarios (R16.1, R4.4). The figures are
// computed by the store from the records the other capabilities keep; this
// file holds the shapes, the validation and the scoring rules.

// Notice visibility and status.
const (
	NoticePublic   = "public"   // on the portal and GET /api/v1/notices, anonymous
	NoticeInternal = "internal" // government bodies and the operator only, after login

	NoticeDraft     = "draft"
	NoticePublished = "published"
	NoticeWithdrawn = "withdrawn"
)

// DeptFigures are one source department's figures for one period (R31.1).
// State figures (entries, published, mounted, overdue supply) are as at the
// time of computation; flow figures (issues, reviews) count what was opened
// in the period and how it was handled by that time.
type DeptFigures struct {
	OrgID              int64  `json:"org_id"`
	OrgName            string `json:"org_name"`
	Entries            int    `json:"entries"`        // catalog entries registered by the department
	Published          int    `json:"published"`      // of which published (catalog completeness)
	Mounted            int    `json:"mounted"`        // published and mounted to data (R10.2)
	OverdueSupply      int    `json:"overdue_supply"` // published, update overdue by its frequency
	IssuesOpened       int    `json:"issues_opened"`  // quality issues raised in the period (R11.1)
	IssuesOnTime       int    `json:"issues_on_time"`
	IssuesLate         int    `json:"issues_late"`
	IssuesOverdue      int    `json:"issues_overdue"` // unresolved past the deadline
	Reviews            int    `json:"reviews"`        // application reviews opened in the period (R21.1)
	ReviewsOnTime      int    `json:"reviews_on_time"`
	ReviewsLate        int    `json:"reviews_late"`
	ReviewsDeemed      int    `json:"reviews_deemed"` // deemed approved by silence (R21.3)
	ReviewsOpenOverdue int    `json:"reviews_open_overdue"`
}

func pct(n, d int) int {
	if d == 0 {
		return 0
	}
	return n * 100 / d
}

// CompletePct is the published share of the department's entries, 0..100.
func (f *DeptFigures) CompletePct() int { return pct(f.Published, f.Entries) }

// MountedPct is the mounted share of the published entries, 0..100.
func (f *DeptFigures) MountedPct() int { return pct(f.Mounted, f.Published) }

// IssuesTimelyPct is the share of resolved issues resolved on time.
func (f *DeptFigures) IssuesTimelyPct() int { return pct(f.IssuesOnTime, f.IssuesOnTime+f.IssuesLate) }

// ReviewsTimelyPct is the share of closed reviews decided on time; deemed
// approvals count as not on time (the department was silent).
func (f *DeptFigures) ReviewsTimelyPct() int {
	return pct(f.ReviewsOnTime, f.ReviewsOnTime+f.ReviewsLate+f.ReviewsDeemed)
}

// DeptNotice is a notice on source departments (通报, R31.1).
type DeptNotice struct {
	ID          int64         `json:"id"`
	Title       string        `json:"title"`
	From        time.Time     `json:"from"` // inclusive
	To          time.Time     `json:"to"`   // exclusive
	Body        string        `json:"body"`
	Visibility  string        `json:"visibility"`
	Status      string        `json:"status"`
	ComputedAt  time.Time     `json:"computed_at"`
	CreatedAt   time.Time     `json:"created_at"`
	PublishedAt *time.Time    `json:"published_at,omitempty"`
	Figures     []DeptFigures `json:"figures"`
}

// Resource is the notice as the policy sees it.
func (n *DeptNotice) Resource() Resource { return Resource{Kind: "dept_notice", Exists: true} }

// NoticeInput is what the authority drafts: the period (dates in Beijing
// time, to inclusive), the title, the wording and the visibility.
type NoticeInput struct {
	Title      string `json:"title"`
	From       string `json:"from"` // 2026-10-01
	To         string `json:"to"`   // 2026-10-31, inclusive
	Body       string `json:"body"`
	Visibility string `json:"visibility"`
}

// Period parses and checks the dates; to is returned exclusive.
func (in *NoticeInput) Period(zone *time.Location) (from, to time.Time, err error) {
	var errs []FieldError
	from, e1 := time.ParseInLocation(time.DateOnly, strings.TrimSpace(in.From), zone)
	if e1 != nil {
		errs = append(errs, FieldError{Field: "from", Message: "日期格式应为 2026-10-01"})
	}
	last, e2 := time.ParseInLocation(time.DateOnly, strings.TrimSpace(in.To), zone)
	if e2 != nil {
		errs = append(errs, FieldError{Field: "to", Message: "日期格式应为 2026-10-31"})
	}
	if e1 == nil && e2 == nil && (last.Before(from) || last.Sub(from) > 366*24*time.Hour) {
		errs = append(errs, FieldError{Field: "to", Message: "截止日期应不早于起始日期，且期间不超过一年"})
	}
	if len(errs) > 0 {
		return time.Time{}, time.Time{}, Errorf(EINVALID, "通报期间不正确 (invalid period)").WithDetails(errs)
	}
	return from, last.AddDate(0, 0, 1), nil
}

// Validate checks the wording and the visibility.
func (in *NoticeInput) Validate() error {
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	var errs []FieldError
	if n := utf8.RuneCountInString(in.Title); n < 4 || n > 100 {
		errs = append(errs, FieldError{Field: "title", Message: "标题应为 4 到 100 个字"})
	}
	if utf8.RuneCountInString(in.Body) > 20000 {
		errs = append(errs, FieldError{Field: "body", Message: "正文不超过 20000 个字"})
	}
	if in.Visibility != NoticePublic && in.Visibility != NoticeInternal {
		errs = append(errs, FieldError{Field: "visibility", Message: "请选择公开或内部通报"})
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "通报内容不完整 (invalid notice)").WithDetails(errs)
	}
	return nil
}

// Evaluation status, indicator rules and grades (R33.1).
const (
	EvalDraft     = "draft"     // the authority defines the indicators
	EvalOpen      = "open"      // experts, departments, counties and merchants rate
	EvalPublished = "published" // score and grade published; a poor grade starts a rectification

	RuleRatio   = "ratio"   // score = 100 × the live share (e.g. reviews on time)
	RulePenalty = "penalty" // score = 100 − points × the live count (e.g. output-check findings), at least 0
	RuleManual  = "manual"  // no live figure: ratings and the authority's score only

	GradeExcellent = "excellent" // 优秀 ≥ 90
	GradeGood      = "good"      // 良好 ≥ 75
	GradePass      = "pass"      // 合格 ≥ 60
	GradePoor      = "poor"      // 不合格 < 60: starts a rectification

	RectOpen      = "open"
	RectSubmitted = "submitted"
	RectClosed    = "closed"
)

// EvalMetrics are the live figures an indicator can be pre-filled from,
// with the rule each one suits.
var EvalMetrics = map[string]string{
	"onboarding_sla":  RuleRatio,   // registrations decided within 5 working days (R18.2)
	"compliance_sla":  RuleRatio,   // application compliance checks within their deadline (R20.2)
	"review_sla":      RuleRatio,   // the operator's reviews decided on time, not by silence (R21.1)
	"output_findings": RulePenalty, // output checks that failed (R17.1)
	"merchant_issues": RulePenalty, // quality complaints merchants raised (R11.1)
	// Complaints about the operator found justified: fee disputes and
	// objections to the registry's publication upheld (R33.1).
	"complaints": RulePenalty,
	// Security incidents detected in the year (R28.2): their number, and
	// the share of the plans' deadlines (notice, written report) met.
	"incidents":          RulePenalty,
	"incident_deadlines": RuleRatio,
	// The year's revenue against the maximum the authority approved
	// (NPRC.5): 1 within it, maximum ÷ revenue above it.
	"revenue_cap": RuleRatio,
}

// EvidenceLink points at a record a live figure was computed from.
type EvidenceLink struct {
	Label string `json:"label"`
	Href  string `json:"href"`
}

// EvalMetricNames lists EvalMetrics in a stable order.
func EvalMetricNames() []string {
	out := make([]string, 0, len(EvalMetrics))
	for k := range EvalMetrics {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// EvalGrade maps a score (0..100) to a grade.
func EvalGrade(score float64) string {
	switch {
	case score >= 90:
		return GradeExcellent
	case score >= 75:
		return GradeGood
	case score >= 60:
		return GradePass
	}
	return GradePoor
}

// IndicatorInput is one indicator as the authority defines it.
type IndicatorInput struct {
	Name     string `json:"name"`
	Weight   int    `json:"weight"`
	Rule     string `json:"rule"`
	Metric   string `json:"metric,omitempty"`
	Points   int    `json:"points,omitempty"`
	Evidence string `json:"evidence,omitempty"`
}

// EvaluationInput creates a yearly evaluation.
type EvaluationInput struct {
	Year       int              `json:"year"`
	Indicators []IndicatorInput `json:"indicators"`
}

// Validate: a plausible year, 1..20 indicators, weights 1..100 summing to
// 100, a known rule and, for ratio and penalty, a metric that suits it.
func (in *EvaluationInput) Validate() error {
	var errs []FieldError
	if in.Year < 2020 || in.Year > 2100 {
		errs = append(errs, FieldError{Field: "year", Message: "年度不正确"})
	}
	if len(in.Indicators) == 0 || len(in.Indicators) > 20 {
		errs = append(errs, FieldError{Field: "indicators", Message: "指标应为 1 到 20 项"})
	}
	sum := 0
	for i := range in.Indicators {
		ind := &in.Indicators[i]
		ind.Name, ind.Evidence = strings.TrimSpace(ind.Name), strings.TrimSpace(ind.Evidence)
		f := func(name string) string { return "indicators." + itoa(i) + "." + name }
		if n := utf8.RuneCountInString(ind.Name); n < 2 || n > 60 {
			errs = append(errs, FieldError{Field: f("name"), Message: "指标名称应为 2 到 60 个字"})
		}
		if ind.Weight < 1 || ind.Weight > 100 {
			errs = append(errs, FieldError{Field: f("weight"), Message: "权重应为 1 到 100"})
		}
		sum += ind.Weight
		switch ind.Rule {
		case RuleManual:
			ind.Metric, ind.Points = "", 0
		case RuleRatio, RulePenalty:
			if EvalMetrics[ind.Metric] != ind.Rule {
				errs = append(errs, FieldError{Field: f("metric"), Message: "数据来源与评分规则不匹配"})
			}
			if ind.Rule == RulePenalty && (ind.Points < 1 || ind.Points > 100) {
				errs = append(errs, FieldError{Field: f("points"), Message: "每项扣分应为 1 到 100"})
			}
			if ind.Rule == RuleRatio {
				ind.Points = 0
			}
		default:
			errs = append(errs, FieldError{Field: f("rule"), Message: "评分规则只能是比例、扣分或人工评分"})
		}
		if utf8.RuneCountInString(ind.Evidence) > 500 {
			errs = append(errs, FieldError{Field: f("evidence"), Message: "佐证要求不超过 500 个字"})
		}
	}
	if len(in.Indicators) > 0 && sum != 100 {
		errs = append(errs, FieldError{Field: "indicators", Message: "各指标权重之和应为 100"})
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "考核指标不正确 (invalid indicators)").WithDetails(errs)
	}
	return nil
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// AutoScore is an indicator's score from its live figure: value is a share
// (ratio) or a count (penalty). ok is false when there is no figure.
func AutoScore(rule string, points int, value *float64) (float64, bool) {
	if value == nil {
		return 0, false
	}
	switch rule {
	case RuleRatio:
		return *value * 100, true
	case RulePenalty:
		return max(0, 100-float64(points)**value), true
	}
	return 0, false
}

// Indicator is one indicator of an evaluation with its figures.
type Indicator struct {
	ID           int64            `json:"id"`
	Position     int              `json:"position"`
	Name         string           `json:"name"`
	Weight       int              `json:"weight"`
	Rule         string           `json:"rule"`
	Metric       string           `json:"metric,omitempty"`
	Points       int              `json:"points,omitempty"`
	Evidence     string           `json:"evidence,omitempty"`
	AutoValue    *float64         `json:"auto_value,omitempty"`
	AutoScore    *float64         `json:"auto_score,omitempty"`
	AutoEvidence string           `json:"auto_evidence,omitempty"`
	AutoLinks    []EvidenceLink   `json:"auto_links,omitempty"` // the records behind the live figure
	Inputs       []EvaluationRate `json:"inputs"`
	FinalScore   *float64         `json:"final_score,omitempty"` // the authority's, overriding the mean
	FinalNote    string           `json:"final_note,omitempty"`
	Score        *float64         `json:"score,omitempty"` // what counts: final, else the mean of the live score and the ratings
}

// EvaluationRate is one organization's rating of one indicator.
type EvaluationRate struct {
	OrgID     int64     `json:"org_id"`
	OrgName   string    `json:"org_name"`
	Role      string    `json:"role"`
	Score     float64   `json:"score"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
}

// ComputeScore sets ind.Score: the authority's final score if set, else the
// mean of the live score (if any) and the ratings (if any).
func (ind *Indicator) ComputeScore() {
	if ind.FinalScore != nil {
		v := *ind.FinalScore
		ind.Score = &v
		return
	}
	var sum float64
	n := 0
	if ind.AutoScore != nil {
		sum += *ind.AutoScore
		n++
	}
	for _, r := range ind.Inputs {
		sum += r.Score
		n++
	}
	if n == 0 {
		ind.Score = nil
		return
	}
	v := sum / float64(n)
	ind.Score = &v
}

// Evaluation is the yearly evaluation of the operator (R33.1).
type Evaluation struct {
	ID             int64           `json:"id"`
	Year           int             `json:"year"`
	OrgID          int64           `json:"org_id"`
	OrgName        string          `json:"org_name"`
	Status         string          `json:"status"`
	Score          *float64        `json:"score,omitempty"`
	Grade          string          `json:"grade,omitempty"`
	Summary        string          `json:"summary,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	PublishedAt    *time.Time      `json:"published_at,omitempty"`
	Indicators     []Indicator     `json:"indicators"`
	Rectifications []Rectification `json:"rectifications"`
}

// Total is the weighted score over the indicators that have a score; ok is
// false while any indicator has none.
func (e *Evaluation) Total() (float64, bool) {
	var sum float64
	w := 0
	for _, ind := range e.Indicators {
		if ind.Score == nil {
			return 0, false
		}
		sum += *ind.Score * float64(ind.Weight)
		w += ind.Weight
	}
	if w == 0 {
		return 0, false
	}
	return sum / float64(w), true
}

// Resource is the evaluation as the policy sees it: its operator owns it.
func (e *Evaluation) Resource() Resource {
	return Resource{Kind: "evaluation", OrgID: e.OrgID, Exists: true}
}

// Rectification is what a poor grade requires of the operator, by a
// deadline in working days.
type Rectification struct {
	ID           int64      `json:"id"`
	EvaluationID int64      `json:"evaluation_id"`
	OrgID        int64      `json:"org_id"`
	OrgName      string     `json:"org_name"`
	Requirement  string     `json:"requirement"`
	Status       string     `json:"status"`
	Workdays     int        `json:"workdays"`
	Deadline     Deadline   `json:"deadline"`
	Response     string     `json:"response,omitempty"`
	Note         string     `json:"note,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	SubmittedAt  *time.Time `json:"submitted_at,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
}

// Scenario status and priority tags (R4.4).
const (
	ScenarioProposed = "proposed"
	ScenarioAccepted = "accepted"
	ScenarioLanded   = "landed"
	ScenarioRejected = "rejected"

	LinkDemand      = "demand"
	LinkApplication = "application"
	LinkProduct     = "product"
)

// ScenarioDomains are the fields a scenario belongs to.
var ScenarioDomains = []string{"government", "health", "transport", "finance", "agriculture", "tourism", "energy", "social", "other"}

// ScenarioStatuses lists the statuses in flow order.
var ScenarioStatuses = []string{ScenarioProposed, ScenarioAccepted, ScenarioLanded, ScenarioRejected}

// scenarioMoves are the allowed status changes.
var scenarioMoves = map[string][]string{
	ScenarioProposed: {ScenarioAccepted, ScenarioRejected},
	ScenarioAccepted: {ScenarioLanded, ScenarioRejected},
}

// ScenarioMoveAllowed reports whether a scenario may go from one status to another.
func ScenarioMoveAllowed(from, to string) bool { return slices.Contains(scenarioMoves[from], to) }

// ScenarioInput is what a department or a merchant proposes.
type ScenarioInput struct {
	Title       string   `json:"title"`
	Domain      string   `json:"domain"`
	Tags        []string `json:"tags"`
	DataNeeded  string   `json:"data_needed"`
	Description string   `json:"description"`
}

// Validate checks the proposal; tags are deduplicated and put in order.
func (in *ScenarioInput) Validate() error {
	in.Title, in.DataNeeded, in.Description = strings.TrimSpace(in.Title), strings.TrimSpace(in.DataNeeded), strings.TrimSpace(in.Description)
	var errs []FieldError
	if n := utf8.RuneCountInString(in.Title); n < 4 || n > 100 {
		errs = append(errs, FieldError{Field: "title", Message: "标题应为 4 到 100 个字"})
	}
	if !slices.Contains(ScenarioDomains, in.Domain) {
		errs = append(errs, FieldError{Field: "domain", Message: "请选择所属领域"})
	}
	var tags []string
	for _, t := range ScenarioTags {
		if slices.Contains(in.Tags, t) {
			tags = append(tags, t)
		}
	}
	for _, t := range in.Tags {
		if !slices.Contains(ScenarioTags, t) {
			errs = append(errs, FieldError{Field: "tags", Message: "未知的重点标签：" + t})
		}
	}
	in.Tags = tags
	if n := utf8.RuneCountInString(in.DataNeeded); n < 4 || n > 2000 {
		errs = append(errs, FieldError{Field: "data_needed", Message: "所需数据应为 4 到 2000 个字"})
	}
	if n := utf8.RuneCountInString(in.Description); n < 10 || n > 5000 {
		errs = append(errs, FieldError{Field: "description", Message: "场景说明应为 10 到 5000 个字"})
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "场景信息不完整 (invalid scenario)").WithDetails(errs)
	}
	return nil
}

// ScenarioLink is a catalog demand, an application or a product a scenario
// is linked to.
type ScenarioLink struct {
	Kind     string    `json:"kind"`
	ObjectID int64     `json:"object_id"`
	Title    string    `json:"title"`
	LinkedAt time.Time `json:"linked_at"`
}

// Scenario is an application scenario (R16.1).
type Scenario struct {
	ID             int64          `json:"id"`
	Title          string         `json:"title"`
	Domain         string         `json:"domain"`
	Tags           []string       `json:"tags"`
	DataNeeded     string         `json:"data_needed"`
	Description    string         `json:"description"`
	Status         string         `json:"status"`
	StatusNote     string         `json:"status_note,omitempty"`
	Showcase       bool           `json:"showcase"`
	OneApplication bool           `json:"one_application"`
	OrgID          int64          `json:"org_id"`
	OrgName        string         `json:"org_name"`
	Region         string         `json:"region"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	Links          []ScenarioLink `json:"links"`
}

// Resource is the scenario as the policy sees it: the proposer owns it.
func (s *Scenario) Resource() Resource {
	return Resource{Kind: "scenario", OrgID: s.OrgID, Region: s.Region, Exists: true}
}

// Actions of supervision.
const (
	ActNoticeManage     Action = "dept_notice.manage"    // draft, recompute, word, publish, withdraw (R31.1)
	ActNoticeRead       Action = "dept_notice.read"      // published internal notices
	ActDeptFiguresRead  Action = "dept_figures.read"     // a department's live figures and trend
	ActEvaluationManage Action = "evaluation.manage"     // define indicators, score, publish (R33.1)
	ActEvaluationRead   Action = "evaluation.read"       // read an evaluation
	ActEvaluationRate   Action = "evaluation.rate"       // rate indicators while open
	ActRectifyRespond   Action = "rectification.respond" // the operator answers a rectification
	ActScenarioCreate   Action = "scenario.create"       // propose a scenario (R16.1)
	ActScenarioRead     Action = "scenario.read"
	ActScenarioManage   Action = "scenario.manage"  // status, showcase, links
	ActScenarioRequire  Action = "scenario.require" // require one scenario, one application
	ActScenarioReport   Action = "scenario.report"  // file the periodic report to the authority
	ActSupervisionRead  Action = "supervision.read" // the authority's dashboard
)

// supervisionRules: the city authority supervises; departments see their
// own figures (a county authority those of its county); the operator
// answers rectifications and runs the scenario register; experts,
// departments, county authorities and merchants rate the operator (R33.1).
var supervisionRules = slices.Concat([]Rule{
	{RoleAuthority, ActNoticeManage, ScopeAny},
	{RoleAuthority, ActDeptFiguresRead, ScopeAny},
	{RoleCountyAuthority, ActDeptFiguresRead, ScopeCounty},
	{RoleDept, ActDeptFiguresRead, ScopeOrg},
	{RoleAuthority, ActEvaluationManage, ScopeAny},
	{RoleAuthority, ActEvaluationRead, ScopeAny},
	{RoleRegulator, ActEvaluationRead, ScopeAny},
	{RoleOperatorAdmin, ActEvaluationRead, ScopeOrg},
	{RoleOperatorAdmin, ActRectifyRespond, ScopeOrg},
	{RoleAuthority, ActScenarioRead, ScopeAny},
	{RoleRegulator, ActScenarioRead, ScopeAny},
	{RoleOperatorAdmin, ActScenarioRead, ScopeAny},
	{RoleOperatorReviewer, ActScenarioRead, ScopeAny},
	{RoleCountyAuthority, ActScenarioRead, ScopeCounty},
	{RoleDept, ActScenarioRead, ScopeOrg},
	{RoleMerchant, ActScenarioRead, ScopeOrg},
	{RoleAuthority, ActScenarioManage, ScopeAny},
	{RoleOperatorAdmin, ActScenarioManage, ScopeAny},
	{RoleAuthority, ActScenarioRequire, ScopeAny},
	{RoleOperatorAdmin, ActScenarioReport, ScopeAny},
	{RoleAuthority, ActSupervisionRead, ScopeAny},
	{RoleRegulator, ActSupervisionRead, ScopeAny},
},
	rulesFor([]Role{RoleAuthority, RoleCountyAuthority, RoleDept, RoleOperatorAdmin, RoleRegulator}, ActNoticeRead, ScopeAny),
	rulesFor([]Role{RoleExpert, RoleDept, RoleCountyAuthority, RoleMerchant}, ActEvaluationRate, ScopeAny),
	rulesFor([]Role{RoleAuthority, RoleCountyAuthority, RoleDept, RoleMerchant, RoleOperatorAdmin}, ActScenarioCreate, ScopeAny),
)

var scenarioStatusLabels = map[string]string{
	ScenarioProposed: "已提出", ScenarioAccepted: "已采纳", ScenarioLanded: "已落地", ScenarioRejected: "未采纳",
}

// ScenarioStatusLabel is the Chinese name of a scenario status.
func ScenarioStatusLabel(s string) string {
	if l, ok := scenarioStatusLabels[s]; ok {
		return l
	}
	return s
}

var evalLabels = map[string]string{
	EvalDraft: "指标制定中", EvalOpen: "评分中", EvalPublished: "已发布",
	GradeExcellent: "优秀", GradeGood: "良好", GradePass: "合格", GradePoor: "不合格",
}

// EvalStatusLabel is the Chinese name of an evaluation status.
func EvalStatusLabel(s string) string {
	if l, ok := evalLabels[s]; ok {
		return l
	}
	return s
}

// EvalGradeLabel is the Chinese name of a grade.
func EvalGradeLabel(g string) string { return EvalStatusLabel(g) }
