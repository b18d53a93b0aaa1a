package xlsx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
)

// Send writes a built workbook as a download named name. Nothing is sent
// when writing the workbook fails, so the caller can still answer with the
// error.
func Send(w http.ResponseWriter, name string, b *Book) error {
	data, err := b.Bytes()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Disposition", Disposition(name))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
	return nil
}

// Disposition is an attachment header with an ASCII filename (accents
// dropped, for old clients) and the UTF-8 one in filename* (RFC 6266).
func Disposition(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(name) {
		switch {
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_'):
			b.WriteRune(r)
		case r == 'đ':
			b.WriteRune('d')
		case r == 'Đ':
			b.WriteRune('D')
		case r == ' ' || r == '/':
			b.WriteRune('-')
		}
	}
	ascii := strings.Trim(b.String(), "-")
	if strings.TrimSuffix(ascii, ".xlsx") == "" {
		ascii = "tinhso.xlsx"
	}
	var enc strings.Builder
	for _, c := range []byte(name) {
		if c < 128 && (unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)) || strings.IndexByte("!#$&+-.^_`|~", c) >= 0) {
			enc.WriteByte(c)
		} else {
			fmt.Fprintf(&enc, "%%%02X", c)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, enc.String())
}

// FileName is a download name: prefix and an identifier such as a plan's
// number, with the characters file systems refuse replaced.
func FileName(prefix, id string) string {
	id = strings.NewReplacer("/", "-", "\\", "-", ":", "-", "\"", "", "\n", " ").Replace(id)
	return strings.TrimSpace(prefix+" "+id) + ".xlsx"
}

// Upload reads the workbook of an API request: the body itself (typed as
// a workbook or application/octet-stream), or the "file" field of a
// multipart form. It returns the file and its name ("" for a bare body).
func Upload(w http.ResponseWriter, r *http.Request, lim Limits) ([]byte, string, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		return FormFile(w, r, lim)
	case ContentType, "application/octet-stream", "":
		r.Body = http.MaxBytesReader(w, r.Body, lim.MaxUpload+1<<20)
		b, err := io.ReadAll(io.LimitReader(r.Body, lim.MaxUpload+1))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) || int64(len(b)) > lim.MaxUpload {
			return nil, "", TooLarge(lim)
		}
		if err != nil {
			return nil, "", errs.BadRequest
		}
		return b, "", nil
	}
	return nil, "", ErrMediaType
}

// FormFile reads the "file" field of a multipart form (the session
// middleware may have parsed the form already, for its CSRF check).
func FormFile(w http.ResponseWriter, r *http.Request, lim Limits) ([]byte, string, error) {
	if r.MultipartForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, lim.MaxUpload+1<<20)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) || strings.Contains(err.Error(), "request body too large") {
				return nil, "", TooLarge(lim)
			}
			return nil, "", FileError("required")
		}
	}
	file, hdr, err := r.FormFile(FileField)
	if err != nil {
		return nil, "", FileError("required")
	}
	defer file.Close()
	if hdr.Size > lim.MaxUpload {
		return nil, hdr.Filename, TooLarge(lim)
	}
	b, err := io.ReadAll(io.LimitReader(file, lim.MaxUpload+1))
	if err != nil {
		return nil, hdr.Filename, errs.BadRequest
	}
	if int64(len(b)) > lim.MaxUpload {
		return nil, hdr.Filename, TooLarge(lim)
	}
	return b, hdr.Filename, nil
}

// Limiter bounds how many imports run at once: reading a workbook costs
// memory, and a few large uploads at the same moment should not take the
// server down. It is a value each store holds, not a global.
type Limiter struct {
	slots chan struct{}
	wait  time.Duration
}

// NewLimiter lets n imports run at once; one more waits up to wait for a
// slot, then is refused with ErrBusy.
func NewLimiter(n int, wait time.Duration) *Limiter {
	return &Limiter{slots: make(chan struct{}, max(n, 1)), wait: wait}
}

// RetryAfter asks a client refused with ErrBusy to come back in a few
// seconds (Retry-After), and does nothing for other errors.
func RetryAfter(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrBusy) {
		w.Header().Set("Retry-After", "5")
	}
}

// Issue is one problem of an upload as an import page lists it: the cell
// (or the file's label), its column's header, the message.
type Issue struct {
	Cell, Column, Message string
}

// Issues lists the problems of err in lang, in its order; nil when err
// names no field.
func Issues(lang locale.Lang, err error) []Issue {
	e, ok := errs.As(err)
	if !ok {
		return nil
	}
	var out []Issue
	for _, f := range e.Fields {
		is := Issue{Cell: f.Name, Column: f.Column, Message: locale.T(lang, "invalid."+f.Code, f.Args...)}
		if f.Context != "" {
			is.Cell = httpx.FieldLabel(lang, errs.Field{Name: f.Name, Context: f.Context})
		}
		out = append(out, is)
	}
	return out
}

// ErrBusy is the answer when every slot stayed taken: 429, try again soon.
var ErrBusy = &errs.Error{Status: http.StatusTooManyRequests, Code: "too_many_requests", Key: "error.xlsx_busy"}

// Acquire takes a slot; release gives it back (once, however often it is
// called).
func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	var once sync.Once
	release = func() { once.Do(func() { <-l.slots }) }
	select {
	case l.slots <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ErrBusy
	}
}
