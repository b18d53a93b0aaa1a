package httpx

import (
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Route describes one API operation. Registering a handler through API.Handle
// is the only way to add an API route, so the OpenAPI document cannot miss
// one.
type Route struct {
	Method   string
	Path     string // ServeMux pattern path, e.g. /api/v1/orgunits/{id}
	Summary  string
	Tag      string
	Public   bool     // true when no credentials are needed
	Request  any      // example value of the JSON body, or nil
	Response any      // example value of the JSON response, or nil
	List     bool     // the response is a JSON array of Response, paginated
	Query    []string // query parameters, "name: description"
	Status   int      // success status, 200 when zero
}

// API is the registry of the /api/v1 routes.
type API struct {
	mux    *http.ServeMux
	routes []Route
	wrap   func(Route, http.Handler) http.Handler
}

// NewAPI registers routes on mux; wrap (may be nil) decorates each handler,
// e.g. with authentication.
func NewAPI(mux *http.ServeMux, wrap func(Route, http.Handler) http.Handler) *API {
	return &API{mux: mux, wrap: wrap}
}

// HandlerFunc is a page or API handler: it writes a response and returns
// nil, or writes nothing and returns the error, which one adapter renders
// (problem+json here, the error page in web).
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle registers h for rt; an error h returns is written as
// problem+json.
func (a *API) Handle(rt Route, h HandlerFunc) {
	a.routes = append(a.routes, rt)
	var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			Error(w, r, err)
		}
	})
	if a.wrap != nil {
		handler = a.wrap(rt, handler)
	}
	a.mux.Handle(rt.Method+" "+rt.Path, handler)
}

// Routes lists what has been registered.
func (a *API) Routes() []Route { return a.routes }

var pathParam = regexp.MustCompile(`\{([a-zA-Z]+)(\.\.\.)?\}`)

// OpenAPI builds the OpenAPI 3.1 document of every registered route.
func (a *API) OpenAPI(version string) map[string]any {
	paths := map[string]map[string]any{}
	schemas := &schemaSet{defs: map[string]any{}, owners: map[string]reflect.Type{}}
	for _, rt := range a.routes {
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"tags":        []string{rt.Tag},
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			name, desc, _ := strings.Cut(q, ":")
			params = append(params, map[string]any{"name": strings.TrimSpace(name), "in": "query", "description": strings.TrimSpace(desc), "schema": map[string]any{"type": "string"}})
		}
		if rt.List {
			params = append(params,
				map[string]any{"name": "limit", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1}},
				map[string]any{"name": "offset", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 0}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Request), schemas)}}}
		}
		status := rt.Status
		if status == 0 {
			status = 200
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if rt.Response != nil {
			s := schemaOf(reflect.TypeOf(rt.Response), schemas)
			if rt.List {
				s = map[string]any{"type": "array", "items": s}
				ok["headers"] = map[string]any{
					"X-Total-Count": map[string]any{"schema": map[string]any{"type": "integer"}},
					"Link":          map[string]any{"schema": map[string]any{"type": "string"}, "description": `rel="next" when more pages follow`},
				}
			}
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": s}}
		}
		problem := map[string]any{"description": "problem details (RFC 9457)", "content": map[string]any{
			"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
		op["responses"] = map[string]any{itoa(status): ok, "default": problem}
		if !rt.Public {
			op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}}
		}
		p := pathParam.ReplaceAllString(rt.Path, "{$1}")
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(rt.Method)] = op
	}
	schemaOf(reflect.TypeOf(Problem{}), schemas)
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "tinhso API",
			"version":     version,
			"description": "Nền tảng chuyển đổi số cấp tỉnh — the provincial digital-government platform. Errors are application/problem+json with a stable code.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas.defs,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "token from `tinhso user token` or the account page"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "tinhso_session"},
			},
		},
	}
}

func operationID(rt Route) string {
	s := strings.ToLower(rt.Method) + strings.NewReplacer("/api/v1/", "_", "/", "_", "{", "", "}", "", ".", "").Replace(rt.Path)
	return strings.Trim(s, "_")
}

func itoa(n int) string { return strconv.Itoa(n) }

var timeType = reflect.TypeOf(time.Time{})

// schemaSet holds the named schemas of the document and the Go type each
// name stands for, so that two types of one name (org.Event, audit.Event)
// get two schemas.
type schemaSet struct {
	defs   map[string]any
	owners map[string]reflect.Type
}

// nameOf is the schema name of a named type: its Go name, prefixed with its
// package's name when another type already holds that name.
func (s *schemaSet) nameOf(t reflect.Type) string {
	name := t.Name()
	pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
	for i := 0; ; i++ {
		if owner, ok := s.owners[name]; !ok || owner == t {
			s.owners[name] = t
			return name
		}
		name = strings.ToUpper(pkg[:1]) + pkg[1:] + t.Name()
		if i > 0 {
			name += strconv.Itoa(i + 1)
		}
	}
}

// schemaOf describes t as a JSON schema, adding named structs to schemas.
func schemaOf(t reflect.Type, schemas *schemaSet) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case t.Kind() == reflect.Struct:
		if t.Name() == "" {
			return structSchema(t, schemas)
		}
		name := schemas.nameOf(t)
		if _, ok := schemas.defs[name]; !ok {
			schemas.defs[name] = map[string]any{} // guards recursion
			schemas.defs[name] = structSchema(t, schemas)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func structSchema(t reflect.Type, schemas *schemaSet) map[string]any {
	props := map[string]any{}
	var required []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			if s, ok := schemaOf(f.Type, schemas)["$ref"].(string); ok {
				sub := schemas.defs[strings.TrimPrefix(s, "#/components/schemas/")].(map[string]any)
				for k, v := range sub["properties"].(map[string]any) {
					props[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := schemaOf(f.Type, schemas)
		if d := f.Tag.Get("doc"); d != "" {
			s = map[string]any{"allOf": []any{s}, "description": d}
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	sort.Strings(required)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}
