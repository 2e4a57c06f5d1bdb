package shuyu

// Actions over the governed queries running in the workspaces (R14.1,
// R27.1). The resource is the set of running queries ("query"): there is
// no per-object scope, because only the platform's overseers hold the
// action and they see every workspace.
const (
	ActQueryOversee Action = "query.oversee" // list the running and queued real-data queries, cancel one
)

// queryRules: the operator runs the environments, so it sees what runs in
// them and may stop a query that hogs the shared domain; the authority
// supervises the operator and may do the same (R27.3). Every cancellation is
// audited with who and why. Merchants never see other merchants' queries.
var queryRules = []Rule{
	{RoleOperatorAdmin, ActQueryOversee, ScopeAny},
	{RoleAuthority, ActQueryOversee, ScopeAny},
}
