package ident

import "strings"

// NormalizeMobile returns the bare 11-digit form of a mainland mobile number
// and whether s is one. Accepted decorations, as people write them: an
// optional country prefix "+86", "0086" or "86", and spaces or hyphens
// anywhere between digits (e.g. "+86 138-0013-8000"). The number itself must
// be 11 digits starting 13..19.
func NormalizeMobile(s string) (string, bool) {
	s = trimSpaces(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-':
			// separator
		case c == '+' && i == 0:
			// country prefix must follow
		default:
			return "", false
		}
	}
	d := b.String()
	plus := strings.HasPrefix(s, "+")
	switch {
	case plus && len(d) == 13 && strings.HasPrefix(d, "86"):
		d = d[2:]
	case plus:
		return "", false
	case len(d) == 15 && strings.HasPrefix(d, "0086"):
		d = d[4:]
	case len(d) == 13 && strings.HasPrefix(d, "86"):
		d = d[2:]
	}
	if len(d) != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9' {
		return "", false
	}
	return d, true
}

// ValidMobile reports whether s is a mainland mobile number, allowing the
// decorations NormalizeMobile documents.
func ValidMobile(s string) bool {
	_, ok := NormalizeMobile(s)
	return ok
}

// ValidEmail is a pragmatic check, not RFC 5322: one '@', a local part of
// 1..64 characters from letters, digits and ._%+-, not starting or ending
// with a dot and without "..", and a domain of at least two dot-separated
// labels (letters, digits, hyphens, not at a label's ends) whose last label
// is at least two letters. Total length at most 254. Internationalised
// addresses are not accepted.
func ValidEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at < 1 || at != strings.LastIndexByte(s, '@') {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !isAlnum(c) && !strings.ContainsRune("._%+-", rune(c)) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isLetter(tld[i]) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool  { return isLetter(c) || c >= '0' && c <= '9' }
