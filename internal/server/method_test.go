package server_test

import (
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// A known API path asked with a method it does not take answers 405 with
// Allow; an unknown path answers 404; both as problem+json.
func TestMethodNotAllowed(t *testing.T) {
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
