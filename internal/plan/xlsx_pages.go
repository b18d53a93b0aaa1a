package plan

// HTTP surfaces of the Excel template: downloads of the empty template, of
// a plan and of the monthly review, and the import (API and page).

import (
	"embed"
	"net/http"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
	"github.com/tinhso/tinhso/internal/xlsx"
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
		Summary: "Import a plan from the Excel template. Body: the .xlsx file (Content-Type " + xlsx.ContentType +
			") or multipart/form-data with the file in field \"file\"; at most 10 MiB, 64 MiB inflated, 20,000 rows a sheet; three imports at a time (429 with Retry-After beyond). All or nothing and idempotent; each error's field names the cell, e.g. \"Nhiệm vụ!F6\", and its column"},
		func(w http.ResponseWriter, r *http.Request) error {
			res, _, err := s.xlsxImportRequest(w, r)
			if err != nil {
				xlsxBusy(w, err)
				return err
			}
			status := 200
			if res.Created {
				status = 201
			}
			httpx.JSON(w, status, res)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/review.xlsx", Tag: "plans", Query: []string{"month: YYYY-MM (or MM/YYYY), the current month by default", "plan: id of one plan", "unit: id of one lead unit"},
		Summary: "The Steering Committee's monthly review as an Excel workbook (coordinator, leader, admin)"},
		s.xlsxReview)

	site.Page("GET /plans/template.xlsx", s.xlsxTemplate)
	site.Page("GET /plans/{id}/export.xlsx", s.xlsxExport)
	site.Page("GET /review.xlsx", s.xlsxReview)
	site.Page("GET /plans/import", s.xlsxImportShow)
	site.Page("POST /plans/import", s.xlsxImportSubmit)
}

// xlsxSend sends a workbook just built (or returns the error building it).
func xlsxSend(w http.ResponseWriter, name string, b *xlsx.Book, err error) error {
	if err != nil {
		return err
	}
	return xlsx.Send(w, name, b)
}

func (s *Store) xlsxTemplate(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
		return err
	}
	b, err := s.xlWorkbook(r.Context(), nil)
	return xlsxSend(w, "Biểu mẫu kế hoạch.xlsx", b, err)
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
	b, err := s.xlWorkbook(r.Context(), &d)
	return xlsxSend(w, xlsx.FileName("Kế hoạch", xlPlanName(d)), b, err)
}

func (s *Store) xlsxReview(w http.ResponseWriter, r *http.Request) error {
	rv, err := s.review(r)
	if err != nil {
		return err
	}
	b, err := s.xlReview(r.Context(), rv)
	return xlsxSend(w, xlsx.FileName("Giao ban chuyển đổi số", "tháng "+rv.Month), b, err)
}

// xlsxImportRequest authorises, reads and imports an uploaded workbook.
func (s *Store) xlsxImportRequest(w http.ResponseWriter, r *http.Request) (ImportResult, Doc, error) {
	// Refuse people who may not import anywhere before reading the file.
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManagePlans, 0); err != nil {
		return ImportResult{}, Doc{}, err
	}
	data, _, err := xlsx.Upload(w, r, xlsxLimits())
	if err != nil {
		return ImportResult{}, Doc{}, err
	}
	return s.xlsxImport(r, data)
}

// xlsxBusy asks a client refused for too many imports at once to come back
// in a few seconds.
func xlsxBusy(w http.ResponseWriter, err error) { xlsx.RetryAfter(w, err) }

type xlsxImportData struct {
	MaxMB    int64
	Result   *ImportResult
	Plan     string
	Issues   []xlsx.Issue
	Filename string
}

func (s *Store) xlsxImportShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManagePlans, 0); err != nil {
		return err
	}
	return xlsxImportPage.Render(w, r, xlsxImportData{MaxMB: xlsxLimits().MaxUpload >> 20})
}

func (s *Store) xlsxImportSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManagePlans, 0); err != nil {
		return err
	}
	d := xlsxImportData{MaxMB: xlsxLimits().MaxUpload >> 20}
	data, name, err := xlsx.FormFile(w, r, xlsxLimits())
	d.Filename = name
	if err == nil {
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
		xlsxBusy(w, err)
		return err
	}
	v := web.NewView(r, nil)
	d.Issues = xlsx.Issues(v.Lang, err)
	v.Data = d
	return xlsxImportPage.RenderView(w, r, e.Status, v)
}
