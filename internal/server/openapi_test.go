package server_test

import (
	"encoding/json"
	"maps"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

type openAPIDoc struct {
	OpenAPI    string                                 `json:"openapi"`
	Info       struct{ Title, Version string }        `json:"info"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Schemas         map[string]map[string]any `json:"schemas"`
		SecuritySchemes map[string]any            `json:"securitySchemes"`
	} `json:"components"`
}

type openAPIOperation struct {
	Summary     string           `json:"summary"`
	OperationID string           `json:"operationId"`
	Tags        []string         `json:"tags"`
	Parameters  []map[string]any `json:"parameters"`
	RequestBody map[string]any   `json:"requestBody"`
	Responses   map[string]struct {
		Description string                                     `json:"description"`
		Content     map[string]struct{ Schema map[string]any } `json:"content"`
	} `json:"responses"`
	Security []map[string]any `json:"security"`
}

var pathParamRe = regexp.MustCompile(`\{([a-zA-Z]+)\}`)

// TestOpenAPI checks the OpenAPI document against the routes, both ways.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	testapp.Each(t, openAPI)
}

func openAPI(t *testing.T, app *testapp.App) {
	// The document is public: clients read it before they have a token.
	status, body, h := app.Send(t, nil, testapp.Call{Method: "GET", Path: "/api/v1/openapi.json"})
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s", status, h.Get("Content-Type"))
	}
	if !json.Valid(body) {
		t.Fatal("openapi.json is not valid JSON")
	}
	var doc openAPIDoc
	testapp.JSON(t, body, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") || doc.Info.Title == "" || doc.Info.Version == "" {
		t.Fatalf("openapi %q, info %+v", doc.OpenAPI, doc.Info)
	}
	for _, s := range []string{"bearer", "session"} {
		if doc.Components.SecuritySchemes[s] == nil {
			t.Errorf("security scheme %s missing", s)
		}
	}
	if doc.Components.Schemas["Problem"] == nil {
		t.Error("the Problem schema is missing")
	}

	t.Run("every route is documented", func(t *testing.T) {
		routes := app.Server.API.Routes()
		if len(routes) < 18 {
			t.Fatalf("only %d routes registered", len(routes))
		}
		for _, rt := range routes {
			op, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
			if !ok {
				t.Errorf("%s %s is not in the document", rt.Method, rt.Path)
				continue
			}
			if strings.TrimSpace(op.Summary) == "" || op.Summary != rt.Summary {
				t.Errorf("%s %s: summary %q", rt.Method, rt.Path, op.Summary)
			}
			success := strconv.Itoa(max(rt.Status, 200))
			if rt.Status == 0 {
				success = "200"
			}
			if op.Responses[success].Description == "" || op.Responses["default"].Description == "" {
				t.Errorf("%s %s: responses %v lack %s or default", rt.Method, rt.Path, slices.Collect(maps.Keys(op.Responses)), success)
			}
			if _, ok := op.Responses["default"].Content["application/problem+json"]; !ok {
				t.Errorf("%s %s: errors are not documented as problem+json", rt.Method, rt.Path)
			}
			if rt.Response != nil {
				if _, ok := op.Responses[success].Content["application/json"]; !ok {
					t.Errorf("%s %s: the response body is not documented", rt.Method, rt.Path)
				}
			}
			if (rt.Request != nil) != (op.RequestBody != nil) {
				t.Errorf("%s %s: request body documented %v, route takes one %v", rt.Method, rt.Path, op.RequestBody != nil, rt.Request != nil)
			}
			params := map[string]string{}
			for _, p := range op.Parameters {
				params[p["name"].(string)] = p["in"].(string)
			}
			for _, m := range pathParamRe.FindAllStringSubmatch(rt.Path, -1) {
				if params[m[1]] != "path" {
					t.Errorf("%s %s: path parameter %s undocumented", rt.Method, rt.Path, m[1])
				}
			}
			if rt.List && (params["limit"] != "query" || params["offset"] != "query") {
				t.Errorf("%s %s: a list without limit and offset", rt.Method, rt.Path)
			}
			if !rt.Public && len(op.Security) == 0 {
				t.Errorf("%s %s: needs credentials but documents no security", rt.Method, rt.Path)
			}
		}
	})

	t.Run("operation ids are unique", func(t *testing.T) {
		seen := map[string]string{}
		for path, ops := range doc.Paths {
			for method, op := range ops {
				if op.OperationID == "" {
					t.Errorf("%s %s has no operationId", method, path)
				}
				if other, dup := seen[op.OperationID]; dup {
					t.Errorf("operationId %s used by %s and %s %s", op.OperationID, other, method, path)
				}
				seen[op.OperationID] = method + " " + path
			}
		}
	})

	t.Run("every schema reference resolves", func(t *testing.T) {
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if ref, ok := v["$ref"].(string); ok {
					name := strings.TrimPrefix(ref, "#/components/schemas/")
					if doc.Components.Schemas[name] == nil {
						t.Errorf("dangling reference %s", ref)
					}
				}
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		var raw any
		json.Unmarshal(body, &raw)
		walk(raw)
	})

	t.Run("every documented operation is served", func(t *testing.T) {
		// Real ids for the path parameters, by the collection they name.
		status, tok, _ := app.Send(t, nil, testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/me/tokens", Body: `{"name":"openapi"}`})
		if status != 201 {
			t.Fatalf("create a token: %d %s", status, tok)
		}
		var newTok struct{ ID int64 }
		testapp.JSON(t, tok, &newTok)
		// An official of its own, as the calls disable them.
		status, off, _ := app.Send(t, nil, testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials",
			Body: `{"username":"openapi.test","fullName":"Kiểm Thử Tài Liệu","unitId":{unit:LC},"password":"mat-khau-tai-lieu"}`})
		if status != 201 {
			t.Fatalf("create an official: %d %s", status, off)
		}
		// And a token of that official, for the administrator's revocation.
		var offTok int64
		app.Token(t, "openapi.test")
		app.DB.Read.QueryRow(`SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = 'openapi.test'`).Scan(&offTok)
		ids := map[string]string{
			"/api/v1/orgunits/":              strconv.FormatInt(app.UnitID(t, "GL25"), 10),
			"/api/v1/officials/":             strconv.FormatInt(app.OfficialID(t, "openapi.test"), 10),
			"/api/v1/officials/{id}/tokens/": strconv.FormatInt(offTok, 10),
			"/api/v1/me/tokens/":             strconv.FormatInt(newTok.ID, 10),
		}
		type served struct{ method, pattern string }
		var calls []served
		for _, path := range slices.Sorted(maps.Keys(doc.Paths)) {
			for _, method := range slices.Sorted(maps.Keys(doc.Paths[path])) {
				op := doc.Paths[path][method]
				known := true
				// Each parameter takes the id known for the path before it
				// ("1" otherwise); the call is "known" when the first one is.
				real, rest := "", path
				for i := 0; ; i++ {
					loc := pathParamRe.FindStringIndex(rest)
					if loc == nil {
						real += rest
						break
					}
					id, ok := ids[path[:len(path)-len(rest)+loc[0]]]
					if i == 0 {
						known = ok
					}
					if !ok {
						id = "1"
					}
					real += rest[:loc[0]] + id
					rest = rest[loc[1]:]
				}
				c := testapp.Call{User: "admin", Method: strings.ToUpper(method), Path: real}
				if op.RequestBody != nil {
					c.Body = `{}`
				}
				status, body, _ := app.Send(t, nil, c)
				if status == 405 || (known && status == 404) {
					t.Errorf("%s %s (as %s): %d %s", c.Method, path, real, status, body)
				}
				if status >= 500 && slices.Contains(foundationTags, op.Tags[0]) {
					t.Errorf("%s %s: %d %s", c.Method, real, status, body)
				}
				if status == 200 {
					checkDocumentedMembers(t, doc, op, c.Method+" "+path, body)
				}
				calls = append(calls, served{c.Method, path})
			}
		}
		// The metrics name the ServeMux pattern that answered each call:
		// a documented route must have been matched by its own pattern,
		// not by the catch-all that answers unknown API paths.
		rec := httptest.NewRecorder()
		app.Server.Metrics().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		metrics := rec.Body.Bytes()
		for _, c := range calls {
			if !strings.Contains(string(metrics), `route="`+c.method+" "+c.pattern+`"`) {
				t.Errorf("%s %s was not served by its own route", c.method, c.pattern)
			}
		}
	})
}

// checkDocumentedMembers checks that every member of a JSON answer (an
// object, or each object of an array) is a documented property.
func checkDocumentedMembers(t *testing.T, doc openAPIDoc, op openAPIOperation, name string, body []byte) {
	t.Helper()
	content, ok := op.Responses["200"].Content["application/json"]
	if !ok {
		return
	}
	schema := content.Schema
	var objects []map[string]any
	if schema["type"] == "array" {
		schema, _ = schema["items"].(map[string]any)
		if err := json.Unmarshal(body, &objects); err != nil {
			t.Errorf("%s: documented as an array, got %s", name, body)
			return
		}
	} else {
		var o map[string]any
		if err := json.Unmarshal(body, &o); err != nil {
			t.Errorf("%s: documented as an object, got %s", name, body)
			return
		}
		objects = append(objects, o)
	}
	ref, _ := schema["$ref"].(string)
	props, _ := doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]["properties"].(map[string]any)
	if props == nil {
		t.Errorf("%s: response schema %v has no properties", name, schema)
		return
	}
	for _, o := range objects {
		for k := range o {
			if props[k] == nil {
				t.Errorf("%s: member %q of the answer is not documented", name, k)
			}
		}
	}
}
