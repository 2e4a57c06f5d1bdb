package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// `shuyu bills statements` issues a month's statements on a data
// directory, once, audited; `shuyu bills export` writes each statement as
// .xlsx with the figures in yuan to the fen (R14.2, NPRC.4).
func TestCLI_R14_2_BillsStatementsAndExport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	db.PasswordIterations = 1000
	// January 2026 (ended whenever this runs): an item priced 0.37 yuan a
	// call and 1,234 calls of merchant-a metered by the gateway.
	db.Now = func() time.Time { return time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC) }
	actors := sqltest.Seed(t, db)
	it, err := db.CreatePriceItem(ctx, actors["authority"], shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "数据核验服务",
		Class: "数据服务", Unit: shuyu.UnitCall, Purpose: shuyu.PurposeIndustry, CapFen: 50})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetPrice(ctx, actors["operator-admin"], it.ID, 37, "首次定价"); err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return time.Date(2026, 1, 20, 2, 0, 0, 0, time.UTC) }
	if _, err := db.RecordUsage(ctx, actors["operator-admin"], sqlstore.UsageInput{OrgID: actors["merchant-a"].OrgID, ItemID: it.ID,
		Quantity: 1234, At: time.Date(2026, 1, 19, 2, 0, 0, 0, time.UTC), Ref: "GW-202601"}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if code, _, errs := run(t, "bills", "statements", "--data", dir, "--month", "2026-13"); code != 2 || !strings.Contains(errs, "YYYY-MM") {
		t.Fatalf("bad month: exit %d %q", code, errs)
	}
	if code, _, _ := run(t, "bills", "statements", "--data", dir); code != 2 {
		t.Fatalf("no month: exit %d", code)
	}
	code, out, errs := run(t, "bills", "statements", "--data", dir, "--month", "2026-01")
	if code != 0 || !strings.Contains(out, "statements issued: 1") || !strings.Contains(out, "456.58") {
		t.Fatalf("statements: exit %d out %q err %q", code, out, errs)
	}
	if code, out, _ := run(t, "bills", "statements", "--data", dir, "--month", "2026-01"); code != 0 || !strings.Contains(out, "no new statements") {
		t.Fatalf("statements again: exit %d out %q", code, out)
	}

	xdir := filepath.Join(t.TempDir(), "out")
	if code, _, _ := run(t, "bills", "export", "--data", dir, "--month", "2026-01"); code != 2 {
		t.Fatalf("export without --out: exit %d", code)
	}
	if code, _, _ := run(t, "bills", "export", "--data", dir, "--month", "2025-12", "--out", xdir); code != 1 {
		t.Fatalf("export of a month without statements: exit %d", code)
	}
	code, out, errs = run(t, "bills", "export", "--data", dir, "--month", "2026-01", "--out", xdir)
	if code != 0 || !strings.Contains(out, "456.58") {
		t.Fatalf("export: exit %d out %q err %q", code, out, errs)
	}
	files, _ := os.ReadDir(xdir)
	if len(files) != 1 {
		t.Fatalf("exported files: %v", files)
	}
	f, err := excelize.OpenFile(filepath.Join(xdir, files[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	total, _ := f.GetCellValue("对账单", "D4")
	qty, _ := f.GetCellValue("对账单", "E8")
	if total != "456.58" || !strings.Contains(qty, "1234") && !strings.Contains(qty, "1,234") {
		t.Fatalf("workbook: total %q, quantity %q", total, qty)
	}

	// One audit event for the month, by the system.
	db, err = sqlstore.Open(ctx, sqlstore.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM audit_events WHERE action = ? AND object_id = '2026-01' AND actor_name = 'system'`,
		string(shuyu.AuditMoneyStatements)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("audit events for 2026-01: %d %v", n, err)
	}
}
