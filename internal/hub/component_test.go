package hub_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/server"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestGatewayIsAComponent: with --hub-addr the server runs the gateway
// beside its web listener, and stops it with the rest.
func TestGatewayIsAComponent(t *testing.T) {
	t.Parallel()
	free := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.Passwords = password.Cheap()
	cfg.Hub.Addr = free()
	cfg.Hub.Instance = "LGSP-LC"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv := server.New(cfg, storetest.Open(t, testapp.DemoURLs(t)[store.SQLite]))
	names := map[string]bool{}
	for _, c := range srv.Site().Components() {
		names[c.Name] = true
	}
	if !names["hub-gateway"] {
		t.Fatalf("components %v lack the gateway", names)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, nil) }()
	var res *http.Response
	var err error
	for range 100 {
		if res, err = http.Get("http://" + cfg.Hub.Addr + "/listClients?xRoadInstance=LGSP-LC"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the gateway on %s: %v %v", cfg.Hub.Addr, res, err)
	}
	res.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
