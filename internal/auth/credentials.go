package auth

// Credentials in the Authorization header, as API clients send them:
// tinhso's "Bearer <token>"; DHIS2 clients' "ApiToken <token>"; and HTTP
// Basic, with an API token as the password (the username must be the
// token's owner) or, over TLS only, the official's real password. Failed
// Basic and ApiToken attempts are recorded as failed logins, so they count
// towards the same throttle as the login form; a password over plain HTTP
// is refused without being checked, and recorded.

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
)

// ErrBasicNeedsTLS refuses a real password sent with Basic over plain
// HTTP: it crossed the network readable, so it is not even checked.
var ErrBasicNeedsTLS = &errs.Error{Status: 401, Code: "basic_needs_tls", Key: "error.basic_needs_tls"}

const (
	bearerChallenge = `Bearer realm="tinhso", error="invalid_token"`
	basicChallenge  = `Basic realm="tinhso", charset="UTF-8"`
)

// credentialUser resolves an Authorization header to a user (0 when the
// credentials name nobody) and the challenge to answer a refusal with.
func (s *Service) credentialUser(r *http.Request, header string) (int64, string, error) {
	ctx := r.Context()
	scheme, cred, _ := strings.Cut(strings.TrimSpace(header), " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer":
		user, err := s.tokenUser(ctx, cred)
		return user, bearerChallenge, err
	case "apitoken":
		user, err := s.tokenUser(ctx, cred)
		if err == nil && user == 0 {
			err = s.failedLogin(ctx, r, "", "api token rejected")
		}
		return user, `ApiToken realm="tinhso"`, err
	case "basic":
		user, err := s.basicUser(r, cred)
		return user, basicChallenge, err
	}
	return 0, bearerChallenge, nil
}

// failedLogin records a failed attempt (counted by Failures) and returns
// the refusal to answer with.
func (s *Service) failedLogin(ctx context.Context, r *http.Request, username, detail string) error {
	ev := audit.Event{Kind: audit.Login, Subject: username, IP: httpx.ClientIP(r), Detail: detail}
	if err := audit.Record(ctx, s.DB.Write, ev); err != nil {
		return err
	}
	return errs.Unauthorized
}

// throttled reports whether an account or address has failed too often.
func (s *Service) throttled(ctx context.Context, r *http.Request, username string) (bool, error) {
	since := store.Now().Add(-ThrottleWindow)
	byAccount, err := audit.Failures(ctx, s.DB, audit.Login, "subject", username, since)
	if err != nil {
		return false, err
	}
	byAddress, err := audit.Failures(ctx, s.DB, audit.Login, "ip", httpx.ClientIP(r), since)
	if err != nil {
		return false, err
	}
	return byAccount >= MaxAccountFailures || byAddress >= MaxAddressFailures, nil
}

// basicUser checks HTTP Basic credentials.
func (s *Service) basicUser(r *http.Request, cred string) (int64, error) {
	ctx := r.Context()
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return 0, s.failedLogin(ctx, r, "", "basic: malformed credentials")
	}
	username, secret, ok := strings.Cut(string(raw), ":")
	username = strings.ToLower(strings.TrimSpace(username))
	if !ok || username == "" || secret == "" {
		return 0, s.failedLogin(ctx, r, username, "basic: malformed credentials")
	}
	if strings.HasPrefix(secret, TokenPrefix) {
		user, err := s.tokenUser(ctx, secret)
		if err != nil {
			return 0, err
		}
		if user != 0 {
			o, err := s.Org.Official(ctx, user)
			if err != nil && !errors.Is(err, errs.NotFound) {
				return 0, err
			}
			if err == nil && strings.EqualFold(o.Username, username) {
				return user, nil
			}
		}
		return 0, s.failedLogin(ctx, r, username, "basic: api token rejected")
	}
	if r.TLS == nil {
		if err := s.failedLogin(ctx, r, username, "basic: password over plain HTTP refused"); !errors.Is(err, errs.Unauthorized) {
			return 0, err
		}
		return 0, ErrBasicNeedsTLS
	}
	if t, err := s.throttled(ctx, r, username); err != nil {
		return 0, err
	} else if t {
		ev := audit.Event{Kind: audit.Login, Subject: username, IP: httpx.ClientIP(r), Detail: "throttled"}
		if err := audit.Record(ctx, s.DB.Write, ev); err != nil {
			return 0, err
		}
		return 0, ErrThrottled
	}
	id, hash, disabled, err := s.Org.PasswordHash(ctx, username)
	if errors.Is(err, errs.NotFound) {
		password.Check(dummyHash, secret)
		return 0, s.failedLogin(ctx, r, username, "basic: unknown account")
	} else if err != nil {
		return 0, err
	}
	if ok, err := password.Check(hash, secret); err != nil || !ok {
		return 0, s.failedLogin(ctx, r, username, "basic: wrong password")
	}
	if disabled {
		return 0, s.failedLogin(ctx, r, username, "basic: account disabled")
	}
	// A password alone must not open an account that signs in with a
	// second factor: such accounts use an API token as the password.
	p, err := s.Org.Principal(ctx, id)
	if err != nil {
		return 0, s.failedLogin(ctx, r, username, "basic: account disabled")
	}
	if enrolled, err := s.totpEnrolled(ctx, id); err != nil {
		return 0, err
	} else if enrolled || s.totpRequired(p) {
		return 0, s.failedLogin(ctx, r, username, "basic: password refused, the account has a second factor (use an API token)")
	}
	return id, nil
}
