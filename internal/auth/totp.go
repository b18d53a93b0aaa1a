package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/web"
)

// The second factor: TOTP (RFC 6238: 6 digits, 30 seconds, SHA-1, what
// every authenticator application reads from a QR code), with recovery
// codes. Officials holding one of Service.TOTPRoles must enrol at their
// next login; others may from their account page.
const (
	pendingCookie     = "tinhso_2fa"
	pendingTTL        = 10 * time.Minute
	totpPeriod        = 30
	RecoveryCodeCount = 10
)

// Purposes of a pending login.
const (
	pendingTOTP   = "totp"   // enter a code
	pendingEnroll = "enroll" // scan the secret, enter a code
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// SecondFactor is the answer to a correct password when a second factor
// is awaited: the browser keeps Secret in a cookie and goes to /login/totp.
type SecondFactor struct {
	Secret  string
	Purpose string
}

func (e *SecondFactor) Error() string { return "auth: second factor awaited (" + e.Purpose + ")" }

// ErrBadCode is a wrong or reused one-time code or recovery code.
var ErrBadCode = &errs.Error{Status: 401, Code: "bad_code", Key: "error.bad_code"}

// totpRequired reports whether p must have a second factor.
func (s *Service) totpRequired(p *org.Principal) bool {
	return slices.ContainsFunc(s.TOTPRoles, p.Has)
}

func (s *Service) totpEnrolled(ctx context.Context, user int64) (bool, error) {
	var n int
	err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_totp WHERE user_id = $1`, user).Scan(&n)
	return n > 0, err
}

// secondFactor opens a pending login when p has a second factor or must
// enrol one; nil when the password is enough.
func (s *Service) secondFactor(ctx context.Context, r *http.Request, p *org.Principal, next string) (*SecondFactor, error) {
	enrolled, err := s.totpEnrolled(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	switch {
	case enrolled:
		return s.pend(ctx, r, p, pendingTOTP, next)
	case s.totpRequired(p):
		return s.pend(ctx, r, p, pendingEnroll, next)
	}
	return nil, nil
}

func (s *Service) pend(ctx context.Context, r *http.Request, p *org.Principal, purpose, next string) (*SecondFactor, error) {
	var secret string
	if purpose == pendingEnroll {
		key, err := totp.Generate(totp.GenerateOpts{Issuer: "tinhso", AccountName: p.Username, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return nil, err
		}
		if secret, err = s.sealSecret(key.Secret()); err != nil {
			return nil, err
		}
	}
	token := password.Random(32)
	now := store.Now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_pending WHERE expires_at < $1 OR user_id = $2`, now, p.UserID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_pending (token_hash, user_id, purpose, secret, next, replaces, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			hashSecret(token), p.UserID, purpose, secret, httpx.LocalPath(next), CurrentSessionHash(r), now, now.Add(pendingTTL))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &SecondFactor{Secret: token, Purpose: purpose}, nil
}

// sealSecret is what auth_totp and auth_pending store of a TOTP secret:
// sealed with the operator's secret when there is one (internal/seal), as
// base64 text.
func (s *Service) sealSecret(secret string) (string, error) {
	b, err := s.Sealer.Seal([]byte(secret))
	return base64.StdEncoding.EncodeToString(b), err
}

func (s *Service) openSecret(stored string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(stored)
	if err != nil {
		return "", fmt.Errorf("auth: stored TOTP secret: %w", err)
	}
	plain, err := s.Sealer.Open(b)
	return string(plain), err
}

type pending struct {
	hash, purpose, secret, next, replaces string
	p                                     *org.Principal
}

func (s *Service) pendingOf(r *http.Request) (*pending, error) {
	c, err := r.Cookie(pendingCookie)
	if err != nil || c.Value == "" {
		return nil, errs.NotFound
	}
	pd := &pending{hash: hashSecret(c.Value)}
	var user int64
	err = s.DB.Read.QueryRowContext(r.Context(), `SELECT user_id, purpose, secret, next, replaces FROM auth_pending WHERE token_hash = $1 AND expires_at > $2`, pd.hash, store.Now()).
		Scan(&user, &pd.purpose, &pd.secret, &pd.next, &pd.replaces)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound
	} else if err != nil {
		return nil, err
	}
	if pd.p, err = s.Org.Principal(r.Context(), user); err != nil {
		return nil, errs.NotFound
	}
	if pd.secret != "" {
		if pd.secret, err = s.openSecret(pd.secret); err != nil {
			return nil, err
		}
	}
	return pd, nil
}

func (s *Service) setPendingCookie(w http.ResponseWriter, secret string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: secret, Path: "/", HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: maxAge})
}

// totpStep finds the time step a code belongs to (now, or one step either
// side for a clock a little off); 0 when it matches none.
func totpStep(secret, code string, now time.Time) int64 {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0
	}
	for _, d := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(d*totpPeriod) * time.Second)
		if want, err := totp.GenerateCodeCustom(secret, t, totpOpts); err == nil && want == code {
			return t.Unix() / totpPeriod
		}
	}
	return 0
}

func recoveryHash(code string) string {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	sum := sha256.Sum256([]byte("tinhso recovery\x00" + c))
	return hex.EncodeToString(sum[:])
}

// newRecoveryCodes makes a fresh set inside tx, replacing the old one.
func newRecoveryCodes(ctx context.Context, tx *sql.Tx, user int64) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM auth_recovery_codes WHERE user_id = $1`, user); err != nil {
		return nil, err
	}
	var out []string
	for range RecoveryCodeCount {
		raw := recoveryLetters()
		code := raw[:5] + "-" + raw[5:]
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_recovery_codes (user_id, code_hash) VALUES ($1, $2)`, user, recoveryHash(code)); err != nil {
			return nil, err
		}
		out = append(out, code)
	}
	return out, nil
}

// recoveryLetters are 10 random letters and digits that cannot be misread
// (no 0/o, 1/l/i): 31^10, about 50 bits.
func recoveryLetters() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 10)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

type totpData struct {
	Enroll bool
	Secret string       // the secret to type when the QR code cannot be scanned
	QR     template.URL // data: URL of the QR code's PNG (made here, so trusted)
	URL    string
}

var (
	totpPage     = web.NewPage(templates, "templates/totp.html")
	recoveryPage = web.NewPage(templates, "templates/recovery.html")
)

func (s *Service) totpView(pd *pending) (totpData, error) {
	d := totpData{Enroll: pd.purpose == pendingEnroll}
	if !d.Enroll {
		return d, nil
	}
	key, err := otp.NewKeyFromURL("otpauth://totp/tinhso:" + pd.p.Username + "?secret=" + pd.secret + "&issuer=tinhso&algorithm=SHA1&digits=6&period=30")
	if err != nil {
		return d, err
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return d, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return d, err
	}
	d.Secret, d.URL = pd.secret, key.URL()
	d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
	return d, nil
}

func (s *Service) totpShow(w http.ResponseWriter, r *http.Request) error {
	pd, err := s.pendingOf(r)
	if err != nil {
		web.Redirect(w, r, "/login")
		return nil
	}
	d, err := s.totpView(pd)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	s.allowForms(w, r, pd.next)
	return totpPage.Render(w, r, d)
}

// totpSubmit checks the code (or a recovery code), then opens the session;
// an enrolment is confirmed and answered with the recovery codes, once.
func (s *Service) totpSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pd, err := s.pendingOf(r)
	if err != nil {
		web.Redirect(w, r, "/login")
		return nil
	}
	ip := httpx.ClientIP(r)
	code := r.PostFormValue("code")
	fail := func(detail string, e error) error {
		audit.Record(ctx, s.DB.Write, audit.Event{Kind: audit.Login, Subject: pd.p.Username, IP: ip, Detail: detail})
		d, verr := s.totpView(pd)
		if verr != nil {
			return verr
		}
		view := web.NewView(r, d)
		view.Errors = []httpx.ProblemField{{Field: "code", Code: "bad_code", Message: view.T("error.bad_code")}}
		if e != ErrBadCode {
			view.Errors[0].Message = view.T("error.login_throttled", int(ThrottleWindow.Minutes()))
		}
		w.Header().Set("Cache-Control", "no-store")
		s.allowForms(w, r, pd.next)
		return totpPage.RenderView(w, r, e.(*errs.Error).Status, view)
	}
	if throttled, err := s.throttled(ctx, r, pd.p.Username); err != nil {
		return err
	} else if throttled {
		return fail("throttled", ErrThrottled)
	}
	now := store.Now()
	var detail string
	var recovery []string
	switch pd.purpose {
	case pendingEnroll:
		step := totpStep(pd.secret, code, now)
		if step == 0 {
			return fail("wrong second factor (enrolment)", ErrBadCode)
		}
		sealed, err := s.sealSecret(pd.secret)
		if err != nil {
			return err
		}
		err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM auth_totp WHERE user_id = $1`, pd.p.UserID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO auth_totp (user_id, secret, last_step, confirmed_at) VALUES ($1, $2, $3, $4)`, pd.p.UserID, sealed, step, now); err != nil {
				return err
			}
			var err error
			recovery, err = newRecoveryCodes(ctx, tx, pd.p.UserID)
			return err
		})
		detail = "second factor enrolled"
	default:
		var secret string
		var last int64
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT secret, last_step FROM auth_totp WHERE user_id = $1`, pd.p.UserID).Scan(&secret, &last); err != nil {
			return err
		}
		if secret, err = s.openSecret(secret); err != nil {
			return err
		}
		if step := totpStep(secret, code, now); step > last {
			// A code works once: the step must be newer than the last used.
			if ok, err := s.useStep(ctx, pd.p.UserID, step); err != nil {
				return err
			} else if !ok {
				return fail("second factor reused", ErrBadCode)
			}
			detail = "second factor"
		} else if step != 0 {
			return fail("second factor reused", ErrBadCode)
		} else {
			res, err := s.DB.Write.ExecContext(ctx, `UPDATE auth_recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL`, now, pd.p.UserID, recoveryHash(code))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fail("wrong second factor", ErrBadCode)
			}
			detail = "recovery code"
		}
	}
	if err != nil {
		return err
	}
	if _, err := s.DB.Write.ExecContext(ctx, `DELETE FROM auth_pending WHERE token_hash = $1`, pd.hash); err != nil {
		return err
	}
	secret, err := s.openSession(ctx, r, pd.p, "pwd otp", detail)
	if err != nil {
		return err
	}
	if pd.replaces != "" {
		s.DB.Write.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, pd.replaces)
	}
	s.setPendingCookie(w, "", -1)
	s.SetCookie(w, secret)
	if recovery != nil {
		w.Header().Set("Cache-Control", "no-store")
		return recoveryPage.Render(w, r, map[string]any{"Codes": recovery, "Next": pd.next})
	}
	web.Redirect(w, r, pd.next)
	return nil
}

// totpEnrollSubmit starts an enrolment from the account page.
func (s *Service) totpEnrollSubmit(w http.ResponseWriter, r *http.Request) error {
	p := org.PrincipalFrom(r.Context())
	sf, err := s.pend(r.Context(), r, p, pendingEnroll, "/account?ok=totp_enrolled")
	if err != nil {
		return err
	}
	s.setPendingCookie(w, sf.Secret, int(pendingTTL.Seconds()))
	web.Redirect(w, r, "/login/totp")
	return nil
}

// useStep marks a TOTP step used; false when it (or a later one) already was.
func (s *Service) useStep(ctx context.Context, user, step int64) (bool, error) {
	res, err := s.DB.Write.ExecContext(ctx, `UPDATE auth_totp SET last_step = $1 WHERE user_id = $2 AND last_step < $1`, step, user)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// recoverySubmit makes an official's recovery codes anew from the account
// page (the old ones stop), shown once. It asks for a current code from the
// authenticator, so a session left open cannot take the phone's place; a
// wrong code is audited and counted by the login throttle.
func (s *Service) recoverySubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	code := strings.TrimSpace(r.PostFormValue("code"))
	fail := func(detail string, e error) error {
		audit.Record(ctx, s.DB.Write, audit.From(r, audit.TOTPRecovery, p.Username, detail, false))
		d, derr := s.account(r)
		if derr != nil {
			return derr
		}
		return accountPage.FormError(w, r, e, d)
	}
	if throttled, err := s.throttled(ctx, r, p.Username); err != nil {
		return err
	} else if throttled {
		return fail("throttled", ErrThrottled)
	}
	var secret string
	var last int64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT secret, last_step FROM auth_totp WHERE user_id = $1`, p.UserID).Scan(&secret, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return &errs.Error{Status: 409, Code: "totp_off", Key: "error.totp_off"}
	} else if err != nil {
		return err
	}
	if secret, err = s.openSecret(secret); err != nil {
		return err
	}
	step := totpStep(secret, code, store.Now())
	if step <= last {
		// Counted by the throttle as a failed second factor.
		audit.Record(ctx, s.DB.Write, audit.Event{Kind: audit.Login, Subject: p.Username, IP: httpx.ClientIP(r), Detail: "wrong second factor (recovery codes)"})
		return fail("wrong code", errs.Invalid(errs.Field{Name: "code", Code: "bad_code"}))
	}
	if ok, err := s.useStep(ctx, p.UserID, step); err != nil {
		return err
	} else if !ok {
		return fail("code reused", errs.Invalid(errs.Field{Name: "code", Code: "bad_code"}))
	}
	var codes []string
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if codes, err = newRecoveryCodes(ctx, tx, p.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.From(r, audit.TOTPRecovery, p.Username, fmt.Sprintf("%d recovery codes made anew", len(codes)), true))
	})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return recoveryPage.Render(w, r, map[string]any{"Codes": codes, "Next": "/account#totp"})
}

// ResetTOTP removes a user's second factor and recovery codes (a lost
// phone): one who must have one enrols again at their next login. The
// caller ends their sessions in the same transaction.
func ResetTOTP(ctx context.Context, tx *sql.Tx, user int64) error {
	for _, q := range []string{`DELETE FROM auth_totp WHERE user_id = $1`, `DELETE FROM auth_recovery_codes WHERE user_id = $1`, `DELETE FROM auth_pending WHERE user_id = $1`} {
		if _, err := tx.ExecContext(ctx, q, user); err != nil {
			return err
		}
	}
	return nil
}
