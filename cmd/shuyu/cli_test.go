package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// The example: accepted 2026-09-30, 5 working days → 2026-10-13
// (National Day holiday Oct 1-7, make-up working day Sat Oct 10).
func TestCLI_CalendarDue_R18_2(t *testing.T) {
	code, out, errs := run(t, "calendar", "due", "2026-09-30", "5")
	if code != 0 || strings.TrimSpace(out) != "2026-10-13" {
		t.Fatalf("calendar due: code %d out %q err %q", code, out, errs)
	}
	// With a platform's data directory, the authority's additions count too
	// (a fresh platform has none, so the answer is the same).
	code, out, errs = run(t, "calendar", "--data", t.TempDir(), "due", "2026-09-30", "5")
	if code != 0 || strings.TrimSpace(out) != "2026-10-13" {
		t.Fatalf("calendar --data due: code %d out %q err %q", code, out, errs)
	}
	if code, _, _ := run(t, "calendar", "due", "2026-13-01", "5"); code != 2 {
		t.Fatalf("bad date: exit %d, want 2", code)
	}
}

func TestCLI_UsageAndDemoLoopback(t *testing.T) {
	if code, _, _ := run(t); code != 2 {
		t.Fatalf("no command: exit %d", code)
	}
	if code, _, _ := run(t, "nonsense"); code != 2 {
		t.Fatalf("unknown command: exit %d", code)
	}
	// Demo mode refuses a non-loopback address unless told explicitly.
	code, _, errs := run(t, "serve", "--demo", "--data", t.TempDir(), "--addr", "0.0.0.0:0")
	if code == 0 || !strings.Contains(errs, "demo") {
		t.Fatalf("demo on 0.0.0.0: exit %d, stderr %q", code, errs)
	}
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "localhost:1": true, "[::1]:80": true, "0.0.0.0:80": false, "10.0.0.1:80": false, ":8080": false} {
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%q) = %v", addr, got)
		}
	}
}
