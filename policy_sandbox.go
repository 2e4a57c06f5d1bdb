package shuyu

// sandboxRules are the authorization rows of the sandbox capability; they join
// Policy in policy.go.
var sandboxRules = []Rule{}
