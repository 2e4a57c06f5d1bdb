// Command shuyu is the public data operation platform (公共数据运营平台):
//
//	shuyu serve [--data DIR] [--addr HOST:PORT] [--db URL] [--demo] [--demo-password P] [--domain owner|none] [--recover]
//	            [--tls-cert F --tls-key F] [--trusted-proxy CIDR]...
//	shuyu certs demo --out DIR
//	shuyu migrate [--data DIR] [--db URL]
//	shuyu audit verify [--data DIR] [--db URL] [--pubkey HEX|FILE] [--checkpoints FILE] [--strict=false]
//	shuyu audit checkpoint | keys [revoke ID --reason R]
//	shuyu backup --data DIR --out FILE [--passphrase-file F]
//	shuyu backup verify --in FILE
//	shuyu restore --in FILE --data DIR2 [--keys DIR] [--drill]
//	shuyu keys list|rotate --kind kek|audit|data [--data DIR] [--keys DIR]
//	shuyu calendar due 2026-09-30 5 | list 2026 | is 2026-10-08
//	shuyu bills statements --month 2026-11 | export --month 2026-11 --out DIR
//	shuyu pulls list [--entry CODE] | history ID | run ID [--wait 10m]
//	shuyu version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `数域 shuyu — 公共数据运营平台 (public data operation platform)

用法 usage:
  shuyu serve      启动平台 start the platform   [--data DIR] [--addr HOST:PORT] [--db URL] [--demo]
                   [--tls-cert F --tls-key F] [--trusted-proxy CIDR]...
                   [--domain owner|none] [--domain-owner URL] [--domain-secret-file F] [--recover]
  shuyu certs demo 生成自签名演示证书 self-signed demo certificate  --out DIR
  shuyu migrate    执行数据库迁移 run migrations  [--data DIR] [--db URL]
  shuyu audit verify  校验审计链 verify the audit trail [--data DIR] [--db URL] [--pubkey HEX|FILE] [--strict=false]
  shuyu audit checkpoint  立即签发检查点 sign a checkpoint now [--data DIR] [--db URL]
  shuyu audit keys [revoke ID --reason R]  受信任的检查点密钥 trusted checkpoint keys
  shuyu backup     备份运行中的实例 back up a running instance  --data DIR --out FILE [--passphrase-file F]
                   backup verify --in FILE：不用密钥校验备份摘要 check an archive's digest without a key
  shuyu restore    恢复或恢复演练 restore or drill  --in FILE --data DIR2 [--keys DIR] [--drill]
  shuyu keys       密钥 keys (list | rotate --kind kek|audit|data) [--data DIR] [--keys DIR]
  shuyu calendar   工作日日历 working-day calendar (due DATE N | list YEAR | is DATE)
  shuyu bills      对账单 statements (statements --month YYYY-MM | export --month YYYY-MM --out DIR) [--data DIR] [--db URL]
  shuyu pulls      数据拉取 scheduled pulls (list [--entry CODE] | history ID | run ID [--wait 10m]) [--data DIR] [--db URL]
  shuyu version    版本 version
`

// Run dispatches a subcommand and returns the exit code; tests call it.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], stdout, stderr)
	case "audit":
		return runAudit(ctx, args[1:], stdout, stderr)
	case "certs":
		return runCerts(args[1:], stdout, stderr)
	case "keys":
		return runKeys(ctx, args[1:], stdout, stderr)
	case "backup":
		return runBackup(ctx, args[1:], stdout, stderr)
	case "restore":
		return runRestore(ctx, args[1:], stdout, stderr)
	case "calendar":
		return runCalendar(ctx, args[1:], stdout, stderr)
	case "bills":
		return runBills(ctx, args[1:], stdout, stderr)
	case "pulls":
		return runPulls(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "shuyu", Version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "未知命令 unknown command %q\n\n%s", args[0], usage)
	return 2
}

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"
