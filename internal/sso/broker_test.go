package sso_test

import (
	"net"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/sso/nationalportal"
	"github.com/tinhso/tinhso/internal/testapp"
)

const portalSecret = "bí mật của tinhso tại cổng quốc gia"

// withPortal starts tinhso with the national portal's test double as its
// upstream provider.
func withPortal(t *testing.T, dbURL string) (*testapp.App, *nationalportal.Portal) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	app := testapp.NewWith(t, dbURL, func(c *config.Config) {
		c.Upstream = config.Upstream{Issuer: issuer, ClientID: "tinhso-gialai", Secret: portalSecret, Name: "VNeID", Claims: "pin=SoDinhDanh,name=HoVaTen,loa=acr"}
	})
	portal, err := nationalportal.New(nationalportal.Config{Issuer: issuer, ClientID: "tinhso-gialai", ClientSecret: portalSecret,
		RedirectURI: app.URL + sso.PathCitizenCallback, Password: demo.Password})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(portal.Handler())
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return app, portal
}

// portalLogin answers the portal's login form as the citizen with pin.
func (s *surfer) portalLogin(t *testing.T, p page, pin string) page {
	t.Helper()
	if !strings.Contains(p.Body, `id="double"`) {
		t.Fatalf("expected the national portal's login: %d %s\n%.400s", p.Status, p.URL, p.Body)
	}
	f := form(p.Body)
	f.Set("citizen", pin)
	f.Set("password", demo.Password)
	return s.do(t, "POST", p.URL.Scheme+"://"+p.URL.Host+"/auth", f)
}

// TestCitizenBrokered: a citizen signs in through the national portal (its
// test double) and reaches the demo application: an account made at the
// first login, linked by the personal identification number, no password
// and no roles; acr from the identity's level; acr_values honoured; the
// login form offers the way in; logging out ends the citizen's session.
// Refused: a level-1 identity asked for level 2 (by the upstream), an
// upstream whose signature does not verify, an upstream that is down — each
// sent to the application as its OAuth2 error, audited, nothing issued.
func TestCitizenBrokered(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app, portal := withPortal(t, u)
			rp := startDemoApp(t, app)
			hoa := nationalportal.Citizens[0]  // level 2
			bloh := nationalportal.Citizens[1] // level 1

			// Level 2 asked for, straight to the portal.
			s := newSurfer()
			p := s.portalLogin(t, s.do(t, "GET", rp+"/login?acr=vneid-2", nil), hoa.PIN)
			if p.URL.Path != sso.PathAuthorize || !strings.Contains(p.Body, `name="decision"`) {
				t.Fatalf("expected the consent page: %d %s\n%.400s", p.Status, p.URL, p.Body)
			}
			f := form(p.Body)
			f.Set("decision", "allow")
			p = s.do(t, "POST", app.URL+sso.PathAuthorize, f)
			for _, want := range []string{`id="signed-in"`, hoa.Name, `<dd id="acr">vneid-2</dd>`, `<dd id="personal-id">` + hoa.PIN + `</dd>`, `<dd id="account-type">citizen</dd>`} {
				if !strings.Contains(p.Body, want) {
					t.Fatalf("the application lacks %q: %d %s\n%.1200s", want, p.Status, p.URL, p.Body)
				}
			}
			if strings.Contains(p.Body, `id="unit"`) || strings.Contains(p.Body, "roles") {
				t.Fatal("a citizen has a unit or roles")
			}
			var id int64
			app.DB.Read.QueryRow(`SELECT id FROM sso_citizens WHERE pin = $1`, hoa.PIN).Scan(&id)
			if id == 0 || app.Count(t, `SELECT COUNT(*) FROM users WHERE username LIKE $1`, "%"+hoa.PIN+"%") != 0 {
				t.Fatal("no citizen account, or one among officials")
			}
			if audits(t, app, "sso.broker", true) != 1 || audits(t, app, "sso.citizen", true) != 1 {
				t.Fatal("the brokered login is not audited")
			}
			// A citizen session is no way into tinhso's own pages.
			if q := s.do(t, "GET", app.URL+"/account", nil); q.URL.Path != "/login" {
				t.Fatalf("a citizen reached %s", q.URL)
			}
			// Logging out of the application ends the citizen's session.
			if p = s.do(t, "POST", rp+"/logout", url.Values{}); !strings.Contains(p.Body, `id="bye"`) {
				t.Fatalf("logout: %d %s\n%.400s", p.Status, p.URL, p.Body)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM sso_citizen_sessions`); n != 0 {
				t.Fatalf("%d citizen sessions after logout", n)
			}

			// The second login: the same account (linked by the number), no
			// consent asked again; through tinhso's login form's link.
			p = s.do(t, "GET", rp+"/login", nil)
			if p.URL.Path != "/login" || !strings.Contains(p.Body, `id="login-citizen"`) {
				t.Fatalf("the login form offers no citizen login: %s\n%.600s", p.URL, p.Body)
			}
			link := regexpFind(t, p.Body, `id="login-citizen" href="([^"]+)"`)
			p = s.portalLogin(t, s.do(t, "GET", app.URL+link, nil), hoa.PIN)
			if !strings.Contains(p.Body, `id="signed-in"`) {
				t.Fatalf("the second citizen login: %d %s\n%.600s", p.Status, p.URL, p.Body)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM sso_citizens`); n != 1 {
				t.Fatalf("%d citizen accounts after two logins of one person", n)
			}

			// A level-1 identity asked for level 2: the portal refuses.
			s = newSurfer()
			p = s.portalLogin(t, s.do(t, "GET", rp+"/login?acr=vneid-2", nil), bloh.PIN)
			if !strings.Contains(p.Body, `id="error"`) || !strings.Contains(p.Body, "access_denied") {
				t.Fatalf("level 1 for level 2: %d %s\n%.600s", p.Status, p.URL, p.Body)
			}
			// ... and at level 1 it is let in, with acr vneid-1.
			p = s.portalLogin(t, s.do(t, "GET", rp+"/login?acr=vneid-1", nil), bloh.PIN)
			f = form(p.Body)
			f.Set("decision", "allow")
			if p = s.do(t, "POST", app.URL+sso.PathAuthorize, f); !strings.Contains(p.Body, `<dd id="acr">vneid-1</dd>`) {
				t.Fatalf("level 1: %d %s\n%.800s", p.Status, p.URL, p.Body)
			}
			// Now level 2 asked of that level-1 session: back to the portal.
			s.do(t, "POST", rp+"/logout", url.Values{}) // the application's session, and tinhso's
			if p = s.do(t, "GET", rp+"/login?acr=vneid-2", nil); !strings.Contains(p.Body, `id="double"`) {
				t.Fatalf("level 2 of a level-1 session did not go upstream: %s", p.URL)
			}

			// An upstream signing with a key it does not publish.
			portal.BadSignature.Store(true)
			s = newSurfer()
			sessions := app.Count(t, `SELECT COUNT(*) FROM sso_citizen_sessions`)
			p = s.portalLogin(t, s.do(t, "GET", rp+"/login?acr=vneid-1", nil), hoa.PIN)
			if !strings.Contains(p.Body, `id="error"`) || !strings.Contains(p.Body, "access_denied") {
				t.Fatalf("a bad upstream signature: %d %s\n%.600s", p.Status, p.URL, p.Body)
			}
			if app.Count(t, `SELECT COUNT(*) FROM sso_citizen_sessions`) != sessions ||
				app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'sso.broker' AND success = $1 AND detail LIKE '%ID token%'`, false) != 1 {
				t.Fatal("a bad signature opened a session, or was not audited")
			}
			portal.BadSignature.Store(false)

			// A forged callback: no state of this browser.
			if p = s.do(t, "GET", app.URL+sso.PathCitizenCallback+"?code=x&state=y", nil); p.Status != 400 {
				t.Fatalf("a callback without a login: %d", p.Status)
			}
		})
	}
}

// TestCitizenUpstreamDown: an upstream that does not answer is
// temporarily_unavailable for the application; without an upstream,
// acr_values asking for a citizen is invalid_request.
func TestCitizenUpstreamDown(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			dead := "http://" + ln.Addr().String()
			ln.Close()
			plain := testapp.New(t, u)
			app := testapp.NewWith(t, u, func(c *config.Config) {
				c.Upstream = config.Upstream{Issuer: dead, ClientID: "tinhso", Secret: portalSecret, Name: "VNeID"}
			})
			for _, a := range []struct {
				app  *testapp.App
				want string
			}{{app, "temporarily_unavailable"}, {plain, "invalid_request"}} {
				rp := startDemoApp(t, a.app)
				p := newSurfer().do(t, "GET", rp+"/login?acr=vneid-1", nil)
				if !strings.Contains(p.Body, `id="error"`) || !strings.Contains(p.Body, a.want) {
					t.Fatalf("want %s: %d %s\n%.600s", a.want, p.Status, p.URL, p.Body)
				}
			}
			if audits(t, app, "sso.broker", false) != 1 {
				t.Fatal("the failed upstream is not audited")
			}
		})
	}
}

func regexpFind(t *testing.T, body, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in\n%.600s", pattern, body)
	}
	return entities.Replace(m[1])
}
