package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
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
	t.Parallel()
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

var failedLogins = regexp.MustCompile(`<strong class="count">([0-9.]+)</strong> <a href="/audit\?kind=login">`)

// homeFailures reads the failed-login count on an admin's home page (0
// when the line is absent).
func homeFailures(t *testing.T, app *testapp.App, admin string) int {
	t.Helper()
	_, body := get(t, signIn(t, app, admin), app, "/")
	m := failedLogins.FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ".", ""))
	return n
}

// The failed-login count on an administrator's home page covers what
// their audit trail shows: a provincial admin counts their province's
// officials only, the national admin counts everyone and unknown names.
func TestHomeFailedLoginsAreScoped(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		fail := func(username string, n int) {
			for range n {
				res, err := noRedirect.PostForm(app.URL+"/login", url.Values{"username": {username}, "password": {"sai-mat-khau-roi"}})
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
			}
		}
		lc, all := homeFailures(t, app, "quantri.laichau"), homeFailures(t, app, "admin")
		fail("baocao.pleiku", 3)
		fail("pheduyet.pleiku", 1)
		fail("baocao.laichau", 2)
		fail("khong.ai.ca", 1)
		if got := homeFailures(t, app, "quantri.laichau"); got != lc+2 {
			t.Errorf("Lai Châu's admin counts %d failed logins, want %d (Lai Châu's officials only)", got, lc+2)
		}
		if got := homeFailures(t, app, "admin"); got != all+7 {
			t.Errorf("the national admin counts %d failed logins, want %d", got, all+7)
		}
		// The link leads to the same events.
		status, body, _ := app.Do(t, "quantri.laichau", "GET", "/api/v1/audit?kind=login&limit=500", "")
		if status != 200 || strings.Contains(string(body), "baocao.pleiku") || strings.Contains(string(body), "khong.ai.ca") {
			t.Errorf("Lai Châu's audit trail: %d %.300s", status, body)
		}
	})
}
