package shuyu

// catalogRules are the authorization rows of the catalog capability; they join
// Policy in policy.go.
var catalogRules = []Rule{}
