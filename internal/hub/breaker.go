package hub

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net/url"
	"sync"
	"time"
)

// A circuit breaker per backend (scheme://host): after Failures calls in a
// row that could not reach it or timed out, the breaker opens and, for
// Cooldown, the gateway answers the backend's calls itself with
// Server.ServerProxy.ServiceFailed.CircuitOpen (and Retry-After) without
// dialling; then one call is let through as a probe (half-open): if the
// backend answers (any status), the breaker closes, else it opens again
// for another Cooldown. A backend's own answers, 5xx included, are
// answers: only transport failures count.

// Default breaker settings.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 30 * time.Second
)

type breaker struct {
	mu        sync.Mutex
	failures  int
	openUntil time.Time // zero: closed
	probing   bool      // half-open, the probe is out
}

// allow says whether a call may go to the backend now; when not, how long
// until the next probe.
func (b *breaker) allow(now time.Time) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.openUntil.IsZero():
		return true, 0
	case now.Before(b.openUntil):
		return false, b.openUntil.Sub(now)
	case b.probing:
		return false, time.Second
	}
	b.probing = true
	return true, 0
}

// done records a call's outcome: reached (the backend answered) or not.
func (b *breaker) done(reached bool, now time.Time, threshold int, cooldown time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if reached {
		b.failures, b.openUntil, b.probing = 0, time.Time{}, false
		return
	}
	if b.probing {
		b.probing, b.openUntil = false, now.Add(cooldown)
		return
	}
	b.failures++
	if b.failures >= threshold {
		b.openUntil = now.Add(cooldown)
	}
}

// release gives back a probe that did not reach the backend for a reason
// of the consumer's (its body was refused): the next call probes.
func (b *breaker) release() {
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}

// BreakerState is a backend's breaker, for the pages and tests.
type BreakerState struct {
	Backend  string    `json:"backend"`
	Open     bool      `json:"open"`
	Failures int       `json:"failures"`
	Until    time.Time `json:"until,omitzero"`
}

func (g *Gateway) breakerOf(u *url.URL) *breaker {
	key := u.Scheme + "://" + u.Host
	if v, ok := g.breakers.Load(key); ok {
		return v.(*breaker)
	}
	v, _ := g.breakers.LoadOrStore(key, &breaker{})
	return v.(*breaker)
}

// Breakers are the backends' breakers that have seen a failure.
func (g *Gateway) Breakers() []BreakerState {
	var out []BreakerState
	now := g.now()
	g.breakers.Range(func(k, v any) bool {
		b := v.(*breaker)
		b.mu.Lock()
		st := BreakerState{Backend: k.(string), Failures: b.failures, Open: !b.openUntil.IsZero() && now.Before(b.openUntil), Until: b.openUntil}
		b.mu.Unlock()
		if st.Failures > 0 || !st.Until.IsZero() {
			out = append(out, st)
		}
		return true
	})
	return out
}

// The hub's own client certificate, which it presents to backends that ask
// for one (a backend that requires the hub's CA checks it): issued by the
// hub's CA for the instance, renewed by the gateway a day before it ends.

// hubCertDays is the life of the hub's client certificate.
const hubCertDays = 30

type hubCert struct {
	cert     *tls.Certificate
	notAfter time.Time
}

// IssueHubClient makes the hub's own TLS client certificate: subject
// "INSTANCE hub", URI urn:xroad:INSTANCE.
func (a *Authority) IssueHubClient(ctx context.Context, days int) (Issued, error) {
	uri, _ := url.Parse("urn:xroad:" + a.s.opt.Instance)
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: a.s.opt.Instance + " hub", Organization: []string{a.s.opt.Instance}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		URIs:        []*url.URL{uri},
	}
	is, err := a.issueGenerated(ctx, tmpl, days, hubCertDays)
	if err != nil {
		return is, fmt.Errorf("hub client certificate: %w", err)
	}
	return is, nil
}

// renewClientCert issues the hub's client certificate when there is none
// or it ends within a day.
func (g *Gateway) renewClientCert(ctx context.Context) error {
	if c := g.clientCert.Load(); c != nil && time.Until(c.notAfter) > 24*time.Hour {
		return nil
	}
	is, err := g.s.Authority().IssueHubClient(ctx, 0)
	if err != nil {
		return err
	}
	pair, err := tls.X509KeyPair([]byte(is.CertPEM+is.CAPEM), []byte(is.KeyPEM))
	if err != nil {
		return fmt.Errorf("hub client certificate: %w", err)
	}
	g.clientCert.Store(&hubCert{cert: &pair, notAfter: is.Cert.NotAfter})
	return nil
}

// ClientCertificate is the hub's current client certificate (nil before
// Serve), what backends see.
func (g *Gateway) ClientCertificate() *x509.Certificate {
	c := g.clientCert.Load()
	if c == nil || len(c.cert.Certificate) == 0 {
		return nil
	}
	cert, _ := x509.ParseCertificate(c.cert.Certificate[0])
	return cert
}

// getClientCert hands the hub's certificate to a backend that asks.
func (g *Gateway) getClientCert(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	if c := g.clientCert.Load(); c != nil {
		return c.cert, nil
	}
	return &tls.Certificate{}, nil
}
