package shuyu

// outputRules are the authorization rows of the output check and filing
// capability; they join Policy in policy.go.
var outputRules = []Rule{}
