package server

import (
	"context"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/report"
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
	return hub.Options{
		Instance: cfg.Hub.Instance,
		Owner:    cfg.Hub.Owner,
		KeyFiles: cfg.Hub.KeyFiles(),
		Retention: hub.RetentionOptions{
			ArchiveDir:  cfg.Hub.ArchiveDir,
			ArchiveDays: archiveDays,
			OpmonDays:   opmonDays,
			TSAURL:      cfg.Hub.TSAURL,
			TSACA:       cfg.Hub.TSACA,
		},
		Gateway: hub.GatewayOptions{
			Addr:     cfg.Hub.Addr,
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
