package hub

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/valyala/fasthttp"
)

// The gateway's side of federation (see peers.go): a call of a local
// consumer for another instance goes to that instance's peer hub.

// federate sends an authenticated local consumer's call to the peer hub
// of the service's instance.
func (g *Gateway) federate(ctx *fasthttp.RequestCtx, snap *snapshot, ex *exchange) {
	p := snap.peers[ex.sid.Instance]
	switch {
	case p == nil:
		g.refuse(ctx, ex, FaultUnknownMember, fmt.Sprintf("Instance %s is neither this hub's (%s) nor a federated peer's", ex.sid.Instance, g.s.opt.Instance))
		return
	case !p.enabled:
		g.refuse(ctx, ex, FaultPeerDisabled, fmt.Sprintf("Federation with instance %s is disabled", p.instance))
		return
	}
	if cl := ctx.Request.Header.ContentLength(); int64(cl) > g.o.MaxBody {
		g.refuse(ctx, ex, FaultBadRequest, fmt.Sprintf("Request body larger than %d bytes", g.o.MaxBody))
		return
	}
	if ex.consumer != nil {
		ex.keepDays = ex.consumer.keepDays
	}
	if !g.logRequest(ctx, ex) {
		return
	}
	g.forward(ctx, ex, target{base: p.address, client: g.peerClient(p), peer: p})
}

// peerClient is the client of a peer's gateway: mutual TLS, the hub's own
// certificate presented, the peer's server certificate trusted only when
// it chains to the peer's registered CAs (and names the address's host).
//
// One client per peer: when the peer's address, CAs or timeout change, the
// old client's idle connections are closed and it is dropped.
func (g *Gateway) peerClient(p *snapPeer) *fasthttp.HostClient {
	key := "peer|" + p.instance
	g.mu.Lock()
	defer g.mu.Unlock()
	if hc, ok := g.backends[key]; ok && g.peerKeys[p.instance] == p.key {
		return hc
	} else if ok {
		hc.CloseIdleConnections()
	}
	// TLS 1.2, as X-Road's security servers speak to each other: a peer
	// that refuses this hub's certificate says so in the handshake (under
	// 1.3 the client's handshake ends before the server has checked it, and
	// the refusal reads as a closed connection).
	tc := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, RootCAs: p.pool, ServerName: p.address.Hostname(), GetClientCertificate: g.getClientCert}
	hc := g.hostClient(p.address, p.timeout, tc)
	g.backends[key] = hc
	g.peerKeys[p.instance] = p.key
	return hc
}

// peerFault names what went wrong on the way to a peer.
func peerFault(p *snapPeer, err error) (string, string) {
	var (
		unknown  x509.UnknownAuthorityError
		verify   *tls.CertificateVerificationError
		hostname x509.HostnameError
		oe       *net.OpError
	)
	switch {
	case errors.As(err, &unknown), errors.As(err, &verify), errors.As(err, &hostname):
		return FaultAuthentication, fmt.Sprintf("The server certificate of the hub of instance %s is not trusted: %v", p.instance, err)
	case errors.As(err, &oe) && oe.Op == "remote error": // a TLS alert: the peer refused the handshake
		return FaultAuthentication, fmt.Sprintf("The hub of instance %s refused this hub's certificate: %v", p.instance, err)
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout), os.IsTimeout(err):
		return FaultPeerIO, fmt.Sprintf("The hub of instance %s did not answer in time", p.instance)
	case errors.As(err, &oe) && oe.Op == "dial", errors.Is(err, fasthttp.ErrNoFreeConns):
		return FaultPeerNetwork, fmt.Sprintf("Connect to the hub of instance %s failed: %v", p.instance, err)
	}
	return FaultPeerIO, fmt.Sprintf("The hub of instance %s broke the connection: %v", p.instance, err)
}

// peerListener opens the listener for peer hubs, when configured: TLS
// with the gateway's certificate, or one the hub's CA issues for the
// listener's host.
func (g *Gateway) peerListener(ctx context.Context, tc *tls.Config) (net.Listener, error) {
	if g.o.PeerAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", g.o.PeerAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on hub-peer-addr %s: %w", g.o.PeerAddr, err)
	}
	if tc == nil {
		hosts := []string{}
		if h, _, _ := net.SplitHostPort(ln.Addr().String()); net.ParseIP(h) != nil && !net.ParseIP(h).IsUnspecified() {
			hosts = append(hosts, h)
		}
		if name, err := os.Hostname(); err == nil {
			hosts = append(hosts, name)
		}
		is, err := g.s.Authority().IssueServer(ctx, hosts, 0)
		if err != nil {
			ln.Close()
			return nil, err
		}
		cert, err := tls.X509KeyPair([]byte(is.CertPEM+is.CAPEM), []byte(is.KeyPEM))
		if err != nil {
			ln.Close()
			return nil, err
		}
		tc = g.askClientCerts(&tls.Config{Certificates: []tls.Certificate{cert}})
	}
	return tls.NewListener(lingerListener{ln, &g.lingering}, tc), nil
}
