package web

import (
	"encoding"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"shuyu"
	"shuyu/workday"
)

// The bodies of the OpenAPI document come from the Go types the handlers
// read and write (recorded with each route, web/jsonapi.go): schemaSet turns
// a type into a JSON schema the way encoding/json would encode it. Named
// structs and named enumerations become components (#/components/schemas/…)
// referred to by $ref; anonymous structs are written in place.
//
// The rules, those of encoding/json: exported fields only, named by their
// json tag; `json:"-"` is skipped; embedded structs without a tag name are
// flattened (the shallower field wins); omitempty fields are not required,
// every other field is (it is always written); a pointer, slice or map
// without omitempty may be written as null (nullable); ",string" writes a
// number or bool as a string; `openapi:"notnull"` on a pointer, slice or
// map says the code never leaves it nil (a list always written as []).
// time.Time is a date-time string, []byte a
// base64 string, json.RawMessage and interfaces any JSON value.

// schemaEnums are the named string types whose values the code lists: their
// schemas carry the list as an enum. A named string type not listed here is
// a plain string.
var schemaEnums = map[reflect.Type][]string{
	reflect.TypeFor[shuyu.Grade]():          enumOf(shuyu.Grades),
	reflect.TypeFor[shuyu.OpenAttr]():       enumOf(shuyu.OpenAttrs),
	reflect.TypeFor[shuyu.AuthMode]():       enumOf(shuyu.AuthModes),
	reflect.TypeFor[shuyu.UpdateFreq]():     enumOf(shuyu.UpdateFreqs),
	reflect.TypeFor[shuyu.FieldType]():      enumOf(shuyu.FieldTypes),
	reflect.TypeFor[shuyu.RevisionStatus](): enumOf(shuyu.RevisionStatuses),
	reflect.TypeFor[shuyu.DemandStatus]():   enumOf(shuyu.DemandStatuses),
	reflect.TypeFor[shuyu.OrgKind]():        enumOf(shuyu.OrgKinds),
	reflect.TypeFor[shuyu.Role]():           enumOf(shuyu.Roles),
	reflect.TypeFor[shuyu.AuditAction]():    enumOf(shuyu.AuditActions()),
	reflect.TypeFor[workday.DayKind]():      {"holiday", "workday"}, // its MarshalText
}

func enumOf[T ~string](l []T) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = string(v)
	}
	return out
}

// schemaFacets add what a field's Go type cannot say, taken from the
// domain's own rules: the patterns its validation matches, the ranges it
// allows, and the fields only the server sets (readOnly: ignored in a
// request). Keyed by struct type, then Go field name.
var schemaFacets = map[reflect.Type]map[string]map[string]any{
	reflect.TypeFor[shuyu.CatalogRevision](): {
		"ID": readOnly, "EntryID": readOnly, "Version": readOnly, "Status": readOnly, "ReturnReason": readOnly,
		"ConsentBy": readOnly, "ConsentAt": readOnly, "PublishedAt": readOnly, "CreatedBy": readOnly,
		"CreatedAt": readOnly, "UpdatedAt": readOnly,
		"GradeLevel": {"minimum": 0, "maximum": shuyu.MaxGeneralLevel},
	},
	reflect.TypeFor[shuyu.CatalogField](): {"Name": {"pattern": shuyu.FieldNameRe.String()}},
	reflect.TypeFor[shuyu.CatalogEntry](): {"Code": {"pattern": shuyu.CatalogCodeRe.String()}},
}

var readOnly = map[string]any{"readOnly": true}

// schemaAny is the schema of "any JSON value" (types whose encoding is
// theirs: documents stored and served as they are).
var schemaAnyTypes = map[reflect.Type]bool{
	reflect.TypeFor[json.RawMessage](): true,
	reflect.TypeFor[shuyu.RawJSON]():   true,
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// schemaSet collects the component schemas of the types it has seen.
type schemaSet struct {
	defs  map[string]map[string]any // component name → schema
	names map[reflect.Type]string   // type → its component name
	// describe, when set, gives the description of a named type
	// (field == "") or of one of its fields (the Go field name); the test
	// that regenerates the document reads them from doc comments.
	describe func(t reflect.Type, field string) string
}

func newSchemaSet() *schemaSet {
	return &schemaSet{defs: map[string]map[string]any{}, names: map[reflect.Type]string{}}
}

// schema is the schema of values of type t: a $ref for named structs and
// enumerations, the schema itself otherwise.
func (g *schemaSet) schema(t reflect.Type) map[string]any {
	if schemaAnyTypes[t] {
		return map[string]any{}
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case schemaEnums[t] != nil:
		return g.component(t, func() map[string]any {
			return map[string]any{"type": "string", "enum": schemaEnums[t]}
		})
	case t.Kind() != reflect.Pointer && t.Implements(jsonMarshalerType),
		t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(jsonMarshalerType):
		panic(fmt.Sprintf("openapi: %s encodes itself: list it in schemaAnyTypes or give it a schema", t))
	case t.Kind() != reflect.Pointer && t.Implements(textMarshalerType):
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Int8, reflect.Int16, reflect.Int32:
		return map[string]any{"type": "integer", "format": "int32"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Pointer:
		return g.schema(t.Elem())
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		return g.component(t, func() map[string]any { return g.object(t) })
	}
	panic(fmt.Sprintf("openapi: no schema for %s (%s)", t, t.Kind()))
}

// component registers t's schema under its name once and refers to it.
func (g *schemaSet) component(t reflect.Type, build func() map[string]any) map[string]any {
	name, ok := g.names[t]
	if !ok {
		name = g.nameOf(t)
		g.names[t] = name
		g.defs[name] = nil // reserved: a recursive type refers to itself
		s := build()
		if d := g.description(t, ""); d != "" {
			s["description"] = d
		}
		g.defs[name] = s
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// nameOf names a component after its Go type: Application, ReviewDecision
// (for web's reviewDecision), ListOfApplication (for list[*shuyu.Application]);
// a name two types share gets the package in front (SqlstoreX).
func (g *schemaSet) nameOf(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 { // a generic type: Base[Args]
		var b strings.Builder
		b.WriteString(exported(name[:i]))
		b.WriteString("Of")
		for _, arg := range strings.Split(strings.TrimSuffix(name[i+1:], "]"), ",") {
			arg = strings.TrimLeft(strings.TrimSpace(arg), "*[]")
			if j := strings.LastIndexByte(arg, '.'); j >= 0 {
				arg = arg[j+1:]
			}
			b.WriteString(exported(arg))
		}
		name = b.String()
	} else {
		name = exported(name)
	}
	if _, taken := g.defs[name]; taken {
		pkg := t.PkgPath()
		if j := strings.LastIndexByte(pkg, '/'); j >= 0 {
			pkg = pkg[j+1:]
		}
		name = exported(pkg) + name
	}
	if _, taken := g.defs[name]; taken {
		panic(fmt.Sprintf("openapi: two types are named %s", name))
	}
	return name
}

func exported(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

// object is the schema of a struct, as encoding/json writes it.
func (g *schemaSet) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range jsonFields(t) {
		s := g.schema(f.typ)
		if f.asString {
			s = map[string]any{"type": "string"}
		}
		k := f.typ.Kind()
		if !f.omitempty && !f.notNull && (k == reflect.Pointer || k == reflect.Slice || k == reflect.Map || k == reflect.Interface) &&
			!schemaAnyTypes[f.typ] && len(s) > 0 {
			s = nullable(s)
		}
		for k, v := range schemaFacets[f.owner][f.goName] {
			s = withKey(s, k, v)
		}
		if d := g.description(f.owner, f.goName); d != "" {
			s = withKey(s, "description", d)
		}
		props[f.name] = s
		if !f.omitempty {
			required = append(required, f.name)
		}
	}
	out := map[string]any{"type": "object", "properties": props}
	if len(props) == 0 {
		out["additionalProperties"] = false // {} and nothing else
	}
	if len(required) > 0 {
		sort.Strings(required)
		out["required"] = required
	}
	return out
}

// nullable marks s as admitting null; a $ref cannot take siblings in
// OpenAPI 3.0, so it is wrapped in allOf.
func nullable(s map[string]any) map[string]any {
	if _, ref := s["$ref"]; ref {
		return map[string]any{"allOf": []any{s}, "nullable": true}
	}
	c := make(map[string]any, len(s)+1)
	for k, v := range s {
		c[k] = v
	}
	c["nullable"] = true
	return c
}

// withKey is s with key k set to v; a bare $ref is wrapped in allOf first
// (OpenAPI 3.0 ignores the siblings of a $ref).
func withKey(s map[string]any, k string, v any) map[string]any {
	if _, ref := s["$ref"]; ref && len(s) == 1 {
		s = map[string]any{"allOf": []any{s}}
	}
	c := make(map[string]any, len(s)+1)
	for k, v := range s {
		c[k] = v
	}
	c[k] = v
	return c
}

func (g *schemaSet) description(t reflect.Type, field string) string {
	if g.describe == nil || t.Name() == "" {
		return ""
	}
	return g.describe(t, field)
}

// jsonField is one field as encoding/json writes it.
type jsonField struct {
	name      string       // the JSON name
	goName    string       // the Go field name
	owner     reflect.Type // the struct that declares it
	typ       reflect.Type
	omitempty bool
	asString  bool
	notNull   bool // `openapi:"notnull"`: the code never leaves it nil
	depth     int
}

// jsonFields lists t's fields in the order encoding/json writes them:
// embedded structs are flattened, and of two fields with one name the
// shallower wins (two at the same depth cancel, as in encoding/json).
func jsonFields(t reflect.Type) []jsonField {
	var all []jsonField
	var walk func(t reflect.Type, depth int, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, depth int, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := f.Type
			if f.Anonymous && name == "" {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					walk(et, depth+1, seen)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			jf := jsonField{name: name, goName: f.Name, owner: t, typ: ft, depth: depth,
				notNull: f.Tag.Get("openapi") == "notnull"}
			for _, o := range strings.Split(opts, ",") {
				switch o {
				case "omitempty": // a struct is written even when empty
					jf.omitempty = jf.omitempty || ft.Kind() != reflect.Struct
				case "omitzero":
					jf.omitempty = true
				case "string":
					switch ft.Kind() {
					case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
						jf.asString = true
					}
				}
			}
			all = append(all, jf)
		}
	}
	walk(t, 0, map[reflect.Type]bool{})
	best := map[string]int{} // name → index in out, -1 when two tie
	var out []jsonField
	for _, f := range all {
		i, ok := best[f.name]
		switch {
		case !ok:
			best[f.name] = len(out)
			out = append(out, f)
		case i >= 0 && f.depth < out[i].depth:
			out[i] = f
		case i >= 0 && f.depth == out[i].depth:
			out[i].name = "" // ambiguous: encoding/json writes neither
			best[f.name] = -1
		}
	}
	kept := out[:0]
	for _, f := range out {
		if f.name != "" {
			kept = append(kept, f)
		}
	}
	return kept
}

// replyDescriptions are the default descriptions of success answers; a
// fragment may give its own.
var replyDescriptions = map[int]string{
	http.StatusOK:        "成功 (ok)",
	http.StatusCreated:   "已创建 (created)",
	http.StatusAccepted:  "已受理 (accepted)",
	http.StatusNoContent: "无内容 (no content)",
}

// bodiesDocument is the part of the OpenAPI document the route table gives:
// each API operation's request body and success answers, and the component
// schemas they refer to. web/openapi/schemas.json holds it (regenerated by
// `go test ./web -run OpenAPI -update`); mergeOpenAPI lays the hand-written
// fragments (summaries, parameters, descriptions, errors) over it.
func bodiesDocument(routes []route, describe func(t reflect.Type, field string) string) map[string]any {
	g := newSchemaSet()
	g.describe = describe
	paths := map[string]any{}
	for _, rt := range routes {
		if !rt.api {
			continue
		}
		op := map[string]any{}
		if rt.ep.in != nil {
			op["requestBody"] = map[string]any{
				"required": !rt.ep.inOptional,
				"content":  map[string]any{"application/json": map[string]any{"schema": g.schema(rt.ep.in)}},
			}
		}
		responses := map[string]any{}
		for _, r := range rt.ep.replies {
			resp := map[string]any{"description": replyDescriptions[r.status]}
			content := map[string]any{}
			if r.out != nil {
				media := r.as
				if media == "" {
					media = "application/json"
				}
				content[media] = map[string]any{"schema": g.schema(r.out)}
			}
			for _, m := range r.media {
				content[m] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
			}
			if len(content) > 0 {
				resp["content"] = content
			}
			responses[strconv.Itoa(r.status)] = resp
		}
		op["responses"] = responses
		ops, _ := paths[rt.pattern].(map[string]any)
		if ops == nil {
			ops = map[string]any{}
			paths[rt.pattern] = ops
		}
		ops[strings.ToLower(rt.method)] = op
	}
	schemas := map[string]any{}
	for name, s := range g.defs {
		schemas[name] = s
	}
	return map[string]any{"components": map[string]any{"schemas": schemas}, "paths": paths}
}
