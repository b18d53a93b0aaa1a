// Package web renders the server-side pages: the layout shared by every
// page, the view helpers (translation, Vietnamese dates and numbers) and the
// static assets. Domain packages keep their own page templates and render
// them through Page.
package web

import (
	"bytes"
	"embed"
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

// menu is the main navigation; each entry shows when the principal may
// take its action (an org.Action) somewhere.
var menu = []menuItem{{"/", "nav.home", ""}}

// AddMenu puts a page in the main menu, shown to whoever may take action.
func AddMenu(href, key, action string) {
	for _, m := range menu {
		if m.href == href {
			return
		}
	}
	menu = append(menu, menuItem{href, key, action})
}

// HomeItem is one line of "what you have to do" on the home page.
type HomeItem struct {
	Key   string // catalogue key of the text, formatted with Args
	Args  []any
	Href  string
	Count int  // shown as a number badge when positive
	Alert bool // needs attention
}

var homeSources = map[string]func(r *http.Request) []HomeItem{}

// AddHome registers a source of home-page items under a name (one per
// domain; registering again replaces it).
func AddHome(name string, f func(r *http.Request) []HomeItem) { homeSources[name] = f }

// HomeItems gathers the home-page items of every domain, in name order.
func HomeItems(r *http.Request) []HomeItem {
	names := make([]string, 0, len(homeSources))
	for n := range homeSources {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []HomeItem
	for _, n := range names {
		out = append(out, homeSources[n](r)...)
	}
	return out
}

// The server connects these to auth and org, which import web.
var (
	// CSRFFunc returns the CSRF token of the request's session.
	CSRFFunc = func(r *http.Request) string { return "" }
	// ViewerFunc returns the signed-in official, nil when anonymous.
	ViewerFunc = func(r *http.Request) *Viewer { return nil }
	// Can is the policy check (org.Store.Can) with unit 0: "anywhere".
	Can = func(r *http.Request, action string) bool { return false }
)

// NewView builds the view of a request.
func NewView(r *http.Request, data any) *View {
	v := &View{
		Lang:      locale.FromRequest(r),
		Principal: ViewerFunc(r),
		CSRF:      CSRFFunc(r),
		Path:      r.URL.Path,
		Data:      data,
	}
	if f := r.URL.Query().Get("ok"); f != "" && locale.Has(v.Lang, "flash."+f) {
		v.Flash = v.T("flash." + f)
	}
	if v.Principal != nil {
		for _, m := range menu {
			if m.action == "" || Can(r, m.action) {
				active := m.href == r.URL.Path || (m.href != "/" && strings.HasPrefix(r.URL.Path, m.href))
				v.Nav = append(v.Nav, NavItem{Href: m.href, Key: m.key, Active: active})
			}
		}
	}
	return v
}

// Render writes the page with status 200.
func (p *Page) Render(w http.ResponseWriter, r *http.Request, data any) {
	p.RenderView(w, r, http.StatusOK, NewView(r, data))
}

// RenderView writes a prepared view with a status.
func (p *Page) RenderView(w http.ResponseWriter, r *http.Request, status int, v *View) {
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		slog.ErrorContext(r.Context(), "render", "err", err, "path", r.URL.Path)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// FormError renders the page again with what was typed and the message of
// each invalid field; other errors go to the error page.
func (p *Page) FormError(w http.ResponseWriter, r *http.Request, err error, data any) {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		Error(w, r, err)
		return
	}
	v := NewView(r, data)
	v.Form = r.PostForm
	for _, f := range e.Fields {
		v.Errors = append(v.Errors, httpx.ProblemField{Field: f.Name, Code: f.Code, Message: httpx.FieldMessage(v.Lang, f)})
	}
	p.RenderView(w, r, e.Status, v)
}

var errorPage = NewPage(layoutFiles, "templates/error.html")

// Error renders an error page for err: forbidden, not found, or internal.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	p := httpx.ProblemFor(r, err)
	errorPage.RenderView(w, r, p.Status, NewView(r, p))
}

// RequirePage sends anonymous visitors of a page to the login form, back
// here afterwards.
func RequirePage(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ViewerFunc(r) == nil {
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
