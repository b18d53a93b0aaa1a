// Package config holds tinhso's configuration in one struct, filled from
// flags and TINHSO_* environment variables (a flag wins over a variable).
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/report"
)

// Config is every setting of a tinhso node.
type Config struct {
	Addr      string // listen address, host:port
	Database  string // sqlite:PATH or postgres://…
	BaseURL   string // public base URL, for links and cookie security
	LogLevel  string // debug, info, warn, error
	LogFormat string // text or json
	TLSCert   string // PEM certificate file; with TLSKey, serve HTTPS
	TLSKey    string
	// TrustedProxies are the reverse proxies (CIDRs, comma-separated) whose
	// X-Forwarded-For names the client; login throttling and the audit
	// trail then see each official's own address.
	TrustedProxies string
	// Passwords are the argon2id costs of new password hashes (not a flag:
	// the default is OWASP's; tests choose cheap ones).
	Passwords password.Hasher
	// MetricsAddr, when set, serves /metrics to anyone on a listener of
	// its own (bind it to an address only the monitoring network reaches).
	MetricsAddr string
	// MetricsToken, when set, serves /metrics on the main listener to
	// requests bearing it. With neither, /metrics is off.
	MetricsToken string
	// TokenTTL is the lifetime of an API token created without one, and
	// TokenMaxTTL the longest a token may be given: "90d" or a Go
	// duration such as "720h".
	TokenTTL    string
	TokenMaxTTL string
	// SSOSecret seals the single sign-on provider's signing keys and token
	// secret, and officials' TOTP secrets, in the database (AES-256-GCM,
	// internal/seal); without it they are stored unsealed. Keep it out of
	// the database's backups.
	SSOSecret string
	// TOTPRoles are the roles whose holders must sign in with a second
	// factor (comma-separated; "none" for nobody).
	TOTPRoles string
	// Upstream is the OpenID Connect provider citizens and businesses log
	// in through (the national portal's SSO, VNeID); none when Issuer is
	// empty. Its client secret is read from UpstreamSecretEnv only.
	Upstream Upstream
	// Hub holds the data exchange hub's settings (internal/hub).
	Hub Hub
	// SMTPAddr, when set, is the SMTP server (host:port) the reminders go
	// through: STARTTLS when it offers it, implicit TLS on port 465.
	// SMTPFrom is the sender; SMTPUser and SMTPPassword authenticate
	// (PLAIN, never over a connection in clear). The password is read from
	// TINHSO_SMTP_PASSWORD only, never from a flag (flags show in ps).
	SMTPAddr     string
	SMTPFrom     string
	SMTPUser     string
	SMTPPassword string
	// Calendar is a file of further years of public holidays for report
	// deadlines (internal/report/calendar_vn.txt's format), e.g. a year
	// once the Prime Minister announces its Tết days off.
	Calendar string
}

// Hub is the data exchange hub's configuration: its X-Road instance, the
// gateway's own listener and its message log.
type Hub struct {
	Addr     string // the gateway's listen address (host:port); no gateway when empty
	PeerAddr string // the gateway's listener for peer hubs (federation): HTTPS, mutual TLS; none when empty
	Instance string // the X-Road instance identifier of this hub
	Owner    string // code of the org unit whose managers run the hub (keys, CA); the top of the tree when empty
	TLSCert  string // the gateway's TLS certificate (PEM); with TLSKey the gateway serves HTTPS and asks for client certificates
	TLSKey   string
	ClientCA string // a PEM file of further CAs whose client certificates the gateway accepts, besides the hub's own
	Node     string // this node's name: its message-log chain
	Rate     string // calls per second a consumer subsystem may make by default ("0": unlimited)
	FailOpen string // "true": serve on when the message log cannot be written (default: refuse)
	Errors   string // X-Road-Error spelling: camel (X-Road 7.0–7.7, default) or snake (7.8)
	// The message log's archive: sealed batches older than ArchiveDays
	// ("0": never) are written into files in ArchiveDir and deleted from
	// the database; operational-monitoring rows older than OpmonDays
	// ("0": kept) are deleted.
	ArchiveDir  string
	ArchiveDays string
	OpmonDays   string
	// TSAURL is an RFC 3161 time-stamping authority for the seals; TSACA a
	// PEM file of the authorities trusted.
	TSAURL string
	TSACA  string
	// TimestampFailure is X-Road's acceptable-timestamp-failure-period:
	// with a TSA configured, when a seal has waited this long for its
	// time-stamp the gateway takes no new exchange ("0": never refuses).
	TimestampFailure string
	// SealKey and CAKey are PEM files (mode 0600) of the hub's private
	// keys; a purpose with a file never stores its key in the database.
	// (Access tokens are the single sign-on provider's: no token key.)
	SealKey, CAKey string
}

// TOTPRoleList is TOTPRoles as a list (empty for "none").
func (c Config) TOTPRoleList() []string {
	var out []string
	for _, r := range strings.Split(c.TOTPRoles, ",") {
		if r = strings.TrimSpace(r); r != "" && r != "none" {
			out = append(out, r)
		}
	}
	return out
}

// Upstream configures brokered citizen logins (internal/sso, broker.go).
type Upstream struct {
	Issuer, ClientID, Secret, Name string
	// Claims maps the upstream's claims to tinhso's: "pin=SoDinhDanh,name=HoVaTen,loa=acr".
	Claims string
}

// UpstreamSecretEnv is the variable the upstream client secret is read from.
const UpstreamSecretEnv = "TINHSO_UPSTREAM_CLIENT_SECRET"

// SMTPPasswordEnv is the variable the SMTP password is read from.
const SMTPPasswordEnv = "TINHSO_SMTP_PASSWORD"

// MinMetricsToken is the shortest metrics token accepted: it guards the
// node's internals, so it must not be guessable.
const MinMetricsToken = 24

// Default is the configuration of a node started with no settings.
func Default() Config {
	return Config{
		Addr:        "127.0.0.1:8080",
		Database:    "sqlite:./data/tinhso.db",
		LogLevel:    "info",
		LogFormat:   "text",
		Passwords:   password.Default(),
		TokenTTL:    "90d",
		TokenMaxTTL: "365d",
		Hub: Hub{Instance: "TINHSO", Node: "main", Rate: "100", FailOpen: "false", Errors: "camel",
			ArchiveDir: "./data/hub-archive", ArchiveDays: "180", OpmonDays: "7", TimestampFailure: "4h"},
		TOTPRoles: "admin,coordinator",
		Upstream:  Upstream{Name: "VNeID", Claims: "pin=SoDinhDanh,name=HoVaTen,loa=acr"},
	}
}

// setting binds one field to a flag and an environment variable.
type setting struct {
	flag, env, usage string
	field            *string
}

func (c *Config) settings(which ...string) []setting {
	all := []setting{
		{"addr", "TINHSO_ADDR", "listen address (host:port)", &c.Addr},
		{"db", "TINHSO_DATABASE_URL", "database URL: sqlite:PATH or postgres://user:pass@host/db", &c.Database},
		{"base-url", "TINHSO_BASE_URL", "public base URL, e.g. https://tinhso.gialai.gov.vn", &c.BaseURL},
		{"log-level", "TINHSO_LOG_LEVEL", "log level: debug, info, warn, error", &c.LogLevel},
		{"log-format", "TINHSO_LOG_FORMAT", "log format: text or json", &c.LogFormat},
		{"tls-cert", "TINHSO_TLS_CERT", "TLS certificate file (PEM); serves HTTPS with -tls-key", &c.TLSCert},
		{"tls-key", "TINHSO_TLS_KEY", "TLS private key file (PEM)", &c.TLSKey},
		{"trusted-proxies", "TINHSO_TRUSTED_PROXIES", "reverse proxies whose X-Forwarded-For is believed, as CIDRs, e.g. 10.0.0.5/32,10.0.1.0/24", &c.TrustedProxies},
		{"metrics-addr", "TINHSO_METRICS_ADDR", "serve /metrics without credentials on this separate address (host:port); off when empty", &c.MetricsAddr},
		{"metrics-token", "TINHSO_METRICS_TOKEN", fmt.Sprintf("serve /metrics on the main address to requests with Authorization: Bearer TOKEN (at least %d characters); off when empty", MinMetricsToken), &c.MetricsToken},
		{"token-ttl", "TINHSO_TOKEN_TTL", "lifetime of a new API token when none is asked for, e.g. 90d or 720h", &c.TokenTTL},
		{"token-max-ttl", "TINHSO_TOKEN_MAX_TTL", "longest lifetime an API token may have, e.g. 365d; older tokens expire at it", &c.TokenMaxTTL},
		{"totp-roles", "TINHSO_TOTP_ROLES", "roles whose holders must sign in with a second factor (TOTP), comma-separated, or none", &c.TOTPRoles},
		{"sso-secret", "TINHSO_SSO_SECRET", "secret that seals the single sign-on signing keys and officials' TOTP secrets in the database (at least 16 characters); unsealed when empty", &c.SSOSecret},
		{"upstream-issuer", "TINHSO_UPSTREAM_ISSUER", "OpenID Connect provider citizens and businesses log in through (the national portal's SSO); off when empty (the secret is read from " + UpstreamSecretEnv + ")", &c.Upstream.Issuer},
		{"upstream-client-id", "TINHSO_UPSTREAM_CLIENT_ID", "tinhso's client id at the upstream provider", &c.Upstream.ClientID},
		{"upstream-name", "TINHSO_UPSTREAM_NAME", "the upstream's name on the login page", &c.Upstream.Name},
		{"upstream-claims", "TINHSO_UPSTREAM_CLAIMS", "the upstream's claims as tinhso's: pin=…,name=…,loa=… (its non-standard claims)", &c.Upstream.Claims},
		{"hub-addr", "TINHSO_HUB_ADDR", "the data exchange hub's gateway listener (host:port), X-Road's /r1/ protocol; off when empty", &c.Hub.Addr},
		{"hub-peer-addr", "TINHSO_HUB_PEER_ADDR", "the gateway's listener for peer hubs (federation, as X-Road's port 5500): HTTPS with mutual TLS, a server certificate of the hub's CA unless -hub-tls-cert; none when empty", &c.Hub.PeerAddr},
		{"hub-instance", "TINHSO_HUB_INSTANCE", "the hub's X-Road instance identifier, e.g. LGSP-LC", &c.Hub.Instance},
		{"hub-owner", "TINHSO_HUB_OWNER", "code of the org unit whose managers run the hub's keys and CA; the top of the tree when empty", &c.Hub.Owner},
		{"hub-tls-cert", "TINHSO_HUB_TLS_CERT", "the gateway's TLS certificate (PEM); with -hub-tls-key it serves HTTPS and accepts client certificates from the hub's CA", &c.Hub.TLSCert},
		{"hub-tls-key", "TINHSO_HUB_TLS_KEY", "the gateway's TLS private key (PEM)", &c.Hub.TLSKey},
		{"hub-client-ca", "TINHSO_HUB_CLIENT_CA", "PEM file of further CAs whose client certificates the gateway accepts", &c.Hub.ClientCA},
		{"hub-node", "TINHSO_HUB_NODE", "this node's name, which names its message-log chain (distinct per node)", &c.Hub.Node},
		{"hub-rate", "TINHSO_HUB_RATE", "calls per second a consumer subsystem may make by default (0: unlimited)", &c.Hub.Rate},
		{"hub-log-fail-open", "TINHSO_HUB_LOG_FAIL_OPEN", "true: keep serving when the message log cannot be written (default false: refuse new exchanges)", &c.Hub.FailOpen},
		{"hub-archive-dir", "TINHSO_HUB_ARCHIVE_DIR", "directory the message log's old sealed batches are archived into", &c.Hub.ArchiveDir},
		{"hub-archive-days", "TINHSO_HUB_ARCHIVE_DAYS", "sealed batches older than this many days are archived into files and deleted from the database (0: never)", &c.Hub.ArchiveDays},
		{"hub-opmon-days", "TINHSO_HUB_OPMON_DAYS", "operational-monitoring records older than this many days are deleted (0: kept)", &c.Hub.OpmonDays},
		{"hub-tsa-url", "TINHSO_HUB_TSA_URL", "an RFC 3161 time-stamping authority for the message log's seals; none when empty", &c.Hub.TSAURL},
		{"hub-tsa-ca", "TINHSO_HUB_TSA_CA", "PEM file of the time-stamping authorities trusted (checked by verify)", &c.Hub.TSACA},
		{"hub-timestamp-failure-period", "TINHSO_HUB_TIMESTAMP_FAILURE_PERIOD", "with --hub-tsa-url: when a seal has waited this long for its time-stamp, the gateway refuses new exchanges until the authority answers again (X-Road's acceptable-timestamp-failure-period; 0: never)", &c.Hub.TimestampFailure},
		{"hub-seal-key", "TINHSO_HUB_SEAL_KEY", "PEM file (mode 0600) of the seal key; then it is never stored in the database", &c.Hub.SealKey},
		{"hub-ca-key", "TINHSO_HUB_CA_KEY", "PEM file (mode 0600) of the CA's key; then it is never stored in the database", &c.Hub.CAKey},
		{"hub-errors", "TINHSO_HUB_ERRORS", "X-Road-Error spelling: camel (Server.ServerProxy.AccessDenied, X-Road 7.0–7.7) or snake (server.serverproxy.access_denied, 7.8)", &c.Hub.Errors},
		{"smtp-addr", "TINHSO_SMTP_ADDR", "SMTP server (host:port) for e-mail reminders, STARTTLS when offered, implicit TLS on port 465; no e-mail when empty", &c.SMTPAddr},
		{"smtp-from", "TINHSO_SMTP_FROM", "sender of the e-mails, e.g. \"tinhso <tinhso@gialai.gov.vn>\"", &c.SMTPFrom},
		{"calendar", "TINHSO_CALENDAR", "file of further years of public holidays for report deadlines (the format of internal/report/calendar_vn.txt), e.g. 2027 once announced", &c.Calendar},
		{"smtp-user", "TINHSO_SMTP_USER", "SMTP user name (the password is read from " + SMTPPasswordEnv + " only)", &c.SMTPUser},
	}
	if len(which) == 0 {
		return all
	}
	var out []setting
	for _, s := range all {
		for _, w := range which {
			if s.flag == w {
				out = append(out, s)
			}
		}
	}
	return out
}

// Bind registers flags for the named settings (all when none is named) on
// fs, with defaults taken from the environment.
func (c *Config) Bind(fs *flag.FlagSet, which ...string) {
	for _, s := range c.settings(which...) {
		def := *s.field
		if v, ok := os.LookupEnv(s.env); ok {
			def = v
		}
		fs.StringVar(s.field, s.flag, def, fmt.Sprintf("%s (env %s)", s.usage, s.env))
		if s.field == &c.SMTPAddr {
			c.SMTPPassword = os.Getenv(SMTPPasswordEnv)
		}
		if s.field == &c.Upstream.Issuer {
			c.Upstream.Secret = os.Getenv(UpstreamSecretEnv)
		}
	}
}

// Validate checks every field and reports every mistake, one line each.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want host:port", c.Addr))
	}
	if !strings.HasPrefix(c.Database, "sqlite:") && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		errs = append(errs, fmt.Errorf("db %q: want sqlite:PATH or postgres://…", c.Database))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("base-url %q: want http(s)://host", c.BaseURL))
		}
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format %q: want text or json", c.LogFormat))
	}
	if _, err := c.Proxies(); err != nil {
		errs = append(errs, err)
	}
	for _, r := range c.TOTPRoleList() {
		if !slices.Contains([]string{"admin", "coordinator", "leader", "approver", "reporter"}, r) {
			errs = append(errs, fmt.Errorf("totp-roles %q: want roles among admin, coordinator, leader, approver, reporter, or none", r))
		}
	}
	if c.Calendar != "" {
		if _, err := report.CalendarFile(c.Calendar); err != nil {
			errs = append(errs, fmt.Errorf("calendar: %v", err))
		}
	}
	if c.Upstream.Issuer != "" {
		if u, err := url.Parse(c.Upstream.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("upstream-issuer %q: want http(s)://host", c.Upstream.Issuer))
		}
		if c.Upstream.ClientID == "" || c.Upstream.Secret == "" {
			errs = append(errs, errors.New("upstream-issuer: set upstream-client-id and "+UpstreamSecretEnv))
		}
	}
	for _, part := range strings.Split(c.Upstream.Claims, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if strings.TrimSpace(part) != "" && (!ok || !slices.Contains([]string{"pin", "name", "loa"}, strings.TrimSpace(k)) || strings.TrimSpace(v) == "") {
			errs = append(errs, fmt.Errorf("upstream-claims %q: want pin=…, name=… or loa=…", part))
		}
	}
	if c.SSOSecret != "" && len(c.SSOSecret) < 16 {
		errs = append(errs, fmt.Errorf("sso-secret: at least 16 characters"))
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("metrics-addr %q: want host:port", c.MetricsAddr))
		} else if c.MetricsAddr == c.Addr {
			errs = append(errs, fmt.Errorf("metrics-addr %q: must differ from addr", c.MetricsAddr))
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < MinMetricsToken {
		errs = append(errs, fmt.Errorf("metrics-token: at least %d characters", MinMetricsToken))
	}
	if _, _, err := c.TokenLifetimes(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Hub.validate(c.Addr, c.MetricsAddr)...)
	errs = append(errs, c.validateSMTP()...)
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls-cert and tls-key go together"))
	}
	for _, f := range []string{c.TLSCert, c.TLSKey} {
		if f != "" {
			if _, err := os.Stat(f); err != nil {
				errs = append(errs, fmt.Errorf("TLS file: %v", err))
			}
		}
	}
	return errors.Join(errs...)
}

// validateSMTP checks the e-mail settings: all optional, but the sender
// and the server go together, and so do the user and the password.
func (c Config) validateSMTP() []error {
	var errs []error
	if c.SMTPAddr == "" {
		if c.SMTPFrom != "" || c.SMTPUser != "" || c.SMTPPassword != "" {
			errs = append(errs, errors.New("smtp-from, smtp-user and "+SMTPPasswordEnv+" need smtp-addr"))
		}
		return errs
	}
	if host, port, err := net.SplitHostPort(c.SMTPAddr); err != nil || host == "" || port == "" {
		errs = append(errs, fmt.Errorf("smtp-addr %q: want host:port", c.SMTPAddr))
	}
	if c.SMTPFrom == "" {
		errs = append(errs, errors.New("smtp-from: required with smtp-addr"))
	} else if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
		errs = append(errs, fmt.Errorf("smtp-from %q: not an e-mail address", c.SMTPFrom))
	}
	if c.SMTPUser != "" && c.SMTPPassword == "" {
		errs = append(errs, errors.New("smtp-user: set the password in "+SMTPPasswordEnv))
	}
	if c.SMTPUser == "" && c.SMTPPassword != "" {
		errs = append(errs, errors.New(SMTPPasswordEnv+" is set without smtp-user"))
	}
	return errs
}

// Proxies parses TrustedProxies.
func (c Config) Proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			if a, aerr := netip.ParseAddr(f); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				return nil, fmt.Errorf("trusted-proxies %q: want CIDRs such as 10.0.0.5/32", f)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// TokenLifetimes parses TokenTTL and TokenMaxTTL: both positive, the
// default no longer than the maximum.
func (c Config) TokenLifetimes() (def, max time.Duration, err error) {
	def, err = ParseLifetime(c.TokenTTL)
	if err != nil {
		return 0, 0, fmt.Errorf("token-ttl %q: %v", c.TokenTTL, err)
	}
	max, err = ParseLifetime(c.TokenMaxTTL)
	if err != nil {
		return 0, 0, fmt.Errorf("token-max-ttl %q: %v", c.TokenMaxTTL, err)
	}
	if def > max {
		return 0, 0, fmt.Errorf("token-ttl %q is longer than token-max-ttl %q", c.TokenTTL, c.TokenMaxTTL)
	}
	return def, max, nil
}

// ParseLifetime reads a lifetime written in days ("90d") or as a Go
// duration ("720h", "30m"); it must be positive.
func ParseLifetime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days > 100*365 {
			return 0, errors.New("want a number of days such as 90d, or a duration such as 720h")
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, errors.New("want a number of days such as 90d, or a duration such as 720h")
		}
	}
	if d <= 0 {
		return 0, errors.New("must be positive")
	}
	return d, nil
}

// TLS reports whether the node serves HTTPS itself.
func (c Config) TLS() bool { return c.TLSCert != "" }

// SecureCookies reports whether cookies must carry Secure: under TLS, or
// behind a proxy whose public URL is https.
func (c Config) SecureCookies() bool {
	return c.TLS() || strings.HasPrefix(c.BaseURL, "https://")
}

// Logger builds the slog logger the settings describe.
func (c Config) Logger() *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// hubIdentChars are the characters of an X-Road identifier.
const hubIdentChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'()+,-.=?"

func (h Hub) validate(addr, metricsAddr string) []error {
	var errs []error
	if h.Addr != "" {
		if _, _, err := net.SplitHostPort(h.Addr); err != nil {
			errs = append(errs, fmt.Errorf("hub-addr %q: want host:port", h.Addr))
		} else if h.Addr == addr || h.Addr == metricsAddr {
			errs = append(errs, fmt.Errorf("hub-addr %q: must differ from addr and metrics-addr", h.Addr))
		}
	}
	if h.PeerAddr != "" {
		if _, _, err := net.SplitHostPort(h.PeerAddr); err != nil {
			errs = append(errs, fmt.Errorf("hub-peer-addr %q: want host:port", h.PeerAddr))
		} else if _, port, _ := net.SplitHostPort(h.PeerAddr); h.Addr == "" || port != "0" && (h.PeerAddr == h.Addr || h.PeerAddr == addr || h.PeerAddr == metricsAddr) {
			errs = append(errs, fmt.Errorf("hub-peer-addr %q: needs hub-addr, and must differ from it, addr and metrics-addr", h.PeerAddr))
		}
	}
	if h.Instance == "" || len(h.Instance) > 255 || strings.Trim(h.Instance, hubIdentChars) != "" {
		errs = append(errs, fmt.Errorf("hub-instance %q: want X-Road identifier characters (A-Z a-z 0-9 ' ( ) + , - . = ?)", h.Instance))
	}
	if h.Node == "" || len(h.Node) > 100 || strings.Trim(h.Node, hubIdentChars) != "" {
		errs = append(errs, fmt.Errorf("hub-node %q: want a short name of letters, digits, dots and dashes", h.Node))
	}
	if _, err := h.RateLimit(); err != nil {
		errs = append(errs, err)
	}
	if _, err := strconv.ParseBool(h.FailOpen); err != nil {
		errs = append(errs, fmt.Errorf("hub-log-fail-open %q: want true or false", h.FailOpen))
	}
	if h.Errors != "camel" && h.Errors != "snake" {
		errs = append(errs, fmt.Errorf("hub-errors %q: want camel or snake", h.Errors))
	}
	if (h.TLSCert == "") != (h.TLSKey == "") {
		errs = append(errs, errors.New("hub-tls-cert and hub-tls-key go together"))
	}
	for _, f := range []string{h.TLSCert, h.TLSKey, h.ClientCA} {
		if f != "" {
			if _, err := os.Stat(f); err != nil {
				errs = append(errs, fmt.Errorf("hub TLS file: %v", err))
			}
		}
	}
	for _, f := range []string{h.TSACA, h.SealKey, h.CAKey} {
		if f != "" {
			if _, err := os.Stat(f); err != nil {
				errs = append(errs, fmt.Errorf("hub file: %v", err))
			}
		}
	}
	if _, _, err := h.Days(); err != nil {
		errs = append(errs, err)
	}
	if _, err := h.TimestampFailurePeriod(); err != nil {
		errs = append(errs, err)
	}
	if h.TSAURL != "" && !strings.HasPrefix(h.TSAURL, "http://") && !strings.HasPrefix(h.TSAURL, "https://") {
		errs = append(errs, fmt.Errorf("hub-tsa-url %q: want an http or https URL", h.TSAURL))
	}
	return errs
}

// Days are the archive's and monitoring's retention in days (0: none).
func (h Hub) Days() (archive, opmon int, err error) {
	for _, d := range []struct {
		name, v string
		out     *int
	}{{"hub-archive-days", h.ArchiveDays, &archive}, {"hub-opmon-days", h.OpmonDays, &opmon}} {
		n, perr := strconv.Atoi(strings.TrimSpace(d.v))
		if perr != nil || n < 0 || n > 36500 {
			return 0, 0, fmt.Errorf("%s %q: want a number of days, 0 to 36500", d.name, d.v)
		}
		*d.out = n
	}
	return archive, opmon, nil
}

// TimestampFailurePeriod is the parsed TimestampFailure (0: never).
func (h Hub) TimestampFailurePeriod() (time.Duration, error) {
	v := strings.TrimSpace(h.TimestampFailure)
	if v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("hub-timestamp-failure-period %q: want a duration such as 4h or 30m, or 0", h.TimestampFailure)
	}
	return d, nil
}

// KeyFiles are the key files by purpose (seal, ca).
func (h Hub) KeyFiles() map[string]string {
	m := map[string]string{}
	for p, f := range map[string]string{"seal": h.SealKey, "ca": h.CAKey} {
		if f != "" {
			m[p] = f
		}
	}
	return m
}

// RateLimit is the default calls per second of a consumer (0: unlimited).
func (h Hub) RateLimit() (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(h.Rate))
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, fmt.Errorf("hub-rate %q: want a number of calls per second, 0 to 1000000", h.Rate)
	}
	return n, nil
}

// FailsOpen reports whether the gateway serves on without its message log.
func (h Hub) FailsOpen() bool {
	b, _ := strconv.ParseBool(h.FailOpen)
	return b
}
