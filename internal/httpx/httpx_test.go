package httpx_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
)

func TestOpenAPISchemasOfOneName(t *testing.T) {
	t.Parallel()
	api := httpx.NewAPI(http.NewServeMux(), nil)
	ok := func(http.ResponseWriter, *http.Request) error { return nil }
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/reorganisations", Summary: "org events", Response: org.Event{}, List: true}, ok)
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/audit", Summary: "audit events", Response: audit.Event{}, List: true}, ok)
	b, err := json.Marshal(api.OpenAPI("test"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema struct {
						Items struct {
							Ref string `json:"$ref"`
						}
					}
				}
			}
		}
		Components struct {
			Schemas map[string]struct{ Properties map[string]any }
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	ref := func(path string) string {
		return doc.Paths[path]["get"].Responses["200"].Content["application/json"].Schema.Items.Ref
	}
	orgRef, auditRef := ref("/api/v1/reorganisations"), ref("/api/v1/audit")
	if orgRef == auditRef {
		t.Fatalf("org.Event and audit.Event share the schema %s", orgRef)
	}
	props := func(ref string) map[string]any {
		return doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")].Properties
	}
	if props(orgRef)["from"] == nil || props(auditRef)["actor"] == nil || props(auditRef)["from"] != nil {
		t.Errorf("schemas %s and %s do not describe their types", orgRef, auditRef)
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	type in struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	for _, c := range []struct {
		body, contentType string
		field, code       string
	}{
		{`{"name":"a","count":1}`, "application/json; charset=utf-8", "", ""},
		{`{"name":"a","colour":1}`, "application/json", "colour", "unknown"},
		{`{"count":"one"}`, "application/json", "count", "type"},
		{`{"name":`, "application/json", "body", "json"},
		{``, "application/json", "body", "required"},
		{`{"name":"a"} {}`, "application/json", "body", "json"},
		{`name=a`, "application/x-www-form-urlencoded", "body", "content_type"},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
		r.Header.Set("Content-Type", c.contentType)
		var v in
		err := httpx.Decode(r, &v)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.body, err)
			}
			continue
		}
		e, ok := errs.As(err)
		if !ok || e.Status != 422 || len(e.Fields) != 1 || e.Fields[0].Name != c.field || e.Fields[0].Code != c.code {
			t.Errorf("%q: %v, want %s %s", c.body, err, c.field, c.code)
		}
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	all := []int{1, 2, 3, 4, 5}
	for _, c := range []struct {
		query string
		want  []int
		next  string
		bad   string
	}{
		{"", []int{1, 2}, "/x?limit=2&offset=2&q=a", ""},
		{"&limit=3&offset=3", []int{4, 5}, "", ""},
		{"&offset=9", []int{}, "", ""},
		{"&limit=0", nil, "", "limit"},
		{"&limit=11", nil, "", "limit"},
		{"&offset=-2", nil, "", "offset"},
		{"&limit=x", nil, "", "limit"},
	} {
		r := httptest.NewRequest("GET", "/x?q=a"+c.query, nil)
		p, err := httpx.PageOf(r, 2, 10)
		if c.bad != "" {
			if e, ok := errs.As(err); !ok || e.Fields[0].Name != c.bad {
				t.Errorf("%s: %v, want an error on %s", c.query, err, c.bad)
			}
			continue
		}
		w := httptest.NewRecorder()
		httpx.List(w, r, httpx.Slice(all, p), len(all), p)
		var got []int
		json.Unmarshal(w.Body.Bytes(), &got)
		if !slices.Equal(got, c.want) || w.Header().Get("X-Total-Count") != "5" {
			t.Errorf("%s: %v (total %s), want %v", c.query, got, w.Header().Get("X-Total-Count"), c.want)
		}
		if link := w.Header().Get("Link"); (c.next == "") != (link == "") || c.next != "" && link != "<"+c.next+`>; rel="next"` {
			t.Errorf("%s: Link %q, want %q", c.query, link, c.next)
		}
	}
}

func TestProblems(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/api/v1/x", nil)
	r.Header.Set("Accept-Language", "en")
	w := httptest.NewRecorder()
	httpx.Error(w, r, errs.Invalid(errs.Field{Name: "code", Code: "required"}))
	var p httpx.Problem
	json.Unmarshal(w.Body.Bytes(), &p)
	if w.Code != 422 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") || p.Code != "validation_failed" ||
		len(p.Errors) != 1 || p.Errors[0].Message != "Code: is required" || p.Instance != "/api/v1/x" {
		t.Errorf("problem: %d %+v", w.Code, p)
	}
	// Internal errors say nothing about themselves.
	w = httptest.NewRecorder()
	httpx.Error(w, httptest.NewRequest("GET", "/", nil), errBoom{})
	if w.Code != 500 || strings.Contains(w.Body.String(), "secret detail") || !strings.Contains(w.Body.String(), `"code":"internal"`) {
		t.Errorf("internal error: %d %s", w.Code, w.Body)
	}
}

type errBoom struct{}

func (errBoom) Error() string { return "secret detail" }

// A field's label comes from its context first: a plan's title is not an
// official's job title, though both are "title".
func TestFieldLabelsByContext(t *testing.T) {
	for _, c := range []struct {
		f    errs.Field
		lang locale.Lang
		want string
	}{
		{errs.Field{Name: "title", Context: "plan"}, locale.VI, "Tên kế hoạch (trích yếu)"},
		{errs.Field{Name: "title", Context: "official"}, locale.VI, "Chức vụ"},
		{errs.Field{Name: "title", Context: "official"}, locale.EN, "Job title"},
		{errs.Field{Name: "title"}, locale.VI, "Tiêu đề"},
		{errs.Field{Name: "title", Context: "nothing-here"}, locale.VI, "Tiêu đề"},
		{errs.Field{Name: "body", Context: "task"}, locale.VI, "Nội dung báo cáo"},
		{errs.Field{Name: "body"}, locale.VI, "Nội dung yêu cầu"},
		{errs.Field{Name: "unitId", Context: "target"}, locale.VI, "Đơn vị của số liệu"},
		{errs.Field{Name: "unitId", Context: "official"}, locale.VI, "Đơn vị công tác"},
		{errs.Field{Name: "file", Context: "plan"}, locale.VI, "Tệp Excel kế hoạch"},
		{errs.Field{Name: "file", Context: "task"}, locale.VI, "Tệp kiểm chứng"},
		{errs.Field{Name: "targets[3].code", Context: "plan"}, locale.VI, "targets[3].code"},
	} {
		if got := httpx.FieldLabel(c.lang, c.f); got != c.want {
			t.Errorf("%+v in %s: %q, want %q", c.f, c.lang, got, c.want)
		}
	}
}
