package shuyu

import (
	"net/netip"
	"time"
)

// Login abuse limits (R29.1, MLPS level 3). Failed logins are limited in
// two ways, both keyed by the source of the attempt:
//
//   - per source, across usernames: a token bucket of LoginBurst attempts
//     refilled at one per LoginRefill; an empty bucket answers ETHROTTLED
//     (HTTP 429 with Retry-After) before any password hash is computed;
//   - per (username, source): MaxFailedLogins failures lock that username
//     for that source for LockoutDuration, so an anonymous client cannot
//     lock an account out for everyone else.
const (
	LoginBurst  = 10               // failed attempts a source may make at once
	LoginRefill = 6 * time.Second  // one more attempt per this long (10 a minute)
	LoginNotice = 30 * time.Minute // at most one inbox notice per account per this long
)

// LoginSource is the source an attempt is counted against: the IPv4 address
// itself, or the /64 of an IPv6 address (one subscriber's usual allocation,
// so that hopping addresses inside it gains nothing). An address that does
// not parse is its own source.
func LoginSource(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
