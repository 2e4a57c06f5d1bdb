package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"shuyu"
	"shuyu/backup"
	"shuyu/keys"
	"shuyu/sqlstore"
)

// How a backup of a running instance is taken (docs/operations.md, "Backup
// and restore"). DuckDB holds an exclusive lock on the domain file, so the
// server itself makes the copy: `shuyu backup` asks it over a Unix socket
// in the data directory (run/control.sock, directory mode 0700: only the
// service account reaches it, the same people who can read the files). The
// server takes, in this order, the checkpoint file (truncated to its last
// complete line), the metadata (SQLite's online backup in one step: one read
// transaction), then the domain (vault.Domain.CopyFile: a checked byte copy
// of the checkpointed file), so every
// checkpoint in the copy is about events in the copy and every version the
// metadata names is in the domain copy. When no server runs, the command
// opens the instance and does the same itself.

// BackupOptions say where and how to write an archive.
type BackupOptions struct {
	Out        string `json:"out"`
	Passphrase string `json:"passphrase,omitempty"` // "" derives the archive key from the KEK
}

// BackupResult describes a written archive.
type BackupResult struct {
	Out   string `json:"out"`
	SM3   string `json:"sm3"`
	Bytes int64  `json:"bytes"`
	Error string `json:"error,omitempty"`
}

// Backup writes one consistent, encrypted, SM3-digested archive of the
// running instance and records it in the audit trail.
func (m *Main) Backup(ctx context.Context, o BackupOptions) (BackupResult, error) {
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return BackupResult{}, err
	}
	data := m.DB.DataDir()
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".shuyu-backup-")
	if err != nil {
		return BackupResult{}, err
	}
	defer os.RemoveAll(tmp)
	// 0. A checkpoint now (docs/operations.md, "Audit trail"): the copy's
	// trail is then anchored up to this moment, so `audit verify` of the
	// restore passes under --strict (only events written during the copy
	// follow it).
	if _, err := m.DB.Checkpoint(ctx, shuyu.System); err != nil {
		return BackupResult{}, fmt.Errorf("backup: checkpoint: %w", err)
	}
	var files []backup.Source
	// 1. The checkpoint file, up to its last complete line.
	if b, err := os.ReadFile(filepath.Join(data, sqlstore.CheckpointFile)); err == nil {
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			p := filepath.Join(tmp, sqlstore.CheckpointFile)
			if err := os.WriteFile(p, b[:i+1], 0o600); err != nil {
				return BackupResult{}, err
			}
			files = append(files, backup.Source{Name: sqlstore.CheckpointFile, Path: p})
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return BackupResult{}, err
	}
	// 2. The metadata.
	metadata := string(m.DB.Dialect())
	if m.DB.Dialect() == sqlstore.SQLite {
		p := filepath.Join(tmp, "shuyu.db")
		if err := m.DB.SnapshotTo(ctx, p); err != nil {
			return BackupResult{}, err
		}
		files = append(files, backup.Source{Name: "shuyu.db", Path: p})
	}
	// 3. The domain, encrypted under its own data key, with that key sealed.
	sealedKey := filepath.Join(data, "domain", domainKeyFile)
	dk, err := m.DB.Keys().DataKey(sealedKey, "domain")
	if err != nil {
		return BackupResult{}, err
	}
	snap := filepath.Join(tmp, "domain.duckdb")
	if err := m.Vault.CopyFile(ctx, snap, dk); err != nil {
		return BackupResult{}, err
	}
	files = append(files, backup.Source{Name: "domain/domain.duckdb", Path: snap},
		backup.Source{Name: "domain/" + domainKeyFile, Path: sealedKey})
	// 4. The key: from the KEK (the archive holds no key), or from a
	// passphrase (the archive then holds the key directory, encrypted).
	var h backup.Header
	var key []byte
	if o.Passphrase == "" {
		kek, err := m.DB.Keys().Current(keys.KEK)
		if err != nil {
			return BackupResult{}, err
		}
		h = backup.NewHeader("kek", kek.ID, metadata, m.Now())
		key = backup.KeyFromKEK(kek.Material, h.Salt)
	} else {
		h = backup.NewHeader("passphrase", "", metadata, m.Now())
		if key, err = backup.KeyFromPassphrase(o.Passphrase, h.Salt); err != nil {
			return BackupResult{}, err
		}
		kf, _ := filepath.Glob(filepath.Join(m.DB.Keys().Location(), "*.pem"))
		sort.Strings(kf)
		for _, f := range kf {
			files = append(files, backup.Source{Name: "keys/" + filepath.Base(f), Path: f})
		}
	}
	f, err := os.OpenFile(out+".part", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return BackupResult{}, err
	}
	defer os.Remove(out + ".part")
	// No buffering: the archive is written in records of about 1 MiB.
	sum, err := backup.Write(f, h, key, files)
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	if err == nil {
		err = os.Rename(out+".part", out)
	}
	if err != nil {
		return BackupResult{}, err
	}
	fi, _ := os.Stat(out)
	res := BackupResult{Out: out, SM3: hex.EncodeToString(sum), Bytes: fi.Size()}
	err = m.DB.RecordOperation(ctx, shuyu.System, shuyu.AuditBackupCreate, map[string]any{
		"sm3": res.SM3, "bytes": res.Bytes, "key_mode": h.KeyMode, "kek_id": h.KEKID, "metadata": metadata})
	return res, err
}

// controlSocket is where a running server takes backup requests.
func controlSocket(data string) string { return filepath.Join(data, "run", "control.sock") }

// listenControl opens the control socket (a stale one from a killed
// server is replaced).
func (m *Main) listenControl() (net.Listener, error) {
	p := controlSocket(m.DB.DataDir())
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	if err := os.Chmod(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	if c, err := net.Dial("unix", p); err == nil {
		c.Close()
		return nil, fmt.Errorf("another server already serves %s", p)
	}
	os.Remove(p)
	return net.Listen("unix", p)
}

// serveControl answers backup requests until ctx ends.
func (m *Main) serveControl(ctx context.Context, l net.Listener) {
	go func() { <-ctx.Done(); l.Close() }()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			var o BackupOptions
			if err := json.NewDecoder(io.LimitReader(c, 64<<10)).Decode(&o); err != nil {
				return
			}
			res, err := m.Backup(ctx, o)
			if err != nil {
				res.Error = err.Error()
				m.Log.Error("backup", "err", err)
			} else {
				m.Log.Info("备份完成 backup written", "out", res.Out, "sm3", res.SM3, "bytes", res.Bytes)
			}
			json.NewEncoder(c).Encode(res)
		}()
	}
}

// scheduledBackups writes an archive every `every` into dir and keeps the
// newest `keep`.
func (m *Main) scheduledBackups(ctx context.Context, dir string, every time.Duration, keep int) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		m.Log.Error("scheduled backup", "err", err)
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		name := filepath.Join(dir, "shuyu-"+m.Now().UTC().Format("20060102T150405Z")+".sbk")
		if res, err := m.Backup(ctx, BackupOptions{Out: name}); err != nil {
			if ctx.Err() == nil {
				m.Log.Error("scheduled backup", "err", err)
			}
			continue
		} else {
			m.Log.Info("定时备份 scheduled backup", "out", res.Out, "sm3", res.SM3)
		}
		old, _ := filepath.Glob(filepath.Join(dir, "shuyu-*.sbk"))
		sort.Strings(old)
		for len(old) > keep {
			os.Remove(old[0])
			old = old[1:]
		}
	}
}

func readPassphrase(file string) (string, error) {
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	return strings.TrimRight(string(b), "\r\n"), err
}

// runBackupVerify: `shuyu backup verify --in FILE` checks an archive's SM3
// digest without any key (every leaf of a format-2 archive) and prints it,
// to compare with the one the audit trail recorded (backup.create). It
// proves the archive is the one written, not that it decrypts: restore
// (or a drill) checks every chunk under the key.
func runBackupVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "备份文件 archive")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *in == "" {
		fmt.Fprintln(stderr, "用法 usage: shuyu backup verify --in FILE")
		return 2
	}
	h, sum, err := backup.ReadHeader(*in)
	if err != nil {
		fmt.Fprintln(stderr, "校验失败 verify FAILED:", err)
		return 1
	}
	fmt.Fprintf(stdout, "摘要一致 digest OK: %s, format %s, created %s, key %s %s, SM3 %x\n",
		*in, h.Format, h.Created.Format(time.RFC3339), h.KeyMode, h.KEKID, sum)
	return 0
}

// runBackup: `shuyu backup --data DIR --out FILE [--passphrase-file F]`.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "verify" {
		return runBackupVerify(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./shuyu-data", "数据目录 data directory")
	dbURL := fs.String("db", "", "元数据库 database URL")
	keyDir := fs.String("keys", "", "密钥目录 key directory")
	out := fs.String("out", "", "备份文件 archive to write")
	passFile := fs.String("passphrase-file", "", "口令文件：以口令加密并在备份中包含密钥 passphrase file (the archive then holds the keys, encrypted)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "用法 usage: shuyu backup --data DIR [--db URL] [--keys DIR] --out FILE [--passphrase-file F]")
		return 2
	}
	pass, err := readPassphrase(*passFile)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu backup:", err)
		return 1
	}
	abs, _ := filepath.Abs(*out)
	o := BackupOptions{Out: abs, Passphrase: pass}
	var res BackupResult
	if c, err := net.Dial("unix", controlSocket(*data)); err == nil {
		// A server runs: it makes the copy.
		json.NewEncoder(c).Encode(o)
		err = json.NewDecoder(c).Decode(&res)
		c.Close()
		if err == nil && res.Error != "" {
			err = errors.New(res.Error)
		}
		if err != nil {
			fmt.Fprintln(stderr, "shuyu backup:", err)
			return 1
		}
	} else {
		m := &Main{Log: discardLog()}
		if err := m.openInstance(ctx, *data, *dbURL, *keyDir); err != nil {
			fmt.Fprintln(stderr, "shuyu backup:", err)
			return 1
		}
		res, err = m.Backup(ctx, o)
		m.Close()
		if err != nil {
			fmt.Fprintln(stderr, "shuyu backup:", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "备份完成 backup written: %s (%d bytes, SM3 %s)\n", res.Out, res.Bytes, res.SM3)
	return 0
}

// openInstance opens the store and the domain of a data directory without
// serving (backup of a stopped instance, restore checks).
func (m *Main) openInstance(ctx context.Context, data, dbURL, keyDir string) error {
	if m.Now == nil {
		m.Now = time.Now
	}
	ring, _ := keyRing(data, keyDir)
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: dbURL, DataDir: data, Keys: ring, Now: m.Now})
	if err != nil {
		return err
	}
	m.DB = db
	m.Vault, err = openDomain(ctx, db, data, m.Now, m.Log)
	if err != nil {
		db.Close()
		m.DB = nil
		return err
	}
	return nil
}
