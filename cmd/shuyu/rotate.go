package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/keys"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// Rotation of the domain's data key: `shuyu keys rotate --kind data`
// (docs/operations.md, "Rotating the domain's data key"). With the server
// stopped, the domain is copied into a new file encrypted under a fresh
// data key (vault.Rekey, which checks the copy), and the new file and its
// sealed key replace the old ones. The files in DATA/domain say at every
// moment where a rotation stands, so a kill -9 at any point leaves one
// domain file and one sealed key that opens it:
//
//	1. domain.duckdb.rotating written and fsynced   (copy under the new key)
//	2. domain.key.sealed.next written and fsynced   (new key, sealed under the KEK)
//	3. rename domain.duckdb.rotating → domain.duckdb      ← the commit
//	4. audit event key.rotate (kind "data", old and new key ids)
//	5. rename domain.key.sealed.next → domain.key.sealed
//
// finishRotation (run at every start, before the domain opens, and before
// a rotation) reads the state: .next and .rotating both present → not
// committed: remove .next first, then .rotating (removing them the other
// way round would, if cut short, look committed); .next alone → committed:
// steps 4 and 5 again; .rotating alone → an unfinished copy: remove it. A
// committed rotation is therefore always recorded — twice if the kill fell
// between steps 4 and 5 (the second event written at start-up), never not
// at all.

const nextKeyFile = domainKeyFile + ".next"

// rotateHook, when set (by tests), is called at each step of a rotation.
var rotateHook func(step string)

func rotateStep(step string) {
	if rotateHook != nil {
		rotateHook(step)
	}
}

// dataKeyID names a data key in the audit trail without revealing it: the
// first 6 bytes of SM3 over a label and the key.
func dataKeyID(key []byte) string {
	h := sm3.New()
	h.Write([]byte("shuyu/data-key-id\x00"))
	h.Write(key)
	return "data-" + hex.EncodeToString(h.Sum(nil)[:6])
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// finishRotation completes or undoes a rotation a crash interrupted and
// says which ("" when there was none). dir is DATA/domain. A completed
// rotation is recorded (step 4) before its key replaces the old one.
func finishRotation(ctx context.Context, dir string, db *sqlstore.DB) (string, error) {
	next := filepath.Join(dir, nextKeyFile)
	rot := filepath.Join(dir, vault.RotatingFile)
	switch {
	case exists(next) && exists(rot):
		if err := os.Remove(next); err != nil {
			return "", err
		}
		if err := syncDir(dir); err != nil {
			return "", err
		}
		os.Remove(rot + ".wal")
		if err := os.Remove(rot); err != nil {
			return "", err
		}
		return "undone", syncDir(dir)
	case exists(next):
		ring := db.Keys()
		nk, err := ring.OpenDataKey(next, "domain")
		if err != nil {
			return "", err
		}
		var oldID string
		if ok, err := ring.OpenDataKey(filepath.Join(dir, domainKeyFile), "domain"); err == nil {
			oldID = dataKeyID(ok)
		}
		if err := db.RecordKeyRotation(ctx, shuyu.System, keys.Kind("data"), dataKeyID(nk), oldID); err != nil {
			return "", err
		}
		rotateStep("recorded")
		if err := os.Rename(next, filepath.Join(dir, domainKeyFile)); err != nil {
			return "", err
		}
		return "completed", syncDir(dir)
	case exists(rot):
		os.Remove(rot + ".wal")
		if err := os.Remove(rot); err != nil {
			return "", err
		}
		return "undone", syncDir(dir)
	}
	return "", nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// writeDurable writes data to path through a fsynced temporary file and a
// hard link (path must not exist), then syncs the directory.
func writeDurable(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp, path)
	}
	os.Remove(tmp)
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// RotationResult describes a finished rotation.
type RotationResult struct {
	OldID, NewID, KEKID string
	Bytes               int64
}

// rotateDataKey re-encrypts the domain of data under a new data key. The
// server must be stopped; db is the instance's store (for the KEK and the
// audit trail).
func rotateDataKey(ctx context.Context, data string, db *sqlstore.DB) (RotationResult, error) {
	if c, err := net.Dial("unix", controlSocket(data)); err == nil {
		c.Close()
		return RotationResult{}, errors.New("a server is running on this data directory: stop it first (the rotation copies the whole domain while nothing writes)")
	}
	dir := filepath.Join(data, "domain")
	if _, err := finishRotation(ctx, dir, db); err != nil {
		return RotationResult{}, err
	}
	ring := db.Keys()
	sealedPath := filepath.Join(dir, domainKeyFile)
	if _, err := os.Stat(filepath.Join(dir, vault.FileName)); errors.Is(err, fs.ErrNotExist) {
		return RotationResult{}, errors.New("no domain file to rotate in " + dir)
	}
	old, err := ring.OpenDataKey(sealedPath, "domain")
	if err != nil {
		return RotationResult{}, err
	}
	kek, err := ring.Current(keys.KEK)
	if err != nil {
		return RotationResult{}, err
	}
	nk := make([]byte, 32)
	if _, err := rand.Read(nk); err != nil {
		return RotationResult{}, err
	}
	sealed, err := ring.SealDataKey(nk, "domain")
	if err != nil {
		return RotationResult{}, err
	}
	// 1. The copy under the new key, checked and fsynced.
	rot, err := vault.Rekey(ctx, dir, old, nk, func() { rotateStep("copying") })
	if err != nil {
		return RotationResult{}, err
	}
	rotateStep("copied")
	// 2. The new key, sealed under the KEK, next to it.
	if err := writeDurable(filepath.Join(dir, nextKeyFile), sealed); err != nil {
		os.Remove(rot)
		return RotationResult{}, err
	}
	rotateStep("next-key-written")
	// 3. The commit: the copy replaces the domain file. The old file's WAL
	// was folded in when Rekey closed it; one left now would belong to the
	// old file.
	if exists(filepath.Join(dir, vault.FileName+".wal")) {
		finishRotation(ctx, dir, db)
		return RotationResult{}, errors.New("the domain file kept a WAL after it was closed: rotation undone, nothing changed")
	}
	if err := os.Rename(rot, filepath.Join(dir, vault.FileName)); err != nil {
		finishRotation(ctx, dir, db)
		return RotationResult{}, err
	}
	if err := syncDir(dir); err != nil {
		return RotationResult{}, err
	}
	rotateStep("file-swapped")
	// 4. and 5. The audit event, then the new sealed key replaces the old.
	if _, err := finishRotation(ctx, dir, db); err != nil {
		return RotationResult{}, err
	}
	rotateStep("key-swapped")
	res := RotationResult{OldID: dataKeyID(old), NewID: dataKeyID(nk), KEKID: kek.ID}
	if fi, err := os.Stat(filepath.Join(dir, vault.FileName)); err == nil {
		res.Bytes = fi.Size()
	}
	return res, nil
}

// runRotateDataKey: `shuyu keys rotate --kind data --data DIR [--db URL]
// [--keys DIR]`.
func runRotateDataKey(ctx context.Context, data, dbURL string, ring *keys.Ring, stdout, stderr io.Writer) int {
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: dbURL, DataDir: data, Keys: ring})
	if err != nil {
		fmt.Fprintln(stderr, "shuyu keys rotate:", err)
		return 1
	}
	defer db.Close()
	res, err := rotateDataKey(ctx, data, db)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu keys rotate --kind data: 轮换失败，数据域保持原样 (rotation failed; the domain is as it was):", err)
		return 1
	}
	fmt.Fprintf(stdout, "已轮换数据域数据密钥 rotated the domain's data key: %s → %s（新密钥以 KEK %s 封装，数据域已整体重新加密 %d 字节；旧数据密钥不再能打开数据域 sealed under %s, the domain re-encrypted, %d bytes; the old data key no longer opens it）\n",
		res.OldID, res.NewID, res.KEKID, res.Bytes, res.KEKID, res.Bytes)
	return 0
}
