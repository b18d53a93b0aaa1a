package server_test

import (
	"testing"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/testapp"
)

// A provincial admin reads the security events of their province's
// officials only; the national admin reads them all.
func TestAuditTrailIsScoped(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		app.Login(t, "baocao.pleiku")
		app.Login(t, "baocao.laichau")
		subjects := func(user string) map[string]bool {
			status, body, _ := app.Do(t, user, "GET", "/api/v1/audit?kind=login", "")
			if status != 200 {
				t.Fatalf("%s: audit %d %s", user, status, body)
			}
			var evs []audit.Event
			testapp.JSON(t, body, &evs)
			seen := map[string]bool{}
			for _, e := range evs {
				seen[e.Subject] = true
			}
			return seen
		}
		lc := subjects("quantri.laichau")
		if !lc["baocao.laichau"] || lc["baocao.pleiku"] {
			t.Errorf("Lai Châu's admin sees logins of %v", lc)
		}
		all := subjects("admin")
		if !all["baocao.laichau"] || !all["baocao.pleiku"] {
			t.Errorf("the national admin sees logins of %v", all)
		}
	})
}
