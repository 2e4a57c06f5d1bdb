package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"shuyu"
	"shuyu/audit"
	"shuyu/keys"
	"shuyu/sqlstore"
)

const auditUsage = `用法 usage:
  shuyu audit verify [--data DIR] [--db URL] [--keys DIR] [--pubkey HEX|FILE]… [--checkpoints FILE] [--strict=true] [--max-lag 5m] [--max-unanchored N] [--json]
  shuyu audit checkpoint [--data DIR] [--db URL] [--keys DIR]
  shuyu audit keys [--data DIR] [--db URL]
  shuyu audit keys revoke KEY-ID --reason TEXT [--data DIR] [--db URL]
`

// runAudit dispatches `shuyu audit …`.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	switch args[0] {
	case "verify":
		return runAuditVerify(ctx, args[1:], stdout, stderr)
	case "checkpoint":
		return runAuditCheckpoint(ctx, args[1:], stdout, stderr)
	case "keys":
		return runAuditKeys(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, auditUsage)
	return 2
}

// pubkeys is a repeatable --pubkey: a hex key, or a file of hex keys (one
// a line, # comments), as an auditor keeps them apart from the server.
type pubkeys [][]byte

func (p *pubkeys) String() string { return fmt.Sprint(len(*p), " keys") }

func (p *pubkeys) Set(v string) error {
	text := v
	if b, err := os.ReadFile(v); err == nil {
		text = string(b)
	} else if !errors.Is(err, os.ErrNotExist) || strings.ContainsAny(v, "/.") {
		return fmt.Errorf("--pubkey %s: %w", v, err)
	}
	n := 0
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		k, err := audit.ParsePublicKey(line)
		if err != nil {
			return err
		}
		*p = append(*p, k)
		n++
	}
	if n == 0 {
		return fmt.Errorf("--pubkey %s: no key", v)
	}
	return nil
}

// runAuditVerify: `shuyu audit verify` checks the whole chain and every
// checkpoint (from the store, this data directory's checkpoint file and
// --checkpoints) against the trusted keys, opening the store read-only
// (read-only media work). It exits 1 when the chain is broken, and also —
// under --strict, the default — when events are not anchored by a
// checkpoint (none at all, or older than --max-lag) or the checkpoint file
// and the store disagree; --strict=false prints those as warnings and
// exits 0.
func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./shuyu-data", "数据目录 data directory")
	dbURL := fs.String("db", "", "元数据库 database URL")
	var pinned pubkeys
	fs.Var(&pinned, "pubkey", "受信任的 SM2 公钥（十六进制）或公钥文件，可重复；默认信任数据库中登记的密钥 trusted SM2 public key (hex) or a file of them, repeatable")
	cpFile := fs.String("checkpoints", "", "另行保存的检查点文件 an exported checkpoint file kept elsewhere")
	strict := fs.Bool("strict", true, "未锚定事件或检查点文件不一致也判为失败 also fail on unanchored events or a checkpoint file that disagrees with the store")
	maxLag := fs.Duration("max-lag", 5*time.Minute, "事件未被检查点锚定的最长时间 allowed age of events no checkpoint anchors")
	maxUn := fs.Int64("max-unanchored", 10000, "允许未被锚定的最多事件数 allowed number of unanchored events")
	asJSON := fs.Bool("json", false, "以 JSON 输出 print the report as JSON")
	keyDir := fs.String("keys", "", "密钥目录：也信任其中审计密钥的各代公钥 key directory: also trust its audit key generations")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := sqlstore.Options{URL: *dbURL, DataDir: *data, ReadOnly: true}
	if *keyDir != "" {
		// Read only: no legacy import, no key created.
		opts.Keys = keys.New(keys.Dir{Path: *keyDir})
	}
	db, err := sqlstore.Open(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu audit verify:", err)
		return 1
	}
	defer db.Close()
	extra, err := audit.ReadCheckpointFile(*cpFile)
	if *cpFile != "" && err != nil {
		fmt.Fprintln(stderr, "shuyu audit verify:", err)
		return 1
	}
	opt := sqlstore.VerifyOptions{Extra: extra, MaxLag: *maxLag, MaxUnanchored: *maxUn, Now: time.Now()}
	if pinned != nil {
		opt.Trusted = pinned
	}
	rep, verr := db.VerifyAuditWith(ctx, opt)
	if *asJSON {
		json.NewEncoder(stdout).Encode(rep)
	}
	var te *audit.TamperError
	if verr != nil && !errors.As(verr, &te) {
		fmt.Fprintln(stderr, "shuyu audit verify:", verr)
		return 1
	}
	if !rep.OK {
		fmt.Fprintf(stderr, "审计链校验失败 audit trail NOT intact: first bad event %d: %s\n", rep.FirstBad, rep.Problem)
		return 1
	}
	for _, f := range rep.Findings {
		label := "警告 warning"
		if *strict {
			label = "校验失败 FAILED"
		}
		fmt.Fprintf(stderr, "%s [%s]: %s\n", label, f.Kind, f.Message)
	}
	if len(rep.Findings) > 0 && *strict {
		fmt.Fprintf(stderr, "审计链未被完整锚定 audit trail NOT fully anchored: %d events, %d checkpoints, last seq %d (--strict=false to warn only)\n",
			rep.Events, rep.Checkpoints, rep.LastSeq)
		return 1
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "审计链完整 audit trail intact: %d events, %d checkpoints (%d in the checkpoint file), last seq %d (%d after the last checkpoint); trusted keys: %s\n",
			rep.Events, rep.Checkpoints, rep.FileCheckpoints, rep.LastSeq, rep.Unanchored, strings.Join(rep.TrustedKeys, ", "))
	}
	return 0
}

// runAuditCheckpoint signs the audit head now (on demand, e.g. before a
// backup or a hand-over), as the platform, and says which.
func runAuditCheckpoint(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit checkpoint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./shuyu-data", "数据目录 data directory")
	dbURL := fs.String("db", "", "元数据库 database URL")
	keyDir := fs.String("keys", "", "密钥目录 key directory (as for serve)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ring, _ := keyRing(*data, *keyDir)
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: *dbURL, DataDir: *data, Keys: ring})
	if err != nil {
		fmt.Fprintln(stderr, "shuyu audit checkpoint:", err)
		return 1
	}
	defer db.Close()
	cp, err := db.Checkpoint(ctx, shuyu.System)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu audit checkpoint:", err)
		return 1
	}
	if cp == nil {
		fmt.Fprintln(stdout, "无新事件，无需检查点 nothing new since the last checkpoint")
		return 0
	}
	fmt.Fprintf(stdout, "已签发检查点 checkpoint signed: seq %d (events %d..%d), key %s\n", cp.Seq, cp.PrevSeq+1, cp.Seq, cp.KeyID)
	return 0
}

// runAuditKeys lists the store's trusted checkpoint keys, or revokes one.
func runAuditKeys(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	revoke := len(args) > 0 && args[0] == "revoke"
	if revoke {
		args = args[1:]
	}
	fs := flag.NewFlagSet("audit keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./shuyu-data", "数据目录 data directory")
	dbURL := fs.String("db", "", "元数据库 database URL")
	reason := fs.String("reason", "", "吊销理由 why the key is revoked")
	var id string
	if revoke && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if revoke && id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
	}
	if revoke && (id == "" || strings.TrimSpace(*reason) == "") {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: *dbURL, DataDir: *data, ReadOnly: !revoke})
	if err != nil {
		fmt.Fprintln(stderr, "shuyu audit keys:", err)
		return 1
	}
	defer db.Close()
	if revoke {
		if err := db.RevokeAuditKey(ctx, shuyu.System, id, *reason); err != nil {
			fmt.Fprintln(stderr, "shuyu audit keys revoke:", err)
			return 1
		}
		fmt.Fprintf(stdout, "已吊销 revoked %s: checkpoints it signed so far stay valid, later ones are forged\n", id)
		return 0
	}
	keys, err := db.TrustedAuditKeys(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu audit keys:", err)
		return 1
	}
	for _, k := range keys {
		state := "trusted"
		if k.RevokedAt != nil {
			state = fmt.Sprintf("revoked after seq %d (%s)", k.RevokedSeq, k.RevokedReason)
		}
		fmt.Fprintf(stdout, "%s  server %s  since seq %d  %s\n  %s\n", k.KeyID, k.ServerID, k.RegisteredSeq, state, hex.EncodeToString(k.PublicKey))
	}
	return 0
}
