package sso_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/testapp"
)

// grants counts what the provider stored (codes, tokens), to prove that a
// refusal issued nothing.
func grants(t *testing.T, app *testapp.App, kind string) int {
	t.Helper()
	return app.Count(t, `SELECT COUNT(*) FROM sso_grants WHERE kind = $1`, kind)
}

// TestRefusals: each bad request is refused with the error code the
// specifications name, audited, and issues nothing.
func TestRefusals(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		c := webClient(t, app, true)
		relying := newRP(t, app, c)
		b := newBrowser(app)
		b.login(t, b.get(t, "/login"), "baocao.pleiku")
		start := func(cfg oauth2.Config, state string, opts ...oauth2.AuthCodeOption) page {
			return b.get(t, cfg.AuthCodeURL(state, append(opts, oidc.Nonce("nonce-"+state))...))
		}
		refusedAuthorize := func() int { return audits(t, app, audit.SSOAuthorize, false) }

		t.Run("redirect URI differing by one character", func(t *testing.T) {
			before, codes := refusedAuthorize(), grants(t, app, "code")
			cfg := relying.config
			cfg.RedirectURL = strings.TrimSuffix(callback, "k") + "K"
			p := start(cfg, "state-redirect", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
			if p.Status != 400 || p.Location != nil || !strings.Contains(p.Body, "invalid_request") {
				t.Fatalf("got %d %v\n%.400s", p.Status, p.Location, p.Body)
			}
			// A loopback address on another port is another address too.
			cfg.RedirectURL = strings.Replace(callback, ":1/", ":2/", 1)
			if p := start(cfg, "state-redirect", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())); p.Status != 400 || p.Location != nil {
				t.Fatalf("another port: %d %v", p.Status, p.Location)
			}
			if refusedAuthorize() != before+2 || grants(t, app, "code") != codes {
				t.Fatal("not audited, or a code was stored")
			}
		})

		t.Run("unknown client", func(t *testing.T) {
			before := refusedAuthorize()
			cfg := relying.config
			cfg.ClientID = "no-such-client"
			p := start(cfg, "state-unknown")
			if p.Status < 400 || p.Location != nil || !strings.Contains(p.Body, "invalid_client") {
				t.Fatalf("got %d %v\n%.400s", p.Status, p.Location, p.Body)
			}
			if refusedAuthorize() != before+1 {
				t.Fatal("not audited")
			}
			// At the token endpoint too.
			_, err := cfg.Exchange(ctx, "whatever")
			if got := oauthError(t, err); got != "invalid_client" {
				t.Fatalf("token endpoint: %s", got)
			}
		})

		t.Run("public client without PKCE, or with plain", func(t *testing.T) {
			pub := register(t, app, `{"name":"Ứng dụng di động","unitId":{unit:GL25},"public":true,"trusted":true,
				"grantTypes":["authorization_code"],"redirectUris":["`+callback+`"],"scopes":["openid"]}`)
			if pub.Secret != "" {
				t.Fatal("a public client got a secret")
			}
			cfg := oauth2.Config{ClientID: pub.ID, Endpoint: relying.config.Endpoint, RedirectURL: callback, Scopes: []string{"openid"}}
			if got := redirectError(t, start(cfg, "state-nopkce")); got != "invalid_request" {
				t.Fatalf("no PKCE: %s", got)
			}
			p := start(cfg, "state-plain", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)), oauth2.SetAuthURLParam("code_challenge_method", "plain"))
			if got := redirectError(t, p); got != "invalid_request" {
				t.Fatalf("plain PKCE: %s", got)
			}
			// With S256 it works, without a secret.
			v := oauth2.GenerateVerifier()
			if _, err := cfg.Exchange(ctx, code(t, start(cfg, "state-s256", oauth2.S256ChallengeOption(v)), "state-s256"), oauth2.VerifierOption(v)); err != nil {
				t.Fatalf("public client with S256: %v", err)
			}
		})

		t.Run("missing or wrong PKCE verifier", func(t *testing.T) {
			before, tokens := audits(t, app, audit.SSOToken, false), grants(t, app, "access")
			v := oauth2.GenerateVerifier()
			c1 := code(t, start(relying.config, "state-pkce-1", oauth2.S256ChallengeOption(v)), "state-pkce-1")
			if got := oauthError(t, exchangeErr(relying.config.Exchange(ctx, c1))); got != "invalid_grant" {
				t.Fatalf("missing verifier: %s", got)
			}
			c2 := code(t, start(relying.config, "state-pkce-2", oauth2.S256ChallengeOption(v)), "state-pkce-2")
			if got := oauthError(t, exchangeErr(relying.config.Exchange(ctx, c2, oauth2.VerifierOption(oauth2.GenerateVerifier())))); got != "invalid_grant" {
				t.Fatalf("wrong verifier: %s", got)
			}
			if audits(t, app, audit.SSOToken, false) != before+2 || grants(t, app, "access") != tokens {
				t.Fatal("not audited, or a token was stored")
			}
		})

		t.Run("wrong secret", func(t *testing.T) {
			before := audits(t, app, audit.SSOToken, false)
			v := oauth2.GenerateVerifier()
			c1 := code(t, start(relying.config, "state-secret", oauth2.S256ChallengeOption(v)), "state-secret")
			cfg := relying.config
			cfg.ClientSecret = c.Secret[:len(c.Secret)-1] + "x"
			if got := oauthError(t, exchangeErr(cfg.Exchange(ctx, c1, oauth2.VerifierOption(v)))); got != "invalid_client" {
				t.Fatalf("wrong secret: %s", got)
			}
			if audits(t, app, audit.SSOToken, false) != before+1 {
				t.Fatal("not audited")
			}
			// The code was not spent by the refusal.
			if _, err := relying.config.Exchange(ctx, c1, oauth2.VerifierOption(v)); err != nil {
				t.Fatalf("the right secret after a wrong one: %v", err)
			}
		})

		t.Run("disabled official", func(t *testing.T) {
			v := oauth2.GenerateVerifier()
			tok, err := relying.config.Exchange(ctx, code(t, start(relying.config, "state-dis-1", oauth2.S256ChallengeOption(v)), "state-dis-1"), oauth2.VerifierOption(v))
			if err != nil {
				t.Fatal(err)
			}
			pending := code(t, start(relying.config, "state-dis-2", oauth2.S256ChallengeOption(v)), "state-dis-2")
			if status, body, _ := app.Do(t, "admin", "POST", app.Expand(t, nil, "/api/v1/officials/{official:baocao.pleiku}/disable"), ""); status != 200 {
				t.Fatalf("disable: %d %s", status, body)
			}
			before, tokens := audits(t, app, audit.SSOToken, false), grants(t, app, "access")
			if got := oauthError(t, exchangeErr(relying.config.Exchange(ctx, pending, oauth2.VerifierOption(v)))); got != "invalid_grant" {
				t.Fatalf("code of a disabled official: %s", got)
			}
			_, err = relying.config.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
			if got := oauthError(t, err); got != "invalid_grant" {
				t.Fatalf("refresh of a disabled official: %s", got)
			}
			if audits(t, app, audit.SSOToken, false) != before+1 || audits(t, app, audit.SSORefresh, false) < 1 || grants(t, app, "access") > tokens {
				t.Fatal("not audited, or a token was stored")
			}
			// Their access token answers nothing any more.
			if status, _ := postForm(t, app, sso.PathUserinfo, registered{}, url.Values{"access_token": {tok.AccessToken}}); status != 401 {
				t.Fatalf("userinfo of a disabled official: %d", status)
			}
			if _, m := postForm(t, app, sso.PathIntrospect, c, url.Values{"token": {tok.AccessToken}}); m["active"] != false {
				t.Fatalf("introspection of a disabled official's token: %v", m)
			}
		})

		t.Run("the tinhso session ended", func(t *testing.T) {
			ob := newBrowser(app)
			ob.login(t, ob.get(t, "/login"), "baocao.ankhe")
			tok := relying.signIn(t, ob, "state-ended")
			// Logging out of tinhso itself (not through the application).
			acct := ob.get(t, "/account")
			if p := ob.post(t, "/logout", url.Values{"csrf": {form(acct.Body).Get("csrf")}}); p.URL.Path != "/login" {
				t.Fatalf("logout: %d %s", p.Status, p.URL)
			}
			_, err := relying.config.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
			if got := oauthError(t, err); got != "invalid_grant" {
				t.Fatalf("refresh after logout: %s", got)
			}
			if status, _ := postForm(t, app, sso.PathUserinfo, registered{}, url.Values{"access_token": {tok.AccessToken}}); status != 401 {
				t.Fatalf("userinfo after logout: %d", status)
			}
		})

		t.Run("logout to an address not registered, forged hint", func(t *testing.T) {
			before := audits(t, app, audit.SSOLogout, false)
			for _, q := range []url.Values{
				{"client_id": {c.ID}, "post_logout_redirect_uri": {afterLogout + "/"}},
				{"post_logout_redirect_uri": {afterLogout}},
				{"id_token_hint": {"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"}, "post_logout_redirect_uri": {afterLogout}},
			} {
				p := b.get(t, sso.PathLogout+"?"+q.Encode())
				if p.Status != 400 || p.Location != nil {
					t.Fatalf("%v: %d %v", q, p.Status, p.Location)
				}
			}
			if audits(t, app, audit.SSOLogout, false) != before+3 {
				t.Fatal("not audited")
			}
		})
	})
}

// exchangeErr keeps the error of an exchange.
func exchangeErr(_ *oauth2.Token, err error) error { return err }

// TestClientCredentials: a machine client (a consumer system of the hub)
// gets an access token for its API scopes, introspectable by a resource
// server; userinfo refuses it (no official behind it).
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		m := register(t, app, `{"name":"Hệ thống một cửa điện tử","unitId":{unit:GL25},"grantTypes":["client_credentials"],"scopes":["hub:gl25.motcua","report.read","hub:GOV/000123/motcua/dossiers"]}`)
		rs := register(t, app, `{"name":"Cổng kết nối LGSP","unitId":{unit:GL25},"grantTypes":["client_credentials"],"scopes":["introspect"]}`)
		status, tok := postForm(t, app, sso.PathToken, m, url.Values{"grant_type": {"client_credentials"}, "scope": {"hub:gl25.motcua"}})
		if status != 200 || tok["access_token"] == nil || tok["refresh_token"] != nil {
			t.Fatalf("client credentials: %d %v", status, tok)
		}
		access := tok["access_token"].(string)
		if status, in := postForm(t, app, sso.PathIntrospect, rs, url.Values{"token": {access}}); status != 200 || in["active"] != true || in["client_id"] != m.ID || in["scope"] != "hub:gl25.motcua" || in["sub"] != m.ID {
			t.Fatalf("introspection: %d %v", status, in)
		}
		// In process, as the hub's gateway checks a consumer's token.
		if got, err := app.Server.SSO.Verify(context.Background(), access, "hub:gl25.motcua"); err != nil || got.ClientID != m.ID || got.UserID != 0 {
			t.Fatalf("Verify: %+v %v", got, err)
		}
		if _, err := app.Server.SSO.Verify(context.Background(), access, "report.read"); err == nil {
			t.Fatal("Verify passed a scope the token was not granted")
		}
		if status, _ := postForm(t, app, sso.PathUserinfo, registered{}, url.Values{"access_token": {access}}); status != 403 {
			t.Fatalf("userinfo with a machine token: %d", status)
		}
		// A scope it was not given, a wrong secret, an unknown client.
		if status, e := postForm(t, app, sso.PathToken, m, url.Values{"grant_type": {"client_credentials"}, "scope": {"plan.manage"}}); status != 400 || e["error"] != "invalid_scope" {
			t.Fatalf("scope not registered: %d %v", status, e)
		}
		bad := m
		bad.Secret += "x"
		if status, e := postForm(t, app, sso.PathToken, bad, url.Values{"grant_type": {"client_credentials"}}); status != 401 || e["error"] != "invalid_client" {
			t.Fatalf("wrong secret: %d %v", status, e)
		}
		if status, e := postForm(t, app, sso.PathToken, registered{ID: "nobody", Secret: "x"}, url.Values{"grant_type": {"client_credentials"}}); status != 401 || e["error"] != "invalid_client" {
			t.Fatalf("unknown client: %d %v", status, e)
		}
		// A machine client may not start an official's login.
		if status, e := postForm(t, app, sso.PathToken, m, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {callback}}); status != 400 || e["error"] != "unauthorized_client" {
			t.Fatalf("code grant for a machine client: %d %v", status, e)
		}
		if n := audits(t, app, audit.SSOToken, false); n != 4 {
			t.Fatalf("%d refused token audit lines, want 4", n)
		}
		// Revoked, it is inactive.
		if status, _ := postForm(t, app, sso.PathRevoke, m, url.Values{"token": {access}}); status != 200 {
			t.Fatalf("revoke: %d", status)
		}
		if _, in := postForm(t, app, sso.PathIntrospect, rs, url.Values{"token": {access}}); in["active"] != false {
			t.Fatalf("revoked token: %v", in)
		}
		// Another client may not revoke it: fosite answers 200 as RFC 7009
		// allows (nothing leaks), the token stays, the refusal is audited.
		status, tok = postForm(t, app, sso.PathToken, m, url.Values{"grant_type": {"client_credentials"}})
		if status != 200 {
			t.Fatal(status)
		}
		refused := audits(t, app, audit.SSORevoke, false)
		postForm(t, app, sso.PathRevoke, rs, url.Values{"token": {tok["access_token"].(string)}})
		if _, in := postForm(t, app, sso.PathIntrospect, rs, url.Values{"token": {tok["access_token"].(string)}}); in["active"] != true {
			t.Fatalf("another client revoked the token: %v", in)
		}
		if audits(t, app, audit.SSORevoke, false) != refused+1 {
			t.Fatal("refused revocation not audited")
		}
	})
}

// TestTokenThrottle: after repeated failures from one address the token
// endpoint refuses it for a while, even with the right secret.
func TestTokenThrottle(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		m := register(t, app, `{"name":"Hệ thống thử","unitId":{unit:GL25},"grantTypes":["client_credentials"],"scopes":["x"]}`)
		bad := m
		bad.Secret = "tss_wrong"
		for range 20 {
			if status, _ := postForm(t, app, sso.PathToken, bad, url.Values{"grant_type": {"client_credentials"}}); status != 401 {
				t.Fatalf("wrong secret: %d", status)
			}
		}
		if status, e := postForm(t, app, sso.PathToken, m, url.Values{"grant_type": {"client_credentials"}}); status != 429 || e["error"] != "temporarily_unavailable" {
			t.Fatalf("after 20 failures: %d %v", status, e)
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND detail = 'throttled'`, audit.SSOToken); n != 1 {
			t.Fatalf("%d throttled audit lines", n)
		}
	})
}
