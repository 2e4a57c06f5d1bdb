package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"shuyu/demo"
	"shuyu/ident"
)

var idPattern = regexp.MustCompile(`[1-9][0-9]{16}[0-9X]`)

// The insider with a copy of the demo's data directory (not the key
// directory): no file holds a valid citizen ID number in clear, and DuckDB
// does not open the domain without the key (R4.2, issue 12).
func TestAtRest_R4_2_DemoDataDirHoldsNoCitizenID(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: loads the demo's ~1M-row domain")
	}
	dir := t.TempDir()
	keyDir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	m := &Main{Log: discardLog()}
	if err := m.Open(ctx, &ServeOptions{Data: dir, Keys: keyDir, Addr: "127.0.0.1:0", Demo: true, DemoPassword: demo.DefaultPassword, PasswordIterations: 1000}); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	<-m.DemoReady()
	cancel()
	<-done
	m.Close()
	// Every demo step ran (`serve --demo` shows each capability).
	if err := m.DemoErr(); err != nil {
		t.Errorf("the demo stopped at a step: %v", err)
	}
	scanned := 0
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		if rel, _ := filepath.Rel(dir, p); filepath.Dir(rel) == "sim" {
			return nil // simulated twins: synthetic values, no real record (docs/operations.md)
		}
		b, _ := os.ReadFile(p)
		scanned += len(b)
		for _, m := range idPattern.FindAll(b, -1) {
			if ident.ValidCitizenID(string(m)) {
				t.Errorf("%s holds a citizen ID number in clear", p)
				break
			}
		}
		return nil
	})
	if scanned < 1<<20 {
		t.Fatalf("only %d bytes scanned: the demo domain was not loaded", scanned)
	}
	db, err := sql.Open("duckdb", filepath.Join(dir, "domain", "domain.duckdb")+"?access_mode=read_only")
	if err == nil {
		var n int
		err = db.QueryRow("SELECT count(*) FROM duckdb_tables()").Scan(&n)
		db.Close()
	}
	if err == nil {
		t.Error("the domain opened without the key")
	}
}
