package sso

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	jose3 "github.com/go-jose/go-jose/v3" // fosite's interfaces name v3 types; tinhso signs with v4
	"github.com/ory/fosite"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
)

// Grant types a client may be registered for.
const (
	GrantCode              = "authorization_code"
	GrantRefresh           = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// GrantTypes lists them, in the order forms show them.
var GrantTypes = []string{GrantCode, GrantRefresh, GrantClientCredentials}

// Client authentication methods at the token endpoint.
const (
	AuthBasic = "client_secret_basic"
	AuthPost  = "client_secret_post"
	AuthNone  = "none" // public clients (a browser or mobile application) prove themselves with PKCE
)

// Bounds of the lifetimes a client may be given (0: the provider's default).
const (
	MaxAccessTTL  = 24 * time.Hour
	MaxRefreshTTL = 90 * 24 * time.Hour
	MaxIDTokenTTL = 24 * time.Hour
	MinTTL        = time.Minute
)

// SecretPrefix starts every client secret, so a leaked one is recognised.
const SecretPrefix = "tss_"

// Client is an application registered with the provider.
type Client struct {
	ID           string    `json:"id" doc:"client_id"`
	Name         string    `json:"name"`
	UnitID       int64     `json:"unitId" doc:"the unit that owns the application; its administrators manage it"`
	UnitName     string    `json:"unitName,omitempty"`
	Public       bool      `json:"public" doc:"a browser or mobile application without a secret: PKCE with S256 is required"`
	Trusted      bool      `json:"trusted" doc:"a first-party application: officials are not asked for consent"`
	Disabled     bool      `json:"disabled"`
	AuthMethod   string    `json:"tokenEndpointAuthMethod" doc:"client_secret_basic (default), client_secret_post, or none for public clients"`
	RedirectURIs []string  `json:"redirectUris" doc:"exact, character for character"`
	LogoutURIs   []string  `json:"postLogoutRedirectUris" doc:"exact, character for character"`
	GrantTypes   []string  `json:"grantTypes" doc:"authorization_code, refresh_token, client_credentials"`
	Scopes       []string  `json:"scopes" doc:"what the client may ask for: openid profile email offline_access tinhso.roles, or API scopes for machine clients"`
	AccessTTL    int       `json:"accessTokenTtl" doc:"seconds; 0 for the provider's default"`
	RefreshTTL   int       `json:"refreshTokenTtl" doc:"seconds; 0 for the provider's default"`
	IDTokenTTL   int       `json:"idTokenTtl" doc:"seconds; 0 for the provider's default"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	secretHash   string
}

// ClientInput registers or edits a client. On creation ID may be left
// empty (one is made from random letters).
type ClientInput struct {
	ID           string   `json:"id,omitempty"`
	Name         string   `json:"name"`
	UnitID       int64    `json:"unitId"`
	Public       bool     `json:"public"`
	Trusted      bool     `json:"trusted"`
	Disabled     bool     `json:"disabled"`
	AuthMethod   string   `json:"tokenEndpointAuthMethod,omitempty"`
	RedirectURIs []string `json:"redirectUris"`
	LogoutURIs   []string `json:"postLogoutRedirectUris"`
	GrantTypes   []string `json:"grantTypes"`
	Scopes       []string `json:"scopes"`
	AccessTTL    int      `json:"accessTokenTtl"`
	RefreshTTL   int      `json:"refreshTokenTtl"`
	IDTokenTTL   int      `json:"idTokenTtl"`
}

// NewClient is the answer to a registration or a new secret: the secret,
// once; only its hash is kept.
type NewClient struct {
	Client
	Secret string `json:"clientSecret,omitempty" doc:"shown only now; absent for public clients"`
}

var (
	clientIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)
	// Scopes of machine clients may name hub services, whose X-Road
	// identifiers hold capitals (hub:GOV/000123/motcua/dossiers).
	scopePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:._/-]{0,127}$`)
)

const clientColumns = `id, name, unit_id, secret_hash, public, trusted, disabled, auth_method, redirect_uris, logout_uris, grant_types, scopes, access_ttl, refresh_ttl, id_token_ttl, created_at, updated_at`

func scanClient(row interface{ Scan(...any) error }) (Client, error) {
	var c Client
	var redirect, logout, grants, scopes string
	err := row.Scan(&c.ID, &c.Name, &c.UnitID, &c.secretHash, &c.Public, &c.Trusted, &c.Disabled, &c.AuthMethod,
		&redirect, &logout, &grants, &scopes, &c.AccessTTL, &c.RefreshTTL, &c.IDTokenTTL, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	for _, p := range []struct {
		s   string
		dst *[]string
	}{{redirect, &c.RedirectURIs}, {logout, &c.LogoutURIs}, {grants, &c.GrantTypes}, {scopes, &c.Scopes}} {
		if err := json.Unmarshal([]byte(p.s), p.dst); err != nil {
			return c, fmt.Errorf("client %s: %w", c.ID, err)
		}
		if *p.dst == nil {
			*p.dst = []string{}
		}
	}
	return c, nil
}

// Client loads one registered client (errs.NotFound when unknown).
func (s *Store) Client(ctx context.Context, id string) (Client, error) {
	c, err := scanClient(s.db.Read.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM sso_clients WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Client{}, errs.NotFound
	} else if err != nil {
		return Client{}, err
	}
	s.fillClient(ctx, &c)
	return c, nil
}

func (s *Store) fillClient(ctx context.Context, c *Client) {
	if u, err := s.org.Unit(ctx, c.UnitID, ""); err == nil {
		c.UnitName = u.Name
	}
}

// Clients lists the clients owned by units under the given scopes, by name.
func (s *Store) Clients(ctx context.Context, scopes []int64) ([]Client, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+clientColumns+` FROM sso_clients ORDER BY name, id`)
	if err != nil {
		return nil, err
	}
	var all []Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Client{}
	for _, c := range all {
		for _, sc := range scopes {
			ok, err := s.org.Within(ctx, c.UnitID, sc)
			if err != nil {
				return nil, err
			}
			if ok {
				s.fillClient(ctx, &c)
				out = append(out, c)
				break
			}
		}
	}
	return out, nil
}

// validURI checks a redirect or logout URI: absolute, no fragment, and
// https unless it points at this machine (a developer's loopback).
func validURI(v *errs.Validator, field, raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		v.Add(field, "absolute_uri")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		v.Add(field, "uri_fragment")
	case u.Scheme != "https" && !(u.Scheme == "http" && fosite.IsLocalhost(u)):
		v.Add(field, "https_uri")
	case len(raw) > 1000:
		v.Add(field, "too_long", 1000)
	}
}

func (s *Store) validateClient(ctx context.Context, in *ClientInput, creating bool) error {
	v := errs.Validator{Context: "client"}
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	in.ID = strings.ToLower(strings.TrimSpace(in.ID))
	if creating && in.ID != "" {
		v.Check(clientIDPattern.MatchString(in.ID), "id", "username_format")
		v.Check(s.Machines == nil || !s.Machines.Owns(in.ID), "id", "duplicate", in.ID)
	}
	v.Check(in.Name != "", "name", "required")
	v.Text("name", in.Name, errs.Name)
	if in.UnitID == 0 {
		v.Add("unitId", "required")
	} else if _, err := s.org.Unit(ctx, in.UnitID, ""); err != nil {
		v.Add("unitId", "not_found")
	}
	clean := func(list []string) []string {
		out := []string{}
		for _, x := range list {
			if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
		return out
	}
	in.RedirectURIs, in.LogoutURIs = clean(in.RedirectURIs), clean(in.LogoutURIs)
	in.GrantTypes, in.Scopes = clean(in.GrantTypes), clean(in.Scopes)
	if len(in.GrantTypes) == 0 {
		v.Add("grantTypes", "required")
	}
	for i, g := range in.GrantTypes {
		v.Check(slices.Contains(GrantTypes, g), fmt.Sprintf("grantTypes[%d]", i), "one_of", strings.Join(GrantTypes, ", "))
	}
	code := slices.Contains(in.GrantTypes, GrantCode)
	if slices.Contains(in.GrantTypes, GrantRefresh) && !code {
		v.Add("grantTypes", "refresh_needs_code")
	}
	if in.Public && slices.Contains(in.GrantTypes, GrantClientCredentials) {
		v.Add("grantTypes", "public_machine")
	}
	if code && len(in.RedirectURIs) == 0 {
		v.Add("redirectUris", "required")
	}
	v.Check(len(in.RedirectURIs) <= 20, "redirectUris", "max_items", 20)
	v.Check(len(in.LogoutURIs) <= 20, "postLogoutRedirectUris", "max_items", 20)
	for i, u := range in.RedirectURIs {
		validURI(&v, fmt.Sprintf("redirectUris[%d]", i), u)
	}
	for i, u := range in.LogoutURIs {
		validURI(&v, fmt.Sprintf("postLogoutRedirectUris[%d]", i), u)
	}
	if code && !slices.Contains(in.Scopes, "openid") {
		v.Add("scopes", "openid_required")
	}
	v.Check(len(in.Scopes) <= 50, "scopes", "max_items", 50)
	for i, sc := range in.Scopes {
		v.Check(scopePattern.MatchString(sc), fmt.Sprintf("scopes[%d]", i), "scope_format")
	}
	switch {
	case in.Public:
		if in.AuthMethod == "" {
			in.AuthMethod = AuthNone
		}
		v.Check(in.AuthMethod == AuthNone, "tokenEndpointAuthMethod", "one_of", AuthNone)
	default:
		if in.AuthMethod == "" {
			in.AuthMethod = AuthBasic
		}
		v.Check(in.AuthMethod == AuthBasic || in.AuthMethod == AuthPost, "tokenEndpointAuthMethod", "one_of", AuthBasic+", "+AuthPost)
	}
	ttl := func(field string, n int, max time.Duration) {
		v.Check(n == 0 || n >= int(MinTTL.Seconds()) && n <= int(max.Seconds()), field, "range", int(MinTTL.Seconds()), int(max.Seconds()))
	}
	ttl("accessTokenTtl", in.AccessTTL, MaxAccessTTL)
	ttl("refreshTokenTtl", in.RefreshTTL, MaxRefreshTTL)
	ttl("idTokenTtl", in.IDTokenTTL, MaxIDTokenTTL)
	return v.Err()
}

func jsonList(list []string) string {
	b, _ := json.Marshal(list)
	return string(b)
}

// secretCost hashes client secrets: argon2id still, in the same PHC format
// as passwords, but with light costs. A person's password is guessable and
// needs the slow hash; a client secret is 256 random bits, which no cost
// makes easier or harder to guess, and it is checked at every token
// request and introspection (with password.Default's costs, about 0.1 s of
// CPU each: docs/perf.md).
var secretCost = password.Hasher{Memory: 4 * 1024, Time: 1, Threads: 1}

// newSecret makes a client secret and its hash.
func (s *Store) newSecret() (string, string, error) {
	secret := SecretPrefix + password.Random(32)
	hash, err := secretCost.Hash(secret)
	return secret, hash, err
}

// CreateClient registers a client inside tx; a confidential one gets a
// secret, returned once.
func (s *Store) CreateClient(ctx context.Context, tx *sql.Tx, in ClientInput, actor int64) (NewClient, error) {
	if err := s.validateClient(ctx, &in, true); err != nil {
		return NewClient{}, err
	}
	if in.ID == "" {
		in.ID = "tinhso-" + strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(password.Random(12)))
	}
	var secret, hash string
	if !in.Public {
		var err error
		if secret, hash, err = s.newSecret(); err != nil {
			return NewClient{}, err
		}
	}
	now := store.Now()
	var by any
	if actor != 0 {
		by = actor
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sso_clients (`+clientColumns+`, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17)`,
		in.ID, in.Name, in.UnitID, hash, in.Public, in.Trusted, in.Disabled, in.AuthMethod,
		jsonList(in.RedirectURIs), jsonList(in.LogoutURIs), jsonList(in.GrantTypes), jsonList(in.Scopes),
		in.AccessTTL, in.RefreshTTL, in.IDTokenTTL, now, by)
	if store.IsUniqueViolation(err) {
		return NewClient{}, errs.Invalid(errs.Field{Name: "id", Code: "duplicate", Args: []any{in.ID}, Context: "client"})
	} else if err != nil {
		return NewClient{}, err
	}
	c, err := scanClient(tx.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM sso_clients WHERE id = $1`, in.ID))
	if err != nil {
		return NewClient{}, err
	}
	s.fillClient(ctx, &c)
	return NewClient{Client: c, Secret: secret}, nil
}

// UpdateClient edits a client inside tx (its id and secret stay). A client
// that becomes disabled loses every grant it holds.
func (s *Store) UpdateClient(ctx context.Context, tx *sql.Tx, id string, in ClientInput) (Client, error) {
	cur, err := s.Client(ctx, id)
	if err != nil {
		return Client{}, err
	}
	if err := s.validateClient(ctx, &in, false); err != nil {
		return Client{}, err
	}
	if in.Public != cur.Public {
		return Client{}, errs.Invalid(errs.Field{Name: "public", Code: "immutable", Context: "client"})
	}
	_, err = tx.ExecContext(ctx, `UPDATE sso_clients SET name = $1, unit_id = $2, trusted = $3, disabled = $4, auth_method = $5, redirect_uris = $6,
		logout_uris = $7, grant_types = $8, scopes = $9, access_ttl = $10, refresh_ttl = $11, id_token_ttl = $12, updated_at = $13 WHERE id = $14`,
		in.Name, in.UnitID, in.Trusted, in.Disabled, in.AuthMethod, jsonList(in.RedirectURIs), jsonList(in.LogoutURIs),
		jsonList(in.GrantTypes), jsonList(in.Scopes), in.AccessTTL, in.RefreshTTL, in.IDTokenTTL, store.Now(), id)
	if err != nil {
		return Client{}, err
	}
	if in.Disabled {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sso_grants WHERE client_id = $1`, id); err != nil {
			return Client{}, err
		}
		s.revocations.Add(1)
	}
	c, err := scanClient(tx.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM sso_clients WHERE id = $1`, id))
	if err != nil {
		return Client{}, err
	}
	s.fillClient(ctx, &c)
	return c, nil
}

// NewClientSecret replaces a confidential client's secret inside tx; the
// old one stops at once.
func (s *Store) NewClientSecret(ctx context.Context, tx *sql.Tx, id string) (NewClient, error) {
	c, err := s.Client(ctx, id)
	if err != nil {
		return NewClient{}, err
	}
	if c.Public {
		return NewClient{}, errs.Invalid(errs.Field{Name: "public", Code: "public_no_secret", Context: "client"})
	}
	secret, hash, err := s.newSecret()
	if err != nil {
		return NewClient{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sso_clients SET secret_hash = $1, updated_at = $2 WHERE id = $3`, hash, store.Now(), id); err != nil {
		return NewClient{}, err
	}
	return NewClient{Client: c, Secret: secret}, nil
}

// GetClient is fosite's view of a client: unknown and disabled clients are
// both "not found", which fosite answers invalid_client.
func (s *Store) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	if s.Machines != nil && s.Machines.Owns(id) {
		return s.machineClient(ctx, id)
	}
	c, err := scanClient(s.db.Read.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM sso_clients WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fosite.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	if c.Disabled {
		return nil, fosite.ErrNotFound
	}
	return &fclient{c: c, s: s}, nil
}

// fclient adapts a Client to fosite's client interfaces.
type fclient struct {
	c Client
	s *Store
}

var (
	_ fosite.OpenIDConnectClient            = (*fclient)(nil)
	_ fosite.ClientWithCustomTokenLifespans = (*fclient)(nil)
)

func (f *fclient) GetID() string                   { return f.c.ID }
func (f *fclient) GetHashedSecret() []byte         { return []byte(f.c.secretHash) }
func (f *fclient) GetRedirectURIs() []string       { return f.c.RedirectURIs }
func (f *fclient) GetGrantTypes() fosite.Arguments { return f.c.GrantTypes }
func (f *fclient) GetScopes() fosite.Arguments     { return f.c.Scopes }
func (f *fclient) IsPublic() bool                  { return f.c.Public }
func (f *fclient) GetAudience() fosite.Arguments   { return fosite.Arguments{} }

// GetResponseTypes is "code" only: no implicit or hybrid flow.
func (f *fclient) GetResponseTypes() fosite.Arguments {
	return fosite.Arguments{"code"}
}

func (f *fclient) GetRequestURIs() []string                     { return nil }
func (f *fclient) GetJSONWebKeys() *jose3.JSONWebKeySet         { return nil }
func (f *fclient) GetJSONWebKeysURI() string                    { return "" }
func (f *fclient) GetRequestObjectSigningAlgorithm() string     { return "" }
func (f *fclient) GetTokenEndpointAuthMethod() string           { return f.c.AuthMethod }
func (f *fclient) GetTokenEndpointAuthSigningAlgorithm() string { return "" }

// GetEffectiveLifespan is the client's own lifetime of a token, or the
// provider's.
func (f *fclient) GetEffectiveLifespan(_ fosite.GrantType, tt fosite.TokenType, fallback time.Duration) time.Duration {
	n := 0
	switch tt {
	case fosite.AccessToken:
		n = f.c.AccessTTL
	case fosite.RefreshToken:
		n = f.c.RefreshTTL
	case fosite.IDToken:
		n = f.c.IDTokenTTL
	}
	if n > 0 {
		return time.Duration(n) * time.Second
	}
	return fallback
}

// secretHasher checks client secrets against their argon2id hashes
// (internal/password), the same scheme as officials' passwords.
type secretHasher struct{ s *Store }

func (h secretHasher) Compare(_ context.Context, hash, data []byte) error {
	if len(hash) == 0 {
		return errors.New("sso: client has no secret")
	}
	if strings.HasPrefix(string(hash), machineSecretPrefix) {
		if !compareMachineSecret(string(hash), data) {
			return errors.New("sso: wrong client secret")
		}
		return nil
	}
	ok, err := password.Check(string(hash), string(data))
	if err != nil || !ok {
		return errors.New("sso: wrong client secret")
	}
	return nil
}

func (h secretHasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	s, err := secretCost.Hash(string(data))
	return []byte(s), err
}
