package server_test

import (
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = testapp.NoRedirect()

// rowCounts counts the rows of every table a write of the org registry or
// of an account touches, to prove that a refused write left nothing behind.
func rowCounts(t *testing.T, app *testapp.App) map[string]int {
	t.Helper()
	return app.RowCounts(t, "org_units", "org_unit_versions", "org_events", "org_event_units", "org_event_heirs", "users", "user_roles", "api_tokens", "sessions", "audit_events")
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
