package sso

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	jose3 "github.com/go-jose/go-jose/v3"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite/token/jwt"

	"github.com/tinhso/tinhso/internal/seal"
	"github.com/tinhso/tinhso/internal/store"
)

// Signing keys: RS256 (what every OpenID Connect relying party supports),
// 2048-bit RSA, kept in sso_keys so that every tinhso node signs with the
// same key and publishes the same set.
const (
	keyAlg = string(jose.RS256)
	// KeyRotation is how long a key signs before the next token issued
	// makes a new one; the old key stays published until every token it
	// signed has expired (and an expired one is still accepted as an
	// id_token_hint for a while: see keyPublishFor).
	KeyRotation = 90 * 24 * time.Hour
)

// ErrNoSecret means the database holds sealed keys and the server was
// started without the secret that opens them.
var ErrNoSecret = seal.ErrNoSecret

// keyring reads, seals and caches the provider's keys. The cache holds
// parsed private keys by kid (a key never changes once made); which key
// signs is asked of the database, so a rotation on another node is seen.
type keyring struct {
	db      *store.DB
	sealer  *seal.Sealer
	publish time.Duration
	mu      sync.Mutex
	parsed  map[string]*rsa.PrivateKey
}

func newKeyring(db *store.DB, secret string, publish time.Duration) *keyring {
	return &keyring{db: db, sealer: seal.New(secret), publish: publish, parsed: map[string]*rsa.PrivateKey{}}
}

func (k *keyring) seal(plain []byte) ([]byte, error) { return k.sealer.Seal(plain) }

func (k *keyring) open(b []byte) ([]byte, error) { return k.sealer.Open(b) }

// Key is a signing key as the API lists it: never the private part.
type Key struct {
	KID          string     `json:"kid"`
	Alg          string     `json:"alg"`
	CreatedAt    time.Time  `json:"createdAt"`
	RetiredAt    *time.Time `json:"retiredAt,omitempty" doc:"when it stopped signing"`
	PublishUntil *time.Time `json:"publishUntil,omitempty" doc:"until when it stays in the JWKS, for the tokens it signed"`
	Sealed       bool       `json:"sealed" doc:"the private key is encrypted with the operator's --sso-secret"`
}

// Keys lists every key, newest first.
func (k *keyring) Keys(ctx context.Context) ([]Key, error) {
	rows, err := k.db.Read.QueryContext(ctx, `SELECT kid, alg, created_at, retired_at, publish_until, private_key FROM sso_keys ORDER BY created_at DESC, kid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Key{}
	for rows.Next() {
		var key Key
		var ret, pub sql.NullTime
		var priv []byte
		if err := rows.Scan(&key.KID, &key.Alg, &key.CreatedAt, &ret, &pub, &priv); err != nil {
			return nil, err
		}
		if ret.Valid {
			key.RetiredAt = &ret.Time
		}
		if pub.Valid {
			key.PublishUntil = &pub.Time
		}
		key.Sealed = seal.Sealed(priv)
		out = append(out, key)
	}
	return out, rows.Err()
}

// active returns the signing key, making the first one, or a new one when
// the current one is older than KeyRotation.
func (k *keyring) active(ctx context.Context) (string, *rsa.PrivateKey, error) {
	var kid string
	var created time.Time
	err := k.db.Read.QueryRowContext(ctx, `SELECT kid, created_at FROM sso_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid LIMIT 1`).Scan(&kid, &created)
	if errors.Is(err, sql.ErrNoRows) || err == nil && store.Now().Sub(created) > KeyRotation {
		if kid, err = k.Rotate(ctx); err != nil {
			return "", nil, err
		}
	} else if err != nil {
		return "", nil, err
	}
	priv, err := k.private(ctx, kid)
	return kid, priv, err
}

func (k *keyring) private(ctx context.Context, kid string) (*rsa.PrivateKey, error) {
	k.mu.Lock()
	priv, ok := k.parsed[kid]
	k.mu.Unlock()
	if ok {
		return priv, nil
	}
	var sealed []byte
	if err := k.db.Read.QueryRowContext(ctx, `SELECT private_key FROM sso_keys WHERE kid = $1`, kid).Scan(&sealed); err != nil {
		return nil, fmt.Errorf("sso: key %s: %w", kid, err)
	}
	der, err := k.open(sealed)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("sso: key %s: %w", kid, err)
	}
	priv, ok = parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("sso: key %s is not RSA", kid)
	}
	k.mu.Lock()
	k.parsed[kid] = priv
	k.mu.Unlock()
	return priv, nil
}

// Rotate makes a new signing key and retires the others: they stop
// signing now and stay published for as long as what they signed may be
// presented.
func (k *keyring) Rotate(ctx context.Context) (string, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	sealed, err := k.seal(der)
	if err != nil {
		return "", err
	}
	thumb, err := (&jose.JSONWebKey{Key: &priv.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	kid := base64.RawURLEncoding.EncodeToString(thumb)[:16]
	pub, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: keyAlg, Use: "sig"})
	if err != nil {
		return "", err
	}
	now := store.Now()
	err = k.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sso_keys SET retired_at = $1, publish_until = $2 WHERE retired_at IS NULL`, now, now.Add(k.publish)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sso_keys (kid, alg, private_key, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)`, kid, keyAlg, sealed, string(pub), now)
		return err
	})
	return kid, err
}

// published is the JSON Web Key Set: the signing key and the retired keys
// still within their publication time.
func (k *keyring) published(ctx context.Context) (jose.JSONWebKeySet, error) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	rows, err := k.db.Read.QueryContext(ctx, `SELECT public_jwk FROM sso_keys WHERE retired_at IS NULL OR publish_until > $1 ORDER BY created_at DESC, kid`, store.Now())
	if err != nil {
		return set, err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return set, err
		}
		var key jose.JSONWebKey
		if err := json.Unmarshal([]byte(s), &key); err != nil {
			return set, err
		}
		set.Keys = append(set.Keys, key)
	}
	return set, rows.Err()
}

// signer is fosite's jwt.Signer on go-jose v4 and the keyring: it signs
// with the active key and verifies with any published one, so an
// id_token_hint signed before a rotation is still recognised.
type signer struct{ keys *keyring }

var _ jwt.Signer = (*signer)(nil)

// Generate signs claims with the active key, the key's id in the header.
func (s *signer) Generate(ctx context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	kid, priv, err := s.keys.active(ctx)
	if err != nil {
		return "", "", err
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if header != nil {
		for k, v := range header.ToMap() {
			if k != "alg" && k != "kid" && k != "typ" {
				opts = opts.WithHeader(jose.HeaderKey(k), v)
			}
		}
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, opts)
	if err != nil {
		return "", "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", "", err
	}
	obj, err := sig.Sign(payload)
	if err != nil {
		return "", "", err
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		return "", "", err
	}
	part, err := s.GetSignature(ctx, tok)
	return tok, part, err
}

// Decode verifies a token signed by one of the published keys and returns
// its claims; an expired token comes back with its claims and a validation
// error saying so (fosite accepts an expired id_token_hint).
func (s *signer) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	obj, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(obj.Signatures) != 1 {
		return nil, &jwt.ValidationError{Errors: jwt.ValidationErrorMalformed, Inner: err}
	}
	kid := obj.Signatures[0].Header.KeyID
	set, err := s.keys.published(ctx)
	if err != nil {
		return nil, err
	}
	keys := set.Key(kid)
	if kid == "" || len(keys) == 0 {
		return nil, &jwt.ValidationError{Errors: jwt.ValidationErrorUnverifiable, Inner: errors.New("unknown key")}
	}
	payload, err := obj.Verify(keys[0].Key)
	if err != nil {
		return nil, &jwt.ValidationError{Errors: jwt.ValidationErrorSignatureInvalid, Inner: err}
	}
	claims := jwt.MapClaims{}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, &jwt.ValidationError{Errors: jwt.ValidationErrorMalformed, Inner: err}
	}
	header := map[string]any{"alg": keyAlg, "kid": kid}
	t := &jwt.Token{Header: header, Claims: claims, Method: jose3.RS256}
	if exp, ok := claims["exp"].(float64); ok && time.Unix(int64(exp), 0).Before(time.Now()) {
		return t, &jwt.ValidationError{Errors: jwt.ValidationErrorExpired, Inner: errors.New("token expired")}
	}
	return t, nil
}

// Validate verifies a token and returns its signature part.
func (s *signer) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.Decode(ctx, token); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

// GetSignature is the third part of a compact token.
func (s *signer) GetSignature(_ context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("sso: a token has three parts")
	}
	return parts[2], nil
}

// Hash is SHA-256 (at_hash and c_hash of RS256 tokens).
func (s *signer) Hash(_ context.Context, in []byte) ([]byte, error) {
	sum := sha256.Sum256(in)
	return sum[:], nil
}

// GetSigningMethodLength is the size of the hash above.
func (s *signer) GetSigningMethodLength(context.Context) int { return sha256.Size }
