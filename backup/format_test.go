package backup

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// docRoot computes the version-2 root exactly as docs/operations.md states
// it, independently of tree.go: SM3 of 1 MiB leaves, then SM3 of the tag,
// the leaf size, the length, the leaf count and the leaf digests in order.
func docRoot(body []byte) []byte {
	var leaves [][]byte
	for off := 0; off < len(body) || len(leaves) == 0; off += 1 << 20 {
		s := sm3.Sum(body[off:min(off+1<<20, len(body))])
		leaves = append(leaves, s[:])
	}
	h := sm3.New()
	h.Write([]byte("SHUYU-TREE-2\x00"))
	binary.Write(h, binary.BigEndian, uint64(1<<20))
	binary.Write(h, binary.BigEndian, uint64(len(body)))
	binary.Write(h, binary.BigEndian, uint64(len(leaves)))
	for _, l := range leaves {
		h.Write(l)
	}
	return h.Sum(nil)
}

// records splits a version-2 archive's body into its clear prefix and its
// sealed records ("length ‖ sealed chunk").
func records(t *testing.T, body []byte) (prefix []byte, recs [][]byte) {
	t.Helper()
	n := binary.BigEndian.Uint32(body[len(magicV2):])
	p := len(magicV2) + 4 + int(n)
	prefix, rest := body[:p], body[p:]
	for len(rest) > 0 {
		l := 4 + int(binary.BigEndian.Uint32(rest))
		recs = append(recs, rest[:l])
		rest = rest[l:]
	}
	return prefix, recs
}

func join(prefix []byte, recs [][]byte) []byte {
	return append(append([]byte(nil), prefix...), bytes.Join(recs, nil)...)
}

// put writes body and a trailer: the recomputed root (an attacker who edits
// the archive and fixes its digest) or the original one (damage).
func put(t *testing.T, body, root []byte) string {
	t.Helper()
	if root == nil {
		root = docRoot(body)
	}
	p := filepath.Join(t.TempDir(), "x.sbk")
	if err := os.WriteFile(p, append(append([]byte(nil), body...), root...), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestArchive_R28_1_TreeDigestFormatAndTampering(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, 3*ChunkSize+12345) // four chunks, several leaves
	rand.Read(big)
	src := filepath.Join(dir, "domain.duckdb")
	os.WriteFile(src, big, 0o600)
	small := filepath.Join(dir, "shuyu.db")
	os.WriteFile(small, []byte("13995512345 640502199001011234\n"), 0o600)
	h := NewHeader("kek", "kek-0001", "sqlite", time.Now())
	key := KeyFromKEK(bytes.Repeat([]byte{7}, 16), h.Salt)
	var buf bytes.Buffer
	root, err := Write(&buf, h, key, []Source{{Name: "shuyu.db", Path: small}, {Name: "domain/domain.duckdb", Path: src}})
	if err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	body, trailer := raw[:len(raw)-32], raw[len(raw)-32:]
	if !bytes.HasPrefix(raw, []byte("SHUYU-BACKUP-2\n")) || !bytes.Equal(trailer, root) {
		t.Fatal("not a version-2 archive ending in its root")
	}
	if !bytes.Equal(root, docRoot(body)) {
		t.Fatal("the root is not the documented tree digest")
	}
	if bytes.Contains(raw, []byte("640502199001011234")) {
		t.Fatal("archive holds content in clear")
	}
	good := put(t, body, trailer)
	if _, got, err := ReadHeader(good); err != nil || !bytes.Equal(got, root) {
		t.Fatalf("ReadHeader: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "r")
	man, err := Extract(good, key, dst)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "domain", "domain.duckdb")); !bytes.Equal(got, big) || len(man.Files) != 2 {
		t.Fatalf("restored %d of %d bytes, %d files", len(got), len(big), len(man.Files))
	}
	prefix, recs := records(t, body)
	if len(recs) != 4 {
		t.Fatalf("%d chunks, want 4", len(recs))
	}
	swapped := append([][]byte(nil), recs...)
	swapped[1], swapped[2] = swapped[2], swapped[1]
	flipped := append([]byte(nil), body...)
	flipped[len(prefix)+ChunkSize+100] ^= 1 // inside the second chunk
	extra := append([]byte(nil), recs[1]...)
	cases := []struct {
		name string
		body []byte
	}{
		{"tampered byte", flipped},
		{"chunks reordered", join(prefix, swapped)},
		{"last chunk dropped", join(prefix, recs[:3])},
		{"cut inside a chunk", body[:len(body)-5000]},
		{"chunk appended", join(prefix, append(append([][]byte(nil), recs...), extra))},
		{"bytes appended", append(append([]byte(nil), body...), 0, 0, 0, 0)},
		{"header edited", bytes.Replace(body, []byte(`"metadata":"sqlite"`), []byte(`"metadata":"sqlitf"`), 1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Damage: the stored root no longer matches; refused before
			// anything is decrypted or written.
			stale := put(t, c.body, trailer)
			if _, _, err := ReadHeader(stale); !errors.Is(err, ErrDigest) {
				t.Errorf("stale digest: ReadHeader = %v, want ErrDigest", err)
			}
			d := filepath.Join(t.TempDir(), "r")
			if _, err := Extract(stale, key, d); !errors.Is(err, ErrDigest) {
				t.Errorf("stale digest: Extract = %v", err)
			}
			if _, err := os.Stat(d); !os.IsNotExist(err) {
				t.Error("stale digest: something was written")
			}
			// An edit whose digest was recomputed: the chunk authentication
			// refuses it.
			fixed := put(t, c.body, nil)
			if _, err := Extract(fixed, key, filepath.Join(t.TempDir(), "r")); err == nil {
				t.Error("edited archive with a recomputed digest restored without error")
			} else {
				t.Log(err)
			}
		})
	}
	// A wrong key is refused at the first chunk.
	if _, err := Extract(good, KeyFromKEK(bytes.Repeat([]byte{8}, 16), h.Salt), filepath.Join(t.TempDir(), "w")); err == nil || !strings.Contains(err.Error(), "wrong key") {
		t.Errorf("wrong key: %v", err)
	}
}

// An archive written by version 1 (64 KiB chunks, flat SM3, per-file SM3 in
// the manifest; testdata/v1.sbk was written by that code) still restores,
// and a damaged one is still refused.
func TestArchive_R28_1_Version1StillRestores(t *testing.T) {
	raw, err := os.ReadFile("testdata/v1.sbk")
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := ReadHeader("testdata/v1.sbk")
	if err != nil || h.Format != "shuyu-backup/1" {
		t.Fatalf("v1 header: %+v %v", h, err)
	}
	key, _ := KeyFromPassphrase("fixture passphrase v1", h.Salt)
	dst := filepath.Join(t.TempDir(), "r")
	man, err := Extract("testdata/v1.sbk", key, dst)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dst, "shuyu.db"))
	want := bytes.Repeat([]byte("v1 archive fixture: 640502199001011234\n"), 5000)
	if !bytes.Equal(got, want) || len(man.Files) != 2 || man.Files[0].SM3 == "" {
		t.Fatalf("v1 restore: %d bytes, manifest %+v", len(got), man.Files)
	}
	bad := append([]byte(nil), raw...)
	bad[len(bad)/2] ^= 1
	p := filepath.Join(t.TempDir(), "bad.sbk")
	os.WriteFile(p, bad, 0o600)
	if _, _, err := ReadHeader(p); !errors.Is(err, ErrDigest) {
		t.Errorf("damaged v1: %v", err)
	}
	// A format this shuyu does not know is refused with a clear message.
	newer := append([]byte("SHUYU-BACKUP-3\n"), raw[len(magicV1):]...)
	os.WriteFile(p, newer, 0o600)
	if _, _, err := ReadHeader(p); err == nil || !strings.Contains(err.Error(), "newer than this shuyu") {
		t.Errorf("version 3: %v", err)
	}
}
