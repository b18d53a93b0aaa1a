package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
)

// TokenPrefix starts every API token, so a leaked one is easy to recognise
// (secret scanners, logs).
const TokenPrefix = "tsk_"

// Lifetimes bound API tokens: Default for a token asked for without a
// lifetime, Max for any token. Every token expires: a leaked one stops by
// itself, and one made before a maximum was set ends at it (tokenUser).
type Lifetimes struct{ Default, Max time.Duration }

// The configuration's default lifetimes (--token-ttl, --token-max-ttl).
const (
	DefaultTokenTTL = 90 * 24 * time.Hour
	MaxTokenTTL     = 365 * 24 * time.Hour
)

// MaxDays is the longest lifetime in whole days a person may ask for.
func (l Lifetimes) MaxDays() int { return int(l.Max / (24 * time.Hour)) }

// DefaultDays is the default lifetime in days, rounded up, for forms.
func (l Lifetimes) DefaultDays() int { return int((l.Default + 24*time.Hour - 1) / (24 * time.Hour)) }

// NewToken is the answer to a token creation: the secret, once.
type NewToken struct {
	org.Token
	Secret string `json:"token" doc:"send as Authorization: Bearer <token>; shown only now"`
}

// TokenInput names a new token and, optionally, its lifetime.
type TokenInput struct {
	Name          string `json:"name"`
	ExpiresInDays int    `json:"expiresInDays,omitempty" doc:"lifetime in days, at most the server's maximum (--token-max-ttl); the server's default (--token-ttl) when absent or 0"`
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// CreateToken issues a token for user inside tx, with the lifetime asked
// for within life.Max, or life.Default.
func CreateToken(ctx context.Context, tx *sql.Tx, user int64, in TokenInput, life Lifetimes) (NewToken, error) {
	in.Name = strings.TrimSpace(in.Name)
	v := errs.Validator{Context: "token"}
	v.Check(in.Name != "", "name", "required")
	v.Text("name", in.Name, errs.Short)
	v.Check(in.ExpiresInDays >= 0 && in.ExpiresInDays <= life.MaxDays(), "expiresInDays", "range", 1, life.MaxDays())
	if err := v.Err(); err != nil {
		return NewToken{}, err
	}
	secret := TokenPrefix + password.Random(32)
	t := NewToken{Secret: secret, Token: org.Token{Name: in.Name, Prefix: secret[:len(TokenPrefix)+6], CreatedAt: store.Now()}}
	exp := t.CreatedAt.Add(life.Default)
	if in.ExpiresInDays > 0 {
		exp = t.CreatedAt.AddDate(0, 0, in.ExpiresInDays)
	}
	t.ExpiresAt = &exp
	err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		user, t.Name, hashSecret(secret), t.Prefix, t.CreatedAt, t.ExpiresAt).Scan(&t.ID)
	return t, err
}

// tokenUser resolves a bearer token to its user, or 0 when the token is
// unknown, revoked or expired, or older than the maximum lifetime (a token
// made before there was one, or before it was lowered). It records the use
// at most once a minute.
func (s *Service) tokenUser(ctx context.Context, secret string) (int64, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return 0, nil
	}
	var id, user int64
	var created time.Time
	var exp, rev, used sql.NullTime
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id, user_id, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1`, hashSecret(secret)).
		Scan(&id, &user, &created, &exp, &rev, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	now := store.Now()
	if rev.Valid || (exp.Valid && !exp.Time.After(now)) || !created.Add(s.Tokens.Max).After(now) {
		return 0, nil
	}
	if !used.Valid || now.Sub(used.Time) > time.Minute {
		s.DB.Write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now, id)
	}
	return user, nil
}
