package shuyu

import (
	"context"
	"slices"
)

// Actor is who performs an action: a logged-in user acting through the
// API, the CLI, or the system itself (deadline sweeps, checkpoints).
type Actor struct {
	UserID   int64
	Username string
	Roles    []Role
	OrgID    int64
	OrgKind  OrgKind
	Region   string
	// Acting is set when a service provider's account acts for a merchant
	// under a delegation (R6.3): OrgID, OrgKind and Region are then the
	// merchant's, and only ScopeDelegated rows of covered actions apply.
	Acting *Acting
}

// System is the system actor: it performs deemed approvals, expiries and
// checkpoints (R21.3) and is recorded as "system" in the trail.
var System = &Actor{Username: "system"}

// IsSystem reports whether a is the system actor.
func (a *Actor) IsSystem() bool { return a == System }

// Has reports whether the actor holds role r.
func (a *Actor) Has(r Role) bool { return slices.Contains(a.Roles, r) }

// Action names what is done, as "<resource>.<verb>".
type Action string

// Scope says which objects a rule covers.
type Scope int

const (
	ScopeAny       Scope = iota + 1 // every object of the kind
	ScopeOrg                        // objects owned by the actor's organization
	ScopeCounty                     // objects in the actor's county (or the whole city for city bodies)
	ScopeSelf                       // objects that are the actor's own (its account, its sessions)
	ScopeParty                      // objects the actor's organization is a named party to
	ScopeDelegated                  // a provider acting for a merchant (R6.3): the merchant's objects, for the delegated tasks' actions only
)

// Resource describes the object an action touches, as far as the policy
// needs to know it. A zero Resource means "the collection" (list, create).
type Resource struct {
	Kind    string  // "user", "org", "audit", …
	OrgID   int64   // owning organization
	Region  string  // region of the owning organization or of the data
	OwnerID int64   // owning user, where ownership is personal
	Parties []int64 // organizations that are parties to the object
	Exists  bool    // true for a concrete object (enables 404 instead of 403)
}

// Rule grants a role an action over the objects in a scope.
type Rule struct {
	Role   Role
	Action Action
	Scope  Scope
}

// Policy is the one authorization table (invariant 3). Each capability
// contributes its rows in its own file; Authorize reads only this.
var Policy = slices.Concat(foundationRules, catalogRules, reviewRules, domainRules, sandboxRules, outputRules, queryRules, portalRules, serviceRules,
	supervisionRules, moneyRules, pullRules, oversightRules, authorizationRules, expertRules, checklistRules, delegationRules, riskRules)

// Authorize decides whether actor may perform action on res. It answers
// nil, ENOTFOUND when the object is out of every scope the actor could see
// it in (another tenant's object must look absent), or EFORBIDDEN when the
// actor may see the object (or the collection) but not do this to it.
func Authorize(a *Actor, action Action, res Resource) error {
	if a == nil {
		return Errorf(EUNAUTHORIZED, "请先登录 (login required)")
	}
	if a.IsSystem() {
		return nil
	}
	if allowed(a, action, res) {
		return nil
	}
	if res.Exists && !visible(a, res) {
		return Errorf(ENOTFOUND, "对象不存在 (not found)")
	}
	return Errorf(EFORBIDDEN, "无权执行此操作 (%s)", action)
}

// Can is Authorize as a boolean, for menus and links.
func Can(a *Actor, action Action, res Resource) bool { return Authorize(a, action, res) == nil }

func allowed(a *Actor, action Action, res Resource) bool {
	for _, r := range Policy {
		if r.Action != action || !a.Has(r.Role) {
			continue
		}
		// R6.3: an actor acting under a delegation has the delegated
		// tasks' powers and nothing else; ScopeDelegated rows grant
		// nothing to anyone else.
		if (a.Acting != nil) != (r.Scope == ScopeDelegated) {
			continue
		}
		if r.Scope == ScopeDelegated && !a.Acting.Covers(action) {
			continue
		}
		if inScope(a, r.Scope, res) {
			return true
		}
	}
	return false
}

// visible: the actor could read the object, so refusing another action on
// it may say "forbidden" without revealing anything.
func visible(a *Actor, res Resource) bool {
	return allowed(a, Action(res.Kind+".read"), res)
}

func inScope(a *Actor, s Scope, res Resource) bool {
	switch s {
	case ScopeAny:
		return true
	case ScopeOrg:
		return !res.Exists || res.OrgID == a.OrgID
	case ScopeCounty:
		if !res.Exists {
			return true
		}
		if !IsCounty(a.Region) {
			return CityOf(res.Region) == a.Region
		}
		return res.Region == a.Region
	case ScopeSelf:
		return res.Exists && res.OwnerID == a.UserID
	case ScopeParty:
		return !res.Exists || res.OrgID == a.OrgID || slices.Contains(res.Parties, a.OrgID)
	case ScopeDelegated:
		return a.Acting != nil && a.OrgID == a.Acting.MerchantOrgID && (!res.Exists || res.OrgID == a.OrgID)
	}
	return false
}

// Actions of the foundation.
const (
	ActOrgRead       Action = "org.read"
	ActOrgCreate     Action = "org.create"
	ActOrgUpdate     Action = "org.update"
	ActUserRead      Action = "user.read"
	ActUserCreate    Action = "user.create"
	ActUserUpdate    Action = "user.update" // roles, status, display name
	ActUserUnlock    Action = "user.unlock"
	ActUserResetPass Action = "user.reset_password"
	ActSecurityRead  Action = "security.read"
	ActSecurityWrite Action = "security.update" // TOTP requirement per role
	ActAuditRead     Action = "audit.read"
	ActAuditExport   Action = "audit.export"
	ActAuditVerify   Action = "audit.verify"
	ActSystemRead    Action = "system.read"       // health, metrics, storage, checkpoints
	ActSystemOperate Action = "system.checkpoint" // force an audit checkpoint
)

// businessRoles are every role that acts in the measures' workflows.
var businessRoles = []Role{RoleAuthority, RoleCountyAuthority, RoleDept, RoleOperatorAdmin,
	RoleOperatorReviewer, RoleMerchant, RoleExpert, RoleRegulator, RoleServiceProvider}

func rulesFor(roles []Role, action Action, scope Scope) []Rule {
	out := make([]Rule, len(roles))
	for i, r := range roles {
		out[i] = Rule{r, action, scope}
	}
	return out
}

// foundationRules: the security administrator manages accounts and
// organizations but reads no trail; the audit administrator reads and
// verifies the trail but manages nothing; the system administrator runs the
// platform and touches neither (三员分立, R29.1). Regulators read the trail
// (R30.1). Everyone sees their own account and organization.
var foundationRules = slices.Concat(
	[]Rule{
		{RoleSecAdmin, ActOrgRead, ScopeAny},
		{RoleSecAdmin, ActOrgCreate, ScopeAny},
		{RoleSecAdmin, ActOrgUpdate, ScopeAny},
		{RoleSecAdmin, ActUserRead, ScopeAny},
		{RoleSecAdmin, ActUserCreate, ScopeAny},
		{RoleSecAdmin, ActUserUpdate, ScopeAny},
		{RoleSecAdmin, ActUserUnlock, ScopeAny},
		{RoleSecAdmin, ActUserResetPass, ScopeAny},
		{RoleSecAdmin, ActSecurityRead, ScopeAny},
		{RoleSecAdmin, ActSecurityWrite, ScopeAny},
		{RoleAuditAdmin, ActAuditRead, ScopeAny},
		{RoleAuditAdmin, ActAuditExport, ScopeAny},
		{RoleAuditAdmin, ActAuditVerify, ScopeAny},
		{RoleRegulator, ActAuditRead, ScopeAny},
		{RoleRegulator, ActAuditExport, ScopeAny},
		// The regulator can run the integrity check too (R28.1, R30.1): it
		// reads the trail and records only that it was run.
		{RoleRegulator, ActAuditVerify, ScopeAny},
		{RoleSysAdmin, ActSystemRead, ScopeAny},
		{RoleSysAdmin, ActSystemOperate, ScopeAny},
		{RoleAuthority, ActOrgRead, ScopeAny}, // the authority sees every party of its city
		{RoleOperatorAdmin, ActOrgRead, ScopeAny},
		{RoleOperatorReviewer, ActOrgRead, ScopeAny},
		{RoleRegulator, ActOrgRead, ScopeAny},
		{RoleCountyAuthority, ActOrgRead, ScopeCounty},
	},
	rulesFor(businessRoles, ActOrgRead, ScopeOrg),
	rulesFor(businessRoles, ActUserRead, ScopeOrg), // colleagues
	rulesFor(Roles, ActUserRead, ScopeSelf),
	rulesFor([]Role{RoleSysAdmin, RoleAuditAdmin}, ActOrgRead, ScopeOrg),
)

type actorKey struct{}

// WithActor returns ctx carrying the actor.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or nil.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// RequestInfo is what the audit trail records about the request that
// caused a change.
type RequestInfo struct {
	RequestID string
	ClientIP  string
}

type reqKey struct{}

// WithRequestInfo returns ctx carrying request information for the trail.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, reqKey{}, ri)
}

// RequestInfoFrom returns the request information in ctx.
func RequestInfoFrom(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(reqKey{}).(RequestInfo)
	return ri
}
