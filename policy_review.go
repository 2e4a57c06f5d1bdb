package shuyu

import "slices"

// Actions of the review chain (R17–R22, R19, R34).
const (
	ActCalendarUpdate     Action = "calendar.update"                // extend the official schedule
	ActDocumentRead       Action = "document.read"                  // onboarding rules, agreement templates
	ActDocumentCreate     Action = "document.create"                // the operator drafts
	ActDocumentApprove    Action = "document.approve"               // the authority approves (R18.1, R19.1)
	ActRegistrationRead   Action = "registration.read"              // merchant registrations
	ActRegistrationHandle Action = "registration.handle"            // accept, ask for material, decide (R18.2)
	ActMerchantManage     Action = "merchant.manage"                // suspend, resume, exit
	ActMerchantExit       Action = "merchant.exit"                  // a merchant leaves on its own
	ActMerchantReport     Action = "merchant_report.create"         // R18.3
	ActMerchantReportRead Action = "merchant_report.read"           //
	ActApplicationCreate  Action = "application.create"             // R20.1
	ActApplicationRead    Action = "application.read"               //
	ActApplicationUpdate  Action = "application.update"             // revise, resubmit, withdraw
	ActApplicationCheck   Action = "application.check"              // R20.2
	ActReviewRead         Action = "review.read"                    //
	ActReviewDecide       Action = "review.decide"                  // R21.1, R21.2
	ActReviewExtend       Action = "review.extend"                  // R21.3
	ActReviewStats        Action = "review.stats"                   // R22.1 durations per reviewer
	ActAgreementRead      Action = "agreement.read"                 // read and verify
	ActAgreementSign      Action = "agreement.sign"                 // R19.1
	ActAgreementTerminate Action = "agreement.terminate"            // R34.1
	ActAuthorizationTerm  Action = "operation_authorization.update" // the operator's authorization term (R13.1)
)

// reviewRules are the authorization rows of the review capability; they join
// Policy in policy.go.
//
// Merchants see only their own applications and agreements (ScopeOrg, R22.1);
// departments and county authorities see the applications they are a party
// to as reviewers (ScopeParty: the store lists reviewer organizations as
// parties and also trims the items to their own data); reviews are decided
// by the reviewer organization itself (ScopeOrg on the review's org).
var reviewRules = slices.Concat(
	[]Rule{
		{RoleAuthority, ActCalendarUpdate, ScopeAny},
		{RoleOperatorAdmin, ActDocumentCreate, ScopeAny},
		{RoleAuthority, ActDocumentApprove, ScopeAny},

		{RoleOperatorAdmin, ActRegistrationRead, ScopeAny},
		{RoleOperatorReviewer, ActRegistrationRead, ScopeAny},
		{RoleAuthority, ActRegistrationRead, ScopeAny},
		{RoleRegulator, ActRegistrationRead, ScopeAny},
		{RoleOperatorAdmin, ActRegistrationHandle, ScopeAny},
		{RoleOperatorReviewer, ActRegistrationHandle, ScopeAny},
		{RoleOperatorAdmin, ActMerchantManage, ScopeAny},
		{RoleMerchant, ActMerchantExit, ScopeOrg},
		{RoleOperatorAdmin, ActMerchantReport, ScopeAny},
		{RoleOperatorAdmin, ActMerchantReportRead, ScopeAny},
		{RoleAuthority, ActMerchantReportRead, ScopeAny},
		{RoleRegulator, ActMerchantReportRead, ScopeAny},

		{RoleMerchant, ActApplicationCreate, ScopeAny},
		{RoleMerchant, ActApplicationRead, ScopeOrg},
		{RoleMerchant, ActApplicationUpdate, ScopeOrg},
		{RoleOperatorAdmin, ActApplicationRead, ScopeAny},
		{RoleOperatorReviewer, ActApplicationRead, ScopeAny},
		{RoleAuthority, ActApplicationRead, ScopeAny},
		{RoleRegulator, ActApplicationRead, ScopeAny},
		{RoleDept, ActApplicationRead, ScopeParty},
		{RoleCountyAuthority, ActApplicationRead, ScopeParty},
		{RoleOperatorReviewer, ActApplicationCheck, ScopeAny},
		{RoleOperatorAdmin, ActApplicationCheck, ScopeAny},

		{RoleDept, ActReviewDecide, ScopeOrg},
		{RoleCountyAuthority, ActReviewDecide, ScopeOrg},
		{RoleOperatorReviewer, ActReviewDecide, ScopeOrg},
		{RoleDept, ActReviewExtend, ScopeOrg},
		{RoleCountyAuthority, ActReviewExtend, ScopeOrg},
		{RoleOperatorReviewer, ActReviewExtend, ScopeOrg},
		{RoleAuthority, ActReviewStats, ScopeAny},
		{RoleOperatorAdmin, ActReviewStats, ScopeAny},
		{RoleRegulator, ActReviewStats, ScopeAny},

		{RoleMerchant, ActAgreementRead, ScopeParty},
		{RoleDept, ActAgreementRead, ScopeParty},
		{RoleCountyAuthority, ActAgreementRead, ScopeParty},
		{RoleOperatorAdmin, ActAgreementRead, ScopeAny},
		{RoleOperatorReviewer, ActAgreementRead, ScopeAny},
		{RoleAuthority, ActAgreementRead, ScopeAny},
		{RoleRegulator, ActAgreementRead, ScopeAny},
		{RoleMerchant, ActAgreementSign, ScopeOrg},
		{RoleOperatorAdmin, ActAgreementSign, ScopeAny},
		{RoleOperatorAdmin, ActAgreementTerminate, ScopeAny},
		{RoleAuthority, ActAgreementTerminate, ScopeAny},
		{RoleAuthority, ActAuthorizationTerm, ScopeAny},
	},
	// Everyone in a business role reads the approved rules and templates
	// (the same text for all, R22.1); reviews are readable by their parties.
	rulesFor(businessRoles, ActDocumentRead, ScopeAny),
	rulesFor([]Role{RoleDept, RoleCountyAuthority, RoleOperatorReviewer, RoleMerchant}, ActReviewRead, ScopeParty),
	rulesFor([]Role{RoleAuthority, RoleOperatorAdmin, RoleRegulator}, ActReviewRead, ScopeAny),
)
