package shuyu

import "slices"

// Actions of service-provider delegations (R6.3).
const (
	ActDelegationRead    Action = "delegation.read"    // the merchant its own, the provider those naming it, the operator, authority and regulators all
	ActDelegationCreate  Action = "delegation.create"  // a merchant delegates tasks for a term
	ActDelegationRevoke  Action = "delegation.revoke"  // the merchant revokes at once
	ActDelegationConfirm Action = "delegation.confirm" // the operator confirms the agreement allows the provider real data
)

// delegationRules: the merchant grants and revokes; the provider reads the
// delegations naming it (ScopeParty); the operator's administrator, party
// to every agreement, confirms real-data access; the authority and the
// regulators read. The provider's delegated powers are the ScopeDelegated
// rows, one per action of DelegationActions.
var delegationRules = slices.Concat(
	[]Rule{
		{RoleMerchant, ActDelegationRead, ScopeOrg},
		{RoleMerchant, ActDelegationCreate, ScopeOrg},
		{RoleMerchant, ActDelegationRevoke, ScopeOrg},
		{RoleServiceProvider, ActDelegationRead, ScopeParty},
		{RoleOperatorAdmin, ActDelegationConfirm, ScopeAny},
	},
	rulesFor([]Role{RoleOperatorAdmin, RoleOperatorReviewer, RoleAuthority, RoleRegulator}, ActDelegationRead, ScopeAny),
	delegatedRows(),
)

// delegatedRows are the provider's rows for the delegated tasks' actions.
func delegatedRows() []Rule {
	var out []Rule
	seen := map[Action]bool{}
	for _, t := range DelegationTasks {
		for _, a := range DelegationActions[t] {
			if !seen[a] {
				seen[a] = true
				out = append(out, Rule{RoleServiceProvider, a, ScopeDelegated})
			}
		}
	}
	return out
}
