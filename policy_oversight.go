package shuyu

import "slices"

// Actions of supervision (issue 16, second half): secret marks (R2.1).
const (
	ActSecretRead Action = "secret_mark.read"
	ActSecretMark Action = "secret_mark.create" // mark an entry or a field (takes effect at once)
	ActSecretLift Action = "secret_mark.lift"   // 解密: the city authority only, with a reason
)

// oversightRules: a department marks its own entries, the authorities those
// of their region; only the city authority lifts a mark (R2.1). The operator
// and the regulators read marks (they meet the refusals they cause).
var oversightRules = slices.Concat(
	[]Rule{
		{RoleDept, ActSecretRead, ScopeOrg},
		{RoleDept, ActSecretMark, ScopeOrg},
		{RoleCountyAuthority, ActSecretRead, ScopeCounty},
		{RoleCountyAuthority, ActSecretMark, ScopeCounty},
		{RoleAuthority, ActSecretRead, ScopeCounty},
		{RoleAuthority, ActSecretMark, ScopeCounty},
		{RoleAuthority, ActSecretLift, ScopeCounty},
	},
	rulesFor([]Role{RoleOperatorAdmin, RoleOperatorReviewer, RoleRegulator}, ActSecretRead, ScopeAny),
)
