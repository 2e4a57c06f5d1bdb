package ident

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestGenCitizenID_R6_1_Validates(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	regions := []string{"640500", "640502", "640521", "640522", "110105"}
	for i := 0; i < 2000; i++ {
		region := regions[i%len(regions)]
		birth := time.Date(1930+r.IntN(90), time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(366))
		male := r.IntN(2) == 0
		id := GenCitizenID(r, region, birth, male)
		gotRegion, gotBirth, gotMale, err := CitizenIDInfo(id)
		if err != nil {
			t.Fatalf("GenCitizenID made invalid %q: %v", id, err)
		}
		if gotRegion != region || !gotBirth.Equal(birth) || gotMale != male {
			t.Fatalf("GenCitizenID(%s, %s, male=%v) = %q, read back %s %s male=%v",
				region, birth.Format(time.DateOnly), male, id, gotRegion, gotBirth.Format(time.DateOnly), gotMale)
		}
		if id[14:17] == "000" {
			t.Fatalf("GenCitizenID made sequence 000: %q", id)
		}
	}
}

func TestGenCitizenID_R6_1_Reproducible(t *testing.T) {
	birth := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	a := GenCitizenID(rand.New(rand.NewPCG(7, 7)), "640500", birth, true)
	b := GenCitizenID(rand.New(rand.NewPCG(7, 7)), "640500", birth, true)
	if a != b {
		t.Errorf("same seed gave %q and %q", a, b)
	}
}

func TestGenCitizenID_R6_1_BadRegionPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("GenCitizenID with region 990000 did not panic")
		}
	}()
	GenCitizenID(rand.New(rand.NewPCG(1, 1)), "990000", time.Now(), true)
}

func TestGenUSCC_R6_1_Validates(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		code := GenUSCC(r, "640500")
		if !ValidUSCC(code) {
			t.Fatalf("GenUSCC made invalid %q", code)
		}
		if !strings.HasPrefix(code, "91640500") || !ValidOrgCode(code[8:17]) {
			t.Fatalf("GenUSCC(640500) = %q: want prefix 91640500 and a valid org code", code)
		}
		seen[code] = true
	}
	if len(seen) < 1990 {
		t.Errorf("only %d distinct codes in 2000", len(seen))
	}
}

func TestGenMobileAndCard_R6_1_Validate(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 2000; i++ {
		if m := GenMobile(r); !ValidMobile(m) || len(m) != 11 {
			t.Fatalf("GenMobile made invalid %q", m)
		}
		c := GenBankCard(r)
		if !ValidBankCard(c) || !strings.HasPrefix(c, "62") {
			t.Fatalf("GenBankCard made invalid %q", c)
		}
	}
}

// TestGenOrganUSCC_NREG_7_Validates: codes of government organs (the
// subjects of resource registrations) start with 11 and validate.
func TestGenOrganUSCC_NREG_7_Validates(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 500; i++ {
		code := GenOrganUSCC(r, "640522")
		if !ValidUSCC(code) || !strings.HasPrefix(code, "11640522") {
			t.Fatalf("GenOrganUSCC = %q", code)
		}
	}
}
