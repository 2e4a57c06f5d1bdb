package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"sort"
)

// The OpenAPI 3 description of /api/v1 is kept in the repo as fragments:
// base.json (info, shared components) and one file of paths per capability
// (summaries, parameters, descriptions, errors; bodies only where they are
// not JSON: uploads), laid at start-up over schemas.json, which the route
// table's Go types give (every JSON body and the component schemas,
// openapi_schema.go). TestOpenAPI_MatchesRoutes keeps the document and the
// routes in step; TestOpenAPI_SchemasGolden keeps schemas.json in step with
// the types.
//
//go:embed openapi/*.json
var openapiFS embed.FS

var openapiDoc = mustMergeOpenAPI()

func mustMergeOpenAPI() []byte {
	b, err := mergeOpenAPI()
	if err != nil {
		panic(err) // a broken embedded document is a build defect, caught by every test
	}
	return b
}

// generatedOpenAPI is the fragment the Go types give.
const generatedOpenAPI = "openapi/schemas.json"

func mergeOpenAPI() ([]byte, error) {
	names, err := fs.Glob(openapiFS, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	doc := map[string]any{}
	paths := map[string]any{}
	components := map[string]map[string]any{}
	read := func(n string) (map[string]any, error) {
		b, err := fs.ReadFile(openapiFS, n)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("openapi %s: %w", n, err)
		}
		return part, nil
	}
	addComponents := func(n string, v any) error {
		m, _ := v.(map[string]any)
		for kind, named := range m {
			if components[kind] == nil {
				components[kind] = map[string]any{}
			}
			nm, _ := named.(map[string]any)
			for name, c := range nm {
				if _, dup := components[kind][name]; dup {
					return fmt.Errorf("openapi %s: components/%s/%s described twice", n, kind, name)
				}
				components[kind][name] = c
			}
		}
		return nil
	}
	if slices.Contains(names, generatedOpenAPI) {
		gen, err := read(generatedOpenAPI)
		if err != nil {
			return nil, err
		}
		if err := addComponents(generatedOpenAPI, gen["components"]); err != nil {
			return nil, err
		}
		if p, ok := gen["paths"].(map[string]any); ok {
			paths = p
		}
	}
	described := map[string]bool{}
	for _, n := range names {
		if n == generatedOpenAPI {
			continue
		}
		part, err := read(n)
		if err != nil {
			return nil, err
		}
		for k, v := range part {
			switch k {
			case "components":
				if err := addComponents(n, v); err != nil {
					return nil, err
				}
			case "paths":
				for p, ops := range v.(map[string]any) {
					if described[p] {
						return nil, fmt.Errorf("openapi %s: path %s described twice", n, p)
					}
					described[p] = true
					paths[p] = overlay(paths[p], ops)
				}
			default:
				doc[k] = v
			}
		}
	}
	doc["paths"] = paths
	doc["components"] = components
	return json.MarshalIndent(doc, "", " ")
}

// overlay lays the hand-written over the generated: objects merge key by
// key, anything else written by hand wins.
func overlay(generated, written any) any {
	g, ok1 := generated.(map[string]any)
	w, ok2 := written.(map[string]any)
	if !ok1 || !ok2 {
		return written
	}
	out := make(map[string]any, len(g)+len(w))
	for k, v := range g {
		out[k] = v
	}
	for k, v := range w {
		out[k] = overlay(out[k], v)
	}
	return out
}

// openapiDocument is the shape of the OpenAPI document itself.
type openapiDocument struct {
	OpenAPI    string                               `json:"openapi"`
	Info       map[string]any                       `json:"info"`
	Servers    []map[string]any                     `json:"servers"`
	Paths      map[string]map[string]map[string]any `json:"paths"`
	Components map[string]map[string]any            `json:"components"`
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(openapiDoc)
	return err
}
