package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"shuyu/audit"
	"shuyu/sqlstore"
	"shuyu/workday"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./shuyu-data", "数据目录 data directory")
	dbURL := fs.String("db", "", "元数据库 database URL")
	keyDir := fs.String("keys", "", "密钥目录 key directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ring, _ := keyRing(*data, *keyDir)
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: *dbURL, DataDir: *data, Keys: ring})
	if err != nil {
		fmt.Fprintln(stderr, "shuyu migrate:", err)
		return 1
	}
	db.Close()
	fmt.Fprintln(stdout, "数据库已是最新 database is up to date")
	return 0
}

// runAudit: `shuyu audit verify` checks the whole chain and every
// checkpoint (from the database, the checkpoint file and --checkpoints),
// exits 0 when intact and 1 naming the first bad event otherwise.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "用法 usage: shuyu audit verify [--data DIR] [--db URL] [--keys DIR] [--pubkey HEX] [--checkpoints FILE] [--json]")
		return 2
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./shuyu-data", "数据目录 data directory")
	dbURL := fs.String("db", "", "元数据库 database URL")
	pub := fs.String("pubkey", "", "受信任的 SM2 公钥 (hex)；默认使用数据目录中的密钥 trusted SM2 public key")
	cpFile := fs.String("checkpoints", "", "另行保存的检查点文件 an exported checkpoint file kept elsewhere")
	asJSON := fs.Bool("json", false, "以 JSON 输出 print the report as JSON")
	keyDir := fs.String("keys", "", "密钥目录 key directory")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var trusted []byte
	if *pub != "" {
		var err error
		if trusted, err = audit.ParsePublicKey(*pub); err != nil {
			fmt.Fprintln(stderr, "shuyu audit verify:", err)
			return 2
		}
	}
	ring, _ := keyRing(*data, *keyDir)
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: *dbURL, DataDir: *data, Keys: ring})
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
	rep, verr := db.VerifyAudit(ctx, trusted, extra)
	if *asJSON {
		json.NewEncoder(stdout).Encode(rep)
	}
	if verr != nil || !rep.OK {
		if rep.Problem != "" {
			fmt.Fprintf(stderr, "审计链校验失败 audit trail NOT intact: first bad event %d: %s\n", rep.FirstBad, rep.Problem)
		} else {
			fmt.Fprintln(stderr, "审计链校验失败 audit trail NOT intact:", verr)
		}
		return 1
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "审计链完整 audit trail intact: %d events, %d checkpoints, last seq %d (%d after the last checkpoint)\n",
			rep.Events, rep.Checkpoints, rep.LastSeq, rep.Unanchored)
	}
	return 0
}

// runCalendar answers from the embedded official schedule, or, with --data
// or --db, from the schedule as the authority extended it on that platform.
func runCalendar(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("calendar", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "数据目录：使用该平台上数据局补充的节假日 data directory (use the authority's additions)")
	dbURL := fs.String("db", "", "元数据库 database URL")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var extra []workday.Day
	if *data != "" || *dbURL != "" {
		if *data == "" {
			*data = "./shuyu-data"
		}
		db, err := sqlstore.Open(ctx, sqlstore.Options{URL: *dbURL, DataDir: *data})
		if err != nil {
			fmt.Fprintln(stderr, "shuyu calendar:", err)
			return 1
		}
		days, err := db.CalendarDays(ctx)
		db.Close()
		if err != nil {
			fmt.Fprintln(stderr, "shuyu calendar:", err)
			return 1
		}
		for _, d := range days {
			extra = append(extra, d.Day)
		}
	}
	return workday.RunCLI(fs.Args(), stdout, stderr, extra)
}
