package sso_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/sso/demoapp"
	"github.com/tinhso/tinhso/internal/testapp"
)

// startDemoApp registers the demo application as `tinhso demo` does and
// serves it on its own address.
func startDemoApp(t *testing.T, app *testapp.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	c, err := app.Server.SSO.RegisterDemoClient(context.Background(), "GL25", base+demoapp.RedirectPath, base+demoapp.LogoutPath)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(demoapp.New(demoapp.Config{Issuer: app.URL, ClientID: c.ID, ClientSecret: c.Secret, BaseURL: base}).Handler())
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return base
}

// surfer is a browser across origins: it follows every redirect and keeps
// each origin's cookies.
type surfer struct{ client *http.Client }

func newSurfer() *surfer {
	jar, _ := cookiejar.New(nil)
	return &surfer{client: &http.Client{Jar: jar}}
}

func (s *surfer) do(t *testing.T, method, u string, f url.Values) page {
	t.Helper()
	var body io.Reader
	if f != nil {
		body = strings.NewReader(f.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if f != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, URL: res.Request.URL, Body: string(b)}
}

// TestDemoApplication: the demo application is a relying party of its own
// (go-oidc and x/oauth2, another origin); an official signed in to tinhso
// reaches it without a password prompt (consent on first use only); the
// application's logout is RP-initiated logout and ends the tinhso session;
// signing out of tinhso ends the application's session at its next page.
func TestDemoApplication(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		rp := startDemoApp(t, app)
		s := newSurfer()
		// Sign in to tinhso first.
		p := s.do(t, "GET", app.URL+"/login?next=%2Faccount", nil)
		f := form(p.Body)
		f.Set("username", "dieuphoi")
		f.Set("password", demo.Password)
		if p = s.do(t, "POST", app.URL+"/login", f); p.URL.Path != "/account" {
			t.Fatalf("login: %d %s", p.Status, p.URL)
		}
		logins := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'login' AND success = $1`, true)
		// The application: no password asked, consent once.
		p = s.do(t, "GET", rp+"/login", nil)
		if p.URL.Path != sso.PathAuthorize || !strings.Contains(p.Body, `name="decision"`) {
			t.Fatalf("expected the consent page: %d %s\n%.400s", p.Status, p.URL, p.Body)
		}
		f = form(p.Body)
		f.Set("decision", "allow")
		p = s.do(t, "POST", app.URL+sso.PathAuthorize, f)
		if !strings.HasPrefix(p.URL.String(), rp) || !strings.Contains(p.Body, `id="signed-in"`) || !strings.Contains(p.Body, "Trần Thị Bình") {
			t.Fatalf("not signed in to the application: %d %s\n%.600s", p.Status, p.URL, p.Body)
		}
		if app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'login' AND success = $1`, true) != logins {
			t.Fatal("the application made the official sign in again")
		}
		// Out of the application and back: no consent the second time.
		if p = s.do(t, "POST", rp+"/logout", url.Values{}); !strings.Contains(p.Body, `id="bye"`) {
			t.Fatalf("the application's logout: %d %s\n%.400s", p.Status, p.URL, p.Body)
		}
		if q := s.do(t, "GET", app.URL+"/account", nil); q.URL.Path != "/login" {
			t.Fatal("the application's logout left the tinhso session")
		}
		if audits(t, app, "sso.logout", true) != 1 {
			t.Fatal("the logout is not audited")
		}
		// Signing in through the application: tinhso's login form, then
		// straight back (consent remembered).
		p = s.do(t, "GET", rp+"/login", nil)
		if p.URL.Path != "/login" {
			t.Fatalf("expected tinhso's login form: %s", p.URL)
		}
		f = form(p.Body)
		f.Set("username", "dieuphoi")
		f.Set("password", demo.Password)
		if p = s.do(t, "POST", app.URL+"/login", f); !strings.Contains(p.Body, `id="signed-in"`) {
			t.Fatalf("after tinhso's login: %d %s\n%.400s", p.Status, p.URL, p.Body)
		}
		// ... and tinhso itself is signed in by that same login.
		if q := s.do(t, "GET", app.URL+"/account", nil); q.URL.Path != "/account" {
			t.Fatal("tinhso asks again after signing in for the application")
		}
		// Signing out of tinhso ends the application's session too.
		acc := s.do(t, "GET", app.URL+"/account", nil)
		s.do(t, "POST", app.URL+"/logout", url.Values{"csrf": {form(acc.Body).Get("csrf")}})
		if p = s.do(t, "GET", rp+"/", nil); !strings.Contains(p.Body, `id="ended"`) || strings.Contains(p.Body, `id="signed-in"`) {
			t.Fatalf("the application outlived the tinhso session:\n%.600s", p.Body)
		}
	})
}
