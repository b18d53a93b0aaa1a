package sso_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/testapp"
)

// The relying parties' addresses: nothing listens there; the browser stops
// at the redirect and reads the code from it.
const (
	callback    = "http://127.0.0.1:1/callback"
	afterLogout = "http://127.0.0.1:1/bye"
)

// registered is a client made through the admin API.
type registered struct {
	ID, Secret string
}

// register registers a client as the national admin and returns its id and
// secret.
func register(t *testing.T, app *testapp.App, body string) registered {
	t.Helper()
	status, b, _ := app.Do(t, "admin", "POST", "/api/v1/sso/clients", app.Expand(t, nil, body))
	if status != 201 {
		t.Fatalf("register client: %d %s", status, b)
	}
	var c sso.NewClient
	testapp.JSON(t, b, &c)
	return registered{ID: c.ID, Secret: c.Secret}
}

// webClient registers the confidential web application most tests use.
func webClient(t *testing.T, app *testapp.App, trusted bool) registered {
	t.Helper()
	tr := "false"
	if trusted {
		tr = "true"
	}
	return register(t, app, `{"name":"Cổng dịch vụ công tỉnh Gia Lai","unitId":{unit:GL25},"trusted":`+tr+`,
		"grantTypes":["authorization_code","refresh_token"],"redirectUris":["`+callback+`"],"postLogoutRedirectUris":["`+afterLogout+`"],
		"scopes":["openid","profile","email","offline_access","tinhso"]}`)
}

// rp is a relying party: go-oidc against the test server's discovery and
// x/oauth2 for the code exchange.
type rp struct {
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	config   oauth2.Config
}

func newRP(t *testing.T, app *testapp.App, c registered, scopes ...string) *rp {
	t.Helper()
	p, err := oidc.NewProvider(context.Background(), app.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email", "offline_access", "tinhso"}
	}
	// The header, as the client registered (client_secret_basic): x/oauth2
	// would otherwise retry a refusal with the secret in the body.
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	return &rp{provider: p, verifier: p.Verifier(&oidc.Config{ClientID: c.ID}),
		config: oauth2.Config{ClientID: c.ID, ClientSecret: c.Secret, Endpoint: ep, RedirectURL: callback, Scopes: scopes}}
}

// browser keeps cookies, follows the provider's redirects and stops at the
// relying party's addresses.
type browser struct {
	app    *testapp.App
	client *http.Client
}

func newBrowser(app *testapp.App) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{app: app, client: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), app.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

// page is what a browser request ended on.
type page struct {
	Status   int
	URL      *url.URL // the last address requested
	Location *url.URL // where the provider sent the browser outside itself
	Body     string
}

func (b *browser) do(t *testing.T, req *http.Request) page {
	t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	p := page{Status: res.StatusCode, URL: res.Request.URL, Body: string(body)}
	if loc := res.Header.Get("Location"); loc != "" && res.StatusCode >= 300 && res.StatusCode < 400 {
		p.Location, _ = url.Parse(loc)
	}
	return p
}

func (b *browser) get(t *testing.T, u string) page {
	t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.app.URL + u
	}
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(t, req)
}

func (b *browser) post(t *testing.T, u string, form url.Values) page {
	t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.app.URL + u
	}
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.app.URL)
	return b.do(t, req)
}

var (
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	entities    = strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">")
)

// form reads the hidden fields of a page (the login form's next, the
// consent form's request).
func form(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(body, -1) {
		v.Add(entities.Replace(m[1]), entities.Replace(m[2]))
	}
	return v
}

// login fills the login form the provider sent the browser to.
func (b *browser) login(t *testing.T, p page, username string) page {
	t.Helper()
	if p.URL.Path != "/login" || !strings.Contains(p.Body, `action="/login"`) {
		t.Fatalf("expected the login form, got %d %s → %v\n%.400s", p.Status, p.URL, p.Location, p.Body)
	}
	f := form(p.Body)
	f.Set("username", username)
	f.Set("password", demo.Password)
	return b.post(t, "/login", f)
}

// consent answers the consent page.
func (b *browser) consent(t *testing.T, p page, decision string) page {
	t.Helper()
	if p.URL.Path != sso.PathAuthorize || !strings.Contains(p.Body, `name="decision"`) {
		t.Fatalf("expected the consent page, got %d %s\n%.400s", p.Status, p.URL, p.Body)
	}
	f := form(p.Body)
	f.Set("decision", decision)
	return b.post(t, sso.PathAuthorize, f)
}

// code reads the code from a redirect to the callback, failing otherwise.
func code(t *testing.T, p page, state string) string {
	t.Helper()
	if p.Location == nil || !strings.HasPrefix(p.Location.String(), callback) {
		t.Fatalf("expected a redirect to the callback, got %d %s\n%.600s", p.Status, p.URL, p.Body)
	}
	q := p.Location.Query()
	if q.Get("error") != "" {
		t.Fatalf("authorisation refused: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != state {
		t.Fatalf("state %q, want %q", q.Get("state"), state)
	}
	return q.Get("code")
}

// redirectError is the OAuth2 error a redirect to the callback carries.
func redirectError(t *testing.T, p page) string {
	t.Helper()
	if p.Location == nil || !strings.HasPrefix(p.Location.String(), callback) {
		t.Fatalf("expected a redirect to the callback, got %d %s\n%.600s", p.Status, p.URL, p.Body)
	}
	return p.Location.Query().Get("error")
}

// oauthError is the error member of a token-endpoint answer.
func oauthError(t *testing.T, err error) string {
	t.Helper()
	var re *oauth2.RetrieveError
	if err == nil {
		t.Fatal("the provider issued a token; want a refusal")
	}
	if !asRetrieve(err, &re) {
		t.Fatalf("not an OAuth2 error: %v", err)
	}
	return re.ErrorCode
}

func asRetrieve(err error, target **oauth2.RetrieveError) bool {
	for err != nil {
		if re, ok := err.(*oauth2.RetrieveError); ok {
			*target = re
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// postForm calls a machine endpoint with client credentials.
func postForm(t *testing.T, app *testapp.App, path string, c registered, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", app.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.ID != "" {
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	m := map[string]any{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %d %q", path, res.StatusCode, b)
		}
	}
	return res.StatusCode, m
}

// audits counts audit lines of a kind and outcome.
func audits(t *testing.T, app *testapp.App, kind string, success bool) int {
	t.Helper()
	return app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND success = $2`, kind, success)
}

func jsonB64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// signIn runs the code flow (PKCE S256 and a nonce) for a browser already
// signed in to tinhso and returns the tokens.
func (r *rp) signIn(t *testing.T, b *browser, state string) *oauth2.Token {
	t.Helper()
	v := oauth2.GenerateVerifier()
	p := b.get(t, r.config.AuthCodeURL(state, oauth2.S256ChallengeOption(v), oidc.Nonce("nonce-"+state)))
	tok, err := r.config.Exchange(context.Background(), code(t, p, state), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("exchange for %s: %v", state, err)
	}
	return tok
}
