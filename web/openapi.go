package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
)

// The OpenAPI 3 description of /api/v1 is kept in the repo as fragments:
// base.json (info, components) and one file of paths per capability, merged
// at start-up. TestOpenAPI_MatchesRoutes keeps it and the route table in
// step.
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

func mergeOpenAPI() ([]byte, error) {
	names, err := fs.Glob(openapiFS, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	doc := map[string]any{}
	paths := map[string]any{}
	for _, n := range names {
		b, err := fs.ReadFile(openapiFS, n)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("openapi %s: %w", n, err)
		}
		for k, v := range part {
			if k != "paths" {
				doc[k] = v
				continue
			}
			for p, ops := range v.(map[string]any) {
				if _, dup := paths[p]; dup {
					return nil, fmt.Errorf("openapi %s: path %s described twice", n, p)
				}
				paths[p] = ops
			}
		}
	}
	doc["paths"] = paths
	return json.MarshalIndent(doc, "", " ")
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(openapiDoc)
	return err
}
