package shuyu

import (
	"slices"
	"strings"
	"time"
)

// Service providers (R6.3, Art. 6): a merchant delegates named tasks to a
// registered third-party service provider (数据合规、数据集成、数据经纪) for a
// term. While a provider's account acts for the merchant (it names the
// delegation on each request), its actor carries the delegation: the
// actor's organization is the merchant's, its only powers are the policy
// rows with ScopeDelegated whose action belongs to a delegated task, every
// event it causes is recorded as the provider's user on behalf of the
// merchant, and it reaches real data only when the delegation's real-data
// access was confirmed against the merchant's agreement.

// DelegationTask is a task a merchant can delegate.
type DelegationTask string

const (
	TaskApplication DelegationTask = "application" // prepare, submit and revise usage applications
	TaskSimQuery    DelegationTask = "sim_query"   // write and run workspace queries on simulated data
	TaskProduct     DelegationTask = "product"     // prepare a data product (tables need real-data access)
)

// DelegationTasks lists the tasks in order.
var DelegationTasks = []DelegationTask{TaskApplication, TaskSimQuery, TaskProduct}

// DelegationActions are the actions each task covers; the policy rows of
// the service provider role with ScopeDelegated are exactly these.
var DelegationActions = map[DelegationTask][]Action{
	TaskApplication: {ActApplicationCreate, ActApplicationRead, ActApplicationUpdate},
	TaskSimQuery:    {ActWorkspaceRead, ActWorkspaceQuery, ActWorkspaceSample, ActWorkspaceSimulate},
	TaskProduct:     {ActWorkspaceRead, ActProductRead, ActProductCreate},
}

// Real-data access of a delegation.
const (
	RealDataNone      = "none"      // simulated data only (the default)
	RealDataRequested = "requested" // the merchant asked, citing its agreement; the operator has not confirmed
	RealDataAllowed   = "allowed"   // the operator, party to the agreement, confirmed it allows the provider
)

// Delegation statuses (expired is computed from the term).
const (
	DelegationActive  = "active"
	DelegationRevoked = "revoked"
	DelegationExpired = "expired"
	DelegationPending = "pending" // the term has not started
)

// Delegation is one merchant's grant of tasks to a provider.
type Delegation struct {
	ID           int64            `json:"id"`
	MerchantOrg  int64            `json:"merchant_org_id"`
	MerchantName string           `json:"merchant_name"`
	ProviderOrg  int64            `json:"provider_org_id"`
	ProviderName string           `json:"provider_name"`
	Tasks        []DelegationTask `json:"tasks"`
	StartsAt     time.Time        `json:"starts_at"`
	EndsAt       time.Time        `json:"ends_at"`
	RealData     string           `json:"real_data"`
	AgreementID  int64            `json:"agreement_id,omitempty"`
	Note         string           `json:"note"`
	Status       string           `json:"status"`
	CreatedBy    int64            `json:"created_by"`
	CreatedAt    time.Time        `json:"created_at"`
	ConfirmedAt  *time.Time       `json:"confirmed_at,omitempty"`
	RevokedAt    *time.Time       `json:"revoked_at,omitempty"`
	RevokeReason string           `json:"revoke_reason,omitempty"`
}

// Resource: the merchant owns it, the provider is a party.
func (d *Delegation) Resource() Resource {
	return Resource{Kind: "delegation", OrgID: d.MerchantOrg, Parties: []int64{d.ProviderOrg}, Exists: true}
}

// DelegationInput is what the merchant grants.
type DelegationInput struct {
	ProviderOrgID int64            `json:"provider_org_id"`
	Tasks         []DelegationTask `json:"tasks"`
	From          string           `json:"from"` // YYYY-MM-DD, Beijing time, inclusive
	To            string           `json:"to"`   // YYYY-MM-DD, inclusive
	// AgreementID, when set, asks for real-data access under that agreement
	// of the merchant's (the operator confirms it allows the provider).
	AgreementID int64  `json:"agreement_id,omitempty"`
	Note        string `json:"note"`
}

// MaxDelegationDays caps a delegation's term.
const MaxDelegationDays = 366

// Acting is the delegation an actor acts under (nil for everyone else).
type Acting struct {
	DelegationID  int64
	MerchantOrgID int64
	ProviderOrgID int64
	Tasks         []DelegationTask
	RealData      bool
}

// Covers reports whether the delegation's tasks include action.
func (d *Acting) Covers(action Action) bool {
	for _, t := range d.Tasks {
		if slices.Contains(DelegationActions[t], action) {
			return true
		}
	}
	return false
}

// ParseTasks reads a stored comma list.
func ParseTasks(s string) []DelegationTask {
	var out []DelegationTask
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, DelegationTask(t))
		}
	}
	return out
}

// RealDataAllowed reports whether the actor may run queries over real data:
// everyone the policy lets query, except a provider acting under a
// delegation without confirmed real-data access (R6.3).
func (a *Actor) RealDataAllowed() bool {
	return a == nil || a.Acting == nil || a.Acting.RealData
}
