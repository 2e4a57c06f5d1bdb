// Package keys owns every piece of the platform's key material (R29.1,
// 密评): the key-encryption key (KEK, SM4) that seals the domain's data key
// and personal columns, the audit checkpoint signing key (SM2), the governed
// queries' noise key, and the platform key that seals organizations'
// agreement signing keys (SM4). Nothing else in shuyu reads or writes a key
// file.
//
// Keys live in a Backend. Dir is the file backend: one directory outside
// the data directory (`serve --keys DIR`), one file per key generation,
// mode 0600, refused when group or others can read it. A PKCS#11 token or a
// cloud KMS plugs in by implementing Backend; the Ring above it does not
// change.
//
// Every key has an id ("kek-2-1f0c33a9": kind, generation, fingerprint)
// that is stored next to whatever it sealed or signed, so rotation adds a
// generation and keeps the old ones for opening and verifying.
package keys

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
	"github.com/emmansun/gmsm/smx509"
)

// Kind names what a key is for.
type Kind string

const (
	// KEK is the SM4 key-encryption key: it seals the domain database's
	// data key and the personal columns of the metadata store.
	KEK Kind = "kek"
	// Audit is the SM2 key that signs audit checkpoints.
	Audit Kind = "audit"
	// Noise is the 32-byte secret every noise draw of the disclosure-control
	// engine derives from (docs/disclosure.md, "Sticky noise").
	Noise Kind = "noise"
	// Agreement is the SM4 key that seals organizations' agreement signing
	// keys (sqlstore/agreement_keys.go).
	Agreement Kind = "agreement"
)

// Kinds lists every kind, in the order tools show them.
var Kinds = []Kind{KEK, Audit, Noise, Agreement}

// Rotatable reports whether `shuyu keys rotate` may add a generation. The
// noise key is not: a new noise key would give every published figure a
// second noisy value, which is what sticky noise exists to prevent. The
// agreement key is not yet: rotating it means resealing every organization
// key (see docs/operations.md, "Keys").
func (k Kind) Rotatable() bool { return k == KEK || k == Audit }

func (k Kind) valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// size is the length of a freshly generated secret; 0 for SM2 (PKCS#8).
func (k Kind) size() int {
	switch k {
	case KEK, Agreement:
		return 16
	case Noise:
		return 32
	}
	return 0
}

// Key is one generation of one kind of key.
type Key struct {
	Kind     Kind
	Gen      int    // 1, 2, … in order of creation
	ID       string // kind-gen-fingerprint
	Material []byte // raw secret; PKCS#8 DER for Audit
	Created  time.Time
}

// Backend stores key material. Implementations must make Create exclusive:
// when two processes create the same generation, one succeeds and the other
// gets an error wrapping fs.ErrExist and reads the winner's key back.
type Backend interface {
	// List returns every stored generation of kind, oldest first.
	List(kind Kind) ([]Key, error)
	// Create stores k (Kind, Gen, Material, Created set).
	Create(k Key) error
	// Location says where the keys are, for logs and messages.
	Location() string
}

// Ring is the platform's key ring over one Backend. It caches what it has
// read; it is safe for concurrent use.
type Ring struct {
	b     Backend
	mu    sync.Mutex
	cache map[Kind][]Key
	read  map[Kind]time.Time
}

// refresh is how long a ring trusts what it read: a rotation made by
// another process (`shuyu keys rotate`) reaches running servers within it.
const refresh = 30 * time.Second

// New returns a ring over b.
func New(b Backend) *Ring { return &Ring{b: b, cache: map[Kind][]Key{}, read: map[Kind]time.Time{}} }

// Location says where the ring's keys are kept.
func (r *Ring) Location() string { return r.b.Location() }

func (r *Ring) all(kind Kind) ([]Key, error) {
	if !kind.valid() {
		return nil, fmt.Errorf("keys: unknown kind %q", kind)
	}
	if ks, ok := r.cache[kind]; ok && len(ks) > 0 && time.Since(r.read[kind]) < refresh {
		return ks, nil
	}
	ks, err := r.b.List(kind)
	if err != nil {
		return nil, fmt.Errorf("keys: %s in %s: %w", kind, r.b.Location(), err)
	}
	for i := range ks {
		ks[i].ID = keyID(ks[i])
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].Gen < ks[j].Gen })
	r.cache[kind], r.read[kind] = ks, time.Now()
	return ks, nil
}

// All returns every generation of kind, oldest first (none yet: empty).
func (r *Ring) All(kind Kind) ([]Key, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ks, err := r.all(kind)
	return append([]Key(nil), ks...), err
}

// Current returns the newest generation of kind, creating the first one
// when there is none.
func (r *Ring) Current(kind Kind) (Key, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ks, err := r.all(kind)
	if err != nil {
		return Key{}, err
	}
	if len(ks) > 0 {
		return ks[len(ks)-1], nil
	}
	return r.create(kind, 1)
}

// Get returns the key with the given id.
func (r *Ring) Get(kind Kind, id string) (Key, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for attempt := 0; attempt < 2; attempt++ {
		ks, err := r.all(kind)
		if err != nil {
			return Key{}, err
		}
		for _, k := range ks {
			if k.ID == id {
				return k, nil
			}
		}
		delete(r.cache, kind) // another process may have rotated: read again
	}
	return Key{}, fmt.Errorf("keys: %s key %q not found in %s", kind, id, r.b.Location())
}

// Rotate adds a new generation of kind; the old ones stay for opening and
// verifying what they sealed or signed. The caller records the rotation in
// the audit trail (sqlstore.DB.RecordKeyRotation).
func (r *Ring) Rotate(kind Kind) (Key, error) {
	if !kind.Rotatable() {
		return Key{}, fmt.Errorf("keys: %s keys cannot be rotated", kind)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.cache, kind)
	ks, err := r.all(kind)
	if err != nil {
		return Key{}, err
	}
	gen := 1
	if len(ks) > 0 {
		gen = ks[len(ks)-1].Gen + 1
	}
	k, err := r.create(kind, gen)
	if err == nil && k.Gen != gen {
		return Key{}, fmt.Errorf("keys: %s generation %d was created concurrently; rotate again if a newer key is still wanted", kind, gen)
	}
	return k, err
}

// create makes generation gen; when another process made it first, its key
// is read back and returned.
func (r *Ring) create(kind Kind, gen int) (Key, error) {
	k := Key{Kind: kind, Gen: gen, Created: time.Now().UTC().Truncate(time.Second)}
	if n := kind.size(); n > 0 {
		k.Material = make([]byte, n)
		if _, err := rand.Read(k.Material); err != nil {
			return Key{}, err
		}
	} else {
		priv, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			return Key{}, err
		}
		if k.Material, err = smx509.MarshalPKCS8PrivateKey(priv); err != nil {
			return Key{}, err
		}
	}
	err := r.b.Create(k)
	delete(r.cache, kind)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return Key{}, fmt.Errorf("keys: create %s in %s: %w", kind, r.b.Location(), err)
	}
	ks, err := r.all(kind)
	if err != nil {
		return Key{}, err
	}
	for _, x := range ks {
		if x.Gen == gen {
			return x, nil
		}
	}
	return Key{}, fmt.Errorf("keys: %s generation %d vanished from %s", kind, gen, r.b.Location())
}

// keyID is kind-gen-fingerprint. The fingerprint is the first 4 bytes of
// SM3 over the public key (Audit: anyone holding the public key can compute
// it) or over a domain-separated copy of the secret (a key check value).
func keyID(k Key) string {
	var fp []byte
	if k.Kind == Audit {
		if pub, err := k.PublicKey(); err == nil {
			sum := sm3.Sum(pub)
			fp = sum[:4]
		}
	}
	if fp == nil {
		h := sm3.New()
		h.Write([]byte("shuyu/keys/check-value/v1\x00"))
		h.Write(k.Material)
		fp = h.Sum(nil)[:4]
	}
	return string(k.Kind) + "-" + strconv.Itoa(k.Gen) + "-" + hex.EncodeToString(fp)
}

// AuditKeyID is the id a checkpoint signed by the SM2 public key pub
// (uncompressed point) carries, for any generation gen.
func AuditKeyID(gen int, pub []byte) string {
	sum := sm3.Sum(pub)
	return string(Audit) + "-" + strconv.Itoa(gen) + "-" + hex.EncodeToString(sum[:4])
}

// SM2 returns the Audit key's private key.
func (k Key) SM2() (*sm2.PrivateKey, error) {
	if k.Kind != Audit {
		return nil, fmt.Errorf("keys: %s key is not an SM2 key", k.Kind)
	}
	key, err := smx509.ParsePKCS8PrivateKey(k.Material)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", k.ID, err)
	}
	priv, ok := key.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("keys: %s is %T, not SM2", k.ID, key)
	}
	return priv, nil
}

// PublicKey returns the Audit key's public key as an uncompressed point
// (0x04 ‖ X ‖ Y), the form checkpoints carry.
func (k Key) PublicKey() ([]byte, error) {
	priv, err := k.SM2()
	if err != nil {
		return nil, err
	}
	pk, err := sm2.PublicKeyToECDH(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return pk.Bytes(), nil
}

// AEAD returns SM4-GCM under an SM4 key (KEK or Agreement).
func (k Key) AEAD() (cipher.AEAD, error) {
	if k.Kind != KEK && k.Kind != Agreement {
		return nil, fmt.Errorf("keys: %s key is not an SM4 key", k.Kind)
	}
	block, err := sm4.NewCipher(k.Material)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Sealed values are "version ‖ len(id) ‖ id ‖ nonce ‖ SM4-GCM ciphertext":
// the key id travels with the value, so a value sealed before a rotation
// still opens after it.
const sealVersion = 1

// Seal encrypts plaintext with SM4-GCM under the current key of kind (KEK
// or Agreement). ad binds the value to its place (table, column, row): a
// sealed value copied elsewhere does not open.
func (r *Ring) Seal(kind Kind, plaintext, ad []byte) ([]byte, error) {
	k, err := r.Current(kind)
	if err != nil {
		return nil, err
	}
	aead, err := k.AEAD()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 2+len(k.ID)+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out = append(out, sealVersion, byte(len(k.ID)))
	out = append(out, k.ID...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, ad), nil
}

// SealedKeyID returns the id of the key that sealed v.
func SealedKeyID(v []byte) (string, error) {
	if len(v) < 2 || v[0] != sealVersion || len(v) < 2+int(v[1]) {
		return "", errors.New("keys: not a sealed value")
	}
	return string(v[2 : 2+int(v[1])]), nil
}

// Open decrypts a value made by Seal with whichever generation sealed it.
func (r *Ring) Open(kind Kind, sealed, ad []byte) ([]byte, error) {
	id, err := SealedKeyID(sealed)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(id, string(kind)+"-") {
		return nil, fmt.Errorf("keys: value sealed by %s, not a %s key", id, kind)
	}
	k, err := r.Get(kind, id)
	if err != nil {
		return nil, err
	}
	aead, err := k.AEAD()
	if err != nil {
		return nil, err
	}
	rest := sealed[2+len(id):]
	if len(rest) < aead.NonceSize() {
		return nil, errors.New("keys: sealed value too short")
	}
	pt, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], ad)
	if err != nil {
		return nil, fmt.Errorf("keys: open value sealed by %s: %w", id, err)
	}
	return pt, nil
}
