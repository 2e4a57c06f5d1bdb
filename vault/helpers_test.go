package vault

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"shuyu"
)

var fixedNow = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

func openTest(t testing.TB) (*Domain, string) {
	t.Helper()
	dir := t.TempDir()
	// Encrypted, as serve opens it: the whole suite (lockdown included)
	// runs against an encrypted domain.
	d, err := Open(dir, Options{Now: func() time.Time { return fixedNow }, MemoryLimit: "512MB", Threads: 2,
		EncryptionKey: []byte("vault-test-data-key-32-bytes-ok!")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, dir
}

func fp(f float64) *float64 { return &f }

// peopleSpec is a small entry with every kind of rule.
func peopleSpec() Spec {
	return Spec{Entry: "people", Columns: []Column{
		{Name: "id_no", Label: "身份证号", Type: TypeString, Required: true, Unique: true, Format: FormatCitizenID, PI: true, SensitivePI: true, Grade: "重要"},
		{Name: "name", Label: "姓名", Type: TypeString, Required: true, PI: true},
		{Name: "age", Label: "年龄", Type: TypeInteger, Min: fp(0), Max: fp(150)},
		{Name: "county", Label: "区县", Type: TypeString, Enum: []string{"640502", "640521", "640522"}},
		{Name: "income", Type: TypeDecimal},
		{Name: "born", Type: TypeDate},
		{Name: "mobile", Type: TypeString, Format: FormatMobile, PI: true},
	}}
}

func load(t testing.TB, d *Domain, spec Spec, body string, f Format) (*Version, *QualityReport, error) {
	t.Helper()
	return d.Load(context.Background(), spec, strings.NewReader(body), f, LoadOptions{})
}

func mustCode(t testing.TB, err error, code string) *shuyu.Error {
	t.Helper()
	if got := shuyu.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
	var e *shuyu.Error
	errors.As(err, &e)
	return e
}

func rowErrors(t testing.TB, err error) []shuyu.RowError {
	t.Helper()
	e := mustCode(t, err, shuyu.EUNPROCESSABLE)
	re, ok := e.Details.([]shuyu.RowError)
	if !ok {
		t.Fatalf("details = %T, want []shuyu.RowError", e.Details)
	}
	return re
}

func readAndRemove(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	os.Remove(p)
	return b, err
}
