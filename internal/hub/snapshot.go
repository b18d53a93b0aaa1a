package hub

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The gateway never reads the database to decide a request: it reads a
// snapshot of the registry, the rights, the credentials and the keys,
// rebuilt whole after every change this node makes (before the change's
// API call answers, so a revocation holds from the very next request) and
// when the registry's version in hub_state moves (a change made on
// another node, seen within the poll interval).

// Credential kinds.
const (
	KindSecret      = "secret"
	KindCertificate = "certificate"
)

type snapshot struct {
	version     int64
	built       time.Time
	members     []*snapMember
	subsystems  map[int64]*snapSubsystem
	byClient    map[ClientID]*snapSubsystem
	services    map[ServiceID]*snapService
	servicesOf  map[int64][]*snapService // by providing subsystem, by code
	credentials map[int64]*snapCredential
	byClientID  map[string]*snapCredential
	byCert      map[string]*snapCredential // by SHA-256 fingerprint, hex
	sealKey     *snapKey
	caPool      *x509.CertPool
	peers       map[string]*snapPeer // by instance
	clientPool  *x509.CertPool       // the hub's CAs and the peers': client certificates asked of
}

type snapMember struct {
	xid        ClientID
	name       string
	subsystems []*snapSubsystem
}

type snapSubsystem struct {
	id         int64
	xid        ClientID
	name       string
	memberName string
	member     int64 // hub_members.id
	keepDays   int   // bodies kept this many days (0: not)
	rate       int
	burst      int
}

type snapService struct {
	id        int64
	xid       ServiceID
	provider  *snapSubsystem
	name      string
	backend   *url.URL
	timeout   time.Duration
	enabled   bool
	typ       string
	endpoints []*snapEndpoint
	rights    map[int64][]int64 // consumer subsystem → endpoint ids, 0 for the whole service
}

type snapEndpoint struct {
	id      int64
	method  string
	path    string // as registered
	glob    string // X-Road's form: {x} written *
	enabled bool
	re      *regexp.Regexp
}

type snapCredential struct {
	id          int64
	subsystem   int64
	kind        string
	clientID    string
	fingerprint string
	notAfter    *time.Time
	revokedAt   *time.Time
}

// activeAt reports whether the credential may be used at t.
func (c *snapCredential) activeAt(t time.Time) bool {
	return (c.revokedAt == nil || t.Before(*c.revokedAt)) && (c.notAfter == nil || t.Before(*c.notAfter))
}

type snapKey struct {
	kid       string
	pub       ed25519.PublicKey
	priv      ed25519.PrivateKey
	retiredAt *time.Time
}

// pathParam is a path template's parameter, {id}.
var pathParam = regexp.MustCompile(`\{[^/{}]*\}`)

// globOf writes a path template as X-Road's endpoints write it.
func globOf(template string) string { return pathParam.ReplaceAllString(template, "*") }

// compileGlob turns an endpoint path into a pattern, as X-Road's PathGlob:
// * matches within one segment, ** across segments.
func compileGlob(glob string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		if glob[i] == '*' {
			if i+1 < len(glob) && glob[i+1] == '*' {
				for i+1 < len(glob) && glob[i+1] == '*' {
					i++
				}
				b.WriteString(".*")
			} else {
				b.WriteString("[^/]*")
			}
			continue
		}
		b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// matches reports whether the endpoint covers a method and a normalised
// service path.
func (e *snapEndpoint) matches(method, path string) bool {
	return (e.method == "*" || e.method == method) && (e.path == "**" || e.re.MatchString(path))
}

func emptySnapshot() *snapshot {
	return &snapshot{subsystems: map[int64]*snapSubsystem{}, byClient: map[ClientID]*snapSubsystem{}, services: map[ServiceID]*snapService{},
		servicesOf: map[int64][]*snapService{}, credentials: map[int64]*snapCredential{}, byClientID: map[string]*snapCredential{},
		byCert: map[string]*snapCredential{}, caPool: x509.NewCertPool(), peers: map[string]*snapPeer{}, clientPool: x509.NewCertPool()}
}

// snapshot is the current snapshot, built at the first call.
func (s *Store) snapshot() *snapshot {
	if sn := s.snap.Load(); sn != nil {
		return sn
	}
	if err := s.Refresh(context.Background()); err != nil {
		slog.Error("hub snapshot", "err", err)
		return emptySnapshot()
	}
	return s.snap.Load()
}

// Version is the registry's version in the database.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT version FROM hub_state WHERE id = 1`).Scan(&v)
	return v, err
}

// Refresh rebuilds the snapshot from the database.
func (s *Store) Refresh(ctx context.Context) error {
	s.rebuild.Lock()
	defer s.rebuild.Unlock()
	sn, err := s.build(ctx)
	if err != nil {
		return fmt.Errorf("hub snapshot: %w", err)
	}
	s.snap.Store(sn)
	return nil
}

// refreshIfMoved rebuilds the snapshot when another node changed the
// registry.
func (s *Store) refreshIfMoved(ctx context.Context) error {
	v, err := s.Version(ctx)
	if err != nil {
		return err
	}
	if cur := s.snap.Load(); cur != nil && cur.version == v {
		return nil
	}
	return s.Refresh(ctx)
}

func (s *Store) build(ctx context.Context) (*snapshot, error) {
	sn := emptySnapshot()
	sn.built = time.Now()
	q := s.db.Read
	if err := q.QueryRowContext(ctx, `SELECT version FROM hub_state WHERE id = 1`).Scan(&sn.version); err != nil {
		return nil, err
	}
	members := map[int64]*snapMember{}
	rows, err := q.QueryContext(ctx, `SELECT id, instance, member_class, member_code, name FROM hub_members ORDER BY instance, member_class, member_code`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		m := &snapMember{}
		if err := rows.Scan(&id, &m.xid.Instance, &m.xid.Class, &m.xid.Member, &m.name); err != nil {
			rows.Close()
			return nil, err
		}
		members[id] = m
		sn.members = append(sn.members, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = q.QueryContext(ctx, `SELECT id, member_id, code, name, rate_per_second, burst, keep_bodies_days FROM hub_subsystems ORDER BY code`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var member int64
		x := &snapSubsystem{}
		if err := rows.Scan(&x.id, &member, &x.xid.Subsystem, &x.name, &x.rate, &x.burst, &x.keepDays); err != nil {
			rows.Close()
			return nil, err
		}
		m := members[member]
		if m == nil {
			continue
		}
		x.xid.Instance, x.xid.Class, x.xid.Member, x.memberName, x.member = m.xid.Instance, m.xid.Class, m.xid.Member, m.name, member
		m.subsystems = append(m.subsystems, x)
		sn.subsystems[x.id] = x
		sn.byClient[x.xid] = x
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	byID := map[int64]*snapService{}
	rows, err = q.QueryContext(ctx, `SELECT id, subsystem_id, code, name, backend_url, timeout_ms, enabled, openapi_format FROM hub_services ORDER BY code`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var sub int64
		var backend, format string
		var timeout int
		v := &snapService{rights: map[int64][]int64{}}
		if err := rows.Scan(&v.id, &sub, &v.xid.Code, &v.name, &backend, &timeout, &v.enabled, &format); err != nil {
			rows.Close()
			return nil, err
		}
		x := sn.subsystems[sub]
		u, err := url.Parse(backend)
		if x == nil || err != nil {
			continue
		}
		v.provider, v.xid.ClientID, v.backend, v.timeout = x, x.xid, u, time.Duration(timeout)*time.Millisecond
		v.typ = TypeREST
		if format != "" {
			v.typ = TypeOpenAPI
		}
		byID[v.id] = v
		sn.services[v.xid] = v
		sn.servicesOf[sub] = append(sn.servicesOf[sub], v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	eps, err := s.endpoints(ctx, q, "")
	if err != nil {
		return nil, err
	}
	for svc, list := range eps {
		v := byID[svc]
		if v == nil {
			continue
		}
		for _, e := range list {
			g := globOf(e.Path)
			v.endpoints = append(v.endpoints, &snapEndpoint{id: e.ID, method: e.Method, path: e.Path, glob: g, enabled: e.Enabled, re: compileGlob(g)})
		}
	}

	rows, err = q.QueryContext(ctx, `SELECT service_id, endpoint_id, consumer_id FROM hub_rights`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var svc, ep, consumer int64
		if err := rows.Scan(&svc, &ep, &consumer); err != nil {
			rows.Close()
			return nil, err
		}
		if v := byID[svc]; v != nil {
			v.rights[consumer] = append(v.rights[consumer], ep)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	now := time.Now()
	rows, err = q.QueryContext(ctx, `SELECT id, subsystem_id, kind, COALESCE(client_id, ''), COALESCE(cert_sha256, ''), not_after, revoked_at
		FROM hub_credentials WHERE (revoked_at IS NULL OR revoked_at > $1) AND (not_after IS NULL OR not_after > $1)`, now)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		c := &snapCredential{}
		var notAfter, revoked sql.NullTime
		if err := rows.Scan(&c.id, &c.subsystem, &c.kind, &c.clientID, &c.fingerprint, &notAfter, &revoked); err != nil {
			rows.Close()
			return nil, err
		}
		if notAfter.Valid {
			t := notAfter.Time
			c.notAfter = &t
		}
		if revoked.Valid {
			t := revoked.Time
			c.revokedAt = &t
		}
		sn.credentials[c.id] = c
		if c.clientID != "" {
			sn.byClientID[c.clientID] = c
		}
		if c.fingerprint != "" {
			sn.byCert[c.fingerprint] = c
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	keys, err := s.keysWithPrivate(ctx, q)
	if err != nil {
		return nil, err
	}
	for _, k := range keys { // newest first
		switch k.Purpose {
		case PurposeSeal:
			pub, _ := k.public.(ed25519.PublicKey)
			priv, _ := k.signer.(ed25519.PrivateKey)
			if sn.sealKey == nil && k.Active() {
				sn.sealKey = &snapKey{kid: k.KID, pub: pub, priv: priv, retiredAt: k.RetiredAt}
			}
		case PurposeCA:
			if k.cert != nil && now.Before(k.cert.NotAfter) {
				sn.caPool.AddCert(k.cert)
			}
		}
	}
	sn.clientPool = sn.caPool.Clone()
	if err := loadPeers(ctx, q, sn); err != nil {
		return nil, err
	}
	return sn, nil
}
