// Package demoapp is the small application `tinhso demo` starts beside
// tinhso to show single sign-on across two applications: an ordinary
// OpenID Connect relying party, built on github.com/coreos/go-oidc/v3 and
// golang.org/x/oauth2 as any of the province's applications would be,
// knowing tinhso only through its discovery document and a registered
// client. It shares no code, cookie or database with the provider.
//
// It signs in with the authorisation code flow (PKCE S256, state bound to
// the browser by a cookie, nonce), verifies the ID token, and asks the
// userinfo endpoint on every page view (refreshing the access token with
// the refresh token when it expires), so that logging out anywhere —
// tinhso's own logout, the account page's sessions, an administrator's
// "sign out everywhere" — ends this application's session too. Its logout
// is RP-initiated logout at the provider with id_token_hint and a
// registered post_logout_redirect_uri.
package demoapp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Config is the application's registration with the provider.
type Config struct {
	Issuer       string // the provider's issuer (its discovery is read from there)
	ClientID     string
	ClientSecret string
	BaseURL      string // this application's own address, e.g. http://127.0.0.1:8081
	// HTTPClient talks to the provider (nil: http.DefaultClient).
	HTTPClient *http.Client
}

// RedirectPath and LogoutPath are the application's addresses the client
// registration names (BaseURL + RedirectPath, BaseURL + "/").
const (
	RedirectPath = "/callback"
	LogoutPath   = "/"
)

// Scopes the application asks for.
var Scopes = []string{oidc.ScopeOpenID, "profile", "email", "offline_access", "tinhso", "vneid"}

const (
	sessionCookie = "tinhso_demoapp_session"
	stateCookie   = "tinhso_demoapp_state"
	sessionTTL    = 8 * time.Hour
	loginTTL      = 10 * time.Minute
)

// App is the demo application; its state lives in memory.
type App struct {
	cfg Config

	mu       sync.Mutex
	provider *oidc.Provider
	sessions map[string]*session
	logins   map[string]*login
}

type session struct {
	idToken  string
	claims   map[string]any
	userinfo map[string]any
	source   oauth2.TokenSource
	expires  time.Time
}

type login struct {
	verifier, nonce, acr string
	expires              time.Time
}

// New returns the application; the provider's discovery is read on the
// first request that needs it.
func New(cfg Config) *App {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &App{cfg: cfg, sessions: map[string]*session{}, logins: map[string]*login{}}
}

// RedirectURI is the address the provider sends codes to.
func (a *App) RedirectURI() string { return a.cfg.BaseURL + RedirectPath }

// PostLogoutURI is where the provider sends the browser after logout.
func (a *App) PostLogoutURI() string { return a.cfg.BaseURL + LogoutPath }

func (a *App) ctx(r *http.Request) context.Context {
	if a.cfg.HTTPClient != nil {
		return oidc.ClientContext(r.Context(), a.cfg.HTTPClient)
	}
	return r.Context()
}

func (a *App) discover(ctx context.Context) (*oidc.Provider, oauth2.Config, error) {
	a.mu.Lock()
	p := a.provider
	a.mu.Unlock()
	if p == nil {
		var err error
		if p, err = oidc.NewProvider(ctx, a.cfg.Issuer); err != nil {
			return nil, oauth2.Config{}, err
		}
		a.mu.Lock()
		a.provider = p
		a.mu.Unlock()
	}
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	return p, oauth2.Config{ClientID: a.cfg.ClientID, ClientSecret: a.cfg.ClientSecret, Endpoint: ep, RedirectURL: a.RedirectURI(), Scopes: Scopes}, nil
}

// Handler serves the application.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET "+RedirectPath, a.callback)
	mux.HandleFunc("POST /logout", a.logout)
	return mux
}

func random() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// login starts the code flow. ?acr=… asks the provider for a level of
// assurance (acr_values), e.g. a citizen's VNeID level 2.
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	_, oc, err := a.discover(a.ctx(r))
	if err != nil {
		a.fail(w, r, http.StatusBadGateway, "discovery", err)
		return
	}
	state, l := random(), &login{verifier: oauth2.GenerateVerifier(), nonce: random(), acr: r.URL.Query().Get("acr"), expires: time.Now().Add(loginTTL)}
	a.mu.Lock()
	for k, v := range a.logins {
		if time.Now().After(v.expires) {
			delete(a.logins, k)
		}
	}
	a.logins[state] = l
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: int(loginTTL.Seconds())})
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(l.verifier), oidc.Nonce(l.nonce)}
	if l.acr != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", l.acr))
	}
	if lang := r.URL.Query().Get("lang"); lang != "" {
		opts = append(opts, oauth2.SetAuthURLParam("ui_locales", lang))
	}
	http.Redirect(w, r, oc.AuthCodeURL(state, opts...), http.StatusSeeOther)
}

// callback exchanges the code and opens the application's own session.
func (a *App) callback(w http.ResponseWriter, r *http.Request) {
	ctx := a.ctx(r)
	q := r.URL.Query()
	c, err := r.Cookie(stateCookie)
	if err != nil || c.Value == "" || c.Value != q.Get("state") {
		a.fail(w, r, http.StatusBadRequest, "state", errors.New("the state does not match this browser's login"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: "/", MaxAge: -1})
	a.mu.Lock()
	l := a.logins[c.Value]
	delete(a.logins, c.Value)
	a.mu.Unlock()
	if l == nil || time.Now().After(l.expires) {
		a.fail(w, r, http.StatusBadRequest, "state", errors.New("the login expired; start again"))
		return
	}
	if e := q.Get("error"); e != "" {
		a.fail(w, r, http.StatusForbidden, e, errors.New(q.Get("error_description")))
		return
	}
	p, oc, err := a.discover(ctx)
	if err != nil {
		a.fail(w, r, http.StatusBadGateway, "discovery", err)
		return
	}
	tok, err := oc.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(l.verifier))
	if err != nil {
		a.fail(w, r, http.StatusBadGateway, "token", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: a.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		a.fail(w, r, http.StatusBadGateway, "id_token", err)
		return
	}
	if idt.Nonce != l.nonce {
		a.fail(w, r, http.StatusBadGateway, "nonce", errors.New("the ID token's nonce is not this login's"))
		return
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		a.fail(w, r, http.StatusBadGateway, "id_token", err)
		return
	}
	sid := random()
	a.mu.Lock()
	a.sessions[sid] = &session{idToken: raw, claims: claims, source: oc.TokenSource(context.WithoutCancel(ctx), tok), expires: time.Now().Add(sessionTTL)}
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: int(sessionTTL.Seconds())})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *App) current(r *http.Request) (string, *session) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[c.Value]
	if s != nil && time.Now().After(s.expires) {
		delete(a.sessions, c.Value)
		return "", nil
	}
	return c.Value, s
}

func (a *App) drop(w http.ResponseWriter, sid string) {
	a.mu.Lock()
	delete(a.sessions, sid)
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1})
}

// home shows who is signed in, as the provider says now: the userinfo
// endpoint is asked on every view, so a session ended at the provider
// ends here too.
func (a *App) home(w http.ResponseWriter, r *http.Request) {
	d := homeData{Issuer: a.cfg.Issuer, ClientID: a.cfg.ClientID}
	sid, s := a.current(r)
	if s != nil {
		ctx := a.ctx(r)
		p, _, err := a.discover(ctx)
		var info *oidc.UserInfo
		if err == nil {
			info, err = p.UserInfo(ctx, s.source)
		}
		if err != nil {
			slog.Info("demo application: the provider ended the session", "err", err)
			a.drop(w, sid)
			d.Ended = true
		} else {
			claims := map[string]any{}
			info.Claims(&claims)
			d.Signed = true
			d.Claims, d.Userinfo = s.claims, claims
			d.Name, _ = claims["name"].(string)
			if d.Name == "" {
				d.Name, _ = claims["preferred_username"].(string)
			}
		}
	}
	d.LoggedOut = r.URL.Query().Get("state") == "bye"
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := homePage.Execute(w, d); err != nil {
		slog.Error("demo application page", "err", err)
	}
}

// logout ends the application's session and asks the provider to end the
// single sign-on session (RP-initiated logout).
func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && o != a.cfg.BaseURL {
		http.Error(w, "cross-origin logout refused", http.StatusForbidden)
		return
	}
	sid, s := a.current(r)
	if s == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	a.drop(w, sid)
	end := strings.TrimRight(a.cfg.Issuer, "/") + "/oauth2/logout"
	if p, _, err := a.discover(a.ctx(r)); err == nil {
		var meta struct {
			End string `json:"end_session_endpoint"`
		}
		if p.Claims(&meta) == nil && meta.End != "" {
			end = meta.End
		}
	}
	v := url.Values{"id_token_hint": {s.idToken}, "post_logout_redirect_uri": {a.PostLogoutURI()}, "state": {"bye"}}
	http.Redirect(w, r, end+"?"+v.Encode(), http.StatusSeeOther)
}

func (a *App) fail(w http.ResponseWriter, r *http.Request, status int, what string, err error) {
	slog.Warn("demo application: login failed", "step", what, "err", err)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	homePage.Execute(w, homeData{Issuer: a.cfg.Issuer, ClientID: a.cfg.ClientID, Error: what + ": " + err.Error()})
}

type homeData struct {
	Issuer, ClientID, Name, Error string
	Signed, Ended, LoggedOut      bool
	Claims, Userinfo              map[string]any
}

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ứng dụng demo — Demo application</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
.card{border:1px solid #ccc;border-radius:.5rem;padding:1rem;margin:1rem 0}button,.button{font:inherit;padding:.5rem 1rem;border-radius:.3rem;border:1px solid #0b5394;background:#0b5394;color:#fff;text-decoration:none;display:inline-block}
.secondary{background:#fff;color:#0b5394}.muted{color:#555}dt{font-weight:600}code{word-break:break-all}</style></head>
<body>
<h1>Hệ thống một cửa điện tử (ứng dụng demo)</h1>
<p class="muted">Demo application: a separate relying party of tinhso's single sign-on (client <code>{{.ClientID}}</code>, provider <code>{{.Issuer}}</code>).</p>
{{if .Error}}<div class="card" role="alert" id="error"><strong>Đăng nhập không thành công (login failed):</strong> <code>{{.Error}}</code></div>{{end}}
{{if .Ended}}<div class="card" role="status" id="ended">Phiên đăng nhập đã kết thúc tại tinhso. — Your tinhso session ended, so this application signed you out.</div>{{end}}
{{if .LoggedOut}}<div class="card" role="status" id="bye">Bạn đã đăng xuất khỏi mọi ứng dụng. — You are signed out of every application.</div>{{end}}
{{if .Signed}}
<div class="card" id="signed-in">
<p>Xin chào <strong id="who">{{.Name}}</strong> — signed in through tinhso, without a password of this application.</p>
<dl>{{with .Userinfo.preferred_username}}<dt>Tên đăng nhập (username)</dt><dd id="username">{{.}}</dd>{{end}}
{{with .Userinfo.personal_id}}<dt>Số định danh cá nhân (personal id)</dt><dd id="personal-id">{{.}}</dd>{{end}}
{{with .Userinfo.account_type}}<dt>Loại tài khoản (account type)</dt><dd id="account-type">{{.}}</dd>{{end}}
{{with .Userinfo.unit_name}}<dt>Đơn vị (unit)</dt><dd id="unit">{{.}}</dd>{{end}}
{{with .Claims.acr}}<dt>Mức đảm bảo (acr)</dt><dd id="acr">{{.}}</dd>{{end}}
{{with .Claims.amr}}<dt>Cách xác thực (amr)</dt><dd id="amr">{{range .}}{{.}} {{end}}</dd>{{end}}
<dt>sub</dt><dd><code id="sub">{{.Claims.sub}}</code></dd></dl>
<form method="post" action="/logout"><button type="submit" id="logout">Đăng xuất khỏi mọi nơi (log out everywhere)</button></form>
</div>
{{else}}
<p><a class="button" id="login" href="/login">Đăng nhập bằng tài khoản tinhso (cán bộ, công chức) — Sign in with tinhso</a></p>
<p><a class="button secondary" id="login-citizen" href="/login?acr=vneid-1">Đăng nhập bằng định danh điện tử VNeID (công dân, doanh nghiệp) — Sign in with VNeID</a>
<a href="/login?acr=vneid-2" id="login-citizen-2">mức 2 (level 2)</a></p>
{{end}}
<p class="muted"><a href="{{.Issuer}}/">tinhso</a></p>
</body></html>`))
