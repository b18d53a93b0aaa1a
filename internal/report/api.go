package report

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// allowRoles adds the reporting domain's rules to the policy table: who
// may view, manage, enter, approve and force reports.
func (s *Store) allowRoles() {
	s.org.Allow(ViewReports, org.Roles...)
	s.org.Allow(ManageReports, org.RoleAdmin, org.RoleCoordinator)
	s.org.Allow(EnterReports, org.RoleAdmin, org.RoleCoordinator, org.RoleApprover, org.RoleReporter)
	s.org.Allow(ApproveReports, org.RoleAdmin, org.RoleCoordinator, org.RoleApprover)
	s.org.Allow(ForceReports, org.RoleAdmin)
}

// Mount attaches the reporting domain to a site: its policy rules and API.
func (s *Store) Mount(site *web.Site) {
	s.allowRoles()
	s.apiRoutes(site.API)
	s.dhis2Routes(site)
	s.mountCompleteness(site) // completeness, the computed share of reports, reminders (completeness.go, reminders.go)
	s.xlsxRoutes(site)        // Excel workbooks of forms, their import, values and downloads (xlsx_*.go)
	s.workflowRoutes(site.API)
	s.dhis2ApprovalRoutes(site.API)
	s.entryRoutes(site)
	s.analyticsRoutes(site.API)
	s.analyticsPageRoutes(site)
}

func (s *Store) canView(r *http.Request) error {
	return s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewReports, 0)
}

func (s *Store) apiRoutes(api *httpx.API) {
	download := "format: xlsx or csv to download the list (CSV with a UTF-8 byte-order mark), sorted by name in Vietnamese order"
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/report/indicators", Tag: "report", Summary: "Reporting indicators (chỉ tiêu báo cáo), by code", Response: Indicator{}, List: true,
		Query: []string{download}},
		exportable(httpx.ListHandler(s.canView, s.Indicators), s.indicatorsExport))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/report/indicators/{id}", Tag: "report", Summary: "One indicator with its category options and formula", Response: Indicator{}},
		httpx.GetHandler(s.canView, s.Indicator))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/report/forms", Tag: "report", Summary: "Report forms with their period type, sections, indicators and assignments", Response: Form{}, List: true,
		Query: []string{download}},
		exportable(httpx.ListHandler(s.canView, s.Forms), s.formsExport))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/report/forms/{id}", Tag: "report", Summary: "One report form", Response: Form{}},
		httpx.GetHandler(s.canView, s.Form))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/report/forms/{id}/units", Tag: "report", Summary: "The units that must report a form for a period, as the registry stood on the last day of its data cut-off", Response: FormUnits{},
		Query: []string{"period: a period of the form's type in DHIS2 notation, e.g. 2025Q3 (required)", "format: xlsx or csv to download the list"}},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.canView(r); err != nil {
				return err
			}
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			if _, err := s.Form(r.Context(), id); err != nil {
				return err
			}
			q := strings.TrimSpace(r.URL.Query().Get("period"))
			if q == "" {
				return errs.Invalid(errs.Field{Name: "period", Code: "required", Context: "report"})
			}
			p, err := ParsePeriod(q)
			if err != nil {
				return err
			}
			format, export, err := xlsx.ExportFormat(r)
			if err != nil {
				return err
			}
			out, err := s.UnitsFor(r.Context(), id, p)
			if err != nil {
				return err
			}
			if export {
				return s.unitsExport(w, r, out, format)
			}
			httpx.JSON(w, 200, out)
			return nil
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/report/import", Tag: "report", Summary: "Import indicators and report forms (JSON); all or nothing, idempotent, matched by code", Request: Doc{}, Response: ImportResult{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var d Doc
			if err := httpx.Decode(r, &d); err != nil {
				return err
			}
			res, err := s.ImportAs(r.Context(), org.PrincipalFrom(r.Context()), d)
			if err != nil {
				return err
			}
			if res.Changes > 0 {
				var codes []string
				for _, f := range d.Forms {
					codes = append(codes, f.Code)
				}
				subject := strings.Join(codes, ", ")
				if subject == "" {
					subject = fmt.Sprintf("%d indicators", len(d.Indicators))
				}
				if err := audit.Record(r.Context(), s.db.Write, audit.From(r, audit.ReportImport, subject, fmt.Sprintf("%d changes", res.Changes), true)); err != nil {
					return err
				}
			}
			status := 200
			if res.Created {
				status = 201
			}
			httpx.JSON(w, status, res)
			return nil
		})
}
