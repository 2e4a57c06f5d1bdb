package shuyu

import "slices"

// Actions of the sandbox (开发利用环境, R14.1). The resource is a workspace
// ("workspace": OrgID is the merchant that holds it).
const (
	ActWorkspaceRead     Action = "workspace.read"     // tables, policies, query history, metering
	ActWorkspaceQuery    Action = "workspace.query"    // governed and simulated queries (R4.2, R6.1)
	ActWorkspaceSample   Action = "workspace.sample"   // simulated data: preview and download (R6.1)
	ActWorkspaceOpen     Action = "workspace.open"     // open one for a grant (the agreement flow, the operator)
	ActWorkspaceFreeze   Action = "workspace.freeze"   // freeze and unfreeze (R27.3)
	ActWorkspaceClose    Action = "workspace.close"    // end for good
	ActWorkspaceSimulate Action = "workspace.simulate" // generate simulated twins (R6.1)
)

// sandboxRules: a merchant works only in its own workspaces (another
// merchant's answers 404). The operator runs the environments: it opens,
// freezes, closes and regenerates simulated data, and reads the history for
// metering and checks (R14.2); the authority may freeze (R27.3); regulators
// read (R30.1). Nobody but the merchant queries: the operator has no reason
// to, and every release is the merchant's responsibility (R27.1).
var sandboxRules = slices.Concat(
	[]Rule{
		{RoleMerchant, ActWorkspaceRead, ScopeOrg},
		{RoleMerchant, ActWorkspaceQuery, ScopeOrg},
		{RoleMerchant, ActWorkspaceSample, ScopeOrg},
		{RoleMerchant, ActWorkspaceSimulate, ScopeOrg},
		{RoleOperatorAdmin, ActWorkspaceOpen, ScopeAny},
		{RoleOperatorAdmin, ActWorkspaceFreeze, ScopeAny},
		{RoleOperatorAdmin, ActWorkspaceClose, ScopeAny},
		{RoleOperatorAdmin, ActWorkspaceSimulate, ScopeAny},
		{RoleAuthority, ActWorkspaceFreeze, ScopeAny},
	},
	rulesFor([]Role{RoleOperatorAdmin, RoleOperatorReviewer, RoleAuthority, RoleRegulator}, ActWorkspaceRead, ScopeAny),
)
