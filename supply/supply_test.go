package supply

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
)

func testEntry() *sqlstore.DomainEntry {
	return &sqlstore.DomainEntry{Code: "ZW-GA-0001", VaultName: "zw_ga_0001", Fields: []sqlstore.DomainField{
		{Name: "id_no", Label: "公民身份号码", DataType: "string", PI: true, SensitivePI: true, Grade: "important"},
		{Name: "age", Label: "年龄", DataType: "integer", Grade: "general"},
	}}
}

// A refused file's error names only the entry's own fields: a header cell
// that is no field may be a value (R4.2).
func TestRedact_R4_2_UnknownColumnsNotEchoed(t *testing.T) {
	err := shuyu.Errorf(shuyu.EINVALID, "表头不符 (header mismatch)").WithDetails([]shuyu.FieldError{
		{Field: "id_no", Message: "缺少"}, {Field: "640502199001011234", Message: "多余"}, {Field: "张三", Message: "多余"}})
	got := Redact(err, testEntry())
	fes, _ := shuyu.ErrorDetails(got).([]shuyu.FieldError)
	if len(fes) != 2 || fes[0].Field != "id_no" || fes[1].Field != "?" || !strings.Contains(fes[1].Message, "2") {
		t.Fatalf("details = %+v", fes)
	}
	for _, f := range fes {
		if strings.Contains(f.Field+f.Message, "6405") || strings.Contains(f.Field+f.Message, "张三") {
			t.Fatalf("value echoed: %+v", f)
		}
	}
}

// The drop directory is a jail: names that leave it, by path or by link,
// are refused before a job exists (R10.1).
func TestCheckDrop_R10_1_NamesStayInside(t *testing.T) {
	root := t.TempDir()
	drop := filepath.Join(root, "drop")
	if err := os.MkdirAll(drop, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(drop, "ok.csv"), []byte("a\n1\n"), 0o600)
	os.WriteFile(filepath.Join(root, "secret.csv"), []byte("x\n"), 0o600)
	os.Symlink(filepath.Join(root, "secret.csv"), filepath.Join(drop, "link.csv"))
	if err := CheckDrop(drop, "ok.csv"); err != nil {
		t.Fatalf("ok.csv: %v", err)
	}
	for name, code := range map[string]string{"": shuyu.EINVALID, "../secret.csv": shuyu.EINVALID, "/etc/passwd": shuyu.EINVALID,
		"link.csv": shuyu.EINVALID, "missing.csv": shuyu.ENOTFOUND, "a\x00b": shuyu.EINVALID} {
		if err := CheckDrop(drop, name); shuyu.ErrorCode(err) != code {
			t.Errorf("%q: %v (want %s)", name, err, code)
		}
	}
}

// An entry's spec carries its fields' marks; a type the domain cannot hold
// is a conflict, not a guess (R2.1, R10.1).
func TestSpec_R2_1_MarksAndTypes(t *testing.T) {
	spec, err := Spec(testEntry())
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Columns) != 2 || !spec.Columns[0].SensitivePI || spec.Entry != "zw_ga_0001" {
		t.Fatalf("spec = %+v", spec)
	}
	e := testEntry()
	e.Fields[1].DataType = "blob"
	if _, err := Spec(e); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
		t.Fatalf("unknown type: %v", err)
	}
}

// A mapping error's message names the missing and the extra columns
// itself, in both languages: the run history, the source's last error and
// the overdue notice keep only the message, not the per-field details
// (issue 18: missing or extra columns are a clear error; R10.1).
func TestCheckMapping_R10_1_MessageNamesColumns(t *testing.T) {
	e := &sqlstore.DomainEntry{Fields: []sqlstore.DomainField{{Name: "id"}, {Name: "name"}, {Name: "capital"}}}
	cfg := &sqlstore.PullConfig{Mode: sqlstore.PullIncremental, Watermark: "updated_at", Mapping: map[string]string{"name": "full_name"}}
	_, err := checkMapping(e, cfg, []string{"ID", "capital_old", "full_name", "note"})
	if pullKind(err) != sqlstore.PullErrMapping {
		t.Fatalf("kind %q: %v", pullKind(err), err)
	}
	msg := shuyu.ErrorMessage(err)
	for _, want := range []string{"缺少 capital、updated_at", "多出 capital_old、note", "missing capital, updated_at", "extra capital_old, note"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if fe, _ := shuyu.ErrorDetails(err).([]shuyu.FieldError); len(fe) != 4 {
		t.Errorf("details: %+v", fe)
	}
	// Many columns: ten named, the rest counted.
	var many []string
	for i := 0; i < 25; i++ {
		many = append(many, fmt.Sprintf("c%02d", i))
	}
	_, err = checkMapping(e, &sqlstore.PullConfig{Mode: sqlstore.PullSnapshot}, append([]string{"id", "name", "capital"}, many...))
	if msg := shuyu.ErrorMessage(err); !strings.Contains(msg, "c09等15列") || strings.Contains(msg, "c10") || !strings.Contains(msg, "c09 and 15 more") {
		t.Errorf("many columns: %q", msg)
	}
	if _, err := checkMapping(e, cfg, []string{"id", "full_name", "capital", "updated_at"}); err != nil {
		t.Errorf("matching columns refused: %v", err)
	}
}
