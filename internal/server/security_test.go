package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/testapp"
)

// nastyNext are "next" values that browsers would follow off the site.
var nastyNext = []string{"//evil.example", "/\\evil.example", "/%09/evil.example", "\t//evil.example", "/\t/evil.example",
	"https://evil.example", "javascript:alert(1)", "/%2F/evil.example", "/%5Cevil.example", "/\r\nLocation: //evil", " //evil"}

// After signing in and after changing the language, "next" is followed
// only to a path of this site.
func TestRedirectsStayOnSite(t *testing.T) {
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		b := signIn(t, app, "baocao.ankhe")
		for _, next := range append(nastyNext, "/units?asOf=2023-01-01") {
			want := "/"
			if next == "/units?asOf=2023-01-01" {
				want = next
			}
			res, _ := get(t, b, app, "/lang/vi?next="+url.QueryEscape(next))
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
				t.Errorf("/lang/vi?next=%q: %d to %q, want %q", next, res.StatusCode, res.Header.Get("Location"), want)
			}
			res2, err := noRedirect.PostForm(app.URL+"/login", url.Values{"username": {"baocao.laichau"}, "password": {demo.Password}, "next": {next}})
			if err != nil {
				t.Fatal(err)
			}
			res2.Body.Close()
			if res2.StatusCode != http.StatusSeeOther || res2.Header.Get("Location") != want {
				t.Errorf("login with next=%q: %d to %q, want %q", next, res2.StatusCode, res2.Header.Get("Location"), want)
			}
		}
	})
}
