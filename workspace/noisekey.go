package workspace

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The platform's noise key (docs/disclosure.md, "Sticky noise"): every
// noise draw and noisy threshold of the disclosure-control engine derives
// from it, so one figure over one set of people has one noisy value across
// all workspaces and merchants. It lives in the data directory
// (noise.key, mode 0600) beside the other platform keys, never in the
// database; servers sharing a store must share it like the audit signing
// key.

const noiseKeyFile = "noise.key"

// useNoiseKey loads (or creates) the noise key once and gives it to the
// engine. Without a data directory (tests) the engine keeps per-workspace
// keys.
func (s *Service) useNoiseKey() error {
	s.noiseOnce.Do(func() {
		if s.keyDir == "" {
			return
		}
		if err := os.MkdirAll(s.keyDir, 0o700); err != nil {
			s.noiseErr = fmt.Errorf("workspace: noise key: %w", err)
			return
		}
		key, err := loadKey(filepath.Join(s.keyDir, noiseKeyFile), 32)
		if err != nil {
			s.noiseErr = fmt.Errorf("workspace: noise key: %w", err)
			return
		}
		s.Engine.NoiseKey = key
	})
	return s.noiseErr
}

// loadKey reads a key file of n bytes, creating it with random bytes when
// missing (exclusively: a concurrent creator wins and is read back).
func loadKey(path string, n int) ([]byte, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, n)
		if _, err = rand.Read(key); err != nil {
			return nil, err
		}
		err = writeKey(path, key)
		if errors.Is(err, fs.ErrExist) {
			key, err = os.ReadFile(path)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(key) != n {
		return nil, fmt.Errorf("%s: want %d bytes, have %d", path, n, len(key))
	}
	return key, nil
}

func writeKey(path string, key []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
