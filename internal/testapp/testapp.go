// Package testapp starts a whole tinhso server with the demo province for
// tests that drive the public surfaces (HTTP API, pages, browser), once per
// database engine under test.
package testapp

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/server"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
)

func init() {
	// Request logs would drown test output; warnings and errors still show.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// App is a running server on a fresh database holding the demo province.
type App struct {
	URL    string
	DB     *store.DB
	Server *server.Server
	Org    *org.Store
	tokens map[string]string
}

// Each runs fn once per engine under test, each with its own App on its
// own copy of the demo province.
func Each(t *testing.T, fn func(t *testing.T, app *App)) {
	t.Helper()
	for engine, u := range DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			fn(t, New(t, u))
		})
	}
}

// LoadDemo loads the demo province with cheap password hashes (stored
// hashes carry their parameters, so logins stay fast too).
func LoadDemo(ctx context.Context, db *store.DB) error {
	return demo.Load(ctx, db, password.Cheap())
}

// DemoURLs returns, per engine under test, a fresh database holding the
// demo province (copied from one built once per test process).
func DemoURLs(t testing.TB) map[store.Engine]string {
	return storetest.Cloned(t, "demo", LoadDemo)
}

// New starts an App on the database at dbURL, loading the demo province
// into it unless it is there already.
func New(t testing.TB, dbURL string) *App {
	t.Helper()
	return NewWith(t, dbURL, nil)
}

// NewWith is New with settings changed by configure (an SMTP server, a
// base URL) before the server is built. Apps sign everyone in with a
// password alone unless configure asks for a second factor (TOTPRoles), so
// that tests of other parts log in as admins through the form.
func NewWith(t testing.TB, dbURL string, configure func(*config.Config)) *App {
	t.Helper()
	db := storetest.Open(t, dbURL)
	if err := LoadDemo(context.Background(), db); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	cfg := config.Default()
	cfg.Database = dbURL
	cfg.Passwords = password.Cheap()
	cfg.TOTPRoles = "none"
	if configure != nil {
		configure(&cfg)
	}
	srv := server.New(cfg, db)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &App{URL: ts.URL, DB: db, Server: srv, Org: srv.Org, tokens: map[string]string{}}
}

// Token returns an API token of a demo user (created once per App).
func (a *App) Token(t testing.TB, username string) string {
	t.Helper()
	if tok, ok := a.tokens[username]; ok {
		return tok
	}
	o, err := a.Org.OfficialByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("token for %s: %v", username, err)
	}
	var nt auth.NewToken
	err = a.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		nt, err = auth.CreateToken(context.Background(), tx, o.ID, auth.TokenInput{Name: "test"}, a.Server.Auth.Tokens)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a.tokens[username] = nt.Secret
	return nt.Secret
}

// UnitID looks up a unit's id by code.
func (a *App) UnitID(t testing.TB, code string) int64 {
	t.Helper()
	var id int64
	if err := a.DB.Read.QueryRow(`SELECT id FROM org_units WHERE code = $1`, code).Scan(&id); err != nil {
		t.Fatalf("unit %s: %v", code, err)
	}
	return id
}

// Do sends an API request as username ("" for anonymous) and returns the
// status and body.
func (a *App) Do(t testing.TB, username, method, path string, body string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, a.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if username != "" {
		req.Header.Set("Authorization", "Bearer "+a.Token(t, username))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header
}

// JSON decodes an API answer into v, failing the test on a bad body.
func JSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
}

// Browser is a cookie-keeping client that signs in through the login form,
// as a person does.
type Browser struct {
	app    *App
	Client *http.Client
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// Login signs username in with the demo password.
func (a *App) Login(t testing.TB, username string) *Browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &Browser{app: a, Client: &http.Client{Jar: jar}}
	status, body := b.Post(t, "/login", url.Values{"username": {username}, "password": {demo.Password}})
	if status != 200 || strings.Contains(body, `action="/login"`) {
		t.Fatalf("login %s: status %d", username, status)
	}
	return b
}

// Get fetches a page and returns status and body.
func (b *Browser) Get(t testing.TB, path string) (int, string) {
	t.Helper()
	res, err := b.Client.Get(b.app.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// CSRF reads the CSRF token from a page the browser can see.
func (b *Browser) CSRF(t testing.TB) string {
	t.Helper()
	_, body := b.Get(t, "/account")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// Post submits a form (adding the session's CSRF token when signed in),
// following redirects, and returns the final status and body.
func (b *Browser) Post(t testing.TB, path string, form url.Values) (int, string) {
	t.Helper()
	if form.Get("csrf") == "" && path != "/login" {
		form.Set("csrf", b.CSRF(t))
	}
	res, err := b.Client.PostForm(b.app.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}
