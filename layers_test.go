package shuyu

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// layers is which packages of this module each package may import
// (non-test files; tests may reach further). It is the table of
// docs/design.md: change both together, in a reviewed diff.
var layers = map[string][]string{
	"shuyu":                      {}, // the domain: standard library only
	"shuyu/ident":                {"shuyu"},
	"shuyu/workday":              {"shuyu"},
	"shuyu/credential":           {},
	"shuyu/keys":                 {},
	"shuyu/backup":               {},
	"shuyu/audit":                {"shuyu"},
	"shuyu/catalogxlsx":          {"shuyu"},
	"shuyu/synth":                {"shuyu", "shuyu/ident"},
	"shuyu/vault":                {"shuyu"},
	"shuyu/sandbox":              {"shuyu"},
	"shuyu/outcheck":             {"shuyu", "shuyu/ident", "shuyu/vault"},
	"shuyu/sqlstore":             {"shuyu", "shuyu/audit", "shuyu/credential", "shuyu/ident", "shuyu/keys", "shuyu/workday"},
	"shuyu/workspace":            {"shuyu", "shuyu/keys", "shuyu/sandbox", "shuyu/sqlstore", "shuyu/synth", "shuyu/vault"},
	"shuyu/output":               {"shuyu", "shuyu/outcheck", "shuyu/sqlstore", "shuyu/vault", "shuyu/workspace"},
	"shuyu/dataservice":          {"shuyu", "shuyu/ident", "shuyu/outcheck", "shuyu/sandbox", "shuyu/sqlstore", "shuyu/vault", "shuyu/workspace"},
	"shuyu/supply":               {"shuyu", "shuyu/sqlstore", "shuyu/vault"},
	"shuyu/web":                  {"shuyu", "shuyu/audit", "shuyu/catalogxlsx", "shuyu/dataservice", "shuyu/outcheck", "shuyu/output", "shuyu/sqlstore", "shuyu/supply", "shuyu/vault", "shuyu/workday", "shuyu/workspace"},
	"shuyu/demo":                 {"shuyu", "shuyu/dataservice", "shuyu/ident", "shuyu/output", "shuyu/sqlstore", "shuyu/supply", "shuyu/synth", "shuyu/vault", "shuyu/workspace"},
	"shuyu/cmd/shuyu":            {"shuyu", "shuyu/audit", "shuyu/backup", "shuyu/demo", "shuyu/keys", "shuyu/sqlstore", "shuyu/vault", "shuyu/web", "shuyu/workday"},
	"shuyu/sqlstore/sqltest":     {"shuyu", "shuyu/sqlstore"},
	"shuyu/workspace/wstest":     {"shuyu", "shuyu/sqlstore", "shuyu/sqlstore/sqltest", "shuyu/synth", "shuyu/vault"},
	"shuyu/internal/browsertest": {},
	"shuyu/internal/reqtrace":    {},
}

// Every package imports only what its layer allows, and the domain
// package imports nothing outside the standard library.
func TestLayers_ImportsFollowDesign(t *testing.T) {
	fset := token.NewFileSet()
	imports := map[string]map[string]bool{} // package → imports
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := "shuyu"
		if dir := filepath.ToSlash(filepath.Dir(path)); dir != "." {
			pkg += "/" + dir
		}
		if imports[pkg] == nil {
			imports[pkg] = map[string]bool{}
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			imports[pkg][p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(imports) < 10 {
		t.Fatalf("found %d packages: the walk is broken", len(imports))
	}
	for pkg, ims := range imports {
		allowed, ok := layers[pkg]
		if !ok {
			t.Errorf("package %s is not in the layer table: add it to layers (layers_test.go) and to docs/design.md", pkg)
			continue
		}
		for im := range ims {
			own := im == "shuyu" || strings.HasPrefix(im, "shuyu/")
			switch {
			case own && !slices.Contains(allowed, im):
				t.Errorf("%s imports %s, which its layer does not allow (docs/design.md, layers_test.go)", pkg, im)
			case pkg == "shuyu" && strings.Contains(strings.Split(im, "/")[0], "."):
				t.Errorf("the domain package imports %s: it uses the standard library only", im)
			}
		}
	}
}
