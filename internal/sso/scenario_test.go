package sso_test

import (
	"net/http"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestClientAPIScenarios is the client-administration table: who may list,
// register, edit and give secrets to applications, and who may rotate the
// signing keys; every refusal is audited once and writes nothing.
func TestClientAPIScenarios(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		vars := map[string]string{}
		table := clientScenarios()
		app.Run(t, vars, table)
		app.CheckCoverage(t, vars, table, "sso")
	})
}

func clientScenarios() []testapp.Scenario {
	tables := []string{"sso_clients", "sso_keys", "sso_grants"}
	var snapshot map[string]int
	var denied int
	snap := func(user string) func(*testing.T, *testapp.App) {
		return func(t *testing.T, app *testapp.App) {
			snapshot = app.RowCounts(t, tables...)
			denied = app.Denials(t, user)
		}
	}
	refused := func(user string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			t.Helper()
			if n := app.Denials(t, user) - denied; n != 1 {
				t.Errorf("%d access.denied rows for one refusal of %s", n, user)
			}
			for table, n := range app.RowCounts(t, tables...) {
				if n != snapshot[table] {
					t.Errorf("%s: %d rows before, %d after a refused write", table, snapshot[table], n)
				}
			}
		}
	}
	unchanged := func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
		t.Helper()
		for table, n := range app.RowCounts(t, tables...) {
			if n != snapshot[table] {
				t.Errorf("%s: %d rows before, %d after a rejected write", table, snapshot[table], n)
			}
		}
	}
	web := `{"id":"congdvc.gialai","name":"Cổng dịch vụ công tỉnh Gia Lai","unitId":{unit:GL25},"grantTypes":["authorization_code","refresh_token"],
		"redirectUris":["https://dichvucong.gialai.gov.vn/oidc/callback"],"postLogoutRedirectUris":["https://dichvucong.gialai.gov.vn/"],"scopes":["openid","profile","tinhso","offline_access"]}`
	deny := func(name, user, method, path, body string, status int) testapp.Scenario {
		return testapp.Scenario{Name: name, Call: testapp.Call{User: user, Method: method, Path: path, Body: body}, Status: status, Before: snap(user), Check: refused(user)}
	}
	return []testapp.Scenario{
		{Name: "the list needs credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/sso/clients"}, Status: 401},
		deny("a reporter may not list applications", "baocao.pleiku", "GET", "/api/v1/sso/clients", "", 403),
		{Name: "an admin lists none yet", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/sso/clients"}, Status: 200, Header: map[string]string{"X-Total-Count": "0"}},

		deny("a reporter may not register", "baocao.pleiku", "POST", "/api/v1/sso/clients", web, 403),
		deny("a leader may not register", "lanhdao", "POST", "/api/v1/sso/clients", web, 403),
		deny("a coordinator may not register", "dieuphoi", "POST", "/api/v1/sso/clients", web, 403),
		deny("Lai Châu's admin may not register under Gia Lai", "quantri.laichau", "POST", "/api/v1/sso/clients", web, 403),
		{Name: "a registration with every field wrong", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/sso/clients",
			Body: `{"id":"A B","name":"","unitId":{unit:GL25},"public":true,"grantTypes":["refresh_token","client_credentials","password"],
			"redirectUris":["http://dichvucong.gialai.gov.vn/cb","https://x.vn/cb#frag","/relative"],"scopes":["openid","Bad Scope"],"accessTokenTtl":5}`},
			Status: 422, Before: snap("admin"), Check: unchanged,
			Fields: []string{"id", "name", "grantTypes[2]", "grantTypes", "grantTypes", "redirectUris[0]", "redirectUris[1]", "redirectUris[2]", "scopes[1]", "accessTokenTtl"}},
		{Name: "a login client needs openid and a redirect URI", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/sso/clients",
			Body: `{"name":"Thiếu","unitId":{unit:GL25},"grantTypes":["authorization_code"],"scopes":["profile"]}`}, Status: 422, Fields: []string{"redirectUris", "scopes"}},
		{Name: "an admin registers a web application", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/sso/clients", Body: web}, Status: 201,
			Contains: []string{`"id":"congdvc.gialai"`, `"clientSecret":"tss_`, `"tokenEndpointAuthMethod":"client_secret_basic"`},
			Header:   map[string]string{"Cache-Control": "no-store"}, Capture: map[string]string{"secret": "clientSecret"},
			Check: func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
				var hash string
				app.DB.Read.QueryRow(`SELECT secret_hash FROM sso_clients WHERE id = 'congdvc.gialai'`).Scan(&hash)
				if len(hash) < 20 || hash[:9] != "$argon2id" {
					t.Errorf("the secret is not stored as an argon2id hash: %q", hash)
				}
				if app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'sso.client' AND subject = 'congdvc.gialai'`) != 1 {
					t.Error("registration not audited")
				}
			}},
		{Name: "the same id again", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/sso/clients", Body: web}, Status: 422, Fields: []string{"id"}},
		{Name: "a public application gets no secret", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/sso/clients",
			Body: `{"id":"app.didong","name":"Ứng dụng di động","unitId":{unit:GL25},"public":true,"grantTypes":["authorization_code"],"redirectUris":["https://app.gialai.gov.vn/cb"],"scopes":["openid"]}`},
			Status: 201, Contains: []string{`"tokenEndpointAuthMethod":"none"`}, Absent: []string{"clientSecret"}},
		{Name: "Lai Châu's admin registers a machine client of Lai Châu", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/sso/clients",
			Body: `{"id":"motcua.laichau","name":"Một cửa Lai Châu","unitId":{unit:LC},"grantTypes":["client_credentials"],"scopes":["hub:lc.motcua"]}`}, Status: 201},

		{Name: "a coordinator reads a Gia Lai application, without its secret", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/v1/sso/clients/congdvc.gialai"}, Status: 200,
			Contains: []string{"Cổng dịch vụ công tỉnh Gia Lai"}, Absent: []string{"tss_", "argon2", "{var:secret}"}},
		deny("Lai Châu's admin may not read it", "quantri.laichau", "GET", "/api/v1/sso/clients/congdvc.gialai", "", 403),
		{Name: "Lai Châu's admin lists Lai Châu's only", Call: testapp.Call{User: "quantri.laichau", Method: "GET", Path: "/api/v1/sso/clients"}, Status: 200,
			Contains: []string{"motcua.laichau"}, Absent: []string{"congdvc.gialai"}, Header: map[string]string{"X-Total-Count": "1"}},
		{Name: "an application that does not exist", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/sso/clients/khong-co"}, Status: 404},

		deny("a coordinator may not edit", "dieuphoi", "PUT", "/api/v1/sso/clients/congdvc.gialai", web, 403),
		deny("Lai Châu's admin may not edit", "quantri.laichau", "PUT", "/api/v1/sso/clients/congdvc.gialai", web, 403),
		{Name: "an admin makes it trusted", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/sso/clients/congdvc.gialai",
			Body: `{"name":"Cổng dịch vụ công","unitId":{unit:GL25},"trusted":true,"grantTypes":["authorization_code"],"redirectUris":["https://dichvucong.gialai.gov.vn/oidc/callback"],"scopes":["openid"],"idTokenTtl":300}`},
			Status: 200, Contains: []string{`"trusted":true`, `"idTokenTtl":300`}},
		{Name: "public or confidential does not change", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/sso/clients/congdvc.gialai",
			Body: `{"name":"Cổng","unitId":{unit:GL25},"public":true,"grantTypes":["authorization_code"],"redirectUris":["https://dichvucong.gialai.gov.vn/oidc/callback"],"scopes":["openid"]}`},
			Status: 422, Fields: []string{"public"}},

		deny("a coordinator may not make a secret", "dieuphoi", "POST", "/api/v1/sso/clients/congdvc.gialai/secret", "", 403),
		{Name: "an admin makes a new secret", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/sso/clients/congdvc.gialai/secret"}, Status: 200,
			Contains: []string{`"clientSecret":"tss_`}, Absent: []string{"{var:secret}"}},
		{Name: "a public application has no secret to renew", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/sso/clients/app.didong/secret"}, Status: 422, Fields: []string{"public"}},

		deny("Lai Châu's admin may not list the signing keys", "quantri.laichau", "GET", "/api/v1/sso/keys", "", 403),
		deny("Lai Châu's admin may not rotate them", "quantri.laichau", "POST", "/api/v1/sso/keys/rotate", "", 403),
		{Name: "the national admin rotates the signing key", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/sso/keys/rotate"}, Status: 201, Contains: []string{`"alg":"RS256"`}, Absent: []string{`"d":`, "PRIVATE"}},
		{Name: "and again: the first key is retired, still published", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/sso/keys/rotate"}, Status: 201},
		{Name: "the national admin lists the keys", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/sso/keys"}, Status: 200,
			Contains: []string{`"retiredAt"`, `"publishUntil"`}, Absent: []string{`"d":`, "private"}, Header: map[string]string{"X-Total-Count": "2"}},
	}
}
