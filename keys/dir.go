package keys

import (
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Dir is the file backend: one PEM file per generation,
// <Path>/<kind>-<gen>.pem, mode 0600, in a directory of mode 0700.
//
// Legacy, when set, is a data directory of a release that kept keys there
// (audit-signing-key.pem, noise.key, agreement-kek.key): a kind with no key
// in Path takes its legacy file as generation 1, and the legacy file is
// removed once the copy is safely on disk, so the key no longer lies next to
// the data it protects.
type Dir struct {
	Path   string
	Legacy string
}

// Location is the directory.
func (d Dir) Location() string { return d.Path }

const pemType = "SHUYU KEY"

func (d Dir) file(kind Kind, gen int) string {
	return filepath.Join(d.Path, fmt.Sprintf("%s-%04d.pem", kind, gen))
}

// List reads every generation of kind.
func (d Dir) List(kind Kind) ([]Key, error) {
	ks, err := d.list(kind)
	if err != nil || len(ks) > 0 || d.Legacy == "" {
		return ks, err
	}
	if err := d.importLegacy(kind); err != nil {
		return nil, err
	}
	return d.list(kind)
}

func (d Dir) list(kind Kind) ([]Key, error) {
	names, err := filepath.Glob(filepath.Join(d.Path, string(kind)+"-*.pem"))
	if err != nil {
		return nil, err
	}
	var out []Key
	for _, name := range names {
		gen, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), string(kind)+"-"), ".pem"))
		if err != nil {
			continue // not ours (e.g. an operator's note); ignored
		}
		k, err := readKeyFile(name)
		if err != nil {
			return nil, err
		}
		if k.Kind != kind || k.Gen != gen {
			return nil, fmt.Errorf("%s: file says %s generation %d", name, k.Kind, k.Gen)
		}
		out = append(out, k)
	}
	return out, nil
}

// checkMode refuses key files that group or others could read (R29.1).
func checkMode(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s: mode %v is too open, want 0600 (chmod 600 %s)", path, fi.Mode().Perm(), path)
	}
	return nil
}

func readKeyFile(path string) (Key, error) {
	if err := checkMode(path); err != nil {
		return Key{}, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Key{}, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemType {
		return Key{}, fmt.Errorf("%s: no PEM %q block", path, pemType)
	}
	gen, err := strconv.Atoi(block.Headers["Generation"])
	if err != nil {
		return Key{}, fmt.Errorf("%s: bad Generation header", path)
	}
	created, _ := time.Parse(time.RFC3339, block.Headers["Created"])
	k := Key{Kind: Kind(block.Headers["Kind"]), Gen: gen, Material: block.Bytes, Created: created}
	if n := k.Kind.size(); n > 0 && len(k.Material) != n {
		return Key{}, fmt.Errorf("%s: want %d bytes, have %d", path, n, len(k.Material))
	}
	return k, nil
}

// Create writes k to a temporary file and links it into place: exclusive,
// and nobody ever sees a half-written key.
func (d Dir) Create(k Key) error {
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(d.Path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s: directory mode %v lets others replace keys, want 0700", d.Path, fi.Mode().Perm())
	}
	tmp, err := os.CreateTemp(d.Path, ".key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	block := &pem.Block{Type: pemType, Bytes: k.Material, Headers: map[string]string{
		"Kind": string(k.Kind), "Generation": strconv.Itoa(k.Gen), "Created": k.Created.UTC().Format(time.RFC3339)}}
	if err := pem.Encode(tmp, block); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), d.file(k.Kind, k.Gen)); err != nil {
		return err // fs.ErrExist when another process won
	}
	return syncDir(d.Path)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// LegacyFiles names the files earlier releases kept in the data directory.
var LegacyFiles = map[Kind]string{
	Audit:     "audit-signing-key.pem",
	Noise:     "noise.key",
	Agreement: "agreement-kek.key",
}

func (d Dir) importLegacy(kind Kind) error {
	name, ok := LegacyFiles[kind]
	if !ok {
		return nil
	}
	path := filepath.Join(d.Legacy, name)
	if err := checkMode(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	k := Key{Kind: kind, Gen: 1, Material: data, Created: time.Now().UTC().Truncate(time.Second)}
	if kind == Audit {
		block, _ := pem.Decode(data)
		if block == nil || block.Type != "PRIVATE KEY" {
			return fmt.Errorf("%s: no PEM \"PRIVATE KEY\" block", path)
		}
		k.Material = block.Bytes
	} else if len(data) != kind.size() {
		return fmt.Errorf("%s: want %d bytes, have %d", path, kind.size(), len(data))
	}
	if err := d.Create(k); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	// The copy is on disk (synced); the original must not stay beside the data.
	return os.Remove(path)
}
