package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

const pullsUsage = `用法 usage:
  shuyu pulls list [--entry CODE] [--data DIR] [--db URL] [--keys DIR]
      各目录的拉取来源、状态、上次成功与下次拉取 every pull source: status, last success, next run
  shuyu pulls history ID [--limit N] [--data DIR] [--db URL] [--keys DIR]
      一个来源的拉取记录与对账 one source's pulls with their reconciliation
  shuyu pulls run ID [--wait DURATION] [--data DIR] [--db URL] [--keys DIR]
      请运行中的平台立即拉取，一分钟内开始；--wait 等待结果
      ask the running platform to pull now (it starts within a minute); --wait waits for the outcome
`

// runPulls dispatches `shuyu pulls …`: the operator's view of scheduled
// pulls from the command line (issue 18) — the sources and their history
// read from the metadata store, and "run now" as a request the domain
// owner's minute loop starts (the domain is the running server's), as the
// system, audited.
func runPulls(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, pullsUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return runPullsList(ctx, args[1:], stdout, stderr)
	case "history":
		return runPullsHistory(ctx, args[1:], stdout, stderr)
	case "run":
		return runPullsRun(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, pullsUsage)
	return 2
}

// pullsOpen parses the common flags (extra adds the subcommand's), takes
// the source id when wantID, and opens the store.
func pullsOpen(ctx context.Context, name string, args []string, stderr io.Writer, wantID, readOnly bool, extra func(*flag.FlagSet)) (*sqlstore.DB, int64, bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./shuyu-data", "数据目录 data directory")
	dbURL := fs.String("db", "", "元数据库 database URL")
	keyDir := fs.String("keys", "", "密钥目录 key directory (as for serve)")
	if extra != nil {
		extra(fs)
	}
	// The id may come before or after the flags.
	var id int64
	if wantID && len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		n, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || n <= 0 {
			fmt.Fprintf(stderr, "shuyu %s: 来源编号须是正整数 source ID must be a positive number: %q\n", name, args[0])
			return nil, 0, false
		}
		id, args = n, args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return nil, 0, false
	}
	rest := fs.Args()
	if wantID && id == 0 && len(rest) == 1 {
		n, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil || n <= 0 {
			fmt.Fprintf(stderr, "shuyu %s: 来源编号须是正整数 source ID must be a positive number: %q\n", name, rest[0])
			return nil, 0, false
		}
		id, rest = n, nil
	}
	if wantID && id == 0 {
		fmt.Fprintf(stderr, "shuyu %s: 须指定来源编号（见 shuyu pulls list）source ID required (see shuyu pulls list)\n", name)
		return nil, 0, false
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "shuyu %s: 多余的参数 unexpected arguments %v\n", name, rest)
		return nil, 0, false
	}
	ring, _ := keyRing(*data, *keyDir)
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: *dbURL, DataDir: *data, Keys: ring, ReadOnly: readOnly})
	if err != nil {
		fmt.Fprintf(stderr, "shuyu %s: %v\n", name, err)
		return nil, 0, false
	}
	return db, id, true
}

// pullZone: times are shown in China Standard Time, as the pages show them
// and as the windows are set.
var pullZone = time.FixedZone("CST", 8*3600)

func pullTime(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.In(pullZone).Format("2006-01-02 15:04")
}

var pullStatusText = map[string]string{
	sqlstore.PullStatusNew: "未拉取 new", sqlstore.PullStatusOK: "正常 ok", sqlstore.PullStatusFailing: "上次失败 failing",
	sqlstore.PullStatusOverdue: "逾期 overdue", sqlstore.PullRunRunning: "拉取中 running", sqlstore.PullRunDone: "完成 done",
	sqlstore.PullRunFailed: "失败 failed",
}

var pullModeText = map[string]string{sqlstore.PullSnapshot: "全量 snapshot", sqlstore.PullIncremental: "增量 incremental"}

var pullTriggerText = map[string]string{sqlstore.PullBySchedule: "定时 schedule", sqlstore.PullByHand: "手动 manual",
	sqlstore.PullByRetry: "重试 retry"}

func runPullsList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var entry *string
	db, _, ok := pullsOpen(ctx, "pulls list", args, stderr, false, true, func(fs *flag.FlagSet) {
		entry = fs.String("entry", "", "只列此目录 only this catalog entry (code)")
	})
	if !ok {
		return 2
	}
	defer db.Close()
	all, err := db.AllPullSources(ctx, shuyu.System)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu pulls list:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "编号 id\t目录 entry\t来源 source\t类型 kind\t方式 mode\t状态 status\t上次成功 last success\t下次拉取 next run\t窗口 window\t最近错误 last error")
	n := 0
	for _, p := range all {
		if *entry != "" && p.EntryCode != *entry {
			continue
		}
		n++
		next := pullTime(p.NextRunAt)
		if p.RequestedAt != nil {
			next = "已请求 requested " + pullTime(p.RequestedAt)
		}
		if !p.Enabled {
			next += " (停用 disabled)"
		}
		last := ""
		if p.LastError != "" {
			last = p.LastErrorKind + ": " + p.LastError
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s-%s\t%s\n", p.ID, p.EntryCode, p.Name, p.Kind, pullModeText[p.Config.Mode],
			pullStatusText[p.Status], pullTime(p.LastRunAt), next, p.WindowStart, p.WindowEnd, last)
	}
	if n == 0 {
		fmt.Fprintln(stdout, "没有拉取来源 no pull sources")
		return 0
	}
	return boolExit(tw.Flush() == nil)
}

func runPullsHistory(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var limit *int
	db, id, ok := pullsOpen(ctx, "pulls history", args, stderr, true, true, func(fs *flag.FlagSet) {
		limit = fs.Int("limit", 20, "最多几条 at most this many pulls, newest first")
	})
	if !ok {
		return 2
	}
	defer db.Close()
	p, err := db.PullSource(ctx, shuyu.System, id)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu pulls history:", err)
		return 1
	}
	runs, err := db.PullRuns(ctx, shuyu.System, id, *limit)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu pulls history:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s %s · %s · %s\n", p.EntryCode, p.Name, pullModeText[p.Config.Mode], pullStatusText[p.Status])
	if len(runs) == 0 {
		fmt.Fprintln(stdout, "尚无拉取记录 no pulls yet")
		return 0
	}
	printPullRuns(stdout, runs)
	return 0
}

func printPullRuns(w io.Writer, runs []*sqlstore.PullRun) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "编号 run\t开始 started\t触发 trigger\t状态 status\t来源行数 source rows\t拉取 pulled\t新版本行数 version rows\t来源已删除 deleted\t对账 reconciled\t版本 version\t供给任务 job\t错误 error")
	for _, r := range runs {
		rec, ver, msg := "", "", ""
		if r.Status == sqlstore.PullRunDone {
			rec = "不一致 no"
			if r.Reconciled {
				rec = "一致 yes"
			}
			ver = "v" + strconv.Itoa(r.Version)
		}
		if r.ErrorKind != "" {
			msg = r.ErrorKind + ": " + r.ErrorMessage
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%s\n", r.ID, pullTime(&r.StartedAt), pullTriggerText[r.Trigger],
			pullStatusText[r.Status], r.SourceRows, r.PulledRows, r.VersionRows, r.DeletedRows, rec, ver, r.JobID, msg)
	}
	tw.Flush()
}

func runPullsRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var wait *time.Duration
	db, id, ok := pullsOpen(ctx, "pulls run", args, stderr, true, false, func(fs *flag.FlagSet) {
		wait = fs.Duration("wait", 0, "等待拉取结束的时长，如 10m wait this long for the pull to end, e.g. 10m")
	})
	if !ok {
		return 2
	}
	defer db.Close()
	before, err := db.PullRuns(ctx, shuyu.System, id, 1)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu pulls run:", err)
		return 1
	}
	if _, err := db.RequestPull(ctx, shuyu.System, id); err != nil {
		fmt.Fprintln(stderr, "shuyu pulls run:", err)
		return 1
	}
	fmt.Fprintf(stdout, "已请求立即拉取来源 %d，运行中的平台将在一分钟内开始 pull of source %d requested: the running platform starts it within a minute\n", id, id)
	if *wait <= 0 {
		fmt.Fprintf(stdout, "查看结果 see the outcome: shuyu pulls history %d\n", id)
		return 0
	}
	var last int64
	if len(before) > 0 {
		last = before[0].ID
	}
	deadline := time.Now().Add(*wait)
	for {
		runs, err := db.PullRuns(ctx, shuyu.System, id, 1)
		if err != nil {
			fmt.Fprintln(stderr, "shuyu pulls run:", err)
			return 1
		}
		if len(runs) > 0 && runs[0].ID > last && runs[0].Status != sqlstore.PullRunRunning {
			printPullRuns(stdout, runs)
			return boolExit(runs[0].Status == sqlstore.PullRunDone)
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(stderr, "shuyu pulls run: %s 内未结束（平台是否在运行？）did not end within %s (is the platform running?)\n", *wait, *wait)
			return 1
		}
		select {
		case <-ctx.Done():
			return 1
		case <-time.After(time.Second):
		}
	}
}
