package sso

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// Scopes the provider knows besides a machine client's own API scopes.
const (
	ScopeOpenID  = "openid"
	ScopeProfile = "profile"
	ScopeEmail   = "email"
	ScopeOffline = "offline_access"
	// ScopeTinhso asks for the official's unit and roles with their scope.
	ScopeTinhso = "tinhso"
)

// StandardScopes are listed in discovery and on the client form.
var StandardScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeOffline, ScopeTinhso, ScopeCitizen}

// subjectOf is the sub claim of an official: their id, which never
// changes nor passes to another person.
func subjectOf(user int64) string { return strconv.FormatInt(user, 10) }

// Role is one role of an official as the roles claim carries it.
type Role struct {
	Role      string `json:"role"`
	ScopeCode string `json:"scope_code"`
	ScopeName string `json:"scope_name"`
}

// claims are what the granted scopes let a client know of an official;
// errNoOfficial when the account is gone or disabled.
func (s *Store) claims(ctx context.Context, user int64, scopes fosite.Arguments) (map[string]any, error) {
	o, err := s.org.Official(ctx, user)
	if err != nil || o.Disabled {
		return nil, errNoOfficial
	}
	m := map[string]any{}
	if scopes.Has(ScopeProfile) {
		m["name"] = o.FullName
		m["preferred_username"] = o.Username
		m["locale"] = o.Locale
	}
	if scopes.Has(ScopeEmail) && o.Email != "" {
		m["email"] = o.Email
		m["email_verified"] = false // tinhso does not verify addresses
	}
	if scopes.Has(ScopeTinhso) {
		m["account_type"] = "official"
		if u, err := s.org.Unit(ctx, o.UnitID, ""); err == nil {
			m["unit_code"], m["unit_name"] = u.Code, u.Name
		}
		roles := []Role{}
		for _, g := range o.Roles {
			r := Role{Role: g.Role, ScopeName: g.ScopeName}
			if u, err := s.org.Unit(ctx, g.ScopeID, ""); err == nil {
				r.ScopeCode = u.Code
			}
			roles = append(roles, r)
		}
		m["roles"] = roles
	}
	return m, nil
}

var errNoOfficial = errors.New("sso: the official's account is disabled or gone")

// clientOf names the client a token-endpoint request says it is, for the
// audit trail of a refusal (the form's client_id or the Basic user).
func clientOf(r *http.Request, ar fosite.Requester) string {
	// fosite's requests start with an empty client: an id only once the
	// client authenticated.
	if ar != nil && ar.GetClient() != nil && ar.GetClient().GetID() != "" {
		return ar.GetClient().GetID()
	}
	if id, _, ok := r.BasicAuth(); ok {
		return truncate(id, 100)
	}
	return truncate(r.PostFormValue("client_id"), 100)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// errorDetail is the OAuth2 error and its hint, for the audit trail.
func errorDetail(err error) string {
	e := fosite.ErrorToRFC6749Error(err)
	d := e.ErrorField
	if h := e.HintField; h != "" {
		d += ": " + h
	}
	return truncate(d, 500)
}

func (s *Store) record(ctx context.Context, r *http.Request, e audit.Event) {
	if e.IP == "" {
		e.IP = httpx.ClientIP(r)
	}
	if err := audit.Record(ctx, s.db.Write, e); err != nil {
		// The answer goes out all the same; the log says the trail missed it.
		slog.ErrorContext(ctx, "sso audit", "kind", e.Kind, "err", err)
	}
}

// token is the token endpoint: code exchange, refresh and client
// credentials. Every issue and every refusal is audited; an official
// disabled since the code or the refresh token was issued gets nothing,
// and the grant is revoked.
func (s *Store) token(w http.ResponseWriter, r *http.Request) {
	ctx := s.withIssuer(r)
	if s.throttled(ctx, w, r) {
		return
	}
	sess := newSession()
	ar, err := s.provider.NewAccessRequest(ctx, r, sess)
	kind := audit.SSOToken
	if r.PostFormValue("grant_type") == GrantRefresh {
		kind = audit.SSORefresh
	}
	refuse := func(err error) {
		e := audit.Event{Kind: kind, Subject: clientOf(r, ar), Detail: "grant_type=" + truncate(r.PostFormValue("grant_type"), 40) + " " + errorDetail(err)}
		if ar != nil {
			if us, ok := ar.GetSession().(*Session); ok && us.UserID != 0 {
				e.ActorID, e.Actor = us.UserID, us.Username
			}
		}
		s.record(ctx, r, e)
		s.provider.WriteAccessError(ctx, w, ar, err)
	}
	if gt := r.PostFormValue("grant_type"); err != nil && gt != "" && !slices.Contains(GrantTypes, gt) {
		// fosite says invalid_request; RFC 6749 §5.2 names it.
		err = fosite.ErrUnsupportedGrantType.WithHintf("The grant type %q is not offered.", truncate(gt, 40))
	}
	if err != nil {
		refuse(err)
		return
	}
	us, _ := ar.GetSession().(*Session)
	if us == nil {
		refuse(fosite.ErrServerError.WithDebug("session type"))
		return
	}
	subject := ar.GetClient().GetID()
	if ar.GetGrantTypes().ExactOne(GrantClientCredentials) {
		scopes := ar.GetRequestedScopes()
		if len(scopes) == 0 {
			// No scope asked: the client's registered ones, the default
			// RFC 6749 §3.3 allows (the hub's clients have always asked
			// for none).
			scopes = ar.GetClient().GetScopes()
		}
		for _, sc := range scopes {
			ar.GrantScope(sc)
		}
		us.Subject = ar.GetClient().GetID()
	} else {
		extra, err := s.subjectClaims(ctx, us, ar.GetGrantedScopes())
		hint := "The official's account is disabled."
		if err == nil && !s.sessionLive(ctx, us.SessionHash) {
			err, hint = errNoOfficial, "The official's tinhso session has ended (logged out, password reset, or expired)."
		}
		if err != nil {
			if rerr := s.revokeGrant(ctx, ar.GetID()); rerr != nil {
				refuse(fosite.ErrServerError.WithWrap(rerr))
				return
			}
			refuse(fosite.ErrInvalidGrant.WithHint(hint))
			return
		}
		if us.SID != "" {
			extra["sid"] = us.SID
		}
		us.IDTokenClaims().Extra = extra
		subject = us.Username
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		refuse(err)
		return
	}
	e := audit.Event{Kind: kind, Success: true, Subject: subject,
		Detail: fmt.Sprintf("client=%s grant_type=%s scope=%s", ar.GetClient().GetID(), strings.Join(ar.GetGrantTypes(), " "), strings.Join(ar.GetGrantedScopes(), " "))}
	if us.UserID != 0 {
		e.ActorID, e.Actor = us.UserID, us.Username
	}
	s.record(ctx, r, e)
	s.provider.WriteAccessResponse(ctx, w, ar, resp)
}

// throttled refuses an address with too many recent failures at the token
// endpoint (wrong secrets, codes, verifiers): each costs an argon2id check.
// The lock lifts a window after the last counted failure, as logins' does.
func (s *Store) throttled(ctx context.Context, w http.ResponseWriter, r *http.Request) bool {
	ip := httpx.ClientIP(r)
	n, err := audit.Failures(ctx, s.db, audit.SSOToken, "ip", ip, store.Now().Add(-auth.ThrottleWindow))
	if err != nil || n < auth.MaxAddressFailures {
		return false
	}
	s.record(ctx, r, audit.Event{Kind: audit.SSOToken, Subject: clientOf(r, nil), Detail: "throttled"})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Retry-After", strconv.Itoa(int(auth.ThrottleWindow.Seconds())))
	w.WriteHeader(http.StatusTooManyRequests)
	fmt.Fprintln(w, `{"error":"temporarily_unavailable","error_description":"Too many failed attempts from this address; try again later."}`)
	return true
}

// subjectActive reports whether the official or citizen behind a grant
// may still use it: their account enabled, their session open.
func (s *Store) subjectActive(ctx context.Context, us *Session) bool {
	if us.CitizenID != 0 {
		_, err := s.citizenClaims(ctx, us.CitizenID, nil)
		return err == nil && s.sessionLive(ctx, us.SessionHash)
	}
	_, err := s.org.Principal(ctx, us.UserID)
	return err == nil && s.sessionLive(ctx, us.SessionHash)
}

// sessionLive reports whether the tinhso session behind an official's grant
// still exists: an application's tokens end with it.
func (s *Store) sessionLive(ctx context.Context, hash string) bool {
	if hash == "" {
		return false
	}
	var n int
	err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE token_hash = $1 AND expires_at > $2`, hash, store.Now()).Scan(&n)
	if err == nil && n == 0 {
		// A citizen's session (broker.go).
		err = s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sso_citizen_sessions WHERE token_hash = $1 AND expires_at > $2`, hash, store.Now()).Scan(&n)
	}
	return err == nil && n > 0
}

// revokeGrant ends everything one grant issued: its code, access and
// refresh tokens.
func (s *Store) revokeGrant(ctx context.Context, requestID string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sso_grants WHERE kind = $1 AND request_id = $2`, kindAccess, requestID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE sso_grants SET active = $1 WHERE kind IN ($2, $3) AND request_id = $4`, false, kindRefresh, kindCode, requestID)
		return err
	})
}

// revokeSession ends what the grants of one tinhso session issued (logging
// out); it returns how many grants it ended.
func (s *Store) revokeSession(ctx context.Context, tx *sql.Tx, sid string) (int, error) {
	if sid == "" {
		return 0, nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT request_id) FROM sso_grants WHERE sid = $1 AND kind IN ($2, $3) AND active = $4`, sid, kindAccess, kindRefresh, true).Scan(&n); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sso_grants WHERE sid = $1 AND kind = $2`, sid, kindAccess); err != nil {
		return 0, err
	}
	_, err := tx.ExecContext(ctx, `UPDATE sso_grants SET active = $1 WHERE sid = $2 AND kind IN ($3, $4)`, false, sid, kindRefresh, kindCode)
	return n, err
}

// bearerError answers a userinfo request that has no usable token.
func bearerError(w http.ResponseWriter, status int, code, desc string) {
	v := `Bearer realm="tinhso"`
	if code != "" {
		v += fmt.Sprintf(`, error=%q, error_description=%q`, code, desc)
	}
	w.Header().Set("WWW-Authenticate", v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if code == "" {
		code = "invalid_request"
	}
	fmt.Fprintf(w, `{"error":%q,"error_description":%q}`+"\n", code, desc)
}

// userinfo answers GET and POST with the claims the access token's scopes
// allow, read fresh from the registry.
func (s *Store) userinfo(w http.ResponseWriter, r *http.Request) {
	ctx := s.withIssuer(r)
	tok := fosite.AccessTokenFromRequest(r)
	if tok == "" {
		bearerError(w, http.StatusUnauthorized, "", "no access token")
		return
	}
	_, ar, err := s.provider.IntrospectToken(ctx, tok, fosite.AccessToken, newSession())
	if err != nil {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "the access token is unknown, expired or revoked")
		return
	}
	us, _ := ar.GetSession().(*Session)
	if !ar.GetGrantedScopes().Has(ScopeOpenID) || us == nil || us.UserID == 0 && us.CitizenID == 0 {
		bearerError(w, http.StatusForbidden, "insufficient_scope", "the access token was not issued with the openid scope for an official")
		return
	}
	claims, err := s.subjectClaims(ctx, us, ar.GetGrantedScopes())
	if err != nil || !s.sessionLive(ctx, us.SessionHash) {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "the official's account is disabled or their session has ended")
		return
	}
	claims["sub"] = us.GetSubject()
	httpx.JSON(w, http.StatusOK, claims)
}

// revoke is RFC 7009 revocation; revoking an access or refresh token ends
// the whole grant.
func (s *Store) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := s.withIssuer(r)
	err := s.provider.NewRevocationRequest(ctx, r)
	if err == nil {
		s.revocations.Add(1)
	}
	e := audit.Event{Kind: audit.SSORevoke, Success: err == nil, Subject: clientOf(r, nil), Detail: "token_type_hint=" + truncate(r.PostFormValue("token_type_hint"), 40)}
	if err != nil {
		e.Detail += " " + errorDetail(err)
	}
	s.record(ctx, r, e)
	s.provider.WriteRevocationResponse(ctx, w, err)
}

// introspect is RFC 7662 introspection, for resource servers (the hub's
// gateway) holding a client secret. A token of an official disabled since
// is inactive.
func (s *Store) introspect(w http.ResponseWriter, r *http.Request) {
	ctx := s.withIssuer(r)
	ir, err := s.provider.NewIntrospectionRequest(ctx, r, newSession())
	if err != nil {
		if e := fosite.ErrorToRFC6749Error(err); e.ErrorField != fosite.ErrInactiveToken.ErrorField {
			s.record(ctx, r, audit.Event{Kind: audit.SSOToken, Subject: clientOf(r, nil), Detail: "introspection " + errorDetail(err)})
		}
		s.provider.WriteIntrospectionError(ctx, w, err)
		return
	}
	if ir.IsActive() {
		if us, ok := ir.GetAccessRequester().GetSession().(*Session); ok && (us.UserID != 0 || us.CitizenID != 0) {
			if !s.subjectActive(ctx, us) {
				httpx.JSON(w, http.StatusOK, map[string]bool{"active": false})
				return
			}
		}
	}
	s.provider.WriteIntrospectionResponse(ctx, w, ir)
}

// Access is what an access token grants, for a resource server in the same
// process (the hub's gateway) that does not go through introspection.
type Access struct {
	ClientID  string
	Subject   string // the official's id, or the client's own for client credentials
	UserID    int64  // 0 for a machine client
	Username  string
	Scopes    []string
	ExpiresAt time.Time
}

// ErrInactive is an access token that is unknown, expired, revoked, of a
// disabled official or of a session that has ended, or lacks a scope asked for.
var ErrInactive = errors.New("sso: the access token is not active")

// Verify checks an access token as introspection would and returns what it
// grants; scopes, when given, must all have been granted.
func (s *Store) Verify(ctx context.Context, token string, scopes ...string) (Access, error) {
	_, ar, err := s.provider.IntrospectToken(ctx, token, fosite.AccessToken, newSession(), scopes...)
	if err != nil {
		return Access{}, ErrInactive
	}
	us, _ := ar.GetSession().(*Session)
	if us == nil {
		return Access{}, ErrInactive
	}
	if (us.UserID != 0 || us.CitizenID != 0) && !s.subjectActive(ctx, us) {
		return Access{}, ErrInactive
	}
	return Access{ClientID: ar.GetClient().GetID(), Subject: us.GetSubject(), UserID: us.UserID, Username: us.Username,
		Scopes: ar.GetGrantedScopes(), ExpiresAt: us.GetExpiresAt(fosite.AccessToken)}, nil
}

// principal is the official signed in with a session (an API token does
// not sign anyone in to other applications).
func principal(r *http.Request) *org.Principal {
	p := org.PrincipalFrom(r.Context())
	if p == nil || p.Token {
		return nil
	}
	return p
}
