package shuyu

import "slices"

// AuditAction names what an audit event records (Event.Action), as
// "<object>.<verb>": review.deem, workspace.query. Every action the platform
// records is a constant below and is listed in AuditActions, so the list is
// the one place to see what the trail can contain; the audit page shows each
// with its label audit.action.<action> (web/i18n), and tests prove that
// every constant is listed (TestAuditActions_ConstantsListed), that the store
// writes no action outside the list (sqlstore TestAudit_ActionsListed) and
// that every listed action has a Chinese label (web TestAuditActions_Labelled).
//
// To add one: a constant here, its entry in auditActions, and the label
// "audit.action.<action>" with zh and en in the capability's web/i18n file.
type AuditAction string

const (
	// Development agreements.
	AuditAgreementGenerate     AuditAction = "agreement.generate"
	AuditAgreementSignMerchant AuditAction = "agreement.sign_merchant"
	AuditAgreementSignOperator AuditAction = "agreement.sign_operator"
	AuditAgreementTerminate    AuditAction = "agreement.terminate"
	AuditAgreementExpire       AuditAction = "agreement.expire"

	// Usage applications, their compliance check and outcome.
	AuditApplicationSubmit   AuditAction = "application.submit"
	AuditApplicationResubmit AuditAction = "application.resubmit"
	AuditApplicationAttach   AuditAction = "application.attach"
	AuditApplicationCheck    AuditAction = "application.check"
	AuditApplicationWithdraw AuditAction = "application.withdraw"
	AuditApplicationApproved AuditAction = "application.approved"
	AuditApplicationRejected AuditAction = "application.rejected"

	// The audit trail itself: reading and exporting it is audited too.
	AuditAuditRead       AuditAction = "audit.read"
	AuditAuditExport     AuditAction = "audit.export"
	AuditAuditVerify     AuditAction = "audit.verify"
	AuditAuditCheckpoint AuditAction = "audit.checkpoint"
	// Operations (docs/operations.md): the trusted list of checkpoint keys,
	// servers on one store, and domain versions found lost at start.
	AuditAuditKeyRegister  AuditAction = "audit.key_register"
	AuditAuditKeyRevoke    AuditAction = "audit.key_revoke"
	AuditServerStart       AuditAction = "server.start"
	AuditDomainVersionLost AuditAction = "domain.version_lost"
	// The domain lease (fail-over of the domain owner, docs/operations.md):
	// a server took the lease (at start or after the owner's expired), or
	// gave it up at a clean stop.
	AuditDomainLeaseAcquire AuditAction = "domain.lease_acquire"
	AuditDomainLeaseRelease AuditAction = "domain.lease_release"

	// Keys, backups and restore drills (docs/operations.md).
	AuditKeyRotate          AuditAction = "key.rotate"
	AuditBackupCreate       AuditAction = "backup.create"
	AuditBackupRestoreDrill AuditAction = "backup.restore_drill"
	AuditDomainEncrypt      AuditAction = "domain.encrypt"
	AuditPersonalSeal       AuditAction = "personal.seal"

	// Sign-in and sessions.
	AuditAuthLogin              AuditAction = "auth.login"
	AuditAuthLoginFailed        AuditAction = "auth.login_failed"
	AuditAuthAccountLocked      AuditAction = "auth.account_locked"
	AuditAuthLoginRefusedLocked AuditAction = "auth.login_refused_locked"
	AuditAuthLoginThrottled     AuditAction = "auth.login_throttled"
	AuditAuthOTPRequested       AuditAction = "auth.otp_requested"
	AuditAuthLogout             AuditAction = "auth.logout"
	AuditAuthSessionExpired     AuditAction = "auth.session_expired"

	// The operator's authorization agreement (R13.1) and its term.
	AuditAuthorizationTerm          AuditAction = "authorization.term"
	AuditAuthorizationDraft         AuditAction = "authorization.draft"
	AuditAuthorizationSignAuthority AuditAction = "authorization.sign_authority"
	AuditAuthorizationSignOperator  AuditAction = "authorization.sign_operator"
	AuditAuthorizationFile          AuditAction = "authorization.file"

	// Registration of resources and products (NREG.1-8).
	AuditRegistrySubmit          AuditAction = "registry.submit"
	AuditRegistryAccept          AuditAction = "registry.accept"
	AuditRegistryRequestMaterial AuditAction = "registry.request_material"
	AuditRegistrySupplement      AuditAction = "registry.supplement"
	AuditRegistryRefuse          AuditAction = "registry.refuse"
	AuditRegistryNotice          AuditAction = "registry.notice"
	AuditRegistryObject          AuditAction = "registry.object"
	AuditRegistryObjectionDecide AuditAction = "registry.objection_decide"
	AuditRegistryRegister        AuditAction = "registry.register"
	AuditRegistryCancel          AuditAction = "registry.cancel"
	AuditRegistryLapse           AuditAction = "registry.lapse"
	AuditRegistryRemind          AuditAction = "registry.remind"
	AuditRegistryImport          AuditAction = "registry.import"
	AuditRegistryFirstRemind     AuditAction = "registry.first_remind"  // NREG.4: first registration due soon / overdue
	AuditRegistryNationalCode    AuditAction = "registry.national_code" // NREG.7: code received from the national registry
	AuditRegistryRevoke          AuditAction = "registry.revoke"        // NREG.8: revoked for false materials

	// The annual disclosure (R32.1, NDIS.1).
	AuditDisclosureGenerate AuditAction = "disclosure.generate"
	AuditDisclosurePublish  AuditAction = "disclosure.publish"
	AuditDisclosureRemind   AuditAction = "disclosure.remind"

	// The implementation plan (R12.1, NIMP.2), the channels register
	// (R15.1) and the operator's operations reports (R32.1).
	AuditPlanDraft       AuditAction = "plan.draft"
	AuditPlanApprove     AuditAction = "plan.approve"
	AuditPlanAdopt       AuditAction = "plan.adopt"
	AuditPlanFile        AuditAction = "plan.file"
	AuditChannelRegister AuditAction = "channel.register"
	AuditChannelAssess   AuditAction = "channel.assess"
	AuditChannelDecide   AuditAction = "channel.decide"
	AuditOpsReportSubmit AuditAction = "ops_report.submit"
	AuditOpsReportAck    AuditAction = "ops_report.acknowledge"

	// Working-day calendar additions by the authority.
	AuditCalendarAdd    AuditAction = "calendar.add"
	AuditCalendarRemove AuditAction = "calendar.remove"

	// The authorized-operation catalog and its approval flow; the flow steps are shuyu.CatalogStep.
	AuditCatalogCreate        AuditAction = "catalog.create"
	AuditCatalogUpdate        AuditAction = "catalog.update"
	AuditCatalogImport        AuditAction = "catalog.import"
	AuditCatalogMount         AuditAction = "catalog.mount"
	AuditCatalogRevise        AuditAction = "catalog.revise"
	AuditCatalogSubmit        AuditAction = "catalog.submit"
	AuditCatalogApproveCounty AuditAction = "catalog.approve_county"
	AuditCatalogReturnCounty  AuditAction = "catalog.return_county"
	AuditCatalogApproveCity   AuditAction = "catalog.approve_city"
	AuditCatalogReturnCity    AuditAction = "catalog.return_city"
	AuditCatalogPublish       AuditAction = "catalog.publish"

	// The catalog's category tree.
	AuditCategoryCreate AuditAction = "category.create"
	AuditSynonymAdd     AuditAction = "synonym.add"
	AuditSynonymRemove  AuditAction = "synonym.remove"

	// Catalog demands.
	AuditDemandCreate AuditAction = "demand.create"
	AuditDemandRoute  AuditAction = "demand.route"
	AuditDemandUpdate AuditAction = "demand.update"

	// Supervision (issue 16): secret marks (R2.1).
	AuditSecretMark AuditAction = "secret_mark.create"
	AuditSecretLift AuditAction = "secret_mark.lift"
	// The expert committee (R7.1).
	AuditExpertRefer    AuditAction = "expert_referral.create"
	AuditExpertOpinion  AuditAction = "expert_referral.opinion"
	AuditExpertWithdraw AuditAction = "expert_referral.withdraw"
	// Compliance checklists (R17.1): versions proposed and approved.
	AuditChecklistPropose AuditAction = "checklist.propose"
	AuditChecklistApprove AuditAction = "checklist.approve"
	// Service providers' delegations (R6.3).
	AuditDelegationCreate  AuditAction = "delegation.create"
	AuditDelegationRevoke  AuditAction = "delegation.revoke"
	AuditDelegationConfirm AuditAction = "delegation.confirm"
	// Risk assessments (R27.2) and emergency handling (R28.2).
	AuditRiskPlan        AuditAction = "risk.plan"
	AuditRiskAssess      AuditAction = "risk.assess"
	AuditRiskMeasureDone AuditAction = "risk.measure_done"
	AuditRiskClose       AuditAction = "risk.close"
	AuditEmergencyPlan   AuditAction = "emergency_plan.create"
	AuditEmergencyDrill  AuditAction = "emergency_plan.drill"
	AuditIncidentCreate  AuditAction = "incident.create"
	AuditIncidentAction  AuditAction = "incident.action"
	AuditIncidentNotify  AuditAction = "incident.notify"
	AuditIncidentReport  AuditAction = "incident.report"
	AuditIncidentClose   AuditAction = "incident.close"

	// The public portal's notices and cases.
	AuditPortalPublish  AuditAction = "portal_post.publish"
	AuditPortalWithdraw AuditAction = "portal_post.withdraw"

	// Rule texts the authority approves.
	AuditDocumentCreate  AuditAction = "document.create"
	AuditDocumentApprove AuditAction = "document.approve"

	// The data domain: supply, mounting, quality issues, suspension.
	AuditDomainSupplyStart     AuditAction = "domain.supply_start"
	AuditDomainSupplyDone      AuditAction = "domain.supply_done"
	AuditDomainSupplyFailed    AuditAction = "domain.supply_failed"
	AuditDomainSupplyRecovered AuditAction = "domain.supply_recovered"
	AuditDomainSourceConnect   AuditAction = "domain.source_connect"
	AuditDomainRulesSet        AuditAction = "domain.rules_set"
	AuditDomainSettingsUpdate  AuditAction = "domain.settings_update"
	AuditDomainPreview         AuditAction = "domain.preview"
	AuditDomainIssueRaise      AuditAction = "domain.issue_raise"
	AuditDomainIssueUpdate     AuditAction = "domain.issue_update"
	AuditDomainIssueAnswered   AuditAction = "domain.issue_answered"
	AuditDomainIssueFixed      AuditAction = "domain.issue_fixed"
	AuditDomainIssueClosed     AuditAction = "domain.issue_closed"
	AuditDomainSuspend         AuditAction = "domain.suspend"
	AuditDomainResume          AuditAction = "domain.resume"

	// Money (issue 14): costs, allowed revenue, prices, charges, statements,
	// disputes, the year's close and the revenue distribution.
	AuditMoneyCost       AuditAction = "money.cost"
	AuditMoneyAllowed    AuditAction = "money.allowed"
	AuditPriceItem       AuditAction = "price.item"
	AuditPriceCap        AuditAction = "price.cap"
	AuditPriceSet        AuditAction = "price.set"
	AuditMoneyCharge     AuditAction = "money.charge"
	AuditMoneyUsage      AuditAction = "money.usage"
	AuditMoneyStatements AuditAction = "money.statements"
	AuditBillDispute     AuditAction = "bill.dispute"
	AuditBillResolve     AuditAction = "bill.resolve"
	AuditMoneyYearClose  AuditAction = "money.year_close"
	AuditMoneyShare      AuditAction = "money.share"
	AuditMoneyDistribute AuditAction = "money.distribute"
	AuditMoneyPurpose    AuditAction = "money.purpose"

	// Scheduled pulls (issue 18).
	AuditPullSourceRegister AuditAction = "pull.source_register"
	AuditPullSourceUpdate   AuditAction = "pull.source_update"
	AuditPullStart          AuditAction = "pull.start"
	AuditPullDone           AuditAction = "pull.done"
	AuditPullFailed         AuditAction = "pull.failed"
	AuditPullOverdue        AuditAction = "pull.overdue"
	AuditPullRecovered      AuditAction = "pull.recovered"
	AuditPullRequest        AuditAction = "pull.request"

	// Notices.
	AuditInboxRead AuditAction = "inbox.read"

	// The operator's periodic merchant report.
	AuditMerchantReportFile AuditAction = "merchant_report.file"

	// Organizations and their signing keys.
	AuditOrgCreate     AuditAction = "org.create"
	AuditOrgStatus     AuditAction = "org.status"
	AuditOrgSigningKey AuditAction = "org.signing_key"

	// Output-check rule sets.
	AuditOutRulesPropose AuditAction = "outrules.propose"
	AuditOutRulesApprove AuditAction = "outrules.approve"

	// Products and their output check, review, filing and delivery.
	AuditProductCreate       AuditAction = "product.create"
	AuditProductUpdate       AuditAction = "product.update"
	AuditProductTable        AuditAction = "product.table"
	AuditProductRequest      AuditAction = "product.request"
	AuditProductCheckStart   AuditAction = "product.check_start"
	AuditProductCheck        AuditAction = "product.check"
	AuditProductRevise       AuditAction = "product.revise"
	AuditProductReview       AuditAction = "product.review"
	AuditProductSecondReview AuditAction = "product.second_review"
	AuditProductFile         AuditAction = "product.file"
	AuditProductRelease      AuditAction = "product.release"
	AuditProductDeliver      AuditAction = "product.deliver"
	AuditProductAttribute    AuditAction = "product.attribute"
	AuditProductReport       AuditAction = "product.report"

	// Merchant onboarding; events of shuyu.RegistrationMachine.
	AuditRegistrationSubmit          AuditAction = "registration.submit"
	AuditRegistrationAttach          AuditAction = "registration.attach"
	AuditRegistrationAccept          AuditAction = "registration.accept"
	AuditRegistrationRequestMaterial AuditAction = "registration.request_material"
	AuditRegistrationSupplement      AuditAction = "registration.supplement"
	AuditRegistrationRegister        AuditAction = "registration.register"
	AuditRegistrationRefuse          AuditAction = "registration.refuse"
	AuditRegistrationSuspend         AuditAction = "registration.suspend"
	AuditRegistrationResume          AuditAction = "registration.resume"
	AuditRegistrationExit            AuditAction = "registration.exit"

	// Reviews; deem is the system's deemed approval.
	AuditReviewOpen    AuditAction = "review.open"
	AuditReviewApprove AuditAction = "review.approve"
	AuditReviewReject  AuditAction = "review.reject"
	AuditReviewExtend  AuditAction = "review.extend"
	AuditReviewDeem    AuditAction = "review.deem"

	// Security settings.
	AuditSecurityTOTPRequired AuditAction = "security.totp_required"

	// Accounts.
	AuditUserCreate         AuditAction = "user.create"
	AuditUserUpdate         AuditAction = "user.update"
	AuditUserUnlock         AuditAction = "user.unlock"
	AuditUserResetPassword  AuditAction = "user.reset_password"
	AuditUserChangePassword AuditAction = "user.change_password"
	AuditUserTOTPBegin      AuditAction = "user.totp_begin"
	AuditUserTOTPEnabled    AuditAction = "user.totp_enabled"
	AuditUserTOTPReset      AuditAction = "user.totp_reset"

	// API-service products (R28.4) and data-subject authorization (R28.5).
	AuditServiceCreate       AuditAction = "api_service.create"
	AuditServiceCheck        AuditAction = "api_service.check"
	AuditServiceFile         AuditAction = "api_service.file"
	AuditServiceKeyIssue     AuditAction = "api_service.key_issue"
	AuditServiceKeyBlock     AuditAction = "api_service.key_block"
	AuditServiceCall         AuditAction = "api_service.call"
	AuditServiceFlag         AuditAction = "api_service.flag"
	AuditServiceFlagDecide   AuditAction = "api_service.flag_decide"
	AuditConsentRequest      AuditAction = "consent.request"
	AuditConsentConfirm      AuditAction = "consent.confirm"
	AuditConsentRevoke       AuditAction = "consent.revoke"
	AuditConsentCode         AuditAction = "consent.code"
	AuditConsentCodeFailed   AuditAction = "consent.code_failed"
	AuditConsentSubjectLogin AuditAction = "consent.subject_login"

	// Workspaces and governed queries.
	AuditWorkspaceOpen        AuditAction = "workspace.open"
	AuditWorkspaceSimulate    AuditAction = "workspace.simulate"
	AuditWorkspaceQuery       AuditAction = "workspace.query"
	AuditWorkspaceQueryCancel AuditAction = "workspace.query_cancel"
	AuditWorkspaceTableExpire AuditAction = "workspace.table_expire"
	AuditWorkspaceFreeze      AuditAction = "workspace.freeze"
	AuditWorkspaceUnfreeze    AuditAction = "workspace.unfreeze"
	AuditWorkspaceClose       AuditAction = "workspace.close"
)

// Supervision on live data (issue 16): notices on departments (R31.1), the
// operator's evaluation and rectifications (R33.1), scenarios (R16.1).
const (
	AuditNoticeDraft       AuditAction = "dept_notice.draft"
	AuditNoticeUpdate      AuditAction = "dept_notice.update"
	AuditNoticeRecompute   AuditAction = "dept_notice.recompute"
	AuditNoticePublish     AuditAction = "dept_notice.publish"
	AuditNoticeWithdraw    AuditAction = "dept_notice.withdraw"
	AuditEvaluationCreate  AuditAction = "evaluation.create"
	AuditEvaluationPrefill AuditAction = "evaluation.prefill"
	AuditEvaluationOpen    AuditAction = "evaluation.open"
	AuditEvaluationRate    AuditAction = "evaluation.rate"
	AuditEvaluationScore   AuditAction = "evaluation.score"
	AuditEvaluationPublish AuditAction = "evaluation.publish"
	AuditRectifyStart      AuditAction = "rectification.start"
	AuditRectifySubmit     AuditAction = "rectification.submit"
	AuditRectifyClose      AuditAction = "rectification.close"
	AuditScenarioCreate    AuditAction = "scenario.create"
	AuditScenarioStatus    AuditAction = "scenario.status"
	AuditScenarioShowcase  AuditAction = "scenario.showcase"
	AuditScenarioRequire   AuditAction = "scenario.require"
	AuditScenarioLink      AuditAction = "scenario.link"
	AuditScenarioUnlink    AuditAction = "scenario.unlink"
	AuditScenarioReport    AuditAction = "scenario.report"
)

var auditActions = []AuditAction{
	AuditMoneyCost, AuditMoneyAllowed, AuditPriceItem, AuditPriceCap, AuditPriceSet, AuditMoneyCharge, AuditMoneyUsage,
	AuditMoneyStatements, AuditBillDispute, AuditBillResolve, AuditMoneyYearClose, AuditMoneyShare, AuditMoneyDistribute,
	AuditMoneyPurpose,
	AuditAgreementGenerate, AuditAgreementSignMerchant, AuditAgreementSignOperator, AuditAgreementTerminate,
	AuditAgreementExpire,
	AuditApplicationSubmit, AuditApplicationResubmit, AuditApplicationAttach, AuditApplicationCheck,
	AuditApplicationWithdraw, AuditApplicationApproved, AuditApplicationRejected,
	AuditAuditRead, AuditAuditExport, AuditAuditVerify, AuditAuditCheckpoint,
	AuditKeyRotate, AuditBackupCreate, AuditBackupRestoreDrill, AuditDomainEncrypt, AuditPersonalSeal,
	AuditAuditKeyRegister, AuditAuditKeyRevoke, AuditServerStart, AuditDomainVersionLost,
	AuditDomainLeaseAcquire, AuditDomainLeaseRelease,
	AuditAuthLogin, AuditAuthLoginFailed, AuditAuthAccountLocked, AuditAuthLoginRefusedLocked, AuditAuthLoginThrottled,
	AuditAuthOTPRequested, AuditAuthLogout, AuditAuthSessionExpired,
	AuditAuthorizationTerm, AuditAuthorizationDraft, AuditAuthorizationSignAuthority, AuditAuthorizationSignOperator,
	AuditAuthorizationFile,
	AuditRegistrySubmit, AuditRegistryAccept, AuditRegistryRequestMaterial, AuditRegistrySupplement, AuditRegistryRefuse,
	AuditRegistryNotice, AuditRegistryObject, AuditRegistryObjectionDecide, AuditRegistryRegister, AuditRegistryCancel,
	AuditRegistryLapse, AuditRegistryRemind, AuditRegistryImport, AuditRegistryFirstRemind,
	AuditRegistryNationalCode, AuditRegistryRevoke,
	AuditCalendarAdd, AuditCalendarRemove,
	AuditCatalogCreate, AuditCatalogUpdate, AuditCatalogImport, AuditCatalogMount, AuditCatalogRevise,
	AuditCatalogSubmit, AuditCatalogApproveCounty, AuditCatalogReturnCounty, AuditCatalogApproveCity,
	AuditCatalogReturnCity, AuditCatalogPublish,
	AuditCategoryCreate,
	AuditSynonymAdd,
	AuditSynonymRemove,
	AuditDemandCreate, AuditDemandRoute, AuditDemandUpdate,
	AuditDocumentCreate, AuditDocumentApprove,
	AuditDomainSupplyStart, AuditDomainSupplyDone, AuditDomainSupplyFailed, AuditDomainSupplyRecovered,
	AuditDomainSourceConnect, AuditDomainRulesSet, AuditDomainSettingsUpdate, AuditDomainPreview,
	AuditDomainIssueRaise, AuditDomainIssueUpdate, AuditDomainIssueAnswered, AuditDomainIssueFixed,
	AuditDomainIssueClosed, AuditDomainSuspend, AuditDomainResume,
	AuditInboxRead,
	AuditPullSourceRegister, AuditPullSourceUpdate, AuditPullStart, AuditPullDone, AuditPullFailed, AuditPullOverdue,
	AuditPullRecovered, AuditPullRequest,
	AuditMerchantReportFile,
	AuditOrgCreate, AuditOrgStatus, AuditOrgSigningKey,
	AuditOutRulesPropose, AuditOutRulesApprove,
	AuditPortalPublish, AuditPortalWithdraw,
	AuditProductCreate, AuditProductUpdate, AuditProductTable, AuditProductRequest, AuditProductCheckStart,
	AuditProductCheck, AuditProductRevise, AuditProductReview, AuditProductSecondReview, AuditProductFile,
	AuditProductRelease, AuditProductDeliver, AuditProductAttribute, AuditProductReport,
	AuditSecretMark, AuditSecretLift,
	AuditExpertRefer, AuditExpertOpinion, AuditExpertWithdraw,
	AuditChecklistPropose, AuditChecklistApprove,
	AuditDelegationCreate, AuditDelegationRevoke, AuditDelegationConfirm,
	AuditRiskPlan, AuditRiskAssess, AuditRiskMeasureDone, AuditRiskClose, AuditEmergencyPlan, AuditEmergencyDrill,
	AuditIncidentCreate, AuditIncidentAction, AuditIncidentNotify, AuditIncidentReport, AuditIncidentClose,
	AuditRegistrationSubmit, AuditRegistrationAttach, AuditRegistrationAccept, AuditRegistrationRequestMaterial,
	AuditRegistrationSupplement, AuditRegistrationRegister, AuditRegistrationRefuse, AuditRegistrationSuspend,
	AuditRegistrationResume, AuditRegistrationExit,
	AuditReviewOpen, AuditReviewApprove, AuditReviewReject, AuditReviewExtend, AuditReviewDeem,
	AuditSecurityTOTPRequired,
	AuditUserCreate, AuditUserUpdate, AuditUserUnlock, AuditUserResetPassword, AuditUserChangePassword,
	AuditUserTOTPBegin, AuditUserTOTPEnabled, AuditUserTOTPReset,
	AuditServiceCreate, AuditServiceCheck, AuditServiceFile, AuditServiceKeyIssue,
	AuditServiceKeyBlock, AuditServiceCall, AuditServiceFlag, AuditServiceFlagDecide,
	AuditConsentRequest, AuditConsentConfirm, AuditConsentRevoke, AuditConsentCode, AuditConsentCodeFailed,
	AuditConsentSubjectLogin,
	AuditWorkspaceOpen, AuditWorkspaceSimulate, AuditWorkspaceQuery, AuditWorkspaceQueryCancel,
	AuditWorkspaceTableExpire, AuditWorkspaceFreeze, AuditWorkspaceUnfreeze, AuditWorkspaceClose,
	AuditNoticeDraft, AuditNoticeUpdate, AuditNoticeRecompute, AuditNoticePublish, AuditNoticeWithdraw,
	AuditEvaluationCreate, AuditEvaluationPrefill, AuditEvaluationOpen, AuditEvaluationRate, AuditEvaluationScore,
	AuditEvaluationPublish, AuditRectifyStart, AuditRectifySubmit, AuditRectifyClose,
	AuditScenarioCreate, AuditScenarioStatus, AuditScenarioShowcase, AuditScenarioRequire, AuditScenarioLink,
	AuditScenarioUnlink, AuditScenarioReport,
	AuditDisclosureGenerate, AuditDisclosurePublish, AuditDisclosureRemind,
	AuditPlanDraft, AuditPlanApprove, AuditPlanAdopt, AuditPlanFile,
	AuditChannelRegister, AuditChannelAssess, AuditChannelDecide, AuditOpsReportSubmit, AuditOpsReportAck,
}

// AuditActions returns every action the platform records, grouped by object.
func AuditActions() []AuditAction { return slices.Clone(auditActions) }

// Known reports whether a is one of AuditActions.
func (a AuditAction) Known() bool { return slices.Contains(auditActions, a) }
