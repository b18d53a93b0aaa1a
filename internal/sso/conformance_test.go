package sso_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestConformanceChecks are checks of the OpenID Foundation's Basic OP and
// RP-initiated logout test plans that the flow tests do not make (their
// module names in each step; docs/sso.md lists them all): a request
// without a nonce, with an unknown parameter, with the scopes in another
// order, without response_type; client_secret_post; logout without a hint,
// without a redirect address, or with a query added to it.
func TestConformanceChecks(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		c := webClient(t, app, true)
		b := newBrowser(app)
		b.login(t, b.get(t, "/login?next=%2Faccount"), "dieuphoi")

		// oidcc-ensure-request-without-nonce-succeeds-for-code-flow,
		// oidcc-ensure-request-with-unknown-parameter-succeeds,
		// oidcc-ensure-other-scope-order-succeeds.
		relying := newRP(t, app, c, "email", oidc.ScopeOpenID)
		v := oauth2.GenerateVerifier()
		p := b.get(t, relying.config.AuthCodeURL("conf-0001", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("tinhso_unknown", "x")))
		tok, err := relying.config.Exchange(ctx, code(t, p, "conf-0001"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		idt, err := relying.verifier.Verify(ctx, tok.Extra("id_token").(string))
		if err != nil || idt.Nonce != "" {
			t.Fatalf("without a nonce: %v, nonce %q", err, idt.Nonce)
		}
		if scopes := strings.Fields(tok.Extra("scope").(string)); !slices.Contains(scopes, "email") || !slices.Contains(scopes, "openid") {
			t.Fatalf("scopes %v", scopes)
		}

		// oidcc-response-type-missing: an error to the registered address.
		u, _ := url.Parse(relying.config.AuthCodeURL("conf-0002", oauth2.S256ChallengeOption(v)))
		q := u.Query()
		q.Del("response_type")
		u.RawQuery = q.Encode()
		if e := redirectError(t, b.get(t, u.String())); e != "unsupported_response_type" && e != "invalid_request" {
			t.Fatalf("without response_type: %q", e)
		}

		// oidcc-server-client-secret-post.
		post := register(t, app, `{"name":"Ứng dụng gửi bí mật trong thân","unitId":{unit:GL25},"trusted":true,"tokenEndpointAuthMethod":"client_secret_post",
			"grantTypes":["authorization_code"],"redirectUris":["`+callback+`"],"scopes":["openid"]}`)
		pr := newRP(t, app, post, oidc.ScopeOpenID)
		pr.config.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		p = b.get(t, pr.config.AuthCodeURL("conf-0003", oauth2.S256ChallengeOption(v)))
		if _, err := pr.config.Exchange(ctx, code(t, p, "conf-0003"), oauth2.VerifierOption(v)); err != nil {
			t.Fatalf("client_secret_post: %v", err)
		}

		hint := tok.Extra("id_token").(string)
		// oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri.
		if p = b.get(t, sso.PathLogout+"?"+url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {afterLogout + "?x=1"}}.Encode()); p.Status != 400 || p.Location != nil {
			t.Fatalf("a query added to the logout address: %d %v", p.Status, p.Location)
		}
		// oidcc-rp-initiated-logout-no-id-token-hint / -only-state: the
		// official is asked to confirm; nothing ends yet.
		if p = b.get(t, sso.PathLogout+"?state=conf-0004"); p.Status != 200 || !strings.Contains(p.Body, `value="logout"`) || p.Location != nil {
			t.Fatalf("logout without a hint: %d %v\n%.400s", p.Status, p.Location, p.Body)
		}
		if q := b.get(t, "/account"); q.URL.Path != "/account" {
			t.Fatal("a logout link without a hint signed the official out")
		}
		// oidcc-rp-initiated-logout-no-post-logout-redirect-uri: logged
		// out, on tinhso's own page.
		if p = b.get(t, sso.PathLogout+"?"+url.Values{"id_token_hint": {hint}}.Encode()); p.Status != 200 || p.Location != nil {
			t.Fatalf("logout without an address: %d %v", p.Status, p.Location)
		}
		if q := b.get(t, "/account"); q.URL.Path != "/login" {
			t.Fatal("still signed in after logout")
		}
	})
}
