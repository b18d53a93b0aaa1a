package sso

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/tinhso/tinhso/internal/store"
)

// Kinds of grant row (sso_grants.kind).
const (
	kindCode    = "code"
	kindAccess  = "access"
	kindRefresh = "refresh"
	kindOIDC    = "oidc"
	kindPKCE    = "pkce"
)

// storage is fosite's persistence on plain SQL, the same statements on
// SQLite and PostgreSQL. It implements fosite.Storage, the code, token,
// PKCE and OpenID request storages, token revocation and
// storage.Transactional: fosite begins a transaction where a flow must be
// atomic (a code exchanged for tokens, a refresh token rotated), and every
// call made with that context runs inside it.
type storage struct {
	db      *store.DB
	clients *Store
}

type txKey struct{}

// BeginTX opens a transaction that the calls made with the returned
// context share.
func (s *storage) BeginTX(ctx context.Context) (context.Context, error) {
	if _, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return ctx, nil
	}
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, txKey{}, tx), nil
}

// Commit commits the context's transaction.
func (s *storage) Commit(ctx context.Context) error {
	tx, ok := ctx.Value(txKey{}).(*sql.Tx)
	if !ok {
		return errors.New("sso: commit without a transaction")
	}
	return tx.Commit()
}

// Rollback rolls the context's transaction back.
func (s *storage) Rollback(ctx context.Context) error {
	tx, ok := ctx.Value(txKey{}).(*sql.Tx)
	if !ok {
		return errors.New("sso: rollback without a transaction")
	}
	err := tx.Rollback()
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// q is the context's transaction, or the database: writes go to the
// writer, reads inside a transaction see what it wrote.
func (s *storage) q(ctx context.Context) store.Querier {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return tx
	}
	return s.db.Write
}

func (s *storage) read(ctx context.Context) store.Querier {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return tx
	}
	return s.db.Read
}

// secretParams never reach the database, whatever a handler keeps of a
// request's form.
var secretParams = []string{"client_secret", "code_verifier", "refresh_token", "code", "password", "client_assertion", "token"}

func (s *storage) create(ctx context.Context, kind, signature, accessSignature string, r fosite.Requester) error {
	sess, _ := r.GetSession().(*Session)
	if sess == nil {
		sess = newSession()
	}
	data, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	form := url.Values{}
	for k, v := range r.GetRequestForm() {
		form[k] = v
	}
	for _, k := range secretParams {
		form.Del(k)
	}
	var exp any
	switch kind {
	case kindCode, kindOIDC, kindPKCE:
		if t := sess.GetExpiresAt(fosite.AuthorizeCode); !t.IsZero() {
			exp = t.UTC()
		}
	case kindAccess:
		if t := sess.GetExpiresAt(fosite.AccessToken); !t.IsZero() {
			exp = t.UTC()
		}
	case kindRefresh:
		if t := sess.GetExpiresAt(fosite.RefreshToken); !t.IsZero() {
			exp = t.UTC()
		}
	}
	var user any
	if sess.UserID != 0 {
		user = sess.UserID
	}
	_, err = s.q(ctx).ExecContext(ctx, `INSERT INTO sso_grants (kind, signature, request_id, client_id, subject, user_id, sid, session_hash, requested_at, expires_at,
		scopes, granted_scopes, audience, granted_audience, form, session, access_signature, active)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $18, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		kind, signature, r.GetID(), r.GetClient().GetID(), sess.GetSubject(), user, sess.SID, r.GetRequestedAt().UTC(), exp,
		strings.Join(r.GetRequestedScopes(), " "), strings.Join(r.GetGrantedScopes(), " "),
		strings.Join(r.GetRequestedAudience(), " "), strings.Join(r.GetGrantedAudience(), " "),
		form.Encode(), string(data), accessSignature, true, sess.SessionHash)
	return err
}

// get loads a grant into session (a fresh one when nil); inactive rows come
// back with active false, for the caller to say what that means.
func (s *storage) get(ctx context.Context, kind, signature string, session fosite.Session) (fosite.Requester, bool, error) {
	var id, client, scopes, granted, aud, gaud, form, data, sessionHash string
	var at time.Time
	var active bool
	err := s.read(ctx).QueryRowContext(ctx, `SELECT request_id, client_id, requested_at, scopes, granted_scopes, audience, granted_audience, form, session, active, session_hash
		FROM sso_grants WHERE kind = $1 AND signature = $2`, kind, signature).
		Scan(&id, &client, &at, &scopes, &granted, &aud, &gaud, &form, &data, &active, &sessionHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, fosite.ErrNotFound
	} else if err != nil {
		return nil, false, err
	}
	c, err := s.clients.GetClient(ctx, client)
	if err != nil {
		return nil, false, err
	}
	if session == nil {
		session = newSession()
	}
	if err := json.Unmarshal([]byte(data), session); err != nil {
		return nil, false, fmt.Errorf("sso: grant %s session: %w", kind, err)
	}
	if us, ok := session.(*Session); ok {
		us.SessionHash = sessionHash
	}
	values, _ := url.ParseQuery(form)
	return &fosite.Request{
		ID: id, RequestedAt: at, Client: c, Form: values, Session: session,
		RequestedScope: fields(scopes), GrantedScope: fields(granted),
		RequestedAudience: fields(aud), GrantedAudience: fields(gaud),
	}, active, nil
}

func fields(s string) fosite.Arguments {
	f := strings.Fields(s)
	if f == nil {
		return fosite.Arguments{}
	}
	return f
}

func (s *storage) delete(ctx context.Context, kind, signature string) error {
	_, err := s.q(ctx).ExecContext(ctx, `DELETE FROM sso_grants WHERE kind = $1 AND signature = $2`, kind, signature)
	return err
}

// GetClient loads a registered client (fosite.ClientManager).
func (s *storage) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	return s.clients.GetClient(ctx, id)
}

// ClientAssertionJWTValid refuses a client assertion identifier seen before.
func (s *storage) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	var n int
	if err := s.read(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM sso_jtis WHERE jti = $1 AND expires_at > $2`, jti, store.Now()).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fosite.ErrJTIKnown
	}
	return nil
}

// SetClientAssertionJWT remembers a client assertion identifier until exp.
func (s *storage) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	if _, err := s.q(ctx).ExecContext(ctx, `DELETE FROM sso_jtis WHERE expires_at < $1`, store.Now()); err != nil {
		return err
	}
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO sso_jtis (jti, expires_at) VALUES ($1, $2)`, jti, exp.UTC())
	if store.IsUniqueViolation(err) {
		return fosite.ErrJTIKnown
	}
	return err
}

// CreateAuthorizeCodeSession stores a code's request.
func (s *storage) CreateAuthorizeCodeSession(ctx context.Context, code string, r fosite.Requester) error {
	return s.create(ctx, kindCode, code, "", r)
}

// GetAuthorizeCodeSession loads a code's request; a code used before comes
// back with ErrInvalidatedAuthorizeCode and its request, so that fosite
// revokes what the first use issued.
func (s *storage) GetAuthorizeCodeSession(ctx context.Context, code string, session fosite.Session) (fosite.Requester, error) {
	r, active, err := s.get(ctx, kindCode, code, session)
	if err != nil {
		return nil, err
	}
	if !active {
		return r, fosite.ErrInvalidatedAuthorizeCode
	}
	return r, nil
}

// InvalidateAuthorizeCodeSession marks a code used. Only one of two
// exchanges racing with the same code gets here first: the other finds it
// used (the row lock orders them) and its transaction rolls back.
func (s *storage) InvalidateAuthorizeCodeSession(ctx context.Context, code string) error {
	res, err := s.q(ctx).ExecContext(ctx, `UPDATE sso_grants SET active = $1 WHERE kind = $2 AND signature = $3 AND active = $4`, false, kindCode, code, true)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fosite.ErrSerializationFailure
	}
	return nil
}

// CreateAccessTokenSession stores an access token's request.
func (s *storage) CreateAccessTokenSession(ctx context.Context, signature string, r fosite.Requester) error {
	return s.create(ctx, kindAccess, signature, "", r)
}

// GetAccessTokenSession loads an access token's request.
func (s *storage) GetAccessTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	r, active, err := s.get(ctx, kindAccess, signature, session)
	if err != nil {
		return nil, err
	}
	if !active {
		return nil, fosite.ErrNotFound
	}
	return r, nil
}

// DeleteAccessTokenSession forgets an access token.
func (s *storage) DeleteAccessTokenSession(ctx context.Context, signature string) error {
	return s.delete(ctx, kindAccess, signature)
}

// CreateRefreshTokenSession stores a refresh token's request.
func (s *storage) CreateRefreshTokenSession(ctx context.Context, signature, accessSignature string, r fosite.Requester) error {
	return s.create(ctx, kindRefresh, signature, accessSignature, r)
}

// GetRefreshTokenSession loads a refresh token's request; one rotated or
// revoked comes back with ErrInactiveToken and its request, so that fosite
// treats a second use as theft and revokes the whole grant.
func (s *storage) GetRefreshTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	r, active, err := s.get(ctx, kindRefresh, signature, session)
	if err != nil {
		return nil, err
	}
	if !active {
		return r, fosite.ErrInactiveToken
	}
	return r, nil
}

// DeleteRefreshTokenSession forgets a refresh token.
func (s *storage) DeleteRefreshTokenSession(ctx context.Context, signature string) error {
	return s.delete(ctx, kindRefresh, signature)
}

// RotateRefreshToken retires the grant's refresh tokens (kept, inactive, to
// recognise a replay) and deletes its access tokens.
func (s *storage) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	// The token presented is retired first, on condition that it was
	// still active: of two refreshes racing with one token, the second
	// finds it retired and fails (fosite answers "retry"), so one token
	// never yields two.
	res, err := s.q(ctx).ExecContext(ctx, `UPDATE sso_grants SET active = $1 WHERE kind = $2 AND signature = $3 AND active = $4`, false, kindRefresh, signature, true)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fosite.ErrSerializationFailure
	}
	if err := s.RevokeRefreshToken(ctx, requestID); err != nil {
		return err
	}
	return s.RevokeAccessToken(ctx, requestID)
}

// RevokeRefreshToken marks every refresh token of a grant inactive.
func (s *storage) RevokeRefreshToken(ctx context.Context, requestID string) error {
	_, err := s.q(ctx).ExecContext(ctx, `UPDATE sso_grants SET active = $1 WHERE kind = $2 AND request_id = $3`, false, kindRefresh, requestID)
	return err
}

// RevokeAccessToken deletes every access token of a grant.
func (s *storage) RevokeAccessToken(ctx context.Context, requestID string) error {
	_, err := s.q(ctx).ExecContext(ctx, `DELETE FROM sso_grants WHERE kind = $1 AND request_id = $2`, kindAccess, requestID)
	return err
}

// CreatePKCERequestSession stores a code's challenge.
func (s *storage) CreatePKCERequestSession(ctx context.Context, signature string, r fosite.Requester) error {
	return s.create(ctx, kindPKCE, signature, "", r)
}

// GetPKCERequestSession loads a code's challenge.
func (s *storage) GetPKCERequestSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	r, _, err := s.get(ctx, kindPKCE, signature, session)
	return r, err
}

// DeletePKCERequestSession forgets a code's challenge.
func (s *storage) DeletePKCERequestSession(ctx context.Context, signature string) error {
	return s.delete(ctx, kindPKCE, signature)
}

// CreateOpenIDConnectSession stores the OpenID request of a code.
func (s *storage) CreateOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) error {
	return s.create(ctx, kindOIDC, code, "", r)
}

// GetOpenIDConnectSession loads the OpenID request of a code.
func (s *storage) GetOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) (fosite.Requester, error) {
	// Loaded into a session of its own: the caller's is the token
	// request's, which fosite fills from the code.
	got, _, err := s.get(ctx, kindOIDC, code, nil)
	return got, err
}

// DeleteOpenIDConnectSession forgets the OpenID request of a code.
func (s *storage) DeleteOpenIDConnectSession(ctx context.Context, code string) error {
	return s.delete(ctx, kindOIDC, code)
}

// sweep deletes what can no longer be used: expired rows, kept a day past
// their expiry so that a late replay is still recognised (and revokes).
func (s *storage) sweep(ctx context.Context) error {
	if _, err := s.db.Write.ExecContext(ctx, `DELETE FROM sso_grants WHERE expires_at < $1`, store.Now().Add(-24*time.Hour)); err != nil {
		return err
	}
	_, err := s.db.Write.ExecContext(ctx, `DELETE FROM sso_jtis WHERE expires_at < $1`, store.Now())
	return err
}
