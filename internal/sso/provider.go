package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// The provider's endpoints. Discovery names them; nothing else should.
const (
	PathDiscovery  = "/.well-known/openid-configuration"
	PathJWKS       = "/oauth2/jwks"
	PathAuthorize  = "/oauth2/auth"
	PathToken      = "/oauth2/token"
	PathUserinfo   = "/oauth2/userinfo"
	PathRevoke     = "/oauth2/revoke"
	PathIntrospect = "/oauth2/introspect"
	PathLogout     = "/oauth2/logout"
)

// MachinePaths authenticate their callers themselves (client credentials,
// access tokens) and are called across origins by applications: the server
// exempts them from session authentication and cross-origin protection.
var MachinePaths = []string{PathToken, PathUserinfo, PathRevoke, PathIntrospect}

// Default lifetimes; a client may set its own within the bounds of client.go.
const (
	DefaultAccessTTL  = 10 * time.Minute
	DefaultRefreshTTL = 8 * time.Hour // a working day, rotated at every use
	DefaultIDTokenTTL = 10 * time.Minute
	CodeTTL           = 5 * time.Minute
)

// Options configure the provider.
type Options struct {
	// Issuer is the public base URL (--base-url); empty takes the scheme
	// and host a request came to (development and tests).
	Issuer string
	// Secret seals the signing keys and the token secret in the database
	// (--sso-secret); empty stores them unsealed.
	Secret string
	// Upstream is the provider citizens log in through (broker.go); none
	// without its Issuer.
	Upstream Upstream
}

// Store is the single sign-on domain: registered clients, the OpenID
// Connect provider built on fosite, its keys and its storage.
type Store struct {
	db       *store.DB
	org      *org.Store
	auth     *auth.Service
	opts     Options
	keys     *keyring
	storage  *storage
	provider fosite.OAuth2Provider
	config   *providerConfig
	broker   *broker
	// Now is the clock of login tickets (tests move it).
	Now func() time.Time
	// Machines, when set, registers machine clients of its own (the hub's
	// consumer subsystems, machine.go); set before serving.
	Machines MachineClients
	// revocations counts the revocations made on this node, so that an
	// AccessCache forgets what it had verified.
	revocations atomic.Uint64
}

// NewStore builds the provider on db. Nothing is read or written until the
// first request: keys and the token secret are made then.
func NewStore(db *store.DB, orgs *org.Store, authn *auth.Service, opts Options) *Store {
	opts.Issuer = strings.TrimRight(opts.Issuer, "/")
	s := &Store{db: db, org: orgs, auth: authn, opts: opts, Now: store.Now, broker: &broker{up: opts.Upstream}}
	if s.broker.up.Claims == nil {
		s.broker.up.Claims, _ = ParseClaimMap("")
	}
	// A retired key stays published for as long as an ID token it signed
	// may be presented as id_token_hint after its expiry.
	s.keys = newKeyring(db, opts.Secret, MaxIDTokenTTL+24*time.Hour)
	s.storage = &storage{db: db, clients: s}
	base := &fosite.Config{
		AccessTokenLifespan:         DefaultAccessTTL,
		RefreshTokenLifespan:        DefaultRefreshTTL,
		IDTokenLifespan:             DefaultIDTokenTTL,
		AuthorizeCodeLifespan:       CodeTTL,
		EnforcePKCEForPublicClients: true,
		// S256 only: "plain" gives nothing against an intercepted code.
		EnablePKCEPlainChallengeMethod: false,
		ScopeStrategy:                  fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:       fosite.DefaultAudienceMatchingStrategy,
		AllowedPromptValues:            []string{"login", "none", "consent"},
		RefreshTokenScopes:             []string{"offline_access"},
		SanitationWhiteList:            []string{"redirect_uri"},
		MinParameterEntropy:            fosite.MinParameterEntropy,
		TokenEntropy:                   32,
		ClientSecretsHasher:            secretHasher{s},
		RedirectSecureChecker:          fosite.IsRedirectURISecure,
	}
	s.config = &providerConfig{Config: base, s: s}
	sign := &signer{keys: s.keys}
	strategy := &compose.CommonStrategy{
		CoreStrategy:               compose.NewOAuth2HMACStrategy(s.config),
		OpenIDConnectTokenStrategy: &openid.DefaultStrategy{Signer: sign, Config: s.config},
		Signer:                     sign,
	}
	s.provider = fosite.NewOAuth2Provider(s.storage, s.config)
	for _, factory := range []compose.Factory{
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2PKCEFactory,
	} {
		h := factory(s.config, s.storage, strategy)
		if ah, ok := h.(fosite.AuthorizeEndpointHandler); ok {
			base.AuthorizeEndpointHandlers.Append(ah)
		}
		if th, ok := h.(fosite.TokenEndpointHandler); ok {
			base.TokenEndpointHandlers.Append(th)
		}
		if ih, ok := h.(fosite.TokenIntrospector); ok {
			base.TokenIntrospectionHandlers.Append(ih)
		}
		if rh, ok := h.(fosite.RevocationHandler); ok {
			base.RevocationHandlers.Append(rh)
		}
	}
	return s
}

// providerConfig is fosite's configuration with what lives in the database
// or depends on the request: the token secret and the issuer.
type providerConfig struct {
	*fosite.Config
	s      *Store
	mu     sync.Mutex
	secret []byte
}

type issuerKey struct{}

// withIssuer records the issuer of a request for fosite (ID tokens) and
// discovery.
func (s *Store) withIssuer(r *http.Request) context.Context {
	return context.WithValue(r.Context(), issuerKey{}, s.issuer(r))
}

func (s *Store) issuer(r *http.Request) string {
	if s.opts.Issuer != "" {
		return s.opts.Issuer
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func issuerFrom(ctx context.Context) string {
	s, _ := ctx.Value(issuerKey{}).(string)
	return s
}

// GetIDTokenIssuer is the issuer of the request being served.
func (c *providerConfig) GetIDTokenIssuer(ctx context.Context) string { return issuerFrom(ctx) }

// GetAccessTokenIssuer is the same issuer.
func (c *providerConfig) GetAccessTokenIssuer(ctx context.Context) string { return issuerFrom(ctx) }

// GetTokenURL is the token endpoint (the audience of client assertions).
func (c *providerConfig) GetTokenURL(ctx context.Context) string { return issuerFrom(ctx) + PathToken }

// GetGlobalSecret is the HMAC secret of opaque tokens, made on first use
// and shared by every node through the database.
func (c *providerConfig) GetGlobalSecret(ctx context.Context) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secret != nil {
		return c.secret, nil
	}
	secret, err := c.s.tokenSecret(ctx)
	if err != nil {
		return nil, err
	}
	c.secret = secret
	return secret, nil
}

// GetRotatedGlobalSecrets: none yet (a new secret would end every token).
func (c *providerConfig) GetRotatedGlobalSecrets(context.Context) ([][]byte, error) {
	return nil, nil
}

func (s *Store) tokenSecret(ctx context.Context) ([]byte, error) {
	read := func() ([]byte, error) {
		var sealed []byte
		err := s.db.Write.QueryRowContext(ctx, `SELECT value FROM sso_secrets WHERE name = $1`, "hmac").Scan(&sealed)
		if err != nil {
			return nil, err
		}
		return s.keys.open(sealed)
	}
	secret, err := read()
	if !errors.Is(err, sql.ErrNoRows) {
		return secret, err
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	sealed, err := s.keys.seal(fresh)
	if err != nil {
		return nil, err
	}
	// Two nodes starting together: the first insert wins, both read it.
	if _, err := s.db.Write.ExecContext(ctx, `INSERT INTO sso_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`, "hmac", sealed, store.Now()); err != nil {
		return nil, err
	}
	return read()
}

// Session is what fosite keeps with every grant: the ID token's claims
// and headers, plus the official and the tinhso session behind it.
type Session struct {
	openid.DefaultSession
	UserID int64 `json:"uid,omitempty"`
	// CitizenID is the citizen's account (sso_citizens) for a brokered
	// login; UserID is then 0.
	CitizenID int64  `json:"cid,omitempty"`
	SID       string `json:"sid,omitempty" doc:"the tinhso session the official signed in with, as the sid claim names it"`
	// SessionHash is that session's key in the sessions table; it lives in
	// its own column (sso_grants.session_hash), never in a token.
	SessionHash string `json:"-"`
}

func newSession() *Session {
	return &Session{DefaultSession: openid.DefaultSession{Claims: &jwt.IDTokenClaims{}, Headers: &jwt.Headers{}}}
}

// Clone copies the session (fosite clones it when rotating a refresh token).
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	c := *s
	if d, ok := s.DefaultSession.Clone().(*openid.DefaultSession); ok && d != nil {
		c.DefaultSession = *d
	}
	return &c
}

// sessionID is the sid claim of a tinhso session: a digest of the
// session's own digest, so that neither the cookie nor the key of the
// sessions table leaves the server.
func sessionID(sessionHash string) string {
	if sessionHash == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("tinhso sid\x00" + sessionHash))
	return hex.EncodeToString(sum[:16])
}
