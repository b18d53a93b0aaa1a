package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/server"
	"github.com/tinhso/tinhso/internal/store/storetest"
)

const metricsToken = "kiem-tra-so-lieu-giam-sat-2026"

func getMetrics(t *testing.T, url, bearer string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// freeAddr is a loopback address nothing listens on (for a listener the
// server opens itself).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// /metrics is off unless configured: with a token on the main listener,
// or without credentials on a listener of its own.
func TestMetricsOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, storetest.URLs(t)["sqlite"])
	const series = "tinhso_http_requests_total"

	t.Run("off by default", func(t *testing.T) {
		ts := httptest.NewServer(server.New(config.Default(), db).Handler())
		defer ts.Close()
		getMetrics(t, ts.URL+"/healthz", "")
		if status, body := getMetrics(t, ts.URL+"/metrics", ""); status != 404 || strings.Contains(body, series) {
			t.Errorf("anonymous: %d %.200s", status, body)
		}
		// A bearer that is no API token is refused as such (401).
		for _, bearer := range []string{metricsToken, "tsk_not-a-real-token"} {
			if status, body := getMetrics(t, ts.URL+"/metrics", bearer); status == 200 || strings.Contains(body, series) {
				t.Errorf("bearer %q: %d %.200s", bearer, status, body)
			}
		}
	})

	t.Run("with a token", func(t *testing.T) {
		cfg := config.Default()
		cfg.MetricsToken = metricsToken
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(server.New(cfg, db).Handler())
		defer ts.Close()
		getMetrics(t, ts.URL+"/healthz", "")
		for _, bearer := range []string{"", "sai", metricsToken + "x", strings.ToUpper(metricsToken)} {
			if status, body := getMetrics(t, ts.URL+"/metrics", bearer); status != 401 || strings.Contains(body, series) {
				t.Errorf("bearer %q: %d %.200s", bearer, status, body)
			}
		}
		if status, body := getMetrics(t, ts.URL+"/metrics", metricsToken); status != 200 || !strings.Contains(body, series) {
			t.Errorf("with the token: %d %.200s", status, body)
		}
		// The token opens nothing else.
		if status, _ := getMetrics(t, ts.URL+"/api/v1/me", metricsToken); status != 401 {
			t.Errorf("the metrics token on the API: %d", status)
		}
		short := config.Default()
		short.MetricsToken = "ngan"
		if err := short.Validate(); err == nil || !strings.Contains(err.Error(), "metrics-token") {
			t.Errorf("a short metrics token validated: %v", err)
		}
	})

	t.Run("on a separate address", func(t *testing.T) {
		cfg := config.Default()
		cfg.Addr, cfg.MetricsAddr = "127.0.0.1:0", freeAddr(t)
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		addrc, done := make(chan string, 1), make(chan error, 1)
		go func() { done <- server.New(cfg, db).Serve(ctx, func(a string) { addrc <- a }) }()
		var addr string
		select {
		case addr = <-addrc:
		case err := <-done:
			t.Fatalf("serve: %v", err)
		}
		getMetrics(t, "http://"+addr+"/healthz", "")
		if status, body := getMetrics(t, "http://"+cfg.MetricsAddr+"/metrics", ""); status != 200 || !strings.Contains(body, series) {
			t.Errorf("metrics address: %d %.200s", status, body)
		}
		if status, _ := getMetrics(t, "http://"+addr+"/metrics", ""); status != 404 {
			t.Errorf("main address still serves /metrics: %d", status)
		}
		// The metrics listener serves nothing else.
		for _, p := range []string{"/", "/api/v1/me", "/login"} {
			if status, _ := getMetrics(t, "http://"+cfg.MetricsAddr+p, ""); status != 404 {
				t.Errorf("metrics address serves %s: %d", p, status)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		if _, err := net.Dial("tcp", cfg.MetricsAddr); err == nil {
			t.Error("the metrics listener is still open after shutdown")
		}
	})
}
