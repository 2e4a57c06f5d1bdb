package shuyu

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestMoney_R25_1_ApportionLargestRemainderExact(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 2026))
	for i := 0; i < 5000; i++ {
		n := 1 + r.IntN(12)
		ws := make([]int64, n)
		var sum int64
		for j := range ws {
			ws[j] = r.Int64N(1 << uint(1+r.IntN(50)))
			sum += ws[j]
		}
		total := r.Int64N(1 << uint(1+r.IntN(60)))
		parts := Apportion(total, ws)
		var got int64
		for j, p := range parts {
			got += p
			if sum == 0 {
				continue
			}
			// Each share is the exact quota rounded down or up by one fen.
			exact := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(total), big.NewInt(ws[j])), big.NewInt(sum))
			lo := new(big.Int).Quo(exact.Num(), exact.Denom()).Int64()
			if p != lo && p != lo+1 {
				t.Fatalf("share %d of %d by %v: %d, quota %s", j, total, ws, p, exact.FloatString(3))
			}
		}
		if got != total {
			t.Fatalf("Apportion(%d, %v) sums to %d", total, ws, got)
		}
	}
	// Ties go to the lower index; no weight at all gives all to the first.
	if p := Apportion(2, []int64{1, 1, 1}); p[0] != 1 || p[1] != 1 || p[2] != 0 {
		t.Fatalf("ties: %v", p)
	}
	if p := Apportion(7, []int64{0, 0}); p[0] != 7 || p[1] != 0 {
		t.Fatalf("zero weights: %v", p)
	}
}

func TestMoney_NPRC_4_LineAmountHalfUp(t *testing.T) {
	for _, c := range []struct{ price, qty, div, want int64 }{
		{1000, 5_400_000_000, UnitDivCPU, 1500}, // 1.5 CPU-hours at 10 元
		{1, 5_000, UnitDivRows, 1},              // 0.5 fen rounds up
		{1, 4_999, UnitDivRows, 0},
		{333, 1, 1, 333},
	} {
		if got, err := LineAmount(c.price, c.qty, c.div); err != nil || got != c.want {
			t.Fatalf("LineAmount(%d, %d, %d) = %d %v, want %d", c.price, c.qty, c.div, got, err, c.want)
		}
	}
	if _, err := LineAmount(1<<40, 1<<40, 1); ErrorCode(err) != EINVALID {
		t.Fatalf("overflow: %v", err)
	}
	for s, want := range map[string]int64{"1234.5": 123450, "1,234.56": 123456, "0.01": 1, "7": 700} {
		if got, err := ParseYuan(s); err != nil || got != want {
			t.Fatalf("ParseYuan(%q) = %d %v", s, got, err)
		}
	}
	for _, s := range []string{"", "-1", "1.234", "abc", "1e5"} {
		if _, err := ParseYuan(s); err == nil {
			t.Fatalf("ParseYuan(%q) accepted", s)
		}
	}
	if FormatFen(123456789) != "1,234,567.89" || FormatFen(5) != "0.05" {
		t.Fatal(FormatFen(123456789), FormatFen(5))
	}
}
