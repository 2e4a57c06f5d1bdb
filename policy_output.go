package shuyu

import "slices"

// Actions of the output check and filing (出域核查, 备案). The resource is a
// product ("product": OrgID is the merchant; Parties are the source
// departments when results are fed back, R6.2) or the rule set
// ("outrules").
const (
	ActProductRead      Action = "product.read"
	ActProductCreate    Action = "product.create"  // create, revise, add tables and the report
	ActProductRequest   Action = "product.request" // request output: runs the automatic checks
	ActProductReview    Action = "product.review"  // the operator's compliance decision (R17.1)
	ActProductSecond    Action = "product.second_review"
	ActProductFile      Action = "product.file"    // filing with the authority (R23.2)
	ActProductRelease   Action = "product.release" // put a filed product on the market
	ActProductDeliver   Action = "product.deliver" // download or API delivery
	ActProductLineage   Action = "product.lineage" // R27.1
	ActProductAttribute Action = "product.attribute"
	ActOutRulesRead     Action = "outrules.read"
	ActOutRulesPropose  Action = "outrules.propose"
	ActOutRulesApprove  Action = "outrules.approve" // R23.1
)

// outputRules: a merchant builds, requests, releases and delivers its own
// products (another merchant's answer 404); an operator compliance reviewer
// decides (R17.1), never on a product they built (checked in the store);
// the authority approves the rules (R23.1), asks for a second reviewer,
// files (R23.2), reads lineage and attributes leaked copies; regulators read
// everything (R30.1). Source departments read and receive products fed back
// to them (R6.2). The rule set is public to every business role (R22.1:
// equal rules for all merchants).
var outputRules = slices.Concat(
	[]Rule{
		{RoleMerchant, ActProductRead, ScopeOrg},
		{RoleMerchant, ActProductCreate, ScopeOrg},
		{RoleMerchant, ActProductRequest, ScopeOrg},
		{RoleMerchant, ActProductRelease, ScopeOrg},
		{RoleMerchant, ActProductDeliver, ScopeOrg},
		{RoleDept, ActProductRead, ScopeParty},
		{RoleDept, ActProductDeliver, ScopeParty},
		{RoleOperatorReviewer, ActProductReview, ScopeAny},
		{RoleAuthority, ActProductSecond, ScopeAny},
		{RoleAuthority, ActProductFile, ScopeAny},
		{RoleAuthority, ActProductAttribute, ScopeAny},
		{RoleOperatorAdmin, ActOutRulesPropose, ScopeAny},
		{RoleAuthority, ActOutRulesApprove, ScopeAny},
	},
	rulesFor([]Role{RoleOperatorAdmin, RoleOperatorReviewer, RoleAuthority, RoleRegulator}, ActProductRead, ScopeAny),
	rulesFor([]Role{RoleAuthority, RoleRegulator, RoleOperatorAdmin}, ActProductLineage, ScopeAny),
	rulesFor(businessRoles, ActOutRulesRead, ScopeAny),
)
