package report

// HTTP surfaces of the report domain's Excel exchange and downloads: the
// template workbook of a form and period, its import (API and page, with a
// dry run that previews what would change), the values of a form and
// period, and the downloads of every list as XLSX or CSV.
//
// The download convention, for every table (xlsx.ExportFormat): the
// list's own URL with ?format=xlsx or ?format=csv answers with the file,
// with the same filters; without it the list answers JSON (API) or HTML
// (page).

import (
	"embed"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
	"github.com/tinhso/tinhso/internal/xlsx"
)

//go:embed templates/excel_*.html
var excelTemplates embed.FS

var (
	excelFormsPage      = web.NewPage(excelTemplates, "templates/excel_forms.html")
	excelIndicatorsPage = web.NewPage(excelTemplates, "templates/excel_indicators.html")
	excelFormPage       = web.NewPage(excelTemplates, "templates/excel_form.html")
	excelImportPage     = web.NewPage(excelTemplates, "templates/excel_import.html")
	excelValuesPage     = web.NewPage(excelTemplates, "templates/excel_values.html")
)

// excel serves the Excel routes; imports holds the slots of concurrent
// workbook imports (one per server).
type excel struct {
	s       *Store
	imports *xlsx.Limiter
}

// xlsxRoutes registers the template, import and values routes (API and
// pages), the list pages and the menu entry.
func (s *Store) xlsxRoutes(site *web.Site) {
	x := &excel{s: s, imports: xlsx.NewLimiter(xlImportSlots, xlImportWait)}
	api := site.API
	period := "period: a period of the form's type in DHIS2 notation, e.g. 2026Q4 (required)"
	unit := "unit: id of a unit; only the units that are it or under it"
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/report/forms/{id}/template.xlsx", Tag: "report", Query: []string{period, unit},
		Summary: "The Excel workbook of a form for a period: sheet «Dữ liệu» with a row per indicator (category options as sub-rows) and a column per unit that must report and that the caller may enter data for, values entered so far filled in, each unit's report state; sheet «Hướng dẫn». See docs/report-excel.md"},
		x.template)
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/report/forms/{id}/import.xlsx", Tag: "report", Response: ExcelResult{},
		Query: []string{"dryRun: true to check the file and answer what would change, writing nothing"},
		Summary: "Import a filled-in form workbook. Body: the .xlsx file (Content-Type " + xlsx.ContentType +
			") or multipart/form-data with the file in field \"file\"; at most 10 MiB, 64 MiB inflated; three imports at a time (429 with Retry-After beyond). Every value is checked (type, assignment, scope, lock, report state) and all are written in one transaction, or none: each error's field names the cell, e.g. \"Dữ liệu!E12\". Idempotent; a blank cell keeps the stored value"},
		x.importAPI)
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/report/forms/{id}/values", Tag: "report", Response: FormValue{}, List: true,
		Query:   []string{period, unit, "format: xlsx or csv to download the table (CSV with a UTF-8 byte-order mark)"},
		Summary: "The values entered for a form and period by the units that must report it, within the caller's scope, in the form's order"},
		x.values)

	site.AddMenu("/report/forms", "nav.report_forms", string(ViewReports))
	site.Page("GET /report/forms", x.formsPage)
	site.Page("GET /report/indicators", x.indicatorsPage)
	site.Page("GET /report/forms/{id}", x.formPage)
	site.Page("GET /report/forms/{id}/template.xlsx", x.template)
	site.Page("GET /report/forms/{id}/values", x.values)
	site.Page("GET /report/forms/{id}/import", x.importShow)
	site.Page("POST /report/forms/{id}/import", x.importSubmit)
}

// exportable answers a list route with its download when ?format= asks
// for one (see xlsx.ExportFormat), else with list.
func exportable(list httpx.HandlerFunc, export func(w http.ResponseWriter, r *http.Request, format string) error) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		format, ok, err := xlsx.ExportFormat(r)
		if err != nil {
			return err
		}
		if ok {
			return export(w, r, format)
		}
		return list(w, r)
	}
}

// request reads a template's or values' request: the form, the period
// (of the form's type), the unit it keeps to.
func (x *excel) request(r *http.Request, period Period) (xlRequest, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return xlRequest{}, err
	}
	f, err := x.s.Form(r.Context(), id)
	if err != nil {
		return xlRequest{}, err
	}
	q := xlRequest{form: f, period: period}
	if q.period.IsZero() {
		v := strings.TrimSpace(r.URL.Query().Get("period"))
		if v == "" {
			return q, errs.Invalid(errs.Field{Name: "period", Code: "required", Context: "report"})
		}
		if q.period, err = ParsePeriod(v); err != nil {
			return q, err
		}
	}
	if q.period.Type().String() != f.PeriodType {
		pt, _ := ParsePeriodType(f.PeriodType)
		return q, errs.Invalid(errs.Field{Name: "period", Code: "report.period_type_mismatch", Args: []any{pt.Label(locale.FromRequest(r))}, Context: "report"})
	}
	if v := strings.TrimSpace(r.URL.Query().Get("unit")); v != "" {
		if q.under, err = strconv.ParseInt(v, 10, 64); err != nil || q.under <= 0 {
			return q, errs.Invalid(errs.Field{Name: "unit", Code: "invalid", Context: "report"})
		}
	}
	return q, nil
}

func (x *excel) template(w http.ResponseWriter, r *http.Request) error {
	if err := x.s.canView(r); err != nil {
		return err
	}
	q, err := x.request(r, Period{})
	if err != nil {
		return err
	}
	d, err := x.s.xlData(r.Context(), org.PrincipalFrom(r.Context()), q)
	if err != nil {
		return err
	}
	b, err := x.s.xlWorkbook(d)
	if err != nil {
		return err
	}
	return xlsx.Send(w, xlsx.FileName("Biểu "+q.form.Code, q.period.String()), b)
}

// read authorises and reads an import's workbook: people who may enter
// data nowhere are refused before the file is read.
func (x *excel) read(w http.ResponseWriter, r *http.Request, upload func() ([]byte, string, error)) (Form, []byte, string, error) {
	if err := x.s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), EnterReports, 0); err != nil {
		return Form{}, nil, "", err
	}
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return Form{}, nil, "", err
	}
	f, err := x.s.Form(r.Context(), id)
	if err != nil {
		return Form{}, nil, "", err
	}
	data, name, err := upload()
	return f, data, name, err
}

// run imports one workbook, within the limiter's slots.
func (x *excel) run(r *http.Request, f Form, data []byte, dryRun bool, name string) (ExcelResult, error) {
	release, err := x.imports.Acquire(r.Context())
	if err != nil {
		return ExcelResult{}, err
	}
	defer release()
	return x.s.ImportExcel(r.Context(), org.PrincipalFrom(r.Context()), f, data, dryRun, name)
}

func (x *excel) importAPI(w http.ResponseWriter, r *http.Request) error {
	dry := false
	if v := r.URL.Query().Get("dryRun"); v != "" {
		var err error
		if dry, err = strconv.ParseBool(v); err != nil {
			return errs.Invalid(errs.Field{Name: "dryRun", Code: "invalid"})
		}
	}
	f, data, name, err := x.read(w, r, func() ([]byte, string, error) { return xlsx.Upload(w, r, xlsx.DefaultLimits()) })
	if err != nil {
		return err
	}
	res, err := x.run(r, f, data, dry, name)
	if err != nil {
		xlsx.RetryAfter(w, err)
		return err
	}
	httpx.JSON(w, 200, res)
	return nil
}

// FormValue is one value of a form's report as the values list shows it.
type FormValue struct {
	Unit          UnitRef   `json:"unit"`
	Indicator     string    `json:"indicator"`
	IndicatorName string    `json:"indicatorName"`
	Option        string    `json:"option,omitempty"`
	OptionName    string    `json:"optionName,omitempty"`
	Measure       string    `json:"measure,omitempty"`
	ValueType     string    `json:"valueType"`
	Value         string    `json:"value"`
	Comment       string    `json:"comment,omitempty"`
	UpdatedAt     time.Time `json:"updatedAt"`
	State         string    `json:"state" doc:"the report's state: open, draft, submitted, returned, approved or accepted"`
}

// formValues lists the values of q's units in the caller's view scope.
func (x *excel) formValues(r *http.Request, q xlRequest) ([]FormValue, error) {
	ctx := r.Context()
	units, err := x.s.xlSelect(ctx, org.PrincipalFrom(ctx), ViewReports, q)
	if err != nil {
		return nil, err
	}
	stored, err := x.s.xlStored(ctx, x.s.db.Read, q.form, q.period, units)
	if err != nil {
		return nil, err
	}
	all, err := x.s.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	inds := map[int64]Indicator{}
	for _, in := range all {
		inds[in.ID] = in
	}
	options, err := optionIDs(ctx, x.s.db.Read)
	if err != nil {
		return nil, err
	}
	lines := xlLayout(q.form, inds)
	out := []FormValue{}
	for _, u := range units {
		state, err := reportState(ctx, x.s.db.Read, ReportKey{Form: q.form.ID, Unit: u.ID, Period: q.period.String()})
		if err != nil {
			return nil, err
		}
		if state == StateOpen {
			state = "open"
		}
		for _, ln := range lines {
			if ln.ind == nil || ln.parent {
				continue
			}
			k := Key{Indicator: ln.ind.ID, Unit: u.ID, Period: q.period.String()}
			fv := FormValue{Unit: UnitRef{ID: u.ID, Code: u.Code, Name: u.Name}, Indicator: ln.ind.Code, IndicatorName: ln.ind.Name,
				Measure: ln.ind.Measure, ValueType: ln.ind.ValueType, State: state}
			if ln.option != nil {
				k.Option = options[ln.ind.ID][ln.option.Code]
				fv.Option, fv.OptionName = ln.option.Code, ln.option.Name
			}
			v, ok := stored[k]
			if !ok {
				continue
			}
			fv.Value, fv.Comment, fv.UpdatedAt = v.value, v.comment, v.updated
			out = append(out, fv)
		}
	}
	return out, nil
}

// shownValue is a stored value as a page shows it: numbers the way the
// language writes them (1.500, 45,5), yes/no as words, dates as dates.
func shownValue(l locale.Lang, valueType, v string) string {
	switch ValueType(valueType) {
	case TypeBoolean, TypeTrueOnly:
		if v == "true" {
			return locale.T(l, "report_excel.yes")
		}
		return locale.T(l, "report_excel.no")
	case TypeDate:
		return locale.ISODate(l, v)
	case TypeText, TypeLongText:
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	return locale.Number(l, f, 10)
}

// valuesData is what the values page shows.
type valuesData struct {
	Lang   locale.Lang
	Form   Form
	Period Period
	Label  string
	Values []FormValue
	Unit   int64 // the unit asked for, 0 for all
}

// Shown writes a value for the page.
func (d valuesData) Shown(valueType, v string) string { return shownValue(d.Lang, valueType, v) }

func (x *excel) values(w http.ResponseWriter, r *http.Request) error {
	if err := x.s.canView(r); err != nil {
		return err
	}
	format, export, err := xlsx.ExportFormat(r)
	if err != nil {
		return err
	}
	q, err := x.request(r, Period{})
	if err != nil {
		return err
	}
	list, err := x.formValues(r, q)
	if err != nil {
		return err
	}
	if export {
		return xlsx.SendExport(w, format, valuesExport(q, list))
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		httpx.JSON(w, 200, list)
		return nil
	}
	return excelValuesPage.Render(w, r, valuesData{Lang: locale.FromRequest(r), Form: q.form, Period: q.period, Label: q.period.Label(locale.FromRequest(r)), Values: list, Unit: q.under})
}

// valuesExport is the values table as a download.
func valuesExport(q xlRequest, list []FormValue) xlsx.Export {
	e := xlsx.Export{Name: "Số liệu " + q.form.Code + " " + q.period.String(), Title: "Số liệu",
		Columns: []xlsx.Column{{Header: "Mã đơn vị", Width: 16, Format: xlsx.TextFmt}, {Header: "Đơn vị", Width: 36}, {Header: "Kỳ báo cáo", Width: 10, Format: xlsx.TextFmt},
			{Header: "Mã chỉ tiêu", Width: 22, Format: xlsx.TextFmt}, {Header: "Chỉ tiêu", Width: 50}, {Header: "Mã phân tổ", Width: 11, Format: xlsx.TextFmt},
			{Header: "Phân tổ", Width: 16}, {Header: "Đơn vị tính", Width: 11}, {Header: "Giá trị", Width: 14}, {Header: "Ghi chú", Width: 30},
			{Header: "Cập nhật", Width: 12, Format: xlsx.DateFmt}, {Header: "Tình trạng báo cáo", Width: 18}}}
	for _, v := range list {
		e.Rows = append(e.Rows, []any{v.Unit.Code, v.Unit.Name, q.period.String(), v.Indicator, v.IndicatorName, v.Option, v.OptionName, v.Measure,
			xlCellValue(v.ValueType, v.Value), v.Comment, v.UpdatedAt, locale.T(locale.VI, "report_excel.state."+v.State)})
	}
	return e
}

// indicatorsExport is the indicators table as a download.
func (s *Store) indicatorsExport(w http.ResponseWriter, r *http.Request, format string) error {
	if err := s.canView(r); err != nil {
		return err
	}
	list, err := s.Indicators(r.Context())
	if err != nil {
		return err
	}
	sortIndicators(list)
	e := xlsx.Export{Name: "Chỉ tiêu báo cáo", Columns: []xlsx.Column{{Header: "Mã chỉ tiêu", Width: 22, Format: xlsx.TextFmt}, {Header: "Tên chỉ tiêu", Width: 50},
		{Header: "Ý nghĩa", Width: 40}, {Header: "Kiểu giá trị", Width: 18}, {Header: "Đơn vị tính", Width: 11}, {Header: "Tổng hợp theo đơn vị", Width: 16},
		{Header: "Tổng hợp theo thời gian", Width: 16}, {Header: "Đơn vị chịu trách nhiệm", Width: 30}, {Header: "Phân tổ", Width: 30},
		{Header: "Tử số", Width: 18, Format: xlsx.TextFmt}, {Header: "Mẫu số", Width: 18, Format: xlsx.TextFmt}, {Header: "Hệ số"}, {Header: "Nguồn số liệu", Width: 24}}}
	for _, in := range list {
		var opts []string
		for _, o := range in.CategoryOptions {
			opts = append(opts, o.Code+": "+o.Name)
		}
		resp := ""
		if in.ResponsibleUnit != nil {
			resp = in.ResponsibleUnit.Name + " (" + in.ResponsibleUnit.Code + ")"
		}
		var factor any
		if in.Numerator != "" {
			factor = in.Factor
		}
		e.Rows = append(e.Rows, []any{in.Code, in.Name, in.Description, locale.T(locale.VI, "report_excel.value_type."+in.ValueType), in.Measure,
			locale.T(locale.VI, "report_excel.aggregation."+in.Aggregation), locale.T(locale.VI, "report_excel.aggregation."+in.TimeAggregation),
			resp, strings.Join(opts, "; "), in.Numerator, in.Denominator, factor, in.Source})
	}
	return xlsx.SendExport(w, format, e)
}

// formsExport is the forms table as a download.
func (s *Store) formsExport(w http.ResponseWriter, r *http.Request, format string) error {
	if err := s.canView(r); err != nil {
		return err
	}
	list, err := s.Forms(r.Context())
	if err != nil {
		return err
	}
	sortForms(list)
	e := xlsx.Export{Name: "Biểu mẫu báo cáo", Columns: []xlsx.Column{{Header: "Mã biểu mẫu", Width: 18, Format: xlsx.TextFmt}, {Header: "Tên biểu mẫu", Width: 50},
		{Header: "Kỳ báo cáo", Width: 12}, {Header: "Hạn gửi (ngày làm việc sau ngày chốt số liệu)", Width: 14, Format: xlsx.Integer}, {Header: "Gia hạn (ngày)", Width: 10, Format: xlsx.Integer},
		{Header: "Căn cứ", Width: 30}, {Header: "Đơn vị ban hành", Width: 30}, {Header: "Số chỉ tiêu", Width: 10, Format: xlsx.Integer},
		{Header: "Các chỉ tiêu", Width: 60}, {Header: "Đơn vị phải báo cáo", Width: 60}}}
	for _, f := range list {
		var codes []string
		for _, sec := range f.Sections {
			for _, in := range sec.Indicators {
				codes = append(codes, in.Code)
			}
		}
		pt, _ := ParsePeriodType(f.PeriodType)
		e.Rows = append(e.Rows, []any{f.Code, f.Name, pt.Label(locale.VI), f.DeadlineDays, f.GraceDays, f.Basis, f.Issuer.Name + " (" + f.Issuer.Code + ")",
			len(codes), strings.Join(codes, "; "), assignmentsText(locale.VI, f.Assignments)})
	}
	return xlsx.SendExport(w, format, e)
}

// assignmentsText writes a form's assignments for a cell: "Sở thuộc Tỉnh
// Lai Châu (LC); Huyện thuộc … đến 30/06/2025".
func assignmentsText(l locale.Lang, as []Assignment) string {
	var parts []string
	for _, a := range as {
		s := locale.T(l, "report_excel.assignment", locale.T(l, "kind."+a.Kind), a.Under.Name, a.Under.Code)
		if a.From != "" {
			s += " " + locale.T(l, "report_excel.assignment_from", locale.ISODate(l, a.From))
		}
		if a.To != "" {
			s += " " + locale.T(l, "report_excel.assignment_to", locale.ISODate(l, a.To))
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// unitsExport is the list of the units that must report a form for a
// period as a download.
func (s *Store) unitsExport(w http.ResponseWriter, r *http.Request, out FormUnits, format string) error {
	e := xlsx.Export{Name: "Đơn vị báo cáo " + out.Form + " " + out.Period, Title: "Đơn vị báo cáo", Columns: []xlsx.Column{{Header: "Mã đơn vị", Width: 18, Format: xlsx.TextFmt},
		{Header: "Tên đơn vị", Width: 40}, {Header: "Tên kèm tỉnh", Width: 50}, {Header: "Loại đơn vị", Width: 18}, {Header: "Hoạt động từ", Width: 13, Format: xlsx.DateFmt}, {Header: "Đến", Width: 13, Format: xlsx.DateFmt}}}
	for _, u := range out.Units {
		e.Rows = append(e.Rows, []any{u.Code, u.Name, u.Label, locale.T(locale.VI, "kind."+u.Kind), xlsx.ISODate(u.ValidFrom), xlsx.ISODate(u.ValidTo)})
	}
	return xlsx.SendExport(w, format, e)
}

func sortIndicators(list []Indicator) {
	c := locale.Collator()
	slices.SortStableFunc(list, func(a, b Indicator) int { return c.CompareString(a.Name, b.Name) })
}

func sortForms(list []Form) {
	c := locale.Collator()
	slices.SortStableFunc(list, func(a, b Form) int { return c.CompareString(a.Name, b.Name) })
}

// Pages.

type formsData struct {
	Forms []formRow
}

type formRow struct {
	Form
	PeriodLabel string
	Indicators  int
}

func (x *excel) formsPage(w http.ResponseWriter, r *http.Request) error {
	format, export, err := xlsx.ExportFormat(r)
	if err != nil {
		return err
	}
	if export {
		return x.s.formsExport(w, r, format)
	}
	if err := x.s.canView(r); err != nil {
		return err
	}
	list, err := x.s.Forms(r.Context())
	if err != nil {
		return err
	}
	sortForms(list)
	lang := locale.FromRequest(r)
	d := formsData{Forms: []formRow{}}
	for _, f := range list {
		pt, _ := ParsePeriodType(f.PeriodType)
		n := 0
		for _, sec := range f.Sections {
			n += len(sec.Indicators)
		}
		d.Forms = append(d.Forms, formRow{Form: f, PeriodLabel: pt.Label(lang), Indicators: n})
	}
	return excelFormsPage.Render(w, r, d)
}

type indicatorRow struct {
	Indicator
	TypeLabel string
	AggLabel  string
	Options   string
}

func (x *excel) indicatorsPage(w http.ResponseWriter, r *http.Request) error {
	format, export, err := xlsx.ExportFormat(r)
	if err != nil {
		return err
	}
	if export {
		return x.s.indicatorsExport(w, r, format)
	}
	if err := x.s.canView(r); err != nil {
		return err
	}
	list, err := x.s.Indicators(r.Context())
	if err != nil {
		return err
	}
	sortIndicators(list)
	lang := locale.FromRequest(r)
	rows := []indicatorRow{}
	for _, in := range list {
		var opts []string
		for _, o := range in.CategoryOptions {
			opts = append(opts, o.Name)
		}
		rows = append(rows, indicatorRow{Indicator: in, TypeLabel: locale.T(lang, "report_excel.value_type."+in.ValueType),
			AggLabel: locale.T(lang, "report_excel.aggregation."+in.Aggregation), Options: strings.Join(opts, ", ")})
	}
	return excelIndicatorsPage.Render(w, r, rows)
}

// periodOption is a period a form page offers.
type periodOption struct {
	Value, Label string
	Selected     bool
}

// periodOptions are the current period, the seven before it and the next.
func periodOptions(l locale.Lang, cur, selected Period) []periodOption {
	var out []periodOption
	p := cur.Next()
	for range 9 {
		out = append(out, periodOption{Value: p.String(), Label: p.Label(l), Selected: p == selected})
		p = p.Prev()
	}
	if !slices.ContainsFunc(out, func(o periodOption) bool { return o.Selected }) {
		out = append(out, periodOption{Value: selected.String(), Label: selected.Label(l), Selected: true})
	}
	return out
}

type formUnitRow struct {
	Unit   org.Unit
	Status string
	Frozen bool
}

type formPageData struct {
	Form        Form
	Period      Period
	PeriodLabel string
	PeriodType  string
	Periods     []periodOption
	Deadline    string
	Units       []formUnitRow
	CanEnter    bool
}

func (x *excel) formPage(w http.ResponseWriter, r *http.Request) error {
	if err := x.s.canView(r); err != nil {
		return err
	}
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	f, err := x.s.Form(r.Context(), id)
	if err != nil {
		return err
	}
	pt, err := ParsePeriodType(f.PeriodType)
	if err != nil {
		return err
	}
	lang := locale.FromRequest(r)
	cur := currentPeriod(pt, Day(x.s.Now().In(vietnam())))
	p := cur
	if v := strings.TrimSpace(r.URL.Query().Get("period")); v != "" {
		q, err := x.request(r, Period{})
		if err != nil {
			return err
		}
		p = q.period
	}
	pr := org.PrincipalFrom(r.Context())
	d := formPageData{Form: f, Period: p, PeriodLabel: p.Label(lang), PeriodType: pt.Label(lang), Periods: periodOptions(lang, cur, p)}
	if dl, err := x.s.Calendar.Deadline(p, f.DeadlineDays); err == nil {
		d.Deadline = locale.Date(lang, dl)
	}
	_, mine, err := x.s.xlUnits(r.Context(), pr, EnterReports, f.ID, p, 0)
	if err != nil {
		return err
	}
	c, err := x.s.NewChecker(r.Context(), pr)
	if err != nil {
		return err
	}
	for _, u := range mine {
		st, err := c.reportStatus(r.Context(), f.ID, p, u.ID)
		if err != nil {
			return err
		}
		d.Units = append(d.Units, formUnitRow{Unit: u, Status: st.label(lang), Frozen: st.frozen})
	}
	d.CanEnter = len(mine) > 0
	return excelFormPage.Render(w, r, d)
}

// importData is what the import page shows: the form, then a preview (a
// dry run's changes and the file to confirm), a result, or the errors.
type importData struct {
	Lang     locale.Lang
	Form     Form
	MaxMB    int64
	Result   *ExcelResult
	Preview  bool
	Data     string // the previewed file, base64, sent back with the confirmation
	Filename string
	Issues   []xlsx.Issue
	Label    string // the period's label
}

// Shown writes a value for the page.
func (d importData) Shown(valueType, v string) string {
	if v == "" {
		return ""
	}
	return shownValue(d.Lang, valueType, v)
}

func (x *excel) importShow(w http.ResponseWriter, r *http.Request) error {
	f, _, _, err := x.read(w, r, func() ([]byte, string, error) { return nil, "", nil })
	if err != nil {
		return err
	}
	return excelImportPage.Render(w, r, importData{Lang: locale.FromRequest(r), Form: f, MaxMB: xlsx.DefaultLimits().MaxUpload >> 20})
}

// importSubmit checks an uploaded workbook and shows what would change
// (a dry run) with a button to confirm; the confirmation sends the same
// file back (a hidden field) and imports it.
func (x *excel) importSubmit(w http.ResponseWriter, r *http.Request) error {
	confirm := false
	f, data, name, err := x.read(w, r, func() ([]byte, string, error) {
		if v := r.PostFormValue("data"); v != "" {
			confirm = r.PostFormValue("confirm") != ""
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return nil, "", xlsx.FileError("xlsx_corrupt")
			}
			if int64(len(b)) > xlsx.DefaultLimits().MaxUpload {
				return nil, "", xlsx.TooLarge(xlsx.DefaultLimits())
			}
			return b, r.PostFormValue("filename"), nil
		}
		return xlsx.FormFile(w, r, xlsx.DefaultLimits())
	})
	if err != nil {
		if f.ID == 0 {
			return err
		}
		return x.importError(w, r, importData{Lang: locale.FromRequest(r), Form: f, MaxMB: xlsx.DefaultLimits().MaxUpload >> 20, Filename: name}, err)
	}
	d := importData{Lang: locale.FromRequest(r), Form: f, MaxMB: xlsx.DefaultLimits().MaxUpload >> 20, Filename: name}
	res, err := x.run(r, f, data, !confirm, name)
	if err != nil {
		return x.importError(w, r, d, err)
	}
	if p, err := ParsePeriod(res.Period); err == nil {
		d.Label = p.Label(locale.FromRequest(r))
	}
	d.Result, d.Preview = &res, !confirm
	if d.Preview && len(res.Changes) > 0 {
		d.Data = base64.StdEncoding.EncodeToString(data)
	}
	return excelImportPage.Render(w, r, d)
}

// importError shows the errors of an upload by cell on the import page;
// errors that name no cell or field go to the error page.
func (x *excel) importError(w http.ResponseWriter, r *http.Request, d importData, err error) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		xlsx.RetryAfter(w, err)
		return err
	}
	v := web.NewView(r, nil)
	d.Issues = xlsx.Issues(v.Lang, err)
	v.Data = d
	return excelImportPage.RenderView(w, r, e.Status, v)
}
