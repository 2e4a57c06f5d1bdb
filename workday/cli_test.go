package workday

import (
	"bytes"
	"strings"
	"testing"
)

func runCLI(extra []Day, args ...string) (code int, out, errOut string) {
	var o, e bytes.Buffer
	code = RunCLI(args, &o, &e, extra)
	return code, o.String(), e.String()
}

func TestRunCLI_R18_2_Due(t *testing.T) {
	code, out, errOut := runCLI(nil, "due", "2026-09-30", "5")
	if code != 0 || out != "2026-10-13\n" {
		t.Errorf("due 2026-09-30 5: code %d, out %q, err %q", code, out, errOut)
	}
	code, _, errOut = runCLI(nil, "due", "2028-03-01", "5")
	if code != 1 || !strings.Contains(errOut, "2028") {
		t.Errorf("due into 2028: code %d, err %q", code, errOut)
	}
	extra := []Day{{Date: "2028-01-01", Kind: Holiday, Name: "元旦节"}}
	code, out, _ = runCLI(extra, "due", "2028-03-01", "5") // Wed: 2,3,6,7,8
	if code != 0 || out != "2028-03-08\n" {
		t.Errorf("due with extra 2028: code %d, out %q", code, out)
	}
}

func TestRunCLI_R21_1_ListAndIs(t *testing.T) {
	code, out, _ := runCLI(nil, "list", "2026")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 39 {
		t.Fatalf("list 2026: code %d, %d lines, want 39", code, len(lines))
	}
	if !strings.Contains(out, "2026-10-10  上班 workday  国庆节") || !strings.Contains(out, "2026-10-01  放假 holiday  国庆节") {
		t.Errorf("list 2026 lacks National Day lines:\n%s", out)
	}
	if code, _, errOut := runCLI(nil, "list", "2029"); code != 1 || !strings.Contains(errOut, "2029") {
		t.Errorf("list 2029: code %d, err %q", code, errOut)
	}
	tests := []struct{ day, want string }{
		{"2026-10-01", "非工作日，国庆节放假"},
		{"2026-10-10", "工作日，国庆节调休上班"},
		{"2026-10-12", "周一 工作日 (workday)"},
		{"2026-10-11", "非工作日，周末"},
		{"2030-01-07", "缺少 2030 年安排"},
	}
	for _, tt := range tests {
		code, out, _ := runCLI(nil, "is", tt.day)
		if code != 0 || !strings.Contains(out, tt.want) {
			t.Errorf("is %s: code %d, out %q, want it to contain %q", tt.day, code, out, tt.want)
		}
	}
}

func TestRunCLI_R21_1_Usage(t *testing.T) {
	for _, args := range [][]string{
		{}, {"bogus"}, {"due", "2026-09-30"}, {"due", "2026-13-01", "5"}, {"due", "2026-09-30", "0"},
		{"due", "2026-09-30", "five"}, {"list", "year"}, {"is", "20261001"}, {"is"},
	} {
		code, out, errOut := runCLI(nil, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "用法 (usage)") {
			t.Errorf("%v: code %d, out %q, err %q; want 2 with help on stderr", args, code, out, errOut)
		}
	}
	if code, out, _ := runCLI(nil, "help"); code != 0 || !strings.Contains(out, "due YYYY-MM-DD N") {
		t.Errorf("help: code %d, out %q", code, out)
	}
	bad := []Day{{Date: "2026-10-12", Kind: Workday, Name: "x"}}
	if code, _, errOut := runCLI(bad, "is", "2026-10-12"); code != 1 || !strings.Contains(errOut, "extra[0].kind") {
		t.Errorf("bad extra: code %d, err %q", code, errOut)
	}
}
