package shuyu

import (
	"slices"
	"time"
)

// Risk assessments (R27.2) and emergency plans with drills and incidents
// (R28.2, Art. 29). An assessment covers key supervision points in the four
// areas of Art. 27, has an owner and a deadline on the working-day
// calendar, records its findings and the measures it decides (each with an
// owner, a deadline and a follow-up) and is closed by the authority once
// every measure is done. An emergency plan (one per scenario category, and
// the platform's own) fixes how soon the authority must be notified of an
// incident and by when the written report is due; incidents handled under
// it keep a timeline, and the deadlines show whether they were met.

// Risk assessment statuses.
const (
	RiskPlanned  = "planned"
	RiskAssessed = "assessed"
	RiskClosed   = "closed"
)

// Risk levels.
var RiskLevels = []string{"low", "medium", "high"}

// RiskAssessment is one assessment with its measures.
type RiskAssessment struct {
	ID         int64           `json:"id"`
	Title      string          `json:"title"`
	Scope      string          `json:"scope"`
	Areas      []ChecklistArea `json:"areas"`
	Method     string          `json:"method"`
	Findings   string          `json:"findings"`
	Level      string          `json:"level"`
	OwnerOrg   int64           `json:"owner_org_id"`
	OwnerName  string          `json:"owner_name"`
	Status     string          `json:"status"`
	Workdays   int             `json:"workdays"`
	DueAt      time.Time       `json:"due_at"`
	Overdue    bool            `json:"overdue"` // not assessed by the deadline (as of now)
	CreatedAt  time.Time       `json:"created_at"`
	AssessedAt *time.Time      `json:"assessed_at,omitempty"`
	ClosedAt   *time.Time      `json:"closed_at,omitempty"`
	CloseNote  string          `json:"close_note,omitempty"`
	Measures   []RiskMeasure   `json:"measures"`
}

// RiskMeasure is a measure an assessment decided.
type RiskMeasure struct {
	ID        int64      `json:"id"`
	Measure   string     `json:"measure"`
	OwnerOrg  int64      `json:"owner_org_id"`
	OwnerName string     `json:"owner_name"`
	Workdays  int        `json:"workdays"`
	DueAt     time.Time  `json:"due_at"`
	Overdue   bool       `json:"overdue"`
	Status    string     `json:"status"` // open, done
	FollowUp  string     `json:"follow_up"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
}

// RiskPlanInput plans an assessment.
type RiskPlanInput struct {
	Title      string          `json:"title"`
	Scope      string          `json:"scope"`
	Areas      []ChecklistArea `json:"areas"`
	Method     string          `json:"method"`
	OwnerOrgID int64           `json:"owner_org_id"` // 0: the actor's organization
	Workdays   int             `json:"workdays"`     // deadline in working days (1-120)
}

// RiskFindingsInput records what the assessment found and decided.
type RiskFindingsInput struct {
	Findings string             `json:"findings"`
	Level    string             `json:"level"`
	Measures []RiskMeasureInput `json:"measures"`
}

// RiskMeasureInput is one measure decided.
type RiskMeasureInput struct {
	Measure    string `json:"measure"`
	OwnerOrgID int64  `json:"owner_org_id"`
	Workdays   int    `json:"workdays"`
}

// ValidRiskLevel reports whether l is a known level.
func ValidRiskLevel(l string) bool { return slices.Contains(RiskLevels, l) }

// Incident statuses and levels.
const (
	IncidentOpen     = "open"
	IncidentNotified = "notified"
	IncidentReported = "reported"
	IncidentClosed   = "closed"
)

// IncidentLevels: 一般, 较大, 重大.
var IncidentLevels = []string{"general", "major", "severe"}

// IncidentLabels are the Chinese names of incident levels and statuses, for
// texts the store writes (what the experts are shown of an incident).
var IncidentLabels = map[string]string{
	"general": "一般", "major": "较大", "severe": "重大",
	IncidentOpen: "处置中", IncidentNotified: "已报告主管部门", IncidentReported: "已提交书面报告", IncidentClosed: "已结案",
}

// EmergencyPlan is an emergency plan (应急预案).
type EmergencyPlan struct {
	ID          int64            `json:"id"`
	Title       string           `json:"title"`
	Category    string           `json:"category"` // platform, or a scenario domain
	OwnerOrg    int64            `json:"owner_org_id"`
	OwnerName   string           `json:"owner_name"`
	Body        string           `json:"body"`
	NotifyHours int              `json:"notify_hours"`
	ReportDays  int              `json:"report_days"`
	Status      string           `json:"status"` // active, retired
	CreatedAt   time.Time        `json:"created_at"`
	Drills      []EmergencyDrill `json:"drills"`
}

// EmergencyPlanInput is a new plan.
type EmergencyPlanInput struct {
	Title       string `json:"title"`
	Category    string `json:"category"`
	Body        string `json:"body"`
	NotifyHours int    `json:"notify_hours"` // 1-72
	ReportDays  int    `json:"report_days"`  // 1-30 working days
}

// EmergencyDrill is a drill held under a plan.
type EmergencyDrill struct {
	ID           int64     `json:"id"`
	HeldOn       string    `json:"held_on"`
	Scenario     string    `json:"scenario"`
	Participants string    `json:"participants"`
	Findings     string    `json:"findings"`
	CreatedAt    time.Time `json:"created_at"`
}

// Incident is a security incident handled under a plan.
type Incident struct {
	ID         int64           `json:"id"`
	PlanID     int64           `json:"plan_id"`
	PlanTitle  string          `json:"plan_title"`
	Title      string          `json:"title"`
	Level      string          `json:"level"`
	Summary    string          `json:"summary"`
	OrgID      int64           `json:"org_id"`
	Status     string          `json:"status"`
	DetectedAt time.Time       `json:"detected_at"`
	NotifyDue  time.Time       `json:"notify_due"`
	NotifiedAt *time.Time      `json:"notified_at,omitempty"`
	NotifyLate bool            `json:"notify_late"` // notified after the plan's deadline, or not yet and past it
	ReportDue  time.Time       `json:"report_due"`
	ReportedAt *time.Time      `json:"reported_at,omitempty"`
	ReportLate bool            `json:"report_late"`
	ClosedAt   *time.Time      `json:"closed_at,omitempty"`
	Closure    string          `json:"closure,omitempty"`
	Events     []IncidentEvent `json:"events"`
}

// IncidentEvent is one entry of an incident's timeline.
type IncidentEvent struct {
	Kind string    `json:"kind"` // detected, action, notified, reported, closed
	Text string    `json:"text"`
	User string    `json:"user"`
	At   time.Time `json:"at"`
}

// IncidentInput records an incident.
type IncidentInput struct {
	PlanID     int64  `json:"plan_id"`
	Title      string `json:"title"`
	Level      string `json:"level"`
	Summary    string `json:"summary"`
	DetectedAt string `json:"detected_at"` // RFC 3339 or "2006-01-02 15:04" Beijing time; empty: now
}

// IncidentStep moves an incident: action (a timeline note), notify (the
// authority was notified), report (the written report was filed), close.
type IncidentStep struct {
	Step string `json:"step"`
	Text string `json:"text"`
}

// Actions of risk assessments and emergency handling.
const (
	ActRiskRead       Action = "risk.read"
	ActRiskPlan       Action = "risk.plan"   // plan an assessment
	ActRiskAssess     Action = "risk.assess" // record findings and measures, follow up measures
	ActRiskClose      Action = "risk.close"  // the authority closes it once the measures are done
	ActEmergencyRead  Action = "emergency.read"
	ActEmergencyWrite Action = "emergency.write" // plans, drills, incidents and their steps
)

// riskRules: the authority and the operator plan and assess, the authority
// closes; the operator keeps the plans and handles incidents; the
// authority and the regulators read everything (R27.2, R28.2, R30.1).
var riskRules = slices.Concat(
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin, RoleOperatorReviewer, RoleRegulator}, ActRiskRead, ScopeAny),
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin}, ActRiskPlan, ScopeAny),
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin}, ActRiskAssess, ScopeAny),
	[]Rule{{RoleAuthority, ActRiskClose, ScopeAny}, {RoleOperatorAdmin, ActEmergencyWrite, ScopeAny}},
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin, RoleOperatorReviewer, RoleRegulator}, ActEmergencyRead, ScopeAny),
)
