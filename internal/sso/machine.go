package sso

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ory/fosite"
)

// Machine clients registered elsewhere: the hub's consumer subsystems
// (internal/hub) keep their OAuth2 credentials in the hub's own table, with
// the subsystem they stand for, and are managed from the hub's pages, API
// and CLI; this provider issues their tokens. The provider asks Machines
// about a client id it owns instead of reading sso_clients, so that there
// is one record of each credential and the hub's revocation (or a rotated
// credential's end) refuses the client at once.

// MachineClient is a client_credentials client as its owner describes it.
type MachineClient struct {
	ID string
	// SecretSHA256 is the hex SHA-256 of the secret: a machine secret is
	// random (no slow hash makes it harder to guess) and checked on every
	// token request.
	SecretSHA256 string
	// Scopes the client may ask for; asking for none grants them all.
	Scopes []string
}

// MachineClients is where machine clients are registered (the hub).
type MachineClients interface {
	// Owns says whether a client id is the owner's (a prefix): such an id
	// is never looked up in sso_clients, nor may one be registered there.
	Owns(id string) bool
	// MachineClient returns an active client; any error (unknown,
	// revoked, expired) refuses it as invalid_client.
	MachineClient(ctx context.Context, id string) (MachineClient, error)
}

// machineSecretPrefix marks a SHA-256 secret hash among argon2id ones.
const machineSecretPrefix = "sha256:"

func (s *Store) machineClient(ctx context.Context, id string) (fosite.Client, error) {
	m, err := s.Machines.MachineClient(ctx, id)
	if err != nil || m.ID != id || m.SecretSHA256 == "" {
		return nil, fosite.ErrNotFound
	}
	// fosite.DefaultClient is not an OpenID Connect client, so fosite
	// accepts both client_secret_basic and client_secret_post from it, as
	// the hub's token endpoint always did.
	return &fosite.DefaultClient{ID: m.ID, Secret: []byte(machineSecretPrefix + m.SecretSHA256),
		GrantTypes: fosite.Arguments{GrantClientCredentials}, ResponseTypes: fosite.Arguments{}, Scopes: m.Scopes}, nil
}

// compareMachineSecret checks a secret against a machine client's hash.
func compareMachineSecret(hash string, secret []byte) bool {
	sum := sha256.Sum256(secret)
	return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(strings.TrimPrefix(hash, machineSecretPrefix))) == 1
}

// TokenEndpoint is the provider's token endpoint as a handler, for the
// hub's gateway, which answers POST /oauth2/token on its own listener for
// clients that have always bought their tokens there.
func (s *Store) TokenEndpoint() http.Handler { return http.HandlerFunc(s.token) }

// AccessCacheTTL bounds how long an AccessCache trusts an answer: a token
// revoked on another node is refused by this one within it. A revocation
// made on this node (the revocation endpoint, a client disabled) empties
// the cache at once.
const AccessCacheTTL = 10 * time.Second

// AccessCache answers Verify from memory for a resource server in the same
// process that is called far more often than tokens change (the hub's
// gateway): a token's answer is kept for AccessCacheTTL or until the token
// expires, whichever comes first; refusals are not kept.
type AccessCache struct {
	s   *Store
	TTL time.Duration

	mu      sync.Mutex
	entries map[[32]byte]cachedAccess
	gen     uint64 // the store's revocation count the entries were read at
}

type cachedAccess struct {
	access Access
	until  time.Time
}

// maxCachedAccess bounds the cache; it is emptied when full.
const maxCachedAccess = 50000

// NewAccessCache is a cache of Verify over s.
func (s *Store) NewAccessCache() *AccessCache {
	return &AccessCache{s: s, TTL: AccessCacheTTL, entries: map[[32]byte]cachedAccess{}}
}

// Verify is (*Store).Verify at the instant now, from memory when the token
// was verified less than TTL ago and nothing was revoked on this node since.
func (c *AccessCache) Verify(ctx context.Context, token string, now time.Time, scopes ...string) (Access, error) {
	key := sha256.Sum256([]byte(token))
	gen := c.s.revocations.Load()
	c.mu.Lock()
	if gen > c.gen {
		clear(c.entries)
		c.gen = gen
	}
	e, ok := c.entries[key]
	if ok && !now.Before(e.until) {
		delete(c.entries, key)
		ok = false
	}
	c.mu.Unlock()
	if !ok {
		a, err := c.s.Verify(ctx, token)
		if err != nil {
			return Access{}, err
		}
		e = cachedAccess{access: a, until: now.Add(c.TTL)}
		if a.ExpiresAt.Before(e.until) {
			e.until = a.ExpiresAt
		}
		c.mu.Lock()
		if len(c.entries) >= maxCachedAccess {
			clear(c.entries)
		}
		if c.gen == gen {
			c.entries[key] = e
		}
		c.mu.Unlock()
	}
	if !now.Before(e.access.ExpiresAt) {
		return Access{}, ErrInactive
	}
	for _, sc := range scopes {
		if !slices.Contains(e.access.Scopes, sc) {
			return Access{}, ErrInactive
		}
	}
	return e.access, nil
}
