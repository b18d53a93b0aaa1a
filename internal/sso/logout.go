package sso

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/web"
)

var (
	logoutView    = web.NewPage(templates, "templates/logout.html")
	loggedOutView = web.NewPage(templates, "templates/logged_out.html")
)

type logoutData struct {
	Client *Client
	Params [][2]string
}

// logout is RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
// post_logout_redirect_uri must be one the client registered, exactly; the
// client is the one id_token_hint was issued to, or client_id. A valid
// id_token_hint for the signed-in official logs out at once; without one
// the official confirms (a link alone must not sign anyone out). Logging
// out ends the tinhso session and every grant issued under it.
func (s *Store) logout(w http.ResponseWriter, r *http.Request) error {
	ctx := s.withIssuer(r)
	r = r.WithContext(ctx)
	if err := r.ParseForm(); err != nil {
		return errs.BadRequest
	}
	q := r.Form
	refuse := func(code, detail string) error {
		s.record(ctx, r, audit.From(r, audit.SSOLogout, truncate(q.Get("client_id"), 100), code+": "+detail, false))
		return &errs.Error{Status: http.StatusBadRequest, Code: code, Key: "sso.error.logout_" + code}
	}
	clientID := q.Get("client_id")
	var hintSub string
	if hint := q.Get("id_token_hint"); hint != "" {
		tok, err := (&signer{keys: s.keys}).Decode(ctx, hint)
		if tok == nil {
			return refuse("id_token_hint", fmt.Sprint(err))
		}
		// An expired hint still names the session to end.
		if iss, _ := tok.Claims["iss"].(string); iss != issuerFrom(ctx) {
			return refuse("id_token_hint", "issuer "+iss)
		}
		hintSub, _ = tok.Claims["sub"].(string)
		aud := audiences(tok.Claims["aud"])
		if clientID == "" && len(aud) > 0 {
			clientID = aud[0]
		} else if clientID != "" && !slices.Contains(aud, clientID) {
			return refuse("id_token_hint", "issued to another client")
		}
	}
	redirect := q.Get("post_logout_redirect_uri")
	var client *Client
	if clientID != "" {
		c, err := s.Client(ctx, clientID)
		if err != nil || c.Disabled {
			return refuse("client", "unknown client "+truncate(clientID, 100))
		}
		client = &c
	}
	if redirect != "" && (client == nil || !slices.Contains(client.LogoutURIs, redirect)) {
		return refuse("redirect", "post_logout_redirect_uri not registered")
	}
	p := principal(r)
	cs := s.citizenOf(r)
	confirmed := r.Method == http.MethodPost && q.Get("decision") == "logout"
	hinted := hintSub != "" && (p != nil && hintSub == subjectOf(p.UserID) || cs != nil && hintSub == citizenSubject(cs.id))
	if (p != nil || cs != nil) && !confirmed && !hinted {
		d := logoutData{Client: client}
		for _, k := range []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales"} {
			if v := q.Get(k); v != "" {
				d.Params = append(d.Params, [2]string{k, v})
			}
		}
		if client != nil {
			auth.AllowFormTargets(w, redirectOrigins(client.LogoutURIs, redirect))
		}
		return logoutView.Render(w, r, d)
	}
	if p != nil {
		sid := sessionID(auth.CurrentSessionHash(r))
		if err := s.auth.Logout(r); err != nil {
			return err
		}
		s.auth.ClearCookie(w)
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			n, err := s.revokeSession(ctx, tx, sid)
			if err != nil {
				return err
			}
			e := audit.From(r, audit.SSOLogout, p.Username, fmt.Sprintf("client=%s, %d grant(s) ended", clientID, n), true)
			e.ActorID, e.Actor = p.UserID, p.Username
			return audit.Record(ctx, tx, e)
		})
		if err != nil {
			return err
		}
	}
	if cs != nil {
		// A citizen's session (broker.go) ends the same way.
		http.SetCookie(w, &http.Cookie{Name: citizenCookie, Path: "/", MaxAge: -1})
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			n, err := s.endCitizenSession(ctx, tx, cs)
			if err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.From(r, audit.SSOLogout, citizenName(cs.id), fmt.Sprintf("client=%s, %d grant(s) ended", clientID, n), true))
		})
		if err != nil {
			return err
		}
	}
	if redirect != "" {
		u, _ := url.Parse(redirect)
		if st := q.Get("state"); st != "" {
			v := u.Query()
			v.Set("state", st)
			u.RawQuery = v.Encode()
		}
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return nil
	}
	return loggedOutView.Render(w, r, client)
}

func audiences(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
