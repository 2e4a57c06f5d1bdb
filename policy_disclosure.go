package shuyu

import "slices"

// disclosureRules: issue 15's records beyond the agreement and
// registration — the annual disclosure (R32.1, NDIS.1), the implementation
// plan (R12.1, NIMP.2), the channels register (R15.1) and the operator's
// operations reports (R32.1).
//
// Disclosure: the authority and the operator's administrators generate
// drafts; only the authority publishes; the operator and the regulators
// read drafts. A published year needs no rule: it is public.
//
// Plan: the authority drafts, records the government's approval and the
// provincial filing; the operator and the regulators read every version.
// The plan in force is public.
//
// Channels: the authority keeps the register; the operator and the
// regulators read it. The counts by status are public.
//
// Operations reports: the operator's administrator submits its own
// organization's; the authority acknowledges; the authority and the
// regulators read all, the operator its own.
var disclosureRules = slices.Concat([]Rule{
	{RoleAuthority, ActDisclosureDraft, ScopeAny},
	{RoleOperatorAdmin, ActDisclosureDraft, ScopeAny},
	{RoleAuthority, ActDisclosurePublish, ScopeAny},
	{RoleAuthority, ActDisclosureRead, ScopeAny},
	{RoleOperatorAdmin, ActDisclosureRead, ScopeAny},
	{RoleOperatorReviewer, ActDisclosureRead, ScopeAny},
	{RoleRegulator, ActDisclosureRead, ScopeAny},

	{RoleAuthority, ActPlanDraft, ScopeAny},
	{RoleAuthority, ActPlanApprove, ScopeAny},
	{RoleAuthority, ActPlanFile, ScopeAny},
	{RoleAuthority, ActPlanRead, ScopeAny},
	{RoleOperatorAdmin, ActPlanRead, ScopeAny},
	{RoleRegulator, ActPlanRead, ScopeAny},

	{RoleAuthority, ActChannelManage, ScopeAny},
	{RoleAuthority, ActChannelRead, ScopeAny},
	{RoleOperatorAdmin, ActChannelRead, ScopeAny},
	{RoleRegulator, ActChannelRead, ScopeAny},

	{RoleOperatorAdmin, ActOpsReportSubmit, ScopeOrg},
	{RoleAuthority, ActOpsReportAck, ScopeAny},
	{RoleAuthority, ActOpsReportRead, ScopeAny},
	{RoleRegulator, ActOpsReportRead, ScopeAny},
	{RoleOperatorAdmin, ActOpsReportRead, ScopeOrg},
	{RoleOperatorReviewer, ActOpsReportRead, ScopeOrg},
})
