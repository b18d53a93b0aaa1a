package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/server"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
	"github.com/tinhso/tinhso/internal/testapp"
	"github.com/tinhso/tinhso/internal/web"
)

// TestServeRunsComponents: Serve runs the web listener and every component
// the domains added, stops them all when its context ends, and stops them
// all too when one of them fails, returning that failure by name.
func TestServeRunsComponents(t *testing.T) {
	t.Parallel()
	newServer := func(t *testing.T) *server.Server {
		cfg := config.Default()
		cfg.Addr = "127.0.0.1:0"
		cfg.Passwords = password.Cheap()
		return server.New(cfg, storetest.Open(t, testapp.DemoURLs(t)[store.SQLite]))
	}

	t.Run("all stop when the context ends", func(t *testing.T) {
		srv := newServer(t)
		started, stopped := make(chan struct{}), make(chan struct{})
		srv.Site().AddComponent(web.Component{Name: "sealer", Run: func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			close(stopped)
			return nil
		}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		addr := make(chan string, 1)
		go func() { done <- srv.Serve(ctx, func(a string) { addr <- a }) }()
		a := <-addr
		<-started
		res, err := http.Get("http://" + a + "/healthz")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("healthz while running: %v %v", res, err)
		}
		res.Body.Close()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Serve after cancel: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Serve did not return after its context ended")
		}
		select {
		case <-stopped:
		default:
			t.Fatal("Serve returned before the component stopped")
		}
		if _, err := http.Get("http://" + a + "/healthz"); err == nil {
			t.Error("the web listener still answers after Serve returned")
		}
	})

	t.Run("a failing component stops the others", func(t *testing.T) {
		srv := newServer(t)
		boom := errors.New("message log unreachable")
		srv.Site().AddComponent(web.Component{Name: "sealer", Run: func(ctx context.Context) error { return boom }})
		done := make(chan error, 1)
		go func() { done <- srv.Serve(context.Background(), nil) }()
		select {
		case err := <-done:
			if !errors.Is(err, boom) || !strings.Contains(err.Error(), "sealer") {
				t.Fatalf("Serve = %v, want the sealer's failure by name", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a failed component did not stop the server")
		}
	})
}
