package shuyu

// Actions of the compliance checklists (R17.1, R18.1, R20.3, R21.4, R23.1).
const (
	ActChecklistRead    Action = "checklist.read"    // the rule sets (proposals only to the operator, the authority, regulators)
	ActChecklistPropose Action = "checklist.propose" // the operator drafts a version
	ActChecklistApprove Action = "checklist.approve" // the city authority approves it (and may widen four eyes)
)

// checklistRules: the operator proposes, the city authority approves; every
// party of the checks reads the approved rules (merchants learn what the
// check asks, R20.3).
var checklistRules = []Rule{
	{RoleOperatorAdmin, ActChecklistPropose, ScopeAny},
	{RoleAuthority, ActChecklistApprove, ScopeAny},
	{RoleOperatorAdmin, ActChecklistRead, ScopeAny},
	{RoleOperatorReviewer, ActChecklistRead, ScopeAny},
	{RoleAuthority, ActChecklistRead, ScopeAny},
	{RoleCountyAuthority, ActChecklistRead, ScopeAny},
	{RoleDept, ActChecklistRead, ScopeAny},
	{RoleRegulator, ActChecklistRead, ScopeAny},
	{RoleMerchant, ActChecklistRead, ScopeAny},
	{RoleExpert, ActChecklistRead, ScopeAny},
	{RoleServiceProvider, ActChecklistRead, ScopeAny},
}
