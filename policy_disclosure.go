package shuyu

import "slices"

// disclosureRules: issue 15's records beyond the agreement and
// registration — the annual disclosure (R32.1, NDIS.1). The authority and
// the operator's administrators generate drafts; only the authority
// publishes; the operator and the regulators read drafts. A published
// year needs no rule: it is public (the store answers it to anyone).
var disclosureRules = slices.Concat([]Rule{
	{RoleAuthority, ActDisclosureDraft, ScopeAny},
	{RoleOperatorAdmin, ActDisclosureDraft, ScopeAny},
	{RoleAuthority, ActDisclosurePublish, ScopeAny},
	{RoleAuthority, ActDisclosureRead, ScopeAny},
	{RoleOperatorAdmin, ActDisclosureRead, ScopeAny},
	{RoleOperatorReviewer, ActDisclosureRead, ScopeAny},
	{RoleRegulator, ActDisclosureRead, ScopeAny},
})
