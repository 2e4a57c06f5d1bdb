package ident

import (
	"fmt"

	"shuyu"
)

// usccChars is the GB 32100-2015 character set: digits and upper-case
// letters without I, O, S, V, Z (too easily confused with 1, 0, 5, U, 2).
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^i mod 31 for i = 0..16.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccValue maps a byte to its value in usccChars, or -1.
var usccValue = func() [256]int8 {
	var v [256]int8
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(usccChars); i++ {
		v[usccChars[i]] = int8(i)
	}
	return v
}()

// USCCCheckChar computes the GB 32100-2015 check character of the first 17
// characters of a 统一社会信用代码.
func USCCCheckChar(first17 string) (byte, error) {
	c, ok := usccCheck(first17)
	if !ok {
		return 0, fmt.Errorf("ident.USCCCheckChar: %w",
			shuyu.Errorf(shuyu.EINVALID, "统一社会信用代码本体须为17位且只含数字和除I、O、S、V、Z外的大写字母 (bad characters)"))
	}
	return c, nil
}

func usccCheck(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := usccValue[first17[i]]
		if v < 0 {
			return 0, false
		}
		sum += int(v) * usccWeights[i]
	}
	// 31 - (sum mod 31), where 31 itself is written 0.
	return usccChars[(31-sum%31)%31], true
}

// ValidUSCC reports whether s is an 18-character 统一社会信用代码 from the
// GB 32100-2015 character set with a correct check character. Lower-case
// letters are rejected: the standard prints codes in upper case.
func ValidUSCC(s string) bool {
	if len(s) != 18 {
		return false
	}
	c, ok := usccCheck(s[:17])
	return ok && s[17] == c
}

// orgWeights are the GB 11714-1997 organization code weights.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// orgCheck computes the GB 11714 check character of an 8-character
// organization code body (digits or upper-case letters A=10..Z=35).
func orgCheck(body string) (byte, bool) {
	if len(body) != 8 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 8; i++ {
		var v int
		switch c := body[i]; {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		default:
			return 0, false
		}
		sum += v * orgWeights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X', true
	case 11:
		return '0', true
	default:
		return byte('0' + c), true
	}
}

// ValidOrgCode reports whether s is a 9-character GB 11714 organization code
// (组织机构代码, the 9th to 17th characters of most USCCs) with a correct
// check character.
func ValidOrgCode(s string) bool {
	if len(s) != 9 {
		return false
	}
	c, ok := orgCheck(s[:8])
	return ok && s[8] == c
}
