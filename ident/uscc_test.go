package ident

import (
	"errors"
	"testing"

	"shuyu"
)

// 91350100M000100Y43, computed by hand. Values: digits as themselves,
// M=21, Y=30 in "0123456789ABCDEFGHJKLMNPQRTUWXY"; weights 3^i mod 31:
//
//	9*1+1*3+3*9+5*27+0*19+1*26+0*16+0*17+21*20+0*29+0*25+0*13+1*8+0*24+0*10+30*30+4*28
//	= 9+3+27+135+26+420+8+900+112 = 1640; 1640 mod 31 = 28; 31-28 = 3 -> '3'.
//
// Its organization code M000100Y4 (GB 11714, A=10 so M=22, Y=34; weights
// 3,7,9,10,5,8,4,2): 22*3+1*5+34*2 = 139; 139 mod 11 = 7; 11-7 = 4 -> '4'.
var usccCases = []struct {
	code  string
	valid bool
	why   string
}{
	{"91350100M000100Y43", true, "hand-computed example"},
	{"91350100M000100Y42", false, "wrong check character"},
	{"91350100m000100Y43", false, "lower case"},
	{"91350100I000100Y43", false, "I is not in the set"},
	{"91350100O000100Y4O", false, "O is not in the set"},
	{"91350100M000100Y4", false, "17 characters"},
	{"91350100M000100Y433", false, "19 characters"},
	{"", false, "empty"},
}

func TestValidUSCC_R18_2_Table(t *testing.T) {
	for _, c := range usccCases {
		if got := ValidUSCC(c.code); got != c.valid {
			t.Errorf("ValidUSCC(%q) = %v, want %v (%s)", c.code, got, c.valid, c.why)
		}
	}
}

func TestUSCCCheckChar_R18_2(t *testing.T) {
	c, err := USCCCheckChar("91350100M000100Y4")
	if err != nil || c != '3' {
		t.Errorf("USCCCheckChar = %c, %v; want 3", c, err)
	}
	// Sum ≡ 0 (mod 31) must give '0', not the out-of-range 31: 17 zeros.
	if c, err := USCCCheckChar("00000000000000000"); err != nil || c != '0' {
		t.Errorf("USCCCheckChar(zeros) = %c, %v; want 0", c, err)
	}
	for _, bad := range []string{"", "91350100M000100Y", "91350100S000100Y4", "91350100m000100Y4"} {
		_, err := USCCCheckChar(bad)
		var e *shuyu.Error
		if !errors.As(err, &e) || e.Code != shuyu.EINVALID {
			t.Errorf("USCCCheckChar(%q) error = %v, want EINVALID", bad, err)
		}
	}
}

func TestValidUSCC_R18_2_EveryMutationFails(t *testing.T) {
	const code = "91350100M000100Y43"
	alphabet := usccChars + "IOSVZabc "
	for i := 0; i < len(code); i++ {
		for j := 0; j < len(alphabet); j++ {
			if alphabet[j] == code[i] {
				continue
			}
			m := code[:i] + string(alphabet[j]) + code[i+1:]
			if ValidUSCC(m) {
				t.Errorf("mutation %q (position %d) validates", m, i+1)
			}
		}
	}
}

func TestValidOrgCode_R18_2(t *testing.T) {
	if !ValidOrgCode("M000100Y4") {
		t.Error("ValidOrgCode(M000100Y4) = false")
	}
	for _, bad := range []string{"M000100Y5", "M000100Y", "m000100Y4", ""} {
		if ValidOrgCode(bad) {
			t.Errorf("ValidOrgCode(%q) = true", bad)
		}
	}
}

func FuzzValidUSCC(f *testing.F) {
	for _, c := range usccCases {
		f.Add(c.code)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidUSCC(s) {
			return
		}
		c, err := USCCCheckChar(s[:17])
		if err != nil || c != s[17] {
			t.Fatalf("valid %q but check char = %c, %v", s, c, err)
		}
	})
}
