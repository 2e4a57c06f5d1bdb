package keys

import (
	"bytes"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

func TestRing_R29_1_FilesAre0600AndOpenFilesRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	r := New(Dir{Path: dir})
	for _, k := range Kinds {
		if _, err := r.Current(k); err != nil {
			t.Fatal(k, err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.pem"))
	if len(files) != len(Kinds) {
		t.Fatalf("want one file per kind, have %v", files)
	}
	for _, f := range files {
		fi, _ := os.Stat(f)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", f, fi.Mode().Perm())
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", fi.Mode().Perm())
	}
	// A key file that others can read is refused, not used.
	os.Chmod(filepath.Join(dir, "kek-0001.pem"), 0o644)
	if _, err := New(Dir{Path: dir}).Current(KEK); err == nil || !strings.Contains(err.Error(), "too open") {
		t.Fatalf("group-readable key accepted: %v", err)
	}
}

func TestRing_R29_1_RotateKeepsOldKeysForOpening(t *testing.T) {
	r := New(Dir{Path: t.TempDir()})
	ad := []byte("users/phone/7")
	old, err := r.Seal(KEK, []byte("13912345678"), ad)
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := r.Current(KEK)
	k2, err := r.Rotate(KEK)
	if err != nil {
		t.Fatal(err)
	}
	if k2.Gen != 2 || k2.ID == k1.ID || !strings.HasPrefix(k2.ID, "kek-2-") {
		t.Fatalf("rotation gave %+v after %s", k2.ID, k1.ID)
	}
	fresh, _ := r.Seal(KEK, []byte("13912345678"), ad)
	for _, v := range [][]byte{old, fresh} {
		pt, err := r.Open(KEK, v, ad)
		if err != nil || string(pt) != "13912345678" {
			t.Fatalf("open: %q %v", pt, err)
		}
	}
	if id, _ := SealedKeyID(old); id != k1.ID {
		t.Errorf("old value names %s, want %s", id, k1.ID)
	}
	if id, _ := SealedKeyID(fresh); id != k2.ID {
		t.Errorf("new value names %s, want %s", id, k2.ID)
	}
	// Bound to its place: the same bytes under another row do not open.
	if _, err := r.Open(KEK, fresh, []byte("users/phone/8")); err == nil {
		t.Error("sealed value opened under other additional data")
	}
	// A second process (another ring on the same directory) sees both.
	r2 := New(Dir{Path: r.Location()})
	if pt, err := r2.Open(KEK, old, ad); err != nil || string(pt) != "13912345678" {
		t.Fatalf("other ring: %q %v", pt, err)
	}
	if _, err := r.Rotate(Noise); err == nil {
		t.Error("noise key rotated: every published figure would get a second noisy value")
	}
}

func TestRing_AuditKeyIDFromPublicKey(t *testing.T) {
	r := New(Dir{Path: t.TempDir()})
	k, err := r.Current(Audit)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.PublicKey()
	if err != nil || len(pub) != 65 {
		t.Fatalf("%x %v", pub, err)
	}
	if AuditKeyID(1, pub) != k.ID {
		t.Errorf("AuditKeyID %s, key %s", AuditKeyID(1, pub), k.ID)
	}
}

func TestRing_ConcurrentFirstUseOneKey(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			k, err := New(Dir{Path: dir}).Current(KEK)
			if err != nil {
				t.Error(err)
			}
			ids[i] = k.ID
		}(i)
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("processes disagree on the key: %v", ids)
		}
	}
}

func TestDir_LegacyKeysMovedOutOfDataDir(t *testing.T) {
	data := t.TempDir()
	priv, _ := sm2.GenerateKey(rand.Reader)
	der, _ := smx509.MarshalPKCS8PrivateKey(priv)
	os.WriteFile(filepath.Join(data, "audit-signing-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	noise := bytes.Repeat([]byte{7}, 32)
	os.WriteFile(filepath.Join(data, "noise.key"), noise, 0o600)
	r := New(Dir{Path: filepath.Join(t.TempDir(), "keys"), Legacy: data})
	a, err := r.Current(Audit)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := a.SM2()
	if !got.Equal(priv) {
		t.Error("legacy audit key not imported")
	}
	n, _ := r.Current(Noise)
	if !bytes.Equal(n.Material, noise) {
		t.Error("legacy noise key not imported")
	}
	for _, f := range []string{"audit-signing-key.pem", "noise.key"} {
		if _, err := os.Stat(filepath.Join(data, f)); !os.IsNotExist(err) {
			t.Errorf("%s still in the data directory", f)
		}
	}
}

func TestDataKey_R29_1_SealedUnderKEKResealedAfterRotation(t *testing.T) {
	r := New(Dir{Path: t.TempDir()})
	path := filepath.Join(t.TempDir(), "domain", "domain.key.sealed")
	k1, err := r.DataKey(path, "domain")
	if err != nil || len(k1) != 32 {
		t.Fatalf("%x %v", k1, err)
	}
	sealed, _ := os.ReadFile(path)
	if bytes.Contains(sealed, k1) {
		t.Fatal("data key in clear in its file")
	}
	nk, _ := r.Rotate(KEK)
	k2, err := r.DataKey(path, "domain")
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("data key changed across a KEK rotation: %v", err)
	}
	sealed, _ = os.ReadFile(path)
	if id, _ := SealedKeyID(sealed); id != nk.ID {
		t.Errorf("data key sealed by %s after rotation, want %s", id, nk.ID)
	}
	// Without the key directory the file is useless.
	if _, err := New(Dir{Path: t.TempDir()}).DataKey(path, "domain"); err == nil {
		t.Error("data key opened with another key ring")
	}
}
