package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// A known API path asked with a method it does not take answers 405 with
// Allow; an unknown path answers 404; both as problem+json.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		status, body, hdr := app.Do(t, "admin", "DELETE", "/api/v1/orgunits", "")
		if status != 405 || !strings.Contains(hdr.Get("Allow"), "GET") || !strings.Contains(hdr.Get("Allow"), "POST") ||
			!strings.Contains(string(body), `"code":"method_not_allowed"`) {
			t.Fatalf("DELETE /api/v1/orgunits: %d Allow=%q %s", status, hdr.Get("Allow"), body)
		}
		if status, body, _ := app.Do(t, "admin", "GET", "/api/v1/khong-co", ""); status != 404 || !strings.Contains(string(body), `"code":"not_found"`) {
			t.Fatalf("unknown path: %d %s", status, body)
		}
	})
}

// LIKE's wildcards typed into a search are searched for, not expanded.
func TestSearchWildcardsAreLiteral(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		for _, q := range []string{"%25", "_", "%5C"} {
			status, _, hdr := app.Do(t, "admin", "GET", "/api/v1/orgunits?q="+q, "")
			if status != 200 || hdr.Get("X-Total-Count") != "0" {
				t.Errorf("q=%s: %d, %s units", q, status, hdr.Get("X-Total-Count"))
			}
		}
		if _, _, hdr := app.Do(t, "admin", "GET", "/api/v1/orgunits?q=pleiku", ""); hdr.Get("X-Total-Count") == "0" {
			t.Error("a plain search finds nothing")
		}
	})
}

// A form posted without its CSRF token is refused and lands in the trail.
func TestCSRFRefusalIsAudited(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		b := app.Login(t, "baocao.pleiku")
		res, err := b.Client.PostForm(app.URL+"/account/tokens", url.Values{"name": {"x"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		var n int
		app.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE kind = 'csrf.refused' AND actor = 'baocao.pleiku' AND success = $1`, false).Scan(&n)
		if res.StatusCode != 403 || n != 1 {
			t.Fatalf("status %d, %d csrf.refused rows", res.StatusCode, n)
		}
	})
}
