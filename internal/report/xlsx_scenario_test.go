package report_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// excelScenarios are the Excel and download routes' rows of the report
// API table: who may download a form's workbook, import one and read the
// values — a reporter of another province, a leader who enters nothing, an
// anonymous caller refused, each refusal audited once and writing nothing
// — and every list's XLSX and CSV downloads. They run after
// reportScenarios on the same server, on the demo's forms.
func excelScenarios(vars map[string]string) []testapp.Scenario {
	q := xlOpenPeriod(report.Quarterly).String()
	var before map[string]int
	var denied int
	snap := func(user string) func(*testing.T, *testapp.App) {
		return func(t *testing.T, app *testapp.App) {
			before = app.RowCounts(t, xlTables...)
			if user != "" {
				denied = app.Denials(t, user)
			}
			vars["soLC"] = fmt.Sprint(xlFormID(t, app, "CDS.QUY.SO.LC"))
			vars["soGL"] = fmt.Sprint(xlFormID(t, app, "CDS.QUY.SO.GL"))
			vars["xaLC"] = fmt.Sprint(xlFormID(t, app, "CDS.QUY.XA.LC"))
		}
	}
	// refused checks one audited refusal and no row written (the audit
	// row of the refusal aside).
	refused := func(user string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			t.Helper()
			if n := app.Denials(t, user) - denied; n != 1 {
				t.Errorf("%d access.denied rows for one refusal of %s", n, user)
			}
			after := app.RowCounts(t, xlTables...)
			after["audit_events"]--
			if fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("rows %v after a refusal, were %v", after, before)
			}
		}
	}
	unchanged := func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
		t.Helper()
		if after := app.RowCounts(t, xlTables...); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("rows %v after a rejected import, were %v", after, before)
		}
	}
	workbook := func(t *testing.T, _ *testapp.App, body []byte, _ http.Header) {
		t.Helper()
		if _, err := xlsx.Open(body, xlsx.DefaultLimits()); err != nil {
			t.Errorf("not a workbook: %v", err)
		}
	}
	csvRows := func(min int, first string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, _ *testapp.App, body []byte, h http.Header) {
			t.Helper()
			if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
				t.Fatalf("CSV without the UTF-8 BOM: %q", body[:min3(len(body))])
			}
			recs, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) < min || recs[0][0] != first {
				t.Errorf("%d records, header %q", len(recs), recs[0])
			}
		}
	}
	// Gia Lai's coordinator's workbook of Gia Lai's departments, filled in.
	glFile := func(t *testing.T, app *testapp.App) {
		snap("baocao.laichau")(t, app)
		p, _ := report.ParsePeriod(q)
		data := xlTemplate(t, app, "dieuphoi", "CDS.QUY.SO.GL", p, "")
		_, sh := xlSheet(t, data, "Dữ liệu")
		b := xlEdit(t, data)
		b.set(b.cell("CDS.HS.TIEPNHAN", "", sh.At(5, 6).String()), 100)
		vars["glFile"] = string(b.bytes())
	}
	xlsxType := map[string]string{"Content-Type": xlsx.ContentType}
	isXLSX := map[string]string{"Content-Type": xlsx.ContentType}
	isCSV := map[string]string{"Content-Type": "text/csv", "Content-Disposition": ".csv"}
	return []testapp.Scenario{
		{Name: "a workbook needs credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/report/forms/1/template.xlsx?period=" + q}, Status: 401},
		{Name: "an import needs credentials", Call: testapp.Call{Method: "POST", Path: "/api/v1/report/forms/1/import.xlsx", Body: "x", Headers: xlsxType}, Status: 401},
		{Name: "values need credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/report/forms/1/values?period=" + q}, Status: 401},

		{Name: "Lai Châu's reporter downloads the department's workbook", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/report/forms/{var:soLC}/template.xlsx?period=" + q},
			Before: snap(""), Status: 200, Header: isXLSX, Check: workbook},
		{Name: "Pleiku's reporter may not download Lai Châu's units", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/report/forms/{var:soLC}/template.xlsx?period=" + q},
			Before: snap("baocao.pleiku"), Status: 403, Check: refused("baocao.pleiku")},
		{Name: "Pleiku's reporter may not ask for a Lai Châu unit", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/report/forms/{var:soLC}/template.xlsx?period=" + q + "&unit={unit:LC.SKHCN}"},
			Before: snap("baocao.pleiku"), Status: 403, Check: refused("baocao.pleiku")},
		{Name: "a leader enters no data: no workbook", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/report/forms/{var:soGL}/template.xlsx?period=" + q},
			Before: snap("lanhdao"), Status: 403, Check: refused("lanhdao")},
		{Name: "a workbook without a period", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/report/forms/{var:soLC}/template.xlsx"}, Status: 422, Fields: []string{"period"}},
		{Name: "a workbook of a monthly period for a quarterly form", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/report/forms/{var:soLC}/template.xlsx?period=202611"}, Status: 422, Fields: []string{"period"}},
		{Name: "a workbook for a unit that is no id", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/report/forms/{var:soLC}/template.xlsx?period=" + q + "&unit=LC"}, Status: 422, Fields: []string{"unit"}},
		{Name: "a workbook of a unit under which nobody reports the form", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/report/forms/{var:xaLC}/template.xlsx?period=" + q + "&unit={unit:LC.SKHCN}"},
			Before: snap(""), Status: 422, Fields: []string{"unit"}},
		{Name: "the workbook of a form that does not exist", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/report/forms/999999/template.xlsx?period=" + q}, Status: 404},

		{Name: "Lai Châu's reporter may not import Gia Lai's departments", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/v1/report/forms/{var:soGL}/import.xlsx", Body: "{var:glFile}", Headers: xlsxType},
			Before: glFile, Status: 403, Contains: []string{"report_excel.unit_scope", `"field":"Dữ liệu!E6"`}, Check: refused("baocao.laichau")},
		{Name: "a leader may not import", Call: testapp.Call{User: "lanhdao", Method: "POST", Path: "/api/v1/report/forms/{var:soGL}/import.xlsx", Body: "{var:glFile}", Headers: xlsxType},
			Before: snap("lanhdao"), Status: 403, Check: refused("lanhdao")},
		{Name: "Gia Lai's coordinator previews the import", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/report/forms/{var:soGL}/import.xlsx?dryRun=true", Body: "{var:glFile}", Headers: xlsxType},
			Before: snap(""), Status: 200, Contains: []string{`"dryRun":true`, `"imported":1`}, Check: unchanged},
		{Name: "a dry run that is no boolean", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/report/forms/{var:soGL}/import.xlsx?dryRun=perhaps", Body: "{var:glFile}", Headers: xlsxType},
			Before: snap(""), Status: 422, Fields: []string{"dryRun"}, Check: unchanged},
		{Name: "the file of one form imported into another", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/report/forms/{var:soLC}/import.xlsx", Body: "{var:glFile}", Headers: xlsxType},
			Before: snap(""), Status: 422, Fields: []string{"Dữ liệu!C2"}, Check: unchanged},
		{Name: "the same mistake, in English", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/report/forms/{var:soLC}/import.xlsx", Body: "{var:glFile}",
			Headers: map[string]string{"Content-Type": xlsx.ContentType, "Accept-Language": "en"}},
			Before: snap(""), Status: 422, Fields: []string{"Dữ liệu!C2"}, Contains: []string{"the file is form «CDS.QUY.SO.GL», not form «CDS.QUY.SO.LC»"}, Check: unchanged},
		{Name: "an import into a form that does not exist", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/report/forms/999999/import.xlsx", Body: "{var:glFile}", Headers: xlsxType}, Status: 404},
		{Name: "Gia Lai's coordinator imports", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/report/forms/{var:soGL}/import.xlsx", Body: "{var:glFile}", Headers: xlsxType},
			Status: 200, Contains: []string{`"dryRun":false`, `"imported":1`},
			Check: func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
				if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'report.values.excel' AND actor = 'dieuphoi'`); n != 1 {
					t.Errorf("%d audit rows of the import", n)
				}
			}},

		{Name: "the leader reads Gia Lai's values", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/report/forms/{var:soGL}/values?period=" + q}, Status: 200,
			Contains: []string{`"indicator":"CDS.HS.TIEPNHAN"`, `"value":"100"`}},
		{Name: "Gia Lai's values as CSV", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/report/forms/{var:soGL}/values?period=" + q + "&format=csv"}, Status: 200,
			Header: isCSV, Check: csvRows(2, "Mã đơn vị")},
		{Name: "Gia Lai's values as a workbook", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/report/forms/{var:soGL}/values?period=" + q + "&format=xlsx"}, Status: 200,
			Header: isXLSX, Check: workbook},
		{Name: "Lai Châu's reporter may not read Gia Lai's values", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/report/forms/{var:soGL}/values?period=" + q},
			Before: snap("baocao.laichau"), Status: 403, Check: refused("baocao.laichau")},
		{Name: "values in a format there is not", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/report/forms/{var:soGL}/values?period=" + q + "&format=pdf"}, Status: 422, Fields: []string{"format"}},

		{Name: "the indicators as CSV", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/report/indicators?format=csv"}, Status: 200, Header: isCSV, Check: csvRows(30, "Mã chỉ tiêu")},
		{Name: "the indicators as a workbook", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/report/indicators?format=xlsx"}, Status: 200, Header: isXLSX, Check: workbook},
		{Name: "the indicators in a format there is not", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/report/indicators?format=pdf"}, Status: 422, Fields: []string{"format"}},
		{Name: "the indicators' download needs credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/report/indicators?format=csv"}, Status: 401},
		{Name: "the forms as CSV", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/report/forms?format=csv"}, Status: 200, Header: isCSV,
			Check: func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
				csvRows(7, "Mã biểu mẫu")(t, app, body, h)
				if !strings.Contains(string(body), "Sở thuộc Tỉnh Lai Châu (LC)") {
					t.Errorf("assignments not written: %s", body)
				}
			}},
		{Name: "the forms as a workbook", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/report/forms?format=xlsx"}, Status: 200, Header: isXLSX, Check: workbook},
		{Name: "the units of a form as CSV", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/report/forms/{var:soLC}/units?period=" + q + "&format=csv"}, Status: 200, Header: isCSV,
			Check: csvRows(10, "Mã đơn vị")},
	}
}

func min3(n int) int { return min(3, n) }
