// Package ident validates Chinese identifiers (公民身份号码, 统一社会信用代码,
// mobile numbers, bank cards, e-mail addresses) and generates plausible fake
// ones for simulated data (R6.1). Validation feeds data quality rules (R11.1),
// merchant onboarding (R18.2) and the output check's personal-information scan
// (R28.5). Everything here is pure: no clock, no global random source.
package ident

import (
	"fmt"
	"time"

	"shuyu"
)

// provinces holds the two-digit province-level prefixes of GB/T 2260 as used
// by GB 11643-1999 (71 Taiwan, 81 Hong Kong, 82 Macao).
var provinces = map[string]string{
	"11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
	"21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
	"31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
	"41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
	"50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
	"61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
	"71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}

// knownRegions are the Ningxia division codes the platform ships names for.
var knownRegions = map[string]string{
	"640000": "宁夏回族自治区",
	"640100": "银川市",
	"640200": "石嘴山市",
	"640300": "吴忠市",
	"640400": "固原市",
	"640500": "中卫市",
	"640502": "沙坡头区",
	"640521": "中宁县",
	"640522": "海原县",
}

// RegionKnown reports whether code is one of the Ningxia division codes the
// platform ships (the autonomous region, its five prefectures and Zhongwei's
// three counties).
func RegionKnown(code string) bool {
	_, ok := knownRegions[code]
	return ok
}

// RegionName returns the Chinese name of a shipped Ningxia code, or of the
// province for any other code with a real province prefix, and "" otherwise.
func RegionName(code string) string {
	if n, ok := knownRegions[code]; ok {
		return n
	}
	if len(code) == 6 && allDigits(code) {
		return provinces[code[:2]]
	}
	return ""
}

// ValidRegionCode reports whether code is six digits whose first two are a
// real province prefix. Finer codes are not checked: GB/T 2260 changes every
// year and old codes stay valid in old ID numbers.
func ValidRegionCode(code string) bool {
	if len(code) != 6 || !allDigits(code) {
		return false
	}
	_, ok := provinces[code[:2]]
	return ok
}

var citizenWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const citizenCheckMap = "10X98765432"

// minBirthYear is the earliest birth year accepted; the standard's own example
// 440524188001010014 is from 1880.
const minBirthYear = 1800

// CitizenIDCheckChar computes the GB 11643-1999 check character (ISO 7064
// MOD 11-2) of the first 17 digits.
func CitizenIDCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 || !allDigits(first17) {
		return 0, fmt.Errorf("ident.CitizenIDCheckChar: %w",
			shuyu.Errorf(shuyu.EINVALID, "身份证号码本体码须为17位数字 (first 17 characters must be digits)"))
	}
	return citizenCheck(first17), nil
}

func citizenCheck(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * citizenWeights[i]
	}
	return citizenCheckMap[sum%11]
}

// ValidCitizenID reports whether s is a well-formed 18-character 公民身份号码:
// a region code with a real province prefix, a real calendar birth date, a
// sequence and a correct check character. The check character must be an
// upper-case X as the standard writes it; a lower-case x is rejected so that
// data quality rules flag it (use NormalizeCitizenID to repair input first).
// No future check is made; see ValidCitizenIDAt.
func ValidCitizenID(s string) bool {
	_, ok := parseCitizenID(s)
	return ok
}

// ValidCitizenIDAt is ValidCitizenID plus the rule that the birth date is not
// after now's date in China Standard Time.
func ValidCitizenIDAt(s string, now time.Time) bool {
	birth, ok := parseCitizenID(s)
	if !ok {
		return false
	}
	y, m, d := now.In(cst).Date()
	return !birth.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// cst is China Standard Time; a fixed zone is exact since China has no DST
// after 1991 and keeps this package free of the tz database.
var cst = time.FixedZone("CST", 8*3600)

// NormalizeCitizenID trims surrounding spaces and upper-cases a trailing x,
// the two mistakes most often found in keyed-in data.
func NormalizeCitizenID(s string) string {
	b := []byte(trimSpaces(s))
	if n := len(b); n > 0 && b[n-1] == 'x' {
		b[n-1] = 'X'
	}
	return string(b)
}

// CitizenIDInfo returns the region code, the birth date (midnight UTC of
// that calendar date) and the sex (odd 17th digit is male) of a valid
// 公民身份号码. An invalid number is an EINVALID error.
func CitizenIDInfo(s string) (region string, birth time.Time, male bool, err error) {
	birth, ok := parseCitizenID(s)
	if !ok {
		return "", time.Time{}, false, fmt.Errorf("ident.CitizenIDInfo: %w",
			shuyu.Errorf(shuyu.EINVALID, "公民身份号码无效 (invalid citizen ID number)"))
	}
	return s[:6], birth, (s[16]-'0')%2 == 1, nil
}

func parseCitizenID(s string) (time.Time, bool) {
	if len(s) != 18 || !allDigits(s[:17]) || !ValidRegionCode(s[:6]) {
		return time.Time{}, false
	}
	birth, ok := parseDate8(s[6:14])
	if !ok || birth.Year() < minBirthYear {
		return time.Time{}, false
	}
	if s[17] != citizenCheck(s[:17]) {
		return time.Time{}, false
	}
	return birth, true
}

// parseDate8 parses YYYYMMDD digits and rejects dates that do not exist
// (time.Date would silently normalise 0230 to March).
func parseDate8(s string) (time.Time, bool) {
	y := atoi(s[0:4])
	m := atoi(s[4:6])
	d := atoi(s[6:8])
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Month() != time.Month(m) || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func trimSpaces(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}
