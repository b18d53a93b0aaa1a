package sso_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/testapp"
)

func jwksKids(t *testing.T, app *testapp.App) []string {
	t.Helper()
	res, err := http.Get(app.URL + sso.PathJWKS)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatalf("jwks %q: %v", b, err)
	}
	var kids []string
	for _, k := range set.Keys {
		if _, private := k["d"]; private {
			t.Fatalf("the JWKS publishes a private key: %s", b)
		}
		kids = append(kids, k["kid"].(string))
	}
	return kids
}

// TestKeyRotation: after a rotation new tokens carry the new key's id, a
// token signed before still verifies (its key stays published), and a
// retired key leaves the set once its publication time is over. Keys are
// stored sealed or marked unsealed, never in the clear without saying so.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		c := webClient(t, app, true)
		relying := newRP(t, app, c, oidc.ScopeOpenID)
		b := newBrowser(app)
		b.login(t, b.get(t, "/login"), "lanhdao")
		idToken := func(state string) string { return relying.signIn(t, b, state).Extra("id_token").(string) }
		kid := func(raw string) string {
			var h struct {
				Kid string `json:"kid"`
			}
			hdr, _, _ := strings.Cut(raw, ".")
			b, _ := jsonB64(hdr)
			json.Unmarshal(b, &h)
			return h.Kid
		}
		before := idToken("rotate-0001")
		if kids := jwksKids(t, app); len(kids) != 1 || kids[0] != kid(before) {
			t.Fatalf("JWKS %v, token kid %s", kids, kid(before))
		}
		if status, body, _ := app.Do(t, "admin", "POST", "/api/v1/sso/keys/rotate", ""); status != 201 {
			t.Fatalf("rotate: %d %s", status, body)
		}
		after := idToken("rotate-0002")
		if kid(after) == kid(before) {
			t.Fatal("the new token is signed with the retired key")
		}
		if kids := jwksKids(t, app); len(kids) != 2 {
			t.Fatalf("JWKS after rotation: %v", kids)
		}
		// A fresh relying party (empty key cache) verifies both.
		fresh := newRP(t, app, c, oidc.ScopeOpenID)
		for _, raw := range []string{before, after} {
			if _, err := fresh.verifier.Verify(ctx, raw); err != nil {
				t.Fatalf("verify across the rotation: %v", err)
			}
		}
		// Once its tokens have expired, the retired key is withdrawn.
		if _, err := app.DB.Write.Exec(`UPDATE sso_keys SET publish_until = $1 WHERE retired_at IS NOT NULL`, time.Now().UTC().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if kids := jwksKids(t, app); len(kids) != 1 || kids[0] != kid(after) {
			t.Fatalf("JWKS after the retired key's time: %v", kids)
		}
		// Without --sso-secret the keys say they are unsealed.
		if n := app.Count(t, `SELECT COUNT(*) FROM sso_keys`); n != 2 {
			t.Fatalf("%d keys", n)
		}
		rows, _ := app.DB.Read.Query(`SELECT private_key FROM sso_keys`)
		defer rows.Close()
		for rows.Next() {
			var k []byte
			rows.Scan(&k)
			if !strings.HasPrefix(string(k), "p1:") {
				t.Fatalf("a key stored in an unknown form: %.8q", k)
			}
		}
	})
}
