package hub

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/store"
)

// Federation (issue 9 part 7), as X-Road instances federate: each hub is
// an instance (its identifier the first part of every identifier it
// registers), and a hub trusts another hub — the national platform, a
// neighbouring province — as a peer: its instance, its gateway's address
// and the CA certificates its client and server certificates chain to.
//
//   - A consumer of this hub calling /r1/{PEER}/… is authenticated and
//     rate-limited here as for a local call; the request's record is
//     logged (fail closed), then the call goes to the peer's gateway over
//     mutual TLS: this hub presents its own client certificate (CN
//     "INSTANCE hub", URI urn:xroad:INSTANCE) and accepts the peer's server
//     certificate only when it chains to the peer's registered CA. The
//     peer's answer streams back, its X-Road-Error too.
//   - A peer's hub calling this gateway is recognised by its client
//     certificate: URI urn:xroad:PEER, chaining to that peer's CA. The
//     consumer is X-Road-Client, which must be a subsystem of the calling
//     instance; the access rights are this hub's own, granted to that
//     foreign subsystem (registered here as a member of the peer's
//     instance, hanging on the hub's owner unit, without credentials of its
//     own); the backend is this hub's. Calls through to a third instance
//     are refused: a hub carries only its own consumers' calls.
//
// Both hubs log the exchange, each in its own chain, with the same X-Road-Id
// (the consumer's or the first hub's) and each its own X-Road-Request-Id.

// Peer is a trusted peer hub.
type Peer struct {
	ID        int64     `json:"id"`
	Instance  string    `json:"xroadInstance" doc:"the peer's X-Road instance identifier, e.g. VN"`
	Name      string    `json:"name"`
	Address   string    `json:"address" doc:"the peer's gateway, https://host:port"`
	CAPEM     string    `json:"caCertificates" doc:"PEM: the CA certificates the peer's client and server certificates chain to"`
	CAs       []string  `json:"caFingerprints" doc:"SHA-256 of each CA certificate, hex"`
	TimeoutMS int       `json:"timeoutMs" doc:"connect and read timeout of calls to the peer"`
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// PeerInput registers a peer or changes it (the instance stays).
type PeerInput struct {
	Instance  string `json:"xroadInstance,omitempty" doc:"when registering"`
	Name      string `json:"name"`
	Address   string `json:"address"`
	CAPEM     string `json:"caCertificates"`
	TimeoutMS int    `json:"timeoutMs,omitempty" doc:"default 30000"`
	Enabled   *bool  `json:"enabled,omitempty" doc:"default true"`
}

// snapPeer is a peer as the gateway reads it.
type snapPeer struct {
	id       int64
	instance string
	address  *url.URL
	timeout  time.Duration
	enabled  bool
	certs    []*x509.Certificate
	pool     *x509.CertPool
	key      string // changes with the address, the CAs and the timeout
}

// parseCAs reads the PEM certificates of a peer's CAs.
func parseCAs(p string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	b := []byte(p)
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		if !c.IsCA {
			return nil, errors.New("not a CA certificate: " + c.Subject.CommonName)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no certificate")
	}
	return out, nil
}

const peerColumns = `id, instance, name, address, ca_pem, timeout_ms, enabled, created_at, updated_at`

func scanPeer(sc interface{ Scan(...any) error }) (Peer, error) {
	var p Peer
	err := sc.Scan(&p.ID, &p.Instance, &p.Name, &p.Address, &p.CAPEM, &p.TimeoutMS, &p.Enabled, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return p, err
	}
	certs, _ := parseCAs(p.CAPEM)
	for _, c := range certs {
		p.CAs = append(p.CAs, fingerprint(c.Raw))
	}
	return p, nil
}

// Peers lists the peer hubs.
func (s *Store) Peers(ctx context.Context) ([]Peer, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+peerColumns+` FROM hub_peers ORDER BY instance`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Peer
	for rows.Next() {
		p, err := scanPeer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Peer is one peer hub.
func (s *Store) Peer(ctx context.Context, id int64) (Peer, error) {
	p, err := scanPeer(s.db.Read.QueryRowContext(ctx, `SELECT `+peerColumns+` FROM hub_peers WHERE id = $1`, id))
	return p, noRows(err, errs.NotFound)
}

// PeerByInstance is the peer hub of an instance.
func (s *Store) PeerByInstance(ctx context.Context, instance string) (Peer, error) {
	p, err := scanPeer(s.db.Read.QueryRowContext(ctx, `SELECT `+peerColumns+` FROM hub_peers WHERE instance = $1`, instance))
	return p, noRows(err, errs.NotFound)
}

// DefaultPeerTimeoutMS is a peer's timeout when none is given.
const DefaultPeerTimeoutMS = 30000

func (s *Store) validPeer(v *errs.Validator, in *PeerInput) {
	in.Name, in.Address, in.CAPEM = strings.TrimSpace(in.Name), strings.TrimSpace(in.Address), strings.TrimSpace(in.CAPEM)
	v.Check(in.Name != "", "name", "required")
	v.Text("name", in.Name, errs.Name)
	if in.Address == "" {
		v.Add("address", "required")
	} else if u, err := url.Parse(in.Address); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.User != nil {
		v.Add("address", "hub_peer_address")
	}
	if in.CAPEM == "" {
		v.Add("caCertificates", "required")
	} else if _, err := parseCAs(in.CAPEM); err != nil {
		v.Add("caCertificates", "hub_peer_ca")
	}
	if in.TimeoutMS == 0 {
		in.TimeoutMS = DefaultPeerTimeoutMS
	}
	validTimeout(v, in.TimeoutMS)
}

// CreatePeer registers a peer hub (hub.manage on the owner unit, checked
// by the caller).
func (s *Store) CreatePeer(ctx context.Context, in PeerInput, a Actor) (Peer, error) {
	in.Instance = strings.TrimSpace(in.Instance)
	v := errs.Validator{Context: "hub"}
	validIdent(&v, "xroadInstance", in.Instance)
	if in.Instance == s.opt.Instance {
		v.Add("xroadInstance", "hub_peer_self")
	}
	s.validPeer(&v, &in)
	if err := v.Err(); err != nil {
		return Peer{}, err
	}
	var id int64
	now := store.Now()
	state := "enabled"
	if !ptrTrue(in.Enabled) {
		state = "disabled"
	}
	err := s.write(ctx, a.ev(audit.HubPeer, in.Instance, "peer.create "+in.Address+" "+state), func(tx *sql.Tx) (err error) {
		id, err = insertID(ctx, tx, "xroadInstance", in.Instance, `INSERT INTO hub_peers (instance, name, address, ca_pem, timeout_ms, enabled, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`, in.Instance, in.Name, in.Address, in.CAPEM, in.TimeoutMS, ptrTrue(in.Enabled), a.UserID, now)
		return err
	})
	if err != nil {
		return Peer{}, err
	}
	return s.Peer(ctx, id)
}

// EditPeer changes a peer's name, address, CAs, timeout, or enables or
// disables it; from the gateway's next request on.
func (s *Store) EditPeer(ctx context.Context, id int64, in PeerInput, a Actor) (Peer, error) {
	p, err := s.Peer(ctx, id)
	if err != nil {
		return p, err
	}
	if in.Name == "" {
		in.Name = p.Name
	}
	if in.Address == "" {
		in.Address = p.Address
	}
	if in.CAPEM == "" {
		in.CAPEM = p.CAPEM
	}
	if in.TimeoutMS == 0 {
		in.TimeoutMS = p.TimeoutMS
	}
	enabled := p.Enabled
	if in.Enabled != nil {
		enabled = *in.Enabled
	}
	v := errs.Validator{Context: "hub"}
	s.validPeer(&v, &in)
	if err := v.Err(); err != nil {
		return Peer{}, err
	}
	var changed []string
	if in.Name != p.Name {
		changed = append(changed, "name")
	}
	if in.Address != p.Address {
		changed = append(changed, "address "+in.Address)
	}
	if in.CAPEM != p.CAPEM {
		changed = append(changed, "CA certificates")
	}
	if in.TimeoutMS != p.TimeoutMS {
		changed = append(changed, fmt.Sprintf("timeout %d ms", in.TimeoutMS))
	}
	if enabled != p.Enabled {
		changed = append(changed, map[bool]string{true: "enabled", false: "disabled"}[enabled])
	}
	err = s.write(ctx, a.ev(audit.HubPeer, p.Instance, "peer.edit "+strings.Join(changed, ", ")), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE hub_peers SET name = $1, address = $2, ca_pem = $3, timeout_ms = $4, enabled = $5, updated_at = $6 WHERE id = $7`,
			in.Name, in.Address, in.CAPEM, in.TimeoutMS, enabled, store.Now(), id)
		return err
	})
	if err != nil {
		return Peer{}, err
	}
	return s.Peer(ctx, id)
}

// loadPeers adds the peers to a snapshot being built, and their CAs to
// the pool the gateway asks client certificates of.
func loadPeers(ctx context.Context, q store.Querier, sn *snapshot) error {
	rows, err := q.QueryContext(ctx, `SELECT `+peerColumns+` FROM hub_peers`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPeer(rows)
		if err != nil {
			return err
		}
		u, err := url.Parse(p.Address)
		certs, cerr := parseCAs(p.CAPEM)
		if err != nil || cerr != nil {
			continue
		}
		sp := &snapPeer{id: p.ID, instance: p.Instance, address: u, timeout: time.Duration(p.TimeoutMS) * time.Millisecond, enabled: p.Enabled,
			certs: certs, pool: x509.NewCertPool()}
		h := sha256.New()
		fmt.Fprintf(h, "%s|%s|%d|", p.Instance, p.Address, p.TimeoutMS)
		for _, c := range certs {
			sp.pool.AddCert(c)
			sn.clientPool.AddCert(c)
			h.Write(c.Raw)
		}
		sp.key = hex.EncodeToString(h.Sum(nil))
		sn.peers[p.Instance] = sp
	}
	return rows.Err()
}

// callingPeer is the peer hub whose client certificate the request came
// with: a URI urn:xroad:INSTANCE naming a registered peer, the certificate
// chaining to that peer's own CAs (so that no peer can speak for another).
func (sn *snapshot) callingPeer(chain []*x509.Certificate) *snapPeer {
	if len(chain) == 0 {
		return nil
	}
	leaf := chain[0]
	for _, u := range leaf.URIs {
		inst, ok := strings.CutPrefix(u.String(), "urn:xroad:")
		if !ok || inst == "" || strings.Contains(inst, "/") {
			continue
		}
		p := sn.peers[inst]
		if p == nil {
			continue
		}
		if verifyClientCert(chain, p.pool, time.Now()) == nil {
			return p
		}
	}
	return nil
}

// foreignSubsystem registers, in tx, a subsystem of a peer's instance so
// that rights can be granted to it: its member hangs on the hub's owner
// unit. The identifier's instance must be a registered peer.
func (s *Store) foreignSubsystem(ctx context.Context, tx *sql.Tx, cid ClientID) (int64, error) {
	var peers int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_peers WHERE instance = $1`, cid.Instance).Scan(&peers); err != nil {
		return 0, err
	}
	if peers == 0 {
		return 0, errs.Invalid(errs.Field{Name: "consumer", Code: "hub_unknown_client", Args: []any{cid.String()}, Context: "hub"})
	}
	owner, err := s.ownerUnit(ctx)
	if err != nil {
		return 0, err
	}
	now := store.Now()
	var member int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM hub_members WHERE instance = $1 AND member_class = $2 AND member_code = $3`, cid.Instance, cid.Class, cid.Member).Scan(&member)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `INSERT INTO hub_members (instance, member_class, member_code, name, unit_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
			cid.Instance, cid.Class, cid.Member, ClientID{cid.Instance, cid.Class, cid.Member, ""}.String(), owner, now).Scan(&member)
	}
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM hub_subsystems WHERE member_id = $1 AND code = $2`, member, cid.Subsystem).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `INSERT INTO hub_subsystems (member_id, code, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id`,
			member, cid.Subsystem, cid.String(), now).Scan(&id)
	}
	return id, err
}

// Peering is what another hub registers this one with.
type Peering struct {
	Instance string `json:"xroadInstance"`
	CAPEM    string `json:"caCertificates" doc:"PEM: the hub's CA certificates, which its client and server certificates chain to"`
}

// Peering is this hub's instance and CA certificates.
func (s *Store) Peering(ctx context.Context) (Peering, error) {
	if err := s.EnsureKeys(ctx); err != nil {
		return Peering{}, err
	}
	ca, err := s.authority.CACertificates(ctx)
	return Peering{Instance: s.opt.Instance, CAPEM: ca}, err
}
