package ident

import "testing"

// 6228480402564890018, by hand (from the right, every second digit doubled,
// minus 9 above 9): undoubled 8+0+9+4+5+0+0+4+2+6 = 38; doubled
// 1,0,8,6,2,4,8,8,2 -> 2+0+7+3+4+8+7+7+4 = 42; 38+42 = 80 ≡ 0 (mod 10).
// 4111111111111111: doubled 4 -> 8 and seven 1 -> 14, undoubled eight 1 -> 8; 30.
// 79927398713 is the textbook Luhn example (11 digits: Luhn-valid, no card).
func TestLuhnValid_R28_5(t *testing.T) {
	tests := []struct {
		in   string
		luhn bool
		card bool
	}{
		{"6228480402564890018", true, true},
		{"4111111111111111", true, true},
		{"79927398713", true, false},
		{"79927398710", false, false},
		{"6228480402564890017", false, false},
		{"4111 1111 1111 1111", false, false},
		{"0", false, false},
		{"00", true, false},
		{"", false, false},
		{"62284804025648900180", false, false}, // 20 digits: Luhn fails here anyway
		{"00000000000000000000", true, false},  // 20 digits, Luhn-valid: too long
		{"000000000000000", true, false},       // 15 digits: too short
	}
	for _, tt := range tests {
		if got := LuhnValid(tt.in); got != tt.luhn {
			t.Errorf("LuhnValid(%q) = %v, want %v", tt.in, got, tt.luhn)
		}
		if got := ValidBankCard(tt.in); got != tt.card {
			t.Errorf("ValidBankCard(%q) = %v, want %v", tt.in, got, tt.card)
		}
	}
}

func TestValidBankCard_R28_5_EveryMutationFails(t *testing.T) {
	const card = "6228480402564890018"
	for i := 0; i < len(card); i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == card[i] {
				continue
			}
			m := card[:i] + string(d) + card[i+1:]
			if ValidBankCard(m) {
				t.Errorf("mutation %q (position %d) validates", m, i+1)
			}
		}
	}
}

func FuzzLuhnValid(f *testing.F) {
	for _, s := range []string{"6228480402564890018", "79927398713", "", "0", "12a4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if LuhnValid(s) && len(s) >= 2 {
			if c := luhnCheckDigit(s[:len(s)-1]); c != s[len(s)-1] {
				t.Fatalf("LuhnValid(%q) but check digit of body = %c", s, c)
			}
		}
		_ = ValidBankCard(s)
	})
}
