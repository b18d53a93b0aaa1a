package sso

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/web"
)

// ticketParam carries, through the login form and back, when an
// authorisation request first arrived: prompt=login and max_age are met
// only by a sign-in after that instant. It is signed with the provider's
// secret, so it cannot be moved to another request or back in time.
const (
	ticketParam = "tinhso_login"
	ticketTTL   = 30 * time.Minute
)

func (s *Store) ticketMAC(ctx context.Context, at int64, q url.Values) ([]byte, error) {
	secret, err := s.config.GetGlobalSecret(ctx)
	if err != nil {
		return nil, err
	}
	c := url.Values{}
	for k, v := range q {
		if k != ticketParam && k != "csrf" && k != "decision" && k != brokerErrorParam {
			c[k] = v
		}
	}
	mac := hmac.New(sha256.New, append([]byte("tinhso login ticket\x00"), secret...))
	fmt.Fprintf(mac, "%d\n%s", at, c.Encode())
	return mac.Sum(nil), nil
}

func (s *Store) ticket(ctx context.Context, at time.Time, q url.Values) (string, error) {
	mac, err := s.ticketMAC(ctx, at.Unix(), q)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(at.Unix(), 10) + "." + base64.RawURLEncoding.EncodeToString(mac), nil
}

// checkTicket returns the instant a valid ticket of this request names.
func (s *Store) checkTicket(ctx context.Context, q url.Values) (time.Time, bool) {
	ts, sig, ok := strings.Cut(q.Get(ticketParam), ".")
	if !ok {
		return time.Time{}, false
	}
	at, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return time.Time{}, false
	}
	want, err := s.ticketMAC(ctx, at, q)
	if err != nil || !hmac.Equal(got, want) {
		return time.Time{}, false
	}
	t := time.Unix(at, 0).UTC()
	if age := s.Now().Sub(t); age < -time.Minute || age > ticketTTL {
		return time.Time{}, false
	}
	return t, true
}

// oauthError is a refusal shown on tinhso's own error page, for requests
// that cannot be sent back to the application (unknown client, a
// redirect_uri not registered).
func oauthError(err error) *errs.Error {
	e := fosite.ErrorToRFC6749Error(err)
	key := "sso.error." + e.ErrorField
	if !locale.Has(locale.VI, key) {
		key = "sso.error.other"
	}
	status := e.CodeField
	if status < 400 {
		status = http.StatusBadRequest
	}
	var args []any
	if key == "sso.error.other" {
		args = []any{e.ErrorField}
	}
	return &errs.Error{Status: status, Code: e.ErrorField, Key: key, Args: args}
}

// authorize is the authorisation endpoint (GET, and POST from the consent
// form). It sends an official without a session to tinhso's login form and
// back, asks for consent on first use, and issues a code.
func (s *Store) authorize(w http.ResponseWriter, r *http.Request) error {
	ctx := s.withIssuer(r)
	r = r.WithContext(ctx)
	if err := r.ParseForm(); err != nil {
		return errs.BadRequest
	}
	q := r.Form
	clientID := truncate(q.Get("client_id"), 100)
	refused := func(ar fosite.AuthorizeRequester, err error, subject string) error {
		s.record(ctx, r, audit.Event{Kind: audit.SSOAuthorize, Subject: subject, Detail: "client=" + clientID + " " + errorDetail(err)})
		if ar == nil || !ar.IsRedirectURIValid() {
			return oauthError(err)
		}
		s.provider.WriteAuthorizeError(ctx, w, ar, err)
		return nil
	}
	// Redirect URIs match exactly: fosite would let a loopback address
	// change its port (RFC 8252); tinhso's registrations name the port.
	if c, err := s.Client(ctx, clientID); err == nil && q.Has("redirect_uri") && !slices.Contains(c.RedirectURIs, q.Get("redirect_uri")) {
		return refused(nil, fosite.ErrInvalidRequest.WithHint("The redirect_uri is not one the client registered."), "")
	}
	// Request objects are not supported (discovery says so): Core 6.1 and
	// 6.2 name the error, sent back to the application once the rest of the
	// request shows where to. fosite reads them before the redirect URI and
	// would call it invalid_request, or ignore it without openid.
	var unsupported error
	if q.Has("request_uri") {
		unsupported = fosite.ErrRequestURINotSupported.WithHint("Request objects by reference are not supported.")
	} else if q.Has("request") {
		unsupported = fosite.ErrRequestNotSupported.WithHint("Request objects are not supported.")
	}
	q.Del("request")
	q.Del("request_uri")
	ar, err := s.provider.NewAuthorizeRequest(ctx, r)
	if unsupported != nil && ar != nil && ar.IsRedirectURIValid() {
		err = unsupported
	}
	if err != nil {
		return refused(ar, err, "")
	}
	prompts := strings.Fields(q.Get("prompt"))
	none := slices.Contains(prompts, "none")
	now := s.Now().UTC().Truncate(time.Second)
	ticketAt, ticketed := s.checkTicket(ctx, q)
	p := principal(r)
	var started time.Time
	var amr []string
	if p != nil {
		var ok bool
		if started, amr, ok = s.auth.SessionStarted(r); !ok {
			p = nil
		}
	}
	// The upstream refused or failed a citizen's login (broker.go).
	if e, ok := brokerErrors[q.Get(brokerErrorParam)]; ok {
		return refused(ar, e, "")
	}
	// Citizens: asked for by acr_values, or signed in as one and not as an
	// official.
	if level := citizenLevel(q.Get("acr_values")); level > 0 || p == nil && s.citizenOf(r) != nil {
		return s.authorizeCitizen(w, r, ar, max(level, 1), refused)
	}
	if p == nil {
		if none {
			return refused(ar, fosite.ErrLoginRequired, "")
		}
		return s.toLogin(w, r, now, false)
	}
	authAt := started.UTC().Truncate(time.Second)
	if slices.Contains(prompts, "login") && (!ticketed || authAt.Before(ticketAt)) {
		if none {
			return refused(ar, fosite.ErrLoginRequired, p.Username)
		}
		return s.toLogin(w, r, now, true)
	}
	if maxAge, err := strconv.ParseInt(q.Get("max_age"), 10, 64); err == nil && maxAge >= 0 && q.Get("max_age") != "" {
		if authAt.Add(time.Duration(maxAge) * time.Second).Before(now) {
			if none {
				return refused(ar, fosite.ErrLoginRequired.WithHint("The session is older than max_age."), p.Username)
			}
			return s.toLogin(w, r, now, true)
		}
	}
	rat := now
	if ticketed && !ticketAt.After(now) {
		rat = ticketAt
	}

	fc, _ := ar.GetClient().(*fclient)
	if fc == nil {
		return refused(ar, fosite.ErrServerError, p.Username)
	}
	requested := ar.GetRequestedScopes()
	decided := r.Method == http.MethodPost && q.Get("decision") != ""
	switch {
	case decided && q.Get("decision") != "allow":
		s.record(ctx, r, audit.Event{Kind: audit.SSOConsent, Subject: p.Username, ActorID: p.UserID, Actor: p.Username, Detail: "client=" + fc.c.ID + " refused: " + strings.Join(requested, " ")})
		return refused(ar, fosite.ErrAccessDenied.WithHint("The official did not allow the application."), p.Username)
	case decided:
		if err := s.remember(ctx, r, officialConsents, p.UserID, p.Username, fc.c.ID, requested); err != nil {
			return err
		}
	default:
		ask := slices.Contains(prompts, "consent")
		if !ask && !fc.c.Trusted {
			ok, err := s.consented(ctx, officialConsents, p.UserID, fc.c.ID, requested)
			if err != nil {
				return err
			}
			ask = !ok
		}
		if ask {
			if none {
				return refused(ar, fosite.ErrConsentRequired, p.Username)
			}
			return s.consentPage(w, r, fc.c, requested)
		}
	}

	sess := newSession()
	sess.Subject = subjectOf(p.UserID)
	sess.Username = p.Username
	sess.UserID = p.UserID
	sess.SessionHash = auth.CurrentSessionHash(r)
	sess.SID = sessionID(sess.SessionHash)
	c := sess.IDTokenClaims()
	c.Subject = sess.Subject
	c.Issuer = issuerFrom(ctx)
	c.AuthTime = authAt
	c.RequestedAt = rat
	c.AuthenticationMethodsReferences = amr
	c.AuthenticationContextClassReference = ACROfficial
	if slices.Contains(amr, "otp") {
		c.AuthenticationContextClassReference = ACROfficialMFA
	}
	extra, err := s.claims(ctx, p.UserID, requested)
	if err != nil {
		return refused(ar, fosite.ErrAccessDenied.WithHint("The official's account is disabled."), p.Username)
	}
	extra["sid"] = sess.SID
	c.Extra = extra
	for _, sc := range requested {
		ar.GrantScope(sc)
	}
	resp, err := s.provider.NewAuthorizeResponse(ctx, ar, sess)
	if err != nil {
		return refused(ar, err, p.Username)
	}
	s.record(ctx, r, audit.Event{Kind: audit.SSOAuthorize, Success: true, Subject: p.Username, ActorID: p.UserID, Actor: p.Username,
		Detail: "client=" + fc.c.ID + " scope=" + strings.Join(requested, " ")})
	s.provider.WriteAuthorizeResponse(ctx, w, ar, resp)
	return nil
}

// toLogin sends the browser to tinhso's login form, and back to this
// request with a ticket saying when it first arrived. reauth asks a
// signed-in official to sign in again; login_hint fills the username and
// ui_locales picks the form's language.
func (s *Store) toLogin(w http.ResponseWriter, r *http.Request, now time.Time, reauth bool) error {
	q, err := s.ticketed(r, now)
	if err != nil {
		return err
	}
	login := url.Values{"next": {PathAuthorize + "?" + q.Encode()}}
	if reauth {
		login.Set("prompt", "login")
	}
	if hint := strings.TrimSpace(q.Get("login_hint")); hint != "" && len(hint) <= 64 {
		login.Set("username", hint)
	}
	s.uiLocales(w, q)
	http.Redirect(w, r, "/login?"+login.Encode(), http.StatusSeeOther)
	return nil
}

// toBroker sends a citizen to the upstream provider (broker.go), and back
// to this request with a ticket.
func (s *Store) toBroker(w http.ResponseWriter, r *http.Request, now time.Time) error {
	q, err := s.ticketed(r, now)
	if err != nil {
		return err
	}
	http.Redirect(w, r, PathCitizenLogin+"?"+url.Values{"next": {PathAuthorize + "?" + q.Encode()}}.Encode(), http.StatusSeeOther)
	return nil
}

// uiLocales sets the language of tinhso's pages from ui_locales.
func (s *Store) uiLocales(w http.ResponseWriter, q url.Values) {
	for _, tag := range strings.Fields(q.Get("ui_locales")) {
		if l := locale.Parse(tag); strings.HasPrefix(strings.ToLower(tag), string(l)) {
			http.SetCookie(w, &http.Cookie{Name: "lang", Value: string(l), Path: "/", MaxAge: 365 * 86400, SameSite: http.SameSiteLaxMode, Secure: s.auth.SecureCookies})
			break
		}
	}
}

// ticketed is the request's parameters with a ticket saying when it first
// arrived (the upstream's error, if any, is not carried further).
func (s *Store) ticketed(r *http.Request, now time.Time) (url.Values, error) {
	q := url.Values{}
	for k, v := range r.URL.Query() {
		q[k] = v
	}
	if r.Method == http.MethodPost {
		q = url.Values{}
		for k, v := range r.Form {
			if k != "csrf" && k != "decision" {
				q[k] = v
			}
		}
	}
	q.Del(brokerErrorParam)
	t, err := s.ticket(r.Context(), now, q)
	if err != nil {
		return nil, err
	}
	q.Set(ticketParam, t)
	return q, nil
}

// consentTable is where an official's or a citizen's consents are kept.
type consentTable struct{ table, column string }

var (
	officialConsents = consentTable{"sso_consents", "user_id"}
	citizenConsents  = consentTable{"sso_citizen_consents", "citizen_id"}
)

// consented reports whether the official allowed the client every scope
// asked for before.
func (s *Store) consented(ctx context.Context, t consentTable, user int64, client string, scopes []string) (bool, error) {
	var granted string
	err := s.db.Read.QueryRowContext(ctx, `SELECT scopes FROM `+t.table+` WHERE `+t.column+` = $1 AND client_id = $2`, user, client).Scan(&granted)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	have := strings.Fields(granted)
	for _, sc := range scopes {
		if !slices.Contains(have, sc) {
			return false, nil
		}
	}
	return true, nil
}

// remember records a consent (what was allowed before stays allowed).
func (s *Store) remember(ctx context.Context, r *http.Request, t consentTable, user int64, username, client string, scopes []string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var before string
		err := tx.QueryRowContext(ctx, `SELECT scopes FROM `+t.table+` WHERE `+t.column+` = $1 AND client_id = $2`, user, client).Scan(&before)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		all := strings.Fields(before)
		for _, sc := range scopes {
			if !slices.Contains(all, sc) {
				all = append(all, sc)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE `+t.column+` = $1 AND client_id = $2`, user, client); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+t.table+` (`+t.column+`, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4)`, user, client, strings.Join(all, " "), store.Now()); err != nil {
			return err
		}
		e := audit.From(r, audit.SSOConsent, username, "client="+client+" scope="+strings.Join(scopes, " "), true)
		if t == officialConsents {
			e.ActorID, e.Actor = user, username
		}
		return audit.Record(ctx, tx, e)
	})
}

type consentData struct {
	Client Client
	Scopes []string    // what each asked-for scope gives, in the reader's language
	Params [][2]string // the request, sent again with the decision
}

func (s *Store) consentPage(w http.ResponseWriter, r *http.Request, c Client, scopes []string) error {
	d := consentData{Client: c}
	lang := locale.FromRequest(r)
	for _, sc := range scopes {
		if key := "sso.scope." + sc; locale.Has(lang, key) {
			d.Scopes = append(d.Scopes, locale.T(lang, key))
		} else {
			d.Scopes = append(d.Scopes, locale.T(lang, "sso.scope.other", sc))
		}
	}
	keys := make([]string, 0, len(r.Form))
	for k := range r.Form {
		if k != "csrf" && k != "decision" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range r.Form[k] {
			d.Params = append(d.Params, [2]string{k, v})
		}
	}
	auth.AllowFormTargets(w, redirectOrigins(c.RedirectURIs, r.Form.Get("redirect_uri")))
	return consentView.Render(w, r, d)
}

var consentView = web.NewPage(templates, "templates/consent.html")
