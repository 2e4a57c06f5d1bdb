package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"shuyu"
	"shuyu/sqlstore"
)

const billsUsage = `用法 usage:
  shuyu bills statements --month YYYY-MM [--data DIR] [--db URL] [--keys DIR]
      出具该月（及之前未出具月份）的对账单 issue the month's statements (and any earlier month not yet issued)
  shuyu bills export --month YYYY-MM --out DIR [--data DIR] [--db URL] [--keys DIR]
      将该月每份对账单导出为 .xlsx export each of the month's statements as .xlsx
`

// runBills dispatches `shuyu bills …`: the operator's monthly statement
// run from the command line (the server's tick does the same every
// minute), as the system, audited like the tick's.
func runBills(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, billsUsage)
		return 2
	}
	switch args[0] {
	case "statements":
		return runBillsStatements(ctx, args[1:], stdout, stderr)
	case "export":
		return runBillsExport(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, billsUsage)
	return 2
}

// billsFlags parses the common flags and the month.
func billsFlags(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (data, dbURL, keyDir *string, month shuyu.Period, ok bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data = fs.String("data", "./shuyu-data", "数据目录 data directory")
	dbURL = fs.String("db", "", "元数据库 database URL")
	keyDir = fs.String("keys", "", "密钥目录 key directory (as for serve)")
	m := fs.String("month", "", "账期 statement month, YYYY-MM")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, nil, "", false
	}
	p, err := shuyu.ParsePeriod(*m)
	if err != nil {
		fmt.Fprintf(stderr, "shuyu %s: --month: %v\n", name, err)
		return nil, nil, nil, "", false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shuyu %s: 多余的参数 unexpected arguments %v\n", name, fs.Args())
		return nil, nil, nil, "", false
	}
	return data, dbURL, keyDir, p, true
}

func runBillsStatements(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	data, dbURL, keyDir, month, ok := billsFlags("bills statements", args, stderr, nil)
	if !ok {
		return 2
	}
	ring, _ := keyRing(*data, *keyDir)
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: *dbURL, DataDir: *data, Keys: ring})
	if err != nil {
		fmt.Fprintln(stderr, "shuyu bills statements:", err)
		return 1
	}
	defer db.Close()
	rep, err := db.IssueStatements(ctx, shuyu.System, month)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu bills statements:", err)
		return 1
	}
	if rep.Statements == 0 {
		fmt.Fprintf(stdout, "%s 无新对账单（已出具或无计费明细） no new statements for %s (issued already, or no lines)\n", month, month)
		return 0
	}
	fmt.Fprintf(stdout, "已出具对账单 statements issued: %d，明细 lines %d，本期应付合计 total %s 元 (yuan)\n",
		rep.Statements, rep.Lines, shuyu.FormatFen(rep.TotalFen))
	return 0
}

func runBillsExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var out *string
	data, dbURL, keyDir, month, ok := billsFlags("bills export", args, stderr, func(fs *flag.FlagSet) {
		out = fs.String("out", "", "输出目录 output directory")
	})
	if !ok {
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "shuyu bills export: 须指定 --out 输出目录 --out DIR is required")
		return 2
	}
	ring, _ := keyRing(*data, *keyDir)
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: *dbURL, DataDir: *data, Keys: ring, ReadOnly: true})
	if err != nil {
		fmt.Fprintln(stderr, "shuyu bills export:", err)
		return 1
	}
	defer db.Close()
	list, err := db.PeriodStatements(ctx, shuyu.System, month)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu bills export:", err)
		return 1
	}
	if len(list) == 0 {
		fmt.Fprintf(stderr, "shuyu bills export: %s 尚无对账单 no statements for %s\n", month, month)
		return 1
	}
	if err := os.MkdirAll(*out, 0o750); err != nil {
		fmt.Fprintln(stderr, "shuyu bills export:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "文件 file\t数据商 merchant\t明细 lines\t应收 gross\t扣减 deduction\t应付 total (元)")
	for _, s := range list {
		d, err := db.Bill(ctx, shuyu.System, s.ID)
		if err != nil {
			fmt.Fprintln(stderr, "shuyu bills export:", err)
			return 1
		}
		b, err := sqlstore.StatementXLSX(d)
		if err != nil {
			fmt.Fprintln(stderr, "shuyu bills export:", err)
			return 1
		}
		name := fmt.Sprintf("statement-%s-org%d.xlsx", month, s.OrgID)
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o640); err != nil {
			fmt.Fprintln(stderr, "shuyu bills export:", err)
			return 1
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", name, s.OrgName, s.Lines, shuyu.FormatFen(s.GrossFen),
			shuyu.FormatFen(s.DeductionFen), shuyu.FormatFen(s.TotalFen))
	}
	return boolExit(tw.Flush() == nil)
}

func boolExit(ok bool) int {
	if ok {
		return 0
	}
	return 1
}
