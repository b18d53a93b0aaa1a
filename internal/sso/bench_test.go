package sso_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/testapp"
)

// benchApp is one SQLite app with a machine client and a resource server.
func benchApp(b *testing.B) (*testapp.App, registered, registered) {
	b.Helper()
	app := testapp.New(b, testapp.DemoURLs(b)["sqlite"])
	reg := func(body string) registered {
		status, out, _ := app.Do(b, "admin", "POST", "/api/v1/sso/clients", app.Expand(b, nil, body))
		if status != 201 {
			b.Fatalf("register: %d %s", status, out)
		}
		var c sso.NewClient
		testapp.JSON(b, out, &c)
		return registered{ID: c.ID, Secret: c.Secret}
	}
	m := reg(`{"name":"Một cửa","unitId":{unit:GL25},"grantTypes":["client_credentials"],"scopes":["hub:motcua"]}`)
	rs := reg(`{"name":"LGSP","unitId":{unit:GL25},"grantTypes":["client_credentials"],"scopes":["introspect"]}`)
	return app, m, rs
}

func post(b *testing.B, app *testapp.App, path string, c registered, form url.Values) int {
	req, _ := http.NewRequest("POST", app.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ID, c.Secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func token(b *testing.B, app *testapp.App, m registered) string {
	req, _ := http.NewRequest("POST", app.URL+sso.PathToken, strings.NewReader("grant_type=client_credentials&scope=hub%3Amotcua"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(m.ID, m.Secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := jsonDecode(res.Body, &out); err != nil || out["access_token"] == nil {
		b.Fatalf("token: %d %v %v", res.StatusCode, out, err)
	}
	return out["access_token"].(string)
}

// BenchmarkSSO measures what a machine client and the hub's gateway pay:
// a client-credentials token (argon2id check of the secret, one grant
// row), an introspection over HTTP, the in-process Verify, and, as the
// baseline of the same run, GET /healthz through the same middleware.
func BenchmarkSSO(b *testing.B) {
	app, m, rs := benchApp(b)
	access := token(b, app, m)
	b.Run("healthz-baseline", func(b *testing.B) {
		for b.Loop() {
			res, err := http.Get(app.URL + "/healthz")
			if err != nil {
				b.Fatal(err)
			}
			res.Body.Close()
		}
	})
	b.Run("token-client-credentials", func(b *testing.B) {
		for b.Loop() {
			token(b, app, m)
		}
	})
	b.Run("introspect-http", func(b *testing.B) {
		for b.Loop() {
			if post(b, app, sso.PathIntrospect, rs, url.Values{"token": {access}}) != 200 {
				b.Fatal("introspection failed")
			}
		}
	})
	// What the secret's hash costs: the same client with its secret hashed
	// at passwords' costs (password.Default: 19 MiB, two passes) instead.
	slow, err := password.Default().Hash(rs.Secret)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := app.DB.Write.Exec(`UPDATE sso_clients SET secret_hash = $1 WHERE id = $2`, slow, rs.ID); err != nil {
		b.Fatal(err)
	}
	b.Run("introspect-http-secret-at-password-cost", func(b *testing.B) {
		for b.Loop() {
			if post(b, app, sso.PathIntrospect, rs, url.Values{"token": {access}}) != 200 {
				b.Fatal("introspection failed")
			}
		}
	})
	b.Run("verify-in-process", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			if _, err := app.Server.SSO.Verify(ctx, access, "hub:motcua"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
