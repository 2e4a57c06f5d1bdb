package shuyu

// domainRules are the authorization rows of the domain capability; they join
// Policy in policy.go.
var domainRules = []Rule{}
