package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/sso/demoapp"
)

// demoApps are the applications `tinhso demo` starts beside tinhso to show
// single sign-on: the demo relying party (internal/sso/demoapp), on its own
// listener, registered as a client of tinhso's provider at every start.
type demoApps struct {
	app    net.Listener
	client sso.NewClient
	url    string
	srv    *http.Server
	done   chan struct{}
}

// appAddrFor is the demo application's address: the port after tinhso's,
// or any free port when tinhso takes any (…:0).
func appAddrFor(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: %w", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n == 0 {
		return net.JoinHostPort(host, "0"), nil
	}
	return net.JoinHostPort(host, strconv.Itoa(n+1)), nil
}

// listenDemoApps binds the demo application's address before tinhso
// serves, so that a taken port fails at once.
func listenDemoApps(addr string) (*demoApps, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on app-addr %s: %w", addr, err)
	}
	return &demoApps{app: ln, done: make(chan struct{})}, nil
}

func browserHost(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// start registers the demo application with the provider at issuer and
// serves it until ctx ends.
func (d *demoApps) start(ctx context.Context, provider *sso.Store, issuer string) error {
	d.url = "http://" + browserHost(d.app.Addr().String())
	app := demoapp.New(demoapp.Config{Issuer: issuer, ClientID: sso.DemoClientID, BaseURL: d.url})
	c, err := provider.RegisterDemoClient(ctx, "GL25", app.RedirectURI(), app.PostLogoutURI())
	if err != nil {
		return fmt.Errorf("register the demo application: %w", err)
	}
	d.client = c
	app = demoapp.New(demoapp.Config{Issuer: issuer, ClientID: c.ID, ClientSecret: c.Secret, BaseURL: d.url})
	d.srv = &http.Server{Handler: app.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(d.done)
		if err := d.srv.Serve(d.app); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("demo application", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d.srv.Shutdown(sctx)
	}()
	return nil
}

// stop waits for the demo application to end (after ctx did).
func (d *demoApps) stop() {
	if d.srv == nil {
		d.app.Close()
		return
	}
	d.srv.Close()
	<-d.done
}

// banner tells the person who started the demo about single sign-on.
func (d *demoApps) banner(w io.Writer, issuer string) {
	if d.srv == nil {
		return
	}
	fmt.Fprintf(w, "Đăng nhập một lần (single sign-on), OpenID Connect: %s%s\n", issuer, sso.PathDiscovery)
	fmt.Fprintf(w, "  Ứng dụng demo (demo application): %s/\n", d.url)
	fmt.Fprintf(w, "  client_id: %s\n", d.client.ID)
	fmt.Fprintf(w, "  redirect_uri: %s\n", d.client.RedirectURIs[0])
	fmt.Fprintf(w, "  Đăng nhập ở một nơi, vào được cả hai (sign in once, reach both).\n")
}
