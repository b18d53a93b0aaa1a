package server

import (
	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/hub"
)

// hubOptions are the hub's settings from a validated configuration.
func hubOptions(cfg config.Config) hub.Options {
	rate, _ := cfg.Hub.RateLimit()
	return hub.Options{
		Instance: cfg.Hub.Instance,
		Owner:    cfg.Hub.Owner,
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
