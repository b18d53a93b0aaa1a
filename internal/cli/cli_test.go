package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/cli"
	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/server"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
)

// run calls the CLI as the binary would, with stdin, and returns the exit
// code and what it wrote.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	// A command that should fail but serves instead would block the test
	// binary until its deadline; give up on it after a minute.
	go func() { done <- cli.Main(args, strings.NewReader(stdin), &out, &errOut) }()
	select {
	case code := <-done:
		return code, out.String(), errOut.String()
	case <-time.After(time.Minute):
		t.Fatalf("tinhso %s: still running after a minute", strings.Join(args, " "))
		return 0, "", ""
	}
}

// mustRun fails the test unless the command succeeds with nothing on stderr.
func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, stdin, args...)
	if code != 0 || errOut != "" {
		t.Fatalf("tinhso %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// failsWithOneLine asserts a non-zero exit with exactly one line on stderr
// that contains want.
func failsWithOneLine(t *testing.T, want string, args ...string) {
	t.Helper()
	code, _, errOut := run(t, "", args...)
	if code == 0 {
		t.Errorf("tinhso %s: exit 0", strings.Join(args, " "))
		return
	}
	if strings.Count(errOut, "\n") != 1 || !strings.HasSuffix(errOut, "\n") || !strings.HasPrefix(errOut, "tinhso: ") {
		t.Errorf("tinhso %s: want one line on stderr, got %q", strings.Join(args, " "), errOut)
	}
	if !strings.Contains(errOut, want) {
		t.Errorf("tinhso %s: stderr %q lacks %q", strings.Join(args, " "), errOut, want)
	}
}

func TestVersionAndUsage(t *testing.T) {
	out := mustRun(t, "", "version")
	if want := fmt.Sprintf("tinhso %s (schema %d)\n", server.Version, store.LatestVersion()); out != want {
		t.Errorf("version: %q, want %q", out, want)
	}
	if out := mustRun(t, "", "help"); !strings.Contains(out, "tinhso user token USERNAME") {
		t.Errorf("help: %q", out)
	}
	if code, _, errOut := run(t, ""); code != 2 || !strings.Contains(errOut, "Usage:") {
		t.Errorf("no command: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run(t, "", "explode"); code != 2 || !strings.Contains(errOut, `unknown command "explode"`) {
		t.Errorf("unknown command: exit %d, %q", code, errOut)
	}
}

func TestMigrate(t *testing.T) {
	for engine, u := range storetest.URLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			n := store.LatestVersion()
			if out := mustRun(t, "", "migrate", "--db", u); out != fmt.Sprintf("applied %d migration(s); schema version %d\n", store.MigrationCount(), n) {
				t.Errorf("first migrate: %q", out)
			}
			if out := mustRun(t, "", "migrate", "--db", u); out != fmt.Sprintf("applied 0 migration(s); schema version %d\n", n) {
				t.Errorf("second migrate: %q", out)
			}
			db, err := store.Open(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.CheckVersion(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	// The environment variable is the default of --db.
	path := filepath.Join(t.TempDir(), "env.db")
	t.Setenv("TINHSO_DATABASE_URL", "sqlite:"+path)
	mustRun(t, "", "migrate")
	db, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Version(context.Background()); err != nil || v != store.LatestVersion() {
		t.Errorf("TINHSO_DATABASE_URL ignored: version %d, %v", v, err)
	}
}

var tokenRe = regexp.MustCompile(`^tsk_[A-Za-z0-9_-]{40,}\n$`)

// TestUserCommands runs the user subcommands against the demo: its
// registry (demo.LoadOrg) with the demo accounts added through
// `tinhso user add`, as an administrator bootstraps a real deployment.
func TestUserCommands(t *testing.T) {
	for engine, u := range storetest.URLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			mustRun(t, "", "migrate", "--db", u)
			db, err := store.Open(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			orgs := org.NewStore(db, password.Cheap())
			if err := db.Tx(ctx, func(tx *sql.Tx) error { return demo.LoadOrg(ctx, tx, orgs) }); err != nil {
				t.Fatal(err)
			}
			// The API of a server on the same database, to try tokens (and
			// a login form that asks admins for no second factor).
			cfg := config.Default()
			cfg.TOTPRoles = "none"
			ts := httptest.NewServer(server.New(cfg, db).Handler())
			t.Cleanup(ts.Close)
			me := func(token string) int {
				req, _ := http.NewRequest("GET", ts.URL+"/api/v1/me", nil)
				req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			checkPassword := func(username, pw string) bool {
				t.Helper()
				_, hash, _, err := orgs.PasswordHash(ctx, username)
				if err != nil {
					t.Fatal(err)
				}
				ok, _ := password.Check(hash, pw)
				return ok
			}
			cliEvents := func(kind, subject string) int {
				var n int
				db.Read.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND subject = $2 AND actor = 'cli' AND success = $3`, kind, subject, true).Scan(&n)
				return n
			}

			t.Run("add the demo accounts", func(t *testing.T) {
				for _, a := range demo.Accounts {
					out := mustRun(t, demo.Password+"\n", "user", "add", a.Username, "--db", u, "--name", a.FullName,
						"--unit", strings.ToLower(a.Unit), "--role", a.Role+"@"+a.Scope, "--password-stdin")
					if out != "created "+a.Username+"\n" {
						t.Errorf("user add %s: %q", a.Username, out)
					}
					o, err := orgs.OfficialByUsername(ctx, a.Username)
					if err != nil {
						t.Fatal(err)
					}
					scope, _ := orgs.UnitByCode(ctx, a.Scope, "")
					unit, _ := orgs.UnitByCode(ctx, a.Unit, "")
					if o.FullName != a.FullName || o.UnitID != unit.ID || len(o.Roles) != 1 || o.Roles[0].Role != a.Role || o.Roles[0].ScopeID != scope.ID {
						t.Errorf("%s as stored: %+v", a.Username, o)
					}
					if !checkPassword(a.Username, demo.Password) {
						t.Errorf("%s: the password from stdin does not verify", a.Username)
					}
					if cliEvents("official.create", a.Username) != 1 {
						t.Errorf("%s: no audit row", a.Username)
					}
				}
				// Without --password-stdin a password is made up and shown once.
				out := mustRun(t, "", "user", "add", "--db", u, "--name", "Lò Thị Mai", "--unit", "LC.X.BANBO", "--role", "reporter", "--role", "approver@LC", "mai.lo")
				m := regexp.MustCompile(`(?m)^password: (\S+)$`).FindStringSubmatch(out)
				if !strings.HasPrefix(out, "created mai.lo\n") || m == nil || !checkPassword("mai.lo", m[1]) {
					t.Fatalf("user add with a generated password: %q", out)
				}
				o, _ := orgs.OfficialByUsername(ctx, "mai.lo")
				if len(o.Roles) != 2 {
					t.Errorf("mai.lo's roles: %+v", o.Roles)
				}
			})

			t.Run("add refuses bad input", func(t *testing.T) {
				users := func() int {
					var n int
					db.Read.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n)
					return n
				}
				before := users()
				failsWithOneLine(t, `--unit "XX.NOPE": no such org unit`, "user", "add", "x.nope", "--db", u, "--name", "X", "--unit", "XX.NOPE")
				failsWithOneLine(t, "no such org unit", "user", "add", "x.nope", "--db", u, "--name", "X", "--unit", "LC", "--role", "reporter@NOPE")
				failsWithOneLine(t, "username: duplicate", "user", "add", "admin", "--db", u, "--name", "X", "--unit", "LC")
				failsWithOneLine(t, "roles[0].role: one_of", "user", "add", "x.nope", "--db", u, "--name", "X", "--unit", "LC", "--role", "king")
				failsWithOneLine(t, "fullName: required", "user", "add", "x.nope", "--db", u, "--unit", "LC")
				failsWithOneLine(t, "USERNAME is required", "user", "add", "--db", u, "--name", "X", "--unit", "LC")
				code, _, _ := run(t, "short\n", "user", "add", "x.nope", "--db", u, "--name", "X", "--unit", "LC", "--password-stdin")
				if code == 0 {
					t.Error("a short password from stdin was accepted")
				}
				if users() != before {
					t.Error("a refused user add wrote an official")
				}
			})

			t.Run("token", func(t *testing.T) {
				out := mustRun(t, "", "user", "token", "admin", "--db", u)
				if !tokenRe.MatchString(out) {
					t.Fatalf("user token: %q", out)
				}
				if got := me(out); got != 200 {
					t.Errorf("the printed token: %d", got)
				}
				if cliEvents("token.create", "admin") != 1 {
					t.Error("token creation not audited")
				}
				out = mustRun(t, "", "user", "token", "--db", u, "--name", "báo cáo", "--days", "7", "baocao.laichau")
				var exp sql.NullTime
				db.Read.QueryRow(`SELECT expires_at FROM api_tokens WHERE name = 'báo cáo'`).Scan(&exp)
				if d := time.Until(exp.Time); !exp.Valid || d < 6*24*time.Hour || d > 8*24*time.Hour || me(out) != 200 {
					t.Errorf("a 7-day token expires in %v", d)
				}
				failsWithOneLine(t, `no such user "khong.co"`, "user", "token", "khong.co", "--db", u)
				// Every token expires: by default after the token-ttl, and
				// never later than the token-max-ttl.
				out = mustRun(t, "", "user", "token", "--db", u, "--name", "mặc định", "baocao.laichau")
				db.Read.QueryRow(`SELECT expires_at FROM api_tokens WHERE name = 'mặc định'`).Scan(&exp)
				if d := time.Until(exp.Time); !exp.Valid || d < 89*24*time.Hour || d > 91*24*time.Hour || me(out) != 200 {
					t.Errorf("a token without --days expires in %v", d)
				}
				failsWithOneLine(t, "--days 400: want 1 to 365", "user", "token", "baocao.laichau", "--db", u, "--days", "400")
				failsWithOneLine(t, "--days 31: want 1 to 30", "user", "token", "baocao.laichau", "--db", u, "--days", "31", "--token-ttl", "7d", "--token-max-ttl", "30d")
				failsWithOneLine(t, "--days -1", "user", "token", "baocao.laichau", "--db", u, "--days", "-1")
				failsWithOneLine(t, "token-ttl", "user", "token", "baocao.laichau", "--db", u, "--token-ttl", "soon")
				t.Setenv("TINHSO_TOKEN_TTL", "2d")
				mustRun(t, "", "user", "token", "--db", u, "--name", "hai ngày", "baocao.laichau")
				db.Read.QueryRow(`SELECT expires_at FROM api_tokens WHERE name = 'hai ngày'`).Scan(&exp)
				if d := time.Until(exp.Time); !exp.Valid || d < 47*time.Hour || d > 49*time.Hour {
					t.Errorf("TINHSO_TOKEN_TTL=2d: the token expires in %v", d)
				}
			})

			t.Run("passwd", func(t *testing.T) {
				// Sign admin in, to see the change end the session.
				res, err := http.PostForm(ts.URL+"/login", map[string][]string{"username": {"admin"}, "password": {demo.Password}})
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				sessions := func() int {
					var n int
					db.Read.QueryRow(`SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'admin'`).Scan(&n)
					return n
				}
				if sessions() != 1 {
					t.Fatalf("admin has %d sessions", sessions())
				}
				adminToken := mustRun(t, "", "user", "token", "admin", "--db", u)
				if me(adminToken) != 200 {
					t.Fatal("admin's token does not work before the reset")
				}
				if out := mustRun(t, "mat-khau-moi-2026\r\n", "user", "passwd", "admin", "--db", u, "--password-stdin"); out != "password changed\nrevoked 2 API token(s)\n" {
					t.Errorf("passwd: %q", out)
				}
				if me(adminToken) != 401 {
					t.Error("admin's token still works after the password reset")
				}
				if !checkPassword("admin", "mat-khau-moi-2026") || checkPassword("admin", demo.Password) {
					t.Error("the password from stdin is not the one stored")
				}
				if sessions() != 0 || cliEvents("password.reset", "admin") != 1 {
					t.Errorf("after passwd: %d sessions, audit %d", sessions(), cliEvents("password.reset", "admin"))
				}
				failsWithOneLine(t, "password: too_short", "user", "passwd", "admin", "--db", u, "--password-stdin")
				out := mustRun(t, "", "user", "passwd", "baocao.laichau", "--db", u)
				m := regexp.MustCompile(`^password: (\S+)\n(revoked \d+ API token\(s\)\n)?$`).FindStringSubmatch(out)
				if m == nil || !checkPassword("baocao.laichau", m[1]) {
					t.Errorf("passwd with a generated password: %q", out)
				}
			})

			t.Run("disable", func(t *testing.T) {
				tok := mustRun(t, "", "user", "token", "baocao.ankhe", "--db", u)
				if me(tok) != 200 {
					t.Fatal("the token does not work before")
				}
				if out := mustRun(t, "", "user", "disable", "BAOCAO.ANKHE", "--db", u); out != "disabled baocao.ankhe\n" {
					t.Errorf("disable: %q", out)
				}
				if got := me(tok); got != 401 {
					t.Errorf("a disabled official's token: %d", got)
				}
				if cliEvents("account.disable", "baocao.ankhe") != 1 {
					t.Error("disable not audited")
				}
				failsWithOneLine(t, "is disabled", "user", "token", "baocao.ankhe", "--db", u)
				failsWithOneLine(t, "no such user", "user", "disable", "khong.co", "--db", u)
				failsWithOneLine(t, `unknown subcommand "rename"`, "user", "rename", "admin", "--db", u)
			})

			t.Run("signout and totp-reset", func(t *testing.T) {
				id := func() int64 {
					o, err := orgs.OfficialByUsername(ctx, "baocao.laichau")
					if err != nil {
						t.Fatal(err)
					}
					return o.ID
				}()
				count := func(q string) int {
					var n int
					db.Read.QueryRow(q, id).Scan(&n)
					return n
				}
				now := time.Now().UTC()
				for _, q := range []string{
					`INSERT INTO sessions (token_hash, user_id, csrf_token, ip, user_agent, created_at, expires_at, amr) VALUES ('cli-test-1', $1, 'c', '', '', $2, $3, 'pwd otp')`,
					`INSERT INTO auth_totp (user_id, secret, last_step, confirmed_at) VALUES ($1, 'plain:JBSWY3DPEHPK3PXP', 0, $2)`,
				} {
					args := []any{id, now}
					if strings.Contains(q, "sessions") {
						args = append(args, now.Add(time.Hour))
					}
					if _, err := db.Write.Exec(q, args...); err != nil {
						t.Fatal(err)
					}
				}
				if out := mustRun(t, "", "user", "signout", "baocao.laichau", "--db", u); out != "signed baocao.laichau out everywhere\n" {
					t.Errorf("signout: %q", out)
				}
				if count(`SELECT COUNT(*) FROM sessions WHERE user_id = $1`) != 0 || count(`SELECT COUNT(*) FROM auth_totp WHERE user_id = $1`) != 1 {
					t.Error("signout: sessions left, or the second factor removed")
				}
				if out := mustRun(t, "", "user", "totp-reset", "baocao.laichau", "--db", u); !strings.HasPrefix(out, "removed the second factor of baocao.laichau") {
					t.Errorf("totp-reset: %q", out)
				}
				if count(`SELECT COUNT(*) FROM auth_totp WHERE user_id = $1`) != 0 {
					t.Error("totp-reset left the second factor")
				}
				if cliEvents("logout", "baocao.laichau") != 2 || cliEvents("totp.reset", "baocao.laichau") != 1 {
					t.Error("signout and totp-reset not audited")
				}
				failsWithOneLine(t, "no such user", "user", "totp-reset", "khong.co", "--db", u)
			})
		})
	}
}

func TestBadDatabasesFailWithOneLine(t *testing.T) {
	for _, args := range [][]string{{"migrate"}, {"user", "token", "admin"}, {"serve", "--addr", "127.0.0.1:0"}} {
		name := strings.Join(args, " ")
		t.Run(name, func(t *testing.T) {
			with := func(db string) []string { return append(append([]string{}, args...), "--db", db) }
			failsWithOneLine(t, "want sqlite:PATH or postgres://", with("mysql://root@localhost/x")...)
			start := time.Now()
			failsWithOneLine(t, "127.0.0.1", with("postgres://x:geheim@127.0.0.1:1/x?connect_timeout=2")...)
			if time.Since(start) > 15*time.Second {
				t.Error("an unreachable PostgreSQL takes too long to report")
			}
			_, _, errOut := run(t, "", with("postgres://x:geheim@127.0.0.1:1/x?connect_timeout=2")...)
			if strings.Contains(errOut, "geheim") {
				t.Errorf("the password leaks: %q", errOut)
			}
		})
	}
	// A database written by a newer tinhso, on every engine.
	for engine, u := range storetest.URLs(t) {
		t.Run("newer schema on "+string(engine), func(t *testing.T) {
			mustRun(t, "", "migrate", "--db", u)
			db, err := store.Open(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Write.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from the future', $2)`, store.LatestVersion()+7, store.Now()); err != nil {
				t.Fatal(err)
			}
			db.Close()
			for _, args := range [][]string{{"migrate"}, {"user", "token", "admin"}, {"user", "disable", "admin"}, {"serve", "--addr", "127.0.0.1:0"}} {
				failsWithOneLine(t, "is newer than this tinhso supports", append(args, "--db", u)...)
			}
		})
	}
	// A database that was never migrated.
	failsWithOneLine(t, "schema", "user", "token", "admin", "--db", "sqlite:"+filepath.Join(t.TempDir(), "empty.db"))
	// Every configuration mistake, on one line.
	failsWithOneLine(t, `log-format "xml"`, "serve", "--addr", "nowhere", "--log-format", "xml", "--db", "sqlite:x.db")
}

// syncBuffer is a buffer that the demo's server goroutine writes while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDemoFirstRun is what a newcomer sees after "go run ./cmd/tinhso
// demo": the console in Vietnamese with English, every demo account, and a
// token command that works as printed, run from wherever they are.
func TestDemoFirstRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "thư mục demo")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--data", dir}, strings.NewReader(""), &out, &errOut)
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("demo exited %d after being stopped: %s", code, errOut.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("demo still running 30 s after being stopped")
		}
	}()
	// The first run writes two years of demo reports through the workflow
	// (10–20 s on a quiet machine; minutes under -race on a loaded one):
	// the wait is a bound against a hang, not a speed check.
	deadline := time.Now().Add(6 * time.Minute)
	for !strings.Contains(out.String(), "Ctrl+C") {
		select {
		case code := <-done:
			t.Fatalf("demo exited %d before serving: %s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner after 6 minutes; stdout so far: %q", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	banner := out.String()
	for _, want := range []string{"tinhso demo đang chạy (is running): http://127.0.0.1:", "Dữ liệu (data): " + dir,
		"Tài khoản demo (demo accounts), mật khẩu chung (password): " + demo.Password, "Mã truy cập API (API token):", "Dừng (stop): Ctrl+C"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner lacks %q:\n%s", want, banner)
		}
	}
	for _, a := range demo.Accounts {
		if !strings.Contains(banner, "  "+a.Username+" ") || !strings.Contains(banner, a.NoteVI()+" — "+a.Note) {
			t.Errorf("the banner does not present %s in Vietnamese and English", a.Username)
		}
	}
	// The token command, as printed: the database path is absolute (the
	// command works from any directory) and quoted (the directory has a
	// space in it).
	m := regexp.MustCompile(`(?m)^  (.+) user token admin --db '(sqlite:[^']+)'$`).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("no token command in the banner:\n%s", banner)
	}
	if want := "sqlite:" + filepath.Join(dir, "tinhso.db"); m[2] != want {
		t.Errorf("the token command's database is %s, want %s", m[2], want)
	}
	token := strings.TrimSpace(mustRun(t, "", "user", "token", "admin", "--db", m[2]))
	base := regexp.MustCompile(`is running\): (http://127\.0\.0\.1:\d+/)`).FindStringSubmatch(banner)[1]
	req, _ := http.NewRequest("GET", base+"api/v1/orgunits?limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("the printed token on the demo's API: status %d", res.StatusCode)
	}
	// Single sign-on: discovery on the demo's address, and the demo
	// application's registration as printed.
	res, err = http.Get(base + ".well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		Issuer string `json:"issuer"`
	}
	json.NewDecoder(res.Body).Decode(&disc)
	res.Body.Close()
	if res.StatusCode != 200 || disc.Issuer+"/" != base {
		t.Errorf("discovery on the demo: %d, issuer %q", res.StatusCode, disc.Issuer)
	}
	reg := regexp.MustCompile(`(?m)^  client_id: (\S+)\n  redirect_uri: (http://127\.0\.0\.1:\d+/callback)$`).FindStringSubmatch(banner)
	if reg == nil {
		t.Fatalf("no demo client in the banner:\n%s", banner)
	}
	db, err := store.Open(context.Background(), m[2])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var uris string
	if err := db.Read.QueryRow(`SELECT redirect_uris FROM sso_clients WHERE id = $1`, reg[1]).Scan(&uris); err != nil || !strings.Contains(uris, reg[2]) {
		t.Errorf("the printed client is not registered with its redirect URI: %v %s", err, uris)
	}
	app := strings.TrimSuffix(reg[2], "/callback")
	res, err = http.Get(app + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `id="login"`) {
		t.Errorf("the demo application: %d\n%.300s", res.StatusCode, body)
	}
	demoHub(t, out.String, m[2], db)
	// The national portal's test double, the citizens' upstream.
	portal := regexp.MustCompile(`TEST DOUBLE of the national portal's SSO \(VNeID\): (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(banner)
	if portal == nil {
		t.Fatalf("no national portal double in the banner:\n%s", banner)
	}
	res, err = http.Get(portal[1] + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("the portal double's discovery: %d", res.StatusCode)
	}
}

// The README is the first page a newcomer reads: every file it links to is
// in the repository (it once pointed to a design note outside it).
func TestReadmeLinksStayInTheRepository(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`\]\(([^)#\s]+)`).FindAllStringSubmatch(string(readme), -1)
	if len(links) < 3 {
		t.Fatalf("only %d links in the README", len(links))
	}
	for _, m := range links {
		target := m[1]
		if strings.Contains(target, "://") {
			continue // a web page
		}
		p := filepath.Join(root, filepath.FromSlash(target))
		if rel, err := filepath.Rel(root, p); err != nil || strings.HasPrefix(rel, "..") {
			t.Errorf("the README links to %s, outside the repository", target)
			continue
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("the README links to %s: %v", target, err)
		}
	}
	if strings.Contains(string(readme), "../") {
		t.Error("the README names a path outside the repository (../)")
	}
}

// demoHub is the hub's contract on the running demo: the printed token
// and curl lines get the judicial records' answer through the gateway;
// `tinhso hub verify --db` exits 0 on the demo's own database, and after
// one record is altered there it exits 1 naming that record.
func demoHub(t *testing.T, output func() string, dbURL string, db *store.DB) {
	t.Helper()
	// The hub prints its lines once its gateway listens, after the
	// server's banner: wait for them (a bound against a hang).
	tokRe := regexp.MustCompile(`TOKEN=\$\(curl -s -u '([^:']+):([^']+)' -d grant_type=client_credentials (\S+) `)
	callRe := regexp.MustCompile(`(?m)^  curl -H "Authorization: Bearer \$TOKEN" -H 'X-Road-Client: ([^']+)' (\S+)$`)
	var tok, call []string
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		printed := output()
		if tok, call = tokRe.FindStringSubmatch(printed), callRe.FindStringSubmatch(printed); tok != nil && call != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no hub token or curl line printed after 2 minutes:\n%s", printed)
		}
	}
	req, _ := http.NewRequest("POST", tok[3], strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(tok[1], tok[2])
	var token struct {
		AccessToken string `json:"access_token"`
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&token)
	res.Body.Close()
	if res.StatusCode != 200 || token.AccessToken == "" {
		t.Fatalf("the printed token line: %d", res.StatusCode)
	}
	req, _ = http.NewRequest("GET", call[2], nil)
	req.Header.Set("Authorization", "Bearer "+token.AccessToken)
	req.Header.Set("X-Road-Client", call[1])
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "Không có án tích") {
		t.Fatalf("the printed curl line through the hub: %d %s", res.StatusCode, body)
	}
	if code, out, errOut := run(t, "", "hub", "verify", "--db", dbURL); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("hub verify on the demo: exit %d\n%s%s", code, out, errOut)
	}
	var chain string
	var seq int64
	if err := db.Read.QueryRow(`SELECT chain, seq FROM hub_log WHERE kind = 'response' ORDER BY seq LIMIT 1`).Scan(&chain, &seq); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`UPDATE hub_log SET status = 204 WHERE chain = $1 AND seq = $2`, chain, seq); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "hub", "verify", "--db", dbURL)
	if code != 1 || !strings.Contains(out+errOut, fmt.Sprintf("record %d", seq)) {
		t.Errorf("hub verify after record %d of chain %s was altered: exit %d\n%s%s", seq, chain, code, out, errOut)
	}
}
