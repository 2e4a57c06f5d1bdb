package shuyu

import (
	"strings"
	"time"
)

// Workspace states (开发利用环境, R14.1). Active workspaces take queries;
// frozen ones are held by a suspension (R27.3) or by the operator; expired
// ones are past the agreement's term (R34.1); closed ones are ended for good.
// A workspace whose term has not started yet is shown as not started (a
// computed state, like expired) and takes no query until it starts.
const (
	WorkspaceNotStarted = "not_started"
	WorkspaceActive     = "active"
	WorkspaceFrozen     = "frozen"
	WorkspaceExpired    = "expired"
	WorkspaceClosed     = "closed"
)

// WorkspaceMachine: what the operator (or the authority, for freezing) may do
// to a workspace's stored state. Expiry is computed from the clock, not
// stored, so it needs no sweep and cannot be missed.
var WorkspaceMachine = Machine{Name: "工作区", Table: map[string]map[string]string{
	WorkspaceActive: {"freeze": WorkspaceFrozen, "close": WorkspaceClosed},
	WorkspaceFrozen: {"unfreeze": WorkspaceActive, "close": WorkspaceClosed},
}}

// Query data modes: simulated data is free to see (R6.1); real data is only
// reached through governed queries (R4.2).
const (
	DataReal      = "real"
	DataSimulated = "simulated"
)

// Column policies, in the spirit of SecretFlow SCQL's column control list.
// The names are those of package sandbox.
const (
	PolicyIdentifier = "identifier" // never released; joins and counts only
	PolicyQuasi      = "quasi"      // grouped or generalized only
	PolicySensitive  = "sensitive"  // inside aggregates only
	PolicyOpen       = "open"       // non-personal attributes
)

// identifierMarks are the field names and labels that make a field an
// identifier (ID numbers, names, phones, addresses, credit codes, card and
// serial numbers), whatever its flags say: a mislabelled flag must not let
// an ID number out (R28.5).
var identifierMarks = []string{
	"身份证", "身份号码", "证件号", "姓名", "手机", "电话", "联系方式", "住址", "地址", "住所",
	"信用代码", "卡号", "流水号", "法定代表人", "护照", "车牌",
	"id_number", "id_no", "idcard", "id_card", "phone", "mobile", "tel", "address", "addr",
	"uscc", "card_id", "card_no", "legal_rep", "passport", "plate",
}

// FieldPolicy derives a column's policy from its catalog field (R2.1, R28.5):
//   - ID numbers, names, phones, addresses, credit codes, card and serial
//     numbers (by name or label) → identifier;
//   - sensitive personal information or trade secrets → sensitive;
//   - other personal information → quasi;
//   - everything else → open.
//
// A field named "name" is an identifier when it is personal information.
func FieldPolicy(f CatalogField) string {
	name, label := strings.ToLower(f.Name), f.Label
	for _, m := range identifierMarks {
		if name == m || strings.HasPrefix(name, m+"_") || strings.HasSuffix(name, "_"+m) || strings.Contains(label, m) {
			return PolicyIdentifier
		}
	}
	if name == "name" && (f.PI || f.SensitivePI) {
		return PolicyIdentifier
	}
	switch {
	case f.SensitivePI || f.TradeSecret:
		return PolicySensitive
	case f.PI:
		return PolicyQuasi
	}
	return PolicyOpen
}

// WorkspaceK is the minimum number of distinct persons behind every released
// row, per grade (R28.3). Stricter grades raise it; the authority may change
// the figures, never below MinWorkspaceK.
var WorkspaceK = map[Grade]int{GradeCore: 20, GradeImportant: 15, GradeGeneral: 10}

// MinWorkspaceK is the floor under any K.
const MinWorkspaceK = 5

// KForGrades returns the K of a workspace over entries of these grades: the
// strictest grade decides.
func KForGrades(grades ...Grade) int {
	k := MinWorkspaceK
	for _, g := range grades {
		if v, ok := WorkspaceK[g]; ok && v > k {
			k = v
		}
	}
	if len(grades) == 0 {
		k = max(k, WorkspaceK[GradeGeneral])
	}
	return k
}

// Workspace is a merchant's development environment (开发利用环境, R14.1),
// opened by an agreement over exactly the granted entries and fields for its
// term.
type Workspace struct {
	ID           int64     `json:"id"`
	OrgID        int64     `json:"org_id"`
	OrgName      string    `json:"org_name"`
	AgreementID  int64     `json:"agreement_id,omitempty"`
	Name         string    `json:"name"`
	Status       string    `json:"status"` // effective: stored state, or expired past EndsAt
	StatusReason string    `json:"status_reason,omitempty"`
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	K            int       `json:"k"`
	Epsilon      float64   `json:"dp_epsilon"` // differential-privacy budget; 0: DP mode off
	// ByConsent: real-data queries see only the rows of subjects with a
	// live grant to the merchant for this workspace (R28.5).
	ByConsent bool             `json:"by_consent"`
	Grants    []WorkspaceEntry `json:"grants"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// Resource describes the workspace to the policy: the merchant owns it.
func (w *Workspace) Resource() Resource {
	return Resource{Kind: "workspace", OrgID: w.OrgID, Exists: true}
}

// WorkspaceEntry is one granted catalog entry with its granted fields.
type WorkspaceEntry struct {
	EntryID   int64            `json:"entry_id"`
	EntryCode string           `json:"entry_code"`
	EntryName string           `json:"entry_name"`
	Table     string           `json:"table"` // the name merchants query
	VaultName string           `json:"-"`     // the entry's view in the domain
	Grade     Grade            `json:"grade"`
	OrgID     int64            `json:"org_id"` // the source department
	Fields    []WorkspaceField `json:"fields"`
	PersonKey string           `json:"-"`         // the field identifying a person, granted or not
	OneEach   bool             `json:"-"`         // the person key is unique: one row per person
	Suspended bool             `json:"suspended"` // supply suspended (R27.3): the table cannot be read
	// R2.1: the entry, or some of its granted fields, were marked a state
	// or work secret after the grant; they can no longer be read.
	Secret       bool     `json:"secret,omitempty"`
	SecretFields []string `json:"secret_fields,omitempty"`
}

// WorkspaceField is one granted field and its policy.
type WorkspaceField struct {
	Name     string    `json:"name"`
	Label    string    `json:"label"`
	DataType FieldType `json:"data_type"`
	Grade    Grade     `json:"grade"`
	Policy   string    `json:"policy"`
}

// WorkspaceGrant is what an agreement grants: the merchant, the entries and
// fields, and the term. AgreementID is 0 when the operator opens a workspace
// by hand (trials, the demo).
type WorkspaceGrant struct {
	OrgID       int64        `json:"org_id"`
	AgreementID int64        `json:"agreement_id,omitempty"`
	Name        string       `json:"name"`
	StartsAt    time.Time    `json:"starts_at"`
	EndsAt      time.Time    `json:"ends_at"`
	Entries     []GrantEntry `json:"entries"`
	// K raises the grade-derived K for this workspace; it never lowers it.
	K int `json:"k,omitempty"`
	// Epsilon is the DP budget; 0 leaves DP mode off.
	Epsilon float64 `json:"dp_epsilon,omitempty"`
	// ByConsent opens the workspace "by consent" (R28.5): its queries see
	// only the rows of subjects who granted the merchant their use.
	ByConsent bool `json:"by_consent,omitempty"`
}

// GrantEntry is one entry of a grant; no fields means every field.
type GrantEntry struct {
	EntryID   int64    `json:"entry_id,omitempty"`
	EntryCode string   `json:"entry_code,omitempty"` // alternative to EntryID
	Fields    []string `json:"fields,omitempty"`
}

// QueryReason explains a query outcome in plain Chinese.
type QueryReason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WorkspaceQuery is one recorded query: its text, decision, reasons, result
// shape (never values) and metering (R14.2, R27.1).
type WorkspaceQuery struct {
	ID           int64         `json:"id"`
	WorkspaceID  int64         `json:"workspace_id"`
	UserID       int64         `json:"user_id"`
	Username     string        `json:"username"`
	SQL          string        `json:"sql"`
	Data         string        `json:"data"`
	Status       string        `json:"status"` // released, withheld, rejected
	Reasons      []QueryReason `json:"reasons"`
	Rules        []string      `json:"rules"`
	Shape        QueryShape    `json:"shape"`
	CPUMicros    int64         `json:"cpu_us"`
	WallMicros   int64         `json:"wall_us"`
	RowsScanned  int64         `json:"rows_scanned"`
	RowsReturned int64         `json:"rows_returned"`
	CreatedAt    time.Time     `json:"created_at"`
	// ConsentUses are the grants whose subjects' rows the query read in a
	// consent-gated workspace (R28.5): counted with the query, never shown
	// to the merchant.
	ConsentUses []int64 `json:"-"`
}

// QueryShape is a result's shape: column names and types, row counts, the
// workspace table of a withheld result. Never values (R27.1).
type QueryShape struct {
	Columns    []ShapeColumn `json:"columns"`
	Rows       int           `json:"rows"`
	Suppressed int           `json:"suppressed"`
	Table      string        `json:"table,omitempty"`
	SQLHash    string        `json:"sql_hash,omitempty"`
}

// ShapeColumn names and types one result column.
type ShapeColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// WorkspaceUsage sums a workspace's metering for fees (R14.2).
type WorkspaceUsage struct {
	Queries      int64 `json:"queries"`
	CPUMicros    int64 `json:"cpu_us"`
	RowsScanned  int64 `json:"rows_scanned"`
	RowsReturned int64 `json:"rows_returned"`
	// EpsilonSpent is the differential-privacy budget the workspace's
	// releases have spent (its ledger is workspace_releases).
	EpsilonSpent float64 `json:"epsilon_spent"`
}
