// Package httpx holds the HTTP plumbing shared by every domain: JSON in and
// out, RFC 9457 problem details, pagination, and the API route registry that
// the OpenAPI document is generated from.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
)

// JSON writes v with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// ProblemField is one entry of a problem's "errors" member.
type ProblemField struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Column  string `json:"column,omitempty"` // the header of an imported cell's column
}

// Problem is an RFC 9457 problem details body, with tinhso's stable "code"
// and the invalid fields.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Code     string         `json:"code"`
	Errors   []ProblemField `json:"errors,omitempty"`
}

// ProblemFor maps any error to a localised problem. Errors that are not
// *errs.Error are internal: logged, and answered without details.
func ProblemFor(r *http.Request, err error) Problem {
	lang := locale.FromRequest(r)
	e, ok := errs.As(err)
	if !ok {
		// The route names the operation; wrapped errors name the step that failed.
		slog.ErrorContext(r.Context(), "internal error", "err", err, "method", r.Method, "path", r.URL.Path, "route", r.Pattern)
		e = &errs.Error{Status: 500, Code: "internal", Key: "error.internal"}
	}
	p := Problem{
		Type:     "urn:tinhso:problem:" + e.Code,
		Title:    locale.T(lang, e.Key, e.Args...),
		Status:   e.Status,
		Instance: r.URL.Path,
		Code:     e.Code,
	}
	for _, f := range e.Fields {
		p.Errors = append(p.Errors, ProblemField{Field: f.Name, Code: f.Code, Message: FieldMessage(lang, f), Column: f.Column})
	}
	if len(p.Errors) > 0 {
		msgs := make([]string, len(p.Errors))
		for i, f := range p.Errors {
			msgs[i] = f.Message
		}
		p.Detail = strings.Join(msgs, "; ")
	}
	return p
}

// FieldMessage is the localised message of one invalid field, naming it by
// its label when the catalogue has one ("Mã đơn vị: bắt buộc nhập"), and a
// cell of an imported sheet by cell and column ("Nhiệm vụ!F6 (Đơn vị chủ
// trì): …").
func FieldMessage(lang locale.Lang, f errs.Field) string {
	return FieldLabel(lang, f) + ": " + locale.T(lang, "invalid."+f.Code, f.Args...)
}

// FieldLabel names a field as a person reads it: the label of its context
// first (field.plan.title, "Tên kế hoạch"), then the plain one
// (field.title), else its name as sent; a cell of a workbook is followed by
// its column's header.
func FieldLabel(lang locale.Lang, f errs.Field) string {
	label := f.Name
	if k := "field." + f.Context + "." + f.Name; f.Context != "" && locale.Has(lang, k) {
		label = locale.T(lang, k)
	} else if k := "field." + f.Name; locale.Has(lang, k) {
		label = locale.T(lang, k)
	}
	if f.Column != "" {
		label += " (" + f.Column + ")"
	}
	return label
}

// Error writes err as application/problem+json.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	p := ProblemFor(r, err)
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(p)
}

// MaxBody bounds a JSON request body (16 MiB covers any plan import).
const MaxBody = 16 << 20

// Decode reads a JSON body into v, rejecting unknown members and trailing
// data so that a typo is an error rather than a silently ignored field.
func Decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errs.Invalid(errs.Field{Name: "body", Code: "content_type"})
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return errs.Invalid(errs.Field{Name: typeErr.Field, Code: "type"})
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return errs.Invalid(errs.Field{Name: name, Code: "unknown"})
		case errors.Is(err, io.EOF):
			return errs.Invalid(errs.Field{Name: "body", Code: "required"})
		default:
			return errs.Invalid(errs.Field{Name: "body", Code: "json", Args: []any{err.Error()}})
		}
	}
	if dec.More() {
		return errs.Invalid(errs.Field{Name: "body", Code: "json", Args: []any{"trailing data"}})
	}
	return nil
}

// Page is the pagination of a list request: ?limit=&offset=.
type Page struct{ Limit, Offset int }

// PageOf reads limit and offset, with def as the default limit.
func PageOf(r *http.Request, def, max int) (Page, error) {
	p := Page{Limit: def}
	var v errs.Validator
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		v.Check(err == nil && n >= 1 && n <= max, "limit", "range", 1, max)
		p.Limit = n
	}
	if s := r.URL.Query().Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		v.Check(err == nil && n >= 0, "offset", "range", 0, "∞")
		p.Offset = n
	}
	return p, v.Err()
}

// PathID reads a positive integer id from the path; anything else is
// "not found", as for an id that names nothing.
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.NotFound
	}
	return id, nil
}

// ListHandler answers GET of a whole collection, paginated: check
// authorises (nil for none), list reads it.
func ListHandler[T any](check func(*http.Request) error, list func(context.Context) ([]T, error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if check != nil {
			if err := check(r); err != nil {
				return err
			}
		}
		pg, err := PageOf(r, 100, 1000)
		if err != nil {
			return err
		}
		items, err := list(r.Context())
		if err != nil {
			return err
		}
		List(w, r, Slice(items, pg), len(items), pg)
		return nil
	}
}

// GetHandler answers GET of one object by the {id} of its path: check
// authorises (nil for none), get reads it (errs.NotFound when absent).
func GetHandler[T any](check func(*http.Request) error, get func(context.Context, int64) (T, error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if check != nil {
			if err := check(r); err != nil {
				return err
			}
		}
		id, err := PathID(r, "id")
		if err != nil {
			return err
		}
		v, err := get(r.Context(), id)
		if err != nil {
			return err
		}
		JSON(w, http.StatusOK, v)
		return nil
	}
}

// ActHandler answers a request with a JSON body on the object of the
// {id} of its path: act does what the request asks (it authorises) and
// returns what to answer, with status.
func ActHandler[In, Out any](status int, act func(r *http.Request, id int64, in In) (Out, error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := PathID(r, "id")
		if err != nil {
			return err
		}
		var in In
		if err := Decode(r, &in); err != nil {
			return err
		}
		out, err := act(r, id, in)
		if err != nil {
			return err
		}
		JSON(w, status, out)
		return nil
	}
}

// List writes a page of items as a JSON array, with the total in
// X-Total-Count and a Link header to the next page, as GitHub's API does, so
// a client that wants everything reads the array and follows "next".
func List[T any](w http.ResponseWriter, r *http.Request, items []T, total int, p Page) {
	if items == nil {
		items = []T{}
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	if next := p.Offset + len(items); next < total {
		u := *r.URL
		q := u.Query()
		q.Set("offset", strconv.Itoa(next))
		q.Set("limit", strconv.Itoa(p.Limit))
		u.RawQuery = q.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, (&url.URL{Path: u.Path, RawQuery: u.RawQuery}).String()))
	}
	JSON(w, http.StatusOK, items)
}

// Slice cuts one page out of a full list.
func Slice[T any](all []T, p Page) []T {
	if p.Offset >= len(all) {
		return nil
	}
	end := min(p.Offset+p.Limit, len(all))
	return all[p.Offset:end]
}

// Request is what the audit trail and the logs keep of a request: the
// client's address and the request line. WithRequest resolves it once at
// the edge of the server and keeps it in the context, so code that gets a
// context and no *http.Request (the authorisation entry point, jobs) still
// knows who asked.
type Request struct {
	IP     string
	Method string
	Path   string
}

type requestKey struct{}

// WithRequest is middleware that resolves the client address, believing
// X-Forwarded-For only from the trusted reverse proxies.
func WithRequest(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := Request{IP: clientIP(r, trusted), Method: r.Method, Path: r.URL.Path}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, info)))
	})
}

// RequestFrom returns the request a context serves (zero outside one).
func RequestFrom(ctx context.Context) Request {
	info, _ := ctx.Value(requestKey{}).(Request)
	return info
}

// ClientIP is the address a request came from, as WithRequest resolved it
// (the socket's peer when the middleware did not run).
func ClientIP(r *http.Request) string {
	if info, ok := r.Context().Value(requestKey{}).(Request); ok {
		return info.IP
	}
	return clientIP(r, nil)
}

// clientIP: behind a trusted proxy, the last address in X-Forwarded-For
// that is not itself a trusted proxy; otherwise the socket's peer, since a
// client could write any header.
func clientIP(r *http.Request, trustedProxies []netip.Prefix) string {
	trusted := func(a netip.Addr) bool {
		for _, p := range trustedProxies {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !trusted(a) {
			return a.String()
		}
	}
	return host
}
