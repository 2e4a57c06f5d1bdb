package ident

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// The generators below build simulated data (R6.1). They take the random
// source so that a seeded run reproduces the same data set. Invalid
// arguments are programming errors and panic, like regexp.MustCompile;
// check them with ValidRegionCode first when they come from users.

// GenCitizenID returns a valid 公民身份号码 for a person of the given sex born
// on birth's calendar date in region (six digits with a real province
// prefix), with a random sequence number.
func GenCitizenID(r *rand.Rand, region string, birth time.Time, male bool) string {
	if !ValidRegionCode(region) {
		panic(fmt.Sprintf("ident.GenCitizenID: invalid region code %q", region))
	}
	y, m, d := birth.Date()
	if y < minBirthYear || y > 9999 {
		panic(fmt.Sprintf("ident.GenCitizenID: birth year %d out of range", y))
	}
	// Sequence 001..999; its last digit carries the sex (odd is male).
	seq := 1 + r.IntN(999)
	if (seq%2 == 1) != male {
		if seq == 999 {
			seq--
		} else {
			seq++
		}
	}
	first17 := fmt.Sprintf("%s%04d%02d%02d%03d", region, y, int(m), d, seq)
	return first17 + string(citizenCheck(first17))
}

// GenUSCC returns a valid 统一社会信用代码 of an enterprise registered by market
// regulation: "9" (工商/市场监管) + "1" (企业) + regionCode + a 9-character
// organization code with its own GB 11714 check character + the GB 32100
// check character.
func GenUSCC(r *rand.Rand, regionCode string) string { return genUSCC(r, "91", regionCode) }

// GenOrganUSCC generates a valid 统一社会信用代码 of a government organ
// (registration authority 1, kind 1: 机关) in the region.
func GenOrganUSCC(r *rand.Rand, regionCode string) string { return genUSCC(r, "11", regionCode) }

func genUSCC(r *rand.Rand, kind, regionCode string) string {
	if !ValidRegionCode(regionCode) {
		panic(fmt.Sprintf("ident.GenUSCC: invalid region code %q", regionCode))
	}
	var body [8]byte
	for i := range body {
		body[i] = usccChars[r.IntN(len(usccChars))]
	}
	// The org check character is a digit or 'X', both in the USCC set.
	oc, _ := orgCheck(string(body[:]))
	first17 := kind + regionCode + string(body[:]) + string(oc)
	c, _ := usccCheck(first17)
	return first17 + string(c)
}

// mobilePrefixes are number segments assigned to the three carriers and
// China Broadnet, so that generated numbers look real.
var mobilePrefixes = []string{
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"147", "150", "151", "152", "153", "155", "156", "157", "158", "159",
	"166", "173", "175", "176", "177", "178", "180", "181", "182", "183",
	"184", "185", "186", "187", "188", "189", "191", "192", "193", "195",
	"196", "197", "198", "199",
}

// GenMobile returns a random 11-digit mainland mobile number.
func GenMobile(r *rand.Rand) string {
	return fmt.Sprintf("%s%08d", mobilePrefixes[r.IntN(len(mobilePrefixes))], r.IntN(100_000_000))
}

// GenBankCard returns a random UnionPay-style card number: "62", 13 or 16
// random digits and a Luhn check digit (16 or 19 digits in all).
func GenBankCard(r *rand.Rand) string {
	n := 13
	if r.IntN(2) == 1 {
		n = 16
	}
	b := make([]byte, 2, 19)
	b[0], b[1] = '6', '2'
	for i := 0; i < n; i++ {
		b = append(b, byte('0'+r.IntN(10)))
	}
	return string(b) + string(luhnCheckDigit(string(b)))
}
