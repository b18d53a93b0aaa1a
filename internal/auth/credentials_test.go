package auth_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestDHIS2Credentials sends credentials as DHIS2 clients do — an
// ApiToken header, HTTP Basic with a token as the password, Basic with the
// real password — and checks that each is accepted only as it should be,
// that every failure is a failed login in the audit trail (and counts
// towards the throttle), and that a password over plain HTTP is refused
// without being checked.
func TestDHIS2Credentials(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		tok := app.Token(t, "baocao.laichau")
		tlsSrv := httptest.NewTLSServer(app.Server.Handler())
		t.Cleanup(tlsSrv.Close)
		basic := func(user, secret string) string {
			return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
		}
		failures := func(detail string) int {
			return app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'login' AND success = $1 AND detail LIKE $2`, false, "%"+detail+"%")
		}
		for _, c := range []struct {
			name    string
			tls     bool
			header  string
			status  int
			body    string
			failure string // the audit detail a failure records
		}{
			{"ApiToken", false, "ApiToken " + tok, 200, `"username":"baocao.laichau"`, ""},
			{"ApiToken, any case", false, "apitoken " + tok, 200, `"username":"baocao.laichau"`, ""},
			{"ApiToken that is not one", false, "ApiToken tsk_not-a-real-token", 401, `"code":"unauthorized"`, "api token rejected"},
			{"Basic with the token as password", false, basic("baocao.laichau", tok), 200, `"username":"baocao.laichau"`, ""},
			{"Basic with another official's token", false, basic("admin", tok), 401, `"code":"unauthorized"`, "basic: api token rejected"},
			{"Basic with the password over plain HTTP", false, basic("baocao.laichau", demo.Password), 401, `"code":"basic_needs_tls"`, "password over plain HTTP"},
			{"Basic with the password over TLS", true, basic("baocao.laichau", demo.Password), 200, `"username":"baocao.laichau"`, ""},
			{"Basic with a wrong password over TLS", true, basic("baocao.laichau", "sai-mat-khau"), 401, `"code":"unauthorized"`, "basic: wrong password"},
			{"Basic for an account that does not exist", true, basic("khong.co", "sai-mat-khau"), 401, `"code":"unauthorized"`, "basic: unknown account"},
			{"Basic that is not base64", false, "Basic ***", 401, `"code":"unauthorized"`, "basic: malformed"},
		} {
			t.Run(c.name, func(t *testing.T) {
				base, client := app.URL, http.DefaultClient
				if c.tls {
					base, client = tlsSrv.URL, tlsSrv.Client()
				}
				before := failures(c.failure)
				req, _ := http.NewRequest("GET", base+"/api/me", nil)
				req.Header.Set("Authorization", c.header)
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != c.status || !strings.Contains(string(b), c.body) {
					t.Fatalf("status %d, want %d: %s", res.StatusCode, c.status, b)
				}
				if c.status == 401 && res.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
				if c.failure != "" {
					if n := failures(c.failure) - before; n != 1 {
						t.Errorf("%d failed-login rows %q, want 1", n, c.failure)
					}
				}
			})
		}
		if !strings.Contains(auth.ErrBasicNeedsTLS.Key, "basic_needs_tls") {
			t.Errorf("the plain-HTTP refusal has key %q", auth.ErrBasicNeedsTLS.Key)
		}

		// Basic failures count towards the login throttle: after five wrong
		// passwords the right one is refused too, and recorded as throttled.
		t.Run("throttled", func(t *testing.T) {
			send := func(pw string) int {
				req, _ := http.NewRequest("GET", tlsSrv.URL+"/api/me", nil)
				req.Header.Set("Authorization", basic("baocao.pleiku", pw))
				res, err := tlsSrv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			for range auth.MaxAccountFailures {
				if s := send("sai"); s != 401 {
					t.Fatalf("wrong password: %d", s)
				}
			}
			if s := send(demo.Password); s != 429 {
				t.Errorf("right password after %d failures: %d, want 429", auth.MaxAccountFailures, s)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'login' AND subject = 'baocao.pleiku' AND detail = 'throttled'`); n != 1 {
				t.Errorf("%d throttled rows", n)
			}
		})
	})
}
