package ident

import (
	"fmt"

	"shuyu"
)

// Registration result codes (NREG.7). The published draft structure of a
// public data resource or product identifier is 32 characters:
//
//	1 type digit   6 = product or service, 7 = data resource
//	18 characters  the registering subject's 统一社会信用代码 (GB 32100)
//	4 digits       region / industry
//	8 digits       serial number
//	1 check digit  ISO 7064 MOD 11,10 (GB/T 17710-2008, hybrid system)
//
// The draft is not final. MOD 11,10 is defined over decimal digits; the
// USCC part may hold letters, so each character enters the computation as
// its GB 32100 value: values 0–9 as one digit, 10–30 as two digits. This is
// our reading of the draft, and it keeps the property that every single
// substituted character changes the check digit.

// Registry code kinds (the type digit).
const (
	RegistryProduct  = '6'
	RegistryResource = '7'
)

// RegistryCodeLen is the length of a registration code.
const RegistryCodeLen = 32

// Mod1110Check returns the ISO 7064 MOD 11,10 check digit of a string of
// decimal digits.
func Mod1110Check(digits string) (byte, error) {
	p := 10
	for i := 0; i < len(digits); i++ {
		d := digits[i]
		if d < '0' || d > '9' {
			return 0, fmt.Errorf("ident.Mod1110Check: %w", shuyu.Errorf(shuyu.EINVALID, "只能包含数字 (digits only)"))
		}
		p = mod1110Step(p, int(d-'0'))
	}
	return byte('0' + (11-p)%10), nil
}

// mod1110Step is one step of the hybrid system: S = (P + d) mod 10, with 0
// written 10; the next P is 2S mod 11.
func mod1110Step(p, d int) int {
	s := (p + d) % 10
	if s == 0 {
		s = 10
	}
	return s * 2 % 11
}

// Mod1110Valid reports whether digits (check digit last) pass MOD 11,10.
func Mod1110Valid(digits string) bool {
	if len(digits) < 2 {
		return false
	}
	c, err := Mod1110Check(digits[:len(digits)-1])
	return err == nil && c == digits[len(digits)-1]
}

// registryDigits expands the first 31 characters of a code into decimal
// digits (see the package comment above).
func registryDigits(body string) (string, bool) {
	out := make([]byte, 0, 2*len(body))
	for i := 0; i < len(body); i++ {
		v := usccValue[body[i]]
		if v < 0 {
			return "", false
		}
		if v >= 10 {
			out = append(out, byte('0'+v/10))
		}
		out = append(out, byte('0'+v%10))
	}
	return string(out), true
}

// RegistryCode builds a code from its parts: kind (RegistryProduct or
// RegistryResource), the subject's USCC, a 4-digit region/industry code
// and the serial number (at most 8 digits).
func RegistryCode(kind byte, uscc, region string, serial int64) (string, error) {
	if kind != RegistryProduct && kind != RegistryResource {
		return "", shuyu.Errorf(shuyu.EINVALID, "登记类型只能是 6（产品）或 7（资源） (bad type digit)")
	}
	if !ValidUSCC(uscc) {
		return "", shuyu.Errorf(shuyu.EINVALID, "登记主体的统一社会信用代码无效 (bad USCC)")
	}
	if len(region) != 4 || !allDigits(region) {
		return "", shuyu.Errorf(shuyu.EINVALID, "地区行业码须为 4 位数字 (bad region/industry code)")
	}
	if serial < 0 || serial > 99999999 {
		return "", shuyu.Errorf(shuyu.EINVALID, "流水号超出 8 位 (serial out of range)")
	}
	body := fmt.Sprintf("%c%s%s%08d", kind, uscc, region, serial)
	digits, _ := registryDigits(body)
	c, err := Mod1110Check(digits)
	if err != nil {
		return "", err
	}
	return body + string(c), nil
}

// ValidRegistryCode reports whether s is a well-formed registration code
// with a valid USCC and a correct MOD 11,10 check digit.
func ValidRegistryCode(s string) bool {
	if len(s) != RegistryCodeLen || (s[0] != RegistryProduct && s[0] != RegistryResource) {
		return false
	}
	if !ValidUSCC(s[1:19]) || !allDigits(s[19:31]) || s[31] < '0' || s[31] > '9' {
		return false
	}
	digits, ok := registryDigits(s[:31])
	if !ok {
		return false
	}
	c, err := Mod1110Check(digits)
	return err == nil && c == s[31]
}
