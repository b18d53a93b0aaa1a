package auth

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/seal"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/web"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "tinhso_session"

// Throttling: failed logins counted over a window, per account and per
// address. Throttled attempts are recorded but not counted, so a lock lifts
// a window after the last real failure.
const (
	ThrottleWindow     = 15 * time.Minute
	MaxAccountFailures = 5
	MaxAddressFailures = 20
)

// Service signs officials in and out and resolves who a request acts for.
type Service struct {
	DB            *store.DB
	Org           *org.Store
	SecureCookies bool
	SessionTTL    time.Duration
	Tokens        Lifetimes
	exempt        []string // paths that authenticate their callers themselves (Exempt)
	// TOTPRoles must sign in with a second factor (--totp-roles): an
	// official holding one enrols at their next login.
	TOTPRoles []string
	// Sealer seals TOTP secrets in the database (--sso-secret); nil stores
	// them unsealed, marked so.
	Sealer *seal.Sealer
	// BrokerLink, when set, gives the login form a second way in for the
	// request next: citizens' and businesses' login through an upstream
	// provider (internal/sso); "" when there is none for it.
	BrokerLink func(next string) (href, name string)
	// FormTargets, when set, names the origins a form of the login pages
	// may end on after redirects for the request next: the registered
	// redirect URI of the application an authorisation request came from.
	FormTargets func(ctx context.Context, next string) []string
}

// allowForms widens the page's form-action to the application the login
// returns to: browsers check the origins a form submission is redirected
// through against it, and the login ends on the application's callback.
func (s *Service) allowForms(w http.ResponseWriter, r *http.Request, next string) {
	if s.FormTargets != nil {
		AllowFormTargets(w, s.FormTargets(r.Context(), next))
	}
}

// AllowFormTargets adds origins to the form-action of the page's content
// security policy.
func AllowFormTargets(w http.ResponseWriter, origins []string) {
	csp := w.Header().Get("Content-Security-Policy")
	if len(origins) == 0 || !strings.Contains(csp, "form-action 'self'") {
		return
	}
	w.Header().Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+strings.Join(origins, " "), 1))
}

// NewService returns the auth service with a working-day session lifetime.
func NewService(db *store.DB, orgs *org.Store, secure bool) *Service {
	return &Service{DB: db, Org: orgs, SecureCookies: secure, SessionTTL: 12 * time.Hour, Tokens: Lifetimes{Default: DefaultTokenTTL, Max: MaxTokenTTL},
		TOTPRoles: []string{org.RoleAdmin, org.RoleCoordinator}}
}

type sessionKey struct{}

type session struct {
	hash string
	csrf string
}

// CSRF returns the CSRF token of the request's session ("" without one).
func CSRF(r *http.Request) string {
	if s, ok := r.Context().Value(sessionKey{}).(session); ok {
		return s.csrf
	}
	return ""
}

// dummyHash is checked against when the account does not exist, so that a
// wrong username takes as long as a wrong password.
var dummyHash, _ = password.Default().Hash("tinhso-no-such-account")

// ErrThrottled means too many recent failures for the account or address.
var ErrThrottled = &errs.Error{Status: 429, Code: "login_throttled", Key: "error.login_throttled", Args: []any{int(ThrottleWindow.Minutes())}}

// ErrBadLogin is a wrong username or password (never saying which).
var ErrBadLogin = &errs.Error{Status: 401, Code: "bad_credentials", Key: "error.bad_credentials"}

// Login checks credentials, with throttling and an audit line for every
// attempt, and opens a session. It returns the session secret for the cookie.
// An official with a second factor (or who must enrol one) gets a
// *SecondFactor error instead: the login form goes on at /login/totp.
func (s *Service) Login(ctx context.Context, r *http.Request, username, pw string) (string, *org.Principal, error) {
	return s.login(ctx, r, username, pw, "/")
}

func (s *Service) login(ctx context.Context, r *http.Request, username, pw, next string) (string, *org.Principal, error) {
	p, err := s.checkPassword(ctx, r, username, pw)
	if err != nil {
		return "", nil, err
	}
	if sf, err := s.secondFactor(ctx, r, p, next); err != nil {
		return "", nil, err
	} else if sf != nil {
		return "", p, sf
	}
	secret, err := s.openSession(ctx, r, p, "pwd", "")
	return secret, p, err
}

// checkPassword is the first step of a login: throttling, the password,
// the account's state; every failure is audited.
func (s *Service) checkPassword(ctx context.Context, r *http.Request, username, pw string) (*org.Principal, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	ip := httpx.ClientIP(r)
	fail := func(detail string, e error) (*org.Principal, error) {
		ev := audit.Event{Kind: audit.Login, Subject: username, IP: ip, Detail: detail}
		if err := audit.Record(ctx, s.DB.Write, ev); err != nil {
			return nil, err
		}
		return nil, e
	}
	if throttled, err := s.throttled(ctx, r, username); err != nil {
		return nil, err
	} else if throttled {
		return fail("throttled", ErrThrottled)
	}
	id, hash, disabled, err := s.Org.PasswordHash(ctx, username)
	if errors.Is(err, errs.NotFound) {
		password.Check(dummyHash, pw)
		return fail("unknown account", ErrBadLogin)
	} else if err != nil {
		return nil, err
	}
	if ok, err := password.Check(hash, pw); err != nil || !ok {
		return fail("wrong password", ErrBadLogin)
	}
	if disabled {
		return fail("account disabled", ErrBadLogin)
	}
	return s.Org.Principal(ctx, id)
}

// openSession starts a session for p, signed in by amr ("pwd", "pwd otp"),
// and audits the login.
func (s *Service) openSession(ctx context.Context, r *http.Request, p *org.Principal, amr, detail string) (string, error) {
	ip := httpx.ClientIP(r)
	secret := password.Random(32)
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, ip, user_agent, created_at, expires_at, amr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			hashSecret(secret), p.UserID, password.Random(24), ip, truncate(r.UserAgent(), 300), now, now.Add(s.SessionTTL), amr); err != nil {
			return err
		}
		// Expired sessions are swept on login rather than by a timer.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1`, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Kind: audit.Login, Success: true, ActorID: p.UserID, Actor: p.Username, Subject: p.Username, IP: ip, Detail: detail})
	})
	return secret, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// SetCookie sends the session cookie.
func (s *Service) SetCookie(w http.ResponseWriter, secret string) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: int(s.SessionTTL.Seconds()),
	})
}

// ClearCookie removes the session cookie.
func (s *Service) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// Logout ends the request's session.
func (s *Service) Logout(r *http.Request) error {
	sess, ok := r.Context().Value(sessionKey{}).(session)
	if !ok {
		return nil
	}
	return s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(r.Context(), `DELETE FROM sessions WHERE token_hash = $1`, sess.hash); err != nil {
			return err
		}
		return audit.Record(r.Context(), tx, audit.From(r, audit.Logout, org.PrincipalFrom(r.Context()).Username, "", true))
	})
}

// EndOtherSessions signs a user out everywhere but the current session
// (after a password change) or everywhere (keep == "").
func EndOtherSessions(ctx context.Context, tx *sql.Tx, user int64, keep string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, user, keep)
	return err
}

// CurrentSessionHash identifies the request's session (for EndOtherSessions).
func CurrentSessionHash(r *http.Request) string {
	s, _ := r.Context().Value(sessionKey{}).(session)
	return s.hash
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// SessionInfo is one open session of an official, as their account page
// lists it. ID is a digest of the session's key, never the key.
type SessionInfo struct {
	ID        string
	IP        string
	UserAgent string
	CreatedAt time.Time
	ExpiresAt time.Time
	Current   bool
}

func publicSessionID(hash string) string { return hashSecret("tinhso session\x00" + hash)[:24] }

// Sessions lists the open sessions of user, newest first; current is the
// key of the request's own session.
func (s *Service) Sessions(ctx context.Context, user int64, current string) ([]SessionInfo, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT token_hash, ip, user_agent, created_at, expires_at FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC`, user, store.Now())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SessionInfo
	for rows.Next() {
		var hash string
		var si SessionInfo
		if err := rows.Scan(&hash, &si.IP, &si.UserAgent, &si.CreatedAt, &si.ExpiresAt); err != nil {
			return nil, err
		}
		si.ID, si.Current = publicSessionID(hash), hash == current
		out = append(out, si)
	}
	return out, rows.Err()
}

// EndSession signs user out of one of their sessions (by SessionInfo.ID),
// or of every other session when id is "others"; the applications signed
// in through those sessions lose their tokens with them (internal/sso).
func (s *Service) EndSession(r *http.Request, user int64, id string) error {
	ctx := r.Context()
	current := CurrentSessionHash(r)
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT token_hash FROM sessions WHERE user_id = $1`, user)
	if err != nil {
		return err
	}
	var hashes []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return err
		}
		if id == "others" && h != current || publicSessionID(h) == id {
			hashes = append(hashes, h)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(hashes) == 0 && id != "others" {
		return errs.NotFound
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1 AND user_id = $2`, h, user); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("%d session(s) ended from the account page", len(hashes))
		return audit.Record(ctx, tx, audit.From(r, audit.Logout, org.PrincipalFrom(ctx).Username, detail, true))
	})
}

// SessionStarted is when the request's session signed in (the single
// sign-on provider's auth_time) and how (its amr: "pwd", "pwd otp"); false
// without a session.
func (s *Service) SessionStarted(r *http.Request) (time.Time, []string, bool) {
	sess, ok := r.Context().Value(sessionKey{}).(session)
	if !ok {
		return time.Time{}, nil, false
	}
	var at time.Time
	var amr string
	if err := s.DB.Read.QueryRowContext(r.Context(), `SELECT created_at, amr FROM sessions WHERE token_hash = $1`, sess.hash).Scan(&at, &amr); err != nil {
		return time.Time{}, nil, false
	}
	return at, strings.Fields(amr), true
}

// Exempt leaves paths to their own authentication: the single sign-on
// provider's token, revocation, introspection and userinfo endpoints read
// client credentials and access tokens themselves, and never act for a
// session. Called before the server takes requests.
func (s *Service) Exempt(paths ...string) { s.exempt = append(s.exempt, paths...) }

// Middleware resolves the principal from a bearer token or the session
// cookie, and enforces the CSRF token on state-changing requests made with
// a cookie. (Cross-origin requests are refused earlier, by the server's
// http.CrossOriginProtection; the token is the second line.)
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(s.exempt, r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			user, challenge, err := s.credentialUser(r, h)
			if err != nil {
				if e, ok := errs.As(err); ok && e.Status == 401 {
					w.Header().Set("WWW-Authenticate", challenge)
				}
				httpx.Error(w, r, err)
				return
			}
			p, perr := s.principal(ctx, user)
			if perr != nil || p == nil {
				w.Header().Set("WWW-Authenticate", challenge)
				httpx.Error(w, r, errs.Unauthorized)
				return
			}
			p.Token = true
			ctx = audit.WithActor(org.WithPrincipal(ctx, p), p.UserID, p.Username)
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			hash := hashSecret(c.Value)
			var user int64
			var csrf string
			err := s.DB.Read.QueryRowContext(ctx, `SELECT user_id, csrf_token FROM sessions WHERE token_hash = $1 AND expires_at > $2`, hash, store.Now()).Scan(&user, &csrf)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				slog.ErrorContext(ctx, "session lookup", "err", err)
			}
			if p, _ := s.principal(ctx, user); p != nil {
				if !isSafe(r.Method) && !validCSRF(r, csrf) {
					ev := audit.From(r, audit.CSRFRefused, p.Username, r.Method+" "+r.URL.Path, false)
					ev.ActorID, ev.Actor = p.UserID, p.Username
					audit.Record(ctx, s.DB.Write, ev)
					if e := (&errs.Error{Status: 403, Code: "csrf", Key: "error.csrf"}); strings.HasPrefix(r.URL.Path, "/api/") {
						httpx.Error(w, r, e)
					} else {
						web.Error(w, r, e)
					}
					return
				}
				ctx = context.WithValue(org.WithPrincipal(ctx, p), sessionKey{}, session{hash: hash, csrf: csrf})
				ctx = audit.WithActor(ctx, p.UserID, p.Username)
				r = r.WithContext(ctx)
			} else {
				s.ClearCookie(w)
			}
		}
		next.ServeHTTP(w, r)
	})
}

func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (s *Service) principal(ctx context.Context, user int64) (*org.Principal, error) {
	if user == 0 {
		return nil, nil
	}
	p, err := s.Org.Principal(ctx, user)
	if errors.Is(err, errs.NotFound) || errors.Is(err, errs.Unauthorized) {
		return nil, nil
	}
	return p, err
}
