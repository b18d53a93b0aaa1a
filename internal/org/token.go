package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/store"
)

// Token is an official's API token as its owner and their administrators
// see it; the secret itself is shown once, at creation (package auth
// issues and checks tokens). Listing and revoking live here, beside the
// officials, because administrators do both on the official's page, and
// auth, which imports org, reuses them for the owner.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix" doc:"the first characters, to recognise the token"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
}

// Expired reports whether the token has passed its expiry at now.
func (t Token) Expired(now time.Time) bool { return t.ExpiresAt != nil && !t.ExpiresAt.After(now) }

// Tokens lists the API tokens of a user, newest first.
func (s *Store) Tokens(ctx context.Context, user int64) ([]Token, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, name, prefix, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, user)
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

// RevokeToken revokes one of user's tokens and returns its name with its
// prefix; revoking a revoked token again changes nothing.
func (s *Store) RevokeToken(ctx context.Context, tx *sql.Tx, user, id int64) (string, error) {
	var name, prefix string
	err := tx.QueryRowContext(ctx, `SELECT name, prefix FROM api_tokens WHERE id = $1 AND user_id = $2`, id, user).Scan(&name, &prefix)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.NotFound
	} else if err != nil {
		return "", err
	}
	_, err = tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, store.Now(), id)
	return name + " (" + prefix + "…)", err
}

// RevokeAllTokens revokes every live token of user and returns how many.
func (s *Store) RevokeAllTokens(ctx context.Context, tx *sql.Tx, user int64) (int, error) {
	res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, store.Now(), user)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// officialTokens lists the tokens of an official to an administrator who
// manages them.
func (s *Store) officialTokens(r *http.Request, id int64) ([]Token, error) {
	cur, err := s.Official(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, cur.UnitID); err != nil {
		return nil, err
	}
	return s.Tokens(r.Context(), id)
}

// revokeOfficialToken is an administrator's revocation of one token of an
// official they manage, audited under the official's name.
func (s *Store) revokeOfficialToken(r *http.Request, id int64, token string) error {
	cur, err := s.Official(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, cur.UnitID); err != nil {
		return err
	}
	tid, err := strconv.ParseInt(token, 10, 64)
	if err != nil || tid <= 0 {
		return errs.NotFound
	}
	return s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		name, err := s.RevokeToken(r.Context(), tx, id, tid)
		if err != nil {
			return err
		}
		return audit.Record(r.Context(), tx, audit.From(r, audit.TokenRevoke, cur.Username, fmt.Sprintf("%s, by an administrator", name), true))
	})
}
