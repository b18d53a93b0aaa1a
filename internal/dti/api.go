package dti

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// Mount attaches the DTI domain to a site: its policy rules, API and pages.
func (s *Store) Mount(site *web.Site) {
	s.allow()
	s.apiRoutes(site.API)
	s.pageRoutes(site)
}

// allow sets the domain's policy rules on the registry (Mount, and the
// demo, which runs the cycle through the store outside a server).
func (s *Store) allow() {
	s.org.Allow(ViewDTI, org.Roles...)
	s.org.Allow(ManageDTI, org.RoleAdmin, org.RoleCoordinator)
	s.org.Allow(AssessDTI, org.RoleAdmin, org.RoleCoordinator, org.RoleApprover, org.RoleReporter)
	s.org.Allow(ReviewDTI, org.RoleAdmin, org.RoleCoordinator)
	s.org.Allow(AppraiseDTI, org.RoleAdmin, org.RoleCoordinator, org.RoleLeader)
}

func (s *Store) canView(r *http.Request) error {
	return s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewDTI, 0)
}

// pathUnit reads the {id} and {unit} of an assessment unit's path.
func pathUnit(r *http.Request) (assessment, unit int64, err error) {
	if assessment, err = httpx.PathID(r, "id"); err != nil {
		return
	}
	unit, err = httpx.PathID(r, "unit")
	return
}

// queryYear reads a required year parameter.
func queryYear(r *http.Request, name string, required bool) (int, error) {
	q := strings.TrimSpace(r.URL.Query().Get(name))
	if q == "" {
		if required {
			return 0, errs.Invalid(errs.Field{Name: name, Code: "required", Context: "dti"})
		}
		return 0, nil
	}
	y, err := strconv.Atoi(q)
	if err != nil || y < 2000 || y > 2100 {
		return 0, errYear(name)
	}
	return y, nil
}

func (s *Store) apiRoutes(api *httpx.API) {
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/frameworks", Tag: "dti", Summary: "DTI frameworks with their main indices (maxPoints) and components", Response: Framework{}, List: true},
		httpx.ListHandler(s.canView, s.Frameworks))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/frameworks/{id}", Tag: "dti", Summary: "One framework with its structure", Response: Framework{}},
		httpx.GetHandler(s.canView, s.Framework))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/frameworks/{id}/document", Tag: "dti", Summary: "A framework as the JSON document an import takes", Response: Framework{}},
		httpx.GetHandler(s.canView, func(ctx context.Context, id int64) (Framework, error) {
			f, err := s.Framework(ctx, id)
			return f.Document(), err
		}))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/frameworks/{id}/workbook", Tag: "dti", Summary: "A framework as an Excel workbook (the layout the import reads)"},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.canView(r); err != nil {
				return err
			}
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			f, err := s.Framework(r.Context(), id)
			if err != nil {
				return err
			}
			return s.sendWorkbook(w, r, f)
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/dti/frameworks", Tag: "dti", Summary: "Import a framework (JSON); matched by code, all or nothing, idempotent; refused when its points do not add up", Request: Framework{}, Response: ImportResult{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var f Framework
			if err := httpx.Decode(r, &f); err != nil {
				return err
			}
			return s.answerImport(w, r, f)
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/dti/frameworks/workbook", Tag: "dti", Summary: "Import a framework from an Excel workbook (the body, or the file field of a form)", Response: ImportResult{}},
		func(w http.ResponseWriter, r *http.Request) error {
			f, err := s.readUpload(w, r)
			if err != nil {
				return err
			}
			return s.answerImport(w, r, f)
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/frameworks/{id}/links", Tag: "dti", Summary: "The components of a framework linked to the programme tasks that address them", Response: ComponentLinks{}, List: true},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.canView(r); err != nil {
				return err
			}
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			list, err := s.Links(r.Context(), id)
			if err != nil {
				return err
			}
			httpx.List(w, r, list, len(list), httpx.Page{Limit: len(list)})
			return nil
		})
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/dti/frameworks/{id}/components/{code}/tasks", Tag: "dti", Summary: "Set the programme tasks that address a component (replaces its links)", Request: LinksInput{}, Response: TaskRef{}, List: true},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			var in LinksInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			list, err := s.SetLinks(r.Context(), org.PrincipalFrom(r.Context()), id, r.PathValue("code"), in)
			if err != nil {
				return err
			}
			httpx.List(w, r, list, len(list), httpx.Page{Limit: len(list)})
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/assessments", Tag: "dti", Summary: "Assessments the caller may see, with each unit's state", Response: Assessment{}, List: true},
		httpx.ListHandler(s.canView, func(ctx context.Context) ([]Assessment, error) { return s.Assessments(ctx, org.PrincipalFrom(ctx)) }))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/dti/assessments", Tag: "dti", Summary: "Open an assessment: framework, year, units, deadline and evidence guidance (coordinator)", Request: AssessmentInput{}, Response: Assessment{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			var in AssessmentInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			p := org.PrincipalFrom(r.Context())
			id, err := s.Open(r.Context(), p, in)
			if err != nil {
				return err
			}
			a, err := s.Assessment(r.Context(), p, id)
			if err != nil {
				return fmt.Errorf("read back assessment %d: %w", id, err)
			}
			httpx.JSON(w, 201, a)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/assessments/{id}", Tag: "dti", Summary: "One assessment", Response: Assessment{}},
		httpx.GetHandler(nil, func(ctx context.Context, id int64) (Assessment, error) {
			return s.Assessment(ctx, org.PrincipalFrom(ctx), id)
		}))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/dti/assessments/{id}/publish", Tag: "dti", Summary: "Publish the final scores once every unit is appraised; they are locked", Response: Assessment{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			p := org.PrincipalFrom(r.Context())
			if err := s.Publish(r.Context(), p, id); err != nil {
				return err
			}
			a, err := s.Assessment(r.Context(), p, id)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, a)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/assessments/{id}/units/{unit}", Tag: "dti", Summary: "A unit's scoring sheet: every component with its scores at each stage, evidence, history and published revisions; ?format=xlsx or csv downloads the whole sheet in the provinces' layout", Response: Sheet{},
		Query: []string{"format: json (the default), xlsx or csv"}},
		func(w http.ResponseWriter, r *http.Request) error {
			a, u, err := pathUnit(r)
			if err != nil {
				return err
			}
			return s.answerSheet(w, r, 200, a, u)
		})
	step := func(path, summary string, request any, do func(r *http.Request, p *org.Principal, a, u int64) error) {
		api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/dti/assessments/{id}/units/{unit}/" + path, Tag: "dti", Summary: summary, Request: request, Response: Sheet{}},
			func(w http.ResponseWriter, r *http.Request) error {
				a, u, err := pathUnit(r)
				if err != nil {
					return err
				}
				if err := do(r, org.PrincipalFrom(r.Context()), a, u); err != nil {
					return err
				}
				return s.answerSheet(w, r, 200, a, u)
			})
	}
	step("scores", "Self-assess one component: the input its rule reads (empty for a computed one), comment, explanation, evidence files", ScoreInput{},
		func(r *http.Request, p *org.Principal, a, u int64) error {
			var in ScoreInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			return s.SelfAssess(r.Context(), p, a, u, in)
		})
	step("submit", "Submit the self-assessment to the preliminary review (every component scored)", nil,
		func(r *http.Request, p *org.Principal, a, u int64) error { return s.Submit(r.Context(), p, a, u) })
	step("review", "Preliminary review: accept, adjust with a reason, or ask for more evidence, per component", ReviewInput{},
		func(r *http.Request, p *org.Principal, a, u int64) error {
			var in ReviewInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			_, err := s.Review(r.Context(), p, a, u, in)
			return err
		})
	step("appraisal", "The appraisal council's scores (not by someone who self-assessed the unit)", AppraisalInput{},
		func(r *http.Request, p *org.Principal, a, u int64) error {
			var in AppraisalInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			return s.Appraise(r.Context(), p, a, u, in)
		})
	step("corrections", "Correct a published score: a new, visible revision with its reason (coordinator)", CorrectionInput{},
		func(r *http.Request, p *org.Principal, a, u int64) error {
			var in CorrectionInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			_, err := s.Correct(r.Context(), p, a, u, in)
			return err
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/evidence/{id}", Tag: "dti", Summary: "Download an evidence file"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			e, data, err := s.Evidence(r.Context(), org.PrincipalFrom(r.Context()), id)
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", e.ContentType)
			w.Header().Set("Content-Disposition", xlsx.Disposition(e.Filename))
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.WriteHeader(200)
			w.Write(data)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/scores", Tag: "dti", Summary: "Results of a framework in a year: each unit's total, index and rank among its peers, main indices and where it loses points", Response: Results{},
		Query: []string{"framework: framework id (required)", "year: YYYY (required)", "stage: final (published, the default) or current (latest stage of every unit)"}},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.canView(r); err != nil {
				return err
			}
			res, err := s.resultsOf(r)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, res)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/scores/export", Tag: "dti", Summary: "The results table as an Excel workbook or CSV with a UTF-8 BOM: rank, unit, points, index and each main index",
		Query: []string{"framework: framework id (required)", "year: YYYY (required)", "stage: final or current", "format: xlsx (the default) or csv"}},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.canView(r); err != nil {
				return err
			}
			res, err := s.resultsOf(r)
			if err != nil {
				return err
			}
			f, err := s.Framework(r.Context(), res.Framework.ID)
			if err != nil {
				return err
			}
			return xlsx.SendExport(w, r.URL.Query().Get("format"), resultsExport(f, res))
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/history", Tag: "dti", Summary: "A unit's results over the years with its predecessors' (a merged unit), and for a year before a merger the plain average of its predecessors' main indices", Response: History{},
		Query: []string{"unit: unit id (required)"}},
		func(w http.ResponseWriter, r *http.Request) error {
			unit, err := queryUnit(r)
			if err != nil {
				return err
			}
			h, err := s.History(r.Context(), org.PrincipalFrom(r.Context()), unit)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, h)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/dti/published", Tag: "dti", Summary: "National results as public sources state them (ranks, indices, main indices), apart from tinhso's assessments", Response: Published{}, List: true,
		Query: []string{"year: YYYY", "unit: unit id"}},
		func(w http.ResponseWriter, r *http.Request) error {
			var f PublishedFilter
			var err error
			if f.Year, err = queryYear(r, "year", false); err != nil {
				return err
			}
			if q := r.URL.Query().Get("unit"); q != "" {
				id, err := strconv.ParseInt(q, 10, 64)
				if err != nil || id <= 0 {
					return errs.Invalid(errs.Field{Name: "unit", Code: "invalid"})
				}
				f.Units = []int64{id}
			}
			pg, err := httpx.PageOf(r, 100, 1000)
			if err != nil {
				return err
			}
			list, err := s.PublishedResults(r.Context(), org.PrincipalFrom(r.Context()), f)
			if err != nil {
				return err
			}
			httpx.List(w, r, httpx.Slice(list, pg), len(list), pg)
			return nil
		})
}

// queryUnit reads the required ?unit= of a unit's history.
func queryUnit(r *http.Request) (int64, error) {
	q := strings.TrimSpace(r.URL.Query().Get("unit"))
	if q == "" {
		return 0, errs.Invalid(errs.Field{Name: "unit", Code: "required", Context: "dti"})
	}
	id, err := strconv.ParseInt(q, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalid(errs.Field{Name: "unit", Code: "invalid", Context: "dti"})
	}
	return id, nil
}

// resultsOf reads ?framework=&year=&stage= and computes the results.
func (s *Store) resultsOf(r *http.Request) (Results, error) {
	q := r.URL.Query()
	v := errs.Validator{Context: "dti"}
	fid, err := strconv.ParseInt(strings.TrimSpace(q.Get("framework")), 10, 64)
	if q.Get("framework") == "" {
		v.Add("framework", "required")
	} else if err != nil || fid <= 0 {
		v.Add("framework", "invalid")
	}
	year, err := queryYear(r, "year", true)
	if e, ok := errs.As(err); ok {
		v.Add(e.Fields[0].Name, e.Fields[0].Code)
	}
	stage := strings.TrimSpace(q.Get("stage"))
	if stage == "" {
		stage = StageFinal
	}
	v.Check(stage == StageFinal || stage == StageCurrent, "stage", "one_of", "final, current")
	if err := v.Err(); err != nil {
		return Results{}, err
	}
	return s.Results(r.Context(), org.PrincipalFrom(r.Context()), fid, year, stage)
}

func (s *Store) answerSheet(w http.ResponseWriter, r *http.Request, status int, a, u int64) error {
	sh, err := s.Sheet(r.Context(), org.PrincipalFrom(r.Context()), locale.FromRequest(r), a, u)
	if err != nil {
		return err
	}
	if r.Method == http.MethodGet {
		if format, ok, err := xlsx.ExportFormat(r); err != nil {
			return err
		} else if ok {
			return xlsx.SendExport(w, format, sheetExport(locale.FromRequest(r), sh))
		}
	}
	httpx.JSON(w, status, sh)
	return nil
}

// answerImport imports a framework and audits a change.
func (s *Store) answerImport(w http.ResponseWriter, r *http.Request, f Framework) error {
	res, err := s.ImportAs(r.Context(), org.PrincipalFrom(r.Context()), f)
	if err != nil {
		return err
	}
	if res.Changed {
		if err := audit.Record(r.Context(), s.db.Write, audit.From(r, audit.DTIFramework, strings.ToUpper(strings.TrimSpace(f.Code)), fmt.Sprintf("revision %d", res.Revision), true)); err != nil {
			return err
		}
	}
	status := 200
	if res.Created {
		status = 201
	}
	httpx.JSON(w, status, res)
	return nil
}

// resultsExport is the results table as a download: one row per unit,
// best first, with its points and index and each main index's points and
// value, in the framework's order.
func resultsExport(f Framework, res Results) xlsx.Export {
	cols := []xlsx.Column{{Header: "Xếp hạng", Width: 9, Format: xlsx.Integer}, {Header: "Mã đơn vị", Width: 16, Format: xlsx.TextFmt}, {Header: "Đơn vị", Width: 40},
		{Header: "Trạng thái", Width: 16}, {Header: "Bản", Width: 6, Format: xlsx.Integer}, {Header: "Tổng điểm", Width: 11, Format: xlsx.NumberFmt}, {Header: "Chỉ số", Width: 9, Format: xlsx.NumberFmt}}
	for _, m := range f.MainIndices {
		cols = append(cols, xlsx.Column{Header: m.Code + ". " + m.Name + " (điểm)", Width: 14, Format: xlsx.NumberFmt}, xlsx.Column{Header: m.Code + ". " + m.Name + " (chỉ số)", Width: 14, Format: xlsx.NumberFmt})
	}
	e := xlsx.Export{Name: fmt.Sprintf("Kết quả DTI %s %d", f.Code, res.Year), Title: fmt.Sprintf("DTI %d", res.Year), Columns: cols}
	for _, u := range res.Units {
		row := []any{u.Rank, u.Unit.Code, u.Unit.Label, locale.T(locale.VI, "dti.state."+u.State), u.Revision, u.Total, math.Round(u.Index*1e4) / 1e4}
		for _, m := range u.MainIndices {
			var ix *float64
			if m.Index != nil {
				v := math.Round(*m.Index*1e4) / 1e4
				ix = &v
			}
			row = append(row, m.Points, ix)
		}
		e.Rows = append(e.Rows, row)
	}
	return e
}
