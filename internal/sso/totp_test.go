package sso_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/seal"
	"github.com/tinhso/tinhso/internal/testapp"
)

var (
	totpSecret    = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
	recoveryCodes = regexp.MustCompile(`<li>([a-z2-9]{5}-[a-z2-9]{5})</li>`)
)

// TestSecondFactor: a coordinator must enrol a TOTP second factor at their
// next login (QR code, a code to confirm, recovery codes shown once); then
// every login asks for a code, which works once; a recovery code works
// once; failures are audited and counted by the login throttle; the
// applications see amr "otp" in the ID token.
func TestSecondFactor(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app := testapp.NewWith(t, u, func(c *config.Config) {
				c.TOTPRoles = "admin,coordinator"
				c.SSOSecret = "bí mật của nhà vận hành, đủ dài"
			})
			ctx := context.Background()
			b := newBrowser(app)
			password := func() page {
				t.Helper()
				p := b.get(t, "/login?next=%2Faccount")
				f := form(p.Body)
				f.Set("username", "dieuphoi")
				f.Set("password", demo.Password)
				p = b.post(t, "/login", f)
				if p.URL.Path != "/login/totp" {
					t.Fatalf("after the password: %d %s", p.Status, p.URL)
				}
				return p
			}
			p := password()
			m := totpSecret.FindStringSubmatch(p.Body)
			if m == nil || !strings.Contains(p.Body, "data:image/png;base64,") {
				t.Fatalf("no enrolment page: %d %s\n%s", p.Status, p.URL, p.Body)
			}
			secret := m[1]
			if app.Count(t, `SELECT COUNT(*) FROM sessions WHERE user_id = $1`, app.OfficialID(t, "dieuphoi")) != 0 {
				t.Fatal("a session before the second factor")
			}
			// A wrong code during enrolment.
			if p = b.post(t, "/login/totp", withCode(p, "000000")); p.Status != 401 {
				t.Fatalf("wrong enrolment code: %d", p.Status)
			}
			now := time.Now()
			first, _ := totp.GenerateCode(secret, now)
			p = b.post(t, "/login/totp", withCode(p, first))
			codes := recoveryCodes.FindAllStringSubmatch(p.Body, -1)
			if p.Status != 200 || len(codes) != 10 {
				t.Fatalf("recovery codes: %d, %d codes\n%.600s", p.Status, len(codes), p.Body)
			}
			if p = b.get(t, "/account"); p.Status != 200 || !strings.Contains(p.Body, "Còn 10 mã khôi phục") {
				t.Fatalf("account after enrolment: %d\n%.400s", p.Status, p.Body)
			}
			// With --sso-secret the TOTP secret is stored sealed.
			var stored string
			app.DB.Read.QueryRow(`SELECT secret FROM auth_totp`).Scan(&stored)
			if raw, _ := base64.StdEncoding.DecodeString(stored); !seal.Sealed(raw) || strings.Contains(stored, secret) {
				t.Fatalf("the TOTP secret is not sealed: %q", stored)
			}
			if amr := app.Count(t, `SELECT COUNT(*) FROM sessions WHERE amr = 'pwd otp'`); amr != 1 {
				t.Fatalf("%d sessions signed in with a second factor", amr)
			}

			// A new login: the same code again is refused; a recovery code
			// works once; the next step's code works.
			b = newBrowser(app)
			p = password()
			if strings.Contains(p.Body, "totp-secret") {
				t.Fatal("the secret is shown again after enrolment")
			}
			if p = b.post(t, "/login/totp", withCode(p, first)); p.Status != 401 {
				t.Fatalf("a code used twice: %d", p.Status)
			}
			if p = b.post(t, "/login/totp", withCode(p, codes[0][1])); p.URL.Path != "/account" || !strings.Contains(p.Body, "Còn 9 mã khôi phục") {
				t.Fatalf("recovery code: %d %s", p.Status, p.URL)
			}
			b = newBrowser(app)
			password()
			if p = b.post(t, "/login/totp", withCode(p, strings.ToUpper(codes[0][1]))); p.Status != 401 {
				t.Fatalf("a recovery code used twice: %d", p.Status)
			}
			next, _ := totp.GenerateCode(secret, now.Add(30*time.Second))
			if p = b.post(t, "/login/totp", withCode(p, next)); p.URL.Path != "/account" {
				t.Fatalf("the next code: %d %s", p.Status, p.URL)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'login' AND success = $1 AND subject = 'dieuphoi' AND detail LIKE '%second factor%'`, false); n != 3 {
				t.Fatalf("%d refused second factors audited, want 3", n)
			}

			// An application signed in through this session sees amr otp.
			c := webClient(t, app, true)
			relying := newRP(t, app, c, oidc.ScopeOpenID)
			tok := relying.signIn(t, b, "totp-0001")
			idt, err := relying.verifier.Verify(ctx, tok.Extra("id_token").(string))
			if err != nil {
				t.Fatal(err)
			}
			var cl struct {
				AMR []string `json:"amr"`
			}
			idt.Claims(&cl)
			if !slices.Contains(cl.AMR, "otp") || !slices.Contains(cl.AMR, "pwd") {
				t.Fatalf("amr %v", cl.AMR)
			}
			// ... signed with a key stored sealed.
			if n := app.Count(t, `SELECT COUNT(*) FROM sso_keys`); n != 1 {
				t.Fatalf("%d keys", n)
			}
			var key []byte
			app.DB.Read.QueryRow(`SELECT private_key FROM sso_keys`).Scan(&key)
			if !seal.Sealed(key) {
				t.Fatalf("the signing key is not sealed: %.6q", key)
			}

			// A lost phone: the administrator removes the second factor;
			// the official is signed out (the application too) and enrols
			// again at the next login.
			if status, body, _ := app.Do(t, "admin", "POST", app.Expand(t, nil, "/api/v1/officials/{official:dieuphoi}/totp/reset"), ""); status != 204 {
				t.Fatalf("reset: %d %s", status, body)
			}
			if p := b.get(t, "/account"); p.URL.Path != "/login" {
				t.Fatalf("still signed in after the reset: %s", p.URL)
			}
			if _, err := relying.config.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token(); err == nil {
				t.Fatal("the application's refresh token outlived the reset")
			}
			if p := password(); !totpSecret.MatchString(p.Body) {
				t.Fatal("no enrolment after the reset")
			}
		})
	}
}

// withCode is the second-factor form of a page with a code typed in.
func withCode(p page, code string) url.Values {
	f := form(p.Body)
	f.Set("code", code)
	return f
}

// TestSecondFactorOptional: a reporter signs in with the password alone,
// and may turn the second factor on from the account page.
func TestSecondFactorOptional(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app := testapp.NewWith(t, u, func(c *config.Config) { c.TOTPRoles = "admin,coordinator" })
			b := newBrowser(app)
			p := b.login(t, b.get(t, "/login?next=%2Faccount"), "baocao.ankhe")
			if p.URL.Path != "/account" || !strings.Contains(p.Body, "Chưa bật") {
				t.Fatalf("a reporter's login: %d %s", p.Status, p.URL)
			}
			p = b.post(t, "/account/totp", map[string][]string{"csrf": {form(p.Body).Get("csrf")}})
			m := totpSecret.FindStringSubmatch(p.Body)
			if p.URL.Path != "/login/totp" || m == nil {
				t.Fatalf("enrol from the account page: %d %s", p.Status, p.URL)
			}
			c, _ := totp.GenerateCode(m[1], time.Now())
			p = b.post(t, "/login/totp", withCode(p, c))
			if len(recoveryCodes.FindAllString(p.Body, -1)) != 10 {
				t.Fatalf("no recovery codes: %d\n%.400s", p.Status, p.Body)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM sessions WHERE user_id = $1`, app.OfficialID(t, "baocao.ankhe")); n != 1 {
				t.Fatalf("%d sessions: the enrolment should replace the session it started from", n)
			}
		})
	}
}

// TestSecondFactorBasic: HTTP Basic with the password (DHIS2 clients)
// cannot open an account that must use a second factor; its API token
// still can; an account without one signs in with the password.
func TestSecondFactorBasic(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app := testapp.NewWith(t, u, func(c *config.Config) { c.TOTPRoles = "admin,coordinator" })
			srv := httptest.NewTLSServer(app.Server.Handler())
			t.Cleanup(srv.Close)
			me := func(user, secret string) int {
				req, _ := http.NewRequest("GET", srv.URL+"/api/v1/me", nil)
				req.SetBasicAuth(user, secret)
				res, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			if got := me("dieuphoi", demo.Password); got != 401 {
				t.Fatalf("a coordinator's password over Basic: %d", got)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'login' AND success = $1 AND detail LIKE '%second factor%'`, false); n != 1 {
				t.Fatalf("%d audited refusals", n)
			}
			if got := me("dieuphoi", app.Token(t, "dieuphoi")); got != 200 {
				t.Fatalf("a coordinator's API token over Basic: %d", got)
			}
			if got := me("baocao.ankhe", demo.Password); got != 200 {
				t.Fatalf("a reporter's password over Basic: %d", got)
			}
		})
	}
}
