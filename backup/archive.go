// Package backup writes and reads shuyu's backup archive: one file holding
// a consistent copy of an instance (metadata, data domain, checkpoint file,
// sealed keys), encrypted and digested (docs/operations.md, "Backup and
// restore", "The archive format").
//
// Version 2 (written now): the magic line "SHUYU-BACKUP-2\n", a
// length-prefixed JSON header in clear (format, time, how the key is
// derived: the KEK's id or a passphrase's salt; never a key), then a tar
// stream encrypted with SM4-GCM in chunks of ChunkSize (each "length ‖
// sealed chunk", nonce = random prefix ‖ chunk counter, the header's SM3 and
// a last-chunk flag as additional data, so chunks cannot be reordered,
// dropped or cut; sealed on every core), then the SM3 tree digest of
// everything before it (tree.go: SM3 of 1 MiB leaves, digested in parallel,
// then SM3 over the ordered leaf digests). Restore checks the digest before
// reading anything else, then every chunk's authentication; the tar's last
// entry, MANIFEST.json, lists every file and its size.
//
// Version 1 (written until December 2026) is still read: 64 KiB chunks, a
// flat SM3 over the whole archive, and every file's SM3 in the manifest.
package backup

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

const (
	magicV1 = "SHUYU-BACKUP-1\n"
	magicV2 = "SHUYU-BACKUP-2\n"
	// FormatV2 is the header's format name of what Write writes.
	FormatV2 = "shuyu-backup/2"
	// ChunkSize is the plaintext size of one sealed chunk (version 2).
	ChunkSize   = 1 << 20
	chunkSizeV1 = 64 << 10
)

// Header is the archive's clear header.
type Header struct {
	Format  string    `json:"format"`
	Created time.Time `json:"created"`
	// KeyMode is "kek" (the key derives from the KEK named by KEKID: restore
	// needs the same key directory, which the archive does not hold) or
	// "passphrase" (PBKDF2-HMAC-SM3 over a passphrase; the archive then also
	// holds the key directory).
	KeyMode string `json:"key_mode"`
	KEKID   string `json:"kek_id,omitempty"`
	Salt    []byte `json:"salt"`
	Nonce   []byte `json:"nonce_prefix"`
	// Metadata is "sqlite" (in the archive) or "postgres" (not in it:
	// pg_dump, see docs/operations.md).
	Metadata string `json:"metadata"`
	// Version 2: how the archive is cut (stated for a reader; checked
	// against the format's constants, never trusted).
	Digest    string `json:"digest,omitempty"` // "sm3-tree"
	LeafSize  int    `json:"leaf_size,omitempty"`
	ChunkSize int    `json:"chunk_size,omitempty"`
}

// File is one file of the archive.
type File struct {
	Name string `json:"name"` // slash-separated, relative to the data directory
	Size int64  `json:"size"`
	// SM3 of the file: version 1 only. Version 2 relies on the chunks'
	// SM4-GCM authentication, which covers every byte under the archive key
	// (a per-file digest inside the encrypted stream adds nothing against
	// anyone who cannot forge a chunk, and anyone who can could rewrite it).
	SM3 string `json:"sm3,omitempty"`
}

// Manifest is the archive's table of contents (the last tar entry).
type Manifest struct {
	Header Header `json:"header"`
	Files  []File `json:"files"`
}

// Source is a file to put into the archive: a file at Path, or what Stream
// hands over. Stream lets a consistent copy go straight into the archive
// without a scratch file: it must call put exactly once, with a reader of
// exactly size bytes, while its snapshot is held (a SQLite read
// transaction, a DuckDB transaction that keeps the file from being
// checkpointed); an error it returns ends Write with that error.
type Source struct {
	Name   string // name inside the archive
	Path   string // where it is now
	Stream func(put func(r io.Reader, size int64) error) error
}

// PassphraseIterations is the PBKDF2 cost of passphrase-derived keys.
const PassphraseIterations = 200_000

// KeyFromKEK derives the archive key from the KEK's material and the
// archive's salt (HMAC-SM3, domain-separated).
func KeyFromKEK(kek, salt []byte) []byte {
	m := hmac.New(sm3.New, kek)
	m.Write([]byte("shuyu/backup/v1\x00"))
	m.Write(salt)
	return m.Sum(nil)[:16]
}

// KeyFromPassphrase derives the archive key from a passphrase.
func KeyFromPassphrase(pass string, salt []byte) ([]byte, error) {
	if len(pass) < 12 {
		return nil, errors.New("backup: passphrase shorter than 12 characters")
	}
	return pbkdf2.Key(func() hash.Hash { return sm3.New() }, pass, salt, PassphraseIterations, 16)
}

// NewHeader returns a version-2 header with fresh salt and nonce prefix.
func NewHeader(keyMode, kekID, metadata string, now time.Time) Header {
	h := Header{Format: FormatV2, Created: now.UTC(), KeyMode: keyMode, KEKID: kekID, Metadata: metadata,
		Salt: make([]byte, 16), Nonce: make([]byte, 8), Digest: "sm3-tree", LeafSize: LeafSize, ChunkSize: ChunkSize}
	rand.Read(h.Salt)
	rand.Read(h.Nonce)
	return h
}

// Write writes a version-2 archive of files to out under key and returns
// its root digest (also its last 32 bytes). Chunks are sealed and leaves
// digested on every core; the bytes do not depend on how many there are.
func Write(out io.Writer, h Header, key []byte, files []Source) ([]byte, error) {
	if h.Format != FormatV2 {
		return nil, fmt.Errorf("backup: cannot write format %q", h.Format)
	}
	if _, err := newAEAD(key); err != nil {
		return nil, err
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	tree := newTreeWriter(out)
	var pre bytes.Buffer
	pre.WriteString(magicV2)
	binary.Write(&pre, binary.BigEndian, uint32(len(hj)))
	pre.Write(hj)
	if _, err := tree.Write(pre.Bytes()); err != nil {
		return nil, err
	}
	hsum := sm3.Sum(hj)
	sl := newSealer(tree, key, h.Nonce, hsum[:])
	defer sl.abort()
	tw := tar.NewWriter(sl)
	man := Manifest{Header: h}
	for _, f := range files {
		fe, err := addFile(tw, f)
		if err != nil {
			return nil, fmt.Errorf("backup: %s: %w", f.Name, err)
		}
		man.Files = append(man.Files, fe)
	}
	mj, _ := json.MarshalIndent(man, "", " ")
	if err := tw.WriteHeader(&tar.Header{Name: "MANIFEST.json", Mode: 0o600, Size: int64(len(mj)), ModTime: h.Created}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(mj); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := sl.close(); err != nil {
		return nil, err
	}
	sum := tree.Sum()
	if _, err := out.Write(sum); err != nil {
		return nil, err
	}
	return sum, nil
}

func addFile(tw *tar.Writer, f Source) (File, error) {
	if f.Stream != nil {
		var fe File
		put := func(r io.Reader, size int64) error {
			if fe.Name != "" {
				return errors.New("put twice")
			}
			var err error
			fe, err = putFile(tw, f.Name, r, size, time.Now())
			return err
		}
		if err := f.Stream(put); err != nil {
			return File{}, err
		}
		if fe.Name == "" {
			return File{}, errors.New("nothing streamed")
		}
		return fe, nil
	}
	in, err := os.Open(f.Path)
	if err != nil {
		return File{}, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return File{}, err
	}
	return putFile(tw, f.Name, in, fi.Size(), fi.ModTime())
}

func putFile(tw *tar.Writer, name string, r io.Reader, size int64, mod time.Time) (File, error) {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: mod}); err != nil {
		return File{}, err
	}
	n, err := io.Copy(tw, r)
	if err != nil {
		return File{}, err
	}
	if n != size {
		return File{}, fmt.Errorf("changed while copied (%d of %d bytes)", n, size)
	}
	return File{Name: name, Size: n}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := sm4.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// sealer cuts what it is written into chunks of ChunkSize, seals each on
// its own goroutine (each with its own AEAD instance) and writes the
// records "length ‖ sealed chunk" to w in chunk order. At most
// 2·workers() chunks are in flight.
type sealer struct {
	w      io.Writer
	key    []byte
	nonce  []byte
	ad     []byte
	buf    []byte
	n      uint32
	queue  chan chan []byte
	done   chan struct{}
	err    error
	failed atomic.Bool
	closed bool
}

func newSealer(w io.Writer, key, nonce, ad []byte) *sealer {
	s := &sealer{w: w, key: key, nonce: nonce, ad: ad, buf: make([]byte, 0, ChunkSize),
		queue: make(chan chan []byte, 2*workers()), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for f := range s.queue {
			rec := <-f
			if s.err == nil {
				if rec == nil {
					s.err = errors.New("backup: cannot seal a chunk")
				} else {
					_, s.err = s.w.Write(rec)
				}
				if s.err != nil {
					s.failed.Store(true)
				}
			}
		}
	}()
	return s
}

func (s *sealer) Write(p []byte) (int, error) {
	if s.failed.Load() {
		return 0, errors.New("backup: writing the archive failed")
	}
	total := len(p)
	for len(p) > 0 {
		k := min(ChunkSize-len(s.buf), len(p))
		s.buf = append(s.buf, p[:k]...)
		p = p[k:]
		if len(s.buf) == ChunkSize {
			s.seal(false)
		}
	}
	return total, nil
}

func (s *sealer) seal(last bool) {
	pt, n := s.buf, s.n
	s.buf = make([]byte, 0, ChunkSize)
	s.n++
	f := make(chan []byte, 1)
	s.queue <- f // waits while the window is full
	go func() {
		aead, err := newAEAD(s.key)
		if err != nil {
			f <- nil
			return
		}
		out := make([]byte, 4, 4+len(pt)+aead.Overhead())
		out = aead.Seal(out, chunkNonce(s.nonce, n), pt, chunkAD(s.ad, last))
		binary.BigEndian.PutUint32(out[:4], uint32(len(out)-4))
		f <- out
	}()
}

// close seals the last chunk (possibly empty) and waits for every record.
func (s *sealer) close() error {
	s.seal(true)
	s.closed = true
	close(s.queue)
	<-s.done
	return s.err
}

// abort ends the writer goroutine after an error (a no-op after close).
func (s *sealer) abort() {
	if !s.closed {
		s.closed = true
		close(s.queue)
		<-s.done
	}
}

func chunkNonce(prefix []byte, n uint32) []byte {
	nonce := make([]byte, 12)
	copy(nonce, prefix)
	binary.BigEndian.PutUint32(nonce[8:], n)
	return nonce
}

func chunkAD(hsum []byte, last bool) []byte {
	ad := append([]byte(nil), hsum...)
	if last {
		return append(ad, 1)
	}
	return append(ad, 0)
}

// ErrDigest means the archive's SM3 digest does not match its content.
var ErrDigest = errors.New("backup: SM3 digest mismatch: the archive is damaged or was altered")

// version reads the magic line: 1 or 2.
func version(r io.Reader) (int, error) {
	m := make([]byte, len(magicV2))
	if _, err := io.ReadFull(r, m); err == nil {
		switch string(m) {
		case magicV1:
			return 1, nil
		case magicV2:
			return 2, nil
		}
		if bytes.HasPrefix(m, []byte("SHUYU-BACKUP-")) {
			return 0, fmt.Errorf("backup: archive format %q is newer than this shuyu: restore it with the version that wrote it", bytes.TrimSpace(m))
		}
	}
	return 0, errors.New("backup: not a shuyu backup archive")
}

// ReadHeader checks the archive's SM3 digest (ErrDigest when it does not
// match: damaged or altered) and returns its header and digest. It reads
// the whole file once: a version-2 archive's leaves on every core.
func ReadHeader(path string) (Header, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Header{}, nil, err
	}
	v, err := version(f)
	if err != nil {
		return Header{}, nil, err
	}
	if fi.Size() < int64(len(magicV2))+4+32 {
		return Header{}, nil, ErrDigest
	}
	body := fi.Size() - 32
	want := make([]byte, 32)
	if _, err := f.ReadAt(want, body); err != nil {
		return Header{}, nil, err
	}
	var sum []byte
	if v == 1 {
		dg := sm3.New()
		if _, err := io.Copy(dg, io.NewSectionReader(f, 0, body)); err != nil {
			return Header{}, nil, err
		}
		sum = dg.Sum(nil)
	} else if sum, err = treeDigestFile(f, body); err != nil {
		return Header{}, nil, err
	}
	if !bytes.Equal(sum, want) {
		return Header{}, nil, ErrDigest
	}
	h, _, _, err := readHeader(bufio.NewReader(io.NewSectionReader(f, 0, body)))
	return h, sum, err
}

func readHeader(r *bufio.Reader) (Header, []byte, int, error) {
	v, err := version(r)
	if err != nil {
		return Header{}, nil, 0, err
	}
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil || n > 1<<20 {
		return Header{}, nil, 0, errors.New("backup: bad header")
	}
	hj := make([]byte, n)
	if _, err := io.ReadFull(r, hj); err != nil {
		return Header{}, nil, 0, err
	}
	var h Header
	if err := json.Unmarshal(hj, &h); err != nil {
		return Header{}, nil, 0, fmt.Errorf("backup: bad header: %w", err)
	}
	want := "shuyu-backup/1"
	if v == 2 {
		want = FormatV2
		if h.Digest != "sm3-tree" || h.LeafSize != LeafSize || h.ChunkSize != ChunkSize {
			return Header{}, nil, 0, errors.New("backup: bad header: unknown digest or chunk sizes")
		}
	}
	if h.Format != want {
		return Header{}, nil, 0, fmt.Errorf("backup: bad header: format %q under magic of version %d", h.Format, v)
	}
	return h, hj, v, nil
}

// Extract checks the digest, decrypts the archive with key and writes its
// files under dir (which must be empty or absent). Every chunk must
// authenticate, in order, the last one flagged last and nothing after it;
// every file must match the manifest (size; version 1 also its SM3).
func Extract(path string, key []byte, dir string) (Manifest, error) {
	if _, _, err := ReadHeader(path); err != nil {
		return Manifest{}, err
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return Manifest{}, fmt.Errorf("backup: restore target %s is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Manifest{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, err
	}
	defer f.Close()
	fi, _ := f.Stat()
	br := bufio.NewReaderSize(io.LimitReader(f, fi.Size()-32), 1<<20)
	h, hj, v, err := readHeader(br)
	if err != nil {
		return Manifest{}, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return Manifest{}, err
	}
	hsum := sm3.Sum(hj)
	maxChunk := ChunkSize
	if v == 1 {
		maxChunk = chunkSizeV1
	}
	cr := &chunkReader{r: br, aead: aead, nonce: h.Nonce, ad: hsum[:], max: maxChunk}
	tr := tar.NewReader(cr)
	got := map[string]File{}
	var man Manifest
	for {
		th, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Manifest{}, fmt.Errorf("backup: %w", err)
		}
		if th.Name == "MANIFEST.json" {
			if err := json.NewDecoder(tr).Decode(&man); err != nil {
				return Manifest{}, err
			}
			continue
		}
		name := filepath.FromSlash(th.Name)
		if !filepath.IsLocal(name) {
			return Manifest{}, fmt.Errorf("backup: unsafe name %q", th.Name)
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return Manifest{}, err
		}
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return Manifest{}, err
		}
		var hs hash.Hash = sm3.New()
		var w io.Writer = io.MultiWriter(out, hs)
		if v == 2 {
			hs, w = nil, out
		}
		n, err := io.Copy(w, tr)
		if err == nil {
			err = out.Sync()
		}
		out.Close()
		if err != nil {
			return Manifest{}, fmt.Errorf("backup: %s: %w", th.Name, err)
		}
		fe := File{Name: th.Name, Size: n}
		if hs != nil {
			fe.SM3 = hex.EncodeToString(hs.Sum(nil))
		}
		got[th.Name] = fe
	}
	// The tar stream ended: the rest must be the last chunk's padding, that
	// chunk must be flagged last, and nothing may follow it.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return Manifest{}, err
	}
	if !cr.done {
		return Manifest{}, errors.New("backup: archive cut short (no last chunk)")
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return Manifest{}, errors.New("backup: data after the last chunk")
	}
	if man.Header.Format == "" {
		return Manifest{}, errors.New("backup: archive has no manifest (cut short?)")
	}
	for _, f := range man.Files {
		if got[f.Name] != f {
			return Manifest{}, fmt.Errorf("backup: %s does not match the manifest", f.Name)
		}
	}
	if len(got) != len(man.Files) {
		return Manifest{}, errors.New("backup: archive holds files the manifest does not list")
	}
	return man, nil
}

type chunkReader struct {
	r     *bufio.Reader
	aead  cipher.AEAD
	nonce []byte
	ad    []byte
	max   int
	n     uint32
	buf   []byte
	done  bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.done {
			return 0, io.EOF
		}
		var l uint32
		if err := binary.Read(c.r, binary.BigEndian, &l); err != nil {
			return 0, errors.New("backup: archive cut short")
		}
		if int(l) > c.max+c.aead.Overhead() {
			return 0, errors.New("backup: bad chunk")
		}
		sealed := make([]byte, l)
		if _, err := io.ReadFull(c.r, sealed); err != nil {
			return 0, errors.New("backup: archive cut short")
		}
		nonce := chunkNonce(c.nonce, c.n)
		pt, err := c.aead.Open(nil, nonce, sealed, chunkAD(c.ad, false))
		if err != nil {
			pt, err = c.aead.Open(nil, nonce, sealed, chunkAD(c.ad, true))
			if err != nil {
				return 0, fmt.Errorf("backup: chunk %d does not authenticate: wrong key or passphrase, or altered archive", c.n)
			}
			c.done = true
		}
		c.n++
		c.buf = pt
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}
