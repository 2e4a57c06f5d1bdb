//go:build shuyu_fastaudit

package sqlstore

import (
	"os"
	"regexp"
	"testing"
)

// The fast SQLite audit reader (audit_read_sqlite.go) casts pointers into
// the C memory of modernc.org/sqlite, whose generated code must run on
// exactly the modernc.org/libc it was generated for. It was checked, with
// the tampering and encoding tests of audit_read_test.go, against these
// versions. After an upgrade, run
//
//	go test -tags shuyu_fastaudit -run 'TestAuditRead|TestAuditStore' ./sqlstore/
//
// and then change the versions here.
var auditFastReaderPairing = map[string]string{
	"modernc.org/sqlite": "v1.62.0",
	"modernc.org/libc":   "v1.80.1",
}

func TestAuditRead_FastReaderPairing(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range auditFastReaderPairing {
		m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(path) + `\s+(\S+)`).FindSubmatch(mod)
		if m == nil {
			t.Errorf("go.mod does not require %s", path)
			continue
		}
		if got := string(m[1]); got != want {
			t.Errorf("go.mod requires %s %s, but the fast audit reader was checked with %s: re-run its tests and update auditFastReaderPairing", path, got, want)
		}
	}
}
