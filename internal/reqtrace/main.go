// Command reqtrace writes docs/requirements.md: for every requirement of
// the city's measures (docs/requirements/REQUIREMENTS.md, IDs R<article>.<n>)
// and of the national rules (docs/requirements/REQUIREMENTS-NATIONAL.md,
// IDs NREG.n, NIMP.n, NPRC.n, NDIS.n), where the code cites it (a comment
// naming the rule it enforces) and which tests carry its ID in their name
// (R21.3 as R21_3, NREG.4 as NREG_4). Everything it reads is inside the
// repository. Run it from the repository root after a change:
//
//	go run ./internal/reqtrace > docs/requirements.md
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	cityFile     = "docs/requirements/REQUIREMENTS.md"
	nationalFile = "docs/requirements/REQUIREMENTS-NATIONAL.md"
)

// An ID is R<article>.<n> (the city's measures) or one of the national
// prefixes followed by .<n>. In a test name the dot is an underscore.
const idPattern = `(R\d+|NREG|NIMP|NPRC|NDIS)`

var (
	reqLine  = regexp.MustCompile(`^- ` + idPattern + `\.(\d+) (.*)$`)
	contLine = regexp.MustCompile(`^\s+(\S.*)$`)
	idInText = regexp.MustCompile(`\b` + idPattern + `\.(\d+)\b`)
	testFunc = regexp.MustCompile(`^func ((?:Test|Benchmark|Fuzz)\w+)\(`)
	// In a test name an ID is written with an underscore for its dot:
	// TestSweep_R21_3_DeemedApproval, TestRegistry_NREG_6_TimeLimits.
	idInName = regexp.MustCompile(idPattern + `_(\d+)`)
)

type req struct {
	id, text string
	code     map[string]bool // file paths
	tests    map[string]bool // package.TestName
}

// source is one requirements file and the requirements it lists, in order.
type source struct {
	title, path string
	order       []string
}

func main() {
	city := flag.String("requirements", cityFile, "the city's requirements file")
	national := flag.String("national", nationalFile, "the national requirements file (empty to skip)")
	flag.Parse()
	reqs := map[string]*req{}
	sources := []*source{{title: "City measures (中卫市公共数据资源授权运营管理办法)", path: *city}}
	if *national != "" {
		sources = append(sources, &source{title: "National rules of 2025 (国家 2025 年规则)", path: *national})
	}
	for _, s := range sources {
		f, err := os.Open(s.path)
		if err != nil {
			fail(err)
		}
		s.order, err = readRequirements(f, reqs)
		f.Close()
		if err != nil {
			fail(fmt.Errorf("%s: %w", s.path, err))
		}
	}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasPrefix(path, "internal/reqtrace") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanFile(path, string(b), reqs)
		return nil
	})
	if err != nil {
		fail(err)
	}
	write(os.Stdout, reqs, sources)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "reqtrace:", err)
	os.Exit(1)
}

// readRequirements adds the requirements listed in r to reqs and returns
// their IDs in order. A requirement is a list item "- ID text"; indented
// lines after it continue its text. An ID listed twice is an error.
func readRequirements(r io.Reader, reqs map[string]*req) ([]string, error) {
	var order []string
	var last *req
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := reqLine.FindStringSubmatch(line); m != nil {
			id := m[1] + "." + m[2]
			if reqs[id] != nil {
				return nil, fmt.Errorf("requirement %s listed twice", id)
			}
			last = &req{id: id, text: m[3], code: map[string]bool{}, tests: map[string]bool{}}
			reqs[id] = last
			order = append(order, id)
			continue
		}
		if m := contLine.FindStringSubmatch(line); m != nil && last != nil {
			last.text = joinLines(last.text, m[1])
			continue
		}
		last = nil
	}
	return order, sc.Err()
}

// joinLines joins a wrapped line to the text before it: with a space,
// except between two Chinese characters, where the break was no space.
func joinLines(text, more string) string {
	prev, _ := utf8.DecodeLastRuneInString(text)
	next, _ := utf8.DecodeRuneInString(more)
	if isCJK(prev) && isCJK(next) {
		return text + more
	}
	return text + " " + more
}

func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xffef
}

// scanFile records where the source at path cites a requirement: comments
// and code of non-test files under code, names of test functions under
// tests.
func scanFile(path, src string, reqs map[string]*req) {
	isTest := strings.HasSuffix(path, "_test.go")
	pkg := filepath.ToSlash(filepath.Dir(path))
	if pkg == "." {
		pkg = "shuyu" // the root package
	}
	for _, line := range strings.Split(src, "\n") {
		if m := testFunc.FindStringSubmatch(line); m != nil && isTest {
			for _, id := range idInName.FindAllStringSubmatch(m[1], -1) {
				if r := reqs[id[1]+"."+id[2]]; r != nil {
					r.tests[pkg+"."+m[1]] = true
				}
			}
			continue
		}
		if isTest {
			continue
		}
		for _, id := range idInText.FindAllStringSubmatch(line, -1) {
			if r := reqs[id[1]+"."+id[2]]; r != nil {
				r.code[filepath.ToSlash(path)] = true
			}
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func write(w io.Writer, reqs map[string]*req, sources []*source) {
	fmt.Fprintln(w, "# Requirements → code → tests")
	fmt.Fprintln(w)
	var paths []string
	for _, s := range sources {
		if rel, ok := strings.CutPrefix(filepath.ToSlash(s.path), "docs/"); ok {
			paths = append(paths, "["+s.path+"]("+rel+")") // a link relative to docs/requirements.md
		} else {
			paths = append(paths, "`"+s.path+"`")
		}
	}
	fmt.Fprintf(w, "Generated by `go run ./internal/reqtrace > docs/requirements.md` from %s and the\n", strings.Join(paths, " and "))
	fmt.Fprintln(w, "source: **code** lists the files whose comments cite the requirement where a rule is enforced; **tests** lists")
	fmt.Fprintln(w, "the tests and benchmarks whose names carry its ID (R21.3 as `R21_3`, NREG.4 as `NREG_4`). A requirement with")
	fmt.Fprintln(w, "no test here is not yet proven.")
	for _, s := range sources {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "## %s\n\n", s.title)
		covered := 0
		for _, id := range s.order {
			if len(reqs[id].tests) > 0 {
				covered++
			}
		}
		fmt.Fprintf(w, "Requirements with at least one named test: %d of %d.\n\n", covered, len(s.order))
		fmt.Fprintln(w, "| ID | requirement | code | tests |")
		fmt.Fprintln(w, "| --- | --- | --- | --- |")
		for _, id := range s.order {
			r := reqs[id]
			text := strings.ReplaceAll(r.text, "|", "\\|")
			code := strings.Join(keys(r.code), "<br>")
			tests := strings.Join(keys(r.tests), "<br>")
			if code == "" {
				code = "—"
			}
			if tests == "" {
				tests = "—"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", id, text, code, tests)
		}
	}
}
