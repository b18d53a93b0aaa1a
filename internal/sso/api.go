package sso

import (
	"context"
	"database/sql"
	"embed"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

//go:embed templates/*.html
var templates embed.FS

// Actions of the single sign-on domain.
const (
	// ViewClients lists and reads the applications registered under a unit.
	ViewClients org.Action = "sso.client.view"
	// ManageClients registers applications, edits them and makes secrets.
	ManageClients org.Action = "sso.client.manage"
	// ManageKeys lists and rotates the signing keys (on the root unit: the
	// keys sign for the whole platform).
	ManageKeys org.Action = "sso.keys.manage"
)

// Mount attaches the provider: discovery, the OAuth2 and OpenID Connect
// endpoints, the client-administration API and pages.
func (s *Store) Mount(site *web.Site) {
	s.org.Allow(ViewClients, org.RoleAdmin, org.RoleCoordinator)
	s.org.Allow(ManageClients, org.RoleAdmin)
	s.org.Allow(ManageKeys, org.RoleAdmin)

	mux := site.Mux
	mux.HandleFunc("GET "+PathDiscovery, s.discovery)
	mux.HandleFunc("GET "+PathJWKS, s.jwks)
	mux.HandleFunc("GET "+PathAuthorize, web.Adapt(s.authorize))
	mux.HandleFunc("POST "+PathAuthorize, web.Adapt(s.authorize))
	mux.HandleFunc("POST "+PathToken, s.token)
	mux.HandleFunc("GET "+PathUserinfo, s.userinfo)
	mux.HandleFunc("POST "+PathUserinfo, s.userinfo)
	mux.HandleFunc("POST "+PathRevoke, s.revoke)
	mux.HandleFunc("POST "+PathIntrospect, s.introspect)
	mux.HandleFunc("GET "+PathLogout, web.Adapt(s.logout))
	mux.HandleFunc("POST "+PathLogout, web.Adapt(s.logout))
	mux.HandleFunc("GET "+PathCitizenLogin, web.Adapt(s.citizenLogin))
	mux.HandleFunc("GET "+PathCitizenCallback, web.Adapt(s.citizenCallback))

	api := site.API
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/sso/clients", Tag: "sso", Summary: "List the applications registered under the caller's units", Response: Client{}, List: true},
		httpx.ListHandler(func(r *http.Request) error {
			return s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewClients, 0)
		}, func(ctx context.Context) ([]Client, error) {
			return s.Clients(ctx, s.org.Scopes(org.PrincipalFrom(ctx), ViewClients))
		}))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/sso/clients", Tag: "sso", Summary: "Register an application (its secret is returned once)", Request: ClientInput{}, Response: NewClient{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			var in ClientInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			c, err := s.createClient(r, in)
			if err != nil {
				return err
			}
			w.Header().Set("Cache-Control", "no-store")
			httpx.JSON(w, 201, c)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/sso/clients/{id}", Tag: "sso", Summary: "One registered application", Response: Client{}},
		func(w http.ResponseWriter, r *http.Request) error {
			c, err := s.clientVisible(r, r.PathValue("id"), ViewClients)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, c)
			return nil
		})
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/sso/clients/{id}", Tag: "sso", Summary: "Edit an application (disabling it ends every grant it holds)", Request: ClientInput{}, Response: Client{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in ClientInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			c, err := s.updateClient(r, r.PathValue("id"), in)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, c)
			return nil
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/sso/clients/{id}/secret", Tag: "sso", Summary: "Give a confidential application a new secret (returned once; the old one stops)", Response: NewClient{}},
		func(w http.ResponseWriter, r *http.Request) error {
			c, err := s.rotateSecret(r, r.PathValue("id"))
			if err != nil {
				return err
			}
			w.Header().Set("Cache-Control", "no-store")
			httpx.JSON(w, 200, c)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/sso/keys", Tag: "sso", Summary: "The provider's signing keys (public facts only)", Response: Key{}, List: true},
		httpx.ListHandler(s.mustManageKeys, s.keys.Keys))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/sso/keys/rotate", Tag: "sso", Summary: "Make a new signing key; the old one stays published until its tokens expire", Response: Key{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.mustManageKeys(r); err != nil {
				return err
			}
			kid, err := s.keys.Rotate(r.Context())
			if err != nil {
				return err
			}
			audit.Record(r.Context(), s.db.Write, audit.From(r, audit.SSOKeyRotate, kid, "by hand", true))
			keys, err := s.keys.Keys(r.Context())
			if err != nil {
				return err
			}
			for _, k := range keys {
				if k.KID == kid {
					httpx.JSON(w, 201, k)
					return nil
				}
			}
			return errs.NotFound
		})
	s.pageRoutes(site)
	site.AddComponent(web.Component{Name: "sso-sweeper", Run: s.sweepLoop})
}

// sweepLoop deletes, every hour, the grants past their expiry (a day
// after, so that a late replay is still recognised) and old assertion ids.
func (s *Store) sweepLoop(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.storage.sweep(ctx); err != nil && ctx.Err() == nil {
				slog.WarnContext(ctx, "sso sweep", "err", err)
			}
		}
	}
}

// rootUnit is the top of the tree today (the nation, or the province of a
// provincial deployment).
func (s *Store) rootUnit(ctx context.Context) int64 {
	var id int64
	s.db.Read.QueryRowContext(ctx, `SELECT u.id FROM org_units u JOIN org_unit_versions v ON v.unit_id = u.id
		WHERE v.parent_id IS NULL AND v.valid_to IS NULL AND u.valid_to IS NULL ORDER BY u.id LIMIT 1`).Scan(&id)
	return id
}

func (s *Store) mustManageKeys(r *http.Request) error {
	return s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManageKeys, s.rootUnit(r.Context()))
}

// clientVisible loads a client the caller may take action a on; a client
// outside their units is "not found" only after the refusal is audited.
func (s *Store) clientVisible(r *http.Request, id string, a org.Action) (Client, error) {
	c, err := s.Client(r.Context(), id)
	if err != nil {
		if aerr := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), a, 0); aerr != nil {
			return Client{}, aerr
		}
		return Client{}, err
	}
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), a, c.UnitID); err != nil {
		return Client{}, err
	}
	return c, nil
}

func (s *Store) createClient(r *http.Request, in ClientInput) (NewClient, error) {
	p := org.PrincipalFrom(r.Context())
	if err := s.org.Authorize(r.Context(), p, ManageClients, in.UnitID); err != nil {
		return NewClient{}, err
	}
	var c NewClient
	err := s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		if c, err = s.CreateClient(r.Context(), tx, in, p.UserID); err != nil {
			return err
		}
		return audit.Record(r.Context(), tx, audit.From(r, audit.SSOClient, c.ID, "registered: "+describe(c.Client), true))
	})
	return c, err
}

func describe(c Client) string {
	kind := "confidential"
	if c.Public {
		kind = "public"
	}
	if c.Trusted {
		kind += ", trusted"
	}
	if c.Disabled {
		kind += ", disabled"
	}
	return c.Name + " (" + kind + "; " + strings.Join(c.GrantTypes, " ") + "; " + strings.Join(c.RedirectURIs, " ") + ")"
}

func (s *Store) updateClient(r *http.Request, id string, in ClientInput) (Client, error) {
	cur, err := s.clientVisible(r, id, ManageClients)
	if err != nil {
		return Client{}, err
	}
	if in.UnitID != cur.UnitID && in.UnitID != 0 {
		if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManageClients, in.UnitID); err != nil {
			return Client{}, err
		}
	}
	var c Client
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		if c, err = s.UpdateClient(r.Context(), tx, id, in); err != nil {
			return err
		}
		return audit.Record(r.Context(), tx, audit.From(r, audit.SSOClient, c.ID, describe(cur)+" → "+describe(c), true))
	})
	return c, err
}

func (s *Store) rotateSecret(r *http.Request, id string) (NewClient, error) {
	if _, err := s.clientVisible(r, id, ManageClients); err != nil {
		return NewClient{}, err
	}
	var c NewClient
	err := s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		if c, err = s.NewClientSecret(r.Context(), tx, id); err != nil {
			return err
		}
		return audit.Record(r.Context(), tx, audit.From(r, audit.SSOClient, c.ID, "new secret", true))
	})
	return c, err
}

// discovery is the OpenID Provider metadata (OpenID Connect Discovery 1.0).
func (s *Store) discovery(w http.ResponseWriter, r *http.Request) {
	iss := s.issuer(r)
	w.Header().Set("Cache-Control", "public, max-age=300")
	httpx.JSON(w, 200, map[string]any{
		"issuer":                                        iss,
		"authorization_endpoint":                        iss + PathAuthorize,
		"token_endpoint":                                iss + PathToken,
		"userinfo_endpoint":                             iss + PathUserinfo,
		"jwks_uri":                                      iss + PathJWKS,
		"revocation_endpoint":                           iss + PathRevoke,
		"introspection_endpoint":                        iss + PathIntrospect,
		"end_session_endpoint":                          iss + PathLogout,
		"scopes_supported":                              StandardScopes,
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query"},
		"grant_types_supported":                         GrantTypes,
		"subject_types_supported":                       []string{"public"},
		"id_token_signing_alg_values_supported":         []string{keyAlg},
		"token_endpoint_auth_methods_supported":         []string{AuthBasic, AuthPost, AuthNone},
		"revocation_endpoint_auth_methods_supported":    []string{AuthBasic, AuthPost, AuthNone},
		"introspection_endpoint_auth_methods_supported": []string{AuthBasic, AuthPost},
		"code_challenge_methods_supported":              []string{"S256"},
		"prompt_values_supported":                       []string{"none", "login", "consent"},
		"ui_locales_supported":                          []string{"vi", "en"},
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "amr", "acr", "at_hash",
			"name", "preferred_username", "locale", "email", "email_verified", "unit_code", "unit_name", "roles", "account_type", "personal_id"},
		"acr_values_supported":             ACRValues,
		"claims_parameter_supported":       false,
		"request_parameter_supported":      false,
		"request_uri_parameter_supported":  false,
		"require_request_uri_registration": false,
		"frontchannel_logout_supported":    false,
		"backchannel_logout_supported":     false,
	})
}

// jwks publishes the signing key and the retired keys whose tokens may
// still be presented; it makes the first key when there is none.
func (s *Store) jwks(w http.ResponseWriter, r *http.Request) {
	if _, _, err := s.keys.active(r.Context()); err != nil {
		httpx.Error(w, r, err)
		return
	}
	set, err := s.keys.published(r.Context())
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	httpx.JSON(w, 200, set)
}
