package shuyu

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// CatalogStep is one verb of the catalog approval flow (R8.4-R8.6).
type CatalogStep string

const (
	StepSubmit        CatalogStep = "submit"         // department sends it up
	StepApproveCounty CatalogStep = "approve_county" // county authority passes it to the city
	StepReturnCounty  CatalogStep = "return_county"  // county authority sends it back with reasons
	StepApproveCity   CatalogStep = "approve_city"   // city authority approves and consents to publication
	StepReturnCity    CatalogStep = "return_city"    // city authority sends it back with reasons
	StepPublish       CatalogStep = "publish"        // the operator pushes it onto the platform (R8.6)
)

// CatalogTransition is one row of the flow table: from which statuses a
// step may be taken, by whom (the action), and where it leads.
type CatalogTransition struct {
	Step         CatalogStep
	From         []RevisionStatus
	Action       Action
	To           RevisionStatus
	NeedsReason  bool // R21.2 in spirit: a return names its reasons
	CountyTarget RevisionStatus
}

// CatalogFlow is the approval state machine as a table. Submit goes to the
// county authority when the entry belongs to a county, else straight to
// the city authority (R8.4).
var CatalogFlow = []CatalogTransition{
	{Step: StepSubmit, From: []RevisionStatus{StatusDraft, StatusReturned}, Action: ActCatalogSubmit,
		To: StatusCityReview, CountyTarget: StatusCountyReview},
	{Step: StepApproveCounty, From: []RevisionStatus{StatusCountyReview}, Action: ActCatalogReviewCounty, To: StatusCityReview},
	{Step: StepReturnCounty, From: []RevisionStatus{StatusCountyReview}, Action: ActCatalogReviewCounty, To: StatusReturned, NeedsReason: true},
	{Step: StepApproveCity, From: []RevisionStatus{StatusCityReview}, Action: ActCatalogReviewCity, To: StatusApproved},
	{Step: StepReturnCity, From: []RevisionStatus{StatusCityReview}, Action: ActCatalogReviewCity, To: StatusReturned, NeedsReason: true},
	{Step: StepPublish, From: []RevisionStatus{StatusApproved}, Action: ActCatalogPublish, To: StatusPublished},
}

// CatalogNext looks the step up in the flow: the action the actor needs
// and the status the revision moves to. A step that does not fit the
// current status is ECONFLICT.
func CatalogNext(step CatalogStep, from RevisionStatus, region string) (Action, RevisionStatus, *CatalogTransition, error) {
	for i := range CatalogFlow {
		t := &CatalogFlow[i]
		if t.Step != step {
			continue
		}
		if !catalogIn(t.From, from) {
			return "", "", nil, Errorf(ECONFLICT, "目录当前状态为“%s”，不能%s (step %s not allowed from %s)",
				CatalogStatusLabel(from), CatalogStepLabel(step), step, from)
		}
		to := t.To
		if t.CountyTarget != "" && IsCounty(region) {
			to = t.CountyTarget
		}
		return t.Action, to, t, nil
	}
	return "", "", nil, Errorf(EINVALID, "未知的审批操作 %q (unknown step)", step)
}

// CatalogStatusLabel is the Chinese name of a status.
func CatalogStatusLabel(s RevisionStatus) string {
	return map[RevisionStatus]string{StatusDraft: "草稿", StatusCountyReview: "县(区)审核中", StatusCityReview: "市级审核中",
		StatusReturned: "已退回", StatusApproved: "已审核待发布", StatusPublished: "已发布", StatusSuperseded: "已被新版本替代"}[s]
}

// CatalogStepLabel is the Chinese name of a step.
func CatalogStepLabel(s CatalogStep) string {
	return map[CatalogStep]string{StepSubmit: "提交", StepApproveCounty: "县(区)审核通过", StepReturnCounty: "县(区)退回",
		StepApproveCity: "市级审核通过", StepReturnCity: "市级退回", StepPublish: "发布"}[s]
}

// CatalogChange is one difference between two revisions (R9.1).
type CatalogChange struct {
	Kind  string `json:"kind"`            // changed, field_added, field_removed, field_changed
	Field string `json:"field,omitempty"` // field name for field_* kinds
	Attr  string `json:"attr,omitempty"`  // which attribute changed
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

// DiffRevisions lists what changed from a to b, entry attributes first, then
// fields in b's order, then removed fields.
func DiffRevisions(a, b *CatalogRevision) []CatalogChange {
	var out []CatalogChange
	attr := func(name, o, n string) {
		if o != n {
			out = append(out, CatalogChange{Kind: "changed", Attr: name, Old: o, New: n})
		}
	}
	attr("name", a.Name, b.Name)
	attr("summary", a.Summary, b.Summary)
	attr("category_id", fmt.Sprint(a.CategoryID), fmt.Sprint(b.CategoryID))
	attr("grade", string(a.Grade), string(b.Grade))
	attr("grade_level", fmt.Sprint(a.GradeLevel), fmt.Sprint(b.GradeLevel))
	attr("open_attr", string(a.OpenAttr), string(b.OpenAttr))
	attr("public_source", fmt.Sprint(a.PublicSource), fmt.Sprint(b.PublicSource))
	attr("auth_mode", string(a.AuthMode), string(b.AuthMode))
	attr("update_freq", string(a.UpdateFreq), string(b.UpdateFreq))
	attr("time_span", a.TimeSpan, b.TimeSpan)
	attr("volume", a.Volume, b.Volume)
	old := map[string]CatalogField{}
	for _, f := range a.Fields {
		old[f.Name] = f
	}
	seen := map[string]bool{}
	for _, f := range b.Fields {
		seen[f.Name] = true
		o, ok := old[f.Name]
		if !ok {
			out = append(out, CatalogChange{Kind: "field_added", Field: f.Name, New: f.Label})
			continue
		}
		fa := func(name, ov, nv string) {
			if ov != nv {
				out = append(out, CatalogChange{Kind: "field_changed", Field: f.Name, Attr: name, Old: ov, New: nv})
			}
		}
		fa("label", o.Label, f.Label)
		fa("data_type", string(o.DataType), string(f.DataType))
		fa("description", o.Description, f.Description)
		fa("pi", fmt.Sprint(o.PI), fmt.Sprint(f.PI))
		fa("sensitive_pi", fmt.Sprint(o.SensitivePI), fmt.Sprint(f.SensitivePI))
		fa("trade_secret", fmt.Sprint(o.TradeSecret), fmt.Sprint(f.TradeSecret))
		fa("grade", string(o.Grade), string(f.Grade))
	}
	for _, f := range a.Fields {
		if !seen[f.Name] {
			out = append(out, CatalogChange{Kind: "field_removed", Field: f.Name, Old: f.Label})
		}
	}
	return out
}

// DemandStatus tracks a catalog expansion demand (R9.1).
type DemandStatus string

const (
	DemandOpen      DemandStatus = "open"      // filed, waiting for the authority
	DemandRouted    DemandStatus = "routed"    // the authority sent it to a department
	DemandAccepted  DemandStatus = "accepted"  // the department will add or revise an entry
	DemandFulfilled DemandStatus = "fulfilled" // an entry now covers it
	DemandRejected  DemandStatus = "rejected"  // declined, with reasons
)

// DemandStatuses lists the statuses in flow order.
var DemandStatuses = []DemandStatus{DemandOpen, DemandRouted, DemandAccepted, DemandFulfilled, DemandRejected}

// Valid reports whether the status is known.
func (s DemandStatus) Valid() bool { return catalogIn(DemandStatuses, s) }

// demandMoves: which status may follow which. Routing again is allowed (the
// authority picked the wrong department); closed demands stay closed.
var demandMoves = map[DemandStatus][]DemandStatus{
	DemandOpen:     {DemandRouted, DemandRejected},
	DemandRouted:   {DemandRouted, DemandAccepted, DemandFulfilled, DemandRejected},
	DemandAccepted: {DemandFulfilled, DemandRejected},
}

// DemandCanMove reports whether a demand may go from one status to another.
func DemandCanMove(from, to DemandStatus) bool { return catalogIn(demandMoves[from], to) }

// CatalogDemand is a request for data not yet in the catalog (R9.1).
type CatalogDemand struct {
	ID            int64        `json:"id"`
	Title         string       `json:"title"`
	Description   string       `json:"description"`
	Scenario      string       `json:"scenario"` // what it is for
	RequesterOrg  int64        `json:"requester_org_id"`
	RequesterName string       `json:"requester_org_name"`
	RoutedOrg     int64        `json:"routed_org_id,omitempty"`
	RoutedName    string       `json:"routed_org_name,omitempty"`
	EntryID       int64        `json:"entry_id,omitempty"` // the entry that fulfils it
	Status        DemandStatus `json:"status"`
	Response      string       `json:"response,omitempty"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

// Resource describes the demand to the policy: the requester owns it, the
// department it was routed to is a party.
func (d *CatalogDemand) Resource() Resource {
	res := Resource{Kind: "demand", OrgID: d.RequesterOrg, Exists: true}
	if d.RoutedOrg != 0 {
		res.Parties = []int64{d.RoutedOrg}
	}
	return res
}

// Validate checks a new demand.
func (d *CatalogDemand) Validate() error {
	d.Title = strings.TrimSpace(d.Title)
	d.Description = strings.TrimSpace(d.Description)
	d.Scenario = strings.TrimSpace(d.Scenario)
	var fe []FieldError
	if n := utf8.RuneCountInString(d.Title); n < 2 || n > 100 {
		fe = append(fe, FieldError{"title", "需求名称须为 2 至 100 个字符"})
	}
	if n := utf8.RuneCountInString(d.Description); n < 1 || n > 2000 {
		fe = append(fe, FieldError{"description", "需求说明须为 1 至 2000 个字符"})
	}
	if utf8.RuneCountInString(d.Scenario) > 500 {
		fe = append(fe, FieldError{"scenario", "应用场景不得超过 500 个字符"})
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "数据需求信息不完整或有误 (invalid demand)").WithDetails(fe)
	}
	return nil
}
