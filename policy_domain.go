package shuyu

import "slices"

// Actions of the data domain (R10.1, R10.2, R11.1, R26.1, R27.3). Resources
// are the catalog entry whose data is in the domain ("domain_entry": OrgID is
// the source department, Region its region), a quality issue
// ("domain_issue": OrgID is the department it is routed to, Parties the
// organization that raised it), a suspension and a non-public source.
const (
	ActDomainRead       Action = "domain_entry.read"        // mounting, versions, jobs, quality reports
	ActDomainSupply     Action = "domain_entry.supply"      // upload a version (R10.1)
	ActDomainSupplyDrop Action = "domain_entry.supply_drop" // load from the drop directory (R10.1)
	ActDomainProfile    Action = "domain_entry.profile"     // counts, null rates, distinct counts (R2.1)
	ActDomainPreview    Action = "domain_entry.preview"     // raw rows: the owner only (R4.2)
	ActDomainRules      Action = "domain_entry.rules"       // field quality rules (R11.1)

	ActIssueRead   Action = "domain_issue.read"
	ActIssueCreate Action = "domain_issue.create" // raise on an entry (R11.1)
	ActIssueAnswer Action = "domain_issue.answer" // answer and fix: the source department
	ActIssueClose  Action = "domain_issue.close"

	ActDomainSettingsRead   Action = "domain_settings.read"
	ActDomainSettingsUpdate Action = "domain_settings.update" // issue deadline in working days

	ActSuspensionRead   Action = "domain_suspension.read"
	ActSuspensionCreate Action = "domain_suspension.create" // R27.3: the authority only
	ActSuspensionResume Action = "domain_suspension.resume"

	ActSourceRead   Action = "domain_source.read"
	ActSourceCreate Action = "domain_source.create" // R26.1: the operator only
)

// domainRules: a source department supplies, previews and fixes its own
// data; the operator supplies on the exchange platform's behalf, profiles
// (never values of protected fields) and raises issues; the authority
// supplies, watches and suspends; merchants see nothing of the data here but
// may raise quality issues they meet (R11.1) and follow their own.
var domainRules = slices.Concat(
	[]Rule{
		{RoleDept, ActDomainRead, ScopeOrg},
		{RoleDept, ActDomainSupply, ScopeOrg},
		{RoleDept, ActDomainProfile, ScopeOrg},
		{RoleDept, ActDomainPreview, ScopeOrg},
		{RoleDept, ActDomainRules, ScopeOrg},
		{RoleOperatorAdmin, ActDomainSupply, ScopeAny},
		{RoleOperatorAdmin, ActDomainSupplyDrop, ScopeAny},
		{RoleOperatorAdmin, ActDomainRules, ScopeAny},
		{RoleAuthority, ActDomainSupplyDrop, ScopeAny},
		{RoleCountyAuthority, ActDomainRead, ScopeCounty},

		{RoleDept, ActIssueRead, ScopeOrg},
		{RoleDept, ActIssueAnswer, ScopeOrg},
		{RoleCountyAuthority, ActIssueRead, ScopeCounty},
		{RoleMerchant, ActIssueRead, ScopeParty},
		{RoleMerchant, ActIssueCreate, ScopeAny},
		{RoleMerchant, ActIssueClose, ScopeParty},
		{RoleOperatorAdmin, ActIssueClose, ScopeAny},
		{RoleOperatorReviewer, ActIssueClose, ScopeAny},

		{RoleAuthority, ActDomainSettingsUpdate, ScopeAny},
		{RoleAuthority, ActSuspensionCreate, ScopeAny},
		{RoleAuthority, ActSuspensionResume, ScopeAny},
		{RoleDept, ActSuspensionRead, ScopeOrg},
		{RoleCountyAuthority, ActSuspensionRead, ScopeCounty},

		{RoleOperatorAdmin, ActSourceCreate, ScopeAny},
	},
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin, RoleOperatorReviewer, RoleRegulator}, ActDomainRead, ScopeAny),
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin, RoleOperatorReviewer}, ActDomainProfile, ScopeAny),
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin, RoleOperatorReviewer, RoleRegulator}, ActIssueRead, ScopeAny),
	rulesFor([]Role{RoleOperatorAdmin, RoleOperatorReviewer}, ActIssueCreate, ScopeAny),
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin, RoleOperatorReviewer, RoleRegulator, RoleCountyAuthority, RoleDept},
		ActDomainSettingsRead, ScopeAny),
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin, RoleOperatorReviewer, RoleRegulator}, ActSuspensionRead, ScopeAny),
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin, RoleOperatorReviewer, RoleRegulator}, ActSourceRead, ScopeAny),
)
