package vault

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shuyu"
)

func TestLocked_R4_2_NoFileNetworkExtensionOrConfigAccess(t *testing.T) {
	t.Parallel()
	d, dir := openTest(t)
	ctx := context.Background()
	c, err := d.Locked(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	outside := filepath.Join(dir, "outside.csv")
	os.WriteFile(outside, []byte("a\n1\n"), 0o600)
	attempts := []string{
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM read_csv('" + outside + "')",
		"SELECT * FROM read_text('/etc/hostname')",
		"SELECT * FROM glob('/etc/*')",
		"COPY (SELECT 42) TO '" + filepath.Join(dir, "leak.csv") + "'",
		"ATTACH '" + filepath.Join(dir, "other.duckdb") + "' AS other",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SELECT * FROM read_csv('https://example.com/x.csv')",
		"SET enable_external_access=true",
		"SET lock_configuration=false",
		"RESET lock_configuration",
		"SET memory_limit='100GB'",
		"SET threads=64",
		"SET allowed_directories=['/']",
		"PRAGMA threads=8",
		"PRAGMA memory_limit='100GB'",
		"SET autoload_known_extensions=true",
	}
	for _, q := range attempts {
		_, err := c.ExecContext(ctx, q)
		if err == nil {
			t.Errorf("%s: succeeded on a locked connection", q)
			continue
		}
		if code := shuyu.ErrorCode(SanitizeError(err)); code != shuyu.EFORBIDDEN && code != shuyu.EINVALID {
			t.Errorf("%s: code %s (%v)", q, code, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "leak.csv")); err == nil {
		t.Error("COPY TO wrote a file")
	}
	var ext bool
	var threads int64
	if err := c.QueryRowContext(ctx, "SELECT current_setting('enable_external_access'), current_setting('threads')").Scan(&ext, &threads); err != nil {
		t.Fatal(err)
	}
	if ext || threads != 2 {
		t.Errorf("settings changed: external access %v, threads %d", ext, threads)
	}
}

func TestLocked_R4_2_DeadlineInterruptsLongQuery(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c, err := d.Locked(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var n int64
	// A cross join far too big to finish: only an interrupt ends it.
	err = c.QueryRowContext(ctx, "SELECT count(*) FROM range(1000000000) a, range(1000000000) b WHERE a.range + b.range = -1").Scan(&n)
	if err == nil {
		t.Fatal("long query finished despite the deadline")
	}
	se := SanitizeError(err)
	if !errors.Is(se, context.DeadlineExceeded) && shuyu.ErrorCode(se) != shuyu.ETOOLARGE {
		t.Fatalf("want deadline error, got %v", err)
	}
	// The connection pool stays usable afterwards.
	c2, err := d.Locked(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.QueryRowContext(context.Background(), "SELECT 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after interrupt: %v %d", err, n)
	}
}

func TestSanitizeError_R4_2_NoValuesInMessages(t *testing.T) {
	t.Parallel()
	d, _ := openTest(t)
	ctx := context.Background()
	c, err := d.Locked(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.ExecContext(ctx, "CREATE TEMP TABLE k (id INTEGER PRIMARY KEY)")
	c.ExecContext(ctx, "INSERT INTO k VALUES (7364)")
	cases := []struct{ q, secret string }{
		{"SELECT CAST('张三secret' AS INTEGER)", "secret"},
		{"SELECT CAST('640502199001011234' AS DATE)", "640502199001011234"},
		{"SELECT CAST(98765432198765 AS INTEGER)", "98765432198765"},
		{"INSERT INTO k VALUES (7364)", "7364"},
		{"SELECT * FROM read_csv('/secret/path/13800138000.csv')", "13800138000"},
	}
	for _, tc := range cases {
		_, err := c.ExecContext(ctx, tc.q)
		if err == nil {
			t.Fatalf("%s: no error", tc.q)
		}
		if !strings.Contains(err.Error(), tc.secret) {
			t.Fatalf("precondition: DuckDB's own message should quote the value: %v", err)
		}
		se := SanitizeError(err)
		for _, s := range []string{se.Error(), shuyu.ErrorMessage(se)} {
			if strings.Contains(s, tc.secret) {
				t.Errorf("%s: sanitized error still carries the value: %s", tc.q, s)
			}
		}
		if shuyu.ErrorMessage(se) == "" {
			t.Errorf("%s: empty message", tc.q)
		}
	}
	if SanitizeError(nil) != nil {
		t.Error("nil must stay nil")
	}
}
