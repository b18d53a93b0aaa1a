package e2e_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/sso/demoapp"
	"github.com/tinhso/tinhso/internal/sso/nationalportal"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestSingleSignOnBrowser: single sign-on as `tinhso demo` shows it, in
// Chromium. A coordinator opens the demo application (another origin, an
// ordinary go-oidc relying party), signs in once at tinhso with a second
// factor (enrolled on the way), allows the application, and then reaches
// tinhso itself without being asked again; the application's "log out
// everywhere" (RP-initiated logout) signs them out of tinhso too. A citizen
// signs in through the national portal's test double (VNeID) and reaches
// the same application.
func TestSingleSignOnBrowser(t *testing.T) {
	chromium := needChromium(t)
	shots := shotsDir(t)
	for engine, dbURL := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			portalLn := listen(t)
			portalURL := "http://" + portalLn.Addr().String()
			const portalSecret = "bí mật của tinhso ở cổng quốc gia"
			app := testapp.NewWith(t, dbURL, func(c *config.Config) {
				c.TOTPRoles = "admin,coordinator"
				c.Upstream = config.Upstream{Issuer: portalURL, ClientID: "tinhso", Secret: portalSecret, Name: "VNeID", Claims: "pin=SoDinhDanh,name=HoVaTen,loa=acr"}
			})
			portal, err := nationalportal.New(nationalportal.Config{Issuer: portalURL, ClientID: "tinhso", ClientSecret: portalSecret,
				RedirectURI: app.URL + sso.PathCitizenCallback, Password: demo.Password})
			if err != nil {
				t.Fatal(err)
			}
			serve(t, portalLn, portal.Handler())
			// The demo application, registered as tinhso demo does.
			appLn := listen(t)
			rp := "http://" + appLn.Addr().String()
			c, err := app.Server.SSO.RegisterDemoClient(context.Background(), "GL25", rp+demoapp.RedirectPath, rp+demoapp.LogoutPath)
			if err != nil {
				t.Fatal(err)
			}
			serve(t, appLn, demoapp.New(demoapp.Config{Issuer: app.URL, ClientID: c.ID, ClientSecret: c.Secret, BaseURL: rp}).Handler())

			b := newBrowser(t, chromium, app.URL)
			b.keepShots(shots, "sso-"+string(engine))
			// The application first: its login goes to tinhso's form.
			b.visit(rp + "/")
			b.submit(`#login`)
			b.wantH1(vi("login.title"))
			b.do("type the coordinator's credentials",
				chromedp.SendKeys(chromedp.ID("username"), "dieuphoi"),
				chromedp.SendKeys(chromedp.ID("password"), demo.Password),
			)
			b.submit(`form[action="/login"] button[type=submit]`)
			// A coordinator must have a second factor: enrolled now.
			secret := strings.TrimSpace(b.text("#totp-secret"))
			code, err := totp.GenerateCode(secret, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			b.do("type the code", chromedp.SendKeys(chromedp.ID("code"), code))
			b.submit(`form[action="/login/totp"] button[type=submit]`)
			b.shot("sso-recovery-codes")
			b.submit(`a.button`) // continue, back to the authorisation request
			b.wantText("main", c.Name)
			b.shot("sso-consent")
			b.submit(`button[name=decision][value=allow]`)
			b.wantText("#who", "Trần Thị Bình")
			b.wantText("#amr", "otp")
			b.wantText("#acr", sso.ACROfficialMFA)
			b.shot("sso-demo-app")
			if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'login' AND success = $1 AND subject = 'dieuphoi'`, true); n != 1 {
				t.Fatalf("%d logins, want the one", n)
			}
			// tinhso itself: no second prompt.
			b.open("/")
			b.wantPath("/")
			b.wantH1(vi("home.hello", "Trần Thị Bình"))
			// Log out everywhere from the application.
			b.visit(rp + "/")
			b.submit(`#logout`)
			b.wantText("#bye", "đăng xuất")
			b.open("/")
			b.wantPath("/login?next=%2F")
			b.checkConsole()

			// A citizen, at another computer, through the national portal.
			cz := b.person("citizen")
			cz.visit(rp + "/")
			cz.submit(`#login-citizen`)
			cz.wantText("#double", "test double")
			cz.shot("sso-national-portal")
			cz.do("type the portal's password", chromedp.SendKeys(chromedp.ID("password"), demo.Password))
			cz.submit(`#portal-login`)
			cz.submit(`button[name=decision][value=allow]`)
			hoa := nationalportal.Citizens[0]
			cz.wantText("#who", hoa.Name)
			cz.wantText("#acr", sso.ACRCitizen2)
			cz.wantText("#account-type", "citizen")
			cz.shot("sso-citizen")
			cz.checkConsole()
		})
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func serve(t *testing.T, ln net.Listener, h http.Handler) {
	ts := httptest.NewUnstartedServer(h)
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
}

// visit loads an absolute address (another application than tinhso).
func (b *browser) visit(u string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Navigate(u)); err != nil {
		b.fatalf("open %s: %v", u, err)
	}
}
