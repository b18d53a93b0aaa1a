package plan

// HTTP surfaces of the Excel template: downloads of the empty template, of
// a plan and of the monthly review, and the import (API and page).

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

//go:embed templates/plans_import.html
var xlsxTemplates embed.FS

var xlsxImportPage = web.NewPage(xlsxTemplates, "templates/plans_import.html")

// xlsxRoutes registers the Excel downloads and imports, as API routes (so
// they are in the OpenAPI document) and as pages.
func (s *Store) xlsxRoutes(site *web.Site) {
	api := site.API
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/plans/template.xlsx", Tag: "plans",
		Summary: "The empty Excel template of a plan (sheets Kế hoạch, Chỉ tiêu, Nhiệm vụ, Hướng dẫn, Mã đơn vị); see docs/plan-template.md"},
		s.xlsxTemplate)
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/plans/{id}/export.xlsx", Tag: "plans",
		Summary: "A plan in the Excel template; importing it unchanged changes nothing"},
		s.xlsxExport)
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/plans/import.xlsx", Tag: "plans", Response: ImportResult{},
		Summary: "Import a plan from the Excel template. Body: the .xlsx file (Content-Type " + xlsxContentType +
			") or multipart/form-data with the file in field \"file\"; at most 10 MiB. All or nothing and idempotent; each error's field names the cell, e.g. \"Nhiệm vụ!F6\""},
		func(w http.ResponseWriter, r *http.Request) error {
			res, _, err := s.xlsxImportRequest(w, r)
			if err != nil {
				return err
			}
			status := 200
			if res.Created {
				status = 201
			}
			httpx.JSON(w, status, res)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/review.xlsx", Tag: "plans", Query: []string{"month: YYYY-MM, the current month by default"},
		Summary: "The Steering Committee's monthly review as an Excel workbook (coordinator, leader, admin)"},
		s.xlsxReview)

	site.Page("GET /plans/template.xlsx", s.xlsxTemplate)
	site.Page("GET /plans/{id}/export.xlsx", s.xlsxExport)
	site.Page("GET /review.xlsx", s.xlsxReview)
	site.Page("GET /plans/import", s.xlsxImportShow)
	site.Page("POST /plans/import", s.xlsxImportSubmit)
}

// xlsxSendFile serialises a workbook just built (or the error building it)
// and sends it as a download named name.
func xlsxSendFile(w http.ResponseWriter, name string, f *excelize.File, err error) error {
	var data []byte
	if err == nil {
		data, err = xlBytes(f)
	}
	if err != nil {
		return err
	}
	xlsxSend(w, name, data)
	return nil
}

// xlsxSend writes a workbook as a download named name (UTF-8, with an ASCII
// fallback for old clients).
func xlsxSend(w http.ResponseWriter, name string, data []byte) {
	w.Header().Set("Content-Type", xlsxContentType)
	w.Header().Set("Content-Disposition", xlsxDisposition(name))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

// xlsxDisposition is an attachment header with an ASCII filename (accents
// dropped) and the UTF-8 one in filename* (RFC 6266).
func xlsxDisposition(name string) string {
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

func xlsxFileName(prefix, id string) string {
	id = strings.NewReplacer("/", "-", "\\", "-", ":", "-", "\"", "", "\n", " ").Replace(id)
	return strings.TrimSpace(prefix+" "+id) + ".xlsx"
}

func (s *Store) xlsxTemplate(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
		return err
	}
	f, err := s.xlWorkbook(r.Context(), nil)
	return xlsxSendFile(w, "Biểu mẫu kế hoạch.xlsx", f, err)
}

func (s *Store) xlsxExport(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
		return err
	}
	d, err := s.Export(r.Context(), id)
	if err != nil {
		return err
	}
	f, err := s.xlWorkbook(r.Context(), &d)
	return xlsxSendFile(w, xlsxFileName("Kế hoạch", xlPlanName(d)), f, err)
}

func (s *Store) xlsxReview(w http.ResponseWriter, r *http.Request) error {
	rv, err := s.review(r)
	if err != nil {
		return err
	}
	f, err := s.xlReview(r.Context(), rv)
	return xlsxSendFile(w, xlsxFileName("Giao ban chuyển đổi số", "tháng "+rv.Month), f, err)
}

var (
	errXLSXTooLarge = &errs.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Key: "error.too_large",
		Fields: []errs.Field{{Name: "file", Code: "file_too_large", Args: []any{xlsxMaxUpload >> 20}, Context: "plan"}}}
	errXLSXMediaType = &errs.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Key: "error.unsupported_media_type",
		Fields: []errs.Field{{Name: "file", Code: "xlsx_content_type", Context: "plan"}}}
)

// xlsxUpload reads the uploaded workbook of an API request: the body
// itself, or the "file" field of a multipart form.
func xlsxUpload(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.MultipartForm == nil { // the session middleware may have read the form for its CSRF check
		r.Body = http.MaxBytesReader(w, r.Body, xlsxMaxUpload+1<<20)
	}
	switch ct {
	case "multipart/form-data":
		return xlsxFormFile(r)
	case xlsxContentType, "application/octet-stream", "":
		b, err := io.ReadAll(io.LimitReader(r.Body, xlsxMaxUpload+1))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) || len(b) > xlsxMaxUpload {
			return nil, errXLSXTooLarge
		}
		if err != nil {
			return nil, errs.BadRequest
		}
		return b, nil
	}
	return nil, errXLSXMediaType
}

// xlsxFormFile reads the "file" field of a multipart form.
func xlsxFormFile(r *http.Request) ([]byte, error) {
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) || strings.Contains(err.Error(), "request body too large") {
				return nil, errXLSXTooLarge
			}
			return nil, errs.Invalid(errs.Field{Name: "file", Code: "required", Context: "plan"})
		}
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return nil, errs.Invalid(errs.Field{Name: "file", Code: "required", Context: "plan"})
	}
	defer file.Close()
	if hdr.Size > xlsxMaxUpload {
		return nil, errXLSXTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(file, xlsxMaxUpload+1))
	if err != nil {
		return nil, errs.BadRequest
	}
	if len(b) > xlsxMaxUpload {
		return nil, errXLSXTooLarge
	}
	return b, nil
}

// xlsxImportRequest authorises, reads and imports an uploaded workbook.
func (s *Store) xlsxImportRequest(w http.ResponseWriter, r *http.Request) (ImportResult, Doc, error) {
	// Refuse people who may not import anywhere before reading the file.
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManagePlans, 0); err != nil {
		return ImportResult{}, Doc{}, err
	}
	data, err := xlsxUpload(w, r)
	if err != nil {
		return ImportResult{}, Doc{}, err
	}
	return s.xlsxImport(r, data)
}

// xlsxImport parses a workbook and imports it through the same path as the
// JSON import. Errors name cells; nothing is written on any error.
func (s *Store) xlsxImport(r *http.Request, data []byte) (ImportResult, Doc, error) {
	p := s.xlParse(r.Context(), data)
	if p.fatal {
		return ImportResult{}, p.doc, p.xlErrorOf(nil)
	}
	if len(p.issues) > 0 {
		// Cells that could not be read: report them with everything
		// validation finds in the rest, and import nothing.
		if _, err := s.AuthorizeImport(r.Context(), org.PrincipalFrom(r.Context()), p.doc); err != nil {
			return ImportResult{}, p.doc, err
		}
		_, verr := s.Validate(r.Context(), p.doc)
		if _, ok := errs.As(verr); verr != nil && !ok {
			return ImportResult{}, p.doc, verr
		}
		return ImportResult{}, p.doc, p.xlErrorOf(verr)
	}
	res, err := s.importDoc(r, p.doc)
	if err != nil {
		if e, ok := errs.As(err); ok && e.Code == "validation_failed" {
			return res, p.doc, p.xlErrorOf(err)
		}
		return res, p.doc, err
	}
	return res, p.doc, nil
}

// xlsxIssue is one error of an upload as the page lists it.
type xlsxIssue struct {
	Cell, Column, Message string
}

// xlsxIssues lists the errors of err by cell, column and message.
func xlsxIssues(lang locale.Lang, err error) []xlsxIssue {
	e, ok := errs.As(err)
	if !ok {
		return nil
	}
	var labels []string
	var xe *xlsxError
	if errors.As(err, &xe) {
		labels = xe.labels
	}
	var out []xlsxIssue
	for i, f := range e.Fields {
		is := xlsxIssue{Cell: f.Name, Message: locale.T(lang, "invalid."+f.Code, f.Args...)}
		if i < len(labels) {
			is.Column = labels[i]
		}
		if f.Name == "file" {
			is.Cell = httpx.FieldLabel(lang, errs.Field{Name: "file", Context: "plan"})
		}
		out = append(out, is)
	}
	return out
}

type xlsxImportData struct {
	MaxMB    int
	Result   *ImportResult
	Plan     string
	Issues   []xlsxIssue
	Filename string
}

func (s *Store) xlsxImportShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManagePlans, 0); err != nil {
		return err
	}
	return xlsxImportPage.Render(w, r, xlsxImportData{MaxMB: xlsxMaxUpload >> 20})
}

func (s *Store) xlsxImportSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManagePlans, 0); err != nil {
		return err
	}
	d := xlsxImportData{MaxMB: xlsxMaxUpload >> 20}
	if r.MultipartForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, xlsxMaxUpload+1<<20)
	}
	data, err := xlsxFormFile(r)
	if err == nil {
		if r.MultipartForm != nil && len(r.MultipartForm.File["file"]) > 0 {
			d.Filename = r.MultipartForm.File["file"][0].Filename
		}
		var res ImportResult
		var doc Doc
		res, doc, err = s.xlsxImport(r, data)
		if err == nil {
			d.Result, d.Plan = &res, xlPlanName(doc)
			return xlsxImportPage.Render(w, r, d)
		}
	}
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	v := web.NewView(r, nil)
	d.Issues = xlsxIssues(v.Lang, err)
	v.Data = d
	return xlsxImportPage.RenderView(w, r, e.Status, v)
}
