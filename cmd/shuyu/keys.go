package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"shuyu"
	"shuyu/keys"
	"shuyu/sqlstore"
)

// keysEnv names the key directory when --keys is not given.
const keysEnv = "SHUYU_KEYS_DIR"

// keyRing is the key ring of a data directory: --keys, else $SHUYU_KEYS_DIR,
// else <data>/keys. Keys an earlier release kept in the data directory are
// moved in on first use. warning is set when the keys lie inside the data
// directory, where whoever can rewrite the data can also read the keys.
func keyRing(data, dir string) (ring *keys.Ring, warning string) {
	if dir == "" {
		dir = os.Getenv(keysEnv)
	}
	if dir == "" {
		dir = filepath.Join(data, "keys")
	}
	if inside(data, dir) {
		warning = fmt.Sprintf("密钥目录 %s 位于数据目录内：能复制数据的人也能拿到密钥；生产环境请用 --keys 指定数据目录之外的目录 "+
			"(keys in %s are inside the data directory: anyone who can copy the data also gets the keys; use --keys DIR outside it in production)", dir, dir)
	}
	return keys.New(keys.Dir{Path: dir, Legacy: data}), warning
}

// inside reports whether path is dir or below it.
func inside(dir, path string) bool {
	a, err1 := filepath.Abs(dir)
	b, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return true
	}
	rel, err := filepath.Rel(a, b)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// runKeys: `shuyu keys list` prints every key's id (never the key);
// `shuyu keys rotate --kind kek|audit` adds a generation and records the
// rotation in the audit trail (R28.1, R29.1); `--kind data` re-encrypts the
// domain under a new data key (rotate.go).
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const use = "用法 usage: shuyu keys list|rotate [--kind kek|audit|data] [--data DIR] [--db URL] [--keys DIR]"
	if len(args) == 0 || (args[0] != "list" && args[0] != "rotate") {
		fmt.Fprintln(stderr, use)
		return 2
	}
	fs := flag.NewFlagSet("keys "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./shuyu-data", "数据目录 data directory")
	dbURL := fs.String("db", "", "元数据库 database URL")
	dir := fs.String("keys", "", "密钥目录 key directory (default $"+keysEnv+", else DATA/keys)")
	kind := fs.String("kind", "", "轮换的密钥 key to rotate: kek, audit, or data (the domain's data key: re-encrypts the domain; stop the server first)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	ring, warn := keyRing(*data, *dir)
	if warn != "" {
		fmt.Fprintln(stderr, "警告 warning:", warn)
	}
	if args[0] == "list" {
		for _, k := range keys.Kinds {
			ks, err := ring.All(k)
			if err != nil {
				fmt.Fprintln(stderr, "shuyu keys:", err)
				return 1
			}
			for i, key := range ks {
				state := "retired (kept to open/verify)"
				if i == len(ks)-1 {
					state = "current"
				}
				fmt.Fprintf(stdout, "%-10s %-24s %s  %s\n", k, key.ID, key.Created.Format("2006-01-02"), state)
			}
		}
		return 0
	}
	if *kind == "data" {
		return runRotateDataKey(ctx, *data, *dbURL, ring, stdout, stderr)
	}
	k := keys.Kind(*kind)
	if !k.Rotatable() {
		fmt.Fprintf(stderr, "shuyu keys rotate: --kind must be kek, audit or data (got %q)\n", *kind)
		return 2
	}
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: *dbURL, DataDir: *data, Keys: ring})
	if err != nil {
		fmt.Fprintln(stderr, "shuyu keys rotate:", err)
		return 1
	}
	defer db.Close()
	old, err := ring.Current(k)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu keys rotate:", err)
		return 1
	}
	nk, err := ring.Rotate(k)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu keys rotate:", err)
		return 1
	}
	if err := db.RecordKeyRotation(ctx, shuyu.System, k, nk.ID, old.ID); err != nil {
		fmt.Fprintln(stderr, "shuyu keys rotate:", err)
		return 1
	}
	if k == keys.KEK {
		// The domain's data key is re-sealed under the new KEK now (DataKey
		// reseals a key sealed by an older generation), not only at the
		// next start: nothing of the domain needs the old KEK afterwards.
		// The file is replaced atomically; a running server reads it only
		// at start and for backups.
		sealed := filepath.Join(*data, "domain", domainKeyFile)
		if _, err := os.Stat(sealed); err == nil {
			if _, err := ring.DataKey(sealed, "domain"); err != nil {
				fmt.Fprintln(stderr, "shuyu keys rotate: re-seal the domain's data key:", err)
				return 1
			}
		}
	}
	fmt.Fprintf(stdout, "已轮换 rotated %s: %s → %s（旧密钥保留用于解密和验签 old key kept for opening and verifying; restart the servers to use the new key）\n", k, old.ID, nk.ID)
	return 0
}
