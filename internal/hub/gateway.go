package hub

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// The gateway is the hub's data path: X-Road's REST protocol on a listener
// of its own, served by fasthttp (the admin API and pages stay on net/http).
// For each /r1/ request it
//
//  1. parses INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE and the service path,
//     refusing malformed identifiers and dot segments;
//  2. identifies the consumer by its credential — a TLS client certificate
//     from the hub's CA (by fingerprint) or a bearer token of the platform's provider —
//     and requires X-Road-Client to name that credential's subsystem;
//  3. checks the service, its endpoints and the consumer's rights, and the
//     consumer's rate, all in the in-memory snapshot;
//  4. writes the request's record to the message log and waits for its
//     group's commit (fail closed: no record, no exchange);
//  5. streams the request to the backend with X-Road's headers, hashing the
//     body as it goes, and streams the answer back with x-road-id,
//     -client, -service, -request-id and -request-hash, hashing it too;
//     the response's record is queued once the last byte is relayed.

// GatewayOptions configure a gateway.
type GatewayOptions struct {
	Addr     string // listen address
	TLSCert  string // PEM files; with TLSKey the gateway serves HTTPS
	TLSKey   string
	ClientCA string // PEM file of further client CAs
	// TLS, when set, is used as is (tests); ClientCAs and client
	// authentication are the gateway's.
	TLS      *tls.Config
	Node     string // the message-log chain
	Rate     int    // default calls per second per consumer; 0: unlimited
	FailOpen bool   // serve on when the message log cannot be written
	Errors   string // "snake" for X-Road 7.8's spelling of X-Road-Error
	// MaxBody bounds a request body (0: 64 MiB).
	MaxBody int64
	// SealEvery is how often the log's head is sealed (0: 5 seconds).
	SealEvery time.Duration
	// PollEvery is how often the registry's version is read for changes
	// made on other nodes (0: 1 second).
	PollEvery time.Duration
	// HeaderTimeout bounds the wait for a request's line and headers (a
	// client that trickles them, slowloris, is cut off; 0: 10 seconds);
	// BodyTimeout the reading of its body (0: 60 seconds).
	HeaderTimeout, BodyTimeout time.Duration
	// BreakerFailures failures in a row open a backend's breaker for
	// BreakerCooldown (0: DefaultBreakerFailures, DefaultBreakerCooldown).
	BreakerFailures int
	BreakerCooldown time.Duration
	// Clock, when set, is the clock of the breakers, the rate limits and
	// the credentials' and tokens' lifetimes (tests move it); nil: time.Now.
	Clock func() time.Time
	// Ready, when set, receives the bound address once serving.
	Ready func(addr string)
	// PeerAddr is the listener for peer hubs (federation, X-Road's port
	// 5500 between security servers): always HTTPS, asking for client
	// certificates, with the gateway's certificate (TLS, TLSCert) or, when
	// it has none, a server certificate of the hub's own CA for PeerAddr's
	// host, which the peers trust already. Empty: peers call Addr (which
	// must then be HTTPS).
	PeerAddr string
}

// DefaultMaxBody bounds a request body.
const DefaultMaxBody = 64 << 20

// Gateway serves X-Road's REST protocol for one hub.
type Gateway struct {
	s        *Store
	o        GatewayOptions
	snake    bool
	log      *LogWriter
	verifier TokenVerifier
	tokens   http.Handler // the provider's token endpoint
	extraCAs []*x509.Certificate
	server   *fasthttp.Server

	mu         sync.Mutex
	backends   map[string]*fasthttp.HostClient
	peerKeys   map[string]string // instance → the settings its client in backends was made with
	limits     sync.Map          // subsystem id → *bucket
	breakers   sync.Map          // scheme://host → *breaker
	clientCert atomic.Pointer[hubCert]
	peerAddr   atomic.Pointer[string]
	addr       atomic.Pointer[string]
	lingering  atomic.Int64 // closed connections still draining (linger.go)
}

// Addr is the bound address of the consumers' listener ("" before Serve).
func (g *Gateway) Addr() string {
	if a := g.addr.Load(); a != nil {
		return *a
	}
	return ""
}

// PeerAddr is the bound address of the listener for peer hubs ("" when
// there is none or before Serve).
func (g *Gateway) PeerAddr() string {
	if a := g.peerAddr.Load(); a != nil {
		return *a
	}
	return ""
}

// NewGateway prepares a gateway; Run or Serve starts it.
func (s *Store) NewGateway(o GatewayOptions) (*Gateway, error) {
	if o.Node == "" {
		o.Node = "main"
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.PollEvery <= 0 {
		o.PollEvery = time.Second
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = 10 * time.Second
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = 60 * time.Second
	}
	if o.BreakerFailures <= 0 {
		o.BreakerFailures = DefaultBreakerFailures
	}
	if o.BreakerCooldown <= 0 {
		o.BreakerCooldown = DefaultBreakerCooldown
	}
	g := &Gateway{s: s, o: o, snake: o.Errors == "snake", verifier: s.verifier, tokens: s.tokenEndpoint, backends: map[string]*fasthttp.HostClient{}, peerKeys: map[string]string{}}
	if o.ClientCA != "" {
		b, err := os.ReadFile(o.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("hub client CA: %w", err)
		}
		for {
			var blk *pem.Block
			blk, b = pem.Decode(b)
			if blk == nil {
				break
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("hub client CA %s: %w", o.ClientCA, err)
			}
			g.extraCAs = append(g.extraCAs, c)
		}
	}
	g.server = &fasthttp.Server{
		Handler:                      g.handle,
		Name:                         "",
		NoDefaultServerHeader:        true,
		NoDefaultContentType:         true,
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		MaxRequestBodySize:           64 << 10,        // read ahead in memory; beyond, the body streams
		ReadBufferSize:               16 << 10,        // bounds the request line and headers
		ReadTimeout:                  o.HeaderTimeout, // until the headers are in; then BodyTimeout
		WriteTimeout:                 60 * time.Second,
		IdleTimeout:                  60 * time.Second,
		CloseOnShutdown:              true,
		MaxIdleWorkerDuration:        2 * time.Second, // a burst's workers do not linger
		Logger:                       fastLogger{},
		HeaderReceived: func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
			return fasthttp.RequestConfig{ReadTimeout: o.BodyTimeout}
		},
	}
	g.server.ErrorHandler = g.readError
	return g, nil
}

func (g *Gateway) now() time.Time {
	if g.o.Clock != nil {
		return g.o.Clock()
	}
	return time.Now()
}

// CloseIdleConnections closes the idle connections to backends.
func (g *Gateway) CloseIdleConnections() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, hc := range g.backends {
		hc.CloseIdleConnections()
	}
}

// Log is the gateway's message-log writer (nil before Serve).
func (g *Gateway) Log() *LogWriter { return g.log }

type fastLogger struct{}

func (fastLogger) Printf(format string, args ...any) {
	slog.Warn("hub gateway: " + fmt.Sprintf(format, args...))
}

// Run listens on the configured address and serves until ctx ends.
func (g *Gateway) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", g.o.Addr)
	if err != nil {
		return fmt.Errorf("listen on hub-addr %s: %w", g.o.Addr, err)
	}
	return g.Serve(ctx, ln)
}

// tlsConfig is the gateway's TLS configuration: client certificates are
// asked for and, when given, must chain to the hub's CA (or a further
// one); the pool is the snapshot's, read at each handshake, so a rotated CA
// is trusted at once.
func (g *Gateway) tlsConfig() (*tls.Config, error) {
	var base *tls.Config
	switch {
	case g.o.TLS != nil:
		base = g.o.TLS.Clone()
	case g.o.TLSCert != "":
		cert, err := tls.LoadX509KeyPair(g.o.TLSCert, g.o.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("hub TLS certificate: %w", err)
		}
		base = &tls.Config{Certificates: []tls.Certificate{cert}}
	default:
		return nil, nil
	}
	return g.askClientCerts(base), nil
}

// askClientCerts makes base ask for client certificates of the hub's CAs,
// the further ones and the peers'. A certificate must chain to one of
// them, or the handshake fails; its validity period is checked by the
// gateway instead, which answers an expired certificate with X-Road's
// error, as X-Road's client proxy does, rather than a TLS alert the
// consumer's operator cannot read.
func (g *Gateway) askClientCerts(base *tls.Config) *tls.Config {
	base.MinVersion = max(base.MinVersion, tls.VersionTLS12)
	base.ClientAuth = tls.RequestClientCert
	base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c := base.Clone()
		c.GetConfigForClient = nil
		pool := g.s.snapshot().clientPool.Clone()
		for _, ca := range g.extraCAs {
			pool.AddCert(ca)
		}
		c.ClientCAs = pool
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			return verifyClientChain(cs.PeerCertificates, pool, g.now())
		}
		return c, nil
	}
	return base
}

// verifyClientChain checks that a client's certificate chains to one of
// pool's CAs for client authentication, at now or, when now is outside
// the certificate's validity, at its nearest end: the gateway refuses
// such a certificate itself (authenticate).
func verifyClientChain(chain []*x509.Certificate, pool *x509.CertPool, now time.Time) error {
	if len(chain) == 0 {
		return nil
	}
	leaf := chain[0]
	at := now
	if at.Before(leaf.NotBefore) {
		at = leaf.NotBefore
	} else if at.After(leaf.NotAfter) {
		at = leaf.NotAfter
	}
	return verifyClientCert(chain, pool, at)
}

// verifyClientCert checks that chain's leaf chains to one of pool's CAs,
// through the chain's other certificates, for client authentication at at.
func verifyClientCert(chain []*x509.Certificate, pool *x509.CertPool, at time.Time) error {
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return err
}

// Serve serves on ln until ctx ends: it makes the hub's keys when there
// are none, starts the message-log writer and the registry poll, then
// drains the connections and the log when ctx ends.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	defer ln.Close()
	if err := g.s.EnsureKeys(ctx); err != nil {
		return err
	}
	if err := g.s.Refresh(ctx); err != nil {
		return err
	}
	if err := g.renewClientCert(ctx); err != nil {
		return err
	}
	tc, err := g.tlsConfig()
	if err != nil {
		return err
	}
	peerLn, err := g.peerListener(ctx, tc)
	if err != nil {
		return err
	}
	if peerLn != nil {
		defer peerLn.Close()
	}
	w, err := g.s.NewLogWriter(ctx, LogOptions{Chain: g.o.Node, SealEvery: g.o.SealEvery})
	if err != nil {
		return err
	}
	g.log = w
	logCtx, stopLog := context.WithCancel(context.WithoutCancel(ctx))
	logDone := make(chan error, 1)
	go func() { logDone <- w.Run(logCtx) }()
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		t := time.NewTicker(g.o.PollEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := g.s.refreshIfMoved(ctx); err != nil && ctx.Err() == nil {
					slog.Warn("hub gateway: registry refresh", "err", err)
				}
				if err := g.renewClientCert(ctx); err != nil && ctx.Err() == nil {
					slog.Warn("hub gateway: renewing the hub's client certificate", "err", err)
				}
			}
		}
	}()
	ln = lingerListener{ln, &g.lingering}
	scheme := "http"
	if tc != nil {
		ln = tls.NewListener(ln, tc)
		scheme = "https"
	}
	serveDone := make(chan error, 2)
	go func() { serveDone <- g.server.Serve(ln) }()
	serving := 1
	if peerLn != nil {
		serving++
		go func() { serveDone <- g.server.Serve(peerLn) }()
		a := peerLn.Addr().String()
		g.peerAddr.Store(&a)
		slog.Info("hub gateway listening for peer hubs", "url", "https://"+a)
	}
	bound := ln.Addr().String()
	g.addr.Store(&bound)
	slog.Info("hub gateway listening", "url", scheme+"://"+bound, "instance", g.s.opt.Instance, "chain", g.o.Node)
	if g.o.Ready != nil {
		g.o.Ready(ln.Addr().String())
	}
	var serveErr error
	select {
	case serveErr = <-serveDone:
		serving--
		if serving > 0 {
			g.server.Shutdown()
		}
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := g.server.ShutdownWithContext(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			serveErr = err
		}
		cancel()
	}
	for ; serving > 0; serving-- {
		<-serveDone
	}
	<-pollDone
	waitLingering(&g.lingering)
	stopLog()
	if err := <-logDone; err != nil && serveErr == nil {
		serveErr = err
	}
	g.CloseIdleConnections()
	return serveErr
}

// handle routes a request on the gateway's listener.
func (g *Gateway) handle(ctx *fasthttp.RequestCtx) {
	uri := ctx.Request.Header.RequestURI()
	path, _, _ := strings.Cut(string(uri), "?")
	switch {
	case strings.HasPrefix(path, "/r"):
		g.exchange(ctx, string(uri))
	case path == "/listClients":
		g.listClients(ctx)
	case path == "/oauth2/token":
		g.token(ctx)
	case path == "/healthz":
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBodyString("ok\n")
	default:
		g.writeFault(ctx, FaultBadRequest, "Invalid request URI: use /r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}[/path] or /listClients", "")
	}
}

// exchange is one /r1/ call on its way through.
type exchange struct {
	start      time.Time
	xRequestID string
	queryID    string
	generated  bool // the hub generated X-Road-Id
	client     ClientID
	clientStr  string
	consumer   *snapSubsystem
	credential string
	bearer     bool // authenticated by an access token in Authorization
	sid        ServiceID
	sidStr     string // sid.String(), made once
	svc        *snapService
	method     string
	rawPath    string // the whole raw /r1/ path
	rawQuery   string
	svcPathRaw string // after the service code, as sent
	path       string // the same, decoded ("/" when empty)
	userID     string
	issue      string
	keepDays   int       // the bodies are kept this many days (0: not)
	peerIn     *snapPeer // the peer hub that called (federation), nil for a local consumer
	peerFault  string    // the peer's X-Road-Error on its answer (federation)
	outAt      time.Time // the request went to the backend (op monitoring's requestOutTs)
	inAt       time.Time // the backend's answer arrived (responseInTs)
}

// record is the exchange's log record. Its text is valid UTF-8 (exchange
// makes it so before anything is recorded): proofs and archives are JSON,
// which would change other bytes and break the hash, and PostgreSQL's text
// refuses them, which would fail the whole group's commit.
func (ex *exchange) record(kind string) Record {
	return Record{Kind: kind, AtUS: time.Now().UnixMicro(), XRequestID: ex.xRequestID, QueryID: ex.queryID, Client: ex.clientStr,
		Service: ex.sidStr, Credential: ex.credential, Method: ex.method, Path: ex.path, Query: ex.rawQuery, UserID: ex.userID, Issue: ex.issue}
}

func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// refuse answers a fault and logs it.
func (g *Gateway) refuse(ctx *fasthttp.RequestCtx, ex *exchange, fault, message string) {
	g.writeFault(ctx, fault, message, ex.xRequestID)
	if g.log != nil {
		rec := ex.record(RecordRefused)
		rec.Status, rec.Fault = FaultStatus(fault), fault
		rec.DurationUS = time.Since(ex.start).Microseconds()
		rec.Op = g.opRecord(ex, rec.Status, 0, int64(len(ctx.Response.Body())), fault, message)
		if !g.log.TryAppend(rec) {
			slog.Warn("hub message log: queue full, a refusal is not logged", "x-road-request-id", ex.xRequestID)
		}
	}
}

// lastHeader is the last value of a header that may repeat (PR-REST §4.3).
func lastHeader(h *fasthttp.RequestHeader, name string) (string, bool) {
	var last []byte
	found := false
	for k, v := range h.All() {
		if strings.EqualFold(string(k), name) {
			last, found = v, true
		}
	}
	return string(last), found
}

// parseTarget splits /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path]
// as X-Road's RestRequest does.
func parseTarget(raw string) (sid ServiceID, svcPath string, msg string) {
	parts := strings.SplitN(raw, "/", 8)
	if len(parts) < 7 {
		return sid, "", "Invalid request URI"
	}
	if v := parts[1]; len(v) != 2 || v[0] != 'r' || v[1] < '0' || v[1] > '9' {
		return sid, "", "Invalid protocol version " + v
	} else if v != "r1" {
		return sid, "", "Unsupported protocol version " + v[1:]
	}
	var out [5]string
	for i := range 5 {
		d, err := decodePart(parts[2+i])
		if err != nil {
			return sid, "", "Invalid service identifier: " + err.Error()
		}
		out[i] = d
	}
	sid = ServiceID{ClientID{out[0], out[1], out[2], out[3]}, out[4]}
	if len(parts) == 8 {
		svcPath = "/" + parts[7]
	}
	return sid, svcPath, ""
}

// cleanPath decodes a service path and refuses dot segments, backslashes
// and control characters, which a backend could read as a way out of the
// service (X-Road's checkAccessRights rejects ".." likewise).
func cleanPath(raw string) (string, bool) {
	if raw == "" {
		return "/", true
	}
	d, err := url.PathUnescape(raw)
	if err != nil || !utf8.ValidString(d) {
		return "", false
	}
	for _, r := range d {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "", false
		}
	}
	for _, seg := range strings.Split(d, "/") {
		if seg == "." || seg == ".." {
			return "", false
		}
	}
	return d, true
}

func (g *Gateway) exchange(ctx *fasthttp.RequestCtx, uri string) {
	ex := &exchange{start: time.Now(), xRequestID: newUUID(), method: validText(string(ctx.Method()))}
	ex.rawPath, ex.rawQuery, _ = strings.Cut(uri, "?")
	// Text that is not UTF-8 is refused (below), and recorded made valid.
	badText := !utf8.ValidString(ex.rawQuery)
	ex.rawQuery = validText(ex.rawQuery)
	sid, svcPath, msg := parseTarget(ex.rawPath)
	if msg != "" {
		g.writeFault(ctx, FaultBadRequest, msg, ex.xRequestID)
		return
	}
	ex.sid, ex.sidStr, ex.svcPathRaw = sid, sid.String(), svcPath
	p, ok := cleanPath(svcPath)
	if !ok {
		g.refuse(ctx, ex, FaultBadRequest, "Invalid service path")
		return
	}
	ex.path = p
	if !slices.Contains(Methods, ex.method) {
		g.refuse(ctx, ex, FaultBadRequest, "Unsupported method "+ex.method)
		return
	}
	h := &ctx.Request.Header
	ex.queryID, _ = lastHeader(h, hdrID)
	if ex.queryID == "" {
		ex.queryID, ex.generated = g.s.opt.Instance+"-"+newUUID(), true
	}
	ex.userID, _ = lastHeader(h, hdrUserID)
	ex.issue, _ = lastHeader(h, hdrIssue)
	badText = badText || !utf8.ValidString(ex.queryID) || !utf8.ValidString(ex.userID) || !utf8.ValidString(ex.issue)
	ex.queryID, ex.userID, ex.issue = validText(ex.queryID), validText(ex.userID), validText(ex.issue)
	if badText {
		g.refuse(ctx, ex, FaultBadRequest, "The query string and the X-Road-Id, X-Road-UserId and X-Road-Issue headers must be valid UTF-8")
		return
	}
	clientHdr, found := lastHeader(h, hdrClient)
	if !found || clientHdr == "" {
		g.refuse(ctx, ex, FaultInvalidClient, "The client identifier is missing")
		return
	}
	ex.clientStr = validText(clientHdr)
	cid, err := ParseClientID(clientHdr)
	if err != nil {
		g.refuse(ctx, ex, FaultInvalidClient, "Invalid client identifier: "+err.Error())
		return
	}
	ex.client, ex.clientStr = cid, cid.String()

	snap := g.s.snapshot()
	now := g.now()
	consumer := snap.byClient[cid]
	local := g.s.opt.Instance
	stranger := false // a client certificate neither a credential nor a peer hub's
	if cs := ctx.TLSConnectionState(); cs != nil && len(cs.PeerCertificates) > 0 && snap.byCert[fingerprint(cs.PeerCertificates[0].Raw)] == nil {
		ex.peerIn = snap.callingPeer(cs.PeerCertificates)
		stranger = ex.peerIn == nil
	}
	switch p := ex.peerIn; {
	case p != nil:
		// A peer's hub calls for one of its consumers (federation).
		ex.credential = "peer:" + p.instance
		switch {
		case !p.enabled:
			g.refuse(ctx, ex, FaultPeerCaller, fmt.Sprintf("The hub of instance %s is not an enabled peer of %s", p.instance, local))
			return
		case cid.Instance != p.instance:
			g.refuse(ctx, ex, FaultPeerCaller, fmt.Sprintf("Client '%s' is not of instance %s, whose hub called", ex.clientStr, p.instance))
			return
		case sid.Instance != local:
			g.refuse(ctx, ex, FaultAccessDenied, fmt.Sprintf("Request is not allowed: %s is not a service of instance %s", sid.String(), local))
			return
		}
		ex.consumer = consumer // nil when no right was ever granted to it
	case stranger && cid.Instance != local:
		g.refuse(ctx, ex, FaultPeerCaller, fmt.Sprintf("Client '%s' is of instance %s, but the TLS client certificate is not of a trusted peer hub of that instance", ex.clientStr, cid.Instance))
		return
	case consumer == nil || cid.Instance != local:
		g.refuse(ctx, ex, FaultUnknownMember, fmt.Sprintf("Client '%s' not found", ex.clientStr))
		return
	default:
		ex.consumer = consumer
		if msg := g.authenticate(ctx, snap, ex, now); msg != "" {
			g.refuse(ctx, ex, FaultAuthentication, msg)
			return
		}
	}
	if consumer != nil && !g.allow(consumer, now) {
		g.refuse(ctx, ex, FaultRateLimited, fmt.Sprintf("Client '%s' called faster than its rate", ex.clientStr))
		return
	}
	if slices.Contains(MetaServices, sid.Code) && ex.method == "GET" && sid.Instance == local && consumer != nil {
		g.meta(ctx, snap, ex)
		return
	}
	if sid.Instance != local {
		g.federate(ctx, snap, ex)
		return
	}
	svc := snap.services[sid]
	if svc == nil {
		g.refuse(ctx, ex, FaultUnknownService, fmt.Sprintf("Unknown service: %s", sid.String()))
		return
	}
	ex.svc = svc
	if consumer != nil {
		ex.keepDays = consumer.keepDays
	}
	if svc.provider != nil {
		ex.keepDays = max(ex.keepDays, svc.provider.keepDays)
	}
	if !svc.enabled {
		g.refuse(ctx, ex, FaultDisabled, fmt.Sprintf("Service %s is disabled", sid.String()))
		return
	}
	for _, e := range svc.endpoints {
		if !e.enabled && e.matches(ex.method, ex.path) {
			g.refuse(ctx, ex, FaultDisabled, fmt.Sprintf("Endpoint %s %s of %s is disabled", e.method, e.path, sid.String()))
			return
		}
	}
	if consumer == nil || !allowed(svc, consumer.id, ex.method, ex.path) {
		g.refuse(ctx, ex, FaultAccessDenied, fmt.Sprintf("Request is not allowed: %s", sid.String()))
		return
	}
	if cl := h.ContentLength(); int64(cl) > g.o.MaxBody {
		g.refuse(ctx, ex, FaultBadRequest, fmt.Sprintf("Request body larger than %d bytes", g.o.MaxBody))
		return
	}
	if !g.logRequest(ctx, ex) {
		return
	}
	g.forward(ctx, ex, target{base: svc.backend, client: g.backend(svc.backend, svc.timeout)})
}

// logRequest makes the request's record durable before the backend (or
// the peer) sees anything; false when it could not and the exchange is
// refused.
func (g *Gateway) logRequest(ctx *fasthttp.RequestCtx, ex *exchange) bool {
	if waited, over := g.s.stampsOverdue(g.now()); over {
		g.refuse(ctx, ex, FaultTimestamping, fmt.Sprintf("Cannot time-stamp messages: the message log's seals have waited %s for a time-stamp (more than %s); the hub accepts no exchange until the time-stamping authority answers", waited.Round(time.Second), g.s.opt.Retention.TimestampFailure))
		return false
	}
	if err := g.log.Append(ctx, ex.record(RecordRequest), true); err != nil && !g.o.FailOpen {
		g.refuse(ctx, ex, FaultLoggingFailed, "The message log cannot be written; the hub accepts no exchange it cannot record")
		return false
	}
	return true
}

// authenticate finds the request's credential and checks that it is
// active and X-Road-Client's; a message says why not.
func (g *Gateway) authenticate(ctx *fasthttp.RequestCtx, snap *snapshot, ex *exchange, now time.Time) string {
	if cs := ctx.TLSConnectionState(); cs != nil && len(cs.PeerCertificates) > 0 {
		// The handshake checked the chain but not the period (askClientCerts);
		// X-Road's words.
		switch leaf := cs.PeerCertificates[0]; {
		case now.After(leaf.NotAfter):
			return fmt.Sprintf("Client (%s) TLS certificate is expired", ex.clientStr)
		case now.Before(leaf.NotBefore):
			return fmt.Sprintf("Client (%s) TLS certificate is not yet valid", ex.clientStr)
		}
		sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
		c := snap.byCert[hex.EncodeToString(sum[:])]
		if c == nil || !c.activeAt(now) {
			return "The TLS client certificate is not a registered credential, or it has been revoked"
		}
		if c.subsystem != ex.consumer.id {
			return fmt.Sprintf("Client (%s) TLS certificate does not match any IS certificates", ex.clientStr)
		}
		ex.credential = "certificate:" + strconv.FormatInt(c.id, 10)
		return ""
	}
	auth := string(ctx.Request.Header.Peek("Authorization"))
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || g.verifier == nil {
		return fmt.Sprintf("Client (%s) presented no credential: a TLS client certificate or an access token is required", ex.clientStr)
	}
	claims, err := g.verifier.VerifyToken(strings.TrimSpace(tok), now)
	if err != nil {
		return "The access token is invalid, expired or revoked"
	}
	// The token names its client; the credential must be active and
	// X-Road-Client's (from the snapshot: a revocation holds at once).
	c := snap.byClientID[claims.ClientID]
	if c == nil || !c.activeAt(now) {
		return "The access token's client is not a registered credential, or it has been revoked"
	}
	if c.subsystem != ex.consumer.id {
		return fmt.Sprintf("Client (%s) access token was issued to another client", ex.clientStr)
	}
	ex.credential, ex.bearer = "secret:"+strconv.FormatInt(c.id, 10), true
	return ""
}

// allowed decides access from the snapshot's rights: a right on the whole
// service, or on an enabled endpoint the call matches.
func allowed(svc *snapService, consumer int64, method, path string) bool {
	for _, ep := range svc.rights[consumer] {
		if ep == 0 {
			return true
		}
		for _, e := range svc.endpoints {
			if e.id == ep && e.enabled && e.matches(method, path) {
				return true
			}
		}
	}
	return false
}

// bucket is a consumer's token bucket.
type bucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// allow takes one call from the consumer's bucket (rate per second, burst
// twice the rate unless set).
func (g *Gateway) allow(x *snapSubsystem, now time.Time) bool {
	rate, burst := x.rate, x.burst
	if rate == 0 {
		rate = g.o.Rate
	}
	if rate == 0 {
		return true
	}
	if burst == 0 {
		burst = 2 * rate
	}
	v, ok := g.limits.Load(x.id)
	if !ok {
		v, _ = g.limits.LoadOrStore(x.id, &bucket{tokens: float64(burst), last: now})
	}
	b := v.(*bucket)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(float64(burst), b.tokens+now.Sub(b.last).Seconds()*float64(rate))
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// backend is the client of a backend host with a timeout.
func (g *Gateway) backend(u *url.URL, timeout time.Duration) *fasthttp.HostClient {
	key := u.Scheme + "://" + u.Host + "|" + timeout.String()
	g.mu.Lock()
	defer g.mu.Unlock()
	if hc, ok := g.backends[key]; ok {
		return hc
	}
	hc := g.hostClient(u, timeout, &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: g.backendRoots(), GetClientCertificate: g.getClientCert})
	g.backends[key] = hc
	return hc
}

// hostClient is a client of u's host with a timeout, presenting the hub's
// own certificate when asked, trusting tc's roots.
func (g *Gateway) hostClient(u *url.URL, timeout time.Duration, tc *tls.Config) *fasthttp.HostClient {
	addr := u.Host
	if u.Port() == "" {
		if u.Scheme == "https" {
			addr += ":443"
		} else {
			addr += ":80"
		}
	}
	dialer := &net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	return &fasthttp.HostClient{
		Addr:                          addr,
		IsTLS:                         u.Scheme == "https",
		TLSConfig:                     tc,
		Dial:                          func(a string) (net.Conn, error) { return dialer.Dial("tcp", a) },
		ReadTimeout:                   timeout,
		WriteTimeout:                  timeout,
		MaxConns:                      4096,
		MaxIdleConnDuration:           30 * time.Second,
		MaxConnWaitTimeout:            timeout,
		DisablePathNormalizing:        true,
		DisableHeaderNamesNormalizing: false,
		NoDefaultUserAgentHeader:      true,
		StreamResponseBody:            true,
		MaxIdemponentCallAttempts:     2,
		RetryIfErr: func(req *fasthttp.Request, attempts int, err error) (bool, bool) {
			// Retry once, only an idempotent call without a streamed body,
			// and only when the connection failed before an answer.
			m := string(req.Header.Method())
			idem := m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" || m == "PUT" || m == "DELETE"
			return false, idem && !req.IsBodyStream() && attempts < 2 && !errors.Is(err, fasthttp.ErrTimeout)
		},
	}
}

// backendRoots trusts the system's roots and the hub's CA, which may have
// issued a backend's certificate.
func (g *Gateway) backendRoots() *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	keys, err := g.s.Keys(context.Background())
	if err == nil {
		for _, k := range keys {
			if k.Purpose == PurposeCA && k.cert != nil {
				pool.AddCert(k.cert)
			}
		}
	}
	return pool
}

// hashingReader hashes and counts what it reads, and stops a body that
// grows past the limit.
type hashingReader struct {
	r      io.Reader
	sha256 hash.Hash
	sha512 hash.Hash
	n      int64
	limit  int64
	err    error
	kept   *keptBody // nil: the body is not kept
}

var errBodyTooLarge = errors.New("request body too large")

func (h *hashingReader) Read(p []byte) (int, error) {
	if h.err != nil {
		// Once failed, always failed: fasthttp's chunked writer goes on
		// reading after an error that came with bytes.
		return 0, h.err
	}
	n, err := h.r.Read(p)
	if n > 0 {
		h.sha256.Write(p[:n])
		h.sha512.Write(p[:n])
		h.n += int64(n)
		h.kept.add(p[:n])
		if h.n > h.limit {
			h.err = errBodyTooLarge
			return n, errBodyTooLarge
		}
	}
	if err != nil && err != io.EOF {
		h.err = err
	}
	return n, err
}

// appendLower appends s in ASCII lower case (header names are ASCII).
func appendLower(b, s []byte) []byte {
	for _, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// appendHeaderLine writes a header line of the serialized request the
// request hash covers: VERB CRLF path[?query] CRLF (Name:Value CRLF)*.
func appendHeaderLine[T string | []byte](b []byte, k, v T) []byte {
	b = append(b, k...)
	b = append(b, ':')
	b = append(b, v...)
	return append(b, '\r', '\n')
}

// target is where an exchange goes: a backend, or a peer's gateway
// (federation), which receives the whole /r1/ path.
type target struct {
	base   *url.URL
	client *fasthttp.HostClient
	peer   *snapPeer
}

func (g *Gateway) forward(ctx *fasthttp.RequestCtx, ex *exchange, to target) {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	rest := ex.svcPathRaw
	if to.peer != nil {
		rest = ex.rawPath
	}
	dest := to.base.Scheme + "://" + to.base.Host + strings.TrimSuffix(to.base.EscapedPath(), "/") + rest
	if rest == "" && to.base.EscapedPath() == "" {
		dest += "/"
	}
	if ex.rawQuery != "" {
		dest += "?" + ex.rawQuery
	}
	req.SetRequestURI(dest)
	req.Header.SetMethod(ex.method)

	// The serialized request (X-Road's RestRequest): verb, the /r1/ path and
	// query, the headers passed on, then x-road-request-id and, when the hub
	// made it, x-road-id.
	ser := make([]byte, 0, 512)
	ser = append(ser, ex.method...)
	ser = append(ser, '\r', '\n')
	ser = append(ser, ex.rawPath...)
	if ex.rawQuery != "" {
		ser = append(ser, '?')
		ser = append(ser, ex.rawQuery...)
	}
	ser = append(ser, '\r', '\n')
	in := &ctx.Request.Header
	hop := connectionTokens(in)
	var lower [64]byte // header names lowered without an allocation each
	for k, v := range in.All() {
		lk := appendLower(lower[:0], k)
		if skipRequest(lk, ex.bearer) || hop[string(lk)] {
			continue
		}
		req.Header.AddBytesKV(k, v)
		ser = appendHeaderLine(ser, k, v)
	}
	req.Header.Set(hdrRequestID, ex.xRequestID)
	ser = appendHeaderLine(ser, "x-road-request-id", ex.xRequestID)
	if ex.generated {
		req.Header.Set(hdrID, ex.queryID)
		ser = appendHeaderLine(ser, "x-road-id", ex.queryID)
	}
	var body *hashingReader
	if cl := in.ContentLength(); cl != 0 && ctx.RequestBodyStream() != nil && ex.method != "GET" && ex.method != "HEAD" {
		body = &hashingReader{r: ctx.RequestBodyStream(), sha256: sha256.New(), sha512: sha512.New(), limit: g.o.MaxBody}
		if ex.keepDays > 0 {
			body.kept = &keptBody{}
		}
		if cl < 0 {
			cl = -1
		}
		req.SetBodyStream(body, cl)
	}

	br := g.breakerOf(to.base)
	if ok, wait := br.allow(g.now()); !ok {
		ctx.Response.Header.Set("Retry-After", strconv.Itoa(max(1, int(wait.Round(time.Second)/time.Second))))
		g.refuse(ctx, ex, FaultCircuitOpen, fmt.Sprintf("The service %s failed %d times in a row; the hub calls it again in %s", ex.sidStr, g.o.BreakerFailures, wait.Round(time.Second)))
		return
	}
	resp := fasthttp.AcquireResponse()
	ex.outAt = time.Now()
	err := to.client.Do(req, resp)
	if err != nil {
		fasthttp.ReleaseResponse(resp)
		fault, msg := FaultIO, "The service did not answer in time"
		var oe *net.OpError
		switch {
		case to.peer != nil && (body == nil || body.err == nil):
			fault, msg = peerFault(to.peer, err)
		case body != nil && errors.Is(body.err, errBodyTooLarge):
			fault, msg = FaultBadRequest, fmt.Sprintf("Request body larger than %d bytes", g.o.MaxBody)
		case body != nil && body.err != nil:
			fault, msg = FaultBadRequest, "The request body could not be read: "+body.err.Error()
		case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout), os.IsTimeout(err):
		case errors.As(err, &oe) && oe.Op == "dial", errors.Is(err, fasthttp.ErrNoFreeConns):
			fault, msg = FaultNetwork, "Connect to the service failed: "+err.Error()
		default:
			msg = "The service broke the connection: " + err.Error()
		}
		if fault == FaultBadRequest {
			br.release()
		} else {
			br.done(false, g.now(), g.o.BreakerFailures, g.o.BreakerCooldown)
		}
		g.refuse(ctx, ex, fault, msg)
		return
	}
	br.done(true, g.now(), g.o.BreakerFailures, g.o.BreakerCooldown)
	ex.inAt = time.Now()

	// The request hash: SHA-512 of the serialized request, combined with
	// the body's SHA-512 when there was a body (ServerRestMessageProcessor).
	reqSum := sha512.Sum512(ser)
	var requestHash string
	rec := ex.record(RecordResponse)
	if body != nil && body.n > 0 {
		h := sha512.New()
		h.Write(reqSum[:])
		h.Write(body.sha512.Sum(nil))
		requestHash = base64.StdEncoding.EncodeToString(h.Sum(nil))
		rec.RequestSize, rec.RequestSHA256 = body.n, hex.EncodeToString(body.sha256.Sum(nil))
	} else {
		requestHash = base64.StdEncoding.EncodeToString(reqSum[:])
		rec.RequestSHA256 = emptySHA256
	}
	rec.RequestHash = requestHash
	rec.Status = resp.StatusCode()

	ctx.SetStatusCode(resp.StatusCode())
	out := &ctx.Response.Header
	hop = responseConnectionTokens(&resp.Header)
	for k, v := range resp.Header.All() {
		lk := appendLower(lower[:0], k)
		if to.peer != nil && string(lk) == "x-road-error" {
			// The peer's own refusal reaches the consumer as it was made.
			ex.peerFault = string(v)
			out.SetBytesKV(k, v)
			continue
		}
		if skipResponse(lk) || hop[string(lk)] {
			continue
		}
		out.AddBytesKV(k, v)
	}
	out.Set(hdrID, ex.queryID)
	out.Set(hdrClient, ex.clientStr)
	out.Set(hdrService, ex.sidStr)
	out.Set(hdrRequestID, ex.xRequestID)
	out.Set(hdrRequestHash, requestHash)

	if body != nil && body.kept != nil {
		rec.Bodies = append(rec.Bodies, body.kept.done(BodyRequest, body.n, ex.keepDays))
	}
	r := &relay{g: g, ex: ex, resp: resp, rec: rec, sha: sha256.New()}
	if ex.keepDays > 0 {
		r.kept = &keptBody{}
	}
	stream := resp.BodyStream()
	if stream == nil || ex.method == "HEAD" {
		r.eof = true
		r.finish()
		return
	}
	r.body = stream
	size := resp.Header.ContentLength()
	if size < 0 {
		size = -1
	}
	r.size = int64(size)
	ctx.Response.SetBodyStream(r, size)
}

// emptySHA256 is the SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// relay streams the backend's body to the consumer, hashing it, and logs
// the response once the stream is closed.
type relay struct {
	g    *Gateway
	ex   *exchange
	resp *fasthttp.Response
	body io.Reader
	rec  Record
	sha  hash.Hash
	n    int64
	size int64 // the backend's Content-Length, -1 when chunked
	eof  bool
	once sync.Once
	kept *keptBody
}

func (r *relay) Read(p []byte) (int, error) {
	n, err := r.body.Read(p)
	if n > 0 {
		r.sha.Write(p[:n])
		r.n += int64(n)
		r.kept.add(p[:n])
	}
	if err == io.EOF {
		r.eof = true
	}
	return n, err
}

// Close is called by fasthttp when the body has been written (or the
// consumer went away).
func (r *relay) Close() error {
	r.once.Do(r.finish)
	return nil
}

func (r *relay) finish() {
	if r.body != nil {
		if !r.eof && r.size >= 0 && r.n == r.size {
			// fasthttp wrote exactly Content-Length bytes and stopped; one
			// more read meets the end, so the backend connection goes back
			// to the pool instead of being closed.
			var b [1]byte
			if n, err := r.body.Read(b[:]); n == 0 && err == io.EOF {
				r.eof = true
			}
		}
		r.resp.CloseBodyStream()
	}
	fasthttp.ReleaseResponse(r.resp)
	r.rec.ResponseSize = r.n
	r.rec.ResponseSHA256 = hex.EncodeToString(r.sha.Sum(nil))
	if !r.eof {
		r.rec.Fault = "incomplete"
	}
	r.rec.AtUS = time.Now().UnixMicro()
	r.rec.DurationUS = time.Since(r.ex.start).Microseconds()
	fault, msg := "", ""
	if !r.eof {
		fault, msg = "incomplete", "The answer's body was not relayed whole"
	} else if r.ex.peerFault != "" {
		fault, msg = r.ex.peerFault, "Answered by the hub of instance "+r.ex.sid.Instance
		r.rec.Fault = fault
	}
	r.rec.Op = r.g.opRecord(r.ex, r.rec.Status, r.rec.RequestSize, r.n, fault, msg)
	if r.kept != nil {
		r.rec.Bodies = append(r.rec.Bodies, r.kept.done(BodyResponse, r.n, r.ex.keepDays))
	}
	if r.g.log != nil && !r.g.log.TryAppend(r.rec) {
		// The queue is full: wait rather than lose the record.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := r.g.log.Append(ctx, r.rec, false); err != nil {
			slog.Error("hub message log: a response record is lost", "x-road-request-id", r.ex.xRequestID)
		}
		cancel()
	}
}

// connectionTokens are the header names a request's Connection header
// lists: hop-by-hop as well (RFC 9110 §7.6.1).
func connectionTokens(h *fasthttp.RequestHeader) map[string]bool {
	v := h.Peek("Connection")
	if len(v) == 0 {
		return nil
	}
	return tokens(string(v))
}

func responseConnectionTokens(h *fasthttp.ResponseHeader) map[string]bool {
	v := h.Peek("Connection")
	if len(v) == 0 {
		return nil
	}
	return tokens(string(v))
}

func tokens(v string) map[string]bool {
	out := map[string]bool{}
	for _, t := range strings.Split(v, ",") {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" && t != "close" && t != "keep-alive" {
			out[t] = true
		}
	}
	return out
}
