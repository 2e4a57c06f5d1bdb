package ident

import (
	"math/rand/v2"
	"testing"
)

// TestMod1110_NREG_7_KnownValues: check digits of ISO 7064 MOD 11,10
// computed by hand with the standard's recurrence (P0 = 10; S = (P + d) mod
// 10, 0 → 10; P = 2S mod 11; check c with (P + c) mod 10 = 1).
func TestMod1110_NREG_7_KnownValues(t *testing.T) {
	for _, c := range []struct {
		in   string
		want byte
	}{
		// "0": S = 10, P = 20 mod 11 = 9; c = (11-9) mod 10 = 2.
		{"0", '2'},
		// "1": S = 1, P = 2; c = 9.
		{"1", '9'},
		// "12": after 1 P = 2; S = 4, P = 8; c = 3.
		{"12", '3'},
		// "794": P: 10→ S=7,P=3 → S=2,P=4 → S=8,P=5; c = 6.
		{"794", '6'},
	} {
		got, err := Mod1110Check(c.in)
		if err != nil || got != c.want {
			t.Errorf("Mod1110Check(%q) = %c, %v; want %c", c.in, got, err, c.want)
		}
		if !Mod1110Valid(c.in + string(c.want)) {
			t.Errorf("Mod1110Valid(%q) false", c.in+string(c.want))
		}
	}
	if _, err := Mod1110Check("12a"); err == nil {
		t.Error("a letter was accepted")
	}
}

// TestRegistryCode_NREG_7_CheckDigitFails: a generated code validates; a
// code with a wrong check digit, a single substituted digit, a bad type
// digit or a bad USCC fails. (MOD 11,10 catches most but not all adjacent
// transpositions, so none is claimed here.)
func TestRegistryCode_NREG_7_CheckDigitFails(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 64))
	for i := 0; i < 200; i++ {
		uscc := GenUSCC(r, "640500")
		code, err := RegistryCode(RegistryResource, uscc, "6405", int64(r.IntN(100000000)))
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != RegistryCodeLen || !ValidRegistryCode(code) {
			t.Fatalf("generated code %s does not validate", code)
		}
		wrong := code[:31] + string('0'+(code[31]-'0'+1)%10)
		if ValidRegistryCode(wrong) {
			t.Fatalf("wrong check digit accepted: %s", wrong)
		}
		pos := 19 + r.IntN(12) // a digit of region or serial
		b := []byte(code)
		b[pos] = '0' + (b[pos]-'0'+byte(1+r.IntN(9)))%10
		if ValidRegistryCode(string(b)) {
			t.Fatalf("substituted digit at %d accepted: %s", pos, b)
		}
	}
	good, _ := RegistryCode(RegistryProduct, GenUSCC(r, "640500"), "6405", 1)
	for name, s := range map[string]string{
		"type digit": "5" + good[1:],
		"short":      good[:31],
		"bad uscc":   good[:1] + "0000000000000000000" + good[19:],
	} {
		if ValidRegistryCode(s) {
			t.Errorf("%s accepted: %s", name, s)
		}
	}
	if _, err := RegistryCode('5', GenUSCC(r, "640500"), "6405", 1); err == nil {
		t.Error("type digit 5 built")
	}
}
