// Package server assembles tinhso's HTTP server: the domains' pages and API
// routes, the middleware every request passes (recovery, logs, metrics,
// security headers, cross-origin protection, authentication), health checks
// and graceful shutdown.
package server

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/mail"
	"github.com/tinhso/tinhso/internal/notify"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/seal"
	"github.com/tinhso/tinhso/internal/sso"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/web"
)

// Version is set at build time (-ldflags "-X …server.Version=…").
var Version = "dev"

//go:embed templates/*.html
var templates embed.FS

var homePage = web.NewPage(templates, "templates/home.html")

// Server is one tinhso node. Everything a request needs is owned here
// (reached through the site in the request context), so several servers
// can run in one process on different databases.
type Server struct {
	cfg     config.Config
	db      *store.DB
	Org     *org.Store
	Auth    *auth.Service
	Plan    *plan.Store
	Report  *report.Store
	SSO     *sso.Store
	Hub     *hub.Store
	DTI     *dti.Store
	Notify  *notify.Store
	API     *httpx.API
	site    *web.Site
	mux     *http.ServeMux
	handler http.Handler
	metrics *metrics
}

// New wires every domain onto one site. cfg must have been validated
// (config.Validate), as the commands do.
func New(cfg config.Config, db *store.DB) *Server {
	s := &Server{cfg: cfg, db: db, mux: http.NewServeMux()}
	s.Org = org.NewStore(db, cfg.Passwords)
	s.Auth = auth.NewService(db, s.Org, cfg.SecureCookies())
	if def, max, err := cfg.TokenLifetimes(); err == nil { // validated at start-up
		s.Auth.Tokens = auth.Lifetimes{Default: def, Max: max}
	}
	s.Plan = plan.NewStore(db, s.Org)
	s.Report = report.NewStore(db, s.Org)
	upstreamClaims, _ := sso.ParseClaimMap(cfg.Upstream.Claims) // validated with the configuration
	s.SSO = sso.NewStore(db, s.Org, s.Auth, sso.Options{Issuer: cfg.BaseURL, Secret: cfg.SSOSecret,
		Upstream: sso.Upstream{Issuer: cfg.Upstream.Issuer, ClientID: cfg.Upstream.ClientID, Secret: cfg.Upstream.Secret, Name: cfg.Upstream.Name, Claims: upstreamClaims}})
	s.Auth.BrokerLink, s.Auth.FormTargets = s.SSO.BrokerLink, s.SSO.FormTargets
	s.Auth.Exempt(sso.MachinePaths...)
	s.Auth.TOTPRoles = cfg.TOTPRoleList()
	s.Auth.Sealer = seal.New(cfg.SSOSecret)
	s.Hub = hub.NewStore(db, s.Org, hubOptions(cfg))
	hubTokens(s.SSO, s.Hub) // the provider issues the hub's tokens (hub.go)
	// DTI owns the pillars plans file under; its computed components read
	// the reporting domain's analytics (indicators.go).
	s.DTI = dti.NewStore(db, s.Org, s.Report)
	s.DTI.Indicators = dtiIndicators{s.Report}
	s.Plan.UsePillars(s.DTI.PlanPillars)
	s.Report.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Calendar != "" { // validated with the configuration
		s.Report.Calendar, _ = report.CalendarFile(cfg.Calendar)
	}
	if cfg.SMTPAddr != "" { // validated with the configuration
		s.Report.Mailer, _ = mail.New(mail.Config{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, User: cfg.SMTPUser, Password: cfg.SMTPPassword})
	}
	s.Plan.SetIndicators(planIndicators{s.Report}) // targets read indicators (indicators.go)
	// Notices of the programme's workflow and its reminders: the home page,
	// /notifications, and e-mail through the reporting domain's SMTP server.
	s.Notify = notify.NewStore(db, s.Org, s.Plan)
	s.Notify.BaseURL = s.Report.BaseURL
	if s.Report.Mailer != nil {
		s.Notify.Mailer = s.Report.Mailer
	}
	s.Plan.SetNotifier(s.Notify)
	hubIndicators(s.Report, s.Hub) // the hub's KPI are computed indicators (hub.go)
	s.API = httpx.NewAPI(s.mux, requireAuth)
	s.site = web.NewSite(s.mux, s.API, web.Hooks{
		Viewer: func(r *http.Request) *web.Viewer {
			if p := org.PrincipalFrom(r.Context()); p != nil {
				return &web.Viewer{UserID: p.UserID, Username: p.Username, FullName: p.FullName}
			}
			return nil
		},
		CSRF: auth.CSRF,
		Can: func(r *http.Request, a string) bool {
			ok, err := s.Org.Can(r.Context(), org.PrincipalFrom(r.Context()), org.Action(a), 0)
			return err == nil && ok
		},
	})
	// The domains, each attached in one place.
	for _, d := range []web.Domain{s.Auth, s.Org, s.Plan, s.Report, s.DTI, s.Hub, s.SSO, s.Notify} {
		d.Mount(s.site)
	}

	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.metrics = newMetrics()
	s.metrics.reg.MustRegister(s.Hub.Collectors()...)
	s.mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		httpx.JSON(w, 200, s.API.OpenAPI(Version))
	})
	s.mux.Handle("GET /static/", web.Static())
	s.mux.HandleFunc("GET /lang/{lang}", s.switchLang)
	s.site.Page("GET /{$}", s.home)
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		// A known path asked with another method is 405 with Allow, not 404.
		var allow []string
		for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := s.mux.Handler(probe); pattern != "/api/" && pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			httpx.Error(w, r, &errs.Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Key: "error.method_not_allowed"})
			return
		}
		httpx.Error(w, r, errs.NotFound)
	})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		web.Error(w, r, errs.NotFound)
	})

	cop := http.NewCrossOriginProtection()
	for _, p := range sso.MachinePaths {
		// Applications on other origins call these, authenticated by their
		// own credentials, never by a session.
		cop.AddInsecureBypassPattern("POST " + p)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Before authentication: the refused request names no actor.
		audit.Record(r.Context(), db.Write, audit.From(r, audit.CSRFRefused, "", "cross-origin "+r.Method+" "+r.URL.Path, false))
		if strings.HasPrefix(r.URL.Path, "/api/") {
			httpx.Error(w, r, &errs.Error{Status: 403, Code: "cross_origin", Key: "error.csrf"})
			return
		}
		web.Error(w, r, &errs.Error{Status: 403, Code: "cross_origin", Key: "error.csrf"})
	}))
	proxies, _ := cfg.Proxies() // validated with the configuration
	var h http.Handler = recordRoute(s.mux)
	h = s.Auth.Middleware(h)
	h = s.metricsGate(h)
	h = cop.Handler(h)
	h = s.securityHeaders(h)
	h = s.limitBody(h)
	h = s.metrics.middleware(h)
	h = recoverer(h)
	h = s.site.Attach(h)
	h = httpx.WithRequest(proxies, h)
	s.handler = h
	return s
}

// Site is what the domains attached themselves to (tests and the CLI add
// components through it).
func (s *Server) Site() *web.Site { return s.site }

// Metrics serves the Prometheus series, unguarded: Serve puts it on the
// metrics listener, metricsGate behind the metrics token.
func (s *Server) Metrics() http.Handler { return s.metrics.handler() }

// metricsGate answers /metrics on the main listener when a metrics token
// is configured, to requests bearing it; without one, /metrics is left to
// the mux, which does not know it (404). It runs before authentication,
// which would take the token for an API token and refuse it.
func (s *Server) metricsGate(next http.Handler) http.Handler {
	token := s.cfg.MetricsToken
	if token == "" {
		return next
	}
	metrics := s.Metrics()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tinhso metrics"`)
			httpx.Error(w, r, errs.Unauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			httpx.Error(w, r, &errs.Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Key: "error.method_not_allowed"})
			return
		}
		metrics.ServeHTTP(w, r)
	})
}

// Handler is the whole server as an http.Handler (tests use it directly).
func (s *Server) Handler() http.Handler { return s.handler }

type homeData struct {
	UnitName string
	Roles    []org.Grant
	Items    []web.HomeItem
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Org.Official(r.Context(), org.PrincipalFrom(r.Context()).UserID)
	if err != nil {
		return err
	}
	return homePage.Render(w, r, homeData{UnitName: o.UnitLabel, Roles: o.Roles, Items: s.site.HomeItems(r)})
}

// requireAuth answers 401 to API calls without credentials, except on
// public routes.
func requireAuth(rt httpx.Route, h http.Handler) http.Handler {
	if rt.Public {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if org.PrincipalFrom(r.Context()) == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tinhso"`)
			httpx.Error(w, r, errs.Unauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	if err := s.db.CheckVersion(ctx); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}

func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) {
	lang := locale.Parse(r.PathValue("lang"))
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: string(lang), Path: "/", MaxAge: 365 * 86400, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies()})
	if p := org.PrincipalFrom(r.Context()); p != nil {
		s.Org.SetLocale(r.Context(), p.UserID, string(lang))
	}
	http.Redirect(w, r, httpx.LocalPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// securityHeaders sets a strict content security policy (no inline script
// or style anywhere), and the usual hardening headers.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.cfg.TLS() || strings.HasPrefix(s.cfg.BaseURL, "https://") {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// MaxRequestBody bounds every request body before anything reads it (the
// session middleware parses forms for the CSRF token): the largest
// legitimate one is an evidence upload or a workbook of 10 MiB.
const MaxRequestBody = 24 << 20

// limitBody applies MaxRequestBody, or the larger limit a domain set for a
// path that streams its body (web.Site.BodyLimit: DHIS2 imports).
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(MaxRequestBody)
		if max, ok := s.site.BodyLimitOf(r.URL.Path); ok {
			limit = max
		}
		if r.Body != nil && r.ContentLength > limit {
			e := &errs.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Key: "error.too_large"}
			if strings.HasPrefix(r.URL.Path, "/api/") {
				httpx.Error(w, r, e)
			} else {
				web.Error(w, r, e)
			}
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				slog.ErrorContext(r.Context(), "panic", "value", v, "path", r.URL.Path)
				httpx.Error(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Serve runs the server's components until ctx ends: the web listener on
// the configured address, then whatever the domains added (AddComponent).
// When ctx ends or one component fails, all are stopped and awaited; the
// web listener drains requests for up to 20 seconds. ready, when set,
// receives the bound address.
func (s *Server) Serve(ctx context.Context, ready func(addr string)) error {
	if ok, err := s.Report.KeysOncePerBatch(ctx); err == nil && !ok {
		slog.WarnContext(ctx, "PostgreSQL: the database role may not set session_replication_role, so a large dataValueSets import checks its foreign keys row by row, about twice as slow (README, Vận hành với PostgreSQL)",
			"fix", "as a superuser: GRANT SET ON PARAMETER session_replication_role TO <role>;")
	}
	var cs []web.Component
	if s.cfg.MetricsAddr != "" {
		// Bound first: the web listener's ready callback means serving.
		m, closeMetrics, err := s.metricsListener()
		if err != nil {
			return err
		}
		defer closeMetrics()
		cs = append(cs, m)
	}
	listener, err := s.webListener(ready)
	if err != nil {
		return err
	}
	return runComponents(ctx, append(append(cs, listener), s.site.Components()...))
}

// metricsListener binds --metrics-addr and returns the component that
// serves /metrics there, and nothing else, without credentials: the
// address is one only the monitoring network reaches.
func (s *Server) metricsListener() (web.Component, func(), error) {
	ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
	if err != nil {
		return web.Component{}, nil, fmt.Errorf("listen on metrics-addr %s: %w", s.cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.Metrics())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn)}
	run := func(ctx context.Context) error {
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		slog.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
	// Closing the listener is harmless after Shutdown and frees the port
	// when the web listener fails to start.
	return web.Component{Name: "metrics", Run: run}, func() { ln.Close() }, nil
}

// runComponents runs every component until ctx ends or one of them stops,
// then cancels the others and waits for all; the first failure is returned.
func runComponents(ctx context.Context, cs []web.Component) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(cs))
	for _, c := range cs {
		go func() {
			err := c.Run(ctx)
			if err != nil {
				err = fmt.Errorf("%s: %w", c.Name, err)
			}
			errc <- err
		}()
	}
	var first error
	for range cs {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
		cancel()
	}
	return first
}

// webListener binds the configured address now (so a taken port fails at
// once) and returns the component that serves it.
func (s *Server) webListener(ready func(addr string)) (web.Component, error) {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return web.Component{}, fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if s.cfg.TLS() {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			ln.Close()
			return web.Component{}, fmt.Errorf("TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	run := func(ctx context.Context) error {
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		slog.Info("tinhso listening", "url", scheme+"://"+ln.Addr().String(), "engine", s.db.Engine, "version", Version)
		if ready != nil {
			ready(ln.Addr().String())
		}
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		slog.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return nil
	}
	return web.Component{Name: "web", Run: run}, nil
}

// metrics are the Prometheus series of the HTTP server.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tinhso_http_requests_total", Help: "HTTP requests by route pattern, method and status."}, []string{"route", "method", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tinhso_http_request_duration_seconds", Help: "HTTP request latency by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.reg.MustRegister(m.requests, m.duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type routeKey struct{}

// recordRoute hands the matched ServeMux pattern back to the metrics
// middleware: the mux sets Request.Pattern on the request it receives, which
// inner middleware has replaced with copies.
func recordRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if p, ok := r.Context().Value(routeKey{}).(*string); ok {
			*p = r.Pattern
		}
	})
}

// middleware logs each request and counts it under its route pattern (not
// its path, so ids do not explode the series).
func (m *metrics) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		var route string
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, &route))
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = 200
		}
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		m.requests.WithLabelValues(route, r.Method, fmt.Sprint(sw.status)).Inc()
		m.duration.WithLabelValues(route).Observe(d.Seconds())
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		} else if r.URL.Path == "/healthz" || r.URL.Path == "/metrics" || strings.HasPrefix(r.URL.Path, "/static/") {
			level = slog.LevelDebug
		}
		slog.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path, "route", route, "status", sw.status, "ms", d.Milliseconds())
	})
}
