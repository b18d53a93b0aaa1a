// Package cli implements tinhso's subcommands: serve, migrate, demo, user
// and version. Every failure ends with one clear line on stderr and a
// non-zero exit.
package cli

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/server"
	"github.com/tinhso/tinhso/internal/store"
)

const usage = `tinhso — nền tảng chuyển đổi số cấp tỉnh (the provincial digital-transformation platform)

Usage:
  tinhso serve   [flags]   serve the web UI and the API
  tinhso migrate [flags]   apply the database migrations
  tinhso demo    [--addr HOST:PORT] [--data DIR] [--app-addr HOST:PORT]
                           load the demo province into DIR and serve it, with a
                           demo application signing in through tinhso
  tinhso user add USERNAME --name "Họ và tên" --unit CODE [--role ROLE[@SCOPECODE]]... [--password-stdin]
  tinhso user passwd USERNAME [--password-stdin]
                           also signs the official out and revokes their API tokens
  tinhso user token USERNAME [--name NAME] [--days N] [--token-ttl 90d] [--token-max-ttl 365d]
  tinhso user disable USERNAME
  tinhso user signout USERNAME
                           signs the official out everywhere, their applications included
  tinhso user totp-reset USERNAME
                           removes their second factor (a lost phone) and signs them out
  tinhso hub verify|keys|rotate-key|secret|cert|credentials|revoke|rotate|server-cert …
                           the data exchange hub's operator commands (tinhso hub help)
  tinhso version

Every command takes --db (env TINHSO_DATABASE_URL): sqlite:PATH (default
sqlite:./data/tinhso.db) or postgres://user:pass@host/db. Run a command
with -h for its flags.
`

// Main runs one command and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return Run(context.Background(), args, stdin, stdout, stderr)
}

// Run is Main under ctx: the serving commands (serve, demo) stop when ctx
// ends, as they do on SIGINT or SIGTERM.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "migrate":
		err = migrate(args[1:], stdout, stderr)
	case "demo":
		err = runDemo(ctx, args[1:], stdout, stderr)
	case "user":
		err = user(args[1:], stdin, stdout, stderr)
	case "hub":
		err = hubCommand(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "tinhso %s (schema %d)\n", server.Version, store.LatestVersion())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "tinhso: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "tinhso: "+oneLine(err))
		return 1
	}
	return 0
}

// oneLine keeps an error on one line.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("tinhso "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// open connects, migrates when asked, and checks the schema version.
func open(ctx context.Context, cfg config.Config, migrateToo bool) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	if migrateToo {
		n, err := db.Migrate(ctx)
		if err != nil {
			db.Close()
			return nil, err
		}
		if n > 0 {
			slog.Info("database migrated", "applied", n, "version", store.LatestVersion())
		}
	}
	if err := db.CheckVersion(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

func serve(parent context.Context, args []string, stderr io.Writer) error {
	cfg := config.Default()
	fs := newFlags("serve", stderr)
	cfg.Bind(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	slog.SetDefault(cfg.Logger())
	ctx, stop := signalContext(parent)
	defer stop()
	db, err := open(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	return server.New(cfg, db).Serve(ctx, nil)
}

func migrate(args []string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	fs := newFlags("migrate", stderr)
	cfg.Bind(fs, "db")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migration(s); schema version %d\n", n, store.LatestVersion())
	return nil
}

func runDemo(parent context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	fs := newFlags("demo", stderr)
	cfg.Bind(fs, "addr", "log-level", "log-format", "base-url", "totp-roles", "hub-addr", "hub-peer-addr")
	dir := fs.String("data", "./data/demo", "directory that holds the demo's state (created when missing, reused otherwise)")
	appAddr := fs.String("app-addr", "", "address of the demo application signing in through tinhso (default: the port after --addr's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *appAddr == "" {
		var err error
		if *appAddr, err = appAddrFor(cfg.Addr); err != nil {
			return err
		}
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	cfg.Database = "sqlite:" + filepath.Join(abs, "tinhso.db")
	if err := cfg.Validate(); err != nil {
		return err
	}
	slog.SetDefault(cfg.Logger())
	ctx, stop := signalContext(parent)
	defer stop()
	db, err := open(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	if n, err := demo.LoadWithReports(ctx, db, cfg.Passwords, time.Now()); err != nil {
		return err
	} else if n > 0 {
		slog.Info("demo: periodic reports written", "reports", n)
	}
	if cfg.Hub.Addr == "" {
		cfg.Hub.Addr = "127.0.0.1:0" // the hub's gateway, with its demo backends (printed)
	}
	if cfg.Hub.PeerAddr == "" {
		cfg.Hub.PeerAddr = "127.0.0.1:0" // where the national demo hub calls the province's (federation)
	}
	apps, err := listenDemoApps(*appAddr, &cfg)
	if err != nil {
		return err
	}
	defer apps.stop()
	srv := server.New(cfg, db)
	srv.Hub.SetDemo(stdout)
	return srv.Serve(ctx, func(addr string) {
		scheme := "http"
		if cfg.TLS() {
			scheme = "https"
		}
		issuer := strings.TrimRight(cfg.BaseURL, "/")
		if issuer == "" {
			issuer = scheme + "://" + browserHost(addr)
		}
		if err := apps.start(ctx, srv.SSO, issuer); err != nil {
			slog.Error("demo application", "err", err)
		}
		exe, _ := os.Executable()
		onPath, _ := exec.LookPath("tinhso")
		demoBanner(stdout, scheme+"://"+addr+"/", abs, cfg.Database, commandName(exe, onPath, os.Args[0]), func(w io.Writer) { apps.banner(w, issuer) })
	})
}

// demoBanner tells the person who started the demo, in Vietnamese then in
// English, where it is, how to sign in and how to get an API token.
func demoBanner(w io.Writer, url, dir, db, command string, more ...func(io.Writer)) {
	fmt.Fprintf(w, "\ntinhso demo đang chạy (is running): %s\n", url)
	fmt.Fprintf(w, "Dữ liệu (data): %s\n\n", dir)
	fmt.Fprintf(w, "Tài khoản demo (demo accounts), mật khẩu chung (password): %s\n", demo.Password)
	for _, a := range demo.Accounts {
		fmt.Fprintf(w, "  %-16s %s — %s\n", a.Username, a.NoteVI(), a.Note)
	}
	fmt.Fprintf(w, "\nMã truy cập API (API token):\n  %s user token admin --db %s\n", command, shellQuote(db))
	fmt.Fprintf(w, "rồi (then): curl -H \"Authorization: Bearer <mã>\" %sapi/v1/orgunits\n\n", url)
	for _, f := range more {
		f(w)
	}
	fmt.Fprintf(w, "Dừng (stop): Ctrl+C\n\n")
}

// commandName is how the person who started this process runs tinhso
// again: "go run ./cmd/tinhso" when the executable was built by go run (it
// lives in an exe directory of a go-build directory and is gone once the
// process ends), "tinhso" when that is what PATH finds, else the path the
// process was started by (./tinhso).
func commandName(exe, onPath, arg0 string) string {
	// Either separator: the same rule holds for a Windows path.
	slash := strings.ReplaceAll(exe, `\`, "/")
	if strings.Contains(slash, "/go-build") && path.Base(path.Dir(slash)) == "exe" {
		return "go run ./cmd/tinhso"
	}
	if onPath != "" && exe != "" {
		if a, err := filepath.EvalSymlinks(onPath); err == nil {
			if b, err := filepath.EvalSymlinks(exe); err == nil && a == b {
				return "tinhso"
			}
		}
	}
	if arg0 == "" {
		return "tinhso"
	}
	return shellQuote(arg0)
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe
// characters (a data directory with a space in it).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func user(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("user: want add, passwd, token, disable, signout or totp-reset")
	}
	sub, args := args[0], args[1:]
	cfg := config.Default()
	fs := newFlags("user "+sub, stderr)
	cfg.Bind(fs, "db")
	var (
		name, unit, tokenName string
		roles                 multiFlag
		passwordStdin         bool
		days                  int
	)
	switch sub {
	case "add":
		fs.StringVar(&name, "name", "", "full name (Họ và tên)")
		fs.StringVar(&unit, "unit", "", "code of the official's org unit")
		fs.Var(&roles, "role", "role, optionally @ the code of its scope unit (repeatable): "+strings.Join(org.Roles, ", "))
		fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input (else one is generated and printed)")
	case "passwd":
		fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input (else one is generated and printed)")
	case "token":
		cfg.Bind(fs, "token-ttl", "token-max-ttl")
		fs.StringVar(&tokenName, "name", "cli", "a name to recognise the token by")
		fs.IntVar(&days, "days", 0, "expire after this many days, at most the token-max-ttl (0: the token-ttl)")
	case "disable", "signout", "totp-reset":
	default:
		return fmt.Errorf("user: unknown subcommand %q (want add, passwd, token, disable, signout or totp-reset)", sub)
	}
	// The username may come before or after the flags.
	var username string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		username, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if username == "" && fs.NArg() > 0 {
		username = fs.Arg(0)
	}
	if username == "" {
		return fmt.Errorf("user %s: USERNAME is required", sub)
	}
	ctx := context.Background()
	db, err := open(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	orgs := org.NewStore(db, cfg.Passwords)
	cliEvent := func(kind, detail string) audit.Event {
		return audit.Event{Kind: kind, Success: true, Actor: "cli", Subject: strings.ToLower(username), Detail: detail}
	}
	newPassword := func() (string, bool, error) {
		if !passwordStdin {
			return generatePassword(), true, nil
		}
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, err
		}
		return strings.TrimRight(line, "\r\n"), false, nil
	}
	switch sub {
	case "add":
		u, err := orgs.UnitByCode(ctx, strings.ToUpper(unit), "")
		if err != nil {
			return fmt.Errorf("--unit %q: no such org unit", unit)
		}
		in := org.OfficialInput{Username: username, FullName: name, UnitID: u.ID}
		for _, r := range roles {
			role, scope, _ := strings.Cut(r, "@")
			g := org.Grant{Role: role}
			if scope != "" {
				su, err := orgs.UnitByCode(ctx, strings.ToUpper(scope), "")
				if err != nil {
					return fmt.Errorf("--role %q: no such org unit %q", r, scope)
				}
				g.ScopeID = su.ID
			}
			in.Roles = append(in.Roles, g)
		}
		pw, generated, err := newPassword()
		if err != nil {
			return err
		}
		in.Password = pw
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := orgs.CreateOfficial(ctx, tx, in); err != nil {
				return err
			}
			return audit.Record(ctx, tx, cliEvent(audit.OfficialCreate, strings.Join(roles, ", ")))
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s\n", strings.ToLower(username))
		if generated {
			fmt.Fprintf(stdout, "password: %s\n", pw)
		}
	case "passwd":
		o, err := orgs.OfficialByUsername(ctx, username)
		if err != nil {
			return fmt.Errorf("no such user %q", username)
		}
		pw, generated, err := newPassword()
		if err != nil {
			return err
		}
		var v errs.Validator
		org.ValidatePassword(&v, "password", pw, o.Username)
		if err := v.Err(); err != nil {
			return err
		}
		hash, err := orgs.HashPassword(pw)
		if err != nil {
			return err
		}
		var revoked int
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if err := orgs.SetPasswordHash(ctx, tx, o.ID, hash); err != nil {
				return err
			}
			if err := auth.EndOtherSessions(ctx, tx, o.ID, ""); err != nil {
				return err
			}
			// As an administrator's reset on the official's page does.
			var err error
			if revoked, err = orgs.RevokeAllTokens(ctx, tx, o.ID); err != nil {
				return err
			}
			return audit.Record(ctx, tx, cliEvent(audit.PasswordReset, fmt.Sprintf("%d API token(s) revoked", revoked)))
		})
		if err != nil {
			return err
		}
		if generated {
			fmt.Fprintf(stdout, "password: %s\n", pw)
		} else {
			fmt.Fprintln(stdout, "password changed")
		}
		if revoked > 0 {
			fmt.Fprintf(stdout, "revoked %d API token(s)\n", revoked)
		}
	case "token":
		o, err := orgs.OfficialByUsername(ctx, username)
		if err != nil {
			return fmt.Errorf("no such user %q", username)
		}
		if o.Disabled {
			return fmt.Errorf("user %q is disabled", username)
		}
		def, max, err := cfg.TokenLifetimes()
		if err != nil {
			return err
		}
		life := auth.Lifetimes{Default: def, Max: max}
		if days < 0 || days > life.MaxDays() {
			return fmt.Errorf("--days %d: want 1 to %d (token-max-ttl %s), or 0 for the token-ttl %s", days, life.MaxDays(), cfg.TokenMaxTTL, cfg.TokenTTL)
		}
		var t auth.NewToken
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			if t, err = auth.CreateToken(ctx, tx, o.ID, auth.TokenInput{Name: tokenName, ExpiresInDays: days}, life); err != nil {
				return err
			}
			return audit.Record(ctx, tx, cliEvent(audit.TokenCreate, t.Name+" ("+t.Prefix+"…)"))
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, t.Secret)
	case "disable":
		o, err := orgs.OfficialByUsername(ctx, username)
		if err != nil {
			return fmt.Errorf("no such user %q", username)
		}
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if err := orgs.SetDisabled(ctx, tx, o.ID, true); err != nil {
				return err
			}
			if err := auth.EndOtherSessions(ctx, tx, o.ID, ""); err != nil {
				return err
			}
			return audit.Record(ctx, tx, cliEvent(audit.AccountDisable, ""))
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "disabled %s\n", o.Username)
	case "signout", "totp-reset":
		o, err := orgs.OfficialByUsername(ctx, username)
		if err != nil {
			return fmt.Errorf("no such user %q", username)
		}
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			// Ending the sessions ends every application's grant made under them.
			if err := auth.EndOtherSessions(ctx, tx, o.ID, ""); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, cliEvent(audit.Logout, "signed out everywhere by the operator")); err != nil {
				return err
			}
			if sub == "signout" {
				return nil
			}
			if err := auth.ResetTOTP(ctx, tx, o.ID); err != nil {
				return err
			}
			return audit.Record(ctx, tx, cliEvent(audit.TOTPReset, ""))
		})
		if err != nil {
			return err
		}
		if sub == "signout" {
			fmt.Fprintf(stdout, "signed %s out everywhere\n", o.Username)
		} else {
			fmt.Fprintf(stdout, "removed the second factor of %s; they enrol again at their next login\n", o.Username)
		}
	}
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// generatePassword makes a readable random password of 4 groups.
func generatePassword() string {
	s := password.Random(15)
	s = strings.NewReplacer("-", "x", "_", "y").Replace(s)
	return s[:5] + "-" + s[5:10] + "-" + s[10:15] + "-" + s[15:20]
}
