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
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
)

// TokenPrefix starts every API token, so a leaked one is easy to recognise
// (secret scanners, logs).
const TokenPrefix = "tsk_"

// Token is an API token as listed to its owner; the secret itself is shown
// once, at creation.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix" doc:"the first characters, to recognise the token"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
}

// NewToken is the answer to a token creation: the secret, once.
type NewToken struct {
	Token
	Secret string `json:"token" doc:"send as Authorization: Bearer <token>; shown only now"`
}

// TokenInput names a new token.
type TokenInput struct {
	Name          string `json:"name"`
	ExpiresInDays int    `json:"expiresInDays,omitempty" doc:"0 for no expiry"`
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// CreateToken issues a token for user inside tx.
func CreateToken(ctx context.Context, tx *sql.Tx, user int64, in TokenInput) (NewToken, error) {
	in.Name = strings.TrimSpace(in.Name)
	var v errs.Validator
	v.Check(in.Name != "", "name", "required")
	v.Check(len(in.Name) <= 100, "name", "too_long", 100)
	v.Check(in.ExpiresInDays >= 0 && in.ExpiresInDays <= 3650, "expiresInDays", "range", 0, 3650)
	if err := v.Err(); err != nil {
		return NewToken{}, err
	}
	secret := TokenPrefix + password.Random(32)
	t := NewToken{Secret: secret, Token: Token{Name: in.Name, Prefix: secret[:len(TokenPrefix)+6], CreatedAt: store.Now()}}
	if in.ExpiresInDays > 0 {
		exp := t.CreatedAt.AddDate(0, 0, in.ExpiresInDays)
		t.ExpiresAt = &exp
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		user, t.Name, hashSecret(secret), t.Prefix, t.CreatedAt, t.ExpiresAt).Scan(&t.ID)
	return t, err
}

// Tokens lists the tokens of a user, newest first.
func Tokens(ctx context.Context, db *store.DB, user int64) ([]Token, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT id, name, prefix, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, user)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		var exp, used, rev sql.NullTime
		if err := rows.Scan(&t.ID, &t.Name, &t.Prefix, &t.CreatedAt, &exp, &used, &rev); err != nil {
			return nil, err
		}
		t.ExpiresAt, t.LastUsedAt, t.RevokedAt = nullTime(exp), nullTime(used), nullTime(rev)
		out = append(out, t)
	}
	return out, rows.Err()
}

func nullTime(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}

// RevokeToken revokes one of user's tokens and returns its name.
func RevokeToken(ctx context.Context, tx *sql.Tx, user, id int64) (string, error) {
	var name string
	err := tx.QueryRowContext(ctx, `SELECT name FROM api_tokens WHERE id = $1 AND user_id = $2`, id, user).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.NotFound
	} else if err != nil {
		return "", err
	}
	_, err = tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, store.Now(), id)
	return name, err
}

// tokenUser resolves a bearer token to its user, or 0 when the token is
// unknown, revoked or expired. It records the use at most once a minute.
func tokenUser(ctx context.Context, db *store.DB, secret string) (int64, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return 0, nil
	}
	var id, user int64
	var exp, rev, used sql.NullTime
	err := db.Read.QueryRowContext(ctx, `SELECT id, user_id, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1`, hashSecret(secret)).
		Scan(&id, &user, &exp, &rev, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	now := store.Now()
	if rev.Valid || (exp.Valid && exp.Time.Before(now)) {
		return 0, nil
	}
	if !used.Valid || now.Sub(used.Time) > time.Minute {
		db.Write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now, id)
	}
	return user, nil
}
