package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"shuyu"
	"shuyu/backup"
	"shuyu/keys"
)

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// RestoreReport says what a restore found.
type RestoreReport struct {
	SM3       string
	Events    int64
	Checkpts  int
	Metadata  string
	KeyMode   string
	Encrypted bool
}

// restore checks the archive's digest, extracts it into data (empty or
// absent), and proves the result: the store opens, `audit verify` passes,
// the domain opens under its sealed data key.
func restore(ctx context.Context, in, data, keyDir, pass string) (RestoreReport, error) {
	h, sum, err := backup.ReadHeader(in)
	if err != nil {
		return RestoreReport{}, err
	}
	rep := RestoreReport{SM3: fmt.Sprintf("%x", sum), Metadata: h.Metadata, KeyMode: h.KeyMode}
	var key []byte
	switch h.KeyMode {
	case "kek":
		ring, _ := keyRing(data, keyDir)
		kek, err := ring.Get(keys.KEK, h.KEKID)
		if err != nil {
			return rep, fmt.Errorf("this archive is encrypted under KEK %s: give the key directory that holds it (--keys): %w", h.KEKID, err)
		}
		key = backup.KeyFromKEK(kek.Material, h.Salt)
	case "passphrase":
		if pass == "" {
			return rep, fmt.Errorf("this archive is encrypted with a passphrase: give --passphrase-file")
		}
		if key, err = backup.KeyFromPassphrase(pass, h.Salt); err != nil {
			return rep, err
		}
	default:
		return rep, fmt.Errorf("unknown key mode %q", h.KeyMode)
	}
	if _, err := backup.Extract(in, key, data); err != nil {
		return rep, err
	}
	if h.KeyMode == "passphrase" && keyDir != "" && !inside(filepath.Join(data, "keys"), keyDir) {
		// The archive's keys go where the operator keeps keys.
		if err := os.MkdirAll(keyDir, 0o700); err != nil {
			return rep, err
		}
		ents, _ := os.ReadDir(filepath.Join(data, "keys"))
		for _, e := range ents {
			if err := os.Rename(filepath.Join(data, "keys", e.Name()), filepath.Join(keyDir, e.Name())); err != nil {
				return rep, err
			}
		}
		os.Remove(filepath.Join(data, "keys"))
	}
	if h.Metadata != "sqlite" {
		return rep, nil // PostgreSQL: restored with pg_restore, verified then
	}
	m := &Main{Log: discardLog()}
	if err := m.openInstance(ctx, data, "", keyDir); err != nil {
		return rep, fmt.Errorf("restored instance does not open: %w", err)
	}
	defer m.Close()
	rep.Encrypted = m.Vault.Encrypted()
	ar, err := m.DB.VerifyAudit(ctx, nil, nil)
	if err != nil || !ar.OK {
		return rep, fmt.Errorf("restored audit trail does not verify: %v %s", err, ar.Problem)
	}
	rep.Events, rep.Checkpts = ar.Events, ar.Checkpoints
	return rep, nil
}

// runRestore: `shuyu restore --in FILE --data DIR2 [--keys DIR]
// [--passphrase-file F]`, or `--drill --data LIVE`: restore into a
// temporary directory, verify, record the drill in the live trail, clean up.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "备份文件 archive")
	data := fs.String("data", "", "恢复到的数据目录（须为空）；--drill 时为在用实例的数据目录 target data directory (empty); with --drill the live instance's")
	dbURL := fs.String("db", "", "在用实例的元数据库 (--drill) live database URL")
	keyDir := fs.String("keys", "", "密钥目录 key directory")
	passFile := fs.String("passphrase-file", "", "口令文件 passphrase file")
	drill := fs.Bool("drill", false, "恢复演练：恢复到临时目录、校验并记入审计 restore drill")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *in == "" || *data == "" {
		fmt.Fprintln(stderr, "用法 usage: shuyu restore --in FILE --data DIR [--keys DIR] [--passphrase-file F] [--drill]")
		return 2
	}
	pass, err := readPassphrase(*passFile)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu restore:", err)
		return 1
	}
	target := *data
	if *drill {
		if target, err = os.MkdirTemp("", "shuyu-drill-"); err != nil {
			fmt.Fprintln(stderr, "shuyu restore:", err)
			return 1
		}
		defer os.RemoveAll(target)
	}
	tk := *keyDir
	if *drill && tk == "" {
		tk = filepath.Join(*data, "keys") // the live instance's default key directory
	}
	if *drill && pass != "" {
		tk = "" // the archive brings its keys into the temporary directory
	}
	rep, rerr := restore(ctx, *in, target, tk, pass)
	if *drill {
		m := &Main{Log: discardLog()}
		if err := m.openInstance(ctx, *data, *dbURL, *keyDir); err != nil {
			fmt.Fprintln(stderr, "shuyu restore --drill: cannot record the drill:", err)
			return 1
		}
		detail := map[string]any{"sm3": rep.SM3, "ok": rerr == nil, "events": rep.Events, "checkpoints": rep.Checkpts}
		if rerr != nil {
			detail["problem"] = rerr.Error()
		}
		err := m.DB.RecordOperation(ctx, shuyu.System, shuyu.AuditBackupRestoreDrill, detail)
		m.Close()
		if err != nil {
			fmt.Fprintln(stderr, "shuyu restore --drill:", err)
			return 1
		}
	}
	if rerr != nil {
		fmt.Fprintln(stderr, "恢复失败 restore FAILED:", rerr)
		return 1
	}
	what := "恢复完成 restored"
	if *drill {
		what = "恢复演练通过并已记入审计 restore drill passed and recorded"
	}
	fmt.Fprintf(stdout, "%s: SM3 %s, %d events, %d checkpoints, audit trail intact, domain encrypted=%v\n",
		what, rep.SM3, rep.Events, rep.Checkpts, rep.Encrypted)
	if rep.Metadata != "sqlite" {
		fmt.Fprintln(stdout, "元数据在 PostgreSQL：请用 pg_restore 恢复后再运行 shuyu audit verify (metadata is on PostgreSQL: restore it with pg_restore, then run shuyu audit verify)")
	}
	return 0
}
