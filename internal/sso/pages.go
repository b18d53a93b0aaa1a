package sso

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

var (
	clientsView = web.NewPage(templates, "templates/clients.html")
	clientView  = web.NewPage(templates, "templates/client.html")
)

func (s *Store) pageRoutes(site *web.Site) {
	site.AddMenu("/sso/clients", "nav.sso_clients", string(ViewClients))
	site.Page("GET /sso/clients", s.clientsShow)
	site.Page("POST /sso/clients", s.clientCreateSubmit)
	site.Page("GET /sso/clients/{id}", s.clientShow)
	site.Page("POST /sso/clients/{id}/secret", s.clientSecretSubmit)
	site.Page("POST /sso/clients/{id}/disabled", s.clientDisabledSubmit)
}

type clientsData struct {
	Clients   []Client
	CanManage bool
	Units     []org.Unit // where the caller may register an application
	Grants    []string
	Scopes    []string
}

func (s *Store) clientsData(r *http.Request) (clientsData, error) {
	p := org.PrincipalFrom(r.Context())
	if err := s.org.Authorize(r.Context(), p, ViewClients, 0); err != nil {
		return clientsData{}, err
	}
	list, err := s.Clients(r.Context(), s.org.Scopes(p, ViewClients))
	if err != nil {
		return clientsData{}, err
	}
	d := clientsData{Clients: list, Grants: GrantTypes, Scopes: StandardScopes}
	for _, id := range s.org.Scopes(p, ManageClients) {
		if u, err := s.org.Unit(r.Context(), id, ""); err == nil {
			d.Units = append(d.Units, u)
		}
	}
	d.CanManage = len(d.Units) > 0
	return d, nil
}

func (s *Store) clientsShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.clientsData(r)
	if err != nil {
		return err
	}
	return clientsView.Render(w, r, d)
}

// lines splits a text area into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (s *Store) clientCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	unit, _ := strconv.ParseInt(r.PostFormValue("unitId"), 10, 64)
	ttl := func(name string) int { n, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue(name))); return n }
	in := ClientInput{
		ID: r.PostFormValue("id"), Name: r.PostFormValue("name"), UnitID: unit,
		Public: r.PostFormValue("public") == "1", Trusted: r.PostFormValue("trusted") == "1",
		RedirectURIs: lines(r.PostFormValue("redirectUris")), LogoutURIs: lines(r.PostFormValue("postLogoutRedirectUris")),
		GrantTypes: r.PostForm["grantTypes"], Scopes: strings.Fields(r.PostFormValue("scopes")),
		AccessTTL: ttl("accessTokenTtl"), RefreshTTL: ttl("refreshTokenTtl"), IDTokenTTL: ttl("idTokenTtl"),
	}
	c, err := s.createClient(r, in)
	if err != nil {
		d, derr := s.clientsData(r)
		if derr != nil {
			return derr
		}
		return clientsView.FormError(w, r, err, d)
	}
	w.Header().Set("Cache-Control", "no-store")
	return clientView.Render(w, r, clientData{Client: c.Client, Secret: c.Secret, CanManage: true})
}

type clientData struct {
	Client    Client
	Secret    string // shown once, right after it is made
	CanManage bool
}

func (s *Store) clientShow(w http.ResponseWriter, r *http.Request) error {
	c, err := s.clientVisible(r, r.PathValue("id"), ViewClients)
	if err != nil {
		return err
	}
	ok, _ := s.org.Can(r.Context(), org.PrincipalFrom(r.Context()), ManageClients, c.UnitID)
	return clientView.Render(w, r, clientData{Client: c, CanManage: ok})
}

func (s *Store) clientSecretSubmit(w http.ResponseWriter, r *http.Request) error {
	c, err := s.rotateSecret(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return clientView.Render(w, r, clientData{Client: c.Client, Secret: c.Secret, CanManage: true})
}

func (s *Store) clientDisabledSubmit(w http.ResponseWriter, r *http.Request) error {
	c, err := s.clientVisible(r, r.PathValue("id"), ManageClients)
	if err != nil {
		return err
	}
	in := ClientInput{Name: c.Name, UnitID: c.UnitID, Public: c.Public, Trusted: c.Trusted, Disabled: r.PostFormValue("disabled") == "1",
		AuthMethod: c.AuthMethod, RedirectURIs: c.RedirectURIs, LogoutURIs: c.LogoutURIs, GrantTypes: c.GrantTypes, Scopes: c.Scopes,
		AccessTTL: c.AccessTTL, RefreshTTL: c.RefreshTTL, IDTokenTTL: c.IDTokenTTL}
	if _, err := s.updateClient(r, c.ID, in); err != nil {
		return err
	}
	web.Redirect(w, r, "/sso/clients/"+c.ID+"?ok=sso_client_saved")
	return nil
}
