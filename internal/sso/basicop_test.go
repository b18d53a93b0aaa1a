package sso_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/seal"
	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/testapp"
)

// claimsOf reads a compact JWT's claims without checking them.
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// signWith signs claims as an ID token with key under kid.
func signWith(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	obj, err := sig.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// providerKey is the provider's signing key of kid, read from its database
// (the test app runs without --sso-secret, so the key is unsealed).
func providerKey(t *testing.T, app *testapp.App, kid string) *rsa.PrivateKey {
	t.Helper()
	var sealed []byte
	if err := app.DB.Read.QueryRow(`SELECT private_key FROM sso_keys WHERE kid = $1`, kid).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	der, err := seal.New("").Open(sealed)
	if err != nil {
		t.Fatal(err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// TestExpiredAndForgedHints: RP-Initiated Logout 1.0 §2 — the OP MUST
// check that it issued the id_token_hint, and SHOULD accept one whose exp
// has passed when the session it names is current. An expired hint the
// provider signed logs the official out at once; a forged one (payload
// altered, another key under the provider's key id, another issuer) is
// refused, audited, and signs no one out.
func TestExpiredAndForgedHints(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		c := webClient(t, app, true)
		relying := newRP(t, app, c, oidc.ScopeOpenID)
		b := newBrowser(app)
		b.login(t, b.get(t, "/login?next=%2Faccount"), "dieuphoi")
		tok := relying.signIn(t, b, "hint-0001")
		live := tok.Extra("id_token").(string)
		obj, err := jose.ParseSigned(live, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		kid := obj.Signatures[0].Header.KeyID
		claims := claimsOf(t, live)
		// The same ID token an hour later: its lifetime (10 minutes) over.
		// The test signs it with the provider's key, as the provider did
		// an hour before; the key is still the one published.
		expired := map[string]any{}
		for k, v := range claims {
			expired[k] = v
		}
		past := time.Now().Add(-time.Hour)
		expired["iat"], expired["auth_time"], expired["exp"] = float64(past.Unix()), float64(past.Unix()), float64(past.Add(10*time.Minute).Unix())
		key := providerKey(t, app, kid)
		expiredHint := signWith(t, key, kid, expired)
		if _, err := relying.verifier.Verify(context.Background(), expiredHint); err == nil || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("the hint is not merely expired to a relying party: %v", err)
		}

		other, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(live, ".")
		altered := map[string]any{}
		for k, v := range claims {
			altered[k] = v
		}
		altered["sub"] = "1"
		body, _ := json.Marshal(altered)
		otherIssuer := map[string]any{}
		for k, v := range expired {
			otherIssuer[k] = v
		}
		otherIssuer["iss"] = "https://sso.example.org"
		before := audits(t, app, audit.SSOLogout, false)
		for name, hint := range map[string]string{
			"payload altered, signature kept":           parts[0] + "." + base64.RawURLEncoding.EncodeToString(body) + "." + parts[2],
			"another key under the provider's id":       signWith(t, other, kid, expired),
			"signed by the provider for another issuer": signWith(t, key, kid, otherIssuer),
			"not a JWT": "khong-phai-jwt",
		} {
			p := b.get(t, sso.PathLogout+"?"+url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {afterLogout}, "state": {"bye"}}.Encode())
			if p.Status != 400 || p.Location != nil {
				t.Fatalf("%s: %d %v", name, p.Status, p.Location)
			}
			if q := b.get(t, "/account"); q.URL.Path != "/account" {
				t.Fatalf("%s: a forged hint signed the official out", name)
			}
		}
		if n := audits(t, app, audit.SSOLogout, false); n != before+4 {
			t.Errorf("%d refusals audited, want 4", n-before)
		}

		// Another official's browser: the expired hint names someone else,
		// so this official is asked to confirm and stays signed in.
		b2 := newBrowser(app)
		b2.login(t, b2.get(t, "/login?next=%2Faccount"), "quantri.laichau")
		if p := b2.get(t, sso.PathLogout+"?"+url.Values{"id_token_hint": {expiredHint}, "post_logout_redirect_uri": {afterLogout}}.Encode()); p.Status != 200 || !strings.Contains(p.Body, `value="logout"`) || p.Location != nil {
			t.Fatalf("another official's hint: %d %v", p.Status, p.Location)
		}
		if q := b2.get(t, "/account"); q.URL.Path != "/account" {
			t.Fatal("another official's expired hint signed this one out")
		}

		// The official's own expired hint: logged out at once, sent back.
		p := b.get(t, sso.PathLogout+"?"+url.Values{"id_token_hint": {expiredHint}, "post_logout_redirect_uri": {afterLogout}, "state": {"bye-2"}}.Encode())
		if p.Location == nil || p.Location.String() != afterLogout+"?state=bye-2" {
			t.Fatalf("the expired hint: %d %v\n%.400s", p.Status, p.Location, p.Body)
		}
		if q := b.get(t, "/account"); q.URL.Path != "/login" {
			t.Fatal("still signed in after logging out with an expired hint")
		}
		if _, err := relying.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("the application's access token outlived the logout")
		}
	})
}

// TestBasicOPModules are the Basic OP plan's modules for request objects,
// the claims parameter and redirect URIs with a query (docs/sso.md).
func TestBasicOPModules(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		c := webClient(t, app, true)
		b := newBrowser(app)
		b.login(t, b.get(t, "/login?next=%2Faccount"), "dieuphoi")

		// Discovery says none of them is supported (go-oidc reads the
		// document; the flags are read from it as any client would).
		relying := newRP(t, app, c, oidc.ScopeOpenID)
		var meta map[string]any
		if err := relying.provider.Claims(&meta); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"request_parameter_supported", "request_uri_parameter_supported", "claims_parameter_supported"} {
			if v, ok := meta[k].(bool); !ok || v {
				t.Errorf("discovery %s = %v, want false", k, meta[k])
			}
		}

		// oidcc-request-object / oidcc-unsigned-request-object-supported-
		// correctly-or-rejected-as-unsupported: an unsigned request object
		// (alg none), refused with request_not_supported to the
		// application's address, with its state.
		none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." +
			base64.RawURLEncoding.EncodeToString([]byte(`{"client_id":"`+c.ID+`","response_type":"code","scope":"openid","redirect_uri":"`+callback+`","state":"reqobj-0001"}`)) + "."
		v := oauth2.GenerateVerifier()
		before := audits(t, app, audit.SSOAuthorize, false)
		for param, want := range map[string]string{"request": "request_not_supported", "request_uri": "request_uri_not_supported"} {
			value := none
			if param == "request_uri" {
				value = "https://rp.example.org/request.jwt"
			}
			p := b.get(t, relying.config.AuthCodeURL("reqobj-0001", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam(param, value)))
			if e := redirectError(t, p); e != want || p.Location.Query().Get("state") != "reqobj-0001" {
				t.Errorf("%s: error %q state %q, want %s", param, e, p.Location.Query().Get("state"), want)
			}
			if strings.Contains(p.Location.RawQuery, "code=") {
				t.Errorf("%s: a code was issued", param)
			}
		}
		if audits(t, app, audit.SSOAuthorize, false) != before+2 {
			t.Error("the refusals are not audited")
		}

		// oidcc-claims-essential: the claims parameter is not supported and
		// is ignored (OAuth 2.0 §3.1: unknown parameters are ignored); the
		// request succeeds and the claims are the scopes' — email was not
		// asked for by scope, so it comes in neither token nor userinfo.
		asked := `{"id_token":{"email":{"essential":true}},"userinfo":{"email":{"essential":true},"name":null}}`
		v = oauth2.GenerateVerifier()
		p := b.get(t, relying.config.AuthCodeURL("claims-0001", oauth2.S256ChallengeOption(v), oidc.Nonce("n-claims-1"), oauth2.SetAuthURLParam("claims", asked)))
		tok, err := relying.config.Exchange(ctx, code(t, p, "claims-0001"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		idt, err := relying.verifier.Verify(ctx, tok.Extra("id_token").(string))
		if err != nil || idt.Nonce != "n-claims-1" {
			t.Fatalf("ID token: %v", err)
		}
		var ic map[string]any
		idt.Claims(&ic)
		info, err := relying.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatal(err)
		}
		var uc map[string]any
		info.Claims(&uc)
		if ic["email"] != nil || uc["email"] != nil || uc["name"] != nil || uc["sub"] != idt.Subject {
			t.Errorf("claims beyond the scopes: id_token %v, userinfo %v", ic, uc)
		}

		// oidcc-redirect-uri-query-OK: a registered address with a query;
		// the code comes back there with the query kept, and the exchange
		// names the same address.
		withQuery := callback + "?tenant=gl25&lang=vi"
		qc := register(t, app, `{"name":"Ứng dụng có truy vấn","unitId":{unit:GL25},"trusted":true,
			"grantTypes":["authorization_code"],"redirectUris":["`+withQuery+`"],"scopes":["openid"]}`)
		qr := newRP(t, app, qc, oidc.ScopeOpenID)
		qr.config.RedirectURL = withQuery
		v = oauth2.GenerateVerifier()
		p = b.get(t, qr.config.AuthCodeURL("rquery-0001", oauth2.S256ChallengeOption(v)))
		if p.Location == nil || p.Location.Query().Get("tenant") != "gl25" || p.Location.Query().Get("lang") != "vi" || p.Location.Path != "/callback" {
			t.Fatalf("the query of the registered address: %d %v", p.Status, p.Location)
		}
		if _, err := qr.config.Exchange(ctx, code(t, p, "rquery-0001"), oauth2.VerifierOption(v)); err != nil {
			t.Fatalf("exchange at an address with a query: %v", err)
		}

		// oidcc-redirect-uri-query-mismatch and -added: another query, or a
		// query added to an address registered without one, is refused on
		// tinhso's own page; nothing goes to the address.
		for name, rp := range map[string]struct {
			r   *rp
			uri string
		}{
			"mismatch": {qr, callback + "?tenant=other&lang=vi"},
			"added":    {relying, callback + "?tenant=gl25"},
		} {
			cfg := rp.r.config
			cfg.RedirectURL = rp.uri
			p := b.get(t, cfg.AuthCodeURL("rquery-0002", oauth2.S256ChallengeOption(v)))
			if p.Status != http.StatusBadRequest || p.Location != nil {
				t.Errorf("%s: %d %v", name, p.Status, p.Location)
			}
		}

		// oidcc-display-page, -display-popup, oidcc-claims-locales: optional
		// parameters the provider may ignore but must not refuse; and
		// oidcc-id-token-hint: prompt=none with the signed-in official's
		// own ID token as the hint gives a code without a page.
		hint := tok.Extra("id_token").(string)
		for state, opt := range map[string]oauth2.AuthCodeOption{
			"display-page-01":   oauth2.SetAuthURLParam("display", "page"),
			"display-popup-01":  oauth2.SetAuthURLParam("display", "popup"),
			"claims-locales-01": oauth2.SetAuthURLParam("claims_locales", "vi en"),
			"token-hint-01":     oauth2.SetAuthURLParam("id_token_hint", hint),
		} {
			v := oauth2.GenerateVerifier()
			opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(v), oidc.Nonce("n-" + state), opt}
			if state == "token-hint-01" {
				opts = append(opts, oauth2.SetAuthURLParam("prompt", "none"))
			}
			p := b.get(t, relying.config.AuthCodeURL(state, opts...))
			tok, err := relying.config.Exchange(ctx, code(t, p, state), oauth2.VerifierOption(v))
			if err != nil {
				t.Fatalf("%s: %v", state, err)
			}
			idt, err := relying.verifier.Verify(ctx, tok.Extra("id_token").(string))
			if err != nil {
				t.Fatalf("%s: ID token: %v", state, err)
			}
			if idt.Nonce != "n-"+state || idt.Subject != mustSubject(t, ctx, relying, hint) {
				t.Errorf("%s: ID token nonce %q subject %q", state, idt.Nonce, idt.Subject)
			}
		}
	})
}

// mustSubject is the subject of an ID token the relying party verifies.
func mustSubject(t *testing.T, ctx context.Context, r *rp, raw string) string {
	t.Helper()
	idt, err := r.verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	return idt.Subject
}
