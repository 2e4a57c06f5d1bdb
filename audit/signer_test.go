package audit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"shuyu"
)

func TestCheckpoint_R28_1_SignsAndVerifies(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t)
	evs := makeEvents(10)
	c := signRange(t, s, evs, 0, 10)
	if c.Seq != 10 || c.PrevSeq != 0 || !bytes.Equal(c.Head, evs[9].Hash) {
		t.Fatalf("checkpoint %+v does not describe events 1..10", c)
	}
	hashes := make([][]byte, 10)
	for i := range hashes {
		hashes[i] = evs[i].Hash
	}
	if !bytes.Equal(c.Root, MerkleRoot(hashes)) {
		t.Fatal("checkpoint root is not the Merkle root of the range")
	}
	if err := VerifyCheckpoint(&c, s.PublicKey()); err != nil {
		t.Fatalf("valid checkpoint rejected: %v", err)
	}
	if err := VerifyCheckpoint(&c, nil); err != nil {
		t.Fatalf("valid checkpoint rejected without pinned key: %v", err)
	}
}

func TestCheckpoint_R29_1_AlteredFieldBreaksSignature(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t)
	evs := makeEvents(4)
	orig := signRange(t, s, evs, 0, 4)
	edits := map[string]func(c *shuyu.Checkpoint){
		"Seq":     func(c *shuyu.Checkpoint) { c.Seq = 3 },
		"PrevSeq": func(c *shuyu.Checkpoint) { c.PrevSeq = 1 },
		"Time":    func(c *shuyu.Checkpoint) { c.Time = c.Time.Add(1e3) },
		"Head":    func(c *shuyu.Checkpoint) { c.Head = evs[2].Hash },
		"Root":    func(c *shuyu.Checkpoint) { c.Root = evs[0].Hash },
	}
	for name, edit := range edits {
		c := orig
		edit(&c)
		var te *TamperError
		if err := VerifyCheckpoint(&c, s.PublicKey()); !errors.As(err, &te) || te.Kind != KindCheckpointSignature {
			t.Errorf("%s altered: err %v, want a bad-signature TamperError", name, err)
		}
	}
}

func TestCheckpoint_R29_1_OtherKeyRejectedWhenPinned(t *testing.T) {
	t.Parallel()
	platform, other := newTestSigner(t), newTestSigner(t)
	evs := makeEvents(3)
	forged := signRange(t, other, evs, 0, 3)
	var te *TamperError
	if err := VerifyCheckpoint(&forged, platform.PublicKey()); !errors.As(err, &te) || te.Kind != KindCheckpointKey || te.Seq != 3 {
		t.Fatalf("checkpoint by another key: err %v, want an untrusted-key TamperError for seq 3", err)
	}
	// Claiming the platform's key without its private half fails the signature.
	forged.PublicKey = platform.PublicKey()
	if err := VerifyCheckpoint(&forged, platform.PublicKey()); !errors.As(err, &te) || te.Kind != KindCheckpointSignature {
		t.Fatalf("checkpoint claiming the platform key: err %v, want a bad-signature TamperError", err)
	}
}

func TestCheckpoint_R28_1_RejectsInconsistentInput(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t)
	evs := makeEvents(5)
	hashes := [][]byte{evs[0].Hash, evs[1].Hash, evs[2].Hash}
	cases := map[string]func() error{
		"seq not after prevSeq": func() error { _, err := s.Checkpoint(3, hashes, 3, evs[2].Hash, t0); return err },
		"wrong count":           func() error { _, err := s.Checkpoint(0, hashes, 4, evs[2].Hash, t0); return err },
		"head not last hash":    func() error { _, err := s.Checkpoint(0, hashes, 3, evs[1].Hash, t0); return err },
		"short hash": func() error {
			_, err := s.Checkpoint(0, [][]byte{{1, 2}, evs[1].Hash}, 2, evs[1].Hash, t0)
			return err
		},
	}
	for name, call := range cases {
		if err := call(); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("%s: err %v, want EINVALID", name, err)
		}
	}
}

// A regulator's trusted key is given as hex and checked to be an SM2 point
// (R30.1); key files are the keys package's (keys/dir.go).
func TestParsePublicKey_R30_1_TrustedKeyRoundTrip(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t)
	pub, err := ParsePublicKey(" " + hex.EncodeToString(s.PublicKey()) + "\n")
	if err != nil || !bytes.Equal(pub, s.PublicKey()) {
		t.Fatalf("ParsePublicKey round trip: %x, %v", pub, err)
	}
	bad := s.PublicKey()
	bad[64] ^= 1 // off the curve
	for _, text := range []string{"zz", hex.EncodeToString(bad), hex.EncodeToString(bad[:33])} {
		if _, err := ParsePublicKey(text); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("ParsePublicKey(%.12s…) err %v, want EINVALID", text, err)
		}
	}
}
