package web

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"shuyu"
)

var updateOpenAPI = flag.Bool("update", false, "rewrite web/openapi/schemas.json from the routes' Go types")

// TestOpenAPI_SchemasGolden: web/openapi/schemas.json is what the routes'
// Go types give today (go test ./web -run OpenAPI -update rewrites it).
func TestOpenAPI_SchemasGolden(t *testing.T) {
	s := New(Config{})
	b, err := json.MarshalIndent(bodiesDocument(s.routes, docComments(t)), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	const file = "openapi/schemas.json"
	if *updateOpenAPI {
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", file, len(b))
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, b) {
		t.Fatalf("web/%s is stale: the routes' Go types changed; run go test ./web -run OpenAPI -update and review the diff", file)
	}
}

// TestOpenAPI_NoBareBodies: no request body and no success answer in the
// served document is a bare {"type":"object"} (or any value): each says
// what it holds.
func TestOpenAPI_NoBareBodies(t *testing.T) {
	doc := servedOpenAPI(t)
	typed := 0
	for p, ops := range doc.Paths {
		for m, op := range ops {
			var bodies []string
			check := func(where string, content map[string]any) {
				for media, c := range content {
					cm, _ := c.(map[string]any)
					sch, _ := cm["schema"].(map[string]any)
					if sch == nil || bareSchema(sch, doc.Components.Schemas, 0) {
						t.Errorf("%s %s: %s %s body is not described: %v", strings.ToUpper(m), p, where, media, cm["schema"])
					}
					bodies = append(bodies, media)
				}
			}
			if rb, ok := op["requestBody"].(map[string]any); ok {
				c, _ := rb["content"].(map[string]any)
				if len(c) == 0 {
					t.Errorf("%s %s: a request body without content", strings.ToUpper(m), p)
				}
				check("request", c)
			}
			resps, _ := op["responses"].(map[string]any)
			for st, r := range resps {
				if !strings.HasPrefix(st, "2") {
					continue
				}
				rm, _ := r.(map[string]any)
				c, _ := rm["content"].(map[string]any)
				if len(c) == 0 && st != "204" {
					t.Errorf("%s %s: answer %s has no body", strings.ToUpper(m), p, st)
				}
				check("answer "+st, c)
			}
			if len(bodies) > 0 {
				typed++
			}
		}
	}
	t.Logf("%d operations with described bodies", typed)
}

// TestOpenAPI_BodiesFromTypes: the bodies in the document are the routes'
// own: each success status a route answers is documented and no other;
// JSON bodies are not written by hand in the fragments (they come from the
// Go types); a route reading a file (upload) has its body described in its
// fragment, and a route reading nothing documents no body.
func TestOpenAPI_BodiesFromTypes(t *testing.T) {
	doc := servedOpenAPI(t)
	s := New(Config{})
	for _, rt := range s.routes {
		if !rt.api {
			continue
		}
		name := rt.method + " " + rt.pattern
		op := doc.Paths[rt.pattern][strings.ToLower(rt.method)]
		if op == nil {
			continue // TestOpenAPI_MatchesRoutes says so
		}
		var want, got []string
		for _, r := range rt.ep.replies {
			want = append(want, strconv.Itoa(r.status))
		}
		resps, _ := op["responses"].(map[string]any)
		for st := range resps {
			if strings.HasPrefix(st, "2") {
				got = append(got, st)
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s answers %v but the document says %v", name, want, got)
		}
		rb, _ := op["requestBody"].(map[string]any)
		switch {
		case rt.ep.inForm:
			c, _ := rb["content"].(map[string]any)
			if len(c) == 0 {
				t.Errorf("%s reads a file: describe its body in the fragment", name)
			}
			if c["application/json"] != nil {
				t.Errorf("%s reads a file, not JSON", name)
			}
		case rt.ep.in == nil && rb != nil:
			t.Errorf("%s reads no body but the document describes one", name)
		}
	}
	// The fragments write no JSON body schema: those are generated.
	names, _ := fs.Glob(openapiFS, "openapi/*.json")
	for _, n := range names {
		if n == generatedOpenAPI {
			continue
		}
		b, _ := fs.ReadFile(openapiFS, n)
		var part struct {
			Paths map[string]map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(b, &part); err != nil {
			t.Fatal(err)
		}
		for p, ops := range part.Paths {
			for m, op := range ops {
				if rb, ok := op["requestBody"].(map[string]any); ok {
					if c, _ := rb["content"].(map[string]any); c["application/json"] != nil {
						t.Errorf("%s: %s %s writes its JSON request body by hand: it comes from the Go type", n, m, p)
					}
				}
				resps, _ := op["responses"].(map[string]any)
				for st, r := range resps {
					rm, _ := r.(map[string]any)
					if strings.HasPrefix(st, "2") && rm["content"] != nil {
						t.Errorf("%s: %s %s writes its %s body by hand: it comes from the route", n, m, p, st)
					}
				}
			}
		}
	}
}

// TestOpenAPISchema_FollowsEncodingJSON: the generator describes what
// encoding/json writes.
func TestOpenAPISchema_FollowsEncodingJSON(t *testing.T) {
	type inner struct {
		A string `json:"a"`
		B int    `json:"b,omitempty"`
	}
	type sample struct {
		inner
		B       string `json:"b"` // shallower: wins over inner.B
		Skip    string `json:"-"`
		hidden  string
		Ptr     *int            `json:"ptr"`
		Opt     *int            `json:"opt,omitempty"`
		List    []string        `json:"list"`
		Bytes   []byte          `json:"bytes,omitempty"`
		When    string          `json:"when,omitempty"`
		Map     map[string]int  `json:"map,omitempty"`
		Raw     json.RawMessage `json:"raw"`
		Num     int64           `json:"num,string"`
		Role    *[]shuyu.Role   `json:"roles,omitempty"`
		Default int
	}
	_ = sample{}.hidden
	g := newSchemaSet()
	ref := g.schema(reflect.TypeFor[sample]())
	if ref["$ref"] != "#/components/schemas/Sample" {
		t.Fatalf("ref %v", ref)
	}
	s := g.defs["Sample"]
	props := s["properties"].(map[string]any)
	var names []string
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	if got := strings.Join(names, ","); got != "Default,a,b,bytes,list,map,num,opt,ptr,raw,roles,when" {
		t.Fatalf("properties %s", got)
	}
	if got := strings.Join(s["required"].([]string), ","); got != "Default,a,b,list,num,ptr,raw" {
		t.Fatalf("required %s", got)
	}
	want := map[string]string{
		"b":     `{"type":"string"}`,
		"ptr":   `{"format":"int64","nullable":true,"type":"integer"}`,
		"opt":   `{"format":"int64","type":"integer"}`,
		"list":  `{"items":{"type":"string"},"nullable":true,"type":"array"}`,
		"bytes": `{"format":"byte","type":"string"}`,
		"map":   `{"additionalProperties":{"format":"int64","type":"integer"},"type":"object"}`,
		"raw":   `{}`,
		"num":   `{"type":"string"}`,
		"roles": `{"items":{"$ref":"#/components/schemas/Role"},"type":"array"}`,
	}
	for k, w := range want {
		b, _ := json.Marshal(props[k])
		if string(b) != w {
			t.Errorf("%s: %s, want %s", k, b, w)
		}
	}
	role, _ := json.Marshal(g.defs["Role"])
	if !strings.Contains(string(role), `"enum":["authority",`) {
		t.Errorf("Role: %s", role)
	}
	// An interface result says nothing: such a route cannot be registered.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("jsonRoute accepted an interface result")
			}
		}()
		jsonRoute[noBody, any](200, nil)
	}()
}

// servedOpenAPI is the document as GET /api/v1/openapi.json serves it.
func servedOpenAPI(t *testing.T) struct {
	Paths      map[string]map[string]map[string]any `json:"paths"`
	Components struct {
		Schemas map[string]any `json:"schemas"`
	} `json:"components"`
} {
	t.Helper()
	var doc struct {
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// bareSchema reports whether s says nothing of the value's shape: any
// value, or an object without properties or a schema for its values (an
// object that must be empty says what it holds).
func bareSchema(s map[string]any, comps map[string]any, depth int) bool {
	if depth > 20 {
		return false
	}
	if ref, ok := s["$ref"].(string); ok {
		c, _ := comps[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		return c == nil || bareSchema(c, comps, depth+1)
	}
	for _, k := range []string{"allOf", "oneOf", "anyOf"} {
		if l, ok := s[k].([]any); ok {
			for _, e := range l {
				if em, _ := e.(map[string]any); em != nil && !bareSchema(em, comps, depth+1) {
					return false
				}
			}
			return true
		}
	}
	switch s["type"] {
	case "array":
		items, _ := s["items"].(map[string]any)
		return items == nil || bareSchema(items, comps, depth+1)
	case "object", nil:
		if p, _ := s["properties"].(map[string]any); len(p) > 0 {
			return false
		}
		if s["additionalProperties"] == false {
			return false // exactly {}
		}
		ap, _ := s["additionalProperties"].(map[string]any)
		return len(ap) == 0
	}
	return false
}

// docComments reads the doc comments of the module's types and fields,
// for the descriptions of the generated schemas: the first paragraph of a
// type's comment, a field's comment (above it or at the end of its line).
func docComments(t *testing.T) func(reflect.Type, string) string {
	t.Helper()
	docs := map[string]string{} // pkgpath.Type or pkgpath.Type.Field
	parsed := map[string]bool{}
	load := func(pkg string) {
		if parsed[pkg] {
			return
		}
		parsed[pkg] = true
		dir := ".."
		if rest, ok := strings.CutPrefix(pkg, "shuyu/"); ok {
			dir = filepath.Join("..", rest)
		} else if pkg != "shuyu" {
			return
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		fset := token.NewFileSet()
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range af.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.TYPE {
					continue
				}
				for _, sp := range gd.Specs {
					ts := sp.(*ast.TypeSpec)
					doc := ts.Doc
					if doc == nil && len(gd.Specs) == 1 {
						doc = gd.Doc
					}
					if doc != nil {
						para, _, _ := strings.Cut(doc.Text(), "\n\n")
						docs[pkg+"."+ts.Name.Name] = oneLine(para)
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, f := range st.Fields.List {
						c := f.Doc
						if c == nil {
							c = f.Comment
						}
						if c == nil {
							continue
						}
						for _, n := range f.Names {
							docs[pkg+"."+ts.Name.Name+"."+n.Name] = oneLine(c.Text())
						}
					}
				}
			}
		}
	}
	return func(typ reflect.Type, field string) string {
		load(typ.PkgPath())
		name, _, _ := strings.Cut(typ.Name(), "[")
		key := typ.PkgPath() + "." + name
		if field != "" {
			key += "." + field
		}
		return docs[key]
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
