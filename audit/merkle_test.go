package audit

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/emmansun/gmsm/sm3"
)

// refRoot computes the root level by level, the way the package doc
// describes it, independently of the streaming frontier.
func refRoot(leaves [][]byte) []byte {
	if len(leaves) == 0 {
		s := sm3.Sum(nil)
		return s[:]
	}
	level := leaves
	for len(level) > 1 {
		var next [][]byte
		for i := 0; i+1 < len(level); i += 2 {
			s := sm3.Sum(append(append([]byte{0x01}, level[i]...), level[i+1]...))
			next = append(next, s[:])
		}
		if len(level)%2 == 1 {
			next = append(next, level[len(level)-1]) // promoted
		}
		level = next
	}
	return level[0]
}

func leaves(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		s := sm3.Sum([]byte(fmt.Sprintf("leaf %d", i)))
		out[i] = s[:]
	}
	return out
}

func TestMerkleRoot_R28_1_MatchesLevelByLevel(t *testing.T) {
	t.Parallel()
	for n := 0; n <= 70; n++ {
		ls := leaves(n)
		if got, want := MerkleRoot(ls), refRoot(ls); !bytes.Equal(got, want) {
			t.Errorf("n=%d: root %x, want %x", n, got, want)
		}
	}
}

func TestMerkleRoot_R28_1_SmallTreesByHand(t *testing.T) {
	t.Parallel()
	ls := leaves(3)
	node := func(l, r []byte) []byte {
		s := sm3.Sum(append(append([]byte{0x01}, l...), r...))
		return s[:]
	}
	if got := MerkleRoot(ls[:1]); !bytes.Equal(got, ls[0]) {
		t.Errorf("one leaf: root %x, want the leaf itself", got)
	}
	if got, want := MerkleRoot(ls[:2]), node(ls[0], ls[1]); !bytes.Equal(got, want) {
		t.Errorf("two leaves: %x, want %x", got, want)
	}
	if got, want := MerkleRoot(ls), node(node(ls[0], ls[1]), ls[2]); !bytes.Equal(got, want) {
		t.Errorf("three leaves: %x, want %x", got, want)
	}
}

// Promoting rather than duplicating the odd node keeps [a b c] and
// [a b c c] apart; reordering or dropping leaves changes the root.
func TestMerkleRoot_R28_1_DistinctListsDistinctRoots(t *testing.T) {
	t.Parallel()
	ls := leaves(5)
	base := MerkleRoot(ls[:3])
	variants := map[string][][]byte{
		"duplicated last": {ls[0], ls[1], ls[2], ls[2]},
		"swapped":         {ls[1], ls[0], ls[2]},
		"dropped":         {ls[0], ls[1]},
		"appended":        {ls[0], ls[1], ls[2], ls[3]},
	}
	for name, v := range variants {
		if bytes.Equal(MerkleRoot(v), base) {
			t.Errorf("%s: same root as the original list", name)
		}
	}
}
