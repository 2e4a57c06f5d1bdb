package shuyu

import "slices"

// Actions of API-service products (R28.4) and data-subject authorization
// (R28.5). Resources: "api_service" (OrgID: the provider), "api_key"
// (OrgID: the consumer; Parties: the provider), "api_flag", "consent"
// (OrgID: the grantee merchant).
const (
	ActServiceRead    Action = "api_service.read"
	ActServiceCreate  Action = "api_service.create"  // define, revise
	ActServiceRequest Action = "api_service.request" // runs the output check of the template
	ActServiceFile    Action = "api_service.file"    // the authority files it (R23.2)
	ActServiceKey     Action = "api_service.key"     // a registered organisation takes a key
	ActServiceUsage   Action = "api_service.usage"   // calls and usage of keys
	ActServiceMonitor Action = "api_service.monitor" // anomaly flags; block keys
	ActConsentRequest Action = "consent.request"     // ask a subject for a grant
	ActConsentRead    Action = "consent.read"
)

// serviceRules: a merchant defines services in its own workspaces and
// requests their check; the authority files them; any merchant (a
// registered organisation) takes keys for filed services; consumers see the
// usage of their keys, providers the usage of their services (party);
// operator admins and the authority watch anomaly flags and block keys;
// regulators read everything (R30.1). Merchants ask subjects for grants and
// see their own requests; subjects act on the public pages with a one-time
// code, not through roles.
var serviceRules = slices.Concat(
	[]Rule{
		{RoleMerchant, ActServiceRead, ScopeOrg},
		{RoleMerchant, ActServiceCreate, ScopeOrg},
		{RoleMerchant, ActServiceRequest, ScopeOrg},
		{RoleMerchant, ActServiceKey, ScopeOrg},
		{RoleMerchant, ActServiceUsage, ScopeOrg},
		{RoleMerchant, ActServiceUsage, ScopeParty},
		{RoleAuthority, ActServiceFile, ScopeAny},
		{RoleMerchant, ActConsentRequest, ScopeOrg},
		{RoleMerchant, ActConsentRead, ScopeOrg},
	},
	rulesFor([]Role{RoleOperatorAdmin, RoleOperatorReviewer, RoleAuthority, RoleRegulator}, ActServiceRead, ScopeAny),
	rulesFor([]Role{RoleOperatorAdmin, RoleAuthority, RoleRegulator}, ActServiceUsage, ScopeAny),
	rulesFor([]Role{RoleOperatorAdmin, RoleAuthority}, ActServiceMonitor, ScopeAny),
	rulesFor([]Role{RoleOperatorAdmin, RoleAuthority, RoleRegulator}, ActConsentRead, ScopeAny),
)
