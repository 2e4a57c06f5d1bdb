// Package backup writes and reads shuyu's backup archive: one file holding
// a consistent copy of an instance (metadata, data domain, checkpoint file,
// sealed keys), encrypted and digested (docs/operations.md, "Backup and
// restore").
//
// Layout: the magic line "SHUYU-BACKUP-1\n", a length-prefixed JSON header
// in clear (format, time, how the key is derived: the KEK's id or a
// passphrase's salt; never a key), then a tar stream encrypted with SM4-GCM
// in 64 KiB chunks (each "length ‖ sealed chunk", nonce = random prefix ‖
// chunk counter, the header's SM3 and a last-chunk flag as additional data,
// so chunks cannot be reordered, dropped or cut), then the SM3 digest of
// everything before it. Restore checks the digest before reading anything
// else; the tar's last entry, MANIFEST.json, lists every file's SM3.
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
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

const magic = "SHUYU-BACKUP-1\n"

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
}

// File is one file of the archive.
type File struct {
	Name string `json:"name"` // slash-separated, relative to the data directory
	Size int64  `json:"size"`
	SM3  string `json:"sm3"`
}

// Manifest is the archive's table of contents (the last tar entry).
type Manifest struct {
	Header Header `json:"header"`
	Files  []File `json:"files"`
}

// Source is a file to put into the archive.
type Source struct {
	Name string // name inside the archive
	Path string // where it is now
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

// NewHeader returns a header with fresh salt and nonce prefix.
func NewHeader(keyMode, kekID, metadata string, now time.Time) Header {
	h := Header{Format: "shuyu-backup/1", Created: now.UTC(), KeyMode: keyMode, KEKID: kekID, Metadata: metadata,
		Salt: make([]byte, 16), Nonce: make([]byte, 8)}
	rand.Read(h.Salt)
	rand.Read(h.Nonce)
	return h
}

const chunkSize = 64 << 10

// Write writes the archive of files to out under key and returns its SM3
// digest (also its last 32 bytes).
func Write(out io.Writer, h Header, key []byte, files []Source) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	dg := sm3.New()
	w := io.MultiWriter(out, dg)
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var pre bytes.Buffer
	pre.WriteString(magic)
	binary.Write(&pre, binary.BigEndian, uint32(len(hj)))
	pre.Write(hj)
	if _, err := w.Write(pre.Bytes()); err != nil {
		return nil, err
	}
	hsum := sm3.Sum(hj)
	// Two stages on two cores: this goroutine reads the files, hashes them
	// for the manifest and seals the chunks; the sink digests and writes
	// what was sealed. The archive's bytes are the same as in one stage.
	sink := newSink(w)
	defer sink.stop()
	cw := &chunkWriter{w: sink, aead: aead, nonce: h.Nonce, ad: hsum[:]}
	tw := tar.NewWriter(cw)
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
	if err := cw.close(); err != nil {
		return nil, err
	}
	if err := sink.stop(); err != nil {
		return nil, err
	}
	sum := dg.Sum(nil)
	if _, err := out.Write(sum); err != nil {
		return nil, err
	}
	return sum, nil
}

func addFile(tw *tar.Writer, f Source) (File, error) {
	in, err := os.Open(f.Path)
	if err != nil {
		return File{}, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return File{}, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
		return File{}, err
	}
	// The file's SM3 is computed beside the archive's stages (a third
	// goroutine): the bytes are the same, the cores are shared out.
	h := sm3.New()
	hs := newSink(h)
	n, err := io.Copy(tw, io.TeeReader(in, copyingWriter{hs}))
	if herr := hs.stop(); err == nil {
		err = herr
	}
	if err != nil {
		return File{}, err
	}
	if n != fi.Size() {
		return File{}, fmt.Errorf("changed while copied (%d of %d bytes)", n, fi.Size())
	}
	return File{Name: f.Name, Size: n, SM3: hex.EncodeToString(h.Sum(nil))}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := sm4.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

type chunkWriter struct {
	w     io.Writer
	aead  cipher.AEAD
	nonce []byte
	ad    []byte
	buf   []byte
	n     uint32
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		k := min(chunkSize-len(c.buf), len(p))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == chunkSize {
			if err := c.flush(false); err != nil {
				return 0, err
			}
		}
	}
	return total, nil
}

func (c *chunkWriter) flush(last bool) error {
	// "length ‖ sealed chunk" in one fresh buffer: the sink keeps it.
	out := make([]byte, 4, 4+len(c.buf)+c.aead.Overhead())
	out = c.aead.Seal(out, chunkNonce(c.nonce, c.n), c.buf, chunkAD(c.ad, last))
	binary.BigEndian.PutUint32(out[:4], uint32(len(out)-4))
	c.n++
	_, err := c.w.Write(out)
	c.buf = c.buf[:0]
	return err
}

// copyingWriter hands a copy of what it is given to a sink (io.Copy reuses
// its buffer).
type copyingWriter struct{ s *sink }

func (c copyingWriter) Write(p []byte) (int, error) { return c.s.Write(bytes.Clone(p)) }

// sink writes the buffers it is given, in order, on its own goroutine.
// Write hands over p (the caller must not reuse it); stop waits for
// everything handed over and reports the first error the sink met (after
// an error it drains without writing, so Write never blocks for good).
type sink struct {
	ch   chan []byte
	done chan struct{}
	err  error
	once bool
}

func newSink(w io.Writer) *sink {
	s := &sink{ch: make(chan []byte, 16), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for p := range s.ch {
			if s.err == nil {
				_, s.err = w.Write(p)
			}
		}
	}()
	return s
}

func (s *sink) Write(p []byte) (int, error) {
	s.ch <- p
	return len(p), nil
}

func (s *sink) stop() error {
	if !s.once {
		s.once = true
		close(s.ch)
	}
	<-s.done
	return s.err
}

func (c *chunkWriter) close() error { return c.flush(true) }

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

// ReadHeader checks the archive's SM3 digest (ErrDigest when it does not
// match: damaged or altered) and returns its header. It reads the whole
// file once.
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
	if fi.Size() < int64(len(magic))+4+32 {
		return Header{}, nil, ErrDigest
	}
	dg := sm3.New()
	if _, err := io.CopyN(dg, f, fi.Size()-32); err != nil {
		return Header{}, nil, err
	}
	want := make([]byte, 32)
	if _, err := io.ReadFull(f, want); err != nil {
		return Header{}, nil, err
	}
	sum := dg.Sum(nil)
	if !bytes.Equal(sum, want) {
		return Header{}, nil, ErrDigest
	}
	f.Seek(0, io.SeekStart)
	h, _, err := readHeader(bufio.NewReader(f))
	return h, sum, err
}

// ErrDigest means the archive's SM3 digest does not match its content.
var ErrDigest = errors.New("backup: SM3 digest mismatch: the archive is damaged or was altered")

func readHeader(r *bufio.Reader) (Header, []byte, error) {
	m := make([]byte, len(magic))
	if _, err := io.ReadFull(r, m); err != nil || string(m) != magic {
		return Header{}, nil, errors.New("backup: not a shuyu backup archive")
	}
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil || n > 1<<20 {
		return Header{}, nil, errors.New("backup: bad header")
	}
	hj := make([]byte, n)
	if _, err := io.ReadFull(r, hj); err != nil {
		return Header{}, nil, err
	}
	var h Header
	if err := json.Unmarshal(hj, &h); err != nil {
		return Header{}, nil, fmt.Errorf("backup: bad header: %w", err)
	}
	return h, hj, nil
}

// Extract checks the digest, decrypts the archive with key and writes its
// files under dir (which must be empty or absent). Every file's SM3 is
// checked against the manifest.
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
	br := bufio.NewReader(io.LimitReader(f, fi.Size()-32))
	_, hj, err := readHeader(br)
	if err != nil {
		return Manifest{}, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return Manifest{}, err
	}
	var h Header
	json.Unmarshal(hj, &h)
	hsum := sm3.Sum(hj)
	tr := tar.NewReader(&chunkReader{r: br, aead: aead, nonce: h.Nonce, ad: hsum[:]})
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
		hs := sm3.New()
		n, err := io.Copy(io.MultiWriter(out, hs), tr)
		if err == nil {
			err = out.Sync()
		}
		out.Close()
		if err != nil {
			return Manifest{}, fmt.Errorf("backup: %s: %w", th.Name, err)
		}
		got[th.Name] = File{Name: th.Name, Size: n, SM3: hex.EncodeToString(hs.Sum(nil))}
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
		if l > chunkSize+64 {
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
				return 0, errors.New("backup: cannot decrypt: wrong key or passphrase, or altered archive")
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
