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
	"shuyu/vault"
)

// How a backup of a running instance is taken (docs/operations.md, "Backup
// and restore"). DuckDB holds an exclusive lock on the domain file, so the
// server itself makes the copy: `shuyu backup` asks it over a Unix socket
// in the data directory (run/control.sock, directory mode 0700: only the
// service account reaches it, the same people who can read the files). The
// server takes, in this order, the checkpoint file (truncated to its last
// complete line), the metadata (one SQLite read transaction, page by page),
// then the domain (vault.Domain.StreamFile: a checked byte copy of the
// checkpointed file), both streamed into the archive, so every
// checkpoint in the copy is about events in the copy and every version the
// metadata names is in the domain copy. When no server runs, the command
// opens the instance and does the same itself.

// BackupOptions say where and how to write an archive.
type BackupOptions struct {
	Out        string `json:"out"`
	Passphrase string `json:"passphrase,omitempty"` // "" derives the archive key from the KEK
	// scratch takes the copies into scratch files first and archives them
	// afterwards: the way before December 2026, and still the fallback when
	// the domain cannot be streamed consistently. The benchmark sets it to
	// measure both ways in one run (docs/performance.md §7).
	scratch bool
}

// BackupResult describes a written archive.
type BackupResult struct {
	Out   string `json:"out"`
	SM3   string `json:"sm3"`
	Bytes int64  `json:"bytes"`
	Error string `json:"error,omitempty"`
	// Phases is where the time went, in order (for the benchmark and the
	// log; not sent over the control socket).
	Phases []BackupPhase `json:"-"`
}

// BackupPhase is one step of a backup and its wall time.
type BackupPhase struct {
	Name string
	Took time.Duration
}

// streamTries is how often a backup streams the domain before it falls back
// to scratch copies (a try fails only when DuckDB checkpointed during it).
const streamTries = 3

// Backup writes one consistent, encrypted, SM3-digested archive of the
// running instance and records it in the audit trail (R28.1). The
// consistent copies — the metadata (one SQLite read transaction, page by
// page) and the domain (its checkpointed file, read while a DuckDB
// transaction keeps it from being checkpointed) — stream straight into the
// archive writer, which seals 1 MiB chunks and digests 1 MiB leaves on every
// core while the next bytes are read: no scratch copy is written and read
// back. If DuckDB checkpointed during the domain's read (its headers
// changed), the archive is thrown away and written again; after
// streamTries such tries the scratch way is used (vault.Domain.CopyFile,
// which ends in a logical copy).
func (m *Main) Backup(ctx context.Context, o BackupOptions) (BackupResult, error) {
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return BackupResult{}, err
	}
	var phases []BackupPhase
	t0 := time.Now()
	phase := func(name string) {
		now := time.Now()
		phases = append(phases, BackupPhase{name, now.Sub(t0)})
		t0 = now
	}
	// 0. A checkpoint now (docs/operations.md, "Audit trail"): the copy's
	// trail is then anchored up to this moment, so `audit verify` of the
	// restore passes under --strict (only events written during the copy
	// follow it).
	if _, err := m.DB.Checkpoint(ctx, shuyu.System); err != nil {
		return BackupResult{}, fmt.Errorf("backup: checkpoint: %w", err)
	}
	phase("audit checkpoint")
	h, key, err := m.archiveKey(o.Passphrase)
	if err != nil {
		return BackupResult{}, err
	}
	f, err := os.OpenFile(out+".part", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return BackupResult{}, err
	}
	defer os.Remove(out + ".part")
	defer f.Close()
	var sum []byte
	for try := 0; ; try++ {
		scratch := o.scratch || try >= streamTries
		var files []backup.Source
		var cleanup func()
		if scratch {
			files, cleanup, err = m.scratchSources(ctx, out, phase)
		} else {
			files, err = m.streamSources(ctx, phase)
		}
		if err == nil {
			files = append(files, m.keySources(h)...)
			if _, err = f.Seek(0, io.SeekStart); err == nil {
				if err = f.Truncate(0); err == nil {
					// No buffering: the archive is written in records of about 1 MiB.
					sum, err = backup.Write(f, h, key, files)
				}
			}
		}
		if cleanup != nil {
			cleanup()
		}
		if !scratch && errors.Is(err, vault.ErrCopyChanged) {
			m.Log.Info("备份重试 backup: the domain was checkpointed during the copy; writing the archive again", "try", try+1)
			continue
		}
		if err != nil {
			return BackupResult{}, err
		}
		if scratch {
			phase("archive of the scratch copies")
		} else {
			phase("archive: the rest (keys, manifest, last chunks and leaves)")
		}
		break
	}
	if err := f.Sync(); err != nil {
		return BackupResult{}, err
	}
	if err := f.Close(); err != nil {
		return BackupResult{}, err
	}
	if err := os.Rename(out+".part", out); err != nil {
		return BackupResult{}, err
	}
	phase("fsync and rename")
	fi, _ := os.Stat(out)
	res := BackupResult{Out: out, SM3: hex.EncodeToString(sum), Bytes: fi.Size()}
	err = m.DB.RecordOperation(ctx, shuyu.System, shuyu.AuditBackupCreate, map[string]any{
		"sm3": res.SM3, "bytes": res.Bytes, "key_mode": h.KeyMode, "kek_id": h.KEKID, "metadata": h.Metadata})
	phase("audit event")
	res.Phases = phases
	return res, err
}

// archiveKey makes the archive's header and key: from the KEK (the archive
// holds no key), or from a passphrase (the archive then holds the key
// directory, encrypted).
func (m *Main) archiveKey(passphrase string) (backup.Header, []byte, error) {
	metadata := string(m.DB.Dialect())
	if passphrase == "" {
		kek, err := m.DB.Keys().Current(keys.KEK)
		if err != nil {
			return backup.Header{}, nil, err
		}
		h := backup.NewHeader("kek", kek.ID, metadata, m.Now())
		return h, backup.KeyFromKEK(kek.Material, h.Salt), nil
	}
	h := backup.NewHeader("passphrase", "", metadata, m.Now())
	key, err := backup.KeyFromPassphrase(passphrase, h.Salt)
	return h, key, err
}

// keySources: the domain's sealed data key, and with a passphrase the key
// directory's files.
func (m *Main) keySources(h backup.Header) []backup.Source {
	files := []backup.Source{{Name: "domain/" + domainKeyFile, Path: filepath.Join(m.domainDir, domainKeyFile)}}
	if h.KeyMode == "passphrase" {
		kf, _ := filepath.Glob(filepath.Join(m.DB.Keys().Location(), "*.pem"))
		sort.Strings(kf)
		for _, f := range kf {
			files = append(files, backup.Source{Name: "keys/" + filepath.Base(f), Path: f})
		}
	}
	return files
}

// checkpointFileCopy is the checkpoint file up to its last complete line
// (nil when there is none).
func (m *Main) checkpointFileCopy() ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(m.DB.DataDir(), sqlstore.CheckpointFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[:i+1], nil
	}
	return nil, nil
}

// streamSources lists, in the order the copies must be taken, the
// checkpoint file (read now), the metadata and the domain, the last two
// read from their snapshots while the archive is written. In that order
// every checkpoint in the archive is about events in it, and every version
// the metadata names is in the domain copy.
func (m *Main) streamSources(ctx context.Context, phase func(string)) ([]backup.Source, error) {
	var files []backup.Source
	cp, err := m.checkpointFileCopy()
	if err != nil {
		return nil, err
	}
	if cp != nil {
		files = append(files, backup.Source{Name: sqlstore.CheckpointFile, Stream: func(put func(io.Reader, int64) error) error {
			return put(bytes.NewReader(cp), int64(len(cp)))
		}})
	}
	if m.DB.Dialect() == sqlstore.SQLite {
		files = append(files, backup.Source{Name: "shuyu.db", Stream: func(put func(io.Reader, int64) error) error {
			err := m.DB.StreamSnapshot(ctx, put)
			phase("metadata streamed into the archive")
			return err
		}})
	}
	files = append(files, backup.Source{Name: "domain/domain.duckdb", Stream: func(put func(io.Reader, int64) error) error {
		err := m.Vault.StreamFile(ctx, put)
		phase("domain streamed into the archive")
		return err
	}})
	return files, nil
}

// scratchSources takes the same copies into scratch files beside the
// archive first (SQLite's online backup API, vault.Domain.CopyFile).
func (m *Main) scratchSources(ctx context.Context, out string, phase func(string)) ([]backup.Source, func(), error) {
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".shuyu-backup-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	fail := func(err error) ([]backup.Source, func(), error) { cleanup(); return nil, nil, err }
	var files []backup.Source
	cp, err := m.checkpointFileCopy()
	if err != nil {
		return fail(err)
	}
	if cp != nil {
		p := filepath.Join(tmp, sqlstore.CheckpointFile)
		if err := os.WriteFile(p, cp, 0o600); err != nil {
			return fail(err)
		}
		files = append(files, backup.Source{Name: sqlstore.CheckpointFile, Path: p})
	}
	if m.DB.Dialect() == sqlstore.SQLite {
		p := filepath.Join(tmp, "shuyu.db")
		if err := m.DB.SnapshotTo(ctx, p); err != nil {
			return fail(err)
		}
		files = append(files, backup.Source{Name: "shuyu.db", Path: p})
		phase("metadata scratch copy (SQLite online backup)")
	}
	dk, err := m.DB.Keys().DataKey(filepath.Join(m.domainDir, domainKeyFile), "domain")
	if err != nil {
		return fail(err)
	}
	snap := filepath.Join(tmp, "domain.duckdb")
	if err := m.Vault.CopyFile(ctx, snap, dk); err != nil {
		return fail(err)
	}
	phase("domain scratch copy")
	return append(files, backup.Source{Name: "domain/domain.duckdb", Path: snap}), cleanup, nil
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
	m.domainDir = filepath.Join(data, "domain")
	m.Vault, err = openDomain(ctx, db, m.domainDir, m.Now, m.Log)
	if err != nil {
		db.Close()
		m.DB = nil
		return err
	}
	return nil
}
