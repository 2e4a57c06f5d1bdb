package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The requirement lists live in the repository: reqtrace reads nothing
// outside it, and both lists parse with their IDs unique.
func TestRequirementFilesInRepo(t *testing.T) {
	root := filepath.Join("..", "..")
	reqs := map[string]*req{}
	counts := map[string]int{}
	for _, p := range []string{cityFile, nationalFile} {
		f, err := os.Open(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		order, err := readRequirements(f, reqs)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		counts[p] = len(order)
	}
	if counts[cityFile] < 50 {
		t.Errorf("%s: %d requirements, want the city's ~60", cityFile, counts[cityFile])
	}
	for _, id := range []string{"R2.1", "R21.3", "R34.1", "NREG.1", "NIMP.7", "NPRC.5", "NDIS.1"} {
		if reqs[id] == nil {
			t.Errorf("requirement %s missing", id)
		}
	}
	// NREG.6 wraps over several lines; its text is whole.
	if r := reqs["NREG.6"]; r == nil || !strings.Contains(r.text, "cancellation completed within 10 working days") {
		t.Errorf("NREG.6 continuation lines not joined: %+v", r)
	}
}

func TestReadRequirements(t *testing.T) {
	in := `# Title
- R21.3 Silence is approval.
- NREG.3 Procedure: application (申请、受理、
  形式审核) and
  public notice.
Some paragraph
  indented but not a requirement.
- R4.2 Raw data stays.
`
	reqs := map[string]*req{}
	order, err := readRequirements(strings.NewReader(in), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"R21.3", "NREG.3", "R4.2"}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	if got, want := reqs["NREG.3"].text, "Procedure: application (申请、受理、形式审核) and public notice."; got != want {
		t.Errorf("NREG.3 text %q, want %q", got, want)
	}
	if _, err := readRequirements(strings.NewReader("- R4.2 again\n"), reqs); err == nil {
		t.Error("a duplicate ID was accepted")
	}
}

func TestScanFile(t *testing.T) {
	reqs := map[string]*req{}
	if _, err := readRequirements(strings.NewReader("- R21.3 a\n- NREG.6 b\n- R2.1 c\n"), reqs); err != nil {
		t.Fatal(err)
	}
	scanFile("sqlstore/sweep.go", "// R21.3: silence past the deadline is approval.\n// R21.30 is no requirement; NREG.6 is.\n", reqs)
	scanFile("sqlstore/sweep_test.go", "func TestSweep_R21_3_Deemed(t *testing.T) {\n// R2.1 in a test body is not a citation\nfunc TestRegistry_NREG_6_Limits(t *testing.T) {\n", reqs)
	scanFile("policy_test.go", "func TestPolicy_R2_1(t *testing.T) {\n", reqs)
	check := func(id string, code, tests []string) {
		t.Helper()
		r := reqs[id]
		if got := keys(r.code); !slices.Equal(got, code) {
			t.Errorf("%s code %v, want %v", id, got, code)
		}
		if got := keys(r.tests); !slices.Equal(got, tests) {
			t.Errorf("%s tests %v, want %v", id, got, tests)
		}
	}
	check("R21.3", []string{"sqlstore/sweep.go"}, []string{"sqlstore.TestSweep_R21_3_Deemed"})
	check("NREG.6", []string{"sqlstore/sweep.go"}, []string{"sqlstore.TestRegistry_NREG_6_Limits"})
	check("R2.1", []string{}, []string{"shuyu.TestPolicy_R2_1"})

	var out bytes.Buffer
	write(&out, reqs, []*source{{title: "T", path: "docs/requirements/X.md", order: []string{"R21.3", "NREG.6", "R2.1"}}})
	for _, want := range []string{"[docs/requirements/X.md](requirements/X.md)", "Requirements with at least one named test: 3 of 3.",
		"| NREG.6 | b | sqlstore/sweep.go | sqlstore.TestRegistry_NREG_6_Limits |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
