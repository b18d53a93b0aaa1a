package server_test

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// call is one HTTP request of a scenario. Paths, bodies and header values
// may hold placeholders that expand is given.
type call struct {
	user    string // demo username; "" for no credentials
	method  string
	path    string
	body    string
	headers map[string]string
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends c to app (after expanding its placeholders with vars) and returns
// the status, body and headers.
func do(t *testing.T, app *testapp.App, vars map[string]string, c call) (int, []byte, http.Header) {
	t.Helper()
	path := expand(t, app, vars, c.path)
	req, err := http.NewRequest(c.method, app.URL+path, strings.NewReader(expand(t, app, vars, c.body)))
	if err != nil {
		t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.user != "" {
		req.Header.Set("Authorization", "Bearer "+app.Token(t, c.user))
	}
	for k, v := range c.headers {
		req.Header.Set(k, expand(t, app, vars, v))
	}
	res, err := noRedirect.Do(req)
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

// expand replaces {unit:CODE} by the unit's id, {official:USERNAME} by the
// official's id and {var:NAME} by a value an earlier scenario captured.
func expand(t *testing.T, app *testapp.App, vars map[string]string, s string) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		p := placeholder.FindStringSubmatch(m)
		switch p[1] {
		case "unit":
			return strconv.FormatInt(app.UnitID(t, p[2]), 10)
		case "official":
			return strconv.FormatInt(officialID(t, app, p[2]), 10)
		default:
			v, ok := vars[p[2]]
			if !ok {
				t.Fatalf("placeholder %s: no earlier scenario captured it", m)
			}
			return v
		}
	})
}

func officialID(t *testing.T, app *testapp.App, username string) int64 {
	t.Helper()
	var id int64
	if err := app.DB.Read.QueryRow(`SELECT id FROM users WHERE username = $1`, username).Scan(&id); err != nil {
		t.Fatalf("official %s: %v", username, err)
	}
	return id
}

// count runs a COUNT(*) query.
func count(t *testing.T, app *testapp.App, query string, args ...any) int {
	t.Helper()
	var n int
	if err := app.DB.Read.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// denials counts the access.denied audit rows of an actor.
func denials(t *testing.T, app *testapp.App, actor string) int {
	t.Helper()
	return count(t, app, `SELECT COUNT(*) FROM audit_events WHERE kind = 'access.denied' AND actor = $1 AND success = $2`, actor, false)
}

// rowCounts counts the rows of every table a write of the org registry or
// of an account touches, to prove that a refused write left nothing behind.
func rowCounts(t *testing.T, app *testapp.App) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"org_units", "org_unit_versions", "org_events", "org_event_units", "users", "user_roles", "api_tokens", "sessions", "audit_events"} {
		out[table] = count(t, app, `SELECT COUNT(*) FROM `+table)
	}
	return out
}

// checkProblem asserts that an error answer is RFC 9457 problem details
// with the given status, a stable code and a title.
func checkProblem(t *testing.T, status int, body []byte, h http.Header) map[string]any {
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

// problemFields lists the fields a 422 problem names.
func problemFields(t *testing.T, body []byte) []string {
	t.Helper()
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	testapp.JSON(t, body, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// codes lists the "code" members of a JSON array of units.
func codes(t *testing.T, body []byte) []string {
	t.Helper()
	var list []struct{ Code string }
	testapp.JSON(t, body, &list)
	out := make([]string, len(list))
	for i, u := range list {
		out[i] = u.Code
	}
	return out
}

// usernames lists the "username" members of a JSON array of officials.
func usernames(t *testing.T, body []byte) []string {
	t.Helper()
	var list []struct{ Username string }
	testapp.JSON(t, body, &list)
	out := make([]string, len(list))
	for i, o := range list {
		out[i] = o.Username
	}
	return out
}

// routeRegexp turns a ServeMux pattern path into a regexp of the paths it
// matches.
func routeRegexp(pattern string) *regexp.Regexp {
	re := regexp.MustCompile(`\\\{[a-zA-Z]+(\\\.\\\.\\\.)?\\\}`).ReplaceAllString(regexp.QuoteMeta(pattern), `[^/]+`)
	return regexp.MustCompile("^" + re + "$")
}
