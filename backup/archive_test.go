package backup

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

func writeArchive(t *testing.T, key []byte, h Header, content []byte) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "shuyu.db")
	os.WriteFile(src, content, 0o600)
	out := filepath.Join(dir, "a.sbk")
	f, _ := os.Create(out)
	if _, err := Write(f, h, key, []Source{{Name: "shuyu.db", Path: src}, {Name: "keys/kek-0001.pem", Path: src}}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return out
}

func TestArchive_R28_1_RoundTripWrongKeyCutAndAltered(t *testing.T) {
	content := bytes.Repeat([]byte("13995512345 640502199001011234 "), 10000) // > several chunks
	h := NewHeader("passphrase", "", "sqlite", time.Now())
	key, err := KeyFromPassphrase("a long enough passphrase", h.Salt)
	if err != nil {
		t.Fatal(err)
	}
	out := writeArchive(t, key, h, content)
	raw, _ := os.ReadFile(out)
	if bytes.Contains(raw, []byte("640502199001011234")) {
		t.Fatal("archive holds content in clear")
	}
	dst := filepath.Join(t.TempDir(), "r")
	man, err := Extract(out, key, dst)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "shuyu.db")); !bytes.Equal(got, content) || len(man.Files) != 2 {
		t.Fatalf("restored %d bytes, %d files", len(got), len(man.Files))
	}
	// Wrong passphrase: refused, nothing usable written.
	bad, _ := KeyFromPassphrase("another long passphrase", h.Salt)
	if _, err := Extract(out, bad, filepath.Join(t.TempDir(), "w")); err == nil || !strings.Contains(err.Error(), "wrong key") {
		t.Errorf("wrong key: %v", err)
	}
	// Cut short with a recomputed digest (an attacker's edit): the missing
	// last chunk is noticed by the chunk authentication.
	cut := append([]byte(nil), raw[:len(raw)/2]...)
	cutPath := filepath.Join(t.TempDir(), "cut.sbk")
	f, _ := os.Create(cutPath)
	f.Write(cut)
	sumW := sm3.New()
	sumW.Write(cut)
	f.Write(sumW.Sum(nil))
	f.Close()
	if _, err := Extract(cutPath, key, filepath.Join(t.TempDir(), "c")); err == nil {
		t.Error("archive cut short (digest recomputed) restored without error")
	}
	// A non-empty target is refused.
	if _, err := Extract(out, key, dst); err == nil {
		t.Error("restore into a non-empty directory")
	}
	if _, err := KeyFromPassphrase("short", h.Salt); err == nil {
		t.Error("short passphrase accepted")
	}
}
