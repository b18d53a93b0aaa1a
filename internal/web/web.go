// Package web renders the server-side pages: the layout shared by every
// page, the view helpers (translation, Vietnamese dates and numbers) and the
// static assets. Domain packages keep their own page templates and render
// them through Page.
package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
)

//go:embed templates/*.html
var layoutFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Static serves /static/ (CSS, icons, the small script), cached for a day.
func Static() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	fsrv := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fsrv.ServeHTTP(w, r)
	})
}

// Page is a parsed page: the layout plus one domain template that defines
// "content" (and optionally "title").
type Page struct{ tmpl *template.Template }

var funcs = template.FuncMap{
	"join": strings.Join,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"add":   func(a, b int) int { return a + b },
	"float": func(i int) float64 { return float64(i) },
	"deref": func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	},
	"derefTime": func(p *time.Time) time.Time {
		if p == nil {
			return time.Time{}
		}
		return *p
	},
	"contains": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
}

// NewPage parses the layout with the named files of fsys; it panics on a
// template error, which tests catch at start-up.
func NewPage(fsys fs.FS, names ...string) *Page {
	t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(layoutFiles, "templates/layout.html"))
	template.Must(t.ParseFS(fsys, names...))
	return &Page{tmpl: t}
}

// View is what every page template sees as dot.
type View struct {
	Lang      locale.Lang
	Principal *Viewer
	CSRF      string
	Path      string
	Flash     string
	Errors    []httpx.ProblemField // field errors of a failed form
	Form      url.Values           // what the person typed, shown again after an error
	Nav       []NavItem
	Data      any
}

// NavItem is one entry of the main menu.
type NavItem struct {
	Href, Key string
	Active    bool
}

// T translates a catalogue key.
func (v *View) T(key string, args ...any) string { return locale.T(v.Lang, key, args...) }

// TA translates with arguments held in a slice (for data-driven items).
func (v *View) TA(key string, args []any) string { return locale.T(v.Lang, key, args...) }

// Date formats a time as a date the way the language writes it.
func (v *View) Date(t time.Time) string { return locale.Date(v.Lang, t) }

// DateTime formats a time with the hour.
func (v *View) DateTime(t time.Time) string { return locale.DateTime(v.Lang, t) }

// ISODate formats a YYYY-MM-DD string.
func (v *View) ISODate(s string) string { return locale.ISODate(v.Lang, s) }

// InputDate writes an ISO date as a date field holds it, dd/mm/yyyy in
// every language (what a person typed stays as typed).
func (v *View) InputDate(s string) string { return locale.InputDate(s) }

// InputMonth writes an ISO month as a month field holds it, mm/yyyy.
func (v *View) InputMonth(s string) string { return locale.InputMonth(s) }

// DatePattern, MonthPattern and their placeholders describe the date and
// month fields (text fields: see locale.ParseDate).
func (v *View) DatePattern() string      { return locale.DatePattern }
func (v *View) MonthPattern() string     { return locale.MonthPattern }
func (v *View) DatePlaceholder() string  { return locale.DatePlaceholder }
func (v *View) MonthPlaceholder() string { return locale.MonthPlaceholder }

// Num formats a number with the language's separators.
func (v *View) Num(f float64) string { return locale.Number(v.Lang, f, 2) }

// Value is the value of a form field as typed, or def.
func (v *View) Value(field, def string) string {
	if v.Form != nil && v.Form.Has(field) {
		return v.Form.Get(field)
	}
	return def
}

// FieldError is the message for one field of a failed form.
func (v *View) FieldError(field string) string {
	for _, e := range v.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// Viewer is who is signed in, as the layout shows them.
type Viewer struct {
	UserID   int64
	Username string
	FullName string
}

type menuItem struct{ href, key, action string }

// HomeItem is one line of "what you have to do" on the home page.
type HomeItem struct {
	Key   string // catalogue key of the text, formatted with Args
	Args  []any
	Href  string
	Count int  // shown as a number badge when positive
	Alert bool // needs attention
}

// Hooks connect the site to auth and org, which import web.
type Hooks struct {
	// Viewer returns the signed-in official, nil when anonymous.
	Viewer func(r *http.Request) *Viewer
	// CSRF returns the CSRF token of the request's session.
	CSRF func(r *http.Request) string
	// Can is the policy check with unit 0: "anywhere" (menus use it).
	Can func(r *http.Request, action string) bool
}

// Component is a long-running part of a server besides its web listener
// (the hub gateway, the message-log sealer): Run blocks until ctx ends,
// then stops gracefully and returns.
type Component struct {
	Name string
	Run  func(ctx context.Context) error
}

// Site is everything one server shows and runs: its mux and API registry,
// the main menu, the sources of home-page items, the hooks to auth and org,
// and its components. Each server owns one; the domains attach themselves
// to it through their Mount, and handlers reach it through the request
// context (SiteFrom), so two servers in one process never share state.
type Site struct {
	Mux        *http.ServeMux
	API        *httpx.API
	hooks      Hooks
	menu       []menuItem
	home       map[string]func(r *http.Request) []HomeItem
	components []Component
	bodyLimits map[string]int64
}

// Domain is a part of tinhso that attaches itself to a site: its pages,
// API routes, menu entries, home items, policy rules and components.
type Domain interface {
	Mount(site *Site)
}

// NewSite returns an empty site on mux and api.
func NewSite(mux *http.ServeMux, api *httpx.API, hooks Hooks) *Site {
	if hooks.Viewer == nil {
		hooks.Viewer = func(*http.Request) *Viewer { return nil }
	}
	if hooks.CSRF == nil {
		hooks.CSRF = func(*http.Request) string { return "" }
	}
	if hooks.Can == nil {
		hooks.Can = func(*http.Request, string) bool { return false }
	}
	return &Site{Mux: mux, API: api, hooks: hooks, menu: []menuItem{{"/", "nav.home", ""}},
		home: map[string]func(r *http.Request) []HomeItem{}, bodyLimits: map[string]int64{}}
}

// AddMenu puts a page in the main menu, shown to whoever may take action.
func (s *Site) AddMenu(href, key, action string) {
	for _, m := range s.menu {
		if m.href == href {
			return
		}
	}
	s.menu = append(s.menu, menuItem{href, key, action})
}

// AddHome registers a source of home-page items under a name (one per
// domain; registering again replaces it).
func (s *Site) AddHome(name string, f func(r *http.Request) []HomeItem) { s.home[name] = f }

// AddComponent adds a long-running part that the server runs and stops.
func (s *Site) AddComponent(c Component) { s.components = append(s.components, c) }

// BodyLimit lets requests to one path (exactly) carry bodies up to max
// bytes instead of the server's default: a streamed import that reads its
// body as it goes and applies its own cap. Called from Mount.
func (s *Site) BodyLimit(path string, max int64) { s.bodyLimits[path] = max }

// BodyLimitOf is the body limit BodyLimit set for path; ok is false when
// the server's default applies.
func (s *Site) BodyLimitOf(path string) (max int64, ok bool) {
	max, ok = s.bodyLimits[path]
	return max, ok
}

// Components lists what AddComponent added.
func (s *Site) Components() []Component { return s.components }

// HomeItems gathers the home-page items of every domain, in name order.
func (s *Site) HomeItems(r *http.Request) []HomeItem {
	names := make([]string, 0, len(s.home))
	for n := range s.home {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []HomeItem
	for _, n := range names {
		out = append(out, s.home[n](r)...)
	}
	return out
}

// Page registers a page that needs a signed-in official: anonymous visitors
// go to the login form (and back afterwards); an error renders the error
// page.
func (s *Site) Page(pattern string, h httpx.HandlerFunc) {
	s.Mux.HandleFunc(pattern, RequirePage(Adapt(h)))
}

// PublicPage registers a page anyone may open (the login form).
func (s *Site) PublicPage(pattern string, h httpx.HandlerFunc) {
	s.Mux.HandleFunc(pattern, Adapt(h))
}

// Adapt renders the error a page handler returns.
func Adapt(h httpx.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			Error(w, r, err)
		}
	}
}

type siteKey struct{}

// Attach is middleware that makes the site reachable from each request.
func (s *Site) Attach(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), siteKey{}, s)))
	})
}

// SiteFrom returns the site serving a request; outside one (a page rendered
// in a unit test), an empty site that shows nobody signed in.
func SiteFrom(ctx context.Context) *Site {
	if s, ok := ctx.Value(siteKey{}).(*Site); ok {
		return s
	}
	return NewSite(nil, nil, Hooks{})
}

// ViewerOf returns who is signed in on r, nil when anonymous.
func ViewerOf(r *http.Request) *Viewer { return SiteFrom(r.Context()).hooks.Viewer(r) }

// NewView builds the view of a request.
func NewView(r *http.Request, data any) *View {
	site := SiteFrom(r.Context())
	v := &View{
		Lang:      locale.FromRequest(r),
		Principal: site.hooks.Viewer(r),
		CSRF:      site.hooks.CSRF(r),
		Path:      r.URL.Path,
		Data:      data,
	}
	if f := r.URL.Query().Get("ok"); f != "" && locale.Has(v.Lang, "flash."+f) {
		v.Flash = v.T("flash." + f)
	}
	if v.Principal != nil {
		for _, m := range site.menu {
			if m.action == "" || site.hooks.Can(r, m.action) {
				active := m.href == r.URL.Path || (m.href != "/" && strings.HasPrefix(r.URL.Path, m.href))
				v.Nav = append(v.Nav, NavItem{Href: m.href, Key: m.key, Active: active})
			}
		}
	}
	return v
}

// Render writes the page with status 200.
func (p *Page) Render(w http.ResponseWriter, r *http.Request, data any) error {
	return p.RenderView(w, r, http.StatusOK, NewView(r, data))
}

// RenderView writes a prepared view with a status. The page is executed
// into a buffer first, so a template error writes nothing and is returned.
func (p *Page) RenderView(w http.ResponseWriter, r *http.Request, status int, v *View) error {
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		return fmt.Errorf("render %s: %w", p.tmpl.Name(), err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
	return nil
}

// FormError renders the page again with what was typed and the message of
// each invalid field; other errors are returned, for the error page.
func (p *Page) FormError(w http.ResponseWriter, r *http.Request, err error, data any) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	v := NewView(r, data)
	v.Form = r.PostForm
	for _, f := range e.Fields {
		v.Errors = append(v.Errors, httpx.ProblemField{Field: f.Name, Code: f.Code, Message: httpx.FieldMessage(v.Lang, f)})
	}
	return p.RenderView(w, r, e.Status, v)
}

var errorPage = NewPage(layoutFiles, "templates/error.html")

// Error renders an error page for err: forbidden, not found, or internal.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	p := httpx.ProblemFor(r, err)
	if rerr := errorPage.RenderView(w, r, p.Status, NewView(r, p)); rerr != nil {
		slog.ErrorContext(r.Context(), "render error page", "err", rerr)
		http.Error(w, http.StatusText(p.Status), p.Status)
	}
}

// RequirePage sends anonymous visitors of a page to the login form, back
// here afterwards.
func RequirePage(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ViewerOf(r) == nil {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r)
	}
}

// Redirect answers a form post with 303 See Other.
func Redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
