package hub

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// Actions of the hub, decided by (*org.Store).Authorize like every other.
const (
	// ViewHub: read the registry (members, subsystems, services), as
	// X-Road's listClients and listMethods are open to every member.
	ViewHub org.Action = "hub.view"
	// ManageHub: add and edit members under a unit, and the hub's own
	// keys and certificate authority (on the hub's owner unit).
	ManageHub org.Action = "hub.manage"
	// ManageMember: a member's officials manage their member (on its
	// unit): its subsystems, services, endpoints and descriptions, the
	// rights it grants and the requests it answers, its credentials and
	// the access it asks for.
	ManageMember org.Action = "hub.member"
)

// Options configure the hub of one server.
type Options struct {
	// Instance is the X-Road instance identifier of this hub ("LGSP-LC").
	Instance string
	// Owner is the code of the org unit whose managers run the hub itself
	// (keys, certificate authority); empty: the top of the tree.
	Owner string
	// Gateway is the gateway's listener; nil or an empty Addr runs none.
	Gateway GatewayOptions
	// Retention: the message log's archive, monitoring's retention and the
	// time-stamping authority (retention.go), run beside the gateway.
	Retention RetentionOptions
	// KeyFiles are PEM files of private keys by purpose (token, seal,
	// ca): a purpose with a file signs with it and its private key is
	// never written into the database (keys.go).
	KeyFiles map[string]string
}

// DefaultInstance is the instance identifier when none is configured.
const DefaultInstance = "TINHSO"

// Store is the hub of one server: the registry and rights in the
// database, and the in-memory snapshot the gateway reads them from.
type Store struct {
	db  *store.DB
	org *org.Store
	opt Options
	// Now is the clock (tests move it).
	Now func() time.Time

	snap    atomic.Pointer[snapshot]
	rebuild sync.Mutex // one snapshot rebuild at a time
	// tokenEndpoint and verifier are the platform's token issuer
	// (UseTokens, tokens.go).
	tokenEndpoint http.Handler
	verifier      TokenVerifier
	authority     *Authority
	metrics       *hubMetrics
	demoOut       io.Writer // SetDemo: the gateway starts the demo and prints it here
	node          string    // this process in cluster-wide leases

	// unstampedSince is the seal time (Unix µs) of the oldest seal still
	// without a time-stamp token, 0 when none (checkStamps).
	unstampedSince atomic.Int64

	fileMu   sync.Mutex
	fileKeys map[string]Key // by purpose: the keys read from KeyFiles (EnsureKeys)
}

// NewStore returns the hub on db.
func NewStore(db *store.DB, orgs *org.Store, opt Options) *Store {
	if opt.Instance == "" {
		opt.Instance = DefaultInstance
	}
	s := &Store{db: db, org: orgs, opt: opt, Now: store.Now, metrics: newHubMetrics(), node: store.NodeName()}
	s.authority = &Authority{s: s}
	return s
}

// Instance is the X-Road instance identifier of this hub.
func (s *Store) Instance() string { return s.opt.Instance }

// DB is the database the hub works on.
func (s *Store) DB() *store.DB { return s.db }

// Authority is the hub's certificate authority.
func (s *Store) Authority() *Authority { return s.authority }

func (s *Store) principal(r *http.Request) *org.Principal { return org.PrincipalFrom(r.Context()) }

func (s *Store) authorize(r *http.Request, a org.Action, unit int64) error {
	return s.org.Authorize(r.Context(), s.principal(r), a, unit)
}

func (s *Store) can(r *http.Request, a org.Action, unit int64) bool {
	ok, err := s.org.Can(r.Context(), s.principal(r), a, unit)
	return err == nil && ok
}

// canView authorises reading the registry.
func (s *Store) canView(r *http.Request) error { return s.authorize(r, ViewHub, 0) }

// ownerUnit is the unit the hub's own settings are authorised on.
func (s *Store) ownerUnit(ctx context.Context) (int64, error) {
	if s.opt.Owner != "" {
		u, err := s.org.UnitByCode(ctx, s.opt.Owner, "")
		if err != nil {
			return 0, fmt.Errorf("hub owner unit %q: %w", s.opt.Owner, err)
		}
		return u.ID, nil
	}
	var id int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT u.id FROM org_units u JOIN org_unit_versions v ON v.unit_id = u.id AND v.valid_to IS NULL
		WHERE v.parent_id IS NULL ORDER BY u.id LIMIT 1`).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("hub owner unit: the top of the tree: %w", err)
	}
	return id, nil
}

// write runs fn in one transaction with its audit event, bumps the
// registry's version and, once committed, refreshes the snapshot, so the
// gateway applies the change from its next request on.
func (s *Store) write(ctx context.Context, ev func() audit.Event, fn func(tx *sql.Tx) error) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if ev != nil {
			if err := audit.Record(ctx, tx, ev()); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE hub_state SET version = version + 1 WHERE id = 1`)
		return err
	})
	if err != nil {
		return err
	}
	return s.Refresh(ctx)
}

// event is an audit event of the hub for the request's official.
func event(r *http.Request, kind, subject, detail string) func() audit.Event {
	return func() audit.Event { return audit.From(r, kind, subject, detail, true) }
}

func nullable(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func actorID(r *http.Request) any {
	if p := org.PrincipalFrom(r.Context()); p != nil {
		return p.UserID
	}
	return nil
}

// noRows maps sql.ErrNoRows to not found.
func noRows(err error, notFound error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return err
}
