package keys

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DataKey returns a 32-byte data key kept at path sealed under the KEK
// (envelope encryption): the file may lie in the data directory, since it
// opens only with the KEK from the key directory. The first call creates
// it; a key sealed by an older KEK generation is resealed under the current
// one, so after `keys rotate --kind kek` the next start leaves nothing that
// needs the old KEK except values sealed before (which still open).
func (r *Ring) DataKey(path, purpose string) ([]byte, error) {
	ad := []byte("shuyu/data-key/" + purpose)
	sealed, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if sealed, err = r.Seal(KEK, key, ad); err != nil {
			return nil, err
		}
		if err := writeExclusive(path, sealed); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("keys: data key %s: %w", path, err)
		}
		return r.DataKey(path, purpose) // read back what won
	}
	if err != nil {
		return nil, fmt.Errorf("keys: data key %s: %w", path, err)
	}
	key, err := r.Open(KEK, sealed, ad)
	if err != nil {
		return nil, fmt.Errorf("keys: data key %s: %w", path, err)
	}
	cur, err := r.Current(KEK)
	if err != nil {
		return nil, err
	}
	if id, _ := SealedKeyID(sealed); id != cur.ID {
		resealed, err := r.Seal(KEK, key, ad)
		if err == nil {
			err = replaceFile(path, resealed)
		}
		if err != nil {
			return nil, fmt.Errorf("keys: reseal data key %s under %s: %w", path, cur.ID, err)
		}
	}
	return key, nil
}

func writeExclusive(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".datakey-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	tmp.Close()
	if err := os.Link(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func replaceFile(path string, data []byte) error {
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	f, err := os.Open(tmp)
	if err == nil {
		err = f.Sync()
		f.Close()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil && !strings.Contains(err.Error(), "exist") {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// SealDataKey seals key under the current KEK exactly as DataKey keeps a
// data key for purpose (the rotation of the domain's data key writes the
// next key with it).
func (r *Ring) SealDataKey(key []byte, purpose string) ([]byte, error) {
	if len(key) < 16 {
		return nil, errors.New("keys: data key too short")
	}
	return r.Seal(KEK, key, []byte("shuyu/data-key/"+purpose))
}

// OpenDataKey opens the data key sealed in the file at path, without
// creating or resealing anything.
func (r *Ring) OpenDataKey(path, purpose string) ([]byte, error) {
	sealed, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys: data key %s: %w", path, err)
	}
	key, err := r.Open(KEK, sealed, []byte("shuyu/data-key/"+purpose))
	if err != nil {
		return nil, fmt.Errorf("keys: data key %s: %w", path, err)
	}
	return key, nil
}
