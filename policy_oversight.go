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

// Actions of the expert committee (R7.1).
const (
	ActExpertRead     Action = "expert_referral.read"
	ActExpertList     Action = "expert_referral.list"     // open the list; it holds only what expert_referral.read allows
	ActExpertRefer    Action = "expert_referral.create"   // refer a case with questions
	ActExpertOpine    Action = "expert_referral.opine"    // a named expert's signed opinion
	ActExpertWithdraw Action = "expert_referral.withdraw" // the referrer's side withdraws, with a reason
)

// expertRules: the operator and the authority refer and read every
// referral; an expert reads and answers only the referrals that name them
// (ScopeSelf: ExpertReferral.Resource sets OwnerID only for a named
// expert); a department deciding the case reads its opinions (ScopeParty);
// regulators read all (R30.1).
var expertRules = slices.Concat(
	[]Rule{
		{RoleExpert, ActExpertRead, ScopeSelf},
		{RoleExpert, ActExpertOpine, ScopeSelf},
		{RoleDept, ActExpertRead, ScopeParty},
	},
	rulesFor([]Role{RoleOperatorAdmin, RoleOperatorReviewer, RoleAuthority}, ActExpertRefer, ScopeAny),
	rulesFor([]Role{RoleOperatorAdmin, RoleAuthority}, ActExpertWithdraw, ScopeAny),
	rulesFor([]Role{RoleOperatorAdmin, RoleOperatorReviewer, RoleAuthority, RoleRegulator}, ActExpertRead, ScopeAny),
	rulesFor([]Role{RoleOperatorAdmin, RoleOperatorReviewer, RoleAuthority, RoleRegulator, RoleExpert, RoleDept}, ActExpertList, ScopeAny),
)
