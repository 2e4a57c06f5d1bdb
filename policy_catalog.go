package shuyu

import "slices"

// Actions of the catalog capability. Published entries are public (read
// without login, R8.5); everything before publication is "catalog_revision"
// work, visible to its department and the authorities above it, and absent
// (404) for everyone else.
const (
	ActCatalogRead         Action = "catalog.read"          // published catalog
	ActCatalogWorkRead     Action = "catalog_revision.read" // drafts, reviews, history
	ActCatalogCreate       Action = "catalog.create"        // register an entry (R8.1)
	ActCatalogUpdate       Action = "catalog.update"        // edit a draft, open a new version (R9.1)
	ActCatalogSubmit       Action = "catalog.submit"        // send up the hierarchy (R8.4)
	ActCatalogReviewCounty Action = "catalog.review_county" // county authority (R8.4)
	ActCatalogReviewCity   Action = "catalog.review_city"   // city authority (R8.4), consent to push (R8.6)
	ActCatalogPublish      Action = "catalog.publish"       // push onto the platform (R8.5, R8.6)
	ActCatalogImport       Action = "catalog.import"        // bulk import from .xlsx
	ActCatalogMount        Action = "catalog.mount"         // mark mounted to data (R10.2)
	ActCategoryManage      Action = "category.manage"       // the category tree (R8.3)
	ActSynonymManage       Action = "synonym.manage"        // the catalog's search synonyms (R8.5)
	ActDemandCreate        Action = "demand.create"         // file a demand (R9.1)
	ActDemandRead          Action = "demand.read"
	ActDemandRoute         Action = "demand.route"  // the authority sends it to a department
	ActDemandUpdate        Action = "demand.update" // the department answers it
)

// catalogRules are the authorization rows of the catalog capability; they
// join Policy in policy.go.
var catalogRules = slices.Concat(
	rulesFor(businessRoles, ActCatalogRead, ScopeAny),
	[]Rule{
		// Work in progress: the department sees its own, the county
		// authority its county's, the city authority and the operator all.
		{RoleDept, ActCatalogWorkRead, ScopeOrg},
		{RoleCountyAuthority, ActCatalogWorkRead, ScopeCounty},
		{RoleAuthority, ActCatalogWorkRead, ScopeCounty},
		{RoleOperatorAdmin, ActCatalogWorkRead, ScopeAny},
		{RoleRegulator, ActCatalogWorkRead, ScopeAny}, // R30.1: supervision reads everything

		{RoleDept, ActCatalogCreate, ScopeOrg},
		{RoleDept, ActCatalogUpdate, ScopeOrg},
		{RoleDept, ActCatalogSubmit, ScopeOrg},
		{RoleCountyAuthority, ActCatalogReviewCounty, ScopeCounty},
		{RoleAuthority, ActCatalogReviewCity, ScopeCounty}, // a city actor's county scope is its whole city
		{RoleOperatorAdmin, ActCatalogPublish, ScopeAny},   // R8.6: pushes, with the authority's consent
		{RoleAuthority, ActCatalogPublish, ScopeCounty},    // R8.5: the authority publishes
		{RoleDept, ActCatalogImport, ScopeOrg},
		{RoleAuthority, ActCatalogImport, ScopeAny},     // R8.4: assembles the city's catalog
		{RoleOperatorAdmin, ActCatalogImport, ScopeAny}, // R8.6: catalog exchange standard
		{RoleOperatorAdmin, ActCatalogMount, ScopeAny},
		{RoleDept, ActCatalogMount, ScopeOrg},
		{RoleAuthority, ActCategoryManage, ScopeAny},
		{RoleAuthority, ActSynonymManage, ScopeAny},

		{RoleAuthority, ActDemandRead, ScopeAny},
		{RoleOperatorAdmin, ActDemandRead, ScopeAny},
		{RoleRegulator, ActDemandRead, ScopeAny},
		{RoleAuthority, ActDemandRoute, ScopeAny},
		{RoleAuthority, ActDemandUpdate, ScopeAny},
		{RoleDept, ActDemandUpdate, ScopeParty},
	},
	rulesFor([]Role{RoleMerchant, RoleOperatorAdmin, RoleOperatorReviewer, RoleDept, RoleCountyAuthority,
		RoleAuthority, RoleServiceProvider}, ActDemandCreate, ScopeAny),
	rulesFor([]Role{RoleMerchant, RoleOperatorReviewer, RoleDept, RoleCountyAuthority, RoleServiceProvider},
		ActDemandRead, ScopeParty),
)
