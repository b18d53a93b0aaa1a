package auth

import (
	"database/sql"
	"embed"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/web"
)

//go:embed templates/*.html
var templates embed.FS

var (
	loginPage   = web.NewPage(templates, "templates/login.html")
	accountPage = web.NewPage(templates, "templates/account.html")
)

// Me is the signed-in official as the API shows them.
type Me struct {
	org.Official
}

// Mount attaches sign-in to a site: the login pages, the account page and
// the token API (the session middleware is the server's, see Middleware).
func (s *Service) Mount(site *web.Site) {
	api := site.API
	site.PublicPage("GET /login", func(w http.ResponseWriter, r *http.Request) error {
		// prompt=login asks a signed-in official to sign in again (the
		// single sign-on provider's prompt=login and max_age); username
		// fills the form (its login_hint).
		q := r.URL.Query()
		if org.PrincipalFrom(r.Context()) != nil && q.Get("prompt") != "login" {
			http.Redirect(w, r, httpx.LocalPath(q.Get("next")), http.StatusSeeOther)
			return nil
		}
		s.allowForms(w, r, httpx.LocalPath(q.Get("next")))
		view := web.NewView(r, s.loginData(httpx.LocalPath(q.Get("next"))))
		if u := strings.TrimSpace(q.Get("username")); u != "" && len(u) <= 64 {
			view.Form = url.Values{"username": {u}}
		}
		return loginPage.RenderView(w, r, http.StatusOK, view)
	})
	site.PublicPage("POST /login", s.loginSubmit)
	site.PublicPage("GET /login/totp", s.totpShow)
	site.PublicPage("POST /login/totp", s.totpSubmit)
	site.Page("POST /account/totp", s.totpEnrollSubmit)
	site.Page("POST /account/recovery", s.recoverySubmit)
	site.Page("POST /logout", func(w http.ResponseWriter, r *http.Request) error {
		if err := s.Logout(r); err != nil {
			return err
		}
		s.ClearCookie(w)
		web.Redirect(w, r, "/login")
		return nil
	})
	site.Page("GET /account", s.accountShow)
	site.Page("POST /account/password", s.passwordSubmit)
	site.Page("POST /account/tokens", s.tokenCreateSubmit)
	site.Page("POST /account/tokens/{id}/revoke", s.tokenRevokeSubmit)
	site.Page("POST /account/sessions/{id}/end", func(w http.ResponseWriter, r *http.Request) error {
		p := org.PrincipalFrom(r.Context())
		if err := s.EndSession(r, p.UserID, r.PathValue("id")); err != nil {
			return err
		}
		if ss, _ := s.Sessions(r.Context(), p.UserID, ""); !slices.ContainsFunc(ss, func(si SessionInfo) bool { return si.ID == publicSessionID(CurrentSessionHash(r)) }) {
			s.ClearCookie(w)
			web.Redirect(w, r, "/login")
			return nil
		}
		web.Redirect(w, r, "/account?ok=sessions_ended#sessions")
		return nil
	})

	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/me", Tag: "account", Summary: "The signed-in official, with roles", Response: Me{}},
		func(w http.ResponseWriter, r *http.Request) error {
			o, err := s.Org.Official(r.Context(), org.PrincipalFrom(r.Context()).UserID)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, Me{o})
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/me/tokens", Tag: "account", Summary: "List my API tokens", Response: org.Token{}, List: true},
		func(w http.ResponseWriter, r *http.Request) error {
			list, err := s.Org.Tokens(r.Context(), org.PrincipalFrom(r.Context()).UserID)
			if err != nil {
				return err
			}
			httpx.List(w, r, list, len(list), httpx.Page{Limit: len(list) + 1})
			return nil
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/me/tokens", Tag: "account", Summary: "Create an API token (the secret is returned once)", Request: TokenInput{}, Response: NewToken{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			var in TokenInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			t, err := s.createToken(r, in)
			if err != nil {
				return err
			}
			httpx.JSON(w, 201, t)
			return nil
		})
	api.Handle(httpx.Route{Method: "DELETE", Path: "/api/v1/me/tokens/{id}", Tag: "account", Summary: "Revoke one of my API tokens", Status: 204},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.revokeToken(r); err != nil {
				return err
			}
			w.WriteHeader(204)
			return nil
		})
}

// loginData is what the login form shows: where it goes next, and the
// brokered login for citizens when the single sign-on provider offers one
// for that request (BrokerLink).
func (s *Service) loginData(next string) map[string]string {
	d := map[string]string{"Next": next}
	if s.BrokerLink != nil {
		d["Broker"], d["BrokerName"] = s.BrokerLink(next)
	}
	return d
}

func (s *Service) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	next := httpx.LocalPath(r.PostFormValue("next"))
	var v errs.Validator
	v.Check(strings.TrimSpace(r.PostFormValue("username")) != "", "username", "required")
	v.Check(r.PostFormValue("password") != "", "password", "required")
	err := v.Err()
	var secret string
	var p *org.Principal
	if err == nil {
		secret, p, err = s.login(r.Context(), r, r.PostFormValue("username"), r.PostFormValue("password"), next)
	}
	var sf *SecondFactor
	if errors.As(err, &sf) {
		s.setPendingCookie(w, sf.Secret, int(pendingTTL.Seconds()))
		web.Redirect(w, r, "/login/totp")
		return nil
	}
	if err != nil {
		r.PostForm.Del("password")
		s.allowForms(w, r, next)
		view := web.NewView(r, s.loginData(next))
		view.Form = r.PostForm
		if e, ok := errs.As(err); ok && len(e.Fields) == 0 && e.Status < 500 {
			view.Errors = []httpx.ProblemField{{Field: "", Code: e.Code, Message: locale.T(view.Lang, e.Key, e.Args...)}}
			return loginPage.RenderView(w, r, e.Status, view)
		}
		return loginPage.FormError(w, r, err, s.loginData(next))
	}
	// Signing in again over a session (prompt=login) replaces it.
	if old := CurrentSessionHash(r); old != "" {
		if _, err := s.DB.Write.ExecContext(r.Context(), `DELETE FROM sessions WHERE token_hash = $1`, old); err != nil {
			return err
		}
	}
	s.SetCookie(w, secret)
	// A language chosen on the login page wins and is remembered; otherwise
	// the official's saved language applies.
	if c, err := r.Cookie("lang"); err == nil {
		s.Org.SetLocale(r.Context(), p.UserID, string(locale.Parse(c.Value)))
	} else if o, err := s.Org.Official(r.Context(), p.UserID); err == nil && o.Locale != "" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: o.Locale, Path: "/", MaxAge: 365 * 86400, SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies})
	}
	web.Redirect(w, r, next)
	return nil
}

type accountData struct {
	Official  org.Official
	TOTP      bool // a second factor is enrolled
	Recovery  int  // recovery codes left
	Sessions  []SessionInfo
	Tokens    []org.Token
	NewToken  *NewToken
	Lifetimes Lifetimes
	Now       time.Time // tokens past their expiry show as expired
}

func (s *Service) account(r *http.Request) (accountData, error) {
	p := org.PrincipalFrom(r.Context())
	o, err := s.Org.Official(r.Context(), p.UserID)
	if err != nil {
		return accountData{}, err
	}
	toks, err := s.Org.Tokens(r.Context(), p.UserID)
	if err != nil {
		return accountData{}, err
	}
	sessions, err := s.Sessions(r.Context(), p.UserID, CurrentSessionHash(r))
	if err != nil {
		return accountData{}, err
	}
	d := accountData{Official: o, Sessions: sessions, Tokens: toks, Lifetimes: s.Tokens, Now: store.Now()}
	if d.TOTP, err = s.totpEnrolled(r.Context(), p.UserID); err != nil {
		return d, err
	}
	err = s.DB.Read.QueryRowContext(r.Context(), `SELECT COUNT(*) FROM auth_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, p.UserID).Scan(&d.Recovery)
	return d, err
}

func (s *Service) accountShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.account(r)
	if err != nil {
		return err
	}
	return accountPage.Render(w, r, d)
}

func (s *Service) passwordSubmit(w http.ResponseWriter, r *http.Request) error {
	p := org.PrincipalFrom(r.Context())
	cur, pw, confirm := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	var v errs.Validator
	_, hash, _, err := s.Org.PasswordHash(r.Context(), p.Username)
	if err != nil {
		return err
	}
	ok, _ := password.Check(hash, cur)
	v.Check(ok, "current", "wrong_password")
	org.ValidatePassword(&v, "new", pw, p.Username)
	v.Check(pw == confirm, "confirm", "mismatch")
	err = v.Err()
	if err == nil {
		err = s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
			h, err := s.Org.HashPassword(pw)
			if err != nil {
				return err
			}
			if err := s.Org.SetPasswordHash(r.Context(), tx, p.UserID, h); err != nil {
				return err
			}
			if err := EndOtherSessions(r.Context(), tx, p.UserID, CurrentSessionHash(r)); err != nil {
				return err
			}
			return audit.Record(r.Context(), tx, audit.From(r, audit.PasswordChange, p.Username, "", true))
		})
	} else {
		audit.Record(r.Context(), s.DB.Write, audit.From(r, audit.PasswordChange, p.Username, "rejected", false))
	}
	if err != nil {
		d, _ := s.account(r)
		r.PostForm.Del("current")
		r.PostForm.Del("new")
		r.PostForm.Del("confirm")
		return accountPage.FormError(w, r, err, d)
	}
	web.Redirect(w, r, "/account?ok=password_changed")
	return nil
}

func (s *Service) createToken(r *http.Request, in TokenInput) (NewToken, error) {
	p := org.PrincipalFrom(r.Context())
	var t NewToken
	err := s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		if t, err = CreateToken(r.Context(), tx, p.UserID, in, s.Tokens); err != nil {
			return err
		}
		return audit.Record(r.Context(), tx, audit.From(r, audit.TokenCreate, p.Username, t.Name+" ("+t.Prefix+"…)", true))
	})
	return t, err
}

func (s *Service) revokeToken(r *http.Request) error {
	p := org.PrincipalFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.NotFound
	}
	return s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		name, err := s.Org.RevokeToken(r.Context(), tx, p.UserID, id)
		if err != nil {
			return err
		}
		return audit.Record(r.Context(), tx, audit.From(r, audit.TokenRevoke, p.Username, name, true))
	})
}

func (s *Service) tokenCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("expiresInDays")))
	if err != nil && strings.TrimSpace(r.PostFormValue("expiresInDays")) != "" {
		days = -1 // reported as out of range
	}
	t, err := s.createToken(r, TokenInput{Name: r.PostFormValue("name"), ExpiresInDays: days})
	d, derr := s.account(r)
	if derr != nil {
		return derr
	}
	if err != nil {
		return accountPage.FormError(w, r, err, d)
	}
	d.NewToken = &t
	w.Header().Set("Cache-Control", "no-store")
	return accountPage.Render(w, r, d)
}

func (s *Service) tokenRevokeSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := s.revokeToken(r); err != nil {
		return err
	}
	web.Redirect(w, r, "/account?ok=token_revoked")
	return nil
}
