package shuyu

import "slices"

// Actions of scheduled pulls (issue 18; R10.1, R10.2). The resource is the
// catalog entry the source feeds ("domain_entry": OrgID its department,
// Region its region), as for every other supply.
const (
	ActPullRead   Action = "pull_source.read"   // sources, schedules, run history and reconciliation
	ActPullManage Action = "pull_source.manage" // register, change, disable a source; test its connection
	ActPullRun    Action = "pull_source.run"    // "run now"
)

// pullRules: the department registers and runs the sources of its own
// entries; the authority (which aggregates through the sharing platform,
// R10.1) and the operator acting on the exchange platform's behalf do so
// for any entry; the county authority and the regulator watch.
var pullRules = slices.Concat(
	[]Rule{
		{RoleDept, ActPullRead, ScopeOrg},
		{RoleDept, ActPullManage, ScopeOrg},
		{RoleDept, ActPullRun, ScopeOrg},
		{RoleCountyAuthority, ActPullRead, ScopeCounty},
	},
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin}, ActPullManage, ScopeAny),
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin}, ActPullRun, ScopeAny),
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin, RoleOperatorReviewer, RoleRegulator}, ActPullRead, ScopeAny),
)
