package server

import (
	"context"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/sso"
)

// hubIndicators makes the hub's KPI computed indicators of the reporting
// domain, so that plan targets and DTI components read them like any
// other: the share of a unit's information systems connected through the
// hub, and the number of connections, in a period.
func hubIndicators(r *report.Store, h *hub.Store) {
	measure := func(ctx context.Context, unit int64, p report.Period) (hub.KPI, error) {
		return h.Measure(ctx, unit, p.Start(), p.End())
	}
	r.AddComputed(hub.KPIShareConnected, func(ctx context.Context, unit int64, p report.Period) (float64, bool, error) {
		k, err := measure(ctx, unit, p)
		return k.Share, err == nil && k.Systems > 0, err
	})
	r.AddComputed(hub.KPIConnections, func(ctx context.Context, unit int64, p report.Period) (float64, bool, error) {
		k, err := measure(ctx, unit, p)
		return float64(k.Connections), err == nil && k.Systems > 0, err
	})
}

// hubOptions are the hub's settings from a validated configuration.
func hubOptions(cfg config.Config) hub.Options {
	rate, _ := cfg.Hub.RateLimit()
	archiveDays, opmonDays, _ := cfg.Hub.Days()
	tsFailure, _ := cfg.Hub.TimestampFailurePeriod() // validated with the configuration
	return hub.Options{
		Instance: cfg.Hub.Instance,
		Owner:    cfg.Hub.Owner,
		KeyFiles: cfg.Hub.KeyFiles(),
		Retention: hub.RetentionOptions{
			ArchiveDir:       cfg.Hub.ArchiveDir,
			ArchiveDays:      archiveDays,
			OpmonDays:        opmonDays,
			TSAURL:           cfg.Hub.TSAURL,
			TSACA:            cfg.Hub.TSACA,
			TimestampFailure: tsFailure,
		},
		Gateway: hub.GatewayOptions{
			Addr:     cfg.Hub.Addr,
			PeerAddr: cfg.Hub.PeerAddr,
			TLSCert:  cfg.Hub.TLSCert,
			TLSKey:   cfg.Hub.TLSKey,
			ClientCA: cfg.Hub.ClientCA,
			Node:     cfg.Hub.Node,
			Rate:     rate,
			FailOpen: cfg.Hub.FailsOpen(),
			Errors:   cfg.Hub.Errors,
		},
	}
}

// hubTokens makes the single sign-on provider the hub's token issuer (one
// issuer for the platform, issue 10): the hub's client secrets are the
// provider's machine clients, the gateway's POST /oauth2/token is the
// provider's token endpoint, and the gateway verifies bearer tokens through
// the provider's introspection, cached for sso.AccessCacheTTL.
func hubTokens(p *sso.Store, h *hub.Store) {
	p.Machines = hubClients{h}
	h.UseTokens(p.TokenEndpoint(), hubVerifier{p.NewAccessCache()})
}

// hubClients are the hub's client secrets as the provider's clients.
type hubClients struct{ h *hub.Store }

func (c hubClients) Owns(id string) bool { return strings.HasPrefix(id, hub.ClientIDPrefix) }

func (c hubClients) MachineClient(ctx context.Context, id string) (sso.MachineClient, error) {
	sc, err := c.h.SecretClient(ctx, id)
	if err != nil {
		return sso.MachineClient{}, err
	}
	return sso.MachineClient{ID: sc.ClientID, SecretSHA256: sc.SecretSHA256, Scopes: []string{hub.Scope}}, nil
}

// hubVerifier checks the gateway's bearer tokens: issued by the provider
// to a client, with the hub scope.
type hubVerifier struct{ c *sso.AccessCache }

// verifyTimeout bounds the database read behind a token not in the cache.
const verifyTimeout = 5 * time.Second

func (v hubVerifier) VerifyToken(raw string, now time.Time) (hub.TokenClaims, error) {
	ctx, cancel := context.WithTimeout(context.Background(), verifyTimeout)
	defer cancel()
	a, err := v.c.Verify(ctx, raw, now, hub.Scope)
	if err != nil || a.UserID != 0 {
		return hub.TokenClaims{}, hub.ErrInvalidToken
	}
	return hub.TokenClaims{ClientID: a.ClientID, Expires: a.ExpiresAt}, nil
}
