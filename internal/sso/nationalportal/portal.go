// Package nationalportal is a TEST DOUBLE OF THE UPSTREAM PROVIDER: it
// stands, in tests and in `tinhso demo`, for the national public-service
// portal's single sign-on, through which citizens and businesses log in
// with their national electronic identity (VNeID, Decree 69/2024/NĐ-CP).
// It is not tinhso's provider and not a model of how tinhso's provider
// works; it is the upstream that tinhso's provider brokers (internal/sso,
// broker.go), with the portal's non-standard claims (SoDinhDanh, HoVaTen)
// and the level of assurance of the identity (1 or 2) in acr.
//
// It is an OpenID Connect provider on github.com/ory/fosite with fosite's
// in-memory storage: the authorisation code flow with PKCE, a login form
// listing demo citizens (each with the portal's password), discovery and a
// JWKS. acr_values "2" refuses a citizen whose identity is only at level 1
// (access_denied), as a level-2 service would. BadSignature makes it sign
// with a key it does not publish, and closing its server makes it "down".
package nationalportal

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/storage"
	"github.com/ory/fosite/token/jwt"
)

// Citizen is a demo identity of the national portal.
type Citizen struct {
	PIN   string // SoDinhDanh: the 12-digit personal identification number
	Name  string // HoVaTen
	Level int    // the identity's level of assurance, 1 or 2
}

// Citizens are the demo's citizens.
var Citizens = []Citizen{
	{"001090012345", "Nguyễn Thị Hoa", 2},
	{"064085006789", "Ksor Y Bloh", 1},
	{"052301004567", "Đinh Văn Tài", 2},
}

// Config registers one relying party (tinhso) with the double.
type Config struct {
	Issuer       string // the double's own address
	ClientID     string
	ClientSecret string
	RedirectURI  string
	Password     string // every demo citizen's password at the portal
}

// Portal is the double.
type Portal struct {
	cfg          Config
	provider     fosite.OAuth2Provider
	key, bad     *rsa.PrivateKey
	BadSignature atomic.Bool
}

const kid = "portal-1"

// New builds the double.
func New(cfg Config) (*Portal, error) {
	cfg.Issuer = strings.TrimRight(cfg.Issuer, "/")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	bad, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	p := &Portal{cfg: cfg, key: key, bad: bad}
	store := storage.NewMemoryStore()
	hash, err := (&fosite.BCrypt{Config: &fosite.Config{HashCost: 4}}).Hash(context.Background(), []byte(cfg.ClientSecret))
	if err != nil {
		return nil, err
	}
	store.Clients[cfg.ClientID] = &fosite.DefaultClient{ID: cfg.ClientID, Secret: hash, RedirectURIs: []string{cfg.RedirectURI},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scopes: []string{"openid", "profile"}}
	config := &fosite.Config{
		IDTokenIssuer: cfg.Issuer, AccessTokenIssuer: cfg.Issuer, GlobalSecret: []byte(randomString(32)),
		IDTokenLifespan: 10 * time.Minute, AccessTokenLifespan: 10 * time.Minute, AuthorizeCodeLifespan: 5 * time.Minute,
		ScopeStrategy: fosite.ExactScopeStrategy, AudienceMatchingStrategy: fosite.DefaultAudienceMatchingStrategy,
		EnforcePKCE: true, MinParameterEntropy: fosite.MinParameterEntropy, HashCost: 4, TokenURL: cfg.Issuer + "/token",
	}
	keyOf := func(context.Context) (any, error) {
		if p.BadSignature.Load() {
			return p.bad, nil
		}
		return p.key, nil
	}
	p.provider = compose.Compose(config, store, &compose.CommonStrategy{
		CoreStrategy:               compose.NewOAuth2HMACStrategy(config),
		OpenIDConnectTokenStrategy: compose.NewOpenIDConnectStrategy(keyOf, config),
		Signer:                     &jwt.DefaultSigner{GetPrivateKey: keyOf},
	}, compose.OAuth2AuthorizeExplicitFactory, compose.OpenIDConnectExplicitFactory, compose.OAuth2PKCEFactory)
	return p, nil
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

// Handler serves the double.
func (p *Portal) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /auth", p.authorize)
	mux.HandleFunc("POST /auth", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	return mux
}

func (p *Portal) discovery(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"issuer": p.cfg.Issuer, "authorization_endpoint": p.cfg.Issuer + "/auth", "token_endpoint": p.cfg.Issuer + "/token",
		"jwks_uri": p.cfg.Issuer + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		"acr_values_supported": []string{"1", "2"}, "claims_supported": []string{"sub", "SoDinhDanh", "HoVaTen", "acr"},
	})
}

func (p *Portal) jwks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}}})
}

type loginData struct {
	Citizens []Citizen
	Params   [][2]string
	Error    string
}

func (p *Portal) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := p.provider.NewAuthorizeRequest(ctx, r)
	if err != nil {
		p.provider.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	if r.Method != http.MethodPost {
		d := loginData{Citizens: Citizens}
		for k, vs := range r.URL.Query() {
			for _, v := range vs {
				d.Params = append(d.Params, [2]string{k, v})
			}
		}
		slices.SortFunc(d.Params, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		loginPage.Execute(w, d)
		return
	}
	var who *Citizen
	for i := range Citizens {
		if Citizens[i].PIN == r.PostFormValue("citizen") {
			who = &Citizens[i]
		}
	}
	if who == nil || r.PostFormValue("password") != p.cfg.Password {
		d := loginData{Citizens: Citizens, Error: "Sai thông tin đăng nhập (wrong credentials)"}
		for k, vs := range r.PostForm {
			if k != "password" && k != "citizen" {
				for _, v := range vs {
					d.Params = append(d.Params, [2]string{k, v})
				}
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		loginPage.Execute(w, d)
		return
	}
	if slices.Contains(strings.Fields(r.Form.Get("acr_values")), "2") && !slices.Contains(strings.Fields(r.Form.Get("acr_values")), "1") && who.Level < 2 {
		p.provider.WriteAuthorizeError(ctx, w, ar, fosite.ErrAccessDenied.WithHint("The identity is not at level 2."))
		return
	}
	for _, sc := range ar.GetRequestedScopes() {
		ar.GrantScope(sc)
	}
	now := time.Now().UTC()
	sess := &openid.DefaultSession{
		Claims: &jwt.IDTokenClaims{Subject: "vneid-" + who.PIN, Issuer: p.cfg.Issuer, AuthTime: now, RequestedAt: now,
			AuthenticationContextClassReference: string(rune('0' + who.Level)),
			Extra:                               map[string]any{"SoDinhDanh": who.PIN, "HoVaTen": who.Name}},
		Headers: &jwt.Headers{Extra: map[string]any{"kid": kid}},
		Subject: "vneid-" + who.PIN,
	}
	resp, err := p.provider.NewAuthorizeResponse(ctx, ar, sess)
	if err != nil {
		p.provider.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	p.provider.WriteAuthorizeResponse(ctx, w, ar, resp)
}

func (p *Portal) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := p.provider.NewAccessRequest(ctx, r, &openid.DefaultSession{})
	if err != nil {
		p.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	resp, err := p.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		p.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	p.provider.WriteAccessResponse(ctx, w, ar, resp)
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Cổng Dịch vụ công quốc gia (bản giả lập) — National portal (test double)</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}.warn{background:#fff3cd;padding:.5rem 1rem;border-radius:.3rem}</style></head>
<body>
<p class="warn" id="double"><strong>Bản giả lập của Cổng Dịch vụ công quốc gia, chỉ dùng để thử và trình diễn.</strong> A test double of the national portal's single sign-on (VNeID), for tests and the demo only.</p>
<h1>Đăng nhập bằng tài khoản định danh điện tử (VNeID)</h1>
{{with .Error}}<p role="alert" id="error">{{.}}</p>{{end}}
<form method="post" action="/auth">
{{range .Params}}<input type="hidden" name="{{index . 0}}" value="{{index . 1}}">{{end}}
<fieldset><legend>Công dân demo (demo citizen)</legend>
{{range $i, $c := .Citizens}}<label><input type="radio" name="citizen" value="{{$c.PIN}}" id="citizen-{{$c.PIN}}"{{if eq $i 0}} checked{{end}}> {{$c.Name}} — {{$c.PIN}} (mức {{$c.Level}})</label><br>{{end}}
</fieldset>
<p><label for="password">Mật khẩu (password)</label> <input id="password" name="password" type="password"></p>
<p><button type="submit" id="portal-login">Đăng nhập (sign in)</button></p>
</form>
</body></html>`))
