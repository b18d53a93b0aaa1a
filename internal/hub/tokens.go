package hub

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
)

// OAuth2 client credentials (RFC 6749 §4.4) for the hub's consumer
// subsystems. The platform has one token issuer, the single sign-on
// provider (internal/sso, issue 10): a subsystem's client secret
// (credentials.go, kept here with the subsystem it stands for) is a
// client_credentials client of that provider, which buys access tokens at
// its /oauth2/token and the gateway's (the same handler). The gateway
// checks a bearer token with a TokenVerifier (the provider's
// introspection, cached) and then, from its snapshot, that the token's
// client is an active credential of X-Road-Client's subsystem. The server
// wires both (Store.UseTokens, internal/server/hub.go).

// Scope is what a hub client is granted (asking for no scope grants it):
// the gateway refuses a token without it.
const Scope = "hub"

// ClientIDPrefix starts every hub client id: the provider asks the hub
// about these ids, and no other client may take one.
const ClientIDPrefix = "hubc_"

// TokenVerifier checks a bearer token at the instant now and says which
// client it was issued to. The gateway calls it on every request, so it
// should answer from memory most of the time.
type TokenVerifier interface {
	VerifyToken(raw string, now time.Time) (TokenClaims, error)
}

// TokenClaims is what the gateway needs of a valid token.
type TokenClaims struct {
	ClientID string
	Expires  time.Time
}

// ErrInvalidToken refuses a bearer token.
var ErrInvalidToken = errors.New("invalid_token")

// UseTokens sets the token endpoint the gateway answers POST /oauth2/token
// with and the verifier of bearer tokens; without them (a hub without a
// provider) the gateway accepts TLS client certificates only. Call before
// the gateway starts.
func (s *Store) UseTokens(endpoint http.Handler, verifier TokenVerifier) {
	s.tokenEndpoint, s.verifier = endpoint, verifier
}

// SecretClient is a subsystem's client secret as the token issuer needs
// it.
type SecretClient struct {
	ClientID     string
	SecretSHA256 string
	Subsystem    string // X-Road identifier
}

// SecretClient returns an active client secret by its client id, read from
// the database (a node without a gateway has no fresh snapshot):
// errs.NotFound when unknown, revoked or expired.
func (s *Store) SecretClient(ctx context.Context, clientID string) (SecretClient, error) {
	if !strings.HasPrefix(clientID, ClientIDPrefix) {
		return SecretClient{}, errs.NotFound
	}
	var c SecretClient
	var x ClientID
	var revoked, notAfter sql.NullTime
	err := s.db.Read.QueryRowContext(ctx, `SELECT k.client_id, k.secret_hash, k.revoked_at, k.not_after, x.code, m.instance, m.member_class, m.member_code
		FROM hub_credentials k JOIN hub_subsystems x ON x.id = k.subsystem_id JOIN hub_members m ON m.id = x.member_id
		WHERE k.client_id = $1 AND k.kind = $2`, clientID, KindSecret).
		Scan(&c.ClientID, &c.SecretSHA256, &revoked, &notAfter, &x.Subsystem, &x.Instance, &x.Class, &x.Member)
	if err != nil {
		return SecretClient{}, noRows(err, errs.NotFound)
	}
	now := s.Now()
	if revoked.Valid && !now.Before(revoked.Time) || notAfter.Valid && !now.Before(notAfter.Time) {
		return SecretClient{}, errs.NotFound
	}
	c.Subsystem = x.String()
	return c, nil
}
