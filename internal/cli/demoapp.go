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
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/sso/demoapp"
	"github.com/tinhso/tinhso/internal/sso/nationalportal"
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
	// The national portal's test double, the upstream of citizens' logins
	// (unless the operator named a real upstream).
	portal       net.Listener
	portalURL    string
	portalSecret string
	portalSrv    *http.Server
	portalDone   chan struct{}
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
func listenDemoApps(addr string, cfg *config.Config) (*demoApps, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on app-addr %s: %w", addr, err)
	}
	d := &demoApps{app: ln, done: make(chan struct{}), portalDone: make(chan struct{})}
	if cfg.Upstream.Issuer != "" {
		return d, nil
	}
	// The portal's double takes the port after the application's.
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	next := "0"
	if n, _ := strconv.Atoi(port); n != 0 && !strings.HasSuffix(addr, ":0") {
		next = strconv.Itoa(n + 1)
	}
	if d.portal, err = net.Listen("tcp", net.JoinHostPort(host, next)); err != nil {
		ln.Close()
		return nil, fmt.Errorf("listen for the national portal's test double: %w", err)
	}
	d.portalURL = "http://" + browserHost(d.portal.Addr().String())
	d.portalSecret = password.Random(32)
	cfg.Upstream = config.Upstream{Issuer: d.portalURL, ClientID: "tinhso-demo", Secret: d.portalSecret,
		Name: "VNeID (bản giả lập, test double)", Claims: cfg.Upstream.Claims}
	return d, nil
}

// serve runs srv on ln until ctx ends; done closes when it has stopped.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener, done chan struct{}, name string) {
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error(name, "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
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
	serveUntil(ctx, d.srv, d.app, d.done, "demo application")
	if d.portal == nil {
		return nil
	}
	portal, err := nationalportal.New(nationalportal.Config{Issuer: d.portalURL, ClientID: "tinhso-demo", ClientSecret: d.portalSecret,
		RedirectURI: issuer + sso.PathCitizenCallback, Password: demo.Password})
	if err != nil {
		return err
	}
	d.portalSrv = &http.Server{Handler: portal.Handler(), ReadHeaderTimeout: 10 * time.Second}
	serveUntil(ctx, d.portalSrv, d.portal, d.portalDone, "national portal test double")
	return nil
}

// stop waits for the demo application to end (after ctx did).
func (d *demoApps) stop() {
	if d.srv == nil {
		d.app.Close()
	} else {
		d.srv.Close()
		<-d.done
	}
	if d.portalSrv != nil {
		d.portalSrv.Close()
		<-d.portalDone
	} else if d.portal != nil {
		d.portal.Close()
	}
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
	if d.portalSrv != nil {
		fmt.Fprintf(w, "Công dân (citizens): bản giả lập Cổng Dịch vụ công quốc gia — a TEST DOUBLE of the national portal's SSO (VNeID): %s\n", d.portalURL)
		for _, c := range nationalportal.Citizens {
			fmt.Fprintf(w, "  %s  %s, mức (level) %d\n", c.PIN, c.Name, c.Level)
		}
		fmt.Fprintf(w, "  mật khẩu (password): %s; trên ứng dụng demo chọn \"VNeID\" (choose VNeID on the demo application)\n", demo.Password)
	}
}
