package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestTokensFromTheProvider: the hub's client secrets are client_credentials
// clients of the single sign-on provider; a consumer buys its token at the
// provider's token endpoint (x/oauth2's clientcredentials as the client)
// and calls a service through the gateway; revocations at the provider
// and at the hub are refused within the documented bounds.
func TestTokensFromTheProvider(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		var skew atomic.Int64 // the gateway's clock runs ahead by this much
		w := newWorld(t, app, false, func(o *hub.GatewayOptions) {
			o.Clock = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		})
		issue := func(t *testing.T, subsystem int64, name string) (string, string, int64) {
			m := do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/secrets", subsystem), `{"name":"`+name+`"}`)
			return m["clientId"].(string), m["clientSecret"].(string), id(m)
		}
		provider := func(id, secret string) *clientcredentials.Config {
			return &clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: app.URL + sso.PathToken}
		}
		ctx := context.Background()
		exchange := func(tok string) answer {
			return call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", "Bearer "+tok, "X-Road-Client", w.with)
		}
		revoke := func(t *testing.T, id, secret, tok string) {
			t.Helper()
			req, _ := http.NewRequest("POST", app.URL+sso.PathRevoke, strings.NewReader(url.Values{"token": {tok}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(id, secret)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("revocation: %d", res.StatusCode)
			}
		}
		introspect := func(t *testing.T, tok string) bool {
			t.Helper()
			// The demo application's secret stands for any resource server.
			c := newIntrospector(t, app)
			req, _ := http.NewRequest("POST", app.URL+sso.PathIntrospect, strings.NewReader(url.Values{"token": {tok}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(c[0], c[1])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var m struct {
				Active   bool   `json:"active"`
				ClientID string `json:"client_id"`
				Scope    string `json:"scope"`
			}
			if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&m) != nil {
				t.Fatalf("introspection: %d", res.StatusCode)
			}
			return m.Active
		}

		t.Run("a token from the provider's endpoint calls a service through the gateway", func(t *testing.T) {
			cid, secret, _ := issue(t, w.withID, "qua nhà cung cấp")
			tok, err := provider(cid, secret).Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tok.Extra("scope") != hub.Scope || !strings.EqualFold(tok.TokenType, "bearer") || time.Until(tok.Expiry) <= 0 {
				t.Errorf("token %+v scope %v", tok, tok.Extra("scope"))
			}
			if a := exchange(tok.AccessToken); a.status != 200 {
				t.Fatalf("exchange: %d %s", a.status, a.body)
			}
			// The gateway's endpoint is the same issuer: its token is the
			// provider's, and the provider's introspection knows it.
			gw := w.token(t, cid, secret)
			if !introspect(t, gw) || !introspect(t, tok.AccessToken) {
				t.Error("the provider does not know a token the gateway sold, or its own")
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'sso.token' AND success = $1 AND subject = $2`, true, cid); n != 2 {
				t.Errorf("%d sso.token events for %s, want 2", n, cid)
			}
			// Another subsystem's X-Road-Client with this token is refused.
			fault(t, call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", "Bearer "+tok.AccessToken, "X-Road-Client", w.without), 500, hub.FaultAuthentication)
		})

		t.Run("revoked at the provider, refused at the next gateway call", func(t *testing.T) {
			cid, secret, _ := issue(t, w.withID, "thu hồi")
			tok, err := provider(cid, secret).Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if a := exchange(tok.AccessToken); a.status != 200 {
				t.Fatalf("before: %d %s", a.status, a.body)
			}
			revoke(t, cid, secret, tok.AccessToken)
			fault(t, exchange(tok.AccessToken), 500, hub.FaultAuthentication)
		})

		t.Run("revoked on another node, refused within the cache's bound", func(t *testing.T) {
			cid, secret, _ := issue(t, w.withID, "nút khác")
			tok, err := provider(cid, secret).Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if a := exchange(tok.AccessToken); a.status != 200 {
				t.Fatalf("before: %d %s", a.status, a.body)
			}
			// Another node's revocation: the row goes, this node is not told.
			if _, err := app.DB.Write.Exec(`DELETE FROM sso_grants WHERE client_id = $1`, cid); err != nil {
				t.Fatal(err)
			}
			if a := exchange(tok.AccessToken); a.status != 200 {
				t.Fatalf("within the bound the cached answer holds: %d %s", a.status, a.body)
			}
			skew.Store(int64(sso.AccessCacheTTL))
			defer skew.Store(0)
			fault(t, exchange(tok.AccessToken), 500, hub.FaultAuthentication)
		})

		t.Run("a credential revoked at the hub: refused at once, and the provider sells it nothing", func(t *testing.T) {
			cid, secret, credID := issue(t, w.withID, "thu hồi ở trục")
			tok, err := provider(cid, secret).Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if a := exchange(tok.AccessToken); a.status != 200 {
				t.Fatalf("before: %d %s", a.status, a.body)
			}
			do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/credentials/%d/revoke", credID), "")
			fault(t, exchange(tok.AccessToken), 500, hub.FaultAuthentication)
			if introspect(t, tok.AccessToken) {
				t.Error("the provider still says the token of a revoked credential is active")
			}
			oauthError(t, provider(cid, secret), 401, "invalid_client")
		})

		t.Run("a rotated secret: the new one buys tokens, the old one until its grace ends", func(t *testing.T) {
			cid, secret, credID := issue(t, w.withID, "xoay vòng")
			m := do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/credentials/%d/rotate", credID), `{"graceMinutes":0}`)
			if _, err := provider(m["clientId"].(string), m["clientSecret"].(string)).Token(ctx); err != nil {
				t.Errorf("the new secret: %v", err)
			}
			oauthError(t, provider(cid, secret), 401, "invalid_client")
		})

		t.Run("refusals with RFC 6749's error codes, audited", func(t *testing.T) {
			cid, secret, _ := issue(t, w.withID, "từ chối")
			oauthError(t, provider(cid, secret+"x"), 401, "invalid_client")
			oauthError(t, provider("hubc_khongco", secret), 401, "invalid_client")
			// Basic or form: both, as the hub's endpoint always took.
			form := provider(cid, secret+"x")
			form.AuthStyle = oauth2.AuthStyleInParams
			oauthError(t, form, 401, "invalid_client")
			good := provider(cid, secret)
			good.AuthStyle = oauth2.AuthStyleInParams
			if _, err := good.Token(ctx); err != nil {
				t.Errorf("client_secret_post: %v", err)
			}
			// A hub client asks for the hub's scope, nothing else.
			asks := provider(cid, secret)
			asks.Scopes = []string{"openid"}
			oauthError(t, asks, 400, "invalid_scope")
			// The gateway's endpoint answers the same errors.
			req, _ := http.NewRequest("POST", w.url+"/oauth2/token", strings.NewReader("grant_type=password&username=a&password=b"))
			req.SetBasicAuth(cid, secret)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var e struct {
				Error string `json:"error"`
			}
			json.NewDecoder(res.Body).Decode(&e)
			res.Body.Close()
			if res.StatusCode != 400 || e.Error != "unsupported_grant_type" {
				t.Errorf("a password grant at the gateway: %d %q", res.StatusCode, e.Error)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'sso.token' AND success = $1 AND subject IN ($2, 'hubc_khongco') AND detail LIKE '%invalid_client%'`, false, cid); n < 3 {
				t.Errorf("%d refusals audited, want 3", n)
			}
		})

		t.Run("a token whose lifetime is over is refused", func(t *testing.T) {
			cid, secret, _ := issue(t, w.withID, "hết hạn")
			tok, err := provider(cid, secret).Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if a := exchange(tok.AccessToken); a.status != 200 {
				t.Fatalf("live: %d %s", a.status, a.body)
			}
			skew.Store(int64(time.Until(tok.Expiry) + time.Second))
			defer skew.Store(0)
			fault(t, exchange(tok.AccessToken), 500, hub.FaultAuthentication)
		})

		t.Run("no application may take a hub client's id", func(t *testing.T) {
			status, b, _ := app.Send(t, nil, testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/sso/clients",
				Body: `{"id":"hubc_giaodanh","name":"Giả danh","unitId":{unit:GL25},"grantTypes":["client_credentials"],"scopes":["hub"]}`})
			if status != 422 || !strings.Contains(string(b), "duplicate") {
				t.Errorf("%d %s", status, b)
			}
		})
	})
}

// oauthError checks that a token request is refused with an OAuth2 error.
func oauthError(t *testing.T, c *clientcredentials.Config, status int, code string) {
	t.Helper()
	_, err := c.Token(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != status || re.ErrorCode != code {
		t.Errorf("client %s: %v, want %d %s", c.ClientID, err, status, code)
	}
}

// newIntrospector registers a resource server allowed to introspect.
func newIntrospector(t *testing.T, app *testapp.App) [2]string {
	t.Helper()
	status, b, _ := app.Send(t, nil, testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/sso/clients",
		Body: `{"name":"Máy chủ tài nguyên","unitId":{unit:GL25},"grantTypes":["client_credentials"],"scopes":["api"]}`})
	if status != 201 {
		t.Fatalf("register a resource server: %d %s", status, b)
	}
	var c struct {
		ID     string `json:"id"`
		Secret string `json:"clientSecret"`
	}
	testapp.JSON(t, b, &c)
	return [2]string{c.ID, c.Secret}
}

// TestTokenEndpointContext: the gateway's /oauth2/token hands the provider
// a context of its own, bounded in time, not fasthttp's RequestCtx, which
// is recycled for the next request once the handler returns while the
// goroutines that context.WithCancel starts over it (database/sql's) may
// still read it (a data race the -race suite met).
func TestTokenEndpointContext(t *testing.T) {
	t.Parallel()
	app := testapp.New(t, testapp.DemoURLs(t)[store.SQLite])
	seen := make(chan context.Context, 1)
	app.Server.Hub.UseTokens(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Context()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"error":"invalid_client"}`))
	}), nil)
	gw, err := app.Server.Hub.NewGateway(hub.GatewayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- gw.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	a := call(t, nil, "POST", "http://"+ln.Addr().String()+"/oauth2/token", strings.NewReader("grant_type=client_credentials"), "Content-Type", "application/x-www-form-urlencoded")
	if a.status != 200 || !strings.Contains(string(a.body), "invalid_client") {
		t.Fatalf("the provider's answer did not come through: %d %s", a.status, a.body)
	}
	rc := <-seen
	if _, ok := rc.Deadline(); !ok {
		t.Errorf("the provider's context has no deadline: %T", rc)
	}
	if rc.Err() == nil {
		t.Errorf("the provider's context outlives its request: %T", rc)
	}
}
