package hub

import (
	"context"
	"net/http"
	"strconv"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

// Mount attaches the hub to a site: its policy rules, the admin API under
// /api/v1/hub/, its pages under /hub, and the gateway as a component when
// a gateway address is configured.
func (s *Store) Mount(site *web.Site) {
	s.org.Allow(ViewHub, org.Roles...)
	s.org.Allow(ManageHub, org.RoleAdmin, org.RoleCoordinator)
	s.org.Allow(ManageMember, org.RoleAdmin, org.RoleCoordinator, org.RoleApprover)
	s.apiRoutes(site.API)
	s.opRoutes(site.API)
	s.pageRoutes(site)
	if s.opt.Gateway.Addr != "" {
		site.AddComponent(web.Component{Name: "hub-gateway", Run: func(ctx context.Context) error {
			o := s.opt.Gateway
			var g *Gateway
			if s.demoOut != nil {
				ready := o.Ready
				o.Ready = func(addr string) {
					if ready != nil {
						ready(addr)
					}
					go s.startDemo(ctx, g)
				}
			}
			g, err := s.NewGateway(o)
			if err != nil {
				return err
			}
			return g.Run(ctx)
		}})
		site.AddComponent(s.RetentionComponent())
	}
}

// created answers 201 with v.
func created(w http.ResponseWriter, v any) { httpx.JSON(w, http.StatusCreated, v) }

// idQuery reads an optional positive id from the query.
func idQuery(r *http.Request, name string) (int64, error) {
	q := r.URL.Query().Get(name)
	if q == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(q, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalid(errs.Field{Name: name, Code: "invalid", Context: "hub"})
	}
	return id, nil
}

// with decodes a JSON body into T and calls fn with the path's {id}.
func with[T any](fn func(r *http.Request, id int64, in T) (any, error), status int) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, "id")
		if err != nil {
			return err
		}
		var in T
		if err := httpx.Decode(r, &in); err != nil {
			return err
		}
		out, err := fn(r, id, in)
		if err != nil {
			return err
		}
		httpx.JSON(w, status, out)
		return nil
	}
}

// byID calls fn with the path's {id}.
func byID(fn func(r *http.Request, id int64) (any, error), status int) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, "id")
		if err != nil {
			return err
		}
		out, err := fn(r, id)
		if err != nil {
			return err
		}
		httpx.JSON(w, status, out)
		return nil
	}
}

// listed answers a list read by fn, paginated.
func listed[T any](fn func(r *http.Request) ([]T, error)) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		pg, err := httpx.PageOf(r, 100, 1000)
		if err != nil {
			return err
		}
		items, err := fn(r)
		if err != nil {
			return err
		}
		httpx.List(w, r, httpx.Slice(items, pg), len(items), pg)
		return nil
	}
}

func (s *Store) subsystemFor(r *http.Request, id int64) (Subsystem, error) {
	x, err := s.Subsystem(r.Context(), id)
	if err != nil {
		return x, err
	}
	return x, s.mayManage(r, x)
}

func (s *Store) credentialFor(r *http.Request, id int64) (Credential, error) {
	c, err := s.Credential(r.Context(), id)
	if err != nil {
		return c, err
	}
	_, err = s.subsystemFor(r, c.SubsystemID)
	return c, err
}

func (s *Store) apiRoutes(api *httpx.API) {
	const tag = "hub"
	route := func(method, path, summary string, req, resp any, status int, h httpx.HandlerFunc) {
		api.Handle(httpx.Route{Method: method, Path: path, Tag: tag, Summary: summary, Request: req, Response: resp, Status: status}, h)
	}
	list := func(path, summary string, resp any, query []string, h httpx.HandlerFunc) {
		api.Handle(httpx.Route{Method: "GET", Path: path, Tag: tag, Summary: summary, Response: resp, List: true, Query: query}, h)
	}

	// Registry.
	list("/api/v1/hub/members", "Members of the exchange (thành viên): agencies and companies in X-Road form INSTANCE/CLASS/CODE", Member{}, nil,
		listed(func(r *http.Request) ([]Member, error) {
			if err := s.canView(r); err != nil {
				return nil, err
			}
			return s.Members(r.Context())
		}))
	route("POST", "/api/v1/hub/members", "Register a member under an org unit (hub.manage on the unit); audited", MemberInput{}, Member{}, 201,
		func(w http.ResponseWriter, r *http.Request) error {
			var in MemberInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			m, err := s.CreateMember(r, in)
			if err != nil {
				return err
			}
			created(w, m)
			return nil
		})
	route("GET", "/api/v1/hub/members/{id}", "One member", nil, Member{}, 0, httpx.GetHandler(s.canView, s.Member))
	route("PUT", "/api/v1/hub/members/{id}", "Rename a member or move it to another unit; its identifier stays", MemberEdit{}, Member{}, 0,
		with(func(r *http.Request, id int64, in MemberEdit) (any, error) { return s.EditMember(r, id, in) }, 200))

	list("/api/v1/hub/subsystems", "Subsystems (hệ thống thông tin) of every member, or of one", Subsystem{}, []string{"member: a member id"},
		listed(func(r *http.Request) ([]Subsystem, error) {
			if err := s.canView(r); err != nil {
				return nil, err
			}
			m, err := idQuery(r, "member")
			if err != nil {
				return nil, err
			}
			return s.Subsystems(r.Context(), m)
		}))
	route("POST", "/api/v1/hub/members/{id}/subsystems", "Add a subsystem to a member (hub.member on the member's unit)", SubsystemInput{}, Subsystem{}, 201,
		with(func(r *http.Request, id int64, in SubsystemInput) (any, error) { return s.CreateSubsystem(r, id, in) }, 201))
	route("GET", "/api/v1/hub/subsystems/{id}", "One subsystem", nil, Subsystem{}, 0, httpx.GetHandler(s.canView, s.Subsystem))
	route("PUT", "/api/v1/hub/subsystems/{id}", "Change a subsystem's name, description and rate limit", SubsystemEdit{}, Subsystem{}, 0,
		with(func(r *http.Request, id int64, in SubsystemEdit) (any, error) { return s.EditSubsystem(r, id, in) }, 200))

	list("/api/v1/hub/services", "Services with their endpoints, of every subsystem or of one", Service{}, []string{"subsystem: a subsystem id"},
		listed(func(r *http.Request) ([]Service, error) {
			if err := s.canView(r); err != nil {
				return nil, err
			}
			x, err := idQuery(r, "subsystem")
			if err != nil {
				return nil, err
			}
			return s.Services(r.Context(), x)
		}))
	route("POST", "/api/v1/hub/subsystems/{id}/services", "Add a REST service with its backend URL to a subsystem", ServiceInput{}, Service{}, 201,
		with(func(r *http.Request, id int64, in ServiceInput) (any, error) { return s.CreateService(r, id, in) }, 201))
	route("GET", "/api/v1/hub/services/{id}", "One service with its endpoints", nil, Service{}, 0, httpx.GetHandler(s.canView, s.Service))
	route("PUT", "/api/v1/hub/services/{id}", "Change a service's name, backend or timeout, or enable or disable it", ServiceEdit{}, Service{}, 0,
		with(func(r *http.Request, id int64, in ServiceEdit) (any, error) { return s.EditService(r, id, in) }, 200))
	route("POST", "/api/v1/hub/services/{id}/endpoints", "Add an endpoint (method and path template) to a service", EndpointInput{}, Service{}, 201,
		with(func(r *http.Request, id int64, in EndpointInput) (any, error) { return s.AddEndpoint(r, id, in) }, 201))
	route("PUT", "/api/v1/hub/endpoints/{id}", "Enable or disable an endpoint", EndpointEdit{}, Service{}, 0,
		with(func(r *http.Request, id int64, in EndpointEdit) (any, error) { return s.SetEndpoint(r, id, in) }, 200))
	route("DELETE", "/api/v1/hub/endpoints/{id}", "Remove an endpoint and the rights granted on it", nil, Service{}, 0,
		byID(func(r *http.Request, id int64) (any, error) { return s.DeleteEndpoint(r, id) }, 200))
	route("PUT", "/api/v1/hub/services/{id}/openapi", "Register a service's OpenAPI 3 description, uploaded or fetched from a URL; its operations become endpoints", OpenAPIInput{}, Service{}, 0,
		with(func(r *http.Request, id int64, in OpenAPIInput) (any, error) { return s.SetOpenAPI(r, id, in) }, 200))
	route("GET", "/api/v1/hub/services/{id}/openapi", "A service's OpenAPI description as registered (JSON or YAML)", nil, nil, 0,
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.canView(r); err != nil {
				return err
			}
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			doc, mt, err := s.OpenAPI(r.Context(), id)
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", mt+"; charset=utf-8")
			w.Write(doc)
			return nil
		})

	// Access rights and the requests for them.
	list("/api/v1/hub/services/{id}/rights", "The rights granted on a service (the provider's officials)", Right{}, nil,
		listed(func(r *http.Request) ([]Right, error) {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return nil, err
			}
			return s.ServiceRights(r, id)
		}))
	route("POST", "/api/v1/hub/services/{id}/rights", "Grant a consumer subsystem access to a service or one endpoint (the provider's officials); audited", RightInput{}, Right{}, 201,
		with(func(r *http.Request, id int64, in RightInput) (any, error) { return s.Grant(r, id, in) }, 201))
	route("DELETE", "/api/v1/hub/rights/{id}", "Revoke a right: the gateway refuses the consumer's next call", nil, nil, 204,
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			if err := s.Revoke(r, id); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
	list("/api/v1/hub/subsystems/{id}/rights", "The rights a consumer subsystem holds (the consumer's officials)", Right{}, nil,
		listed(func(r *http.Request) ([]Right, error) {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return nil, err
			}
			return s.ConsumerRights(r, id)
		}))
	list("/api/v1/hub/access-requests", "Access requests the official takes part in, as consumer or as provider", AccessRequest{}, []string{"state: pending, approved, refused or withdrawn"},
		listed(func(r *http.Request) ([]AccessRequest, error) { return s.AccessRequests(r, r.URL.Query().Get("state")) }))
	route("POST", "/api/v1/hub/access-requests", "Ask a service's provider for access for one of the official's subsystems; audited", AccessRequestInput{}, AccessRequest{}, 201,
		func(w http.ResponseWriter, r *http.Request) error {
			var in AccessRequestInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			q, err := s.RequestAccess(r, in)
			if err != nil {
				return err
			}
			created(w, q)
			return nil
		})
	route("GET", "/api/v1/hub/access-requests/{id}", "One access request", nil, AccessRequest{}, 0,
		byID(func(r *http.Request, id int64) (any, error) { return s.AccessRequest(r, id) }, 200))
	route("POST", "/api/v1/hub/access-requests/{id}/approve", "Approve a pending request, granting the right (the provider's officials)", DecisionInput{}, AccessRequest{}, 0,
		with(func(r *http.Request, id int64, in DecisionInput) (any, error) { return s.Decide(r, id, true, in) }, 200))
	route("POST", "/api/v1/hub/access-requests/{id}/refuse", "Refuse a pending request with a note (the provider's officials)", DecisionInput{}, AccessRequest{}, 0,
		with(func(r *http.Request, id int64, in DecisionInput) (any, error) { return s.Decide(r, id, false, in) }, 200))
	route("POST", "/api/v1/hub/access-requests/{id}/withdraw", "Withdraw a pending request (the consumer's officials)", nil, AccessRequest{}, 0,
		byID(func(r *http.Request, id int64) (any, error) { return s.Withdraw(r, id) }, 200))

	// Client credentials.
	list("/api/v1/hub/subsystems/{id}/credentials", "A subsystem's client secrets and certificates (never the secrets themselves)", Credential{}, nil,
		listed(func(r *http.Request) ([]Credential, error) {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return nil, err
			}
			if _, err := s.subsystemFor(r, id); err != nil {
				return nil, err
			}
			return s.Credentials(r.Context(), id)
		}))
	route("POST", "/api/v1/hub/subsystems/{id}/secrets", "Issue an OAuth2 client id and secret (the secret is shown once); audited", CredentialInput{}, IssuedCredential{}, 201,
		with(func(r *http.Request, id int64, in CredentialInput) (any, error) {
			x, err := s.subsystemFor(r, id)
			if err != nil {
				return nil, err
			}
			return s.IssueSecret(r.Context(), x, in, ActorOf(r))
		}, 201))
	route("POST", "/api/v1/hub/subsystems/{id}/certificates", "Issue a TLS client certificate from the hub's CA, for a CSR or with a generated key (shown once); audited", CredentialInput{}, IssuedCredential{}, 201,
		with(func(r *http.Request, id int64, in CredentialInput) (any, error) {
			x, err := s.subsystemFor(r, id)
			if err != nil {
				return nil, err
			}
			return s.IssueCertificate(r.Context(), x, in, ActorOf(r))
		}, 201))
	route("POST", "/api/v1/hub/credentials/{id}/revoke", "Revoke a credential: refused from the gateway's next request on; audited", nil, Credential{}, 0,
		byID(func(r *http.Request, id int64) (any, error) {
			if _, err := s.credentialFor(r, id); err != nil {
				return nil, err
			}
			return s.RevokeCredential(r.Context(), id, ActorOf(r))
		}, 200))
	route("POST", "/api/v1/hub/credentials/{id}/rotate", "Replace a credential by a new one of its kind; the old one stops after graceMinutes; audited", RotateInput{}, IssuedCredential{}, 201,
		with(func(r *http.Request, id int64, in RotateInput) (any, error) {
			if _, err := s.credentialFor(r, id); err != nil {
				return nil, err
			}
			return s.RotateCredential(r.Context(), id, in, ActorOf(r))
		}, 201))

	// The hub's keys.
	list("/api/v1/hub/keys", "The hub's public keys: token signing, seals, CA", Key{}, nil,
		listed(func(r *http.Request) ([]Key, error) {
			if err := s.canView(r); err != nil {
				return nil, err
			}
			if err := s.EnsureKeys(r.Context()); err != nil {
				return nil, err
			}
			return s.Keys(r.Context())
		}))
	route("POST", "/api/v1/hub/keys/{purpose}/rotate", "Make a new key for seal or ca; older keys retire and still verify (hub.manage on the hub's owner unit); audited", nil, Key{}, 201,
		func(w http.ResponseWriter, r *http.Request) error {
			owner, err := s.ownerUnit(r.Context())
			if err != nil {
				return err
			}
			if err := s.authorize(r, ManageHub, owner); err != nil {
				return err
			}
			k, err := s.RotateKey(r.Context(), r.PathValue("purpose"), ActorOf(r).event("", "", ""))
			if err != nil {
				return err
			}
			created(w, k)
			return nil
		})

	// Federation: peer hubs.
	manageHub := func(r *http.Request) error {
		owner, err := s.ownerUnit(r.Context())
		if err != nil {
			return err
		}
		return s.authorize(r, ManageHub, owner)
	}
	list("/api/v1/hub/peers", "Peer hubs (federation): other instances this hub calls and accepts calls from", Peer{}, nil,
		listed(func(r *http.Request) ([]Peer, error) {
			if err := s.canView(r); err != nil {
				return nil, err
			}
			return s.Peers(r.Context())
		}))
	route("POST", "/api/v1/hub/peers", "Register a peer hub: its instance, gateway address and CA certificates (hub.manage on the hub's owner unit); audited", PeerInput{}, Peer{}, 201,
		func(w http.ResponseWriter, r *http.Request) error {
			var in PeerInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			if err := manageHub(r); err != nil {
				return err
			}
			p, err := s.CreatePeer(r.Context(), in, ActorOf(r))
			if err != nil {
				return err
			}
			created(w, p)
			return nil
		})
	route("GET", "/api/v1/hub/peers/{id}", "One peer hub", nil, Peer{}, 0, httpx.GetHandler(s.canView, s.Peer))
	route("PUT", "/api/v1/hub/peers/{id}", "Change a peer's name, address, CA certificates or timeout, or enable or disable it; audited", PeerInput{}, Peer{}, 0,
		with(func(r *http.Request, id int64, in PeerInput) (any, error) {
			if err := manageHub(r); err != nil {
				return nil, err
			}
			return s.EditPeer(r.Context(), id, in, ActorOf(r))
		}, 200))
	route("GET", "/api/v1/hub/peering", "What a peer needs to register this hub: its instance and CA certificates", nil, Peering{}, 0,
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.canView(r); err != nil {
				return err
			}
			p, err := s.Peering(r.Context())
			if err != nil {
				return err
			}
			httpx.JSON(w, http.StatusOK, p)
			return nil
		})
}
