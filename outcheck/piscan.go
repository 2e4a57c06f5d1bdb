package outcheck

import (
	"strings"
	"unicode/utf8"

	"shuyu/ident"
)

// Bits of a value's scan mask; the first five follow kinds.
const (
	bitCitizenID uint8 = 1 << iota
	bitMobile
	bitBankCard
	bitUSCC
	bitEmail
	bitNameWhole // the whole value is shaped like a person name
	bitNameToken // a name-shaped token inside a longer value
)

// scanValue finds personal information in one value (R28.5), whole or
// embedded ("张三 13812345678", "联系人:王芳,tel 138-0013-8000"). It never
// allocates on the common path: every value of a product goes through it.
func scanValue(s string) uint8 {
	var m uint8
	if strings.IndexByte(s, '@') >= 0 {
		m |= scanEmails(s)
	}
	var run [5]rune
	nrun, runStart := 0, -1
	first, last := -1, 0 // byte span of non-space content
	names, nameStart, nameEnd := 0, 0, 0
	endRun := func(end int) {
		if nrun >= 2 && nrun <= 4 && nameShaped(run[:nrun]) {
			names++
			nameStart, nameEnd = runStart, end
		}
		nrun, runStart = 0, -1
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c != ' ' && c != '\t' {
				if first < 0 {
					first = i
				}
				j := i + 1
				if isAlnum(c) {
					for j < len(s) && isAlnum(s[j]) {
						j++
					}
				}
				last = j
				if runStart >= 0 {
					endRun(i)
				}
				if isAlnum(c) {
					m |= scanToken(s, i, j)
				}
				i = j
				continue
			}
			if runStart >= 0 {
				endRun(i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if first < 0 {
			first = i
		}
		last = i + size
		if isHan(r) {
			if runStart < 0 {
				runStart = i
			}
			if nrun < len(run) {
				run[nrun] = r
			}
			nrun++
		} else if runStart >= 0 {
			endRun(i)
		}
		i += size
	}
	if runStart >= 0 {
		endRun(last)
	}
	switch {
	case names == 1 && nameStart == first && nameEnd == last:
		m |= bitNameWhole
	case names > 0:
		m |= bitNameToken
	}
	return m
}

// scanToken classifies the maximal ASCII letter-and-digit token s[i:j],
// then the digit runs inside it, so that "ID640502199001011234" and
// "tel13812345678" are found too. A following "-dddd-dddd" or " dddd dddd"
// joins a three-digit token into a mobile number written in groups.
func scanToken(s string, i, j int) uint8 {
	tok := s[i:j]
	if isDigestShaped(tok) {
		return 0 // digests are judged by the reversibility check
	}
	var m uint8
	// An all-digit ID number passes the credit-code check one time in 31.
	if len(tok) == 18 && ident.ValidUSCC(tok) && !ident.ValidCitizenID(tok) {
		m |= bitUSCC
	}
	for a := 0; a < len(tok); {
		if !isDigit(tok[a]) {
			a++
			continue
		}
		b := a
		for b < len(tok) && isDigit(tok[b]) {
			b++
		}
		if b-a == 17 && b < len(tok) && (tok[b] == 'X' || tok[b] == 'x') {
			b++
		}
		m |= classifyDigits(tok[a:b])
		if b-a == 3 && b == len(tok) {
			if d, ok := groupedMobile(s, j); ok && ident.ValidMobile(tok[a:b]+d) {
				m |= bitMobile
			}
		}
		a = b
	}
	return m
}

// classifyDigits judges one maximal run of digits (an ID number may end in X).
func classifyDigits(d string) uint8 {
	switch n := len(d); {
	case n == 18:
		if ident.ValidCitizenID(ident.NormalizeCitizenID(d)) {
			return bitCitizenID
		}
		if d[17] != 'X' && d[17] != 'x' && bankShaped(d) {
			return bitBankCard
		}
	case n == 11:
		if d[0] == '1' && d[1] >= '3' && d[1] <= '9' {
			return bitMobile
		}
	case n >= 16 && n <= 19:
		if bankShaped(d) {
			return bitBankCard
		}
	}
	return 0
}

// bankShaped: Luhn valid with an issuer prefix of the card schemes in use in
// China (3 JCB/AmEx, 4 Visa, 5 Mastercard, 6 UnionPay), which keeps most
// other long numbers (serials, amounts in fen) out.
func bankShaped(d string) bool {
	return d[0] >= '3' && d[0] <= '6' && ident.ValidBankCard(d)
}

// groupedMobile reads "-dddd-dddd" or " dddd dddd" at s[j:].
func groupedMobile(s string, j int) (string, bool) {
	if j+10 > len(s) {
		return "", false
	}
	g := s[j : j+10]
	sep := g[0]
	if (sep != '-' && sep != ' ') || g[5] != sep {
		return "", false
	}
	if !allDigits(g[1:5]) || !allDigits(g[6:10]) || (j+10 < len(s) && isDigit(s[j+10])) {
		return "", false
	}
	return g[1:5] + g[6:10], true
}

// scanEmails checks the text around every '@'.
func scanEmails(s string) uint8 {
	for at := strings.IndexByte(s, '@'); at >= 0; {
		a := at
		for a > 0 && isEmailLocal(s[a-1]) {
			a--
		}
		b := at + 1
		for b < len(s) && (isAlnum(s[b]) || s[b] == '.' || s[b] == '-') {
			b++
		}
		for b > at+1 && s[b-1] == '.' {
			b--
		}
		if ident.ValidEmail(s[a:b]) {
			return bitEmail
		}
		next := strings.IndexByte(s[at+1:], '@')
		if next < 0 {
			break
		}
		at += 1 + next
	}
	return 0
}

func isEmailLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// isDigestShaped: the hex length of an MD5, SHA-1 or SHA-256/SM3 digest.
func isDigestShaped(t string) bool {
	switch len(t) {
	case 32, 40, 64:
		return allHex(t)
	}
	return false
}

func isHan(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return len(s) > 0
}
