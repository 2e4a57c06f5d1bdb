package shuyu

// reviewRules are the authorization rows of the review capability; they join
// Policy in policy.go.
var reviewRules = []Rule{}
