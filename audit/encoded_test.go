package audit

import (
	"errors"
	"reflect"
	"testing"

	"shuyu"
)

// verifyEncoded is verifyAll through AddCanonical, as a store that builds
// the encodings itself would call it.
func verifyEncoded(trusted []byte, cps []shuyu.Checkpoint, evs []shuyu.Event) (Report, error) {
	v := NewVerifier(trusted, cps)
	for i := range evs {
		if err := v.AddCanonical(Canonical(nil, &evs[i]), evs[i].Hash); err != nil {
			break
		}
	}
	return v.Finish()
}

// AddCanonical must reach exactly Add's verdict, intact or tampered
// (R27.1, R28.1): the store's fast path relies on it.
func TestAddCanonical_R28_1_SameVerdictAsAdd(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	cases := map[string]func(evs []shuyu.Event) []shuyu.Event{
		"intact":   func(evs []shuyu.Event) []shuyu.Event { return evs },
		"edited":   func(evs []shuyu.Event) []shuyu.Event { evs[12].Reason = "篡改"; return evs },
		"deleted":  func(evs []shuyu.Event) []shuyu.Event { return append(evs[:7:7], evs[8:]...) },
		"swapped":  func(evs []shuyu.Event) []shuyu.Event { evs[21], evs[22] = evs[22], evs[21]; return evs },
		"tail cut": func(evs []shuyu.Event) []shuyu.Event { return evs[:43] },
		"relinked": func(evs []shuyu.Event) []shuyu.Event {
			evs[30].PrevHash[0] ^= 1
			return evs
		},
		"rewritten": func(evs []shuyu.Event) []shuyu.Event { evs[33].Action = "user.delete"; reseal(evs, 33); return evs },
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			want, werr := verifyAll(s.PublicKey(), cps, tamper(cloneEvents(evs)))
			got, gerr := verifyEncoded(s.PublicKey(), cps, tamper(cloneEvents(evs)))
			if !reflect.DeepEqual(got, want) || (werr == nil) != (gerr == nil) {
				t.Fatalf("AddCanonical: %+v %v\nAdd: %+v %v", got, gerr, want, werr)
			}
			if name == "intact" && (!got.OK || got.Checkpoints != len(cps)) {
				t.Fatalf("intact trail: %+v", got)
			}
		})
	}
}

// An encoding that does not parse (cut short, trailing bytes, another
// version tag) is an edited row, never accepted.
func TestAddCanonical_R27_1_MalformedEncodingRejected(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	enc := Canonical(nil, &evs[0])
	bad := map[string][]byte{
		"short":    enc[:len(enc)-1],
		"trailing": append(append([]byte(nil), enc...), 0),
		"empty":    nil,
		"other tag": func() []byte {
			b := append([]byte(nil), enc...)
			b[6] = 'X'
			return b
		}(),
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			v := NewVerifier(s.PublicKey(), cps)
			err := v.AddCanonical(b, evs[0].Hash)
			var te *TamperError
			if !errors.As(err, &te) || te.Kind != KindHash || te.Seq != 1 {
				t.Fatalf("malformed encoding: %v", err)
			}
			if r, _ := v.Finish(); r.OK {
				t.Fatal("verifier reports OK after a malformed encoding")
			}
		})
	}
}

// The caller-computed sum is what is compared with the stored hash.
func TestAddCanonicalSum_R27_1_WrongSumIsAMismatch(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	v := NewVerifier(s.PublicKey(), cps)
	var sum [HashSize]byte
	err := v.AddCanonicalSum(Canonical(nil, &evs[0]), evs[0].Hash, &sum)
	var te *TamperError
	if !errors.As(err, &te) || te.Kind != KindHash {
		t.Fatalf("wrong sum accepted: %v", err)
	}
}
