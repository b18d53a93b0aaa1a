package sso_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/testapp"
)

// idClaims are the claims tinhso puts in an official's ID token.
type idClaims struct {
	Sub       string     `json:"sub"`
	Nonce     string     `json:"nonce"`
	Name      string     `json:"name"`
	Username  string     `json:"preferred_username"`
	UnitCode  string     `json:"unit_code"`
	UnitName  string     `json:"unit_name"`
	Roles     []sso.Role `json:"roles"`
	SID       string     `json:"sid"`
	AuthTime  int64      `json:"auth_time"`
	ExpiresAt int64      `json:"exp"`
}

// TestCodeFlow walks a relying party (go-oidc and x/oauth2) through the
// whole life of a login: discovery, code flow with PKCE and nonce through
// tinhso's own login form, consent on first use and not after, the ID
// token verified against the published keys, userinfo by GET and POST,
// refresh with rotation and reuse detection, introspection, revocation,
// and RP-initiated logout.
func TestCodeFlow(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		c := webClient(t, app, false)
		relying := newRP(t, app, c)

		// Discovery names every endpoint and S256 only.
		var meta struct {
			Issuer     string   `json:"issuer"`
			EndSession string   `json:"end_session_endpoint"`
			Introspect string   `json:"introspection_endpoint"`
			Revoke     string   `json:"revocation_endpoint"`
			Challenge  []string `json:"code_challenge_methods_supported"`
			Grants     []string `json:"grant_types_supported"`
		}
		if err := relying.provider.Claims(&meta); err != nil {
			t.Fatal(err)
		}
		if meta.Issuer != app.URL || meta.EndSession != app.URL+sso.PathLogout || meta.Introspect == "" || meta.Revoke == "" ||
			!slices.Equal(meta.Challenge, []string{"S256"}) || !slices.Contains(meta.Grants, "client_credentials") {
			t.Fatalf("discovery: %+v", meta)
		}

		b := newBrowser(app)
		verifier := oauth2.GenerateVerifier()
		start := relying.config.AuthCodeURL("state-0001", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-0123456789"))
		p := b.get(t, start)
		p = b.login(t, p, "dieuphoi")
		if !strings.Contains(p.Body, "Cổng dịch vụ công tỉnh Gia Lai") {
			t.Fatalf("the consent page does not name the application:\n%.600s", p.Body)
		}
		p = b.consent(t, p, "allow")
		tok, err := relying.config.Exchange(ctx, code(t, p, "state-0001"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := relying.verifier.Verify(ctx, raw)
		if err != nil {
			t.Fatalf("ID token: %v", err)
		}
		var claims idClaims
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if claims.Nonce != "nonce-0123456789" || claims.Sub != testappID(t, app, "dieuphoi") || claims.Username != "dieuphoi" ||
			claims.UnitCode != "GL25.SKHCN" || claims.SID == "" || claims.AuthTime == 0 {
			t.Fatalf("ID token claims: %+v", claims)
		}
		if !slices.ContainsFunc(claims.Roles, func(r sso.Role) bool { return r.Role == "coordinator" && r.ScopeCode == "GL25" }) {
			t.Fatalf("roles: %+v", claims.Roles)
		}
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token for offline_access")
		}

		// Userinfo by GET (bearer header), as go-oidc asks it, and by POST.
		info, err := relying.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		var ui idClaims
		info.Claims(&ui)
		if info.Subject != claims.Sub || ui.UnitName == "" || ui.Name != "Trần Thị Bình" {
			t.Fatalf("userinfo: %+v", ui)
		}
		if status, m := postForm(t, app, sso.PathUserinfo, registered{}, url.Values{"access_token": {tok.AccessToken}}); status != 200 || m["sub"] != claims.Sub {
			t.Fatalf("userinfo by POST: %d %v", status, m)
		}

		// Introspection by the client.
		if status, m := postForm(t, app, sso.PathIntrospect, c, url.Values{"token": {tok.AccessToken}}); status != 200 || m["active"] != true || m["client_id"] != c.ID || m["sub"] != claims.Sub {
			t.Fatalf("introspection: %d %v", status, m)
		}

		// Refresh rotates: a new refresh token and a new ID token; the old
		// access token stops.
		old := tok.RefreshToken
		fresh, err := relying.config.TokenSource(ctx, &oauth2.Token{RefreshToken: old, Expiry: time.Now().Add(-time.Hour)}).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if fresh.RefreshToken == "" || fresh.RefreshToken == old || fresh.AccessToken == tok.AccessToken {
			t.Fatal("refresh did not rotate")
		}
		if raw, _ := fresh.Extra("id_token").(string); raw == "" {
			t.Fatal("no ID token on refresh")
		} else if _, err := relying.verifier.Verify(ctx, raw); err != nil {
			t.Fatalf("refreshed ID token: %v", err)
		}
		if _, m := postForm(t, app, sso.PathIntrospect, c, url.Values{"token": {tok.AccessToken}}); m["active"] != false {
			t.Fatalf("the access token before the refresh is still active: %v", m)
		}
		if n := audits(t, app, audit.SSORefresh, true); n != 1 {
			t.Fatalf("%d refresh audit lines, want 1", n)
		}

		// Replaying the old refresh token is theft: refused, and the whole
		// grant ends, the new tokens included.
		_, err = relying.config.TokenSource(ctx, &oauth2.Token{RefreshToken: old, Expiry: time.Now().Add(-time.Hour)}).Token()
		if got := oauthError(t, err); got != "invalid_grant" {
			t.Fatalf("replayed refresh token: %s", got)
		}
		_, err = relying.config.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
		if got := oauthError(t, err); got != "invalid_grant" {
			t.Fatalf("refresh token after a replay: %s", got)
		}
		if _, m := postForm(t, app, sso.PathIntrospect, c, url.Values{"token": {fresh.AccessToken}}); m["active"] != false {
			t.Fatalf("the access token of a replayed grant is still active: %v", m)
		}
		if n := audits(t, app, audit.SSORefresh, false); n != 2 {
			t.Fatalf("%d refused refresh audit lines, want 2", n)
		}

		// Consent is remembered: the second login asks nothing, and a code
		// used twice revokes what the first use issued.
		verifier = oauth2.GenerateVerifier()
		p = b.get(t, relying.config.AuthCodeURL("state-0002", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-abcdefghij")))
		second := code(t, p, "state-0002")
		tok2, err := relying.config.Exchange(ctx, second, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("second exchange: %v", err)
		}
		_, err = relying.config.Exchange(ctx, second, oauth2.VerifierOption(verifier))
		if got := oauthError(t, err); got != "invalid_grant" {
			t.Fatalf("replayed code: %s", got)
		}
		if _, m := postForm(t, app, sso.PathIntrospect, c, url.Values{"token": {tok2.AccessToken}}); m["active"] != false {
			t.Fatalf("a replayed code left its access token active: %v", m)
		}
		if _, err := relying.config.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token(); oauthError(t, err) != "invalid_grant" {
			t.Fatal("a replayed code left its refresh token usable")
		}

		// Revocation (RFC 7009) of a third grant's refresh token ends it.
		tok3 := relying.signIn(t, b, "state-0003")
		if status, _ := postForm(t, app, sso.PathRevoke, c, url.Values{"token": {tok3.RefreshToken}, "token_type_hint": {"refresh_token"}}); status != 200 {
			t.Fatalf("revoke: %d", status)
		}
		if _, m := postForm(t, app, sso.PathIntrospect, c, url.Values{"token": {tok3.AccessToken}}); m["active"] != false {
			t.Fatalf("revoked grant's access token still active: %v", m)
		}
		if n := audits(t, app, audit.SSORevoke, true); n != 1 {
			t.Fatalf("%d revocation audit lines, want 1", n)
		}

		// RP-initiated logout with id_token_hint: the exact registered
		// address, with the state; the session and its grants end.
		tok4 := relying.signIn(t, b, "state-0004")
		hint, _ := tok4.Extra("id_token").(string)
		p = b.get(t, sso.PathLogout+"?"+url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {afterLogout}, "state": {"bye-1"}}.Encode())
		if p.Location == nil || p.Location.String() != afterLogout+"?state=bye-1" {
			t.Fatalf("logout: %d %v\n%.400s", p.Status, p.Location, p.Body)
		}
		if p = b.get(t, "/account"); p.URL.Path != "/login" {
			t.Fatalf("still signed in after logout: %s", p.URL)
		}
		if _, m := postForm(t, app, sso.PathIntrospect, c, url.Values{"token": {tok4.AccessToken}}); m["active"] != false {
			t.Fatalf("logging out left an access token active: %v", m)
		}
		if n := audits(t, app, audit.SSOLogout, true); n != 1 {
			t.Fatalf("%d logout audit lines, want 1", n)
		}
		// Issued: four codes, five token answers (one a refresh).
		if n := audits(t, app, audit.SSOAuthorize, true); n != 4 {
			t.Fatalf("%d authorisation audit lines, want 4", n)
		}
		if n := audits(t, app, audit.SSOToken, true); n != 4 {
			t.Fatalf("%d token audit lines, want 4", n)
		}
	})
}

func testappID(t *testing.T, app *testapp.App, username string) string {
	t.Helper()
	return app.Expand(t, nil, "{official:"+username+"}")
}

// TestPrompts checks prompt=none, prompt=login,
// max_age and login_hint on a trusted first-party client.
func TestPrompts(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		c := webClient(t, app, true)
		relying := newRP(t, app, c, oidc.ScopeOpenID, "profile")
		b := newBrowser(app)
		auth := func(state string, opts ...oauth2.AuthCodeOption) (string, page) {
			v := oauth2.GenerateVerifier()
			return v, b.get(t, relying.config.AuthCodeURL(state, append(opts, oauth2.S256ChallengeOption(v), oidc.Nonce("nonce-"+state+"-0123456789"))...))
		}

		// Nobody signed in: prompt=none is login_required, sent back.
		_, p := auth("prompt-s0", oauth2.SetAuthURLParam("prompt", "none"))
		if got := redirectError(t, p); got != "login_required" {
			t.Fatalf("prompt=none without a session: %s", got)
		}
		// login_hint fills the form; a trusted client asks no consent.
		_, p = auth("prompt-s1", oauth2.SetAuthURLParam("login_hint", "lanhdao"))
		if !strings.Contains(p.Body, `value="lanhdao"`) {
			t.Fatalf("login_hint did not fill the form:\n%.600s", p.Body)
		}
		p = b.login(t, p, "lanhdao")
		code(t, p, "prompt-s1")
		// Signed in: prompt=none passes.
		v, p := auth("prompt-s2", oauth2.SetAuthURLParam("prompt", "none"))
		tok, err := relying.config.Exchange(ctx, code(t, p, "prompt-s2"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		first, _ := relying.verifier.Verify(ctx, tok.Extra("id_token").(string))
		var c1 idClaims
		first.Claims(&c1)
		// prompt=login shows the form again although signed in, and the
		// new auth_time is not earlier.
		_, p = auth("prompt-s3", oauth2.SetAuthURLParam("prompt", "login"))
		p = b.login(t, p, "lanhdao")
		v, p = auth("prompt-s3b")
		tok, err = relying.config.Exchange(ctx, code(t, p, "prompt-s3b"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		again, _ := relying.verifier.Verify(ctx, tok.Extra("id_token").(string))
		var c2 idClaims
		again.Claims(&c2)
		if c2.AuthTime < c1.AuthTime || c2.SID == c1.SID {
			t.Fatalf("prompt=login did not sign in again: %d→%d, sid %s→%s", c1.AuthTime, c2.AuthTime, c1.SID, c2.SID)
		}
		// max_age: a session signed in two hours ago is too old for
		// max_age=3600: prompt=none is login_required, without it the form
		// comes back.
		v, p = auth("prompt-s4a", oauth2.SetAuthURLParam("prompt", "none"), oauth2.SetAuthURLParam("max_age", "3600"))
		code(t, p, "prompt-s4a")
		if _, err := app.DB.Write.Exec(`UPDATE sessions SET created_at = $1 WHERE user_id = $2`, time.Now().UTC().Add(-2*time.Hour), app.OfficialID(t, "lanhdao")); err != nil {
			t.Fatal(err)
		}
		_, p = auth("prompt-s4b", oauth2.SetAuthURLParam("prompt", "none"), oauth2.SetAuthURLParam("max_age", "3600"))
		if got := redirectError(t, p); got != "login_required" {
			t.Fatalf("max_age with an old session and prompt=none: %s", got)
		}
		_, p = auth("prompt-s4c", oauth2.SetAuthURLParam("max_age", "3600"))
		p = b.login(t, p, "lanhdao")
		code(t, p, "prompt-s4c")
		// prompt=consent on an untrusted client with remembered consent
		// shows the page anyway.
		u := webClient(t, app, false)
		other := newRP(t, app, u, oidc.ScopeOpenID)
		v = oauth2.GenerateVerifier()
		p = b.get(t, other.config.AuthCodeURL("prompt-s5", oauth2.S256ChallengeOption(v), oidc.Nonce("nonce-s5-0123456789")))
		p = b.consent(t, p, "deny")
		if got := redirectError(t, p); got != "access_denied" {
			t.Fatalf("refused consent: %s", got)
		}
		if n := audits(t, app, audit.SSOConsent, false); n != 1 {
			t.Fatalf("%d refused-consent audit lines, want 1", n)
		}
		// ui_locales=en shows the login form in English.
		nb := newBrowser(app)
		p = nb.get(t, relying.config.AuthCodeURL("prompt-s6", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("ui_locales", "en-GB vi")))
		if !strings.Contains(p.Body, `lang="en"`) {
			t.Fatalf("ui_locales=en: the login page is not English:\n%.300s", p.Body)
		}
	})
}

// TestConcurrentRefresh: two refreshes racing with one refresh token get
// one answer with tokens between them, never two.
func TestConcurrentRefresh(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		c := webClient(t, app, true)
		relying := newRP(t, app, c, oidc.ScopeOpenID, "offline_access")
		b := newBrowser(app)
		b.login(t, b.get(t, "/login"), "lanhdao")
		tok := relying.signIn(t, b, "race-0001")
		for round := range 3 {
			errc := make(chan error, 2)
			for range 2 {
				go func() {
					_, err := relying.config.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
					errc <- err
				}()
			}
			ok := 0
			for range 2 {
				if err := <-errc; err == nil {
					ok++
				}
			}
			if ok != 1 {
				t.Fatalf("round %d: %d of two racing refreshes got tokens", round, ok)
			}
			// A new grant for the next round.
			tok = relying.signIn(t, b, "race-000"+string(rune('2'+round)))
		}
	})
}
