package sso

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/ory/fosite"
	"golang.org/x/oauth2"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
)

// Levels of assurance, as the acr claim carries them and acr_values asks
// for them. A citizen's is the level of their national electronic identity
// (VNeID levels 1 and 2, Decree 69/2024/NĐ-CP) as the upstream asserted it
// for this login; an official's says whether the login had a second factor.
const (
	ACRCitizen1    = "vneid-1"
	ACRCitizen2    = "vneid-2"
	ACROfficial    = "tinhso-pwd"
	ACROfficialMFA = "tinhso-mfa"
)

// ACRValues are listed in discovery.
var ACRValues = []string{ACROfficial, ACROfficialMFA, ACRCitizen1, ACRCitizen2}

// ScopeCitizen asks for a citizen's personal identification number
// (personal_id, the upstream's SoDinhDanh).
const ScopeCitizen = "vneid"

// Broker paths: the start of a brokered login and the upstream's redirect.
const (
	PathCitizenLogin    = "/sso/citizen/login"
	PathCitizenCallback = "/sso/citizen/callback"
)

const (
	citizenCookie    = "tinhso_citizen"
	brokerCookie     = "tinhso_broker"
	brokerErrorParam = "tinhso_upstream_error"
	brokerTTL        = 30 * time.Minute
	// CitizenSessionTTL is how long a citizen's single sign-on session lasts.
	CitizenSessionTTL = 8 * time.Hour
)

// Upstream is the OpenID Connect provider citizens and businesses log in
// through (in production the national portal's SSO); off without Issuer.
type Upstream struct {
	Issuer, ClientID, Secret string
	Name                     string // on the login page ("VNeID")
	// Claims name the upstream's claims: "pin" (the personal
	// identification number, SoDinhDanh), "name" (HoVaTen), "loa" (the
	// level of assurance, 1 or 2; acr when not named).
	Claims map[string]string
	// HTTPClient talks to the upstream (nil: a client with a 15 s timeout).
	HTTPClient *http.Client
}

// ParseClaimMap reads "pin=SoDinhDanh,name=HoVaTen,loa=acr".
func ParseClaimMap(s string) (map[string]string, error) {
	m := map[string]string{"pin": "SoDinhDanh", "name": "HoVaTen", "loa": "acr"}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if k = strings.TrimSpace(k); !ok || !slices.Contains([]string{"pin", "name", "loa"}, k) || strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("upstream-claims: %q: want pin=…, name=… or loa=…", part)
		}
		m[k] = strings.TrimSpace(v)
	}
	return m, nil
}

// broker is tinhso as a relying party of the upstream.
type broker struct {
	up       Upstream
	mu       sync.Mutex
	provider *oidc.Provider
}

func (b *broker) on() bool { return b != nil && b.up.Issuer != "" }

func (b *broker) client() *http.Client {
	if b.up.HTTPClient != nil {
		return b.up.HTTPClient
	}
	return &http.Client{Timeout: 15 * time.Second}
}

// discover reads the upstream's discovery once it answers (it is asked
// again after a failure: an upstream that was down may be back).
func (b *broker) discover(ctx context.Context, redirect string) (*oidc.Provider, oauth2.Config, error) {
	ctx = oidc.ClientContext(ctx, b.client())
	b.mu.Lock()
	p := b.provider
	b.mu.Unlock()
	if p == nil {
		var err error
		if p, err = oidc.NewProvider(ctx, b.up.Issuer); err != nil {
			return nil, oauth2.Config{}, err
		}
		b.mu.Lock()
		b.provider = p
		b.mu.Unlock()
	}
	return p, oauth2.Config{ClientID: b.up.ClientID, ClientSecret: b.up.Secret, Endpoint: p.Endpoint(), RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID, "profile"}}, nil
}

// citizenLevel is the lowest citizen level acr_values asks for (0: none).
func citizenLevel(acrValues string) int {
	level := 0
	for _, v := range strings.Fields(acrValues) {
		l := 0
		switch v {
		case ACRCitizen1:
			l = 1
		case ACRCitizen2:
			l = 2
		}
		if l > 0 && (level == 0 || l < level) {
			level = l
		}
	}
	return level
}

func citizenACR(level int) string {
	if level >= 2 {
		return ACRCitizen2
	}
	return ACRCitizen1
}

// citizenSubject is a citizen's sub claim: apart from officials' numbers,
// and never the personal identification number.
func citizenSubject(id int64) string { return "c" + strconv.FormatInt(id, 10) }

func citizenName(id int64) string { return "citizen:" + strconv.FormatInt(id, 10) }

func digest(s string) string {
	sum := sha256.Sum256([]byte("tinhso citizen\x00" + s))
	return hex.EncodeToString(sum[:])
}

// citizenSession is a citizen's single sign-on session.
type citizenSession struct {
	hash    string
	id      int64
	loa     int
	created time.Time
}

// citizenOf is the request's citizen session, nil without one.
func (s *Store) citizenOf(r *http.Request) *citizenSession {
	c, err := r.Cookie(citizenCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	cs := &citizenSession{hash: digest(c.Value)}
	var disabled bool
	err = s.db.Read.QueryRowContext(r.Context(), `SELECT cs.citizen_id, cs.loa, cs.created_at, c.disabled FROM sso_citizen_sessions cs JOIN sso_citizens c ON c.id = cs.citizen_id
		WHERE cs.token_hash = $1 AND cs.expires_at > $2`, cs.hash, store.Now()).Scan(&cs.id, &cs.loa, &cs.created, &disabled)
	if err != nil || disabled {
		return nil
	}
	return cs
}

// citizenClaims are what the granted scopes let a client know of a
// citizen: no unit, no roles.
func (s *Store) citizenClaims(ctx context.Context, id int64, scopes fosite.Arguments) (map[string]any, error) {
	var pin, name string
	var disabled bool
	if err := s.db.Read.QueryRowContext(ctx, `SELECT pin, name, disabled FROM sso_citizens WHERE id = $1`, id).Scan(&pin, &name, &disabled); err != nil || disabled {
		return nil, errNoOfficial
	}
	m := map[string]any{}
	if scopes.Has(ScopeProfile) {
		m["name"] = name
	}
	if scopes.Has(ScopeCitizen) {
		m["personal_id"] = pin
	}
	if scopes.Has(ScopeTinhso) {
		m["account_type"] = "citizen"
	}
	return m, nil
}

// subjectClaims are an official's or a citizen's claims.
func (s *Store) subjectClaims(ctx context.Context, us *Session, scopes fosite.Arguments) (map[string]any, error) {
	if us.CitizenID != 0 {
		return s.citizenClaims(ctx, us.CitizenID, scopes)
	}
	return s.claims(ctx, us.UserID, scopes)
}

// BrokerLink is the login form's way in for citizens, for an authorisation
// request only (citizens have nothing to do in tinhso's own pages).
func (s *Store) BrokerLink(next string) (string, string) {
	if !s.broker.on() || !strings.HasPrefix(next, PathAuthorize+"?") {
		return "", ""
	}
	return PathCitizenLogin + "?" + url.Values{"next": {next}}.Encode(), s.broker.up.Name
}

// FormTargets is the origin of the registered redirect URI an
// authorisation request next names (for the login pages' form-action).
func (s *Store) FormTargets(ctx context.Context, next string) []string {
	if !strings.HasPrefix(next, PathAuthorize+"?") {
		return nil
	}
	q, err := url.ParseQuery(strings.TrimPrefix(next, PathAuthorize+"?"))
	if err != nil {
		return nil
	}
	c, err := s.Client(ctx, q.Get("client_id"))
	if err != nil || c.Disabled {
		return nil
	}
	return redirectOrigins(c.RedirectURIs, q.Get("redirect_uri"))
}

// redirectOrigins is the origin of redirect if registered (or of the only
// registered URI when none is named).
func redirectOrigins(registered []string, redirect string) []string {
	if redirect == "" && len(registered) == 1 {
		redirect = registered[0]
	}
	if !slices.Contains(registered, redirect) {
		return nil
	}
	u, err := url.Parse(redirect)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}

// backTo returns the browser to the authorisation request with the
// upstream's failure, which the authorisation endpoint sends on to the
// application as an OAuth2 error.
func backTo(w http.ResponseWriter, r *http.Request, next, code string) {
	u, _ := url.Parse(next)
	q := u.Query()
	q.Set(brokerErrorParam, code)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

var brokerErrors = map[string]*fosite.RFC6749Error{
	"temporarily_unavailable": fosite.ErrTemporarilyUnavailable.WithHint("The upstream identity provider does not answer."),
	"access_denied":           fosite.ErrAccessDenied.WithHint("The upstream identity provider refused the login or its answer did not verify."),
}

// citizenLogin starts a brokered login for the authorisation request next.
func (s *Store) citizenLogin(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	next := r.URL.Query().Get("next")
	if !s.broker.on() || !strings.HasPrefix(next, PathAuthorize+"?") {
		return errs.NotFound
	}
	nq, _ := url.ParseQuery(strings.TrimPrefix(next, PathAuthorize+"?"))
	level := max(citizenLevel(nq.Get("acr_values")), 1)
	fail := func(code, detail string) error {
		s.record(ctx, r, audit.Event{Kind: audit.SSOBroker, Subject: truncate(nq.Get("client_id"), 100), Detail: code + ": " + truncate(detail, 400)})
		backTo(w, r, next, code)
		return nil
	}
	_, oc, err := s.broker.discover(ctx, s.issuer(r)+PathCitizenCallback)
	if err != nil {
		return fail("temporarily_unavailable", "upstream discovery: "+err.Error())
	}
	state, nonce, verifier := password.Random(24), password.Random(24), oauth2.GenerateVerifier()
	now := store.Now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sso_broker_logins WHERE created_at < $1`, now.Add(-brokerTTL)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sso_broker_logins (state_hash, nonce, verifier, next, loa, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			digest(state), nonce, verifier, next, level, now)
		return err
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: brokerCookie, Value: state, Path: "/sso/citizen/", HttpOnly: true, Secure: s.auth.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: int(brokerTTL.Seconds())})
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)}
	if level >= 2 {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", "2"))
	}
	if l := nq.Get("ui_locales"); l != "" {
		opts = append(opts, oauth2.SetAuthURLParam("ui_locales", l))
	}
	http.Redirect(w, r, oc.AuthCodeURL(state, opts...), http.StatusSeeOther)
	return nil
}

var pinPattern = regexp.MustCompile(`^[0-9]{9,13}$`)

// citizenCallback finishes a brokered login: the code is exchanged, the
// upstream's ID token verified (signature, issuer, audience, expiry,
// nonce), its claims mapped; the citizen's account is made at the first
// login, linked by the personal identification number; a citizen session
// opens and the browser goes back to the authorisation request.
func (s *Store) citizenCallback(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	c, err := r.Cookie(brokerCookie)
	if err != nil || c.Value == "" || c.Value != q.Get("state") {
		s.record(ctx, r, audit.Event{Kind: audit.SSOBroker, Detail: "state does not match the browser's"})
		return &errs.Error{Status: http.StatusBadRequest, Code: "invalid_state", Key: "sso.error.broker_state"}
	}
	http.SetCookie(w, &http.Cookie{Name: brokerCookie, Path: "/sso/citizen/", MaxAge: -1})
	var nonce, verifier, next string
	var level int
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT nonce, verifier, next, loa FROM sso_broker_logins WHERE state_hash = $1 AND created_at > $2`,
			digest(c.Value), store.Now().Add(-brokerTTL)).Scan(&nonce, &verifier, &next, &level)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sso_broker_logins WHERE state_hash = $1`, digest(c.Value))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		s.record(ctx, r, audit.Event{Kind: audit.SSOBroker, Detail: "state unknown, used or expired"})
		return &errs.Error{Status: http.StatusBadRequest, Code: "invalid_state", Key: "sso.error.broker_state"}
	} else if err != nil {
		return err
	}
	nq, _ := url.ParseQuery(strings.TrimPrefix(next, PathAuthorize+"?"))
	fail := func(code, detail string) error {
		s.record(ctx, r, audit.Event{Kind: audit.SSOBroker, Subject: truncate(nq.Get("client_id"), 100), Detail: code + ": " + truncate(detail, 400)})
		backTo(w, r, next, code)
		return nil
	}
	if e := q.Get("error"); e != "" {
		return fail("access_denied", "upstream: "+truncate(e, 60)+" "+q.Get("error_description"))
	}
	p, oc, err := s.broker.discover(ctx, s.issuer(r)+PathCitizenCallback)
	if err != nil {
		return fail("temporarily_unavailable", "upstream discovery: "+err.Error())
	}
	octx := oidc.ClientContext(ctx, s.broker.client())
	tok, err := oc.Exchange(octx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return fail("access_denied", "upstream token endpoint: "+err.Error())
		}
		return fail("temporarily_unavailable", "upstream token endpoint: "+err.Error())
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: s.broker.up.ClientID}).Verify(octx, raw)
	if err != nil {
		return fail("access_denied", "upstream ID token: "+err.Error())
	}
	if idt.Nonce != nonce {
		return fail("access_denied", "upstream ID token: nonce is not this login's")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return fail("access_denied", "upstream ID token claims: "+err.Error())
	}
	m := s.broker.up.Claims
	str := func(k string) string {
		switch v := claims[m[k]].(type) {
		case string:
			return strings.TrimSpace(v)
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return ""
	}
	if str("pin") == "" {
		// Some portals give the identity at userinfo only.
		if info, err := p.UserInfo(octx, oauth2.StaticTokenSource(tok)); err == nil {
			info.Claims(&claims)
		}
	}
	pin, name := str("pin"), str("name")
	if !pinPattern.MatchString(pin) {
		return fail("access_denied", fmt.Sprintf("upstream claim %s is not a personal identification number", m["pin"]))
	}
	got := 1
	if l := str("loa"); strings.HasSuffix(l, "2") {
		got = 2
	}
	id, secret, err := s.openCitizenSession(ctx, r, pin, truncate(name, 200), idt.Subject, got)
	if errors.Is(err, errNoOfficial) {
		return fail("access_denied", "citizen account disabled")
	} else if err != nil {
		return err
	}
	s.record(ctx, r, audit.Event{Kind: audit.SSOBroker, Success: true, Subject: citizenName(id),
		Detail: fmt.Sprintf("level %d (asked %d) from %s", got, level, truncate(s.broker.up.Issuer, 200))})
	http.SetCookie(w, &http.Cookie{Name: citizenCookie, Value: secret, Path: "/", HttpOnly: true, Secure: s.auth.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: int(CitizenSessionTTL.Seconds())})
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// openCitizenSession finds or makes the citizen's account and opens a
// session at the level this login was asserted at.
func (s *Store) openCitizenSession(ctx context.Context, r *http.Request, pin, name, upstreamSub string, level int) (int64, string, error) {
	secret := password.Random(32)
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Now()
		var disabled bool
		err := tx.QueryRowContext(ctx, `SELECT id, disabled FROM sso_citizens WHERE pin = $1`, pin).Scan(&id, &disabled)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := tx.QueryRowContext(ctx, `INSERT INTO sso_citizens (pin, name, upstream_sub, loa, created_at, last_login_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
				pin, name, upstreamSub, level, now).Scan(&id); err != nil {
				return err
			}
			e := audit.From(r, audit.SSOCitizen, citizenName(id), "account made at the first brokered login", true)
			if err := audit.Record(ctx, tx, e); err != nil {
				return err
			}
		case err != nil:
			return err
		case disabled:
			return errNoOfficial
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE sso_citizens SET name = $1, upstream_sub = $2, loa = $3, last_login_at = $4 WHERE id = $5`, name, upstreamSub, level, now, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sso_citizen_sessions WHERE expires_at < $1`, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sso_citizen_sessions (token_hash, citizen_id, loa, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			digest(secret), id, level, now, now.Add(CitizenSessionTTL))
		return err
	})
	return id, secret, err
}

// endCitizenSession ends a citizen's session (logging out) and the grants
// made under it.
func (s *Store) endCitizenSession(ctx context.Context, tx *sql.Tx, cs *citizenSession) (int, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM sso_citizen_sessions WHERE token_hash = $1`, cs.hash); err != nil {
		return 0, err
	}
	return s.revokeSession(ctx, tx, sessionID(cs.hash))
}

// authorizeCitizen is the authorisation endpoint for a citizen: without a
// citizen session at the level acr_values asks for (or with prompt=login,
// or older than max_age) the browser goes to the upstream and back; then
// consent on first use, and a code. The acr claim says the level the
// upstream asserted: acr_values is voluntary (OpenID Connect Core 3.1.2.1),
// so a lower level after a fresh upstream login is reported, not refused;
// the upstream may refuse it itself (the national portal refuses a level-2
// request of a level-1 identity).
func (s *Store) authorizeCitizen(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, level int, refused func(fosite.AuthorizeRequester, error, string) error) error {
	ctx := r.Context()
	q := r.Form
	if !s.broker.on() {
		return refused(ar, fosite.ErrInvalidRequest.WithHint("acr_values asks for a citizen's login and no upstream identity provider is configured."), "")
	}
	prompts := strings.Fields(q.Get("prompt"))
	none := slices.Contains(prompts, "none")
	now := s.Now().UTC().Truncate(time.Second)
	ticketAt, ticketed := s.checkTicket(ctx, q)
	cs := s.citizenOf(r)
	again := cs == nil
	if cs != nil {
		fresh := ticketed && !cs.created.UTC().Truncate(time.Second).Before(ticketAt)
		if cs.loa < level && !fresh || slices.Contains(prompts, "login") && !fresh {
			again = true
		}
		if maxAge, err := strconv.ParseInt(q.Get("max_age"), 10, 64); err == nil && maxAge >= 0 && cs.created.Add(time.Duration(maxAge)*time.Second).Before(now) {
			again = true
		}
	}
	if again {
		if none {
			return refused(ar, fosite.ErrLoginRequired, "")
		}
		return s.toBroker(w, r, now)
	}
	fc, _ := ar.GetClient().(*fclient)
	if fc == nil {
		return refused(ar, fosite.ErrServerError, "")
	}
	name := citizenName(cs.id)
	requested := ar.GetRequestedScopes()
	switch decided := r.Method == http.MethodPost && q.Get("decision") != ""; {
	case decided && q.Get("decision") != "allow":
		s.record(ctx, r, audit.Event{Kind: audit.SSOConsent, Subject: name, Detail: "client=" + fc.c.ID + " refused: " + strings.Join(requested, " ")})
		return refused(ar, fosite.ErrAccessDenied.WithHint("The citizen did not allow the application."), name)
	case decided:
		if err := s.remember(ctx, r, citizenConsents, cs.id, name, fc.c.ID, requested); err != nil {
			return err
		}
	default:
		ask := slices.Contains(prompts, "consent")
		if !ask && !fc.c.Trusted {
			ok, err := s.consented(ctx, citizenConsents, cs.id, fc.c.ID, requested)
			if err != nil {
				return err
			}
			ask = !ok
		}
		if ask {
			if none {
				return refused(ar, fosite.ErrConsentRequired, name)
			}
			return s.consentPage(w, r, fc.c, requested)
		}
	}
	rat := now
	if ticketed && !ticketAt.After(now) {
		rat = ticketAt
	}
	sess := newSession()
	sess.Subject = citizenSubject(cs.id)
	sess.Username = name
	sess.CitizenID = cs.id
	sess.SessionHash = cs.hash
	sess.SID = sessionID(cs.hash)
	c := sess.IDTokenClaims()
	c.Subject = sess.Subject
	c.Issuer = issuerFrom(ctx)
	c.AuthTime = cs.created.UTC().Truncate(time.Second)
	c.RequestedAt = rat
	c.AuthenticationContextClassReference = citizenACR(cs.loa)
	extra, err := s.citizenClaims(ctx, cs.id, requested)
	if err != nil {
		return refused(ar, fosite.ErrAccessDenied.WithHint("The citizen's account is disabled."), name)
	}
	extra["sid"] = sess.SID
	c.Extra = extra
	for _, sc := range requested {
		ar.GrantScope(sc)
	}
	resp, err := s.provider.NewAuthorizeResponse(ctx, ar, sess)
	if err != nil {
		return refused(ar, err, name)
	}
	s.record(ctx, r, audit.Event{Kind: audit.SSOAuthorize, Success: true, Subject: name, Detail: "client=" + fc.c.ID + " scope=" + strings.Join(requested, " ") + " acr=" + c.AuthenticationContextClassReference})
	s.provider.WriteAuthorizeResponse(ctx, w, ar, resp)
	return nil
}
