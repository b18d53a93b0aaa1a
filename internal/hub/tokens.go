package hub

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinhso/tinhso/internal/password"
)

// OAuth2 client credentials (RFC 6749 §4.4): a subsystem's client id and
// secret buy a short-lived access token, a JWS compact JWT signed by the
// hub's token key with EdDSA (Ed25519), which the gateway checks in memory
// on every request. The token names the credential it was bought with, so
// revoking the credential refuses the token on the next request too.
//
// Issue 10 (single sign-on) will move the token endpoint onto its OpenID
// provider: the gateway only needs a TokenVerifier and the token endpoint a
// TokenIssuer, so the move is a different value behind each.

// TokenIssuer issues an access token for a client id and secret.
type TokenIssuer interface {
	IssueToken(ctx context.Context, clientID, secret string) (AccessToken, error)
}

// TokenVerifier checks a bearer token and says which credential and
// subsystem it stands for. The gateway calls it on every request: it must
// answer from memory.
type TokenVerifier interface {
	VerifyToken(raw string, now time.Time) (TokenClaims, error)
}

// AccessToken is the token endpoint's answer (RFC 6749 §5.1).
type AccessToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// TokenClaims are the claims of a hub access token.
type TokenClaims struct {
	Issuer     string `json:"iss"`
	Subject    string `json:"sub"` // the subsystem's X-Road identifier
	ClientID   string `json:"client_id"`
	Credential int64  `json:"cid"`
	IssuedAt   int64  `json:"iat"`
	Expires    int64  `json:"exp"`
	ID         string `json:"jti"`
}

// DefaultTokenTTL is the lifetime of an access token.
const DefaultTokenTTL = 10 * time.Minute

// Errors of the token endpoint, named as RFC 6749 §5.2 does.
var (
	ErrInvalidClient = errors.New("invalid_client")
	ErrInvalidToken  = errors.New("invalid_token")
)

// TokenService issues and verifies the hub's access tokens from the
// store's snapshot.
type TokenService struct {
	s   *Store
	TTL time.Duration
	// verified caches the claims of tokens whose signature checked out, so
	// that a consumer's repeated calls cost a map lookup rather than an
	// Ed25519 verification; the credential is still checked every time.
	verified sync.Map // raw token → TokenClaims
	cached   atomic.Int64
}

// maxCachedTokens bounds the cache (it is emptied when full).
const maxCachedTokens = 50000

func newTokenService(s *Store) *TokenService { return &TokenService{s: s, TTL: DefaultTokenTTL} }

func (t *TokenService) issuer() string { return "tinhso-hub:" + t.s.opt.Instance }

var b64 = base64.RawURLEncoding

// IssueToken checks a client secret against the snapshot and signs a token.
func (t *TokenService) IssueToken(ctx context.Context, clientID, secret string) (AccessToken, error) {
	snap := t.s.snapshot()
	c, ok := snap.byClientID[clientID]
	now := time.Now()
	sum := sha256.Sum256([]byte(secret))
	if !ok || c.kind != KindSecret || subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(c.secretHash)) != 1 || !c.activeAt(now) {
		return AccessToken{}, ErrInvalidClient
	}
	sub, ok := snap.subsystems[c.subsystem]
	if !ok {
		return AccessToken{}, ErrInvalidClient
	}
	key := snap.tokenKey
	if key == nil {
		return AccessToken{}, errors.New("hub: no token signing key")
	}
	ttl := t.TTL
	if c.notAfter != nil && c.notAfter.Sub(now) < ttl {
		ttl = c.notAfter.Sub(now)
	}
	claims := TokenClaims{Issuer: t.issuer(), Subject: sub.xid.String(), ClientID: clientID, Credential: c.id,
		IssuedAt: now.Unix(), Expires: now.Add(ttl).Unix(), ID: password.Random(12)}
	raw, err := signJWT(key, claims)
	if err != nil {
		return AccessToken{}, err
	}
	return AccessToken{AccessToken: raw, TokenType: "Bearer", ExpiresIn: int(ttl / time.Second)}, nil
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

func signJWT(k *snapKey, claims TokenClaims) (string, error) {
	h, err := json.Marshal(jwtHeader{Alg: "EdDSA", Kid: k.kid, Typ: "at+jwt"})
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signing := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	sig := ed25519.Sign(k.priv, []byte(signing))
	return signing + "." + b64.EncodeToString(sig), nil
}

// VerifyToken checks a token's signature, issuer and lifetime, and that
// the credential it was bought with is still active, all in memory.
func (t *TokenService) VerifyToken(raw string, now time.Time) (TokenClaims, error) {
	snap := t.s.snapshot()
	if v, ok := t.verified.Load(raw); ok {
		c := v.(TokenClaims)
		if c.Expires <= now.Unix() {
			t.verified.Delete(raw)
			return TokenClaims{}, ErrInvalidToken
		}
		return c, t.checkCredential(snap, c, now)
	}
	c, err := t.verifySignature(snap, raw, now)
	if err != nil {
		return TokenClaims{}, err
	}
	if t.cached.Add(1) > maxCachedTokens {
		t.verified.Clear()
		t.cached.Store(0)
	}
	t.verified.Store(raw, c)
	return c, t.checkCredential(snap, c, now)
}

// checkCredential: the credential a token was bought with is still active
// and still its subsystem's.
func (t *TokenService) checkCredential(snap *snapshot, c TokenClaims, now time.Time) error {
	cred, ok := snap.credentials[c.Credential]
	if !ok || cred.kind != KindSecret || cred.clientID != c.ClientID || !cred.activeAt(now) {
		return ErrInvalidToken
	}
	if sub, ok := snap.subsystems[cred.subsystem]; !ok || sub.xid.String() != c.Subject {
		return ErrInvalidToken
	}
	return nil
}

// verifySignature checks a token's signature, issuer and lifetime.
func (t *TokenService) verifySignature(snap *snapshot, raw string, now time.Time) (TokenClaims, error) {
	first := strings.IndexByte(raw, '.')
	last := strings.LastIndexByte(raw, '.')
	if first < 0 || last <= first {
		return TokenClaims{}, ErrInvalidToken
	}
	hb, err1 := b64.DecodeString(raw[:first])
	cb, err2 := b64.DecodeString(raw[first+1 : last])
	sig, err3 := b64.DecodeString(raw[last+1:])
	if err1 != nil || err2 != nil || err3 != nil {
		return TokenClaims{}, ErrInvalidToken
	}
	var h jwtHeader
	if json.Unmarshal(hb, &h) != nil || h.Alg != "EdDSA" {
		return TokenClaims{}, ErrInvalidToken
	}
	k, ok := snap.tokenKeys[h.Kid]
	if !ok || !ed25519.Verify(k.pub, []byte(raw[:last]), sig) {
		return TokenClaims{}, ErrInvalidToken
	}
	var c TokenClaims
	dec := json.NewDecoder(bytes.NewReader(cb))
	if dec.Decode(&c) != nil || c.Issuer != t.issuer() {
		return TokenClaims{}, ErrInvalidToken
	}
	unix := now.Unix()
	if c.Expires <= unix || c.IssuedAt > unix+60 {
		return TokenClaims{}, ErrInvalidToken
	}
	// A key that retired before the token was issued did not sign it.
	if k.retiredAt != nil && c.IssuedAt > k.retiredAt.Unix() {
		return TokenClaims{}, ErrInvalidToken
	}
	return c, nil
}
