package testapp

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Call is one HTTP request of a scenario. Paths, bodies and header values
// may hold placeholders: {unit:CODE} (the unit's id), {official:USERNAME}
// (the official's id) and {var:NAME} (a value an earlier row captured).
type Call struct {
	User    string // demo username, sent as a bearer token; "" for none
	Method  string
	Path    string
	Body    string // JSON
	Headers map[string]string
}

// Scenario is one row of an API table: a request, what must come back,
// and optionally what it captures for later rows or checks afterwards.
// Rows run in order on one server, so a row may build on the rows before.
type Scenario struct {
	Name     string
	Call     Call
	Status   int
	Contains []string          // the body must contain each
	Absent   []string          // the body must contain none
	Fields   []string          // a 422 must name exactly these fields
	Header   map[string]string // header → substring its value must hold
	Capture  map[string]string // var name → top-level JSON member of the answer
	// DHIS2 marks an answer in DHIS2's shapes: an error status is checked
	// as DHIS2's WebMessage (httpStatusCode, status ERROR) when the answer
	// is not problem+json.
	DHIS2  bool
	Before func(t *testing.T, app *App)
	Check  func(t *testing.T, app *App, body []byte, h http.Header)
}

// NoRedirect is a client that shows redirects instead of following them.
func NoRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Send sends c (after expanding its placeholders with vars) and returns the
// status, body and headers.
func (a *App) Send(t testing.TB, vars map[string]string, c Call) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(c.Method, a.URL+a.Expand(t, vars, c.Path), strings.NewReader(a.Expand(t, vars, c.Body)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.User != "" {
		req.Header.Set("Authorization", "Bearer "+a.Token(t, c.User))
	}
	for k, v := range c.Headers {
		req.Header.Set(k, a.Expand(t, vars, v))
	}
	res, err := NoRedirect().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b, res.Header
}

var placeholder = regexp.MustCompile(`\{(unit|official|var):([^}]+)\}`)

// Expand replaces the placeholders of s (see Call).
func (a *App) Expand(t testing.TB, vars map[string]string, s string) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		p := placeholder.FindStringSubmatch(m)
		switch p[1] {
		case "unit":
			return strconv.FormatInt(a.UnitID(t, p[2]), 10)
		case "official":
			return strconv.FormatInt(a.OfficialID(t, p[2]), 10)
		default:
			v, ok := vars[p[2]]
			if !ok {
				t.Fatalf("placeholder %s: no earlier scenario captured it", m)
			}
			return v
		}
	})
}

// OfficialID is the id of the official with a username.
func (a *App) OfficialID(t testing.TB, username string) int64 {
	t.Helper()
	var id int64
	if err := a.DB.Read.QueryRow(`SELECT id FROM users WHERE username = $1`, username).Scan(&id); err != nil {
		t.Fatalf("official %s: %v", username, err)
	}
	return id
}

// Count runs a COUNT(*) query.
func (a *App) Count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := a.DB.Read.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Denials counts the access.denied audit rows of an actor.
func (a *App) Denials(t testing.TB, actor string) int {
	t.Helper()
	return a.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'access.denied' AND actor = $1 AND success = $2`, actor, false)
}

// RowCounts counts the rows of tables, to prove that a refused write left
// nothing behind.
func (a *App) RowCounts(t testing.TB, tables ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range tables {
		out[table] = a.Count(t, `SELECT COUNT(*) FROM `+table)
	}
	return out
}

// Run runs a table in order, each row as a subtest.
func (a *App) Run(t *testing.T, vars map[string]string, table []Scenario) {
	t.Helper()
	for _, sc := range table {
		t.Run(sc.Name, func(t *testing.T) {
			if sc.Before != nil {
				sc.Before(t, a)
			}
			status, body, h := a.Send(t, vars, sc.Call)
			if status != sc.Status {
				t.Fatalf("%s %s as %q: status %d, want %d\n%s", sc.Call.Method, sc.Call.Path, sc.Call.User, status, sc.Status, body)
			}
			for _, s := range sc.Contains {
				if s = a.Expand(t, vars, s); !strings.Contains(string(body), s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range sc.Absent {
				if s = a.Expand(t, vars, s); strings.Contains(string(body), s) {
					t.Errorf("body holds %q:\n%s", s, body)
				}
			}
			for k, v := range sc.Header {
				if got := h.Get(k); !strings.Contains(got, v) {
					t.Errorf("header %s = %q, want it to contain %q", k, got, v)
				}
			}
			if status >= 400 {
				if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); sc.DHIS2 && mt != "application/problem+json" {
					CheckWebMessage(t, status, body)
				} else {
					CheckProblem(t, status, body, h)
				}
			}
			if sc.Fields != nil {
				if got := ProblemFields(t, body); !slices.Equal(got, sc.Fields) {
					t.Errorf("problem names fields %v, want %v\n%s", got, sc.Fields, body)
				}
			}
			for name, member := range sc.Capture {
				var m map[string]any
				JSON(t, body, &m)
				switch v := m[member].(type) {
				case string:
					vars[name] = v
				case float64:
					vars[name] = strconv.FormatInt(int64(v), 10)
				default:
					t.Fatalf("capture %s: member %q is %T in %s", name, member, m[member], body)
				}
			}
			if sc.Check != nil {
				sc.Check(t, a, body, h)
			}
		})
	}
}

// CheckCoverage fails when a registered API route of one of tags has no
// row in the table: a domain's table must reach all of its routes.
func (a *App) CheckCoverage(t *testing.T, vars map[string]string, table []Scenario, tags ...string) {
	t.Helper()
	for _, rt := range a.Server.API.Routes() {
		if !slices.Contains(tags, rt.Tag) {
			continue
		}
		re := RouteRegexp(rt.Path)
		covered := false
		for _, sc := range table {
			path, _, _ := strings.Cut(a.Expand(t, vars, sc.Call.Path), "?")
			if sc.Call.Method == rt.Method && re.MatchString(path) {
				covered = true
				break
			}
		}
		if !covered {
			t.Errorf("route %s %s has no scenario in the API table", rt.Method, rt.Path)
		}
	}
}

// RouteRegexp turns a ServeMux pattern path into a regexp of the paths it
// matches.
func RouteRegexp(pattern string) *regexp.Regexp {
	re := regexp.MustCompile(`\\\{[a-zA-Z]+(\\\.\\\.\\\.)?\\\}`).ReplaceAllString(regexp.QuoteMeta(pattern), `[^/]+`)
	return regexp.MustCompile("^" + re + "$")
}

// CheckProblem asserts that an error answer is RFC 9457 problem details
// with the given status, a stable code and a title.
func CheckProblem(t testing.TB, status int, body []byte, h http.Header) map[string]any {
	t.Helper()
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if mt != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", h.Get("Content-Type"))
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %q: %v", body, err)
	}
	if got, _ := p["status"].(float64); int(got) != status {
		t.Errorf("problem status = %v, want %d", p["status"], status)
	}
	if code, _ := p["code"].(string); code == "" {
		t.Errorf("problem without a code: %s", body)
	}
	if title, _ := p["title"].(string); title == "" {
		t.Errorf("problem without a title: %s", body)
	}
	return p
}

// CheckWebMessage asserts that an error answer is DHIS2's WebMessage with
// the given status: httpStatusCode, status ERROR and a message.
func CheckWebMessage(t testing.TB, status int, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("WebMessage body %q: %v", body, err)
	}
	if got, _ := m["httpStatusCode"].(float64); int(got) != status {
		t.Errorf("WebMessage httpStatusCode = %v, want %d", m["httpStatusCode"], status)
	}
	if m["status"] != "ERROR" {
		t.Errorf("WebMessage status = %v, want ERROR: %s", m["status"], body)
	}
	if msg, _ := m["message"].(string); msg == "" {
		t.Errorf("WebMessage without a message: %s", body)
	}
	return m
}

// ProblemFields lists the fields a 422 problem names.
func ProblemFields(t testing.TB, body []byte) []string {
	t.Helper()
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	JSON(t, body, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}
