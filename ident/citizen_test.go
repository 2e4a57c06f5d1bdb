package ident

import (
	"errors"
	"testing"
	"time"

	"shuyu"
)

// Check characters computed by hand (weights 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2;
// map 0..10 -> "10X98765432"):
//
//	11010519491231002X (GB 11643-1999 example):
//	  1*7+1*9+0*10+1*5+0*8+5*4+1*2+9*1+4*6+9*3+1*7+2*9+3*10+1*5+0*8+0*4+2*2 = 167
//	  167 mod 11 = 2 -> 'X'; 17th digit 2 is even -> female.
//	440524188001010014 (the standard's other example):
//	  28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 mod 11 = 8 -> '4'; male.
//	640502199001010017 (沙坡头区, 1990-01-01):
//	  42+36+0+25+0+8+2+9+54+0+0+9+0+5+0+0+2 = 192; 192 mod 11 = 5 -> '7'; male.
var citizenCases = []struct {
	id    string
	valid bool
	why   string
}{
	{"11010519491231002X", true, "standard example"},
	{"440524188001010014", true, "standard example, born 1880"},
	{"640502199001010017", true, "Zhongwei 沙坡头区"},
	{"11010519491231002x", false, "lower-case x is not the standard's form"},
	{"110105194912310021", false, "wrong check digit"},
	{"11010519491231002", false, "17 characters"},
	{"11010519491231002XX", false, "19 characters"},
	{"", false, "empty"},
	{"990105194912310020", false, "99 is no province"},
	{"100105194912310020", false, "10 is no province"},
	{"110105190002290011", false, "1900-02-29 does not exist (not a leap year)"},
	{"110105179912310011", false, "born before 1800"},
	{"11010519491331002X", false, "month 13"},
	{"1101051949123100A2", false, "letter in the body"},
	{" 11010519491231002X", false, "leading space"},
}

func TestValidCitizenID_R28_5_Table(t *testing.T) {
	for _, c := range citizenCases {
		if got := ValidCitizenID(c.id); got != c.valid {
			t.Errorf("ValidCitizenID(%q) = %v, want %v (%s)", c.id, got, c.valid, c.why)
		}
	}
}

func TestValidCitizenID_R28_5_LeapDay(t *testing.T) {
	// 2000-02-29 exists (divisible by 400); compute the check char, then validate.
	c, err := CitizenIDCheckChar("64050020000229001")
	if err != nil {
		t.Fatal(err)
	}
	if id := "64050020000229001" + string(c); !ValidCitizenID(id) {
		t.Errorf("ValidCitizenID(%q) = false for a real leap day", id)
	}
}

func TestCitizenIDCheckChar_R28_5(t *testing.T) {
	for _, c := range citizenCases[:3] {
		got, err := CitizenIDCheckChar(c.id[:17])
		if err != nil {
			t.Fatalf("CitizenIDCheckChar(%q): %v", c.id[:17], err)
		}
		if got != c.id[17] {
			t.Errorf("CitizenIDCheckChar(%q) = %c, want %c", c.id[:17], got, c.id[17])
		}
	}
	for _, bad := range []string{"", "1234567890123456", "1101051949123100A", "110105194912310021"} {
		_, err := CitizenIDCheckChar(bad)
		var e *shuyu.Error
		if !errors.As(err, &e) || e.Code != shuyu.EINVALID {
			t.Errorf("CitizenIDCheckChar(%q) error = %v, want EINVALID", bad, err)
		}
	}
}

// A single changed character must always be caught (MOD 11-2 detects every
// single substitution), whether it breaks the date, region or check.
func TestValidCitizenID_R28_5_EveryMutationFails(t *testing.T) {
	for _, c := range citizenCases[:3] {
		for i := 0; i < 18; i++ {
			for _, r := range "0123456789Xx" {
				if byte(r) == c.id[i] {
					continue
				}
				m := c.id[:i] + string(r) + c.id[i+1:]
				if ValidCitizenID(m) {
					t.Errorf("mutation %q of %q (position %d) validates", m, c.id, i+1)
				}
			}
		}
	}
}

func TestValidCitizenIDAt_R28_5_FutureBirth(t *testing.T) {
	id := "64050220300101" + "001"
	c, _ := CitizenIDCheckChar(id)
	id += string(c)
	if !ValidCitizenID(id) {
		t.Fatalf("ValidCitizenID(%q) = false; a future birth is only checked by ValidCitizenIDAt", id)
	}
	// 2029-12-31T16:30Z is already 2030-01-01 00:30 in Beijing: born "today".
	born := time.Date(2029, 12, 31, 16, 30, 0, 0, time.UTC)
	if !ValidCitizenIDAt(id, born) {
		t.Errorf("ValidCitizenIDAt(%q, %v) = false, want true (birth date is today in China)", id, born)
	}
	before := time.Date(2029, 12, 31, 15, 30, 0, 0, time.UTC) // 23:30 Dec 31 in Beijing
	if ValidCitizenIDAt(id, before) {
		t.Errorf("ValidCitizenIDAt(%q, %v) = true, want false (born tomorrow)", id, before)
	}
	if ValidCitizenIDAt("110105194912310021", born) {
		t.Error("ValidCitizenIDAt accepted a bad check digit")
	}
}

func TestCitizenIDInfo_R28_5(t *testing.T) {
	tests := []struct {
		id     string
		region string
		birth  string
		male   bool
	}{
		{"11010519491231002X", "110105", "1949-12-31", false},
		{"440524188001010014", "440524", "1880-01-01", true},
		{"640502199001010017", "640502", "1990-01-01", true},
	}
	for _, tt := range tests {
		region, birth, male, err := CitizenIDInfo(tt.id)
		if err != nil {
			t.Fatalf("CitizenIDInfo(%q): %v", tt.id, err)
		}
		if region != tt.region || birth.Format(time.DateOnly) != tt.birth || male != tt.male {
			t.Errorf("CitizenIDInfo(%q) = %s %s male=%v, want %s %s male=%v",
				tt.id, region, birth.Format(time.DateOnly), male, tt.region, tt.birth, tt.male)
		}
	}
	_, _, _, err := CitizenIDInfo("11010519491231002x")
	var e *shuyu.Error
	if !errors.As(err, &e) || e.Code != shuyu.EINVALID {
		t.Errorf("CitizenIDInfo(lower-case x) error = %v, want EINVALID", err)
	}
}

func TestNormalizeCitizenID_R11_1(t *testing.T) {
	got := NormalizeCitizenID("  11010519491231002x\t")
	if got != "11010519491231002X" || !ValidCitizenID(got) {
		t.Errorf("NormalizeCitizenID = %q, want the valid upper-case form", got)
	}
}

func TestRegion_R8_4(t *testing.T) {
	for _, code := range []string{"640000", "640100", "640200", "640300", "640400", "640500", "640502", "640521", "640522"} {
		if !RegionKnown(code) || !ValidRegionCode(code) || RegionName(code) == "" {
			t.Errorf("Ningxia code %s: known=%v valid=%v name=%q", code, RegionKnown(code), ValidRegionCode(code), RegionName(code))
		}
	}
	if RegionName("640500") != "中卫市" || RegionName("640521") != "中宁县" {
		t.Errorf("RegionName: 640500=%q 640521=%q", RegionName("640500"), RegionName("640521"))
	}
	if RegionKnown("110105") || !ValidRegionCode("110105") || RegionName("110105") != "北京市" {
		t.Error("110105: want unknown to the shipped table but a valid Beijing code")
	}
	for _, bad := range []string{"", "64050", "6405000", "64050a", "000000", "830000", "900000"} {
		if ValidRegionCode(bad) || RegionKnown(bad) || RegionName(bad) != "" {
			t.Errorf("region %q accepted", bad)
		}
	}
}

func FuzzValidCitizenID(f *testing.F) {
	for _, c := range citizenCases {
		f.Add(c.id)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidCitizenID(s) {
			if _, _, _, err := CitizenIDInfo(s); err == nil {
				t.Fatalf("CitizenIDInfo(%q) succeeded on an invalid number", s)
			}
			return
		}
		c, err := CitizenIDCheckChar(s[:17])
		if err != nil || c != s[17] {
			t.Fatalf("valid %q but check char = %c, %v", s, c, err)
		}
		region, birth, _, err := CitizenIDInfo(s)
		if err != nil || region != s[:6] || birth.Format("20060102") != s[6:14] {
			t.Fatalf("CitizenIDInfo(%q) = %s %v %v", s, region, birth, err)
		}
	})
}
