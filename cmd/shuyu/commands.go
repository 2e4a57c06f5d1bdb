package main

import (
	"context"
	"flag"
	"fmt"
	"io"

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
