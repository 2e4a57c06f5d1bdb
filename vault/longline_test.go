package vault

import (
	"os"
	"strings"
	"testing"
)

// Invariant 5 (R10.1): a CSV with one enormous line (50 MB, no newline) is
// refused as input with the row number, never a 500, and no value of the
// line is echoed; the previous version stays current and nothing is left
// in the staging directory.
func TestLoad_R10_1_OverlongLineRefusedWithRowNumber(t *testing.T) {
	d, _ := openTest(t)
	spec := peopleSpec()
	good := "id_no,name,age,county,income,born,mobile\n" + "110101199003074514,张三,35,640502,1.5,1990-03-07,13800138000\n"
	if _, _, err := load(t, d, spec, good, FileCSV); err != nil {
		t.Fatal(err)
	}
	secret := "SECRETVALUE"
	huge := good + "110101199003074530,李四,40,640502,2.5,1985-01-01,13900139000\n" +
		"110101199003074549,王五," + strings.Repeat(secret, 50<<20/len(secret)) + ",640502,1,1990-01-01,13700137000\n"
	_, _, err := load(t, d, spec, huge, FileCSV)
	rows := rowErrors(t, err)
	if len(rows) != 1 || rows[0].Row != 4 {
		t.Fatalf("row errors %+v, want row 4", rows)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(rows[0].Message, secret) {
		t.Fatal("the refused line's value is echoed")
	}
	if v, _ := d.Current(t.Context(), spec.Entry); v == nil || v.Rows != 1 {
		t.Fatalf("current version after the refusal: %+v", v)
	}
	// A header line that never ends: row 1.
	_, _, err = load(t, d, spec, strings.Repeat(secret, 3<<20/len(secret)), FileCSV)
	if rows := rowErrors(t, err); len(rows) != 1 || rows[0].Row != 1 || strings.Contains(err.Error(), secret) {
		t.Fatalf("endless header: %+v %v", rows, err)
	}
	if ents, _ := readDirNames(d.staging); len(ents) != 0 {
		t.Fatalf("staging left behind: %v", ents)
	}
}

func readDirNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, err
}
