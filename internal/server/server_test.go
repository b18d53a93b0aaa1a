package server_test

import (
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestServer drives the whole server through its public surfaces, once per
// database engine. Loading the demo province takes seconds (much more under
// -race), so one server per engine is shared, in this order, by the API
// table, the authorisation matrix, the OpenAPI check and the pages; each
// part holds whatever the parts before it added. Run one part with, e.g.,
// go test -run 'TestServer/sqlite/Authorization'.
func TestServer(t *testing.T) {
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		t.Run("API", func(t *testing.T) { testAPI(t, app) })
		t.Run("Authorization", func(t *testing.T) { testAuthorization(t, app) })
		t.Run("OpenAPI", func(t *testing.T) { testOpenAPI(t, app) })
		t.Run("Pages", func(t *testing.T) { testPages(t, app) })
	})
}
