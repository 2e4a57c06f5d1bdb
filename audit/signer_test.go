package audit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"shuyu"
)

func TestLoadOrCreateSigner_R29_1_CreatesPrivateKeyFileOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keys", "audit-sm2.pem")
	s1, err := LoadOrCreateSigner(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %v, want 0600", perm)
	}
	data, _ := os.ReadFile(path)
	if !bytes.HasPrefix(data, []byte("-----BEGIN PRIVATE KEY-----")) {
		t.Errorf("key file is not a PKCS#8 PEM: %q", data[:min(len(data), 40)])
	}
	pub := s1.PublicKey()
	if len(pub) != 65 || pub[0] != 0x04 {
		t.Errorf("public key %x is not an uncompressed point", pub)
	}
	s2, err := LoadOrCreateSigner(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s2.PublicKey(), pub) {
		t.Fatal("second load produced a different key")
	}
}

func TestLoadOrCreateSigner_R29_1_RefusesReadableKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit-sm2.pem")
	if _, err := LoadOrCreateSigner(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSigner(path); err == nil {
		t.Fatal("a world-readable signing key was accepted")
	}
}

func TestLoadOrCreateSigner_R29_1_RejectsGarbage(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit-sm2.pem")
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSigner(path); err == nil {
		t.Fatal("garbage key file accepted")
	}
	if data, _ := os.ReadFile(path); string(data) != "not a key" {
		t.Fatal("an existing key file was overwritten")
	}
}

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

func TestLoadSigner_R30_1_NeverCreatesAndParsesTrustedKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit-sm2.pem")
	if _, err := LoadSigner(path); err == nil {
		t.Fatal("LoadSigner succeeded without a key file")
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("LoadSigner created a key")
	}
	s, err := LoadOrCreateSigner(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := LoadSigner(path)
	if err != nil || !bytes.Equal(l.PublicKey(), s.PublicKey()) {
		t.Fatalf("LoadSigner: %v, key differs", err)
	}
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
